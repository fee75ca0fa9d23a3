package outbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"refundflow/awsenv/httpclient"
)

// newClient starts the SES endpoint on a loopback port and returns the
// real SDK client pointed at it, as the local stack wires it.
func newClient(t *testing.T, o *Outbox) *sesv2.Client {
	return newClientTB(t, o)
}

func newClientTB(t testing.TB, o *Outbox) *sesv2.Client {
	t.Helper()
	srv := httptest.NewServer(o.SESHandler())
	t.Cleanup(srv.Close)
	return sesv2.New(sesv2.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		HTTPClient:   httpclient.New(nil),
	})
}

func simple(subject, text, htmlBody string) *types.EmailContent {
	body := &types.Body{}
	if text != "" {
		body.Text = &types.Content{Data: aws.String(text), Charset: aws.String("UTF-8")}
	}
	if htmlBody != "" {
		body.Html = &types.Content{Data: aws.String(htmlBody), Charset: aws.String("UTF-8")}
	}
	return &types.EmailContent{Simple: &types.Message{Subject: &types.Content{Data: aws.String(subject)}, Body: body}}
}

func TestSendEmailThroughSDK(t *testing.T) {
	o := New()
	sentAt := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	o.Now = func() time.Time { return sentAt }
	client := newClient(t, o)
	out, err := client.SendEmail(context.Background(), &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("Refunds <refunds@example.com>"),
		Destination: &types.Destination{
			ToAddresses:  []string{"client@example.org"},
			CcAddresses:  []string{"Account Manager <am@example.com>"},
			BccAddresses: []string{"audit@example.com"},
		},
		ReplyToAddresses: []string{"support@example.com"},
		Content: simple("Your refund request R-1 — please confirm",
			"Hello,\nconfirm here: https://refunds.example.com/consent/abc123?lang=en.\nStatus (https://refunds.example.com/requests/R-1).",
			`<p>Hello,</p><p><a href="https://refunds.example.com/consent/abc123?lang=en&amp;x=1">Confirm</a> or see https://refunds.example.com/requests/R-1</p>`),
		EmailTags:            []types.MessageTag{{Name: aws.String("kind"), Value: aws.String("consent")}},
		ConfigurationSetName: aws.String("refundflow"),
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs := o.Messages()
	if len(msgs) != 1 {
		t.Fatalf("outbox has %d messages", len(msgs))
	}
	m := msgs[0]
	if got, want := aws.ToString(out.MessageId), m.ID; got != want || got == "" {
		t.Errorf("MessageId = %q, stored ID %q", got, want)
	}
	want := Message{
		ID:      m.ID,
		From:    "Refunds <refunds@example.com>",
		To:      []string{"client@example.org"},
		Cc:      []string{"Account Manager <am@example.com>"},
		Bcc:     []string{"audit@example.com"},
		ReplyTo: []string{"support@example.com"},
		Subject: "Your refund request R-1 — please confirm",
		Text:    "Hello,\nconfirm here: https://refunds.example.com/consent/abc123?lang=en.\nStatus (https://refunds.example.com/requests/R-1).",
		HTML:    `<p>Hello,</p><p><a href="https://refunds.example.com/consent/abc123?lang=en&amp;x=1">Confirm</a> or see https://refunds.example.com/requests/R-1</p>`,
		Links: []string{
			"https://refunds.example.com/consent/abc123?lang=en",
			"https://refunds.example.com/requests/R-1",
			"https://refunds.example.com/consent/abc123?lang=en&x=1",
		},
		Tags:             map[string]string{"kind": "consent"},
		ConfigurationSet: "refundflow",
		SentAt:           sentAt,
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("stored\n%+v\nwant\n%+v", m, want)
	}
}

func TestSendEmailValidation(t *testing.T) {
	o := New()
	client := newClient(t, o)
	to := &types.Destination{ToAddresses: []string{"client@example.org"}}
	from := aws.String("refunds@example.com")
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprintf("c%d@example.org", i)
	}
	tests := []struct {
		name     string
		in       sesv2.SendEmailInput
		rejected bool // MessageRejected rather than BadRequestException
		want     string
	}{
		{"no from", sesv2.SendEmailInput{Destination: to, Content: simple("s", "t", "")}, false, "FromEmailAddress is required"},
		{"bad from", sesv2.SendEmailInput{FromEmailAddress: aws.String("not an address"), Destination: to, Content: simple("s", "t", "")}, false, "Illegal address in FromEmailAddress"},
		{"no recipients", sesv2.SendEmailInput{FromEmailAddress: from, Content: simple("s", "t", "")}, false, "at least one recipient"},
		{"bad recipient", sesv2.SendEmailInput{FromEmailAddress: from, Destination: &types.Destination{ToAddresses: []string{"client@"}}, Content: simple("s", "t", "")}, false, "Illegal address in ToAddresses"},
		{"too many recipients", sesv2.SendEmailInput{FromEmailAddress: from, Destination: &types.Destination{ToAddresses: many}, Content: simple("s", "t", "")}, true, "Recipient count exceeds 50"},
		{"no body", sesv2.SendEmailInput{FromEmailAddress: from, Destination: to, Content: &types.EmailContent{Simple: &types.Message{Subject: &types.Content{Data: aws.String("s")}, Body: &types.Body{}}}}, false, "Body needs Text or Html"},
		{"bad charset", sesv2.SendEmailInput{FromEmailAddress: from, Destination: to, Content: &types.EmailContent{Simple: &types.Message{Subject: &types.Content{Data: aws.String("s"), Charset: aws.String("EBCDIC")}, Body: &types.Body{Text: &types.Content{Data: aws.String("t")}}}}}, false, `Charset "EBCDIC"`},
		{"template", sesv2.SendEmailInput{FromEmailAddress: from, Destination: to, Content: &types.EmailContent{Template: &types.Template{TemplateName: aws.String("Consent")}}}, false, "not Template"},
		{"two kinds", sesv2.SendEmailInput{FromEmailAddress: from, Destination: to, Content: &types.EmailContent{Simple: simple("s", "t", "").Simple, Raw: &types.RawMessage{Data: []byte("Subject: x\r\n\r\nhi")}}}, false, "exactly one of"},
		{"bad tag", sesv2.SendEmailInput{FromEmailAddress: from, Destination: to, Content: simple("s", "t", ""), EmailTags: []types.MessageTag{{Name: aws.String("bad name"), Value: aws.String("v")}}}, false, "EmailTags"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.SendEmail(context.Background(), &tt.in)
			if err == nil {
				t.Fatal("SendEmail succeeded")
			}
			var msg string
			if tt.rejected {
				var e *types.MessageRejected
				if !errors.As(err, &e) {
					t.Fatalf("error %v is not a *types.MessageRejected", err)
				}
				msg = e.ErrorMessage()
			} else {
				var e *types.BadRequestException
				if !errors.As(err, &e) {
					t.Fatalf("error %v is not a *types.BadRequestException", err)
				}
				msg = e.ErrorMessage()
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("message %q does not contain %q", msg, tt.want)
			}
		})
	}
	if n := len(o.Messages()); n != 0 {
		t.Errorf("%d invalid messages were stored", n)
	}
}

