package lambdalog_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/net/html"

	"refundflow/awsenv/httpclient"
	"refundflow/awsenv/lambdalog"
	"refundflow/infra/local/outbox"
	"refundflow/infra/local/stack"
)

// The workflow log test runs whole requests on the local stack — the template's functions built by
// their awsenv builders, the state machine on the local engine — with every log line of the stack,
// the engine and the functions captured through the functions' log handler, and then checks the lines:
// each is one JSON object, each function line carries the Lambda request id (and a workflow step's
// the execution ARN and refund request id), and none holds a secret or personal datum that the run
// handled: email addresses, names, free text, link codes, task tokens, the staff token.

// syncBuffer is a log sink several goroutines write to.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// secrets collects what must not appear in a log line, with what each one is.
type secrets map[string]string

func (s secrets) add(what, value string) {
	if value != "" {
		s[value] = what
	}
}

// run is one visit of the stack.
type run struct {
	t       *testing.T
	s       *stack.Stack
	c       *http.Client
	secrets secrets
}

func (r *run) do(method, target string, body io.Reader, header map[string]string) (int, http.Header, []byte, string) {
	r.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = r.s.URL + target
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		r.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := r.c.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	// A cookie would be a secret (the pages set none since forms need no token).
	for _, c := range resp.Cookies() {
		r.secrets.add("cookie "+c.Name, c.Value)
	}
	return resp.StatusCode, resp.Header, data, target
}

// form returns the first form of a page whose class contains class: its action and its values,
// recording hidden inputs that look like tokens as secrets.
func (r *run) form(page []byte, class string) (string, url.Values, map[string][]string) {
	r.t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		r.t.Fatal(err)
	}
	attr := func(n *html.Node, k string) string {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val
			}
		}
		return ""
	}
	var action string
	values, radios := url.Values{}, map[string][]string{}
	var found bool
	var walk func(n *html.Node, in bool)
	walk = func(n *html.Node, in bool) {
		if n.Type == html.ElementNode && n.Data == "form" && !found && strings.Contains(" "+attr(n, "class")+" ", " "+class+" ") {
			found, in, action = true, true, attr(n, "action")
		}
		if in && n.Type == html.ElementNode && n.Data == "input" && attr(n, "name") != "" {
			switch attr(n, "type") {
			case "radio":
				radios[attr(n, "name")] = append(radios[attr(n, "name")], attr(n, "value"))
			case "hidden":
				if name := attr(n, "name"); strings.Contains(name, "csrf") || strings.Contains(name, "token") {
					r.secrets.add("hidden input "+name, attr(n, "value"))
				}
				values.Set(attr(n, "name"), attr(n, "value"))
			default:
				values.Set(attr(n, "name"), attr(n, "value"))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, in)
		}
	}
	walk(doc, false)
	if !found {
		r.t.Fatalf("no form %q on the page:\n%.600s", class, page)
	}
	return action, values, radios
}

