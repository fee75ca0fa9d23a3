// Command execute-resolution is the ExecuteResolutionFunction Lambda function: the workflow step
// that refunds, credits, pauses or cancels. It is wiring only: the handler is
// handler.ExecuteResolution, built by awsenv.ExecuteResolution from the environment template.yaml
// gives the function.
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
		awsenv.Fail(env, "ExecuteResolutionFunction", err)
	}
	h, err := awsenv.ExecuteResolution(ctx, env)
	if err != nil {
		awsenv.Fail(env, "ExecuteResolutionFunction", err)
	}
	lambda.Start(h.Handle)
}
