// Command record-consent is the RecordConsentFunction Lambda function: the consent page behind the
// emailed link. It is wiring only: the handler is handler.RecordConsent, built by
// awsenv.BuildRecordConsent from the environment template.yaml gives the function.
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
		awsenv.Fail(env, "RecordConsentFunction", err)
	}
	h, err := awsenv.BuildRecordConsent(ctx, env)
	if err != nil {
		awsenv.Fail(env, "RecordConsentFunction", err)
	}
	lambda.Start(h.Handle)
}