func (r *run) postForm(action string, v url.Values) (int, http.Header, []byte, string) {
	r.t.Helper()
	return r.do(http.MethodPost, action, strings.NewReader(v.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

// mail waits for an email to `to` (or, when to is "", to anyone) whose subject contains subject and
// returns it, recording the codes in its links as secrets. It waits on the outbox itself, for at most
// 20 seconds.
func (r *run) mail(to, subject string) outbox.Message {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := r.s.Outbox.Wait(ctx, func(m outbox.Message) bool {
		return (to == "" || (len(m.To) == 1 && m.To[0] == to)) && strings.Contains(m.Subject, subject)
	})
	if err != nil {
		r.t.Fatalf("no email to %q about %q: %v", to, subject, err)
	}
	for _, l := range m.Links {
		u, err := url.Parse(l)
		if err != nil {
			continue
		}
		if code := u.Query().Get("t"); code != "" {
			r.secrets.add("status link code", code)
		}
		for _, prefix := range []string{"/consent/", "/feedback/"} {
			if code, ok := strings.CutPrefix(u.Path, prefix); ok {
				r.secrets.add(strings.Trim(prefix, "/")+" link code", code)
			}
		}
	}
	return m
}

// link returns the link of an email whose path starts with prefix.
func (r *run) link(m outbox.Message, prefix string) string {
	r.t.Helper()
	for _, l := range m.Links {
		if u, err := url.Parse(l); err == nil && strings.HasPrefix(u.Path, prefix) {
			return l
		}
	}
	r.t.Fatalf("email %q has no link to %s (links %q)", m.Subject, prefix, m.Links)
	return ""
}

// submit fills the request form for a demo order and returns the request id.
func (r *run) submit(number, details string) (id, email string) {
	r.t.Helper()
	var order *stack.DemoOrder
	for i := range r.s.Demo {
		if r.s.Demo[i].Order.Number == number {
			order = &r.s.Demo[i]
		}
	}
	if order == nil {
		r.t.Fatalf("no demo order %s", number)
	}
	o := order.Order
	r.secrets.add("email", o.Email)
	r.secrets.add("customer name", o.CustomerName)
	r.secrets.add("details", details)
	_, _, home, _ := r.do(http.MethodGet, "/", nil, nil)
	action, v, _ := r.form(home, "")
	v.Set("order_number", o.Number)
	v.Set("purchase_date", o.PurchaseDate)
	v.Set("email", o.Email)
	v.Set("name", o.CustomerName)
	v.Set("kind", "refund")
	v.Set("reason", "changed_mind")
	v.Set("details", details)
	status, header, body, _ := r.postForm(action, v)
	if status != http.StatusSeeOther {
		r.t.Fatalf("submit %s: %d %.600s", number, status, body)
	}
	u, err := url.Parse(header.Get("Location"))
	if err != nil {
		r.t.Fatal(err)
	}
	r.secrets.add("status link code", u.Query().Get("t"))
	return strings.TrimPrefix(u.Path, "/requests/"), o.Email
}

// decide opens the consent link and accepts the full refund (or declines) with the typed name.
func (r *run) decide(consentURL, decision, typedName string) {
	r.t.Helper()
	r.secrets.add("typed name", typedName)
	_, _, page, _ := r.do(http.MethodGet, consentURL, nil, nil)
	action, v, radios := r.form(page, "consent-"+decision)
	if decision == "accept" {
		if len(radios["offer"]) == 0 {
			r.t.Fatalf("no offer to accept on %s", consentURL)
		}
		v.Set("offer", radios["offer"][0])
		v.Set("full_name", typedName)
		v.Set("agree", "yes")
	} else {
		v.Set("reason", "We found another provider, thanks.")
		r.secrets.add("decline reason", "We found another provider, thanks.")
	}
	if status, _, body, _ := r.postForm(action, v); status != http.StatusSeeOther {
		r.t.Fatalf("%s consent: %d %.600s", decision, status, body)
	}
}

// post sends JSON to a local tool of the stack (not a function) and decodes its 2xx answer into out.
func (r *run) post(path string, in, out any) {
	r.t.Helper()
	data, err := json.Marshal(in)
	if err != nil {
		r.t.Fatal(err)
	}
	status, _, body, _ := r.do(http.MethodPost, path, bytes.NewReader(data), map[string]string{"Content-Type": "application/json"})
	if status/100 != 2 {
		r.t.Fatalf("POST %s: %d %.600s", path, status, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		r.t.Fatalf("POST %s: %v", path, err)
	}
}

// staff calls the staff API with the stack's staff token, or for an order with the billing system's.
func (r *run) staff(method, path string, in, out any) {
	r.t.Helper()
	token := r.s.StaffToken
	if strings.HasPrefix(path, "/orders/") {
		token = r.s.BillingToken
	}
	r.staffAs(token, method, path, in, out)
}

// staffAs calls the staff API with the bearer token.
func (r *run) staffAs(token, method, path string, in, out any) {
	r.t.Helper()
	var body io.Reader
	h := map[string]string{"Authorization": "Bearer " + token, "Accept": "application/json"}
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			r.t.Fatal(err)
		}
		body, h["Content-Type"] = bytes.NewReader(data), "application/json"
	}
	status, _, data, _ := r.do(method, "/staff/api"+path, body, h)
	if status/100 != 2 {
		r.t.Fatalf("%s /staff/api%s: %d %.600s", method, path, status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			r.t.Fatalf("%s /staff/api%s: %v", method, path, err)
		}
	}
}

// status polls the staff detail until the request reaches want.
func (r *run) status(id, want string) {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var d struct {
			Request struct{ Status string } `json:"request"`
		}
		r.staff(http.MethodGet, "/requests/"+url.PathEscape(id), nil, &d)
		if d.Request.Status == want {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("request %s is %s, want %s", id, d.Request.Status, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// taskTokens records the task token a parked request holds (read from the table as an outside tool
// would): it must never reach a log. The waiting step stores the token after it sets the status and
// before it sends its email, so callers wait for that email first.
func (r *run) taskTokens(id string) {
	r.t.Helper()
	db := dynamodb.New(dynamodb.Options{Region: stack.Region, BaseEndpoint: aws.String(r.s.DynamoDBURL),
		Credentials: aws.AnonymousCredentials{}, DisableValidateResponseChecksum: true, HTTPClient: httpclient.New(nil)})
	// The step stores its token in a write of its own, just after the status that parks the request,
	// and replaces the token of an earlier wait (staff review) only then: wait for a new one.
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(r.s.TableName),
			Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "REQ#" + id}, "SK": &types.AttributeValueMemberS{Value: "REQ"}}})
		if err != nil {
			r.t.Fatalf("read request %s: %v", id, err)
		}
		if tok, ok := out.Item["task_token"].(*types.AttributeValueMemberS); ok && tok.Value != "" && r.secrets[tok.Value] == "" {
			r.secrets.add("task token", tok.Value)
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("parked request %s holds no new task token (item %v)", id, out.Item)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// taskFunctions are the workflow steps: their lines also carry the execution ARN and request id.
var taskFunctions = map[string]bool{
	"VerifyConditionsFunction": true, "ProposeResolutionFunction": true, "RequestStaffReviewFunction": true,
	"RequestConsentFunction": true, "ExecuteResolutionFunction": true, "NotifyFunction": true, "MarkNeedsAttentionFunction": true,
}

func TestWorkflowLogsCarryIDsAndNoPersonalData(t *testing.T) {
	sink := &syncBuffer{}
	logger := slog.New(lambdalog.NewHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := stack.Start(context.Background(), stack.Config{Addr: "127.0.0.1:0", Demo: true, Logger: logger})
	if err != nil {
		t.Fatalf("start the stack: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Close(ctx)
	})
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &run{t: t, s: s, secrets: secrets{}, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	r.secrets.add("staff token", s.StaffToken)
	r.secrets.add("billing token", s.BillingToken)
	r.secrets.add("supervisor token", s.SupervisorToken)

	// 1. Accepted: form, options email, consent page, refund, outcome email, feedback.
	id1, email1 := r.submit("RF-1001", "Our in-house team takes over; budget code 7781.")
	r.status(id1, "awaiting_consent")
	// The step stores the task token after the status and before the email: wait for the email.
	options1 := r.mail(email1, "Your options")
	r.taskTokens(id1)
	r.decide(r.link(options1, "/consent/"), "accept", "Ada Lovelace")
	r.status(id1, "completed")
	feedback := r.link(r.mail(email1, "has been issued"), "/feedback/")
	_, _, page, _ := r.do(http.MethodGet, feedback, nil, nil)
	action, v, _ := r.form(page, "")
	v.Set("rating", "4")
	v.Set("comment", "Fast, but call me on +44 20 7946 0958 next time.")
	r.secrets.add("feedback comment", "call me on +44 20 7946 0958")
	if status, _, body, _ := r.postForm(action, v); status/100 != 2 && status != http.StatusSeeOther {
		t.Fatalf("feedback: %d %.600s", status, body)
	}

	// 2. Staff review, approval, then the client declines.
	id2, email2 := r.submit("RF-1005", "Please refund to the card ending 3063.")
	r.status(id2, "in_review")
	r.mail("", "Review needed: request "+id2) // staff are told after the token is stored
	r.taskTokens(id2)
	r.staff(http.MethodPost, "/requests/"+id2+"/review", map[string]any{"decision": "approve", "message": "Approved by finance."}, nil)
	// EUR 2,500.00 is above the four-eyes limit: a second member of staff confirms.
	r.staffAs(r.s.SupervisorToken, http.MethodPost, "/requests/"+id2+"/review", map[string]any{"decision": "confirm"}, nil)
	r.status(id2, "awaiting_consent")
	options2 := r.mail(email2, "Your options")
	r.taskTokens(id2)
	r.decide(r.link(options2, "/consent/"), "decline", "")
	r.status(id2, "declined")
	r.mail(email2, "order RF-1005")

	// 3. The billing system stores an order (an HTTP function that logs on success).
	var list struct{ Requests []json.RawMessage }
	r.staff(http.MethodGet, "/requests?status=completed", nil, &list)
	var paid struct{ Reference string }
	r.post(stack.PaymentsPath, map[string]any{"amount": 50000, "currency": "EUR", "card_last4": "1117"}, &paid)
	r.staff(http.MethodPut, "/orders/RF-2001", map[string]any{
		"number": "RF-2001", "customer_name": "Barbara Liskov", "email": "barbara@example.org",
		"purchase_date": s.Clock.Now().UTC().Format("2006-01-02"), "currency": "EUR", "paid": 50000, "status": "active",
		"payment": map[string]any{"reference": paid.Reference},
		"service": map[string]any{"type": "hours", "hours": map[string]any{"purchased": 10, "used": 0, "total_price": 50000}},
	}, nil)
	r.secrets.add("email", "barbara@example.org")
	r.secrets.add("customer name", "Barbara Liskov")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Engine.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	checkLines(t, sink.String(), r.secrets)
	if testing.Verbose() {
		t.Log(sink.String())
	}
}

// checkLines checks every captured line.
func checkLines(t *testing.T, logs string, secrets secrets) {
	t.Helper()
	fromFunction := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		n++
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("line %d is not one JSON object: %v\n%s", n, err, line)
			continue
		}
		for value, what := range secrets {
			if strings.Contains(line, value) {
				t.Errorf("line %d holds a %s (%q):\n%s", n, what, value, line)
			}
		}
		fn, _ := rec["function"].(string)
		if fn == "" {
			continue // the stack's own lines (engine, gateway): no invocation to name
		}
		fromFunction[fn]++
		if id, _ := rec[lambdalog.KeyAWSRequestID].(string); id == "" {
			t.Errorf("line %d of %s has no %s:\n%s", n, fn, lambdalog.KeyAWSRequestID, line)
		}
		if taskFunctions[fn] {
			for _, k := range []string{"executionArn", "requestId"} {
				if v, _ := rec[k].(string); v == "" {
					t.Errorf("line %d of workflow step %s has no %s:\n%s", n, fn, k, line)
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	// The checks above must have had lines to check: every workflow step that ran, and an HTTP
	// function.
	for _, fn := range []string{"VerifyConditionsFunction", "ProposeResolutionFunction", "RequestStaffReviewFunction",
		"RequestConsentFunction", "ExecuteResolutionFunction", "NotifyFunction", "StaffApiFunction"} {
		if fromFunction[fn] == 0 {
			t.Errorf("no log line of %s was captured (lines per function: %v)", fn, fromFunction)
		}
	}
	if len(secrets) < 12 {
		t.Errorf("only %d secrets were collected; the run did not handle what it should: %v", len(secrets), secrets)
	}
	if t.Failed() {
		t.Logf("%d lines checked against %d secrets", n, len(secrets))
	} else {
		t.Logf("%d lines checked against %d secrets: %s", n, len(secrets), summary(secrets))
	}
}

// summary counts the secrets by kind.
func summary(s secrets) string {
	counts := map[string]int{}
	for _, what := range s {
		counts[what]++
	}
	return fmt.Sprint(counts)
}
