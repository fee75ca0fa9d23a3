// Command propose-resolution is the ProposeResolutionFunction Lambda function: the workflow step
// that works out the offers. It is wiring only (it imports only its own builder group, so the
// binary links and initialises no other AWS client): the handler is handler.ProposeResolution,
// built by awsenv/basicfuncs.ProposeResolution from the environment template.yaml gives the function.
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
		lambdaenv.Fail(env, basicfuncs.FunctionProposeResolution, err)
	}
	h, err := basicfuncs.ProposeResolution(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, basicfuncs.FunctionProposeResolution, err)
	}
	lambda.Start(lambdaenv.Settled(env, h.Handle))
}
