package dynamo_test

import (
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
