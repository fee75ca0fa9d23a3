// Command request-staff-review is the RequestStaffReviewFunction Lambda function: the workflow step
// that parks a request for a staff decision. It is wiring only (it imports only its own builder
// group, so the binary links and initialises no other AWS client): the handler is
// handler.RequestStaffReview, built by awsenv/mailfuncs.RequestStaffReview from the environment
// template.yaml gives the function.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/mailfuncs"
)

func main() {
	ctx := context.Background()
	env, err := lambdaenv.FromProcess(ctx)
	if err != nil {
		lambdaenv.Fail(env, mailfuncs.FunctionRequestStaffReview, err)
	}
	h, err := mailfuncs.RequestStaffReview(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, mailfuncs.FunctionRequestStaffReview, err)
	}
	lambda.Start(lambdaenv.Settled(env, h.Handle))
}
