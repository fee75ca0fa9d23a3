// Package formfuncs builds the functions that serve the client forms: RequestStatus, RecordConsent and
// Feedback. Beside the table they read the CSRF key from Secrets Manager, so only these (and
// ExecuteResolution, for Stripe) link that client.
package formfuncs

import (
	"context"
	"fmt"
	"strings"

	"refundflow/apigw"
	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/secrets"
	"refundflow/handler"
)

// The logical IDs of the functions built here, as template.yaml names them.
const (
	FunctionRequestStatus = "RequestStatusFunction"
	FunctionRecordConsent = "RecordConsentFunction"
	FunctionFeedback      = "FeedbackFunction"
)

// RequestStatus builds the RequestStatusFunction handler (TABLE_NAME, PUBLIC_BASE_URL: an http://
// base means the local stack, whose CSRF cookie cannot be Secure; CSRF_SECRET_ARN).
func RequestStatus(ctx context.Context, env lambdaenv.Env) (handler.RequestStatus, error) {
	s := env.Store()
	store := lambdaenv.StoreOps{
		LookupLinkCodeOp: s.LookupLinkCode, GetRequestOp: s.GetRequest, ListAuditOp: s.ListAudit,
		GetConsentOp: s.GetConsent, GetOfferOp: s.GetOffer, GetOrderOp: s.GetOrder,
		GetRefundOp: s.GetRefund, TransitionOp: s.Transition, GetTaskTokenOp: s.GetTaskToken,
		GetRequestAndTokenOp: s.GetRequestAndToken, ClearResumeOp: s.ClearResume,
	}
	h := handler.RequestStatus{Store: store, Waits: env.TaskCompleter(), Logger: env.Log()}
	base := env.PublicBaseURL()
	csrf, err := CSRF(ctx, &env, base)
	h.CSRF = csrf
	return lambdaenv.Built(h, env.Done(FunctionRequestStatus, lambdaenv.CheckBaseURL(base), err))
}

// RecordConsent builds the RecordConsentFunction handler (TABLE_NAME, PUBLIC_BASE_URL,
// CSRF_SECRET_ARN).
func RecordConsent(ctx context.Context, env lambdaenv.Env) (handler.RecordConsent, error) {
	s := env.Store()
	store := lambdaenv.StoreOps{
		LookupLinkCodeOp: s.LookupLinkCode, GetRequestOp: s.GetRequest, ListOffersOp: s.ListOffers,
		GetOfferOp: s.GetOffer, GetOrderOp: s.GetOrder, GetConsentOp: s.GetConsent,
		RecordConsentOp: s.RecordConsent, AppendAuditOp: s.AppendAudit,
		GetTaskTokenOp: s.GetTaskToken, GetRequestAndTokenOp: s.GetRequestAndToken,
		ClearResumeOp: s.ClearResume,
	}
	h := handler.RecordConsent{Store: store, Waits: env.TaskCompleter(), Logger: env.Log()}
	base := env.PublicBaseURL()
	csrf, err := CSRF(ctx, &env, base)
	h.CSRF = csrf
	return lambdaenv.Built(h, env.Done(FunctionRecordConsent, lambdaenv.CheckBaseURL(base), err))
}

// Feedback builds the FeedbackFunction handler (TABLE_NAME, PUBLIC_BASE_URL, CSRF_SECRET_ARN).
func Feedback(ctx context.Context, env lambdaenv.Env) (handler.Feedback, error) {
	s := env.Store()
	store := lambdaenv.StoreOps{
		LookupLinkCodeOp: s.LookupLinkCode, GetFeedbackOp: s.GetFeedback,
		PutFeedbackOp: s.PutFeedback, AppendAuditOp: s.AppendAudit,
	}
	h := handler.Feedback{Store: store, Logger: env.Log()}
	base := env.PublicBaseURL()
	csrf, err := CSRF(ctx, &env, base)
	h.CSRF = csrf
	return lambdaenv.Built(h, env.Done(FunctionFeedback, lambdaenv.CheckBaseURL(base), err))
}

// CSRF requires CSRF_SECRET_ARN and returns the CSRF configuration signed with the secret's value,
// fetched now (at cold start) so that a missing or unreadable secret stops the function from starting
// instead of failing every form. base is the public base URL: with http:// (the local stack on
// 127.0.0.1) the cookie cannot be Secure, so it loses the __Host- prefix. The secret's value is used
// as the key as it is (template.yaml generates 64 random letters and digits); it must have at least
// apigw.MinCSRFKeyBytes bytes. The value is never logged or put in an error.
func CSRF(ctx context.Context, env *lambdaenv.Env, base string) (apigw.CSRF, error) {
	c := apigw.CSRF{Insecure: strings.HasPrefix(base, "http://")}
	arn := env.Require(lambdaenv.VarCSRFSecretARN)
	if arn == "" {
		return c, nil // reported by Missing
	}
	value, err := secrets.String(ctx, env, "the CSRF secret", arn)
	if err != nil {
		return c, err
	}
	c.Key = []byte(strings.TrimSpace(value))
	if err := c.Validate(); err != nil {
		return apigw.CSRF{}, fmt.Errorf("CSRF secret %s: its value has %d bytes, need at least %d random bytes", arn, len(c.Key), apigw.MinCSRFKeyBytes)
	}
	return c, nil
}
