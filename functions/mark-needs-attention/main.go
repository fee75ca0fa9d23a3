// Command mark-needs-attention is the MarkNeedsAttentionFunction Lambda function: the workflow step
// where unexpected failures end. It is wiring only (it imports only its own builder group, so the
// binary links and initialises no other AWS client): the handler is handler.MarkNeedsAttention,
// built by awsenv/basicfuncs.MarkNeedsAttention from the environment template.yaml gives the
// function.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/awsenv/basicfuncs"
	"refundflow/awsenv/lambdaenv"
)

func main() {
	ctx := context.Background()
	env, err := lambdaenv.FromProcess(ctx)
	if err != nil {
		lambdaenv.Fail(env, basicfuncs.FunctionMarkNeedsAttention, err)
	}
	h, err := basicfuncs.MarkNeedsAttention(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, basicfuncs.FunctionMarkNeedsAttention, err)
	}
	lambda.Start(lambdaenv.Settled(env, h.Handle))
}
