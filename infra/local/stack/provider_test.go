package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"refundflow/dynamo"
	"refundflow/handler"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

// provider does an action at the sandbox provider as a person on /_local/provider/ does (as JSON),
// failing the test unless it is answered 200.
func provider(t *testing.T, v *visitor, a ProviderAction) ProviderView {
	t.Helper()
	body, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	p := v.do(http.MethodPost, ProviderPath, bytes.NewReader(body), map[string]string{"Content-Type": "application/json", "Accept": "application/json"})
	if p.Status != http.StatusOK {
		t.Fatalf("provider action %+v: %s", a, p)
	}
	var view ProviderView
	if err := json.Unmarshal(p.Body, &view); err != nil {
		t.Fatalf("provider answer: %v", err)
	}
	return view
}

// postEvent sends one event body to the webhook route signed with secret at signedAt, and returns the
// status and the answer.
func postEvent(t *testing.T, s *Stack, payload []byte, secret string, signedAt time.Time) (int, handler.WebhookAnswer) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+WebhookPath, bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", sandbox.Sign(payload, secret, signedAt))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", WebhookPath, err)
	}
	defer resp.Body.Close()
	var ans handler.WebhookAnswer
	_ = json.NewDecoder(resp.Body).Decode(&ans)
	return resp.StatusCode, ans
}

// TestRefundFailsLaterAtTheProvider runs the path of issue 15's point 3 through the real stack: a
// client accepts a full refund, the refund is issued and the request completed; days later the bank
// sends the money back (the provider page's "Fail it later"). The provider's signed events reach
// POST /webhooks/stripe: the ledger releases the amount once, the request needs attention, the client
// is told plainly that the money did not go back and staff are told. Then every event of the payment
// is delivered again, newest first (a duplicate and out of order, as Stripe may): nothing changes. A
// replayed body with an old signature and one signed with another secret are refused.
func TestRefundFailsLaterAtTheProvider(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	ctx := context.Background()
	client, staff := newVisitor(t, s), newStaff(t, s)
	order := demoOrder(t, s, "RF-1001")
	ref := order.Payment.Reference

	status := client.submitForm(order, refund.KindRefund, refund.ReasonChangedMind, "We found an in-house team.")
	id := requestID(t, status.URL)
	offers := client.waitMail(order.Email, "Your options for order "+order.Number)
	accept(t, client, link(t, offers, "/consent/"), refund.OfferFullRefund, order.CustomerName)
	client.waitStatus(status.URL, refund.StatusCompleted)
	client.waitMail(order.Email, "Your refund for order "+order.Number+" has been issued")
	checkMoney(t, s, staff, id, 180000)

	// The refund's own events (refund.created, charge.refunded) are news of nothing: delivered, the
	// request stays completed.
	if _, err := s.DeliverEvents(ctx); err != nil {
		t.Fatal(err)
	}
	if d := staff.detail(id); d.Request.Status != refund.StatusCompleted {
		t.Fatalf("after the refund's own events the request is %s, want completed", d.Request.Status)
	}
	pay := sandboxPayment(t, s, ref)
	if len(pay.Refunds) != 1 {
		t.Fatalf("sandbox refunds %+v, want one", pay.Refunds)
	}
	refundID := pay.Refunds[0].Refund.ID
	page := client.get(ProviderPath)
	if page.Status != http.StatusOK {
		t.Fatalf("provider page: %s", page)
	}
	mustContain(t, page, refundID, "Fail it later", "Open a dispute", "Refund at the dashboard")

	view := provider(t, client, ProviderAction{Action: "fail_refund", Payment: ref, Refund: refundID, Reason: "expired_or_canceled_card"})
	if view.Waiting != 0 {
		t.Errorf("%d events still waiting after the action, want all delivered", view.Waiting)
	}

	d := staff.detail(id)
	if got, want := d.Request.Status, refund.StatusNeedsAttention; got != want {
		t.Fatalf("request after the refund failed: %s, want %s", got, want)
	}
	if got := d.Order.Refunded; got != 0 {
		t.Errorf("order ledger refunded %d after the refund failed, want 0 (released)", got)
	}
	if got := sandboxPayment(t, s, ref).Refunded.Amount; got != d.Order.Refunded {
		t.Errorf("the provider has %d refunded, the ledger %d", got, d.Order.Refunded)
	}
	failed := client.waitMail(order.Email, "Your refund for order "+order.Number+" did not go through")
	if !strings.Contains(failed.Text, "EUR 1,800.00") {
		t.Errorf("the client's email does not name the amount:\n%s", failed.Text)
	}
	client.waitMail(localStaffEmail, "Refund failed: request "+id)
	view2 := handler.StatusView{}
	client.getJSON(status.URL, &view2)
	if view2.Request.Status == refund.StatusCompleted || strings.Contains(strings.ToLower(view2.StatusText), "has been issued") {
		t.Errorf("the status page still says the refund is done: %s %q", view2.Request.Status, view2.StatusText)
	}

	// Everything the provider sent about the payment, again, newest first: each is acknowledged as a
	// duplicate and nothing changes (request version, ledger, audit trail, emails).
	before, mails := staff.detail(id), len(client.outboxMessages())
	evs, err := s.Sandbox().Events(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) < 4 {
		t.Fatalf("the sandbox recorded %d events for %s, want the refund's two and the failure's two", len(evs), ref)
	}
	slices.Reverse(evs)
	for _, e := range evs {
		code, ans := postEvent(t, s, e.Payload, s.WebhookSecret(), time.Now())
		if code != http.StatusOK || ans.Event != e.ID || ans.Outcome != "duplicate" {
			t.Errorf("redelivery of %s (%s): %d %+v, want 200 duplicate", e.ID, e.Type, code, ans)
		}
	}
	after := staff.detail(id)
	if after.Request.Version != before.Request.Version || after.Order.Refunded != before.Order.Refunded || len(after.Audit) != len(before.Audit) {
		t.Errorf("redelivered events changed the request: version %d → %d, refunded %d → %d, audit %d → %d entries",
			before.Request.Version, after.Request.Version, before.Order.Refunded, after.Order.Refunded, len(before.Audit), len(after.Audit))
	}
	if got := len(client.outboxMessages()); got != mails {
		t.Errorf("redelivered events sent %d more emails", got-mails)
	}

	// A replay (a signature older than five minutes) and a body signed with another secret are refused
	// before anything is read.
	if code, _ := postEvent(t, s, evs[0].Payload, s.WebhookSecret(), time.Now().Add(-10*time.Minute)); code != http.StatusBadRequest {
		t.Errorf("an event signed ten minutes ago: %d, want 400", code)
	}
	if code, _ := postEvent(t, s, evs[0].Payload, "whsec_another", time.Now()); code != http.StatusBadRequest {
		t.Errorf("an event signed with another secret: %d, want 400", code)
	}

	// The request's first execution ended when it completed; the webhook started a new one, which
	// waits for a staff action. Staff retry: the provider said for certain attempt 1 failed, so the
	// retry makes one new refund under attempt 2, and the request completes again.
	eventually(t, "the staff-action wait of the reopened request", func() bool { return staff.detail(id).LastWait == refund.TokenAttention })
	var acted handler.StaffActionResult
	staff.call(http.MethodPost, "/requests/"+id+"/actions", handler.StaffActionRequest{Action: refund.StaffActionRetry,
		Note: "The client has a new card on the same account; trying again."}, &acted, http.StatusOK)
	if got, want := acted.IdempotencyKey, refund.RefundIdempotencyKey(id, 2); got != want {
		t.Errorf("the retry uses %q, want %q", got, want)
	}
	client.waitStatus(status.URL, refund.StatusCompleted)
	pay = sandboxPayment(t, s, ref)
	if len(pay.Refunds) != 2 || pay.Refunds[1].IdempotencyKey != refund.RefundIdempotencyKey(id, 2) || pay.Refunds[1].Refund.Status != "succeeded" {
		t.Errorf("sandbox refunds after the retry %+v, want the failed one and one new under attempt 2", pay.Refunds)
	}
	checkMoney(t, s, staff, id, 180000)
}

