package workflowtest

import (
	"context"
	"net/http"
	"strings"
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
// ledger still equals the provider's refunds (none). Staff cannot approve the re-issued full refund
// (409 naming what remains), and a settlement outside the provider of the payment is refused, since
// it would pay the client a second time.
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

	// The re-issued offers refund money the bank already returned: staff cannot send them, and
	// reject the request instead.
	code, answer := h.review(id, handler.ReviewDecision{Decision: handler.ReviewApprove})
	if code != http.StatusConflict || !strings.Contains(answer, "remains refundable") {
		t.Fatalf("approving a full refund of a charged-back payment answered %d, want 409 naming what remains: %s", code, answer)
	}
	h.WantStatus(id, refund.StatusInReview)
	if code, answer := h.review(id, handler.ReviewDecision{Decision: handler.ReviewReject,
		Message: "Your bank has already returned the whole payment to you (a chargeback), so there is nothing left for us to refund."}); code != http.StatusOK {
		t.Fatalf("reject: %d %s", code, answer)
	}
	h.WantStatus(id, refund.StatusReviewRejected)
	if n := len(h.ProviderRefunds(o)); n != 0 || h.Order(o.Number).Refunded != 0 {
		t.Errorf("the provider made %d refunds of a charged-back payment; the ledger counts %d", n, h.Order(o.Number).Refunded)
	}
}

// A dispute opened and lost while the accepted offer is being carried out: the refund is refused
// before the provider is called (the payment is charged back), the request needs attention, and a
// settlement outside the provider of the payment, which would pay the client a second time, is
// refused (4xx naming the amount); staff close the request instead. The ledger equals the
// provider's refunds (none) throughout.
func TestDisputeLostWhileExecuting(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	once := false
	h.Intercept("ExecuteResolution", func(_ context.Context, _ handler.TaskInput, next func() (handler.TaskOutput, error)) (handler.TaskOutput, error) {
		if !once {
			// Inside the invocation: the events are delivered without waiting for the engine.
			once = true
			if _, err := h.Pay.OpenDispute(h.Ctx, o.Payment.Reference, "fraudulent"); err != nil {
				t.Error(err)
			}
			if _, err := h.Pay.CloseDispute(h.Ctx, o.Payment.Reference, false); err != nil {
				t.Error(err)
			}
			evs, err := h.Pay.Events(h.Ctx, o.Payment.Reference)
			if err != nil {
				t.Error(err)
			}
			for _, e := range evs {
				if a := h.DeliverEvent(e.Payload); a.Status != http.StatusOK {
					t.Errorf("%s: %d %s", e.Type, a.Status, a.Body)
				}
			}
		}
		return next()
	})
	h.accept(id, 0)
	h.WantStatus(id, refund.StatusNeedsAttention)
	h.WantStaffWait(id)
	if got := h.Order(o.Number); got.ChargedBack != o.Paid || got.Refunded != 0 || len(h.ProviderRefunds(o)) != 0 {
		t.Errorf("charged back %d, refunded %d, provider refunds %d; want %d, 0, 0", got.ChargedBack, got.Refunded, len(h.ProviderRefunds(o)), o.Paid)
	}
	if n := len(h.Mails(mail.KindCompleted, id)); n != 0 {
		t.Errorf("%d completed emails", n)
	}

	settle := handler.StaffActionRequest{Action: refund.StaffActionSettledOutside, Note: "Paid by bank transfer.",
		Settlement: &refund.Settlement{Amount: refund.Money{Amount: o.Paid, Currency: o.Currency}, Method: "bank transfer", Reference: "TR-TWICE"}}
	a := h.StaffAction("staff-1", id, settle)
	if a.Status < 400 || a.Status >= 500 {
		t.Fatalf("a settlement of the whole payment after it was charged back answered %d, want 4xx: %s", a.Status, a.Body)
	}
	if !strings.Contains(a.Body, "remains refundable") {
		t.Errorf("the refusal does not say what remains: %s", a.Body)
	}
	if got := h.Order(o.Number).Refunded; got != 0 {
		t.Errorf("the ledger counts %d after the refused settlement", got)
	}
	h.staffAct(id, handler.StaffActionRequest{Action: refund.StaffActionClose, Note: "Charged back.",
		Message: "Your bank has already returned the whole payment to you (a chargeback), so there is nothing left for us to refund."}, http.StatusOK)
	h.WantStatus(id, refund.StatusClosed)
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
