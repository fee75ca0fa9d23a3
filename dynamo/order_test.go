package dynamo_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"refundflow/dynamo/dynamotest"
	"refundflow/refund"
)

func TestOrders(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		in := testOrder("RF-2025-0042")
		in.Refunded = 5000
		created, err := e.s.PutOrder(e.ctx, in)
		must(t, err)
		if got, want := created.Version, int64(1); got != want {
			t.Errorf("created version = %d, want %d", got, want)
		}

		got, err := e.s.GetOrder(e.ctx, "rf-2025-0042") // order numbers ignore case
		must(t, err)
		if got.Number != in.Number || got.Email != in.Email || got.Paid != in.Paid || got.Refunded != 5000 ||
			got.Payment != in.Payment || got.Service.Hours == nil || *got.Service.Hours != *in.Service.Hours || got.Version != 1 {
			t.Errorf("GetOrder = %+v, want %+v at version 1", got, in)
		}

		// The SDK retrying a create that succeeded (same request, same instant) gets the order back.
		again, err := e.s.PutOrder(e.ctx, in)
		must(t, err)
		if again.Version != 1 {
			t.Errorf("retried create returned version %d, want 1", again.Version)
		}
		// A later, separate create of the same number is a conflict.
		e.clock.Advance(time.Second)
		_, err = e.s.PutOrder(e.ctx, in)
		wantCode(t, err, refund.CodeConflict, "already exists at version 1")

		upd := got
		upd.Status = refund.OrderCancelled
		upd.Refunded = 0 // the ledger is not the billing system's to change
		updated, err := e.s.PutOrder(e.ctx, upd)
		must(t, err)
		if updated.Version != 2 || updated.Status != refund.OrderCancelled || updated.Refunded != 5000 {
			t.Errorf("updated order = version %d status %s refunded %d, want 2 cancelled 5000", updated.Version, updated.Status, updated.Refunded)
		}

		_, err = e.s.PutOrder(e.ctx, upd) // still version 1
		wantCode(t, err, refund.CodeConflict, "now at version 2")

		low := updated
		low.Paid = 4000
		low.Refunded = 0
		_, err = e.s.PutOrder(e.ctx, low)
		wantCode(t, err, refund.CodeConflict, "more than the new paid amount")

		other := updated
		other.Currency, other.Refunded = "USD", 0
		_, err = e.s.PutOrder(e.ctx, other)
		wantCode(t, err, refund.CodeConflict, "currency")

		missing := testOrder("RF-NOPE")
		missing.Version = 3
		_, err = e.s.PutOrder(e.ctx, missing)
		wantCode(t, err, refund.CodeNotFound, "")

		_, err = e.s.GetOrder(e.ctx, "RF-NOPE")
		wantCode(t, err, refund.CodeNotFound, "RF-NOPE")

		bad := testOrder("RF-BAD")
		bad.Email = "not an email"
		_, err = e.s.PutOrder(e.ctx, bad)
		wantCode(t, err, refund.CodeInvalid, "")

		_, err = e.s.GetOrder(e.ctx, "RF#1")
		wantCode(t, err, refund.CodeInvalid, "")
	})
}

// TestLargeOrder stores a project with the most milestones the domain allows, with long names:
// well inside DynamoDB's 400 KB item limit, which dynalite enforces.
func TestLargeOrder(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		o := testOrder("RF-BIG")
		ms := make([]refund.Milestone, refund.MaxMilestones)
		name := ""
		for len([]rune(name)) < refund.MaxNameRunes {
			name += "€" // 3 bytes in UTF-8
		}
		for i := range ms {
			ms[i] = refund.Milestone{Name: name, Price: 500, Status: refund.MilestoneNotStarted}
		}
		o.Service = refund.Service{Type: refund.ServiceProject, Project: &refund.Project{Milestones: ms}}
		_, err := e.s.PutOrder(e.ctx, o)
		must(t, err)
		got, err := e.s.GetOrder(e.ctx, o.Number)
		must(t, err)
		if n := len(got.Service.Project.Milestones); n != refund.MaxMilestones || got.Service.Project.Milestones[7].Name != name {
			t.Errorf("read back %d milestones, want %d with their names", n, refund.MaxMilestones)
		}
	})
}

