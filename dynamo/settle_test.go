package dynamo_test

import (
	"sync"
	"testing"

	"refundflow/dynamo/dynamotest"
	"refundflow/refund"
)

// A settlement outside the provider counts in the ledger like a refund: refunded ≤ paid holds, an
// amount beyond what remains is refused as the staff member's mistake (400), and of two staff
// actions on the same version exactly one stands.
func TestSettleOutside(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		req := e.executing("req-1", "RF-1") // order paid EUR 1,000.00
		_, err := e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 1, eur(30000), systemAudit("ExecuteResolution"))
		must(t, err)
		must(t, e.s.FailRefund(e.ctx, "RF-1", req.ID, 1, "sandbox: card_closed"))
		_, err = e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 2, eur(20000), systemAudit("ExecuteResolution"))
		must(t, err) // attempt 2 stays reserved (outcome unknown): EUR 800.00 remain
		must(t, e.s.Transition(e.ctx, req.ID, refund.StatusExecuting, refund.StatusNeedsAttention, req.Version, systemAudit("MarkNeedsAttention")))
		version := req.Version + 1
		staff := refund.AuditEntry{Actor: "staff:s1", Detail: "paid back by bank transfer"}

		s := refund.Settlement{Amount: eur(80001), Method: "bank transfer", Reference: "TR-1"}
		_, err = e.s.SettleOutside(e.ctx, req.ID, version, s, 3, staff)
		wantCode(t, err, refund.CodeInvalid, "")

		s.Amount = eur(80000)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.s.SettleOutside(e.ctx, req.ID, version, s, 3, staff, refund.WithResume("settled"))
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch refund.ErrorCode(err) {
			case "":
				ok++
			case refund.CodeConflict:
			default:
				t.Errorf("settle: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of two settlements at once stood (%v), want exactly 1", ok, errs)
		}
		order, err := e.s.GetOrder(e.ctx, "RF-1")
		must(t, err)
		if got, want := order.Refunded, int64(100000); got != want {
			t.Errorf("refunded = %d, want %d (the reserved attempt 2 plus the settlement)", got, want)
		}
		got, err := e.s.GetRefund(e.ctx, "RF-1", req.ID, 3)
		must(t, err)
		if !got.SettledOutside || got.State != refund.RefundSucceeded || got.ProviderRefundID != "TR-1" || got.Amount != eur(80000) {
			t.Errorf("settlement record = %+v", got)
		}
		cur, err := e.s.GetRequest(e.ctx, req.ID)
		must(t, err)
		if cur.Status != refund.StatusCompleted {
			t.Errorf("request is %s, want completed", cur.Status)
		}
		if open, err := e.s.OpenRequestID(e.ctx, "RF-1"); err != nil || open != "" {
			t.Errorf("open request of RF-1 = %q, %v; want the lock released", open, err)
		}
		// Nothing remains: even a provider refund of one cent is refused now.
		_, err = e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 4, eur(1), systemAudit("ExecuteResolution"))
		wantCode(t, err, refund.CodeConflict, "")
	})
}
