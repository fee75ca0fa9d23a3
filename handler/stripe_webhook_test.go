package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stripe/stripe-go/v85/webhook"

	"refundflow/handler"
	"refundflow/payment"
	"refundflow/payment/sandbox"
	"refundflow/payment/stripepay"
	"refundflow/refund"
)

// The webhook's own tests: StripeWebhook on the contract suite's DynamoDB (taskFixture: order RF-1,
// paid 800.00 EUR with the sandbox payment pi_1), with events signed by stripe-go's test helper.

// hookSecret is the endpoint's signing secret in these tests.
const hookSecret = "whsec_handler_test"

// hookFixture is a task fixture with the webhook on its table and the sandbox provider's payment.
type hookFixture struct {
	*taskFixture
	gw      *sandbox.Gateway
	started *startRecorder
}

// startRecorder is the webhook's workflow starter: it records the executions asked for.
type startRecorder struct {
	mu     sync.Mutex
	inputs []refund.WorkflowInput
}

func (s *startRecorder) Start(_ context.Context, in refund.WorkflowInput) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inputs = append(s.inputs, in)
	return false, nil
}

func newHookFixture(t *testing.T) *hookFixture {
	t.Helper()
	f := newTaskFixture(t, refund.ServiceHours)
	return &hookFixture{taskFixture: f, gw: f.gateway(), started: &startRecorder{}}
}

// webhook is the handler on the fixture's table, or on store when given.
func (f *hookFixture) webhook(store handler.StripeWebhookStore) handler.StripeWebhook {
	if store == nil {
		store = f.store
	}
	return handler.StripeWebhook{Events: stripepay.Webhook{Secret: hookSecret}, Store: store, Waits: f.waits,
		Workflow: f.started, Emails: f.emails, Clock: func() time.Time { return taskT0 }}
}

// stripeEvent is a Stripe event body of type typ about object.
func stripeEvent(t testing.TB, id, typ string, object map[string]any) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]any{"id": id, "object": "event", "api_version": "2025-03-31.basil",
		"created": time.Now().Unix(), "livemode": false, "type": typ, "data": map[string]any{"object": object}})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// refundObject is a Stripe refund of amount (cents of EUR) on payment ref, with Refundflow's
// idempotency key when key is set.
func refundObject(id, ref string, amount int64, status, key string) map[string]any {
	meta := map[string]string{}
	if key != "" {
		meta["idempotency_key"] = key
	}
	obj := map[string]any{"id": id, "object": "refund", "amount": amount, "currency": "eur", "payment_intent": ref,
		"charge": "ch_" + ref, "status": status, "metadata": meta, "created": time.Now().Unix()}
	if status == "failed" {
		obj["failure_reason"] = "expired_or_canceled_card"
	}
	return obj
}

// disputeObject is a Stripe dispute of amount (cents of EUR) on payment ref.
func disputeObject(id, ref string, amount int64, status string) map[string]any {
	return map[string]any{"id": id, "object": "dispute", "amount": amount, "currency": "eur", "payment_intent": ref,
		"charge": "ch_" + ref, "reason": "fraudulent", "status": status, "created": time.Now().Unix()}
}

// hookEvent is the API Gateway event of a delivery of body with the Stripe-Signature header sig.
func hookEvent(body []byte, sig string) events.APIGatewayV2HTTPRequest {
	hs := map[string]string{"content-type": "application/json; charset=utf-8", "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
		"host": "abc123def4.execute-api.eu-west-1.amazonaws.com"}
	if sig != "" {
		hs["stripe-signature"] = sig
	}
	return events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /webhooks/stripe", RawPath: "/webhooks/stripe", Headers: hs, Body: string(body),
		RequestContext: events.APIGatewayV2HTTPRequestContext{RouteKey: "POST /webhooks/stripe", RequestID: fmt.Sprintf("wh-%d", time.Now().UnixNano()),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: http.MethodPost, Path: "/webhooks/stripe", Protocol: "HTTP/1.1", SourceIP: "3.18.12.63"}},
	}
}

