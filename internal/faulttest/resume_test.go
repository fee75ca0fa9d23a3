package faulttest

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"refundflow/handler"
	"refundflow/refund"
)

// The resume sweeper in the fault harness: ResumeDecisionsFunction as EventBridge runs it every five
// minutes, on the harness's DynamoDB (with its faults) and the HTTP functions' flaky Step Functions
// client, so an outage of Step Functions hits the sweeper as it hits the handlers.

// sweepEvery is the template's schedule, rate(5 minutes).
const sweepEvery = 5 * time.Minute

// sweeper returns the ResumeDecisions function of the harness (workflowtest.Harness.Sweeper).
func (h *harness) sweeper() handler.ResumeDecisions { return h.Sweeper() }

// sweep lets the schedule's next five minutes pass, runs one sweep and waits until the engine has
// run what it woke (without the extra minutes settle adds, so the times in the audit trail say when
// the sweep delivered).
func (h *harness) sweep() (handler.ResumeReport, error) {
	h.T.Helper()
	h.Clock.Advance(sweepEvery)
	rep, err := h.sweeper().Sweep(h.Ctx)
	ctx, cancel := context.WithTimeout(h.Ctx, 30*time.Second)
	defer cancel()
	if werr := h.Eng.WaitIdle(ctx); werr != nil {
		h.T.Fatalf("engine did not settle after the sweep: %v", werr)
	}
	return rep, err
}

// wantSweepFails runs a sweep while Step Functions is still down: it must report the undelivered
// decision (the function's Errors alarm) and keep the marker for the next run.
func (h *harness) wantSweepFails(id string) {
	h.T.Helper()
	rep, err := h.sweep()
	var inc *handler.ResumeIncomplete
	if !errors.As(err, &inc) || rep.Failed == 0 || rep.Resumed != 0 {
		h.T.Fatalf("sweep during the outage: %+v, %v; want the decision left for the next run", rep, err)
	}
	h.wantPendingResume(id, true)
}

// wantSweepResumes runs a sweep after the outage: it must deliver n decisions.
func (h *harness) wantSweepResumes(n int) {
	h.T.Helper()
	rep, err := h.sweep()
	if err != nil || rep.Resumed != n || rep.Failed != 0 {
		h.T.Fatalf("sweep after the outage: %+v, %v; want %d resumed", rep, err, n)
	}
}

// wantPendingResume checks whether the request's decision still waits for the sweeper.
func (h *harness) wantPendingResume(id string, want bool) {
	h.T.Helper()
	_, pending, err := h.Store.GetResume(h.Ctx, id)
	if err != nil {
		h.T.Fatalf("resume marker of %s: %v", id, err)
	}
	if pending != want {
		h.T.Errorf("resume marker of %s pending = %v, want %v", id, pending, want)
	}
}

// reachedAt returns when the request's audit trail says it moved into status.
func (h *harness) reachedAt(id string, status refund.Status) time.Time {
	h.T.Helper()
	entries, err := h.Store.ListAudit(h.Ctx, id)
	if err != nil {
		h.T.Fatalf("audit of %s: %v", id, err)
	}
	for _, e := range entries {
		if e.To == status {
			return e.At
		}
	}
	h.T.Fatalf("request %s never became %s; states: %s", id, status, h.History(id))
	return time.Time{}
}

// withinMinutes checks that something that followed a decision happened within half an hour of
// virtual time (two sweeps and the workflow's own steps), not at the wait's timeout days later.
func withinMinutes(t *testing.T, what string, decided, happened time.Time) {
	t.Helper()
	if d := happened.Sub(decided); d < 0 || d > 30*time.Minute {
		t.Errorf("%s %v after the decision, want within minutes", what, d)
	}
}

// TestSweepsRaceTheHandler runs the sweeper twice at the same time, in a loop, while the client
// accepts: the HTTP handler's own SendTaskSuccess and the sweeps' race for the token (the sweeper's
// clock is ahead, so it sees the marker at once). One decision reaches the workflow, once: one
// refund, the request completed, no marker left. Then the same with the handler's send failing, so
// that only the two concurrent sweeps deliver it.
func TestSweepsRaceTheHandler(t *testing.T) {
	t.Parallel()
	for _, handlerFails := range []bool{false, true} {
		name := "handler and two sweeps"
		if handlerFails {
			name = "two sweeps after the handler failed"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			o := h.newOrder()
			id, _ := h.submitRequest(o)
			h.Settle()
			ahead := handler.ResumeDecisions{Store: h.Store, Waits: h.Workflow(h.SFN), Clock: func() time.Time { return h.Clock.Now().Add(2 * time.Minute) }}

			stop := make(chan struct{})
			var wg sync.WaitGroup
			var mu sync.Mutex
			var errs []error
			resumed := 0
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						rep, err := ahead.Sweep(h.Ctx)
						mu.Lock()
						resumed += rep.Resumed
						if err != nil {
							errs = append(errs, err)
						}
						mu.Unlock()
						select {
						case <-stop:
							return
						default:
						}
					}
				}()
			}
			if handlerFails {
				h.Flaky.FailSend.Store(1)
			}
			statuses := h.accept(id)
			// A few more rounds after the decision, then stop.
			for i := 0; i < 3; i++ {
				rep, err := ahead.Sweep(h.Ctx)
				if err != nil {
					t.Errorf("sweep: %v", err)
				}
				mu.Lock()
				resumed += rep.Resumed
				mu.Unlock()
			}
			close(stop)
			wg.Wait()
			for _, err := range errs {
				t.Errorf("concurrent sweep: %v", err)
			}
			if statuses[0] != http.StatusSeeOther {
				t.Fatalf("accept answered %v", statuses)
			}
			if handlerFails && resumed != 1 {
				t.Errorf("the sweeps resumed %d workflows, want 1", resumed)
			}
			h.Settle()
			h.WantStatus(id, refund.StatusCompleted)
			h.wantPendingResume(id, false)
			h.OneProviderRefund(o)
		})
	}
}
