// Command execute-resolution is the ExecuteResolutionFunction Lambda function: the workflow step
// that refunds, credits, pauses or cancels. It is wiring only (it imports only its own builder
// group, so the binary links and initialises no other AWS client): the handler is
// handler.ExecuteResolution, built by awsenv/paymentfuncs.ExecuteResolution from the environment
// template.yaml gives the function.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/paymentfuncs"
)

func main() {
	ctx := context.Background()
	env, err := lambdaenv.FromProcess(ctx)
	if err != nil {
		lambdaenv.Fail(env, paymentfuncs.FunctionExecuteResolution, err)
	}
	h, err := paymentfuncs.ExecuteResolution(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, paymentfuncs.FunctionExecuteResolution, err)
	}
	lambda.Start(lambdaenv.Settled(env, h.Handle))
}
