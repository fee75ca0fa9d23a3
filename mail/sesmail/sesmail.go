// Package sesmail sends mail's rendered messages through Amazon SES v2's SendEmail.
//
// It is apart from package mail, which renders the emails, because the handler package imports mail
// and so every function would link the sending code. Only the functions that send email import
// this package.
//
// It calls SendEmail itself (awspost: signed with the SDK's Signature Version 4 signer, retried with
// the SDK's standard retry policy) rather than through the SDK's service/sesv2 client, whose package
// initialises the shape schemas of all of SES's ~100 operations at every cold start of every
// function that sends email: 0.7–0.8 ms on the benchmark machine, and 1 MB of each binary, for one
// operation whose wire format is documented
// (https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html). A test checks that the
// request is the one the SDK's client sends for the same message, and that SES's errors come back
// as the SDK would classify them.
package sesmail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"

	"refundflow/awsenv/awspost"
	"refundflow/mail"
)

// Sender sends rendered messages (mail.Message) through Amazon SES v2 (or anything speaking its API,
// such as the local stack's outbox, at Endpoint).
type Sender struct {
	// AWS gives the region, the credentials and the HTTP client.
	AWS aws.Config
	// Endpoint is the SES v2 API's base URL; empty means the region's (email.<region>.amazonaws.com).
	Endpoint string
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
// and the API error code, with the *APIError (a smithy.APIError) available through errors.As.
func (s *Sender) Send(ctx context.Context, msg mail.Message) (string, error) {
	to := msg.To
	if len(to) == 0 && msg.Kind.Staff() {
		to = s.StaffTo
	}
	switch {
	case strings.TrimSpace(s.From) == "":
		return "", fmt.Errorf("send %s email: sender needs a From address", msg.Kind)
	case len(to) == 0:
		return "", fmt.Errorf("send %s email: no recipients", msg.Kind)
	case msg.Subject == "" || msg.Text == "" || msg.HTML == "":
		return "", fmt.Errorf("send %s email: message is not rendered (empty subject, text or HTML)", msg.Kind)
	}
	in := sendEmailInput{
		FromEmailAddress: s.From,
		Destination:      destination{ToAddresses: to},
		ReplyToAddresses: s.ReplyTo,
		Content: emailContent{Simple: message{
			Subject: content{Data: msg.Subject, Charset: charset},
			Body:    body{Text: content{Data: msg.Text, Charset: charset}, HTML: content{Data: msg.HTML, Charset: charset}},
		}},
		ConfigurationSetName: s.ConfigurationSet,
	}
	// SES v2 takes attachments on Simple content (since April 2025) and builds the MIME message
	// itself, so no raw MIME is written here.
	for _, a := range msg.Attachments {
		in.Content.Simple.Attachments = append(in.Content.Simple.Attachments, attachment{
			FileName: a.FileName, ContentType: a.ContentType, RawContent: a.Data,
			ContentDisposition: "ATTACHMENT", ContentTransferEncoding: "BASE64",
		})
	}
	if msg.Kind != "" {
		in.EmailTags = []messageTag{{Name: "kind", Value: string(msg.Kind)}}
	}
	payload, err := json.Marshal(in)
	if err != nil {
		return "", &SendError{Kind: msg.Kind, Err: err}
	}
	id, err := s.send(ctx, payload)
	if err != nil {
		return "", &SendError{Kind: msg.Kind, Err: err}
	}
	return id, nil
}

// send posts a SendEmail request and returns SES's message id, trying again as an SDK client on the
// same configuration would: with its Retryer and RetryMaxAttempts when set, else the SDK's standard
// retryer (3 attempts in all, with jittered exponential backoff, for throttling, 5xx answers and
// connection errors).
func (s *Sender) send(ctx context.Context, payload []byte) (string, error) {
	var retryer aws.Retryer = retry.NewStandard()
	if s.AWS.Retryer != nil {
		retryer = s.AWS.Retryer()
	}
	if s.AWS.RetryMaxAttempts > 0 {
		retryer = retry.AddWithMaxAttempts(retryer, s.AWS.RetryMaxAttempts)
	}
	u := awspost.Endpoint(s.Endpoint, "email", s.AWS.Region) + sendEmailPath
	header := http.Header{"Content-Type": {"application/json"}}
	for attempt := 1; ; attempt++ {
		resp, answer, err := awspost.Post(ctx, s.AWS, "ses", u, header, payload, maxAnswer)
		if err == nil {
			if resp.StatusCode/100 != 2 {
				err = apiError(resp, answer)
			} else {
				var out struct{ MessageId string }
				if err = json.Unmarshal(answer, &out); err == nil {
					return out.MessageId, nil
				}
				return "", fmt.Errorf("read SES's answer: %w", err)
			}
		}
		if ctx.Err() != nil || attempt >= retryer.MaxAttempts() || !retryer.IsErrorRetryable(err) {
			return "", err
		}
		delay, derr := retryer.RetryDelay(attempt, err)
		if derr != nil {
			return "", err
		}
		select {
		case <-ctx.Done():
			return "", err
		case <-time.After(delay):
		}
	}
}

// sendEmailPath is where SES v2's REST-JSON API takes SendEmail.
const sendEmailPath = "/v2/email/outbound-emails"

// maxAnswer bounds what is read of SES's answer (a message id, or an error).
const maxAnswer = 64 << 10

// The SendEmail request, as SES v2's REST-JSON protocol writes it: members by their names, blobs in
// base64, empty members left out.
type (
	sendEmailInput struct {
		FromEmailAddress     string       `json:"FromEmailAddress"`
		Destination          destination  `json:"Destination"`
		ReplyToAddresses     []string     `json:"ReplyToAddresses,omitempty"`
		Content              emailContent `json:"Content"`
		EmailTags            []messageTag `json:"EmailTags,omitempty"`
		ConfigurationSetName string       `json:"ConfigurationSetName,omitempty"`
	}
	destination struct {
		ToAddresses []string `json:"ToAddresses"`
	}
	emailContent struct {
		Simple message `json:"Simple"`
	}
	message struct {
		Subject     content      `json:"Subject"`
		Body        body         `json:"Body"`
		Attachments []attachment `json:"Attachments,omitempty"`
	}
	body struct {
		Text content `json:"Text"`
		HTML content `json:"Html"`
	}
	content struct {
		Data    string `json:"Data"`
		Charset string `json:"Charset"`
	}
	attachment struct {
		FileName                string `json:"FileName"`
		ContentType             string `json:"ContentType"`
		RawContent              []byte `json:"RawContent"`
		ContentDisposition      string `json:"ContentDisposition"`
		ContentTransferEncoding string `json:"ContentTransferEncoding"`
	}
	messageTag struct {
		Name  string `json:"Name"`
		Value string `json:"Value"`
	}
)

// APIError is an error answer of SES: its HTTP status, error code and message. It is a
// smithy.APIError, and has the HTTP status the SDK's retryer looks for, so it is classified as the
// SDK's own errors are (throttling and 5xx answers are retried).
type APIError struct {
	// Status is the answer's HTTP status.
	Status int
	// Code is SES's error code ("MessageRejected", "TooManyRequestsException").
	Code string
	// Message is SES's message, which can quote email addresses: never put it in a log.
	Message string
}

// Error names the code and status only (the message can quote addresses).
func (e *APIError) Error() string { return fmt.Sprintf("SES %s (HTTP %d)", e.Code, e.Status) }

// ErrorCode returns SES's error code.
func (e *APIError) ErrorCode() string { return e.Code }

// ErrorMessage returns SES's message.
func (e *APIError) ErrorMessage() string { return e.Message }

// ErrorFault says whose fault the error is: the server's for a 5xx answer, the caller's otherwise.
func (e *APIError) ErrorFault() smithy.ErrorFault {
	if e.Status >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}

// HTTPStatusCode returns the answer's HTTP status (what the SDK's retryer reads).
func (e *APIError) HTTPStatusCode() int { return e.Status }

// apiError reads an error answer of SES's REST-JSON protocol: the code from the X-Amzn-ErrorType
// header, else from the body's "code" or "__type" (without a namespace or a URI suffix), the
// message from the body's "message" or "Message".
func apiError(resp *http.Response, answer []byte) *APIError {
	var doc struct {
		Code     string `json:"code"`
		Type     string `json:"__type"`
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	_ = json.Unmarshal(answer, &doc) // an unreadable body leaves them empty
	code := resp.Header.Get("X-Amzn-ErrorType")
	for _, c := range []string{doc.Code, doc.Type} {
		if code == "" {
			code = c
		}
	}
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	if code == "" {
		code = http.StatusText(resp.StatusCode)
	}
	return &APIError{Status: resp.StatusCode, Code: code, Message: doc.Message + doc.MessageU}
}

// SendError is a failed send. Its message names the kind and the SES error code only, because SES
// error messages can quote email addresses and errors end up in logs.
type SendError struct {
	// Kind is the message's kind.
	Kind mail.Kind
	// Err is SES's error (*APIError) or why SES did not answer.
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

// Unwrap returns SES's error.
func (e *SendError) Unwrap() error { return e.Err }
