// Command feedback is the FeedbackFunction Lambda function: the feedback page. It is wiring only:
// the handler is handler.Feedback, built by awsenv.BuildFeedback from the environment template.yaml
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
		awsenv.Fail(env, "FeedbackFunction", err)
	}
	h, err := awsenv.BuildFeedback(ctx, env)
	if err != nil {
		awsenv.Fail(env, "FeedbackFunction", err)
	}
	lambda.Start(h.Handle)
}
