package workflowtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"refundflow/apigw"
	"refundflow/refund"
)

// Earlier refunds and cancellations recorded by Refundflow count in every later offer (issue 17):
// after a refund of the unused hours, the billing system's stale record (status active) cannot
// reopen the order, so no later request refunds the same hours again.
func TestSettledOrderStaysSettled(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceHours, afterCoolingOff) // 10 of 40 hours used: 30 unused
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.acceptKind(id, refund.OfferPartialRefund)
	h.WantStatus(id, refund.StatusCompleted)
	settled := h.Order(o.Number)
	if settled.Status != refund.OrderCancelled || settled.Refunded != 60000 {
		t.Fatalf("order after the refund: %s, %d refunded; want cancelled, 60000", settled.Status, settled.Refunded)
	}

	// The billing system sends its record again, at the current version, still saying active.
	stale := o
	stale.Version = settled.Version
	a := h.PutOrder(stale)
	if a.Status != http.StatusConflict {
		t.Fatalf("stale order update answered %d %s, want 409", a.Status, a.Body)
	}
	var body apigw.ErrorBody
	if err := json.Unmarshal([]byte(a.Body), &body); err != nil || !strings.Contains(body.Error.Fields["status"], "cannot become active again") {
		t.Errorf("the 409 does not name the field status: %s", a.Body)
	}
	if got := h.Order(o.Number); got.Status != refund.OrderCancelled {
		t.Fatalf("order is %s after the refused update", got.Status)
	}

	// A later request for the same order finds it settled.
	again := h.submitRequest(o, refund.ReasonChangedMind)
	h.WantStatus(again, refund.StatusRejected)
	h.OneProviderRefund(o)
}
