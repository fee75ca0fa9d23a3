// Command submit-request is the SubmitRequestFunction Lambda function: accepts the request form and
// starts the workflow. It is wiring only (it imports only its own builder group, so the binary
// links and initialises no other AWS client): the handler is handler.SubmitRequest, built by
// awsenv/submitfuncs.SubmitRequest from the environment template.yaml gives the function.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/submitfuncs"
)

func main() {
	ctx := context.Background()
	env, err := lambdaenv.FromProcess(ctx)
	if err != nil {
		lambdaenv.Fail(env, submitfuncs.FunctionSubmitRequest, err)
	}
	h, err := submitfuncs.SubmitRequest(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, submitfuncs.FunctionSubmitRequest, err)
	}
	lambda.Start(lambdaenv.Settled(env, h.Handle))
}
