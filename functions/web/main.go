// Command web is the WebFunction Lambda function: the request form, the staff console page, static
// assets and the API's contract (GET /openapi.yaml). It is wiring only (it imports only its own
// builder group, so the binary links and initialises no other AWS client): the handler is
// handler.Web, built by awsenv/basicfuncs.Web from the environment template.yaml gives the function.
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
		lambdaenv.Fail(env, basicfuncs.FunctionWeb, err)
	}
	h, err := basicfuncs.Web(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, basicfuncs.FunctionWeb, err)
	}
	lambda.Start(lambdaenv.Settled(env, h.Handle))
}