// signed signs body at t with secret (stripe-go's webhook.GenerateTestSignedPayload).
func signed(body []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at}).Header
}

// deliver posts body signed now with the endpoint's secret and returns the answer.
func (f *hookFixture) deliver(h handler.StripeWebhook, body []byte) events.APIGatewayV2HTTPResponse {
	f.t.Helper()
	resp, err := call(h, hookEvent(body, signed(body, hookSecret, time.Now())))
	if err != nil {
		f.t.Fatal(err)
	}
	return resp
}

// outcome reads the acknowledged answer's outcome ("" for any other answer).
func outcome(resp events.APIGatewayV2HTTPResponse) string {
	var a handler.WebhookAnswer
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(resp.Body), &a) != nil {
		return ""
	}
	return a.Outcome
}

// order reads RF-1.
func (f *hookFixture) order() refund.Order {
	f.t.Helper()
	o, err := f.store.GetOrder(f.ctx, "RF-1")
	if err != nil {
		f.t.Fatal(err)
	}
	return o
}

// wantLedgerIsProvider checks that RF-1's ledger counts exactly what the sandbox refunded of pi_1.
func (f *hookFixture) wantLedgerIsProvider() {
	f.t.Helper()
	st, err := f.gw.Payment(f.ctx, "pi_1")
	if err != nil {
		f.t.Fatal(err)
	}
	if got, want := f.order().Refunded, st.Refunded.Amount; got != want {
		f.t.Errorf("the ledger counts %d refunded, the provider %d", got, want)
	}
}

// TestStripeWebhookAnswers: what each kind of delivery is answered, and that the refused and ignored
// ones change nothing (the order's version and ledger stay, and the event is not remembered: the
// same event signed properly afterwards is processed).
func TestStripeWebhookAnswers(t *testing.T) {
	outside := func(id string) []byte {
		return stripeEvent(t, id, "refund.created", refundObject("re_"+id, "pi_1", 1000, "succeeded", ""))
	}
	tests := []struct {
		name    string
		body    []byte
		sig     func(body []byte) string
		want    int
		outcome string
		// remembered: the event is processed and remembered (a second delivery is a duplicate).
		remembered bool
	}{
		{name: "no signature", body: outside("evt_nosig"), sig: func([]byte) string { return "" }, want: http.StatusBadRequest},
		{name: "wrong secret", body: outside("evt_badsig"), sig: func(b []byte) string { return signed(b, "whsec_other", time.Now()) }, want: http.StatusBadRequest},
		{name: "body changed after signing", body: outside("evt_changed"), sig: func(b []byte) string {
			return signed(append([]byte(nil), strings.Replace(string(b), "1000", "9000", 1)...), hookSecret, time.Now())
		}, want: http.StatusBadRequest},
		{name: "signed ten minutes ago", body: outside("evt_old"), sig: func(b []byte) string { return signed(b, hookSecret, time.Now().Add(-10*time.Minute)) },
			want: http.StatusBadRequest},
		{name: "unknown event type", body: stripeEvent(t, "evt_customer", "customer.created", map[string]any{"id": "cus_1", "object": "customer"}),
			want: http.StatusOK, outcome: "ignored"},
		{name: "refund of a payment no order has", body: stripeEvent(t, "evt_stranger", "refund.created", refundObject("re_stranger", "pi_unknown", 1000, "succeeded", "")),
			want: http.StatusOK, outcome: "unknown_payment", remembered: true},
		{name: "dispute of a payment no order has", body: stripeEvent(t, "evt_stranger_dp", "charge.dispute.created", disputeObject("dp_stranger", "pi_unknown", 1000, "needs_response")),
			want: http.StatusOK, outcome: "unknown_payment", remembered: true},
		{name: "body over the limit", body: []byte(`{"id":"evt_big","type":"refund.created","pad":"` + strings.Repeat("x", payment.MaxEventBytes) + `"}`),
			want: http.StatusRequestEntityTooLarge},
		{name: "signed event that is not an event", body: []byte(`{"hello":"world"}`), want: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newHookFixture(t)
			h := f.webhook(nil)
			before := f.order()
			sig := signed(tt.body, hookSecret, time.Now())
			if tt.sig != nil {
				sig = tt.sig(tt.body)
			}
			resp, err := call(h, hookEvent(tt.body, sig))
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.StatusCode; got != tt.want {
				t.Fatalf("status %d, want %d: %s", got, tt.want, resp.Body)
			}
			if got := outcome(resp); got != tt.outcome {
				t.Errorf("outcome %q, want %q: %s", got, tt.outcome, resp.Body)
			}
			if tt.want != http.StatusOK {
				var body struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body.Error.Code == "" || body.Error.Message == "" {
					t.Errorf("refusal is not the JSON error shape: %s", resp.Body)
				}
			}
			after := f.order()
			if after.Version != before.Version || after.Refunded != before.Refunded || after.Dispute != nil {
				t.Errorf("order changed: version %d → %d, refunded %d → %d, dispute %+v", before.Version, after.Version, before.Refunded, after.Refunded, after.Dispute)
			}
			if len(f.mail.kinds()) != 0 {
				t.Errorf("emails sent: %v", f.mail.kinds())
			}
			// A refused or ignored delivery is not remembered: had the body been signed properly, it
			// would still be processed; a processed one is a duplicate the second time.
			if tt.want == http.StatusRequestEntityTooLarge || !json.Valid(tt.body) || !strings.Contains(string(tt.body), `"type"`) {
				return
			}
			again := outcome(f.deliver(h, tt.body))
			switch {
			case tt.remembered && again != "duplicate":
				t.Errorf("the same event again: %q, want duplicate", again)
			case !tt.remembered && (again == "duplicate" || again == ""):
				t.Errorf("the event signed properly after a refused or ignored delivery: %q, want it processed afresh", again)
			}
		})
	}
}

