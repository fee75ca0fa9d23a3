// Command feedback is the FeedbackFunction Lambda function: the feedback page. It is wiring only
// (it imports only its own builder group, so the binary links and initialises no other AWS client):
// the handler is handler.Feedback, built by awsenv/formfuncs.Feedback from the environment
// template.yaml gives the function.
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
		lambdaenv.Fail(env, formfuncs.FunctionFeedback, err)
	}
	h, err := formfuncs.Feedback(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, formfuncs.FunctionFeedback, err)
	}
	lambda.Start(lambdaenv.Settled(env, h.Handle))
}
