package faulttest

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"refundflow/handler"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

var staffRetry = handler.StaffActionRequest{Action: refund.StaffActionRetry, Note: "trying again"}

// declinedRequest makes a request whose refund the provider refused for certain, so it waits for a
// staff action; it returns the order and the request.
func (h *harness) declinedRequest() (refund.Order, string) {
	h.T.Helper()
	o := h.newOrder()
	id, _ := h.submitRequest(o)
	h.Settle()
	h.Pay.FailNext(1, sandbox.FaultDeclined)
	h.accept(id)
	h.Settle()
	h.WantStaffWait(id)
	return o, id
}

// A staff retry whose own call to the provider times out after the provider refunded: the workflow
// retries ExecuteResolution with the retry's key, so the provider answers with the refund it made,
// and there is one refund.
func TestStaffRetryWhileTheProviderTimesOutAfterSuccess(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	o, id := h.declinedRequest()
	h.Pay.FailNext(1, sandbox.FaultTimeoutAfterSuccess)
	if a := h.StaffAction("staff-1", id, staffRetry); a.Status != http.StatusOK {
		t.Fatalf("retry answered %d: %s", a.Status, a.Body)
	}
	h.Settle()
	h.WantStatus(id, refund.StatusCompleted)
	p := h.OneProviderRefund(o)
	if got, want := p.IdempotencyKey, refund.RefundIdempotencyKey(id, 2); got != want {
		t.Errorf("the provider refunded under %q, want %q", got, want)
	}
}

// A staff retry whose SendTaskSuccess fails is recorded with its resume marker; two sweeps at once
// and a second member of staff pressing retry race to deliver it. One decision reaches the workflow:
// one refund, the request completed, the marker cleared, the second retry a 409.
func TestStaffRetryRacesTheSweeper(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	o, id := h.declinedRequest()
	ahead := handler.ResumeDecisions{Store: h.Store, Waits: h.Workflow(h.SFN), Clock: func() time.Time { return h.Clock.Now().Add(2 * time.Minute) }}

	h.Flaky.FailSend.Store(1)
	first := h.StaffAction("staff-1", id, staffRetry)
	if first.Status != http.StatusOK {
		t.Fatalf("retry answered %d: %s", first.Status, first.Body)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	resumed := 0
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := ahead.Sweep(h.Ctx)
			if err != nil {
				t.Errorf("sweep: %v", err)
			}
			mu.Lock()
			resumed += rep.Resumed
			mu.Unlock()
		}()
	}
	second := h.StaffAction("staff-2", id, staffRetry)
	wg.Wait()
	h.Settle()
	if second.Status != http.StatusConflict {
		t.Errorf("the second retry answered %d, want 409: %s", second.Status, second.Body)
	}
	if resumed != 1 {
		t.Errorf("the sweeps resumed %d workflows, want 1", resumed)
	}
	h.WantStatus(id, refund.StatusCompleted)
	h.wantPendingResume(id, false)
	h.OneProviderRefund(o)
}