// flakyHookStore is the table with its ApplyProviderRefund failing the first fails times, as a
// throttled DynamoDB would: a fake of one operation of the webhook's port, the rest the real store.
type flakyHookStore struct {
	handler.StripeWebhookStore
	mu    sync.Mutex
	fails int
}

func (s *flakyHookStore) ApplyProviderRefund(ctx context.Context, orderNumber string, p refund.ProviderRefund, audit refund.AuditEntry) (refund.RefundRecord, refund.LedgerChange, error) {
	s.mu.Lock()
	fail := s.fails > 0
	if fail {
		s.fails--
	}
	s.mu.Unlock()
	if fail {
		return refund.RefundRecord{}, refund.LedgerChange{}, errors.New("ProvisionedThroughputExceededException (injected)")
	}
	return s.StripeWebhookStore.ApplyProviderRefund(ctx, orderNumber, p, audit)
}

// TestStripeWebhookRedelivery: a refund made at the provider's dashboard, delivered twice in turn,
// twice at the same instant, and after a store failure. It is counted once in every case, the ledger
// ends equal to the provider's refunds, and a delivery that failed is answered 5xx (which Stripe
// retries) and succeeds when redelivered.
func TestStripeWebhookRedelivery(t *testing.T) {
	dashboard := func(t *testing.T, f *hookFixture) []byte {
		t.Helper()
		if _, err := f.gw.DashboardRefund(f.ctx, "pi_1", refund.Money{Amount: 1500, Currency: "EUR"}); err != nil {
			t.Fatal(err)
		}
		evs, err := f.gw.Events(f.ctx, "pi_1")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Type == "refund.created" {
				return e.Payload
			}
		}
		t.Fatalf("the sandbox recorded no refund.created (%d events)", len(evs))
		return nil
	}
	wantCountedOnce := func(t *testing.T, f *hookFixture) {
		t.Helper()
		if got := f.order().Refunded; got != 1500 {
			t.Errorf("the ledger counts %d refunded, want the dashboard's 1500 once", got)
		}
		recs, err := f.store.ListOrderRefunds(f.ctx, "RF-1")
		if err != nil || len(recs) != 1 || recs[0].Origin != refund.OriginProvider {
			t.Errorf("ledger records %+v, %v; want the provider's one", recs, err)
		}
		f.wantLedgerIsProvider()
	}

	t.Run("twice in turn", func(t *testing.T) {
		f := newHookFixture(t)
		h, body := f.webhook(nil), dashboard(t, f)
		if got := outcome(f.deliver(h, body)); got != "processed" {
			t.Fatalf("first delivery: %q, want processed", got)
		}
		version := f.order().Version
		if got := outcome(f.deliver(h, body)); got != "duplicate" {
			t.Errorf("second delivery: %q, want duplicate", got)
		}
		if got := f.order().Version; got != version {
			t.Errorf("the second delivery changed the order: version %d → %d", version, got)
		}
		wantCountedOnce(t, f)
	})

	t.Run("twice at once", func(t *testing.T) {
		f := newHookFixture(t)
		h, body := f.webhook(nil), dashboard(t, f)
		var wg sync.WaitGroup
		answers := make([]events.APIGatewayV2HTTPResponse, 2)
		for i := range answers {
			wg.Go(func() {
				resp, err := call(h, hookEvent(body, signed(body, hookSecret, time.Now())))
				if err != nil {
					t.Error(err)
				}
				answers[i] = resp
			})
		}
		wg.Wait()
		processed := 0
		for _, a := range answers {
			switch {
			case outcome(a) == "processed":
				processed++
			case outcome(a) == "duplicate":
			case a.StatusCode == http.StatusConflict && a.Headers["Retry-After"] != "":
				// The other delivery held the claim: Stripe sends it again later, a duplicate then.
				if got := outcome(f.deliver(h, body)); got != "duplicate" {
					t.Errorf("the retry of a delivery answered 409: %q, want duplicate", got)
				}
			default:
				t.Errorf("answer %d: %s", a.StatusCode, a.Body)
			}
		}
		if processed != 1 {
			t.Errorf("%d deliveries processed the event, want exactly 1", processed)
		}
		wantCountedOnce(t, f)
	})

	t.Run("the same refund in two events at once", func(t *testing.T) {
		f := newHookFixture(t)
		h := f.webhook(nil)
		dashboard(t, f)
		evs, _ := f.gw.Events(f.ctx, "pi_1") // refund.created and charge.refunded, both listing it
		if len(evs) != 2 {
			t.Fatalf("the sandbox recorded %d events, want refund.created and charge.refunded", len(evs))
		}
		var wg sync.WaitGroup
		for _, e := range evs {
			wg.Go(func() {
				resp, err := call(h, hookEvent(e.Payload, signed(e.Payload, hookSecret, time.Now())))
				if err != nil || resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable {
					t.Errorf("%s: %v %d %s", e.Type, err, resp.StatusCode, resp.Body)
				}
				if resp.StatusCode != http.StatusOK { // retried by Stripe
					if a := f.deliver(h, e.Payload); a.StatusCode != http.StatusOK {
						t.Errorf("%s redelivered: %d %s", e.Type, a.StatusCode, a.Body)
					}
				}
			})
		}
		wg.Wait()
		wantCountedOnce(t, f)
	})

	t.Run("store failure then redelivery", func(t *testing.T) {
		f := newHookFixture(t)
		body := dashboard(t, f)
		h := f.webhook(&flakyHookStore{StripeWebhookStore: f.store, fails: 1})
		resp := f.deliver(h, body)
		if resp.StatusCode < 500 {
			t.Fatalf("a delivery whose ledger write failed answered %d, want 5xx so Stripe retries: %s", resp.StatusCode, resp.Body)
		}
		if strings.Contains(resp.Body, "ProvisionedThroughput") {
			t.Errorf("the answer shows the raw error: %s", resp.Body)
		}
		if got := f.order().Refunded; got != 0 {
			t.Errorf("after the failed delivery the ledger counts %d", got)
		}
		// Stripe's retry comes at once: the failed delivery released its claim.
		if got := outcome(f.deliver(h, body)); got != "processed" {
			t.Fatalf("redelivery: %q, want processed", got)
		}
		if got := outcome(f.deliver(h, body)); got != "duplicate" {
			t.Errorf("third delivery: %q, want duplicate", got)
		}
		wantCountedOnce(t, f)
	})
}

