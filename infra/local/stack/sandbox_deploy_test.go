package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stripe/stripe-go/v85/webhook"

	"refundflow/awsenv"
	"refundflow/awsenv/httpclient"
	"refundflow/dynamo"
	"refundflow/handler"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

// What a sandbox deployment (PaymentProvider=sandbox) adds, tried on the local stack, which the
// template gives the same two functions: the checkout (/sandbox/payments) and the event deliverer.

// TestSandboxCheckoutTakesPaymentsForTheBillingSystem: the deployed checkout's routes, through the
// stack's gateway and JWT authorizer, take the billing system's token only; the payment it takes is
// one the order route accepts, and reads back with its refunds.
func TestSandboxCheckoutTakesPaymentsForTheBillingSystem(t *testing.T) {
	t.Parallel()
	s, err := Start(context.Background(), Config{Addr: "127.0.0.1:0", EventDelivery: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	v := newVisitor(t, s)
	body := `{"amount":180000,"currency":"eur"}`
	post := func(token string) page {
		h := map[string]string{"Content-Type": "application/json"}
		if token != "" {
			h["Authorization"] = "Bearer " + token
		}
		return v.do(http.MethodPost, handler.SandboxPaymentsPath, strings.NewReader(body), h)
	}
	if p := post(""); p.Status != http.StatusUnauthorized {
		t.Errorf("without a token: %s, want 401", p)
	}
	if p := post(s.StaffToken); p.Status != http.StatusUnauthorized && p.Status != http.StatusForbidden {
		t.Errorf("with a staff member's token: %s, want 401 or 403", p)
	}
	p := post(s.BillingToken)
	if p.Status != http.StatusCreated {
		t.Fatalf("with the billing token: %s, want 201", p)
	}
	var paid PaymentAnswer
	if err := json.Unmarshal(p.Body, &paid); err != nil {
		t.Fatal(err)
	}
	if got, want := paid, (PaymentAnswer{Provider: "sandbox", Reference: paid.Reference, Captured: true, Amount: 180000, Currency: "EUR",
		ThreeDSecure: true, CardLast4: "4242"}); !reflect.DeepEqual(got, want) || !strings.HasPrefix(paid.Reference, "pi_sbx_") {
		t.Errorf("payment %+v, want %+v", got, want)
	}
	if got, want := p.Header.Get("Location"), handler.SandboxPaymentsPath+"/"+url.PathEscape(paid.Reference); got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	if p := v.do(http.MethodPost, handler.SandboxPaymentsPath, strings.NewReader(`{"amount":1234,"currency":"KWD"}`),
		map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + s.BillingToken}); p.Status != http.StatusBadRequest {
		t.Errorf("KWD 1.234, which the provider cannot take: %s, want 400", p)
	}

	// The order route accepts an order for it, as for a payment taken on /_local/payments.
	order := refund.Order{Number: "RF-SBX-1", CustomerName: "Barbara Liskov", Email: "barbara@example.com",
		PurchaseDate: s.Clock.Now().UTC().Format(refund.DateLayout), Currency: "EUR", Paid: 180000, Status: refund.OrderActive,
		Payment: refund.Payment{Reference: paid.Reference},
		Service: refund.Service{Type: refund.ServiceHours, Hours: &refund.Hours{Purchased: 10, TotalPrice: 180000}}}
	if status, out, err := s.putOrder(context.Background(), order); err != nil || status != http.StatusCreated {
		t.Fatalf("PUT the order for the payment: %d %s %v", status, out, err)
	}

	show := v.do(http.MethodGet, handler.SandboxPaymentsPath+"/"+paid.Reference, nil, map[string]string{"Authorization": "Bearer " + s.BillingToken})
	if show.Status != http.StatusOK || !bytes.Contains(show.Body, []byte(paid.Reference)) {
		t.Errorf("GET the payment: %s", show)
	}
	if p := v.do(http.MethodGet, handler.SandboxPaymentsPath+"/pi_sbx_none", nil, map[string]string{"Authorization": "Bearer " + s.BillingToken}); p.Status != http.StatusNotFound {
		t.Errorf("GET an unknown payment: %s, want 404", p)
	}
	// What a person does at the provider afterwards: here a dispute, whose event reaches the webhook.
	act := func(ref, body string) page {
		return v.do(http.MethodPost, handler.SandboxPaymentsPath+"/"+ref+"/actions", strings.NewReader(body),
			map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + s.BillingToken})
	}
	if p := act(paid.Reference, `{"action":"open_dispute","reason":"fraudulent"}`); p.Status != http.StatusOK || !bytes.Contains(p.Body, []byte("Dispute dp_sbx_")) {
		t.Fatalf("open a dispute: %s", p)
	}
	for _, c := range []struct {
		ref, body string
		want      int
	}{
		{paid.Reference, `{"action":"open_dispute"}`, http.StatusConflict}, // one is open already
		{paid.Reference, `{"action":"explode"}`, http.StatusBadRequest},
		{paid.Reference, `{"action":"fail_refund","refund":"re_sbx_none"}`, http.StatusNotFound},
		{"pi_sbx_none", `{"action":"open_dispute"}`, http.StatusNotFound},
	} {
		if p := act(c.ref, c.body); p.Status != c.want {
			t.Errorf("%s on %s: %s, want %d", c.body, c.ref, p, c.want)
		}
	}
	if rep, err := s.DeliverEvents(context.Background()); err != nil || rep.Delivered != 1 {
		t.Errorf("delivered %+v, %v; want the dispute's event", rep, err)
	}
	if stored, err := dynamo.New(s.DynamoDB, s.TableName).GetOrder(context.Background(), order.Number); err != nil || stored.Dispute == nil {
		t.Errorf("the order after the dispute's event: %+v, %v; want it flagged disputed", stored.Dispute, err)
	}

	page := v.do(http.MethodGet, handler.SandboxPaymentsPath, nil, nil)
	if page.Status != http.StatusOK || !bytes.Contains(page.Body, []byte("sandbox_payments.js")) || !strings.Contains(page.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("the page: %s (CSP %q)", page, page.Header.Get("Content-Security-Policy"))
	}
}

