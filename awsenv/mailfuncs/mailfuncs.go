// Package mailfuncs builds the functions that send email: the workflow steps RequestStaffReview,
// RequestConsent and Notify, and SendMail, which StaffApi and StripeWebhook invoke for theirs. Beside
// the table they send through SES v2, so only these functions link that client and the templates.
package mailfuncs

import (
	"context"

	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/remote"
	"refundflow/dynamo"
	"refundflow/handler"
	"refundflow/mail"
	"refundflow/mail/sesmail"
)

// The logical IDs of the functions built here, as template.yaml names them.
const (
	FunctionRequestStaffReview = "RequestStaffReviewFunction"
	FunctionRequestConsent     = "RequestConsentFunction"
	FunctionNotify             = "NotifyFunction"
	FunctionSendMail           = "SendMailFunction"
)

// RequestStaffReview builds the RequestStaffReviewFunction handler (TABLE_NAME, PUBLIC_BASE_URL,
// MAIL_FROM, MAIL_CONFIGURATION_SET, STAFF_EMAIL, COMPANY_*).
func RequestStaffReview(_ context.Context, env lambdaenv.Env) (handler.RequestStaffReview, error) {
	s := env.Store()
	store := lambdaenv.StoreOps{
		GetRequestOp: s.GetRequest, GetOrderOp: s.GetOrder, ListOrderCreditsOp: s.ListOrderCredits,
		ListOffersOp: s.ListOffers, SetTaskTokenOp: s.SetTaskToken, GetResumeOp: s.GetResume,
		ClearResumeOp: s.ClearResume,
	}
	emails, err := Emails(&env, s, true)
	h := handler.RequestStaffReview{Store: store, Waits: env.TaskCompleter(), Emails: emails, Logger: env.Log()}
	return lambdaenv.Built(h, env.Done(FunctionRequestStaffReview, err))
}

// RequestConsent builds the RequestConsentFunction handler (TABLE_NAME, PUBLIC_BASE_URL, MAIL_FROM,
// MAIL_CONFIGURATION_SET, COMPANY_*).
func RequestConsent(_ context.Context, env lambdaenv.Env) (handler.RequestConsent, error) {
	s := env.Store()
	store := lambdaenv.StoreOps{
		GetRequestOp: s.GetRequest, GetOrderOp: s.GetOrder, ListOffersOp: s.ListOffers,
		TransitionOp: s.Transition, SetTaskTokenOp: s.SetTaskToken, PutLinkCodeOp: s.PutLinkCode,
	}
	emails, err := Emails(&env, s, false)
	h := handler.RequestConsent{Store: store, Waits: env.TaskCompleter(), Emails: emails, Clock: env.Clock, Logger: env.Log()}
	return lambdaenv.Built(h, env.Done(FunctionRequestConsent, err))
}

// Notify builds the NotifyFunction handler (TABLE_NAME, PUBLIC_BASE_URL, MAIL_FROM,
// MAIL_CONFIGURATION_SET, STAFF_EMAIL, COMPANY_*, AGREEMENT_PDF_FUNCTION), attaching to the completed
// email the signed agreement AgreementPdfFunction makes (see remote.AgreementPDF).
func Notify(_ context.Context, env lambdaenv.Env) (handler.Notify, error) {
	s := env.Store()
	store := lambdaenv.StoreOps{
		GetRequestOp: s.GetRequest, GetOrderOp: s.GetOrder, GetConsentOp: s.GetConsent,
		GetOfferOp: s.GetOffer, GetRefundOp: s.GetRefund, ListAuditOp: s.ListAudit,
		PutLinkCodeOp: s.PutLinkCode,
	}
	emails, err := Emails(&env, s, true)
	company, _ := env.Company() // its problems are Emails's
	h := handler.Notify{Store: store, Emails: emails, Clock: env.Clock, Logger: env.Log(), AgreementPDF: remote.AgreementPDF(&env), Company: company}
	return lambdaenv.Built(h, env.Done(FunctionNotify, err))
}

// Emails requires what Delivery requires and returns it on store's mail markers (lambdaenv.MailMarkers).
func Emails(env *lambdaenv.Env, store *dynamo.Store, staff bool) (handler.Emails, error) {
	d, err := Delivery(env, staff)
	return handler.Emails{Store: lambdaenv.MailMarkers(store), Delivery: d}, err
}

// Delivery requires PUBLIC_BASE_URL, MAIL_FROM, MAIL_CONFIGURATION_SET and the company's identity
// (lambdaenv.Env.Company) (and STAFF_EMAIL when staff is true) and returns the renderer and SES
// sender. The configuration set is required, not optional: without it SES would send, and nobody
// would hear of the emails that bounce.
func Delivery(env *lambdaenv.Env, staff bool) (handler.RenderAndSend, error) {
	base := env.PublicBaseURL()
	from := env.Require(lambdaenv.VarMailFrom)
	configurationSet := env.Require(lambdaenv.VarMailConfigurationSet)
	company, companyErr := env.Company()
	var staffTo []string
	if staff {
		staffTo = env.StaffEmails()
	}
	r := &mail.Renderer{Company: company.Name, SupportEmail: company.SupportEmail, Address: company.Address, PolicyURL: company.PolicyURL}
	d := handler.RenderAndSend{Renderer: r, Sender: &sesmail.Sender{AWS: env.AWS, Endpoint: env.Endpoints.SES, From: from, StaffTo: staffTo, ConfigurationSet: configurationSet}}
	if companyErr != nil {
		return d, companyErr
	}
	if base != "" {
		links, err := mail.NewLinks(base)
		if err != nil {
			return d, err
		}
		r.Links = links
	}
	return d, nil
}

// SendMail builds the SendMailFunction handler (PUBLIC_BASE_URL, MAIL_FROM, MAIL_CONFIGURATION_SET,
// STAFF_EMAIL, COMPANY_*): it writes and sends the emails of StaffApi and StripeWebhook, which keep
// the bookkeeping in the table, so it needs no table.
func SendMail(_ context.Context, env lambdaenv.Env) (handler.SendMail, error) {
	d, err := Delivery(&env, true)
	return lambdaenv.Built(handler.SendMail{Delivery: d}, env.Done(FunctionSendMail, err))
}