// An order Refundflow cancelled or refunded fully stays so: the billing system's update, even at
// the current version, cannot make it active again (issue 17: a stale order record must not undo
// what a request's execution recorded). Its own cancellations it may undo.
func TestClosedOrderCannotBeReopenedByTheBillingSystem(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		o, err := e.s.PutOrder(e.ctx, testOrder("RF-1"))
		must(t, err)
		_, err = e.s.CloseOrder(e.ctx, "RF-1", o.Version+1, refund.OrderCancelled, "req-1")
		wantCode(t, err, refund.CodeConflict, "since version 2; it is now at version 1")
		closed, err := e.s.CloseOrder(e.ctx, "RF-1", o.Version, refund.OrderCancelled, "req-1")
		must(t, err)
		if closed.Status != refund.OrderCancelled || closed.Version != 2 {
			t.Fatalf("closed order = %s v%d, want cancelled v2", closed.Status, closed.Version)
		}
		_, err = e.s.CloseOrder(e.ctx, "RF-9", 1, refund.OrderCancelled, "req-1")
		wantCode(t, err, refund.CodeNotFound, "")

		// The billing system's record still says active; it sends it at the current version.
		stale := testOrder("RF-1")
		stale.Version = closed.Version
		_, err = e.s.PutOrder(e.ctx, stale)
		wantCode(t, err, refund.CodeConflict, "cancelled by request req-1")
		var re *refund.Error
		if !errors.As(err, &re) || !strings.Contains(re.Fields["status"], "cannot become active again") {
			t.Errorf("the 409 does not name the field status: %#v", err)
		}
		if got, err := e.s.GetOrder(e.ctx, "RF-1"); err != nil || got.Status != refund.OrderCancelled || got.Version != 2 {
			t.Errorf("order after the refused update = %+v, %v", got, err)
		}
		// Any other change is fine while it keeps the status.
		stale.Status, stale.Email = refund.OrderCancelled, "new@example.com"
		updated, err := e.s.PutOrder(e.ctx, stale)
		must(t, err)
		if updated.Status != refund.OrderCancelled || updated.Email != "new@example.com" {
			t.Errorf("update keeping the status = %+v", updated)
		}

		// The billing system's own cancellation is its own to undo.
		own, err := e.s.PutOrder(e.ctx, testOrder("RF-2"))
		must(t, err)
		own.Status = refund.OrderCancelled
		own, err = e.s.PutOrder(e.ctx, own)
		must(t, err)
		own.Status = refund.OrderActive
		if _, err := e.s.PutOrder(e.ctx, own); err != nil {
			t.Errorf("the billing system could not reactivate its own cancellation: %v", err)
		}
	})
}

// A request that settles an order the billing system had already cancelled still records its close:
// the status was right already, but only the request's name keeps a stale record from making the
// order active again (and a later request from being offered what this one granted). Closing again
// for the same request, as a retried step does, changes nothing, not even the version.
func TestCloseOrderRecordsTheRequestOnACancelledOrder(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		_, err := e.s.PutOrder(e.ctx, testOrder("RF-1"))
		must(t, err)
		cancelled := testOrder("RF-1")
		cancelled.Version, cancelled.Status = 1, refund.OrderCancelled
		cancelled, err = e.s.PutOrder(e.ctx, cancelled) // the billing system cancels first: v2
		must(t, err)

		closed, err := e.s.CloseOrder(e.ctx, "RF-1", cancelled.Version, refund.OrderCancelled, "req-1")
		must(t, err)
		if closed.Status != refund.OrderCancelled || closed.Version != 3 {
			t.Fatalf("closed order = %s v%d, want cancelled v3", closed.Status, closed.Version)
		}
		for _, version := range []int64{closed.Version, cancelled.Version} { // a retry reads v3, or still holds v2
			again, err := e.s.CloseOrder(e.ctx, "RF-1", version, refund.OrderCancelled, "req-1")
			must(t, err)
			if again.Version != closed.Version {
				t.Errorf("closing again from v%d moved the order to v%d, want it left at v%d", version, again.Version, closed.Version)
			}
		}
		// Another status, or another request, is a new close: at a stale version it is a conflict.
		_, err = e.s.CloseOrder(e.ctx, "RF-1", cancelled.Version, refund.OrderFullyRefunded, "req-1")
		wantCode(t, err, refund.CodeConflict, "it is now at version 3")
		_, err = e.s.CloseOrder(e.ctx, "RF-1", cancelled.Version, refund.OrderCancelled, "req-2")
		wantCode(t, err, refund.CodeConflict, "it is now at version 3")

		stale := testOrder("RF-1")
		stale.Version = closed.Version
		_, err = e.s.PutOrder(e.ctx, stale)
		wantCode(t, err, refund.CodeConflict, "cancelled by request req-1")
	})
}
