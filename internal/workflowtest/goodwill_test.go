package workflowtest

import (
	"net/http"
	"strings"
	"testing"

	"refundflow/handler"
	"refundflow/mail"
	"refundflow/refund"
)

// allHoursUsed is an hours order after cooling-off with every hour used: the policy has nothing to
// offer, so the case goes to staff with an empty offer set.
func allHoursUsed(o *refund.Order) {
	o.PurchaseDate = "2025-01-10"
	o.Service.Hours.Used = o.Service.Hours.Purchased
}

// Approving a review with no offers (review of issue 17) answered 200: RequestConsent then had
// nothing to send, and the request ended in needs_attention, which no route leaves, with the order's
// open-request lock held, so the client could never ask again. Now the approval is a 409 that says
// what to do, and staff make a goodwill offer with adjust, which the client accepts and is paid.
func TestApprovingAnEmptyOfferSetIsRefusedAndGoodwillIsPaid(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceHours, allHoursUsed)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.WantStatus(id, refund.StatusInReview)
	if offers, _, _ := h.Store.ListOffers(h.Ctx, id); len(offers) != 0 {
		t.Fatalf("offers %+v, want none", offers)
	}

	code, body := h.review(id, handler.ReviewDecision{Decision: handler.ReviewApprove})
	if code != http.StatusConflict || !strings.Contains(body, "no offers to send") || !strings.Contains(body, "goodwill") {
		t.Errorf("approve of a case with no offers answered %d %s; want 409 telling staff to reject or make a goodwill offer", code, body)
	}
	h.WantStatus(id, refund.StatusInReview)

	// Ids are not how a goodwill offer is made: without goodwill: true the adjustment is a mistake.
	code, body = h.review(id, handler.ReviewDecision{Decision: handler.ReviewAdjust,
		Offers: []refund.OfferAdjustment{{Kind: refund.OfferPartialRefund, Amount: "150.00"}}})
	if code != http.StatusBadRequest || !strings.Contains(body, "offers[0].id") {
		t.Errorf("an adjustment naming no offer answered %d %s, want 400 on offers[0].id", code, body)
	}

	code, body = h.review(id, handler.ReviewDecision{Decision: handler.ReviewAdjust, Message: "Goodwill: the last session ran short.",
		Offers: []refund.OfferAdjustment{{Goodwill: true, Kind: refund.OfferPartialRefund, Amount: "150.00"}}})
	if code != http.StatusOK {
		t.Fatalf("goodwill adjustment answered %d %s", code, body)
	}
	h.WantStatus(id, refund.StatusAwaitingConsent)
	if m := h.Mails(mail.KindOffers, id); len(m) != 1 || !strings.Contains(m[0].Text, "150.00") {
		t.Errorf("offers emails %d, want one naming EUR 150.00", len(m))
	}
	h.acceptKind(id, refund.OfferPartialRefund)
	h.WantStatus(id, refund.StatusCompleted)
	if got := h.OneProviderRefund(o).Refund.Amount; got != (refund.Money{Amount: 15000, Currency: "EUR"}) {
		t.Errorf("the provider refunded %s, want EUR 150.00", got)
	}
	if got := h.Order(o.Number); got.Refunded != 15000 || got.Status != refund.OrderCancelled {
		t.Errorf("order after the goodwill refund: %s, %d refunded; want cancelled, 15000", got.Status, got.Refunded)
	}
}