// eventsDuringRefund is the payment provider as ExecuteResolution calls it, with the provider's
// events arriving before the step has recorded the provider's answer: it refunds at the sandbox,
// has the sandbox fail the refund at once (as a closed card makes it fail a moment later), delivers
// the events of the payment to the webhook in the order given, and only then answers, or (lost) fails
// as a call whose answer was lost does, so the state machine retries the step.
type eventsDuringRefund struct {
	payment.Gateway // the sandbox, for the rest
	f               *hookFixture
	hook            handler.StripeWebhook
	order           func(evs []sandbox.Event) []sandbox.Event
	lost            bool
	calls           int
}

func (g *eventsDuringRefund) Refund(ctx context.Context, req payment.RefundRequest) (payment.Refund, error) {
	g.calls++
	res, err := g.f.gw.Refund(ctx, req)
	if err != nil || g.calls > 1 {
		return res, err
	}
	if err := g.f.gw.FailRefund(ctx, req.PaymentReference, res.ID, "expired_or_canceled_card"); err != nil {
		g.f.t.Fatal(err)
	}
	evs, err := g.f.gw.Events(ctx, req.PaymentReference)
	if err != nil {
		g.f.t.Fatal(err)
	}
	for _, e := range g.order(evs) {
		if resp := g.f.deliver(g.hook, e.Payload); resp.StatusCode != http.StatusOK {
			g.f.t.Errorf("%s delivered before the refund was recorded: %d %s", e.Type, resp.StatusCode, resp.Body)
		}
	}
	if g.lost {
		return payment.Refund{}, &payment.PaymentUnavailable{Provider: "sandbox", Reason: "timeout", Err: context.DeadlineExceeded}
	}
	return res, nil
}

