// Command request-consent is the RequestConsentFunction Lambda function: the workflow step that
// sends the offers, the reminder, and expires them. It is wiring only: the handler is
// handler.RequestConsent, built by awsenv.RequestConsent from the environment template.yaml gives
// the function.
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
		awsenv.Fail(env, "RequestConsentFunction", err)
	}
	h, err := awsenv.RequestConsent(ctx, env)
	if err != nil {
		awsenv.Fail(env, "RequestConsentFunction", err)
	}
	lambda.Start(h.Handle)
}
