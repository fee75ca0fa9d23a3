// Command request-staff-review is the RequestStaffReviewFunction Lambda function: the workflow step
// that parks a request for a staff decision. It is wiring only: the handler is
// handler.RequestStaffReview, built by awsenv.RequestStaffReview from the environment template.yaml
// gives the function.
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
		awsenv.Fail(env, "RequestStaffReviewFunction", err)
	}
	h, err := awsenv.RequestStaffReview(ctx, env)
	if err != nil {
		awsenv.Fail(env, "RequestStaffReviewFunction", err)
	}
	lambda.Start(h.Handle)
}
