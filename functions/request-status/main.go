// Command request-status is the RequestStatusFunction Lambda function: the client's status page and
// the withdraw action. It is wiring only (it imports only its own builder group, so the binary
// links and initialises no other AWS client): the handler is handler.RequestStatus, built by
// awsenv/formfuncs.RequestStatus from the environment template.yaml gives the function.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/awsenv/formfuncs"
	"refundflow/awsenv/lambdaenv"
)

func main() {
	ctx := context.Background()
	env, err := lambdaenv.FromProcess(ctx)
	if err != nil {
		lambdaenv.Fail(env, formfuncs.FunctionRequestStatus, err)
	}
	h, err := formfuncs.RequestStatus(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, formfuncs.FunctionRequestStatus, err)
	}
	lambda.Start(lambdaenv.Settled(env, h.Handle))
}
