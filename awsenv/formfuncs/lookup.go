package formfuncs

import (
	"context"
	"fmt"
	"strings"

	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/secrets"
	"refundflow/handler"
)

// The logical IDs of the functions that find requests by email, as template.yaml names them.
const (
	FunctionSubmitRequest = "SubmitRequestFunction"
	FunctionStaffApi      = "StaffApiFunction"
)

// VarLookupKeySecretARN is the Secrets Manager secret whose value keys the hash of clients' emails
// that staff find requests by (refund.EmailLookup). SubmitRequest and StaffApi read the same secret.
const VarLookupKeySecretARN = "LOOKUP_KEY_SECRET_ARN"

// minLookupKeyBytes is the least key the hash accepts: template.yaml generates 64 letters and digits.
const minLookupKeyBytes = 32

// LookupKey requires LOOKUP_KEY_SECRET_ARN and reads the secret now (at cold start), so a missing or
// unreadable secret stops the function from starting instead of storing requests nobody can find by
// email. The value is never logged or put in an error.
func LookupKey(ctx context.Context, env *lambdaenv.Env) ([]byte, error) {
	arn := env.Require(VarLookupKeySecretARN)
	if arn == "" {
		return nil, nil // reported by Missing
	}
	value, err := secrets.String(ctx, env, "the email lookup key", arn)
	if err != nil {
		return nil, err
	}
	key := []byte(strings.TrimSpace(value))
	if len(key) < minLookupKeyBytes {
		return nil, fmt.Errorf("email lookup key secret %s: its value has %d bytes, need at least %d random bytes", arn, len(key), minLookupKeyBytes)
	}
	return key, nil
}

// SubmitRequest builds the SubmitRequestFunction handler (TABLE_NAME, STATE_MACHINE_ARN,
// PUBLIC_BASE_URL, LOOKUP_KEY_SECRET_ARN).
func SubmitRequest(ctx context.Context, env lambdaenv.Env) (handler.SubmitRequest, error) {
	s := env.Store()
	h := handler.SubmitRequest{
		Store: lambdaenv.StoreOps{
			CreateRequestOp: s.CreateRequest, GetIdempotencyOp: s.GetIdempotency,
			PutIdempotencyOp: s.PutIdempotency, PutLinkCodeOp: s.PutLinkCode,
			ListRequestsByStatusOp: s.ListRequestsByStatus,
		},
		Workflow:      env.WorkflowStarter(),
		PublicBaseURL: env.PublicBaseURL(),
		Clock:         env.Clock,
		Logger:        env.Log(),
	}
	key, err := LookupKey(ctx, &env)
	h.LookupKey = key
	return lambdaenv.Built(h, env.Done(FunctionSubmitRequest, lambdaenv.CheckBaseURL(h.PublicBaseURL), err))
}

// StaffApi builds the StaffApiFunction handler (TABLE_NAME, FOUR_EYES_LIMITS, LOOKUP_KEY_SECRET_ARN).
func StaffApi(ctx context.Context, env lambdaenv.Env) (handler.StaffApi, error) {
	s := env.Store()
	store := lambdaenv.StoreOps{
		ListRequestsByStatusOp: s.ListRequestsByStatus, FindRequestsOp: s.FindRequests, CountRequestsByStatusOp: s.CountRequestsByStatus, GetRequestOp: s.GetRequest,
		GetOrderOp: s.GetOrder, ListOffersOp: s.ListOffers, GetOfferOp: s.GetOffer, GetConsentOp: s.GetConsent,
		ListOrderRefundsOp: s.ListOrderRefunds, GetCreditOp: s.GetCredit,
		GetFeedbackOp: s.GetFeedback, ListAuditOp: s.ListAudit, TransitionOp: s.Transition,
		DecideOp: s.Decide, ProposeReviewOp: s.ProposeReview, GetTaskTokenOp: s.GetTaskToken, LastChangeOp: s.LastChange,
		AppendAuditOp: s.AppendAudit, GetRequestAndTokenOp: s.GetRequestAndToken,
		ClearResumeOp: s.ClearResume, PutOrderOp: s.PutOrder, ListFeedbackOp: s.ListFeedback,
	}
	limits, err := env.FourEyesLimits()
	key, kerr := LookupKey(ctx, &env)
	h := handler.StaffApi{Store: store, Waits: env.TaskCompleter(), LookupKey: key, FourEyesLimits: limits, Logger: env.Log()}
	return lambdaenv.Built(h, env.Done(FunctionStaffApi, err, kerr))
}
