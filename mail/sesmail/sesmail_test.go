package sesmail_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"refundflow/awsenv/httpclient"
	"refundflow/mail"
	"refundflow/mail/sesmail"
)

// capture is an SES endpoint that keeps every request and answers from a script: one answer per
// attempt, the last one repeated.
type capture struct {
	mu       sync.Mutex
	requests []captured
	script   []answer
}

type captured struct {
	method, path, contentType, authorization string
	body                                     []byte
}

type answer struct {
	status int
	code   string // X-Amzn-ErrorType
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.requests = append(c.requests, captured{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), body})
	a := answer{status: http.StatusOK}
	if len(c.script) > 0 {
		a = c.script[min(len(c.requests), len(c.script))-1]
	}
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if a.status != http.StatusOK {
		w.Header().Set("X-Amzn-ErrorType", a.code+":http://internal.amazon.com/coral/com.amazonaws.sesv2/")
		w.WriteHeader(a.status)
		fmt.Fprint(w, `{"message":"The following identities failed the check: zoe@example.com"}`)
		return
	}
	fmt.Fprint(w, `{"MessageId":"0100018f-msg"}`)
}

func (c *capture) attempts() []captured {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]captured(nil), c.requests...)
}

// config is both clients' configuration: the retryer without its pauses, so the retries are fast.
func config() aws.Config {
	return aws.Config{
		Region:      "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "token"),
		HTTPClient:  httpclient.New(nil),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		},
	}
}

var message = mail.Message{
	Kind: mail.KindCompleted, To: []string{"Zoë Müller <zoe@example.com>"}, Subject: "Your refund for order RF-1042 – done",
	Text: "Hello Zoë,\nyour refund is on its way.", HTML: "<p>Hello Zoë,</p><p>your refund is on its way.</p>",
	Attachments: []mail.Attachment{{FileName: "agreement-RF-1042.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.3\n\x00\x01\xff")}},
}

// sdkInput is the SendEmailInput the SDK's client gets for message, field for field what the sender
// puts in its request.
func sdkInput(s *sesmail.Sender) *sesv2.SendEmailInput {
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.From),
		Destination:      &types.Destination{ToAddresses: message.To},
		ReplyToAddresses: s.ReplyTo,
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(message.Subject), Charset: aws.String("UTF-8")},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String(message.Text), Charset: aws.String("UTF-8")},
				Html: &types.Content{Data: aws.String(message.HTML), Charset: aws.String("UTF-8")},
			},
		}},
		EmailTags:            []types.MessageTag{{Name: aws.String("kind"), Value: aws.String(string(message.Kind))}},
		ConfigurationSetName: aws.String(s.ConfigurationSet),
	}
	for _, a := range message.Attachments {
		in.Content.Simple.Attachments = append(in.Content.Simple.Attachments, types.Attachment{
			FileName: aws.String(a.FileName), ContentType: aws.String(a.ContentType), RawContent: a.Data,
			ContentDisposition:      types.AttachmentContentDispositionAttachment,
			ContentTransferEncoding: types.AttachmentContentTransferEncodingBase64,
		})
	}
	return in
}

// both sends message once through the sender and once through the SDK's sesv2 client, each to its
// own endpoint answering from script, and returns what each endpoint saw and each client's error.
func both(t *testing.T, script ...answer) (ours, sdks []captured, ourErr, sdkErr error) {
	t.Helper()
	mine, theirs := &capture{script: script}, &capture{script: script}
	a, b := httptest.NewServer(mine), httptest.NewServer(theirs)
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)
	s := &sesmail.Sender{AWS: config(), Endpoint: a.URL, From: "Northwind Refunds <refunds@northwind.example>",
		ReplyTo: []string{"support@northwind.example"}, ConfigurationSet: "refundflow"}
	_, ourErr = s.Send(context.Background(), message)
	client := sesv2.NewFromConfig(config(), func(o *sesv2.Options) { o.BaseEndpoint = aws.String(b.URL) })
	_, sdkErr = client.SendEmail(context.Background(), sdkInput(s))
	return mine.attempts(), theirs.attempts(), ourErr, sdkErr
}

