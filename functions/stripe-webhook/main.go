// Command stripe-webhook is the StripeWebhookFunction Lambda function: POST /webhooks/stripe, the
// payment provider's signed events. It is wiring only (it imports only its own builder group, so the
// binary links and initialises no other AWS client): the handler is handler.StripeWebhook, built by
// awsenv/eventfuncs.StripeWebhook from the environment template.yaml gives the function.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/awsenv/eventfuncs"
	"refundflow/awsenv/lambdaenv"
)

func main() {
	ctx := context.Background()
	env, err := lambdaenv.FromProcess(ctx)
	if err != nil {
		lambdaenv.Fail(env, eventfuncs.FunctionStripeWebhook, err)
	}
	h, err := eventfuncs.StripeWebhook(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, eventfuncs.FunctionStripeWebhook, err)
	}
	lambda.Start(lambdaenv.Settled(env, h.Handle))
}
