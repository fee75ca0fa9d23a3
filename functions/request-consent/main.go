// Command request-consent is the RequestConsentFunction Lambda function: the workflow step that
// sends the offers, the reminder, and expires them. It is wiring only (it imports only its own
// builder group, so the binary links and initialises no other AWS client): the handler is
// handler.RequestConsent, built by awsenv/mailfuncs.RequestConsent from the environment template.yaml
// gives the function.
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
		lambdaenv.Fail(env, mailfuncs.FunctionRequestConsent, err)
	}
	h, err := mailfuncs.RequestConsent(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, mailfuncs.FunctionRequestConsent, err)
	}
	lambda.Start(lambdaenv.Settled(env, h.Handle))
}
