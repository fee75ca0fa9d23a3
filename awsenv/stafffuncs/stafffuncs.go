// Package stafffuncs builds the staff API, StaffApi: it asks the payment provider (its order route
// looks every order's payment up, as paymentfuncs builds the gateway) and sends email (a staff reply
// to a client's question goes to the order's email), which SendMailFunction writes and sends for it
// (awsenv/remote), so it links neither the templates nor SES. It has a group of its own so that
// ExecuteResolution (paymentfuncs) links no Secrets Manager lookup key nor Step Functions starter.
package stafffuncs

import (
	"context"

	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/paymentfuncs"
	"refundflow/awsenv/remote"
	"refundflow/awsenv/secrets"
	"refundflow/handler"
)

// FunctionStaffApi is the logical ID of the staff API function, as template.yaml names it.
const FunctionStaffApi = "StaffApiFunction"

// StaffApi builds the StaffApiFunction handler (TABLE_NAME, PAYMENT_PROVIDER, PAYMENT_SECRET_ARN,
// STATE_MACHINE_ARN for the requests staff take for clients, FOUR_EYES_LIMITS, LOOKUP_KEY_SECRET_ARN,
// and SEND_MAIL_FUNCTION for the reply emails; for
// Stripe the key is read from Secrets Manager now, as ExecuteResolution reads it, so a missing key
// stops the function at start instead of failing the billing system's first order).
func StaffApi(ctx context.Context, env lambdaenv.Env) (handler.StaffApi, error) {
	s := env.Store()
	store := lambdaenv.StoreOps{
		ListRequestsByStatusOp: s.ListRequestsByStatus, CountRequestsByStatusOp: s.CountRequestsByStatus,
		FindRequestsOp: s.FindRequests, ProposeReviewOp: s.ProposeReview, GetRequestOp: s.GetRequest,
		GetOrderOp: s.GetOrder, ListOffersOp: s.ListOffers, GetOfferOp: s.GetOffer, GetConsentOp: s.GetConsent,
		ListOrderRefundsOp: s.ListOrderRefunds, GetCreditOp: s.GetCredit,
		GetFeedbackOp: s.GetFeedback, ListAuditOp: s.ListAudit, TransitionOp: s.Transition,
		DecideOp: s.Decide, GetTaskTokenOp: s.GetTaskToken, LastChangeOp: s.LastChange,
		AppendAuditOp: s.AppendAudit, GetRequestAndTokenOp: s.GetRequestAndToken,
		ClearResumeOp: s.ClearResume, PutOrderOp: s.PutOrder, ListFeedbackOp: s.ListFeedback,
		SettleOutsideOp: s.SettleOutside, CreateRequestOp: s.CreateRequest,
		GetIdempotencyOp: s.GetIdempotency, PutIdempotencyOp: s.PutIdempotency,
		ListThreadOp: s.ListThread, ThreadSummariesOp: s.ThreadSummaries, AddReplyOp: s.AddReply,
		PutLinkCodeOp: s.PutLinkCode, ListSentEmailsOp: s.ListSentEmails,
	}
	gw, err := paymentfuncs.Gateway(ctx, &env)
	limits, lerr := env.FourEyesLimits()
	key, kerr := secrets.LookupKey(ctx, &env, FunctionStaffApi)
	emails := handler.Emails{Store: lambdaenv.MailMarkers(s), Delivery: remote.Mail(&env)}
	h := handler.StaffApi{Store: store, Waits: env.TaskCompleter(), Payments: gw, Refunds: gw, Workflow: env.WorkflowStarter(),
		Emails: emails, Clock: env.Clock, FourEyesLimits: limits, Logger: env.Log()}
	if key != nil {
		h.LookupKey = key
	}
	return lambdaenv.Built(h, env.Done(FunctionStaffApi, err, lerr, kerr))
}
