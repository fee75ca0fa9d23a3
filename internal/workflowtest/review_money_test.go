package workflowtest

import (
	"testing"

	"refundflow/refund"
)

// Review of issue 17 (review/money), ported by issue 15, whose order route now records the provider
// that verified the payment (normalised) whatever the body says.

// The offers are rounded to the provider's step by the provider NAME on the order record
// (payment.RefundIncrement(order.Payment.Provider, ...)), compared case-sensitively, while nothing
// validates that name (refund.Order.Validate accepts any string, "" included) and the gateway that
// actually refunds is whatever PAYMENT_PROVIDER names (lower-cased by awsenv/payments). An order the
// billing system sends with provider "Sandbox" (or "Stripe", or "") gets offers in single fils; the
// client accepts one; the gateway refuses it (Stripe's rule, which the sandbox applies too); the
// request ends in needs_attention, the symptom defect 1 of issue 17 was meant to remove.
func TestReviewProviderNameSpellingSkipsRounding(t *testing.T) {
	for _, provider := range []string{"Sandbox", ""} {
		t.Run("provider="+provider, func(t *testing.T) {
			h := newHarness(t)
			o := h.newOrder(refund.ServiceHours, func(o *refund.Order) {
				o.Currency = "KWD"
				o.PurchaseDate = "2025-01-10" // after cooling-off
				o.Paid = 80000
				o.Service.Hours = &refund.Hours{Purchased: 30, Used: 10, TotalPrice: 80000} // 53.333 KWD unused
				o.Payment.Provider = provider
			})
			id := h.submitRequest(o, refund.ReasonChangedMind)
			offers, _, err := h.Store.ListOffers(h.Ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, of := range offers {
				if of.IsRefund() && of.Amount.Amount%10 != 0 {
					t.Errorf("refund offer %s is %s: not a multiple of KWD 0.010, which the gateway cannot refund", of.ID, of.Amount)
				}
			}
			h.acceptKind(id, refund.OfferPartialRefund)
			if got := h.Request(id).Status; got != refund.StatusCompleted {
				t.Errorf("request is %s after the client accepted the policy's own offer, want completed\nhistory: %s", got, h.History(id))
			}
		})
	}
}
