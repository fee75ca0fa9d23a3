// Command verify-conditions is the VerifyConditionsFunction Lambda function: the workflow step that
// verifies a request against the order and the policy. It is wiring only (it imports only its own
// builder group, so the binary links and initialises no other AWS client): the handler is
// handler.VerifyConditions, built by awsenv/basicfuncs.VerifyConditions from the environment
// template.yaml gives the function.
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
		lambdaenv.Fail(env, basicfuncs.FunctionVerifyConditions, err)
	}
	h, err := basicfuncs.VerifyConditions(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, basicfuncs.FunctionVerifyConditions, err)
	}
	lambda.Start(lambdaenv.Settled(env, h.Handle))
}
