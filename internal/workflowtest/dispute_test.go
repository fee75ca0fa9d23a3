package workflowtest

import (
	"encoding/json"
	"net/http"
	"testing"

	"refundflow/handler"
	"refundflow/mail"
	"refundflow/refund"
)

// disputeAtProvider opens a dispute on the order's payment at the sandbox provider, delivers its
// events, and then closes it (won or lost) and delivers them again.
func (h *harness) disputeAtProvider(o refund.Order, won bool) {
	h.T.Helper()
	if _, err := h.Pay.OpenDispute(h.Ctx, o.Payment.Reference, "product_not_received"); err != nil {
		h.T.Fatal(err)
	}
	h.deliverEvents(o)
	if _, err := h.Pay.CloseDispute(h.Ctx, o.Payment.Reference, won); err != nil {
		h.T.Fatal(err)
	}
	h.deliverEvents(o)
}

// A dispute opened while the client decides takes the request back to staff review, and is then lost:
// the client's bank gave the whole payment back. Nothing remains refundable on the order, and the
// ledger still equals the provider's refunds (none). Staff approve the re-issued offers anyway and
// the client accepts: the execution refunds nothing (the payment is charged back) and the request
// needs attention; a settlement outside the provider of the offered amount is then refused, since it
// would pay the client a second time. Staff close the request instead.
func TestDisputeLostEndToEnd(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.WantStatus(id, refund.StatusAwaitingConsent)
	h.disputeAtProvider(o, false)
	h.WantStatus(id, refund.StatusInReview)

	got := h.Order(o.Number)
	if got.Dispute == nil || got.Dispute.Status != refund.DisputeLost {
		t.Fatalf("order dispute %+v, want lost", got.Dispute)
	}
	if got.ChargedBack != o.Paid || got.Remaining().Amount != 0 || got.Refunded != 0 {
		t.Errorf("after the lost dispute: charged back %d, remaining %s, refunded %d; want %d, 0, 0", got.ChargedBack, got.Remaining(), got.Refunded, o.Paid)
	}
	if n := len(h.Mails(mail.KindStaffDispute, id)); n != 2 {
		t.Errorf("%d staff dispute emails, want one when it opened and one when it was lost", n)
	}

	if code, body := h.review(id, handler.ReviewDecision{Decision: handler.ReviewApprove}); code != http.StatusOK {
		t.Fatalf("approve: %d %s", code, body)
	}
	if h.Request(id).Status == refund.StatusAwaitingConsent {
		h.accept(id, 0)
	}
	h.WantStatus(id, refund.StatusNeedsAttention)
	h.WantStaffWait(id)
	if got := h.Order(o.Number).Refunded; got != 0 {
		t.Errorf("the ledger counts %d refunded after a lost dispute, want 0", got)
	}
	if n := len(h.ProviderRefunds(o)); n != 0 {
		t.Errorf("the provider made %d refunds of a charged-back payment", n)
	}

	settle := handler.StaffActionRequest{Action: refund.StaffActionSettledOutside, Note: "Paid by bank transfer.",
		Settlement: &refund.Settlement{Amount: refund.Money{Amount: o.Paid, Currency: o.Currency}, Method: "bank transfer", Reference: "TR-TWICE"}}
	a := h.StaffAction("staff-1", id, settle)
	if a.Status < 400 || a.Status >= 500 {
		t.Fatalf("a settlement of the whole payment after it was charged back answered %d, want 4xx: %s", a.Status, a.Body)
	}
	var body struct {
		Error struct {
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(a.Body), &body); err != nil || body.Error.Fields["settlement.amount"] == "" && body.Error.Fields["amount"] == "" {
		t.Errorf("the refusal does not name the amount: %s", a.Body)
	}
	if got := h.Order(o.Number).Refunded; got != 0 {
		t.Errorf("the ledger counts %d after the refused settlement", got)
	}
	h.staffAct(id, handler.StaffActionRequest{Action: refund.StaffActionClose, Note: "Charged back.",
		Message: "Your bank has already returned the whole payment to you (a chargeback), so there is nothing left for us to refund."}, http.StatusOK)
	h.Settle()
}

// A dispute won changes the order's flag and nothing else: the request goes on to completion with
// the offer the client accepts, refunded in full, and the ledger equals the provider's refunds.
func TestDisputeWonEndToEnd(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	h.disputeAtProvider(o, true)
	got := h.Order(o.Number)
	if got.Dispute == nil || got.Dispute.Status != refund.DisputeWon || got.UnderDispute() {
		t.Fatalf("order dispute %+v (under dispute %v), want won", got.Dispute, got.UnderDispute())
	}
	if got.ChargedBack != 0 || got.Refunded != 0 || got.Remaining().Amount != o.Paid {
		t.Errorf("after the won dispute: charged back %d, refunded %d, remaining %s; want 0, 0, all", got.ChargedBack, got.Refunded, got.Remaining())
	}
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.accept(id, 0)
	h.WantStatus(id, refund.StatusCompleted)
	st, err := h.Pay.Payment(h.Ctx, o.Payment.Reference)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.Order(o.Number).Refunded, st.Refunded.Amount; got != want || got == 0 {
		t.Errorf("the ledger counts %d refunded, the provider %d", got, want)
	}
}
