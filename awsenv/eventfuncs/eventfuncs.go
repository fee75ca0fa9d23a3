// Package eventfuncs builds StripeWebhook, the function that hears the payment provider after the
// refund call. It is a group of its own because it needs Secrets Manager (the endpoint's signing
// secret) and stripe-go's webhook verification; its emails (it tells the client and staff) are written
// and sent by SendMailFunction (awsenv/remote). Put in another group, it would make that group's
// functions link a client they never use (awsenv/deps_test.go).
package eventfuncs

import (
	"context"

	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/remote"
	"refundflow/awsenv/secrets"
	"refundflow/handler"
	"refundflow/payment/stripepay"
)

// FunctionStripeWebhook is the logical ID of the function built here, as template.yaml names it.
const FunctionStripeWebhook = "StripeWebhookFunction"

// StripeWebhook builds the StripeWebhookFunction handler (TABLE_NAME, STRIPE_WEBHOOK_SECRET_ARN,
// STATE_MACHINE_ARN (it starts the new execution of a request reopened from completed),
// SEND_MAIL_FUNCTION, which writes and sends its emails). The signing secret is
// read now, at cold start, so a missing or unreadable secret fails the function's start instead of
// refusing every event as badly signed.
func StripeWebhook(ctx context.Context, env lambdaenv.Env) (handler.StripeWebhook, error) {
	s := env.Store()
	store := lambdaenv.StoreOps{
		ClaimEventOp: s.ClaimEvent, MarkEventProcessedOp: s.MarkEventProcessed, ReleaseEventOp: s.ReleaseEvent,
		OrdersByPaymentOp: s.OrdersByPayment, GetOrderOp: s.GetOrder, GetRequestOp: s.GetRequest,
		ApplyProviderRefundOp: s.ApplyProviderRefund, RecordDisputeOp: s.RecordDispute,
		OpenRequestIDOp: s.OpenRequestID, ListOffersOp: s.ListOffers, TransitionOp: s.Transition,
		ReopenOp: s.Reopen, AppendAuditOp: s.AppendAudit, ListAuditOp: s.ListAudit,
		PutLinkCodeOp: s.PutLinkCode, GetRequestAndTokenOp: s.GetRequestAndToken,
		ClearResumeOp: s.ClearResume, GetTaskTokenOp: s.GetTaskToken,
	}
	secret, serr := secrets.WebhookSecret(ctx, &env)
	emails := handler.Emails{Store: lambdaenv.MailMarkers(s), Delivery: remote.Mail(&env)}
	h := handler.StripeWebhook{
		Events: stripepay.Webhook{Secret: secret}, Store: store, Waits: env.TaskCompleter(),
		Workflow: env.WorkflowStarter(), Emails: emails, Clock: env.Clock, Logger: env.Log(),
	}
	return lambdaenv.Built(h, env.Done(FunctionStripeWebhook, serr))
}
