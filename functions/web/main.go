// Command web is the WebFunction Lambda function: the request form, the staff console page and
// static assets. It is wiring only: the handler is handler.Web, built by awsenv.BuildWeb from the
// environment template.yaml gives the function.
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
		awsenv.Fail(env, "WebFunction", err)
	}
	h, err := awsenv.BuildWeb(ctx, env)
	if err != nil {
		awsenv.Fail(env, "WebFunction", err)
	}
	lambda.Start(h.Handle)
}