// TestRequestIsTheSDKs: the sender's SendEmail request is the one the SDK's sesv2 client sends for the
// same message: method, path, content type, the JSON document (attachment in base64, charsets, tag,
// configuration set), and a Signature Version 4 signature for ses in the region.
func TestRequestIsTheSDKs(t *testing.T) {
	ours, sdks, ourErr, sdkErr := both(t)
	if ourErr != nil || sdkErr != nil || len(ours) != 1 || len(sdks) != 1 {
		t.Fatalf("sent %d (%v) and %d (%v) requests, want one each without error", len(ours), ourErr, len(sdks), sdkErr)
	}
	o, s := ours[0], sdks[0]
	if o.method != s.method || o.path != s.path || o.contentType != s.contentType {
		t.Errorf("request %s %s (%s), the SDK's %s %s (%s)", o.method, o.path, o.contentType, s.method, s.path, s.contentType)
	}
	var got, want any
	if err := json.Unmarshal(o.body, &got); err != nil {
		t.Fatalf("our body is not JSON: %v\n%s", err, o.body)
	}
	if err := json.Unmarshal(s.body, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("request body\n%s\nthe SDK's\n%s", o.body, s.body)
	}
	if !strings.Contains(o.authorization, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(o.authorization, "/eu-west-1/ses/aws4_request") {
		t.Errorf("Authorization = %q, want a SigV4 signature for ses in eu-west-1", o.authorization)
	}
}

// TestErrorsAsTheSDKs: an error answer is retried as the SDK's client retries it (same number of
// attempts), and comes back as a *SendError naming the kind and SES's code, with SES's message (which
// quotes an address) out of the text and the code available as a smithy.APIError.
func TestErrorsAsTheSDKs(t *testing.T) {
	for _, tc := range []struct {
		name     string
		script   []answer
		wantCode string // "" for success
	}{
		{"throttled twice, then sent", []answer{{429, "TooManyRequestsException"}, {429, "TooManyRequestsException"}, {200, ""}}, ""},
		{"throttled every time", []answer{{429, "TooManyRequestsException"}}, "TooManyRequestsException"},
		{"unavailable, then sent", []answer{{503, "ServiceUnavailable"}, {200, ""}}, ""},
		{"rejected", []answer{{400, "MessageRejected"}}, "MessageRejected"},
		{"sending paused", []answer{{400, "SendingPausedException"}}, "SendingPausedException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ours, sdks, ourErr, sdkErr := both(t, tc.script...)
			if len(ours) != len(sdks) {
				t.Errorf("%d attempts, the SDK's client made %d", len(ours), len(sdks))
			}
			if (ourErr == nil) != (sdkErr == nil) {
				t.Fatalf("error %v, the SDK's %v", ourErr, sdkErr)
			}
			if tc.wantCode == "" {
				return
			}
			var se *sesmail.SendError
			var api smithy.APIError
			if !errors.As(ourErr, &se) || !errors.As(ourErr, &api) || api.ErrorCode() != tc.wantCode {
				t.Fatalf("error %v, want a *SendError with code %s", ourErr, tc.wantCode)
			}
			var sdkAPI smithy.APIError
			if errors.As(sdkErr, &sdkAPI) && sdkAPI.ErrorCode() != api.ErrorCode() {
				t.Errorf("code %s, the SDK's %s", api.ErrorCode(), sdkAPI.ErrorCode())
			}
			if want := "send completed email: SES " + tc.wantCode; ourErr.Error() != want {
				t.Errorf("error %q, want %q", ourErr, want)
			}
			if strings.Contains(ourErr.Error(), "zoe@") {
				t.Errorf("error %q quotes the recipient", ourErr)
			}
		})
	}
}

// TestNoAnswer: an endpoint that cannot be reached is retried like the SDK retries it and reported
// as no answer.
func TestNoAnswer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	s := &sesmail.Sender{AWS: config(), Endpoint: url, From: "refunds@northwind.example"}
	_, err := s.Send(context.Background(), message)
	if err == nil || err.Error() != "send completed email: no response from SES" {
		t.Errorf("error %v, want no response from SES", err)
	}
}
