// Command submit-request is the SubmitRequestFunction Lambda function: accepts the request form and
// starts the workflow. It is wiring only: the handler is handler.SubmitRequest, built by
// awsenv.BuildSubmitRequest from the environment template.yaml gives the function.
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
		awsenv.Fail(env, "SubmitRequestFunction", err)
	}
	h, err := awsenv.BuildSubmitRequest(ctx, env)
	if err != nil {
		awsenv.Fail(env, "SubmitRequestFunction", err)
	}
	lambda.Start(h.Handle)
}
