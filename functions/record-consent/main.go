// Command record-consent is the RecordConsentFunction Lambda function: the consent page behind the
// emailed link. It is wiring only (it imports only its own builder group, so the binary links and
// initialises no other AWS client): the handler is handler.RecordConsent, built by
// awsenv/forms.RecordConsent from the environment template.yaml gives the function.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/awsenv/forms"
	"refundflow/awsenv/lambdaenv"
)

func main() {
	ctx := context.Background()
	env, err := lambdaenv.FromProcess(ctx)
	if err != nil {
		lambdaenv.Fail(env, forms.FunctionRecordConsent, err)
	}
	h, err := forms.RecordConsent(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, forms.FunctionRecordConsent, err)
	}
	lambda.Start(h.Handle)
}
