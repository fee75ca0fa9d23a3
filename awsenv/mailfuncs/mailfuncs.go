// Package mailfuncs builds the workflow steps that send email: RequestStaffReview, RequestConsent and
// Notify. Beside the table they send through SES v2, so only these functions link that client.
package mailfuncs

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"refundflow/awsenv/lambdaenv"
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
// email the signed agreement AgreementPdfFunction makes (see agreementByLambda).
func Notify(_ context.Context, env lambdaenv.Env) (handler.Notify, error) {
	s := env.Store()
	store := lambdaenv.StoreOps{
		GetRequestOp: s.GetRequest, GetOrderOp: s.GetOrder, GetConsentOp: s.GetConsent,
		GetOfferOp: s.GetOffer, GetRefundOp: s.GetRefund, ListAuditOp: s.ListAudit,
		PutLinkCodeOp: s.PutLinkCode,
	}
	emails, err := Emails(&env, s, true)
	company, _ := env.Company() // its problems are Emails's
	h := handler.Notify{Store: store, Emails: emails, Clock: env.Clock, Logger: env.Log(), AgreementPDF: agreementByLambda(&env), Company: company}
	return lambdaenv.Built(h, env.Done(FunctionNotify, err))
}

// SES returns an SES v2 client on env's configuration and endpoint override.
func SES(env *lambdaenv.Env) *sesv2.Client {
	ep := env.Endpoints.SES
	return sesv2.NewFromConfig(env.AWS, func(o *sesv2.Options) {
		if ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
}

// Emails requires PUBLIC_BASE_URL, MAIL_FROM, MAIL_CONFIGURATION_SET and the company's identity
// (lambdaenv.Env.Company) (and
// STAFF_EMAIL when staff is true) and returns the renderer and SES sender on store's mail markers.
// The configuration set is required, not optional: without it SES would send, and nobody would
// hear of the emails that bounce.
func Emails(env *lambdaenv.Env, store *dynamo.Store, staff bool) (handler.Emails, error) {
	base := env.PublicBaseURL()
	from := env.Require(lambdaenv.VarMailFrom)
	configurationSet := env.Require(lambdaenv.VarMailConfigurationSet)
	company, companyErr := env.Company()
	var staffTo []string
	if staff {
		staffTo = env.StaffEmails()
	}
	r := &mail.Renderer{Company: company.Name, SupportEmail: company.SupportEmail, Address: company.Address, PolicyURL: company.PolicyURL}
	if companyErr != nil {
		return handler.Emails{}, companyErr
	}
	if base != "" {
		links, err := mail.NewLinks(base)
		if err != nil {
			return handler.Emails{}, err
		}
		r.Links = links
	}
	markers := lambdaenv.StoreOps{
		ClaimMailOp: store.ClaimMail, MarkMailSentOp: store.MarkMailSent,
		ReleaseMailOp: store.ReleaseMail,
	}
	return handler.Emails{Store: markers, Renderer: r, Sender: mailer((&sesmail.Sender{SES: SES(env), From: from, StaffTo: staffTo, ConfigurationSet: configurationSet}).Send)}, nil
}

// mailer hands the handlers sesmail.Sender's Send as a method value: a *sesmail.Sender in the
// handler.Mailer interface would keep all ~110 SES operations of its client in the binary (see
// lambdaenv.Env.WorkflowStarter).
type mailer func(context.Context, mail.Message) (string, error)

// Send sends one email.
func (m mailer) Send(ctx context.Context, msg mail.Message) (string, error) { return m(ctx, msg) }
