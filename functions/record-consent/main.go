// Command record-consent is the RecordConsentFunction Lambda function: the consent page behind the
// emailed link. It is wiring only (it imports only its own builder group, so the binary links and
// initialises no other AWS client): the handler is handler.RecordConsent, built by
// awsenv/formfuncs.RecordConsent from the environment template.yaml gives the function.
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
		lambdaenv.Fail(env, formfuncs.FunctionRecordConsent, err)
	}
	h, err := formfuncs.RecordConsent(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, formfuncs.FunctionRecordConsent, err)
	}
	lambda.Start(lambdaenv.Settled(env, h.Handle))
}
