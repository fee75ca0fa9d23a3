// Command propose-resolution is the ProposeResolutionFunction Lambda function: the workflow step
// that works out the offers. It is wiring only: the handler is handler.ProposeResolution, built by
// awsenv.ProposeResolution from the environment template.yaml gives the function.
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
		awsenv.Fail(env, "ProposeResolutionFunction", err)
	}
	h, err := awsenv.ProposeResolution(ctx, env)
	if err != nil {
		awsenv.Fail(env, "ProposeResolutionFunction", err)
	}
	lambda.Start(h.Handle)
}