// TestDisputeAndDashboardRefundAtTheProvider: a dispute opened while the client decides takes the
// request back to staff review (the offers withdrawn) and tells staff; closing it (won) updates the
// order's flag. A refund made at the provider's dashboard, outside Refundflow, is counted in the
// order's ledger, so refunded ≤ paid holds and later offers see it.
func TestDisputeAndDashboardRefundAtTheProvider(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	ctx := context.Background()
	client, staff := newVisitor(t, s), newStaff(t, s)
	order := demoOrder(t, s, "RF-1001")
	ref := order.Payment.Reference

	status := client.submitForm(order, refund.KindRefund, refund.ReasonChangedMind, "")
	id := requestID(t, status.URL)
	client.waitMail(order.Email, "Your options for order "+order.Number)
	client.waitStatus(status.URL, refund.StatusAwaitingConsent)

	provider(t, client, ProviderAction{Action: "open_dispute", Payment: ref, Reason: "fraudulent"})
	d := staff.detail(id)
	if got, want := d.Request.Status, refund.StatusInReview; got != want {
		t.Fatalf("request after a dispute opened: %s, want %s", got, want)
	}
	if d.Order.Dispute == nil || !d.Order.Dispute.Open() {
		t.Errorf("order dispute %+v, want an open one", d.Order.Dispute)
	}
	client.waitMail(localStaffEmail, "Dispute opened: order "+order.Number)

	provider(t, client, ProviderAction{Action: "win_dispute", Payment: ref})
	if d := staff.detail(id); d.Order.Dispute == nil || d.Order.Dispute.Status != refund.DisputeWon {
		t.Errorf("order dispute after it was won: %+v", d.Order.Dispute)
	}

	// A dashboard refund on another order, which has no request.
	other := demoOrder(t, s, "RF-1002")
	provider(t, client, ProviderAction{Action: "dashboard_refund", Payment: other.Payment.Reference, Amount: "100.00"})
	store := sandbox.New(outsideDynamoDB(s), s.TableName)
	st, err := store.Payment(ctx, other.Payment.Reference)
	if err != nil {
		t.Fatal(err)
	}
	o := orderOf(t, s, other.Number)
	if got := o.Refunded; got != st.Refunded.Amount || got != 10000 {
		t.Errorf("order %s ledger refunded %d, the provider %d; want both 10000", other.Number, got, st.Refunded.Amount)
	}
}

