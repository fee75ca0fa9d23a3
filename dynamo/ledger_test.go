package dynamo_test

import (
	"testing"
	"time"

	"refundflow/dynamo/dynamotest"
	"refundflow/refund"
)

func eur(amount int64) refund.Money { return refund.Money{Amount: amount, Currency: "EUR"} }

func TestRefundLedger(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		req := e.executing("req-1", "RF-1") // order paid EUR 1,000.00

		// Not executing: no refund. (A second request on another order, still awaiting consent.)
		other, _, _ := e.awaitingConsent("req-2", "RF-2")
		_, err := e.s.ReserveRefund(e.ctx, "RF-2", other.ID, 1, eur(100), systemAudit("ExecuteResolution"))
		wantCode(t, err, refund.CodeConflict, "not executing")

		r1, err := e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 1, eur(60000), systemAudit("ExecuteResolution"))
		must(t, err)
		if r1.State != refund.RefundReserved || r1.IdempotencyKey != "refund:req-1:1" || r1.PaymentReference != "pi_RF-1" || r1.Amount != eur(60000) {
			t.Errorf("reservation = %+v", r1)
		}
		order, err := e.s.GetOrder(e.ctx, "RF-1")
		must(t, err)
		if order.Refunded != 60000 || order.Version != 2 {
			t.Errorf("order after reservation: refunded %d version %d, want 60000 and 2", order.Refunded, order.Version)
		}

		// Reserving the same attempt again returns it and does not count it twice.
		e.clock.Advance(time.Minute)
		again, err := e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 1, eur(60000), systemAudit("ExecuteResolution"))
		must(t, err)
		if again != r1 {
			t.Errorf("second reservation = %+v, want the first %+v", again, r1)
		}
		_, err = e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 1, eur(500), systemAudit("ExecuteResolution"))
		wantCode(t, err, refund.CodeConflict, "already reserved for EUR 600.00")

		// More than remains: refused, with what remains.
		_, err = e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 2, eur(40001), systemAudit("ExecuteResolution"))
		wantCode(t, err, refund.CodeConflict, "EUR 400.00 that remains")
		_, err = e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 2, refund.Money{Amount: 100, Currency: "USD"}, systemAudit("ExecuteResolution"))
		wantCode(t, err, refund.CodeConflict, "in EUR")
		_, err = e.s.ReserveRefund(e.ctx, "RF-X", req.ID, 2, eur(1), systemAudit("ExecuteResolution"))
		wantCode(t, err, refund.CodeNotFound, "")

		// Complete: idempotent with the same provider id, refused with another.
		done, err := e.s.CompleteRefund(e.ctx, "RF-1", req.ID, 1, "re_123")
		must(t, err)
		if done.State != refund.RefundSucceeded || done.ProviderRefundID != "re_123" || !done.UpdatedAt.Equal(start.Add(time.Minute)) {
			t.Errorf("completed = %+v", done)
		}
		_, err = e.s.CompleteRefund(e.ctx, "RF-1", req.ID, 1, "re_123")
		must(t, err)
		_, err = e.s.CompleteRefund(e.ctx, "RF-1", req.ID, 1, "re_other")
		wantCode(t, err, refund.CodeConflict, "already completed")
		wantCode(t, e.s.FailRefund(e.ctx, "RF-1", req.ID, 1, "declined"), refund.CodeConflict, "cannot be released")

		// A second attempt that the provider refuses: released from the ledger, once.
		_, err = e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 2, eur(40000), systemAudit("ExecuteResolution"))
		must(t, err)
		order, err = e.s.GetOrder(e.ctx, "RF-1")
		must(t, err)
		if order.Refunded != 100000 || order.Remaining().Amount != 0 {
			t.Errorf("refunded %d, want everything paid", order.Refunded)
		}
		_, err = e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 3, eur(1), systemAudit("ExecuteResolution"))
		wantCode(t, err, refund.CodeConflict, "remains")
		must(t, e.s.FailRefund(e.ctx, "RF-1", req.ID, 2, "card_expired"))
		must(t, e.s.FailRefund(e.ctx, "RF-1", req.ID, 2, "card_expired"))
		order, err = e.s.GetOrder(e.ctx, "RF-1")
		must(t, err)
		if order.Refunded != 60000 {
			t.Errorf("refunded after release = %d, want 60000", order.Refunded)
		}
		_, err = e.s.CompleteRefund(e.ctx, "RF-1", req.ID, 2, "re_late")
		wantCode(t, err, refund.CodeConflict, "released")
		r2, err := e.s.GetRefund(e.ctx, "RF-1", req.ID, 2)
		must(t, err)
		if r2.State != refund.RefundFailed || r2.FailureReason != "card_expired" {
			t.Errorf("failed attempt = %+v", r2)
		}

		refunds, err := e.s.ListOrderRefunds(e.ctx, "RF-1")
		must(t, err)
		if len(refunds) != 2 || refunds[0].N != 1 || refunds[1].N != 2 {
			t.Errorf("refunds = %+v", refunds)
		}

		// The billing system cannot set paid below what is refunded; the ledger survives its updates.
		order.Paid, order.Refunded = 50000, 0
		_, err = e.s.PutOrder(e.ctx, order)
		wantCode(t, err, refund.CodeConflict, "more than the new paid amount")
		order.Paid, order.Refunded = 100000, 0
		order.Status = refund.OrderCancelled
		updated, err := e.s.PutOrder(e.ctx, order)
		must(t, err)
		if updated.Refunded != 60000 {
			t.Errorf("billing update changed the ledger to %d", updated.Refunded)
		}

		if got, want := e.actions("req-1"), "submitted:>submitted status_changed:submitted>awaiting_consent consent_accepted:awaiting_consent>executing refund_reserved refund_reserved"; got != want {
			t.Errorf("audit = %q, want %q", got, want)
		}
	})
}