// webhookProxy stands between the deliverer and the stack's POST /webhooks/stripe: it checks each
// delivery's signature with the stack's webhook secret, answers the first refuse deliveries 503 itself,
// and passes the others on, counting the events the webhook acknowledged.
type webhookProxy struct {
	t      *testing.T
	s      *Stack
	mu     sync.Mutex
	refuse int
	acked  map[string]int // event id -> 2xx answers of the webhook
	seen   int
}

func (p *webhookProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path != WebhookPath {
		p.t.Errorf("delivered to %s, want %s", r.URL.Path, WebhookPath)
	}
	ev, err := webhook.ConstructEventWithOptions(body, r.Header.Get("Stripe-Signature"), p.s.WebhookSecret(), webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		p.t.Errorf("a delivery that is not signed with the webhook secret: %v", err)
	}
	p.mu.Lock()
	p.seen++
	if p.refuse > 0 {
		p.refuse--
		p.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	p.mu.Unlock()
	fwd, err := http.NewRequest(http.MethodPost, p.s.URL+WebhookPath, bytes.NewReader(body))
	if err != nil {
		p.t.Error(err)
		return
	}
	fwd.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(fwd)
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 == 2 {
		p.mu.Lock()
		p.acked[ev.ID]++
		p.mu.Unlock()
	}
	w.WriteHeader(resp.StatusCode)
}

// TestSandboxEventsReachTheWebhook builds SandboxEventsFunction from the template as a sandbox
// deployment has it (its builder, its environment: the webhook secret from Secrets Manager, the events
// sent to PublicBaseUrl's /webhooks/stripe), with PublicBaseUrl in front of the stack's webhook, and
// invokes it as EventBridge does: every event arrives signed with the secret the webhook verifies with,
// oldest first, is acknowledged once and never sent again, and one the webhook answered 503 is tried
// again on a later run.
func TestSandboxEventsReachTheWebhook(t *testing.T) {
	t.Parallel()
	s, err := Start(context.Background(), Config{Addr: "127.0.0.1:0", EventDelivery: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	proxy := &webhookProxy{t: t, s: s, refuse: 1, acked: map[string]int{}}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)

	vars := map[string]string{}
	for k, val := range s.Environment[sandboxEventsID] {
		vars[k] = val
	}
	if vars[awsenv.VarPublicBaseURL] != s.URL {
		t.Fatalf("the deliverer sends to %q, want the stack's %q", vars[awsenv.VarPublicBaseURL], s.URL)
	}
	vars[awsenv.VarPublicBaseURL] = front.URL
	build := awsenv.Builders()[sandboxEventsID]
	fn, err := build(context.Background(), awsenv.Env{
		Getenv: func(name string) string { return vars[name] },
		AWS: aws.Config{Region: Region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
			HTTPClient: httpclient.New(nil)},
		Endpoints: awsenv.Endpoints{DynamoDB: s.DynamoDBURL, SecretsManager: s.SecretsManagerURL},
	})
	if err != nil {
		t.Fatal(err)
	}
	run := func() handler.SandboxDelivery {
		t.Helper()
		in, _ := json.Marshal(events.EventBridgeEvent{Source: "aws.events", DetailType: "Scheduled Event", Detail: json.RawMessage("{}")})
		out, err := fn.Invoke(context.Background(), in)
		if err != nil {
			t.Fatalf("invoke %s: %v", sandboxEventsID, err)
		}
		var rep handler.SandboxDelivery
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}

	// Two events: refund.created and charge.refunded of a refund at the provider's dashboard.
	ctx := context.Background()
	g := s.Sandbox()
	facts, err := g.TakePayment(ctx, sandbox.Checkout{Amount: refund.Money{Amount: 50000, Currency: "EUR"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.DashboardRefund(ctx, facts.Reference, refund.Money{Amount: 10000, Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}
	if got, want := run(), (handler.SandboxDelivery{Delivered: 1, Refused: 1}); got != want {
		t.Fatalf("first run %+v, want %+v (the first event answered 503, the second delivered)", got, want)
	}
	if got, want := run(), (handler.SandboxDelivery{Waiting: 1}); got != want {
		t.Fatalf("second run at once %+v, want %+v (the refused event waits for its retry)", got, want)
	}
	deadline := time.Now().Add(10 * time.Second)
	for rep := run(); rep.Delivered == 0; rep = run() {
		if time.Now().After(deadline) {
			t.Fatalf("the refused event was not delivered again: %+v", rep)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := run(); got != (handler.SandboxDelivery{}) {
		t.Errorf("a run after everything was delivered: %+v, want nothing to do", got)
	}
	evs, err := g.Events(ctx, facts.Reference)
	if err != nil || len(evs) != 2 {
		t.Fatalf("events %v, %v", evs, err)
	}
	proxy.mu.Lock()
	defer proxy.mu.Unlock()
	for _, e := range evs {
		if got := proxy.acked[e.ID]; got != 1 || e.Delivered.IsZero() {
			t.Errorf("event %s (%s): acknowledged %d times, delivered at %v; want once", e.ID, e.Type, got, e.Delivered)
		}
	}
	if got, want := proxy.seen, 3; got != want {
		t.Errorf("%d deliveries, want %d (two events, one of them twice)", got, want)
	}
}
