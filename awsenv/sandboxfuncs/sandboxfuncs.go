// Package sandboxfuncs builds the two functions only a sandbox deployment has (template.yaml creates
// them with PaymentProvider=sandbox only): SandboxPayments, its checkout, and SandboxEvents, which
// sends the sandbox provider's events to the deployment's webhook. Beside the table they link the
// sandbox provider (with stripe-go's event types and signing) and, for the webhook's signing secret,
// Secrets Manager.
package sandboxfuncs

import (
	"context"

	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/secrets"
	"refundflow/handler"
	"refundflow/payment/sandbox"
)

// The logical IDs of the functions built here, as template.yaml names them.
const (
	FunctionSandboxPayments = "SandboxPaymentsFunction"
	FunctionSandboxEvents   = "SandboxEventsFunction"
)

// WebhookPath is the route the provider's events go to (StripeWebhookFunction's).
const WebhookPath = "/webhooks/stripe"

// SandboxPayments builds the SandboxPaymentsFunction handler (TABLE_NAME; COMPANY_*: its page shows the
// company's identity as every page does).
func SandboxPayments(_ context.Context, env lambdaenv.Env) (handler.SandboxPayments, error) {
	err := env.Pages()
	gw := sandbox.NewCheckout(env.DynamoDB(), env.Require(lambdaenv.VarTableName))
	h := handler.SandboxPayments{Checkout: gw, Logger: env.Log()}
	return lambdaenv.Built(h, env.Done(FunctionSandboxPayments, err))
}

// SandboxEvents builds the SandboxEventsFunction handler (TABLE_NAME, STRIPE_WEBHOOK_SECRET_ARN: the
// secret the events are signed with, read now, at cold start; PUBLIC_BASE_URL: the events go to its
// /webhooks/stripe, the route a deployment registers at Stripe).
func SandboxEvents(ctx context.Context, env lambdaenv.Env) (handler.SandboxEvents, error) {
	secret, serr := secrets.WebhookSecret(ctx, &env)
	base := env.PublicBaseURL()
	gw := sandbox.NewOutbox(env.DynamoDB(), env.Require(lambdaenv.VarTableName))
	to := sandbox.Endpoint{URL: base + WebhookPath, Secret: secret}
	h := handler.SandboxEvents{
		Deliver: func(ctx context.Context) (handler.SandboxDelivery, error) {
			rep, err := gw.Deliver(ctx, to)
			return handler.SandboxDelivery(rep), err
		},
		Logger: env.Log(),
	}
	return lambdaenv.Built(h, env.Done(FunctionSandboxEvents, serr, lambdaenv.CheckBaseURL(base)))
}