// orderOf reads an order through the stack's DynamoDB endpoint, as an outside tool would.
func orderOf(t *testing.T, s *Stack, number string) refund.Order {
	t.Helper()
	o, err := dynamo.New(outsideDynamoDB(s), s.TableName).GetOrder(context.Background(), number)
	if err != nil {
		t.Fatalf("order %s: %v", number, err)
	}
	return o
}

// stripeEvent is an event body as Stripe sends it (API version of stripe-go), about object.
func stripeEvent(t *testing.T, id, typ string, object map[string]any) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]any{"id": id, "object": "event", "api_version": stripe.APIVersion, "created": time.Now().Unix(),
		"livemode": false, "pending_webhooks": 1, "type": typ, "data": map[string]any{"object": object}})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// TestWebhookAnswersWhatStripeExpects sends what the provider may send besides the happy events: a
// body over the limit (413), an event about a payment no order has and a type Refundflow does not act
// on (both acknowledged, nothing changed), and the same dashboard refund event twice at once: each
// delivery is acknowledged or told to come back (409), and the ledger counts the refund once.
func TestWebhookAnswersWhatStripeExpects(t *testing.T) {
	t.Parallel()
	s, err := Start(context.Background(), Config{Addr: "127.0.0.1:0", Demo: true, EventDelivery: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Close(ctx)
	})
	secret := s.WebhookSecret()

	big := stripeEvent(t, "evt_big", "refund.created", map[string]any{"id": "re_big", "object": "refund", "padding": strings.Repeat("x", 1<<20)})
	if code, _ := postEvent(t, s, big, secret, time.Now()); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a 1 MB event: %d, want 413", code)
	}

	refundObject := func(id, payment string, amount int64) map[string]any {
		return map[string]any{"id": id, "object": "refund", "amount": amount, "currency": "eur", "payment_intent": payment,
			"charge": "ch_" + id, "status": "succeeded", "metadata": map[string]string{}, "created": time.Now().Unix()}
	}
	for _, c := range []struct {
		name, typ, outcome string
		object             map[string]any
	}{
		{"a payment no order has", "refund.created", "unknown_payment", refundObject("re_nobody", "pi_nobody", 5000)},
		{"a type Refundflow does not act on", "customer.created", "ignored", map[string]any{"id": "cus_1", "object": "customer"}},
	} {
		code, ans := postEvent(t, s, stripeEvent(t, "evt_"+strings.ReplaceAll(c.name, " ", "_"), c.typ, c.object), secret, time.Now())
		if code != http.StatusOK || !ans.Received || ans.Outcome != c.outcome {
			t.Errorf("%s: %d %+v, want 200 %s", c.name, code, ans, c.outcome)
		}
	}

	// The same event, twice at once.
	order := demoOrder(t, s, "RF-1002")
	before := orderOf(t, s, order.Number).Refunded
	body := stripeEvent(t, "evt_twice", "refund.created", refundObject("re_dashboard_twice", order.Payment.Reference, 2500))
	codes := make(chan int, 2)
	for range 2 {
		go func() {
			code, _ := postEvent(t, s, body, secret, time.Now())
			codes <- code
		}()
	}
	for range 2 {
		if code := <-codes; code != http.StatusOK && code != http.StatusConflict {
			t.Errorf("a delivery of an event delivered twice at once: %d, want 200 or 409", code)
		}
	}
	if code, ans := postEvent(t, s, body, secret, time.Now()); code != http.StatusOK || ans.Outcome != "duplicate" {
		t.Errorf("the event once more: %d %+v, want 200 duplicate", code, ans)
	}
	if got, want := orderOf(t, s, order.Number).Refunded, before+2500; got != want {
		t.Errorf("order %s refunded %d after the same dashboard refund three times, want %d (counted once)", order.Number, got, want)
	}
}
