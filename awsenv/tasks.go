package awsenv

import (
	"context"

	"refundflow/dynamo"
	"refundflow/handler"
	"refundflow/mail"
)

// VarCompanyName names the company that signs the emails.
const VarCompanyName = "COMPANY_NAME"

// emails requires PUBLIC_BASE_URL, MAIL_FROM and COMPANY_NAME (and STAFF_EMAIL when staff is true)
// and returns the renderer and SES sender on store's mail markers.
func (e *Env) emails(store *dynamo.Store, staff bool) (handler.Emails, error) {
	base := e.PublicBaseURL()
	from := e.Require(VarMailFrom)
	company := e.Require(VarCompanyName)
	var staffTo []string
	if staff {
		staffTo = e.StaffEmails()
	}
	r := &mail.Renderer{Company: company}
	if base != "" {
		links, err := mail.NewLinks(base)
		if err != nil {
			return handler.Emails{}, err
		}
		r.Links = links
	}
	return handler.Emails{Store: store, Renderer: r, Sender: mailer((&mail.Sender{SES: e.SES(), From: from, StaffTo: staffTo}).Send)}, nil
}

// VerifyConditions builds the VerifyConditionsFunction handler (TABLE_NAME).
func VerifyConditions(ctx context.Context, env Env) (*handler.VerifyConditions, error) {
	h := &handler.VerifyConditions{Store: env.Store(), Logger: env.log()}
	return built(h, env.done("VerifyConditionsFunction"))
}

// ProposeResolution builds the ProposeResolutionFunction handler (TABLE_NAME).
func ProposeResolution(ctx context.Context, env Env) (*handler.ProposeResolution, error) {
	h := &handler.ProposeResolution{Store: env.Store(), Logger: env.log()}
	return built(h, env.done("ProposeResolutionFunction"))
}

// RequestStaffReview builds the RequestStaffReviewFunction handler (TABLE_NAME, PUBLIC_BASE_URL,
// MAIL_FROM, STAFF_EMAIL, COMPANY_NAME).
func RequestStaffReview(ctx context.Context, env Env) (*handler.RequestStaffReview, error) {
	store := env.Store()
	emails, err := env.emails(store, true)
	h := &handler.RequestStaffReview{Store: store, SFN: env.taskCompleter(), Emails: emails, Logger: env.log()}
	return built(h, env.done("RequestStaffReviewFunction", err))
}

// RequestConsent builds the RequestConsentFunction handler (TABLE_NAME, PUBLIC_BASE_URL, MAIL_FROM,
// COMPANY_NAME).
func RequestConsent(ctx context.Context, env Env) (*handler.RequestConsent, error) {
	store := env.Store()
	emails, err := env.emails(store, false)
	h := &handler.RequestConsent{Store: store, SFN: env.taskCompleter(), Emails: emails, Clock: env.Clock, Logger: env.log()}
	return built(h, env.done("RequestConsentFunction", err))
}

// ExecuteResolution builds the ExecuteResolutionFunction handler (TABLE_NAME, PAYMENT_PROVIDER,
// PAYMENT_SECRET_ARN; for Stripe the key is read from Secrets Manager now).
func ExecuteResolution(ctx context.Context, env Env) (*handler.ExecuteResolution, error) {
	store := env.Store()
	gw, err := env.Payment(ctx)
	h := &handler.ExecuteResolution{Store: store, Payment: gw, Logger: env.log()}
	return built(h, env.done("ExecuteResolutionFunction", err))
}

// Notify builds the NotifyFunction handler (TABLE_NAME, PUBLIC_BASE_URL, MAIL_FROM, STAFF_EMAIL,
// COMPANY_NAME).
func Notify(ctx context.Context, env Env) (*handler.Notify, error) {
	store := env.Store()
	emails, err := env.emails(store, true)
	h := &handler.Notify{Store: store, Emails: emails, Clock: env.Clock, Logger: env.log()}
	return built(h, env.done("NotifyFunction", err))
}

// MarkNeedsAttention builds the MarkNeedsAttentionFunction handler (TABLE_NAME).
func MarkNeedsAttention(ctx context.Context, env Env) (*handler.MarkNeedsAttention, error) {
	h := &handler.MarkNeedsAttention{Store: env.Store(), Logger: env.log()}
	return built(h, env.done("MarkNeedsAttentionFunction"))
}

// built returns h, or the zero value with err, so a caller never holds a half-built handler.
func built[H any](h H, err error) (H, error) {
	if err != nil {
		var zero H
		return zero, err
	}
	return h, nil
}
