// Package remote gives a function what another function does for it, invoked synchronously through
// Lambda's Invoke (awsenv/lambdainvoke): the signed agreement's PDF (AgreementPdfFunction, for
// Notify) and the emails of StaffApi and StripeWebhook (SendMailFunction). Each keeps a library out
// of the caller's bootstrap — the PDF library, the email templates and SES — at the price of one
// more Lambda invocation where it is used; see handler.AgreementPdf and handler.SendMail. It imports
// neither agreementpdf nor the SES client, and neither may it.
package remote

import (
	"context"
	"errors"
	"fmt"

	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/lambdainvoke"
	"refundflow/handler"
	"refundflow/mail"
	"refundflow/refund"
)

// AgreementPDF requires AGREEMENT_PDF_FUNCTION and returns NotifyFunction's maker of the signed
// agreement's PDF: AgreementPdfFunction (its live alias). What cannot reach the function wraps
// handler.ErrAgreementUnavailable, so Notify's step is retried; an error the function itself returns
// (it cannot make this PDF) does not.
func AgreementPDF(env *lambdaenv.Env) handler.AgreementPDF {
	fn := client(env, lambdaenv.VarAgreementPdfFunction)
	return func(ctx context.Context, company refund.Company, consent refund.Consent, orderNumber, policyVersion string) ([]byte, string, error) {
		in := handler.AgreementPdfInput{Company: company, Consent: consent, OrderNumber: orderNumber, PolicyVersion: policyVersion}
		out, err := lambdainvoke.Call[handler.AgreementPdfInput, handler.AgreementPdfOutput](ctx, fn, in)
		if errors.Is(err, lambdainvoke.ErrUnavailable) {
			return nil, "", fmt.Errorf("agreement of request %s: %w: %w", consent.RequestID, handler.ErrAgreementUnavailable, err)
		}
		if err != nil {
			return nil, "", fmt.Errorf("agreement of request %s: %w", consent.RequestID, err)
		}
		if len(out.PDF) == 0 {
			return nil, "", fmt.Errorf("agreement of request %s: %s answered no PDF", consent.RequestID, fn.Function)
		}
		return out.PDF, out.FileName, nil
	}
}

// Mail requires SEND_MAIL_FUNCTION and returns the mail delivery of StaffApi and StripeWebhook:
// SendMailFunction (its live alias) writes and sends each email. The caller keeps the once-only
// bookkeeping (handler.Emails' markers), so a failed call releases its claim and is made again like
// any failed send.
func Mail(env *lambdaenv.Env) handler.MailDelivery {
	return mailer{fn: client(env, lambdaenv.VarSendMailFunction)}
}

type mailer struct{ fn lambdainvoke.Client }

func (m mailer) Deliver(ctx context.Context, kind mail.Kind, data mail.Data) (string, error) {
	out, err := lambdainvoke.Call[handler.SendMailInput, handler.SendMailOutput](ctx, m.fn, handler.SendMailInput{Kind: kind, Data: data})
	if err != nil {
		return "", fmt.Errorf("send the %s email: %w", kind, err)
	}
	return out.Subject, nil
}

func client(env *lambdaenv.Env, variable string) lambdainvoke.Client {
	return lambdainvoke.Client{Function: env.Require(variable), Endpoint: env.Endpoints.Lambda, Config: env.AWS}
}
