// Command staff-api is the StaffApiFunction Lambda function: the staff JSON API. It is wiring only
// (it imports only its own builder group, so the binary links and initialises no other AWS client):
// the handler is handler.StaffApi, built by awsenv/stafffuncs.StaffApi from the environment
// template.yaml gives the function.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/stafffuncs"
)

func main() {
	ctx := context.Background()
	env, err := lambdaenv.FromProcess(ctx)
	if err != nil {
		lambdaenv.Fail(env, stafffuncs.FunctionStaffApi, err)
	}
	h, err := stafffuncs.StaffApi(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, stafffuncs.FunctionStaffApi, err)
	}
	lambda.Start(lambdaenv.Settled(env, h.Handle))
}
