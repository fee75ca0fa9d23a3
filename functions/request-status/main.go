// Command request-status is the RequestStatusFunction Lambda function: the client's status page and
// the withdraw action. It is wiring only: the handler is handler.RequestStatus, built by
// awsenv.BuildRequestStatus from the environment template.yaml gives the function.
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
		awsenv.Fail(env, "RequestStatusFunction", err)
	}
	h, err := awsenv.BuildRequestStatus(ctx, env)
	if err != nil {
		awsenv.Fail(env, "RequestStatusFunction", err)
	}
	lambda.Start(h.Handle)
}
