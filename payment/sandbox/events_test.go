package sandbox_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"refundflow/payment"
	"refundflow/payment/sandbox"
	"refundflow/payment/stripepay"
	"refundflow/refund"
)

const secret = "whsec_sandbox_test"

// read reads the sandbox's pending events as the webhook route would: signed by the sandbox, read by
// stripepay. It returns them by type.
func read(t *testing.T, g *sandbox.Gateway) map[string][]payment.Event {
	t.Helper()
	ctx := context.Background()
	evs, err := g.PendingEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]payment.Event{}
	for _, e := range evs {
		got, err := stripepay.Webhook{Secret: secret}.Event(e.Payload, sandbox.Sign(e.Payload, secret, e.Created))
		if err != nil {
			t.Fatalf("event %s (%s) does not read as a signed Stripe event: %v", e.ID, e.Type, err)
		}
		if got.ID != e.ID || got.Type != e.Type {
			t.Errorf("event %s %s reads as %s %s", e.ID, e.Type, got.ID, got.Type)
		}
		out[e.Type] = append(out[e.Type], got)
		if err := g.MarkDelivered(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestRefundEventsReadAsStripesOwn(t *testing.T) {
	ctx := context.Background()
	g := newGateway(t)
	r, err := g.Refund(ctx, req("refund:req-1:1", 2500))
	if err != nil {
		t.Fatal(err)
	}
	evs := read(t, g)
	if len(evs["refund.created"]) != 1 || len(evs["charge.refunded"]) != 1 || len(evs) != 2 {
		t.Fatalf("events after a refund = %v, want refund.created and charge.refunded", evs)
	}
	want := refund.ProviderRefund{ID: r.ID, PaymentReference: "pi_1", Amount: eur(2500), Status: refund.ProviderRefundSucceeded, IdempotencyKey: "refund:req-1:1"}
	for _, e := range append(evs["refund.created"], evs["charge.refunded"]...) {
		got := e.Refunds[len(e.Refunds)-1]
		got.Created = want.Created
		if len(e.Refunds) != 1 || got != want {
			t.Errorf("%s reports %+v, want %+v", e.Type, e.Refunds, want)
		}
	}

	// Failed later: the payment's refunded total drops, and the events say so with the reason.
	if err := g.FailRefund(ctx, "pi_1", r.ID, "expired_or_canceled_card"); err != nil {
		t.Fatal(err)
	}
	if got := state(t, g, "pi_1"); got.Refunded != eur(0) || got.Refunds[0].Refund.Status != "failed" || got.Refunds[0].FailureReason != "expired_or_canceled_card" {
		t.Errorf("after the failure: %+v", got)
	}
	evs = read(t, g)
	for _, typ := range []string{"refund.failed", "charge.refund.updated"} {
		if len(evs[typ]) != 1 || evs[typ][0].Refunds[0].Status != refund.ProviderRefundFailed || evs[typ][0].Refunds[0].FailureReason != "expired_or_canceled_card" {
			t.Errorf("%s = %+v", typ, evs[typ])
		}
	}
	if err := g.FailRefund(ctx, "pi_1", r.ID, "declined"); !errors.Is(err, sandbox.ErrRefundFinal) {
		t.Errorf("failing a failed refund: %v, want ErrRefundFinal", err)
	}
	// The key's replay still answers with the refund as it was made, as Stripe's idempotency layer
	// does; the full amount is refundable again.
	if again, err := g.Refund(ctx, req("refund:req-1:1", 2500)); err != nil || again != r {
		t.Errorf("replay after the failure = %+v, %v; want %+v", again, err, r)
	}
	if _, err := g.Refund(ctx, req("refund:req-1:2", 10000)); err != nil {
		t.Errorf("refund of everything after the failure: %v", err)
	}

	// Pending, then succeeded.
	g2 := newGateway(t)
	g2.FailNext(1, sandbox.FaultPending)
	p, err := g2.Refund(ctx, req("refund:req-2:1", 1000))
	if err != nil || p.Status != payment.StatusPending {
		t.Fatalf("pending refund = %+v, %v", p, err)
	}
	if evs := read(t, g2); evs["refund.created"][0].Refunds[0].Status != refund.ProviderRefundPending {
		t.Errorf("refund.created of a pending refund = %+v", evs["refund.created"])
	}
	if err := g2.SucceedRefund(ctx, "pi_1", p.ID); err != nil {
		t.Fatal(err)
	}
	if evs := read(t, g2); len(evs["refund.updated"]) != 1 || evs["refund.updated"][0].Refunds[0].Status != refund.ProviderRefundSucceeded {
		t.Errorf("refund.updated = %+v", evs)
	}
	if err := g2.SucceedRefund(ctx, "pi_1", p.ID); !errors.Is(err, sandbox.ErrRefundFinal) {
		t.Errorf("succeeding a succeeded refund: %v", err)
	}
	if err := g2.FailRefund(ctx, "pi_1", "re_unknown", ""); !errors.Is(err, sandbox.ErrNoRefund) {
		t.Errorf("failing an unknown refund: %v", err)
	}

	// From the dashboard: no key of Refundflow's in the events.
	d, err := g2.DashboardRefund(ctx, "pi_1", eur(500))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range read(t, g2)["refund.created"] {
		if e.Refunds[0].ID != d.ID || e.Refunds[0].IdempotencyKey != "" {
			t.Errorf("dashboard refund reads as %+v", e.Refunds)
		}
	}
}

func TestDisputesBlockSandboxRefunds(t *testing.T) {
	ctx := context.Background()
	g := newGateway(t)
	d, err := g.OpenDispute(ctx, "pi_1", "product_not_received")
	if err != nil {
		t.Fatal(err)
	}
	evs := read(t, g)
	got := evs["charge.dispute.created"]
	if len(got) != 1 || got[0].Dispute == nil || got[0].Dispute.ID != d.ID || got[0].Dispute.Status != refund.DisputeNeedsResponse ||
		got[0].Dispute.Amount != eur(10000) || got[0].Dispute.PaymentReference != "pi_1" || got[0].Dispute.Reason != "product_not_received" {
		t.Fatalf("dispute events = %+v", evs)
	}
	if _, err := g.Refund(ctx, req("k1", 100)); declinedCode(err) != sandbox.CodeDisputed {
		t.Errorf("refund during the dispute: %v, want %s", err, sandbox.CodeDisputed)
	}
	if _, err := g.OpenDispute(ctx, "pi_1", ""); !errors.Is(err, sandbox.ErrDisputeState) {
		t.Errorf("a second open dispute: %v", err)
	}
	if _, err := g.CloseDispute(ctx, "pi_1", true); err != nil {
		t.Fatal(err)
	}
	if evs := read(t, g); len(evs["charge.dispute.closed"]) != 1 || evs["charge.dispute.closed"][0].Dispute.Status != refund.DisputeWon {
		t.Errorf("closed = %+v", evs)
	}
	if _, err := g.Refund(ctx, req("k2", 100)); err != nil {
		t.Errorf("refund after a won dispute: %v", err)
	}
	if _, err := g.CloseDispute(ctx, "pi_1", false); !errors.Is(err, sandbox.ErrDisputeState) {
		t.Errorf("closing a closed dispute: %v", err)
	}
	if _, err := g.OpenDispute(ctx, "pi_1", "fraudulent"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.CloseDispute(ctx, "pi_1", false); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Refund(ctx, req("k3", 100)); declinedCode(err) != sandbox.CodeDisputed {
		t.Errorf("refund after a lost dispute: %v, want %s", err, sandbox.CodeDisputed)
	}
}

// TestDeliverSignsAndRetries: Deliver sends each due event signed with the endpoint's secret, and a
// refused one waits for its next try.
func TestDeliverSignsAndRetries(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var seen []string
	refuse := 1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ev, err := stripepay.Webhook{Secret: secret}.Event(body, r.Header.Get("Stripe-Signature"))
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if refuse > 0 {
			refuse--
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		seen = append(seen, ev.Type)
	}))
	defer srv.Close()
	g := newGateway(t)
	if _, err := g.Refund(ctx, req("refund:req-1:1", 2500)); err != nil {
		t.Fatal(err)
	}
	rep, err := g.Deliver(ctx, sandbox.Endpoint{URL: srv.URL, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Delivered != 1 || rep.Refused != 1 {
		t.Errorf("first delivery = %+v, want one delivered and one refused", rep)
	}
	rep, err = g.Deliver(ctx, sandbox.Endpoint{URL: srv.URL, Secret: secret})
	if err != nil || rep.Waiting != 1 || rep.Delivered != 0 {
		t.Errorf("right after = %+v, %v; want the refused one waiting for its next try", rep, err)
	}
	if _, err := (g.Deliver(ctx, sandbox.Endpoint{URL: srv.URL, Secret: "whsec_wrong"})); err != nil {
		t.Fatal(err)
	}
	evs, err := g.Events(ctx, "pi_1")
	if err != nil || len(evs) != 2 {
		t.Fatalf("events = %v, %v", evs, err)
	}
	delivered := 0
	for _, e := range evs {
		if !e.Delivered.IsZero() {
			delivered++
		}
	}
	if delivered != 1 || len(seen) != 1 {
		t.Errorf("%d events marked delivered, %d acknowledged, want 1 and 1", delivered, len(seen))
	}
}