// A refund that fails at the provider and whose failure the provider reports before ExecuteResolution
// recorded the provider's answer (the step slow, or its answer lost and the step retried): the failure
// is applied once, and never lost. The reservation is released (the ledger equals the provider's
// refunds), the request needs attention, the client and staff get the refund-failed emails once and
// the client never a completed one, and a later run of the step and the events delivered again change
// nothing.
func TestRefundFailedBeforeItsRecord(t *testing.T) {
	inOrder := func(evs []sandbox.Event) []sandbox.Event { return evs }
	failedOnly := func(evs []sandbox.Event) []sandbox.Event {
		var out []sandbox.Event
		for _, e := range evs {
			if e.Type == "refund.failed" || e.Type == "charge.refund.updated" {
				out = append(out, e)
			}
		}
		return out
	}
	reversed := func(evs []sandbox.Event) []sandbox.Event {
		out := append([]sandbox.Event(nil), evs...)
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		return out
	}
	tests := []struct {
		name   string
		order  func([]sandbox.Event) []sandbox.Event
		lost   bool
		errIs  func(error) bool
		errFor string
	}{
		{name: "step slow, events in order", order: inOrder, errIs: payment.IsDeclined, errFor: "PaymentDeclined"},
		{name: "step slow, only the failure", order: failedOnly, errIs: payment.IsDeclined, errFor: "PaymentDeclined"},
		{name: "step slow, events reversed", order: reversed, errIs: payment.IsDeclined, errFor: "PaymentDeclined"},
		{name: "answer lost, step retried", order: inOrder, lost: true, errIs: payment.IsUnavailable, errFor: "PaymentUnavailable"},
		{name: "answer lost, only the failure", order: failedOnly, lost: true, errIs: payment.IsUnavailable, errFor: "PaymentUnavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newHookFixture(t)
			f.toConsent()
			f.accept()
			hook := f.webhook(nil)
			gw := &eventsDuringRefund{Gateway: f.gw, f: f, hook: hook, order: tt.order, lost: tt.lost}
			step := handler.ExecuteResolution{Store: f.store, Payment: gw}
			_, err := step.Handle(f.ctx, handler.TaskInput{RequestID: f.id})
			if !tt.errIs(err) {
				t.Fatalf("the step: %v, want a %s (the state machine then retries or goes to needs attention)", err, tt.errFor)
			}
			// The state machine retries PaymentUnavailable; every other error goes to MarkNeedsAttention.
			// Either way another run of the step refuses: the request already needs attention.
			for range 2 {
				var refused *handler.ExecutionRefused
				if _, err := step.Handle(f.ctx, handler.TaskInput{RequestID: f.id}); !errors.As(err, &refused) {
					t.Errorf("the step run again: %v, want ExecutionRefused", err)
				}
			}
			if got := f.status(); got != refund.StatusNeedsAttention {
				t.Errorf("request %s, want needs_attention", got)
			}
			rec, err := f.store.GetRefund(f.ctx, "RF-1", f.id, 1)
			if err != nil || rec.State != refund.RefundFailed || !rec.FailedLater() {
				t.Errorf("ledger record %+v, %v; want attempt 1 failed at the provider", rec, err)
			}
			if got := f.order().Refunded; got != 0 {
				t.Errorf("the ledger counts %d refunded, want 0", got)
			}
			f.wantLedgerIsProvider()
			if gw.calls > 1 {
				st, _ := f.gw.Payment(f.ctx, "pi_1")
				if len(st.Refunds) != 1 {
					t.Errorf("the provider has %d refunds, want the one failed", len(st.Refunds))
				}
			}

			// Every event again, in order: duplicates, or news already applied.
			evs, _ := f.gw.Events(f.ctx, "pi_1")
			for _, e := range evs {
				if resp := f.deliver(hook, e.Payload); resp.StatusCode != http.StatusOK {
					t.Errorf("%s again: %d %s", e.Type, resp.StatusCode, resp.Body)
				}
			}
			if got := f.order().Refunded; got != 0 {
				t.Errorf("after the events again the ledger counts %d refunded, want 0", got)
			}
			if got, want := strings.Join(f.mail.kinds(), ","), "offers,staff_refund_failed,refund_failed"; got != want {
				t.Errorf("emails %s, want %s (never a completed one)", got, want)
			}
			if len(f.started.inputs) != 0 {
				t.Errorf("the webhook started executions %+v; the request's own execution is still running", f.started.inputs)
			}
		})
	}
}

