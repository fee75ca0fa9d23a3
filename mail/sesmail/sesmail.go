// Package sesmail sends mail's rendered messages through Amazon SES v2.
//
// It is apart from package mail, which renders the emails, because the handler package imports mail
// and so every function would link, and initialise at each cold start, the SES client (about 4 ms on
// the benchmark machine; see BENCHMARKS.md, "Cold start"). Only the functions that send email import
// this package.
package sesmail

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"refundflow/mail"
)

// Sender sends rendered messages (mail.Message) through Amazon SES v2 (or anything speaking its API, such as the local
// stack's outbox, reached through the client's BaseEndpoint).
type Sender struct {
	// SES is the injected client.
	SES *sesv2.Client
	// From is the verified sender, e.g. "Northwind Refunds <refunds@example.com>".
	From string
	// StaffTo receives staff notifications whose Message.To is empty.
	StaffTo []string
	// ReplyTo, if set, is where client replies go (for example the support address).
	ReplyTo []string
	// ConfigurationSet is the SES configuration set (event publishing, suppression); optional.
	ConfigurationSet string
}

// charset is declared on every part so that names like "Zoë" and "–" arrive intact.
const charset = "UTF-8"

// Send sends msg as one email with a text and an HTML part and returns SES's message id. Recipients are
// msg.To, or StaffTo for a staff notification without recipients. The email carries an SES tag
// "kind" with the message kind, for event publishing and the local outbox.
//
// Errors never contain the recipients or SES's own message (which can quote addresses): only the kind
// and the API error code, with the SDK error available through errors.As.
func (s *Sender) Send(ctx context.Context, msg mail.Message) (string, error) {
	to := msg.To
	if len(to) == 0 && msg.Kind.Staff() {
		to = s.StaffTo
	}
	switch {
	case s.SES == nil || strings.TrimSpace(s.From) == "":
		return "", fmt.Errorf("send %s email: sender needs an SES client and a From address", msg.Kind)
	case len(to) == 0:
		return "", fmt.Errorf("send %s email: no recipients", msg.Kind)
	case msg.Subject == "" || msg.Text == "" || msg.HTML == "":
		return "", fmt.Errorf("send %s email: message is not rendered (empty subject, text or HTML)", msg.Kind)
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.From),
		Destination:      &types.Destination{ToAddresses: to},
		ReplyToAddresses: s.ReplyTo,
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(msg.Subject), Charset: aws.String(charset)},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String(msg.Text), Charset: aws.String(charset)},
				Html: &types.Content{Data: aws.String(msg.HTML), Charset: aws.String(charset)},
			},
		}},
	}
	// SES v2 takes attachments on Simple content (since sesv2 v1.45.0, April 2025) and builds the MIME
	// message itself, so no raw MIME is written here.
	for _, a := range msg.Attachments {
		in.Content.Simple.Attachments = append(in.Content.Simple.Attachments, types.Attachment{
			FileName: aws.String(a.FileName), ContentType: aws.String(a.ContentType), RawContent: a.Data,
			ContentDisposition:      types.AttachmentContentDispositionAttachment,
			ContentTransferEncoding: types.AttachmentContentTransferEncodingBase64,
		})
	}
	if msg.Kind != "" {
		in.EmailTags = []types.MessageTag{{Name: aws.String("kind"), Value: aws.String(string(msg.Kind))}}
	}
	if s.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.ConfigurationSet)
	}
	out, err := s.SES.SendEmail(ctx, in)
	if err != nil {
		return "", &SendError{Kind: msg.Kind, Err: err}
	}
	return aws.ToString(out.MessageId), nil
}

// SendError is a failed send. Its message names the kind and the SES error code only, because SES
// error messages can quote email addresses and errors end up in logs.
type SendError struct {
	// Kind is the message's kind.
	Kind mail.Kind
	// Err is the SDK's error.
	Err error
}

// Error names the kind and the SES error code (or "no response" when SES was not reached).
func (e *SendError) Error() string {
	var api smithy.APIError
	if errors.As(e.Err, &api) {
		return fmt.Sprintf("send %s email: SES %s", e.Kind, api.ErrorCode())
	}
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return fmt.Sprintf("send %s email: timed out", e.Kind)
	}
	if errors.Is(e.Err, context.Canceled) {
		return fmt.Sprintf("send %s email: cancelled", e.Kind)
	}
	return fmt.Sprintf("send %s email: no response from SES", e.Kind)
}

// Unwrap returns the SDK's error.
func (e *SendError) Unwrap() error { return e.Err }
