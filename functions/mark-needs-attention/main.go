// Command mark-needs-attention is the MarkNeedsAttentionFunction Lambda function: the workflow step
// where unexpected failures end. It is wiring only: the handler is handler.MarkNeedsAttention,
// built by awsenv.MarkNeedsAttention from the environment template.yaml gives the function.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/awsenv"
)

func main() {
	ctx := context.Background()
	env, err := awsenv.FromProcess(ctx)
	if err != nil {
		awsenv.Fail(env, "MarkNeedsAttentionFunction", err)
	}
	h, err := awsenv.MarkNeedsAttention(ctx, env)
	if err != nil {
		awsenv.Fail(env, "MarkNeedsAttentionFunction", err)
	}
	lambda.Start(h.Handle)
}