// A dispute that closes, delivered with its opening, twice each and in either order. Won: the order's
// flag follows (no longer under dispute) and nothing else changes: the ledger and what remains
// refundable stay, and a refund may be reserved again. Lost: the client's bank gave the disputed
// amount back (a chargeback), so what remains refundable on the order is paid − refunded − that
// amount, and neither a refund to the card nor a settlement outside the provider can return it
// again; the ledger still equals the provider's refunds (a chargeback is not a refund).
func TestDisputeClosed(t *testing.T) {
	tests := []struct {
		name          string
		status        string
		disputed      int64
		wantRemaining int64
	}{
		{name: "won", status: "won", disputed: 80000, wantRemaining: 80000},
		{name: "lost, the whole payment", status: "lost", disputed: 80000, wantRemaining: 0},
		{name: "lost, part of the payment", status: "lost", disputed: 30000, wantRemaining: 50000},
	}
	for _, tt := range tests {
		for _, reversed := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, reversed %v", tt.name, reversed), func(t *testing.T) {
				f := newHookFixture(t)
				h := f.webhook(nil)
				opened := stripeEvent(t, "evt_dp_open", "charge.dispute.created", disputeObject("dp_1", "pi_1", tt.disputed, "needs_response"))
				closedObj := disputeObject("dp_1", "pi_1", tt.disputed, tt.status)
				closed, err := json.Marshal(map[string]any{"id": "evt_dp_closed", "object": "event", "api_version": "2025-03-31.basil",
					"created": time.Now().Add(time.Hour).Unix(), "livemode": false, "type": "charge.dispute.closed", "data": map[string]any{"object": closedObj}})
				if err != nil {
					t.Fatal(err)
				}
				bodies := [][]byte{opened, closed, opened, closed}
				if reversed {
					bodies = [][]byte{closed, opened, closed, opened}
				}
				for _, b := range bodies {
					if resp := f.deliver(h, b); resp.StatusCode != http.StatusOK {
						t.Fatalf("delivery: %d %s", resp.StatusCode, resp.Body)
					}
				}
				o := f.order()
				if o.Dispute == nil || string(o.Dispute.Status) != tt.status {
					t.Fatalf("order dispute %+v, want %s", o.Dispute, tt.status)
				}
				if got := o.UnderDispute(); got != (tt.status == "lost") {
					t.Errorf("under dispute %v after the dispute was %s", got, tt.status)
				}
				if got := o.Refunded; got != 0 {
					t.Errorf("the ledger counts %d refunded, want 0 (a chargeback is not a refund)", got)
				}
				f.wantLedgerIsProvider()
				if got := o.Remaining().Amount; got != tt.wantRemaining {
					t.Errorf("remaining refundable %d, want %d (paid 80000, disputed %d, %s)", got, tt.wantRemaining, tt.disputed, tt.status)
				}
				if err := o.CheckRefund(refund.Money{Amount: tt.wantRemaining + 1, Currency: "EUR"}); refund.ErrorCode(err) != refund.CodeConflict {
					t.Errorf("a refund of one cent more than remains: %v, want CodeConflict", err)
				}

				// Staff settle the request outside the provider: at most what remains.
				req, err := f.store.GetRequest(f.ctx, f.id)
				if err != nil {
					t.Fatal(err)
				}
				if err := f.store.Transition(f.ctx, f.id, req.Status, refund.StatusNeedsAttention, req.Version,
					refund.AuditEntry{Actor: "system:test", Detail: "test"}); err != nil {
					t.Fatal(err)
				}
				req, _ = f.store.GetRequest(f.ctx, f.id)
				settle := func(amount int64) error {
					_, err := f.store.SettleOutside(f.ctx, f.id, req.Version, refund.Settlement{Amount: refund.Money{Amount: amount, Currency: "EUR"},
						Method: "bank transfer", Reference: "TR-1"}, 1, refund.AuditEntry{Actor: "staff:test", Detail: "settled"})
					return err
				}
				if err := settle(tt.wantRemaining + 1); err == nil {
					t.Errorf("a settlement of %d was recorded, more than the %d that remains: the client is paid twice", tt.wantRemaining+1, tt.wantRemaining)
				}
				if got := f.order().Refunded; got != 0 {
					t.Errorf("after the refused settlement the ledger counts %d", got)
				}
				if tt.wantRemaining > 0 {
					if err := settle(tt.wantRemaining); err != nil {
						t.Errorf("a settlement of what remains (%d): %v", tt.wantRemaining, err)
					}
				}
			})
		}
	}
}
