package mail_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"

	"refundflow/awsenv/httpclient"
	"refundflow/infra/local/outbox"
	"refundflow/mail"
	"refundflow/mail/sesmail"
)

// sesStandIn is a tiny SES v2 endpoint that keeps the raw SendEmail request bodies (to check the exact
// request shape, charsets included, which the outbox does not keep) or answers with a configured error
// (which the outbox cannot be told to do). Everything else runs against the local stack's outbox.
type sesStandIn struct {
	mu       sync.Mutex
	received []sendEmailBody
	fail     string // SES error code to answer with, e.g. "MessageRejected"
}

// sendEmailBody is the part of the SendEmail request body the tests look at.
type sendEmailBody struct {
	FromEmailAddress string
	ReplyToAddresses []string
	Destination      struct{ ToAddresses, CcAddresses, BccAddresses []string }
	Content          struct {
		Simple struct {
			Subject struct{ Data, Charset string }
			Body    struct {
				Text, Html struct{ Data, Charset string }
			}
		}
	}
	EmailTags            []struct{ Name, Value string }
	ConfigurationSetName string
}

func (s *sesStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v2/email/outbound-emails" {
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		return
	}
	var body sendEmailBody
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != "" {
		w.Header().Set("X-Amzn-ErrorType", s.fail)
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"message":"Email address is not verified. The following identities failed the check: %s"}`,
			strings.Join(body.Destination.ToAddresses, ", "))
		return
	}
	s.received = append(s.received, body)
	fmt.Fprintf(w, `{"MessageId":"msg-%d"}`, len(s.received))
}

func newSender(t *testing.T) (*sesmail.Sender, *sesStandIn) {
	t.Helper()
	stand := &sesStandIn{}
	return senderFor(t, stand), stand
}

// testAWS is the AWS configuration of the tests' senders.
var testAWS = aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), HTTPClient: httpclient.New(nil)}

// senderFor returns a Sender that talks to h in an httptest server.
func senderFor(t *testing.T, h http.Handler) *sesmail.Sender {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &sesmail.Sender{
		AWS:              testAWS,
		Endpoint:         srv.URL,
		From:             "Northwind Refunds <refunds@northwind.example>",
		StaffTo:          []string{"refund-team@northwind.example"},
		ReplyTo:          []string{"support@northwind.example"},
		ConfigurationSet: "refundflow",
	}
}

// Every email, sent through the real client to the local stack's SES outbox, arrives whole: the right
// recipients, subject, both parts, the kind tag, and links on the public base URL.
func TestSendThroughLocalOutbox(t *testing.T) {
	box := outbox.New()
	sender := senderFor(t, box.SESHandler())
	r := renderer(t)
	for _, s := range samples() {
		msg, err := r.Render(s.kind, s.data)
		if err != nil {
			t.Fatal(err)
		}
		id, err := sender.Send(context.Background(), msg)
		if err != nil {
			t.Fatalf("%s: send: %v", s.name, err)
		}
		got, err := box.Wait(context.Background(), func(m outbox.Message) bool { return m.ID == id })
		if err != nil {
			t.Fatalf("%s: not in the outbox: %v", s.name, err)
		}
		wantTo := msg.To
		if s.kind.Staff() {
			wantTo = sender.StaffTo
		}
		if fmt.Sprint(got.To) != fmt.Sprint(wantTo) || got.Subject != msg.Subject || got.Text != msg.Text || got.HTML != msg.HTML {
			t.Errorf("%s: outbox has to=%v subject=%q, want to=%v subject=%q (and identical bodies)", s.name, got.To, got.Subject, wantTo, msg.Subject)
		}
		if got, want := got.Tags["kind"], string(s.kind); got != want {
			t.Errorf("%s: kind tag = %q, want %q", s.name, got, want)
		}
		if len(got.Links) == 0 {
			t.Errorf("%s: the outbox found no links", s.name)
		}
		for _, l := range got.Links {
			if !strings.HasPrefix(l, base+"/") {
				t.Errorf("%s: link %q is not on %s", s.name, l, base)
			}
		}
	}
	if got, want := len(box.Messages()), len(samples()); got != want {
		t.Errorf("outbox holds %d messages, want %d", got, want)
	}
}

func TestSendClientEmail(t *testing.T) {
	sender, stand := newSender(t)
	msg, err := renderer(t).Render(mail.KindOffers, samples()[1].data)
	if err != nil {
		t.Fatal(err)
	}
	id, err := sender.Send(context.Background(), msg)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if got, want := id, "msg-1"; got != want {
		t.Errorf("message id = %q, want %q", got, want)
	}
	if got, want := len(stand.received), 1; got != want {
		t.Fatalf("emails received = %d, want %d", got, want)
	}
	got := stand.received[0]
	simple := got.Content.Simple
	for _, tt := range []struct{ name, got, want string }{
		{"From", got.FromEmailAddress, "Northwind Refunds <refunds@northwind.example>"},
		{"To", strings.Join(got.Destination.ToAddresses, ","), "zoe.mueller@example.com"},
		{"Cc+Bcc", strings.Join(append(got.Destination.CcAddresses, got.Destination.BccAddresses...), ","), ""},
		{"ReplyTo", strings.Join(got.ReplyToAddresses, ","), "support@northwind.example"},
		{"Subject", simple.Subject.Data, msg.Subject},
		{"Subject charset", simple.Subject.Charset, "UTF-8"},
		{"Text", simple.Body.Text.Data, msg.Text},
		{"Text charset", simple.Body.Text.Charset, "UTF-8"},
		{"Html", simple.Body.Html.Data, msg.HTML},
		{"Html charset", simple.Body.Html.Charset, "UTF-8"},
		{"ConfigurationSetName", got.ConfigurationSetName, "refundflow"},
		{"EmailTags", fmt.Sprint(got.EmailTags), "[{kind offers}]"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if !strings.Contains(simple.Body.Text.Data, "Zoë Müller") {
		t.Error("the non-ASCII name did not arrive intact")
	}
}

func TestSendStaffNotificationGoesToStaff(t *testing.T) {
	sender, stand := newSender(t)
	msg, err := renderer(t).Render(mail.KindStaffNeedsAttention, samples()[len(samples())-1].data)
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.To) != 0 {
		t.Fatalf("staff message has recipients %v before sending", msg.To)
	}
	if _, err := sender.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(stand.received[0].Destination.ToAddresses, ","), "refund-team@northwind.example"; got != want {
		t.Errorf("To = %q, want %q", got, want)
	}
}

func TestSendRefusals(t *testing.T) {
	sender, stand := newSender(t)
	msg, err := renderer(t).Render(mail.KindReceived, sampleData())
	if err != nil {
		t.Fatal(err)
	}
	noTo := msg
	noTo.To = nil
	if _, err := sender.Send(context.Background(), noTo); err == nil {
		t.Error("a client email without recipients was sent")
	}
	if _, err := sender.Send(context.Background(), mail.Message{Kind: mail.KindReceived, To: []string{"a@example.com"}}); err == nil {
		t.Error("an unrendered message was sent")
	}
	noFrom := *sender
	noFrom.From = ""
	if _, err := noFrom.Send(context.Background(), msg); err == nil {
		t.Error("a sender without From sent")
	}
	if got := len(stand.received); got != 0 {
		t.Errorf("SES received %d emails", got)
	}
}

// An SES error comes back as *sesmail.SendError naming the kind and SES's error code, without the
// recipient's address that SES's message quotes.
func TestSendErrorKeepsAddressesOutOfLogs(t *testing.T) {
	sender, stand := newSender(t)
	stand.fail = "MessageRejected"
	msg, err := renderer(t).Render(mail.KindReceived, sampleData())
	if err != nil {
		t.Fatal(err)
	}
	_, err = sender.Send(context.Background(), msg)
	var se *sesmail.SendError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want *sesmail.SendError", err)
	}
	if got, want := err.Error(), "send received email: SES MessageRejected"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "MessageRejected" {
		t.Errorf("the SDK's API error is not in the chain of %v", err)
	}
	if strings.Contains(err.Error(), "zoe.mueller") {
		t.Errorf("error %q contains the recipient", err)
	}
}

// TestSendAttachmentThroughLocalOutbox: sesmail sends Data.Attachments as SES v2 Simple content's
// attachments; the outbox keeps the file byte for byte with its name and type.
func TestSendAttachmentThroughLocalOutbox(t *testing.T) {
	box := outbox.New()
	sender := senderFor(t, box.SESHandler())
	d := sampleData()
	d.Offer = &partialRefund
	pdf := []byte("%PDF-1.3\n\x00\x01\xff binary")
	d.Attachments = []mail.Attachment{{FileName: "agreement-RF-2025-0042.pdf", ContentType: "application/pdf", Data: pdf}}
	msg, err := renderer(t).Render(mail.KindCompleted, d)
	if err != nil {
		t.Fatal(err)
	}
	id, err := sender.Send(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := box.Wait(context.Background(), func(m outbox.Message) bool { return m.ID == id })
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Attachments) != 1 || got.Attachments[0].FileName != "agreement-RF-2025-0042.pdf" ||
		got.Attachments[0].ContentType != "application/pdf" || string(got.Attachments[0].Data) != string(pdf) {
		t.Errorf("outbox attachments = %+v", got.Attachments)
	}
}
