// Package formfuncs builds the functions that serve the pages behind the client's links:
// RequestStatus, RecordConsent and Feedback. Their forms are protected by checking where a post comes
// from (apigw.CrossOrigin), not by a signed token, so they read no secret (and link no Secrets Manager
// client); the request form's function, which does, is built by submitfuncs.
package formfuncs

import (
	"context"

	"refundflow/agreementpdf"
	"refundflow/awsenv/lambdaenv"
	"refundflow/handler"
)

// The logical IDs of the functions built here, as template.yaml names them.
const (
	FunctionRequestStatus = "RequestStatusFunction"
	FunctionRecordConsent = "RecordConsentFunction"
	FunctionFeedback      = "FeedbackFunction"
)

// RequestStatus builds the RequestStatusFunction handler (TABLE_NAME, PUBLIC_BASE_URL, SITE_ORIGINS, COMPANY_*).
func RequestStatus(_ context.Context, env lambdaenv.Env) (handler.RequestStatus, error) {
	s := env.Store()
	store := lambdaenv.StoreOps{
		LookupLinkCodeOp: s.LookupLinkCode, GetRequestOp: s.GetRequest, ListAuditOp: s.ListAudit,
		GetConsentOp: s.GetConsent, GetOfferOp: s.GetOffer, ListOffersOp: s.ListOffers, GetOrderOp: s.GetOrder,
		GetRefundOp: s.GetRefund, TransitionOp: s.Transition, GetTaskTokenOp: s.GetTaskToken,
		GetRequestAndTokenOp: s.GetRequestAndToken, ClearResumeOp: s.ClearResume,
		ListThreadOp: s.ListThread, AddQuestionOp: s.AddQuestion,
	}
	h := handler.RequestStatus{Store: store, Waits: env.TaskCompleter(), AgreementPDF: agreementpdf.ForHandler, Logger: env.Log()}
	base := env.PublicBaseURL()
	origins, err := env.CrossOrigin(base)
	h.CrossOrigin = origins
	return lambdaenv.Built(h, env.Done(FunctionRequestStatus, lambdaenv.CheckBaseURL(base), err, env.Pages()))
}

// RecordConsent builds the RecordConsentFunction handler (TABLE_NAME, PUBLIC_BASE_URL, SITE_ORIGINS, COMPANY_*).
func RecordConsent(_ context.Context, env lambdaenv.Env) (handler.RecordConsent, error) {
	s := env.Store()
	store := lambdaenv.StoreOps{
		LookupLinkCodeOp: s.LookupLinkCode, GetRequestOp: s.GetRequest, ListOffersOp: s.ListOffers,
		GetOfferOp: s.GetOffer, GetOrderOp: s.GetOrder, GetConsentOp: s.GetConsent,
		RecordConsentOp: s.RecordConsent, AppendAuditOp: s.AppendAudit,
		GetTaskTokenOp: s.GetTaskToken, GetRequestAndTokenOp: s.GetRequestAndToken,
		ClearResumeOp: s.ClearResume,
	}
	h := handler.RecordConsent{Store: store, Waits: env.TaskCompleter(), Logger: env.Log(), AgreementPDF: agreementpdf.ForHandler, Clock: s.Now}
	base := env.PublicBaseURL()
	origins, err := env.CrossOrigin(base)
	h.CrossOrigin = origins
	return lambdaenv.Built(h, env.Done(FunctionRecordConsent, lambdaenv.CheckBaseURL(base), err, env.Pages()))
}

// Feedback builds the FeedbackFunction handler (TABLE_NAME, PUBLIC_BASE_URL, SITE_ORIGINS, COMPANY_*).
func Feedback(_ context.Context, env lambdaenv.Env) (handler.Feedback, error) {
	s := env.Store()
	store := lambdaenv.StoreOps{
		LookupLinkCodeOp: s.LookupLinkCode, GetFeedbackOp: s.GetFeedback,
		PutFeedbackOp: s.PutFeedback, AppendAuditOp: s.AppendAudit,
		GetSignedAgreementOp: s.GetSignedAgreement,
	}
	h := handler.Feedback{Store: store, Logger: env.Log()}
	base := env.PublicBaseURL()
	origins, err := env.CrossOrigin(base)
	h.CrossOrigin = origins
	return lambdaenv.Built(h, env.Done(FunctionFeedback, lambdaenv.CheckBaseURL(base), err, env.Pages()))
}