// TestSESErrorShape posts bodies the SDK's own validation would stop, to
// check the endpoint's answers for other clients (the AWS CLI, curl).
func TestSESErrorShape(t *testing.T) {
	o := New()
	h := o.SESHandler()
	dest := `"FromEmailAddress":"a@example.com","Destination":{"ToAddresses":["b@example.com"]}`
	for _, tt := range []struct{ body, want string }{
		{`{` + dest + `}`, "Content is required"},
		{`{` + dest + `,"Content":{}}`, "exactly one of"},
		{`{` + dest + `,"Content":{"Simple":{"Body":{"Text":{"Data":"t"}}}}}`, "Subject.Data is required"},
		{`{` + dest + `,"Content":{"Simple":{"Subject":{"Data":"s"},"Body":{"Text":{}}}}}`, "Body.Text.Data is required"},
		{`not json`, "not a SendEmail request"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", SendEmailPath, strings.NewReader(tt.body)))
		if got, want := rec.Code, 400; got != want {
			t.Errorf("%s: status = %d, want %d", tt.body, got, want)
		}
		if got, want := rec.Header().Get("X-Amzn-ErrorType"), "BadRequestException"; got != want {
			t.Errorf("%s: x-amzn-ErrorType = %q, want %q", tt.body, got, want)
		}
		var body map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || !strings.Contains(body["message"], tt.want) {
			t.Errorf("%s: body %s (%v), want a message containing %q", tt.body, rec.Body, err, tt.want)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v2/email/account", nil))
	if rec.Code != 404 || rec.Header().Get("X-Amzn-ErrorType") != "UnknownOperationException" {
		t.Errorf("unknown operation: %d %s", rec.Code, rec.Header().Get("X-Amzn-ErrorType"))
	}
}

func TestRawMessage(t *testing.T) {
	o := New()
	client := newClient(t, o)
	raw := strings.Join([]string{
		"From: =?UTF-8?Q?R=C3=A9mboursements?= <refunds@example.com>",
		"To: Client <client@example.org>, other@example.org",
		"Cc: am@example.com",
		"Subject: =?UTF-8?B?Vm90cmUgZGVtYW5kZSDigJQgUi0x?=",
		"MIME-Version: 1.0",
		`Content-Type: multipart/mixed; boundary="outer"`,
		"",
		"--outer",
		`Content-Type: multipart/alternative; boundary="inner"`,
		"",
		"--inner",
		"Content-Type: text/plain; charset=UTF-8",
		"Content-Transfer-Encoding: quoted-printable",
		"",
		"Confirmez ici : https://refunds.example.com/consent/c0de?x=3D1 =",
		"merci",
		"--inner",
		"Content-Type: text/html; charset=UTF-8",
		"Content-Transfer-Encoding: base64",
		"",
		"PHA+PGEgaHJlZj0iaHR0cHM6Ly9yZWZ1bmRzLmV4YW1wbGUuY29tL2NvbnNlbnQvYzBkZSI+",
		"Q29uZmlybWVyPC9hPjwvcD4=",
		"--inner--",
		"--outer",
		"Content-Type: text/plain",
		`Content-Disposition: attachment; filename="terms.txt"`,
		"",
		"not the body",
		"--outer--",
		"",
	}, "\r\n")
	_, err := client.SendEmail(context.Background(), &sesv2.SendEmailInput{Content: &types.EmailContent{Raw: &types.RawMessage{Data: []byte(raw)}}})
	if err != nil {
		t.Fatal(err)
	}
	m := o.Messages()[0]
	if got, want := m.From, "Rémboursements <refunds@example.com>"; got != want {
		t.Errorf("From = %q, want %q", got, want)
	}
	if got, want := m.Subject, "Votre demande — R-1"; got != want {
		t.Errorf("Subject = %q, want %q", got, want)
	}
	if got, want := m.To, []string{`"Client" <client@example.org>`, "<other@example.org>"}; !reflect.DeepEqual(got, want) {
		t.Errorf("To = %q, want %q", got, want)
	}
	if got, want := m.Cc, []string{"<am@example.com>"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Cc = %q, want %q", got, want)
	}
	if got, want := m.Text, "Confirmez ici : https://refunds.example.com/consent/c0de?x=1 merci"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	if got, want := m.HTML, `<p><a href="https://refunds.example.com/consent/c0de">Confirmer</a></p>`; got != want {
		t.Errorf("HTML = %q, want %q", got, want)
	}
	if got, want := m.Links, []string{"https://refunds.example.com/consent/c0de?x=1", "https://refunds.example.com/consent/c0de"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Links = %q, want %q", got, want)
	}

	_, err = client.SendEmail(context.Background(), &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("refunds@example.com"),
		Content:          &types.EmailContent{Raw: &types.RawMessage{Data: []byte("no headers at all")}},
	})
	var rejected *types.MessageRejected
	if !errors.As(err, &rejected) {
		t.Errorf("malformed raw message: got %v, want MessageRejected", err)
	}
}

func TestWait(t *testing.T) {
	o := New()
	client := newClient(t, o)
	send := func(to, subject string) {
		_, err := client.SendEmail(context.Background(), &sesv2.SendEmailInput{
			FromEmailAddress: aws.String("refunds@example.com"),
			Destination:      &types.Destination{ToAddresses: []string{to}},
			Content:          simple(subject, "body", ""),
		})
		if err != nil {
			t.Error(err)
		}
	}
	send("a@example.org", "first")

	// An already sent message matches at once.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, err := o.Wait(ctx, func(m Message) bool { return m.Subject == "first" })
	if err != nil || m.To[0] != "a@example.org" {
		t.Fatalf("Wait(first) = %+v, %v", m, err)
	}

	// A message sent later wakes the waiter; others do not satisfy it.
	got := make(chan Message, 1)
	waiting := make(chan struct{})
	go func() {
		close(waiting)
		m, err := o.Wait(ctx, func(m Message) bool { return m.To[0] == "b@example.org" })
		if err != nil {
			t.Error(err)
		}
		got <- m
	}()
	<-waiting
	send("c@example.org", "noise")
	send("b@example.org", "consent")
	if m := <-got; m.Subject != "consent" {
		t.Errorf("Wait returned %q, want consent", m.Subject)
	}

	// A cancelled context ends the wait.
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if _, err := o.Wait(cctx, func(Message) bool { return false }); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait on a cancelled context = %v", err)
	}

	o.Reset()
	if n := len(o.Messages()); n != 0 {
		t.Errorf("after Reset: %d messages", n)
	}
}

func TestConcurrentSends(t *testing.T) {
	o := New()
	client := newClient(t, o)
	const n = 20
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := client.SendEmail(context.Background(), &sesv2.SendEmailInput{
				FromEmailAddress: aws.String("refunds@example.com"),
				Destination:      &types.Destination{ToAddresses: []string{fmt.Sprintf("c%d@example.org", i)}},
				Content:          simple(fmt.Sprintf("n%d", i), "body", ""),
			})
			if err != nil {
				t.Error(err)
			}
		}(i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := o.Wait(ctx, func(m Message) bool { return len(o.Messages()) == n }); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	ids := map[string]bool{}
	for _, m := range o.Messages() {
		ids[m.ID] = true
	}
	if len(ids) != n {
		t.Errorf("%d distinct IDs for %d messages", len(ids), n)
	}
}

func TestExtractLinks(t *testing.T) {
	tests := []struct {
		text, html string
		want       []string
	}{
		{"see https://a.example/x.", "", []string{"https://a.example/x"}},
		{"(https://a.example/x) and [http://b.example/y]", "", []string{"https://a.example/x", "http://b.example/y"}},
		{"https://en.wikipedia.org/wiki/Go_(language)!", "", []string{"https://en.wikipedia.org/wiki/Go_(language)"}},
		{"ftp://no.example mailto:x@y.z", `<a href="mailto:x@y.z">m</a><a href="/relative">r</a>`, nil},
		{"https://a.example/1", `<a href='https://a.example/1'>dup</a><a href=https://a.example/2>2</a>`, []string{"https://a.example/1", "https://a.example/2"}},
		{"", `<A HREF="https://a.example/?a=1&amp;b=2">x</A> text https://a.example/t&amp;u <!-- https://hidden.example -->`, []string{"https://a.example/?a=1&b=2", "https://a.example/t&u"}},
		{"", `<img src="https://img.example/p.png">`, nil},
	}
	for _, tt := range tests {
		got := ExtractLinks(tt.text, tt.html)
		if len(got) == 0 && len(tt.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ExtractLinks(%q, %q) = %q, want %q", tt.text, tt.html, got, tt.want)
		}
	}
}

func TestPages(t *testing.T) {
	o := New()
	o.Add(Message{
		From:    "refunds@example.com",
		To:      []string{"client@example.org"},
		Subject: `Confirm <script>alert("s")</script>`,
		Text:    "Open https://refunds.example.com/consent/abc?x=1&y=2\n<b>not bold</b>",
		HTML:    `<p onclick="alert(1)">Hi &amp; "welcome"</p><script>alert("h")</script><a href="https://refunds.example.com/consent/abc?x=1&amp;y=2">Confirm</a>`,
	})
	o.Add(Message{From: "refunds@example.com", To: []string{"other@example.org"}, Subject: "second", Text: "plain only"})
	srv := httptest.NewServer(o.PageHandler())
	defer srv.Close()

	get := func(path string) (*http.Response, string) {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	resp, body := get("/_local/outbox")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("JSON: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0]["subject"] != `Confirm <script>alert("s")</script>` || list[1]["subject"] != "second" {
		t.Fatalf("JSON list = %s", body)
	}
	for _, key := range []string{"id", "from", "to", "subject", "text", "html", "links", "sentAt"} {
		if _, ok := list[0][key]; !ok {
			t.Errorf("JSON message has no %q", key)
		}
	}
	if got, want := fmt.Sprint(list[0]["links"]), "[https://refunds.example.com/consent/abc?x=1&y=2]"; got != want {
		t.Errorf("links = %s, want %s", got, want)
	}
	if got := fmt.Sprint(list[1]["links"]); got != "[]" {
		t.Errorf("links of a message without any = %s, want []", got)
	}

	resp, page := get("/_local/outbox/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP = %q", csp)
	}
	mustContain := []string{
		// The subject and text are escaped.
		`Confirm &lt;script&gt;alert(&#34;s&#34;)&lt;/script&gt;`,
		`<pre>Open https://refunds.example.com/consent/abc?x=1&amp;y=2` + "\n" + `&lt;b&gt;not bold&lt;/b&gt;</pre>`,
		// The HTML goes into srcdoc escaped once, so the iframe's document
		// is the email's HTML exactly.
		`srcdoc="&lt;p onclick=&#34;alert(1)&#34;&gt;Hi &amp;amp; &#34;welcome&#34;&lt;/p&gt;&lt;script&gt;`,
		`sandbox="allow-popups allow-popups-to-escape-sandbox"`,
		// Links are clickable.
		`<a href="https://refunds.example.com/consent/abc?x=1&amp;y=2" rel="noreferrer noopener" target="_blank">`,
	}
	for _, s := range mustContain {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %s", s)
		}
	}
	for _, s := range []string{"<script>", "allow-scripts", "allow-same-origin", `<p onclick`} {
		if strings.Contains(page, s) {
			t.Errorf("page contains %s", s)
		}
	}
	if strings.Index(page, "second") > strings.Index(page, "Confirm &lt;script") {
		t.Error("page is not newest first")
	}

	if resp, _ := get("/_local/outbox/else"); resp.StatusCode != 404 {
		t.Errorf("unknown path: %d", resp.StatusCode)
	}
	r, err := srv.Client().Post(srv.URL+"/_local/outbox", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 405 {
		t.Errorf("POST: %d", r.StatusCode)
	}

	empty := httptest.NewRecorder()
	New().PageHandler().ServeHTTP(empty, httptest.NewRequest("GET", "/_local/outbox", nil))
	if got := strings.TrimSpace(empty.Body.String()); got != "[]" {
		t.Errorf("empty outbox JSON = %s, want []", got)
	}
}

// TestRestore brings back messages as JSON-encoded by the local stack's
// data directory: IDs, times and links as they were, the JSON page lists
// them, waiters see them, and Changes moves.
func TestRestore(t *testing.T) {
	first := New()
	first.Now = func() time.Time { return time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC) }
	sent := first.Add(Message{To: []string{"a@example.org"}, Subject: "Your options", Text: "Open http://127.0.0.1:8080/consent/abc to answer."})
	saved, err := json.Marshal(first.Messages())
	if err != nil {
		t.Fatal(err)
	}

	o := New()
	before := o.Changes()
	var msgs []Message
	if err := json.Unmarshal(saved, &msgs); err != nil {
		t.Fatal(err)
	}
	waited := make(chan Message, 1)
	go func() {
		m, _ := o.Wait(context.Background(), func(m Message) bool { return m.Subject == "Your options" })
		waited <- m
	}()
	o.Restore(msgs)
	if got := o.Changes(); got == before {
		t.Errorf("Changes did not move on Restore")
	}
	got := o.Messages()
	if len(got) != 1 || got[0].ID != sent.ID || !got[0].SentAt.Equal(sent.SentAt) || !reflect.DeepEqual(got[0].Links, sent.Links) {
		t.Fatalf("restored %+v, want %+v", got, sent)
	}
	if m := <-waited; m.ID != sent.ID {
		t.Errorf("Wait returned %+v", m)
	}
	srv := httptest.NewServer(o.PageHandler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + PagePath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var listed []Message
	if err := json.NewDecoder(resp.Body).Decode(&listed); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 || listed[0].ID != sent.ID || listed[0].Links[0] != "http://127.0.0.1:8080/consent/abc" {
		t.Errorf("the JSON page lists %+v", listed)
	}
	n := o.Changes()
	o.Add(Message{Subject: "next"})
	if o.Changes() == n {
		t.Errorf("Changes did not move on Add")
	}
}

// TestAttachmentsListedAndServed sends a PDF attachment the way mail/sesmail does (Simple content's
// Attachments through the real SDK client) and reads it back: listed in the JSON and on the page with
// its name, type, size and SHA-256, served byte for byte at its URL, left out of the JSON list itself.
func TestAttachmentsListedAndServed(t *testing.T) {
	o := New()
	client := newClient(t, o)
	pdf := append([]byte("%PDF-1.3\n"), bytes.Repeat([]byte{0, 1, 2, 0xff}, 300)...)
	content := simple("Your refund has been issued", "Attached.", "<p>Attached.</p>")
	content.Simple.Attachments = []types.Attachment{{
		FileName: aws.String("agreement-RF-1001.pdf"), ContentType: aws.String("application/pdf"), RawContent: pdf,
		ContentDisposition: types.AttachmentContentDispositionAttachment, ContentTransferEncoding: types.AttachmentContentTransferEncodingBase64,
	}}
	if _, err := client.SendEmail(context.Background(), &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("refunds@example.com"), Destination: &types.Destination{ToAddresses: []string{"ada@example.com"}}, Content: content,
	}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(o.PageHandler())
	defer srv.Close()
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	_, list := get(PagePath)
	var msgs []Message
	if err := json.Unmarshal(list, &msgs); err != nil || len(msgs) != 1 || len(msgs[0].Attachments) != 1 {
		t.Fatalf("outbox JSON: %v\n%s", err, list)
	}
	a := msgs[0].Attachments[0]
	sum := sha256.Sum256(pdf)
	want := Attachment{FileName: "agreement-RF-1001.pdf", ContentType: "application/pdf", Size: len(pdf), SHA256: hex.EncodeToString(sum[:]), URL: PagePath + "/attachments/" + msgs[0].ID + "/0"}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("listed %+v, want %+v", a, want)
	}
	resp, served := get(a.URL)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(served, pdf) || resp.Header.Get("Content-Type") != "application/pdf" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), `filename=agreement-RF-1001.pdf`) {
		t.Errorf("served %d %v, %d bytes", resp.StatusCode, resp.Header, len(served))
	}
	if resp, _ := get(PagePath + "/attachments/" + msgs[0].ID + "/1"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a missing attachment: %d", resp.StatusCode)
	}
	_, page := get(PagePath + "/")
	for _, s := range []string{`href="` + a.URL + `"`, "agreement-RF-1001.pdf", want.SHA256, fmt.Sprintf("%d bytes", len(pdf))} {
		if !strings.Contains(string(page), s) {
			t.Errorf("the page lacks %q", s)
		}
	}
	if got := o.Messages()[0].Attachments[0].Data; !bytes.Equal(got, pdf) {
		t.Error("listing the outbox dropped the stored file")
	}
}
