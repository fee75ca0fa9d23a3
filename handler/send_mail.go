package handler

import (
	"context"

	"refundflow/mail"
)

// SendMail is the SendMailFunction Lambda function: it writes one email and sends it, for StaffApi
// (its replies to clients' questions) and StripeWebhook (refunds that failed later, disputes), which
// invoke it synchronously. Neither then links the email templates nor SES: the templates' reflection
// keeps every exported method of the types a binary puts in interfaces, which with Stripe's types put
// both over the 12 MB every bootstrap must stay under (issue 14). The caller keeps the bookkeeping that
// sends each email once (Emails' markers), so this function only writes and sends: a call that
// failed is made again by the caller's retry, like a failed send.
type SendMail struct {
	// Delivery renders and sends.
	Delivery RenderAndSend
}

// SendMailInput is the email to write: its kind and the data its templates read. It carries personal
// data (names, addresses, what a client wrote), so it is never logged.
type SendMailInput struct {
	Kind mail.Kind `json:"kind"`
	Data mail.Data `json:"data"`
}

// SendMailOutput is the subject the email went out with, for the caller's record of emails sent.
type SendMailOutput struct {
	Subject string `json:"subject"`
}

// Handle writes and sends the email; an unknown kind or missing data is the renderer's refusal.
func (h SendMail) Handle(ctx context.Context, in SendMailInput) (SendMailOutput, error) {
	subject, err := h.Delivery.Deliver(ctx, in.Kind, in.Data)
	if err != nil {
		return SendMailOutput{}, err
	}
	return SendMailOutput{Subject: subject}, nil
}
