package dynamo_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"refundflow/dynamo/dynamotest"
	"refundflow/refund"
)

// report is what the provider says about a refund of order RF-1's payment.
func report(id string, amount int64, status refund.ProviderRefundStatus, key string) refund.ProviderRefund {
	return refund.ProviderRefund{ID: id, PaymentReference: "pi_RF-1", Amount: eur(amount), Status: status, IdempotencyKey: key,
		FailureReason: "expired_or_canceled_card", Created: start}
}

// refunded reads the order's refunded total.
func (e *env) refunded(number string) int64 {
	e.t.Helper()
	o, err := e.s.GetOrder(e.ctx, number)
	must(e.t, err)
	return o.Refunded
}

func TestProviderRefundsInTheLedger(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		req := e.executing("req-1", "RF-1") // order paid EUR 1,000.00
		_, err := e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 1, eur(60000), systemAudit("ExecuteResolution"))
		must(t, err)
		key := refund.RefundIdempotencyKey(req.ID, 1)
		apply := func(p refund.ProviderRefund) (refund.RefundRecord, refund.LedgerChange) {
			t.Helper()
			rec, ch, err := e.s.ApplyProviderRefund(e.ctx, "RF-1", p, systemAudit("StripeWebhook"))
			must(t, err)
			return rec, ch
		}

		// Refundflow's refund, reported in every order the provider may send: pending, a duplicate,
		// succeeded, an older pending, then failed later (released once), then a late success.
		for _, step := range []struct {
			status      refund.ProviderRefundStatus
			wantState   refund.RefundState
			wantChanged bool
			wantDelta   int64
			refunded    int64
		}{
			{refund.ProviderRefundPending, refund.RefundSucceeded, true, 0, 60000},
			{refund.ProviderRefundPending, refund.RefundSucceeded, false, 0, 60000},
			{refund.ProviderRefundSucceeded, refund.RefundSucceeded, true, 0, 60000},
			{refund.ProviderRefundPending, refund.RefundSucceeded, false, 0, 60000},
			{refund.ProviderRefundFailed, refund.RefundFailed, true, -60000, 0},
			{refund.ProviderRefundFailed, refund.RefundFailed, false, 0, 0},
			{refund.ProviderRefundSucceeded, refund.RefundFailed, false, 0, 0},
		} {
			rec, ch := apply(report("re_1", 60000, step.status, key))
			if rec.State != step.wantState || ch.Changed != step.wantChanged || ch.Delta != step.wantDelta || ch.New {
				t.Errorf("after %s: record %s, change %+v; want %s, changed %v, delta %d", step.status, rec.State, ch, step.wantState, step.wantChanged, step.wantDelta)
			}
			if got := e.refunded("RF-1"); got != step.refunded {
				t.Errorf("after %s: refunded %d, want %d", step.status, got, step.refunded)
			}
		}
		stored, err := e.s.GetRefund(e.ctx, "RF-1", req.ID, 1)
		must(t, err)
		if !stored.FailedLater() || stored.ProviderRefundID != "re_1" || stored.ProviderStatus != refund.ProviderRefundFailed {
			t.Errorf("stored record = %+v, want failed later at the provider", stored)
		}
		audit, err := e.s.ListAudit(e.ctx, req.ID)
		must(t, err)
		notes := 0
		for _, a := range audit {
			if a.Action == "provider_refund" {
				notes++
				if a.Version != 0 || a.Actor != refund.SystemActor("StripeWebhook") {
					t.Errorf("note %+v changes a version or names another actor", a)
				}
			}
		}
		if notes != 1 {
			t.Errorf("%d audit notes of the provider's refund, want 1 (the release)", notes)
		}

		// A refund made at the provider's dashboard: counted once, released once when canceled.
		rec, ch := apply(report("re_dash", 15000, refund.ProviderRefundSucceeded, ""))
		if !ch.New || ch.Delta != 15000 || rec.Origin != refund.OriginProvider || rec.RequestID != "" || e.refunded("RF-1") != 15000 {
			t.Errorf("dashboard refund: %+v %+v, refunded %d", rec, ch, e.refunded("RF-1"))
		}
		if _, ch := apply(report("re_dash", 15000, refund.ProviderRefundSucceeded, "")); ch.Changed || e.refunded("RF-1") != 15000 {
			t.Errorf("the dashboard refund reported again changed %+v", ch)
		}
		// Reported failed before it was reported made: remembered, never counted.
		if rec, ch := apply(report("re_early", 5000, refund.ProviderRefundFailed, "")); !ch.New || ch.Delta != 0 || rec.Counted() {
			t.Errorf("early failure: %+v %+v", rec, ch)
		}
		if _, ch := apply(report("re_early", 5000, refund.ProviderRefundPending, "")); ch.Changed || e.refunded("RF-1") != 15000 {
			t.Errorf("the older creation of a failed refund counted it: %+v, refunded %d", ch, e.refunded("RF-1"))
		}
		refunds, err := e.s.ListOrderRefunds(e.ctx, "RF-1")
		must(t, err)
		var counted int64
		for _, r := range refunds {
			if r.Counted() {
				counted += r.Amount.Amount
			}
		}
		if len(refunds) != 3 || counted != e.refunded("RF-1") {
			t.Errorf("%d records counting %d, ledger %d; want 3 records adding up to the ledger", len(refunds), counted, e.refunded("RF-1"))
		}

		// A refund that does not fit what the ledger leaves while a reservation is in flight: refused,
		// nothing changed, so the provider's retry applies it once the reservation settled.
		_, err = e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 2, eur(85000), systemAudit("ExecuteResolution"))
		must(t, err)
		_, _, err = e.s.ApplyProviderRefund(e.ctx, "RF-1", report("re_big", 100, refund.ProviderRefundSucceeded, ""), systemAudit("StripeWebhook"))
		wantCode(t, err, refund.CodeConflict, "does not fit")
		must(t, e.s.FailRefund(e.ctx, "RF-1", req.ID, 2, "sandbox: declined"))
		if _, ch := apply(report("re_big", 100, refund.ProviderRefundSucceeded, "")); ch.Delta != 100 {
			t.Errorf("after the reservation was released: %+v", ch)
		}

		// A report that cannot be about the record: refused, nothing changed.
		var mismatch *refund.ErrProviderMismatch
		if _, _, err := e.s.ApplyProviderRefund(e.ctx, "RF-1", report("re_1", 59999, refund.ProviderRefundSucceeded, key), systemAudit("StripeWebhook")); !errors.As(err, &mismatch) {
			t.Errorf("another amount under the key: %v, want a mismatch", err)
		}
		usd := report("re_usd", 100, refund.ProviderRefundSucceeded, "")
		usd.Amount.Currency = "USD"
		if _, _, err := e.s.ApplyProviderRefund(e.ctx, "RF-1", usd, systemAudit("StripeWebhook")); !errors.As(err, &mismatch) {
			t.Errorf("a refund in another currency: %v, want a mismatch", err)
		}
		if got := e.refunded("RF-1"); got != 15100 {
			t.Errorf("refunded %d at the end, want 15100", got)
		}
	})
}

// TestProviderReportAppliedAtOnce: the same report applied by several deliveries at the same instant
// releases the amount once.
func TestProviderReportAppliedAtOnce(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		req := e.executing("req-1", "RF-1")
		_, err := e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 1, eur(60000), systemAudit("ExecuteResolution"))
		must(t, err)
		key := refund.RefundIdempotencyKey(req.ID, 1)
		_, _, err = e.s.ApplyProviderRefund(e.ctx, "RF-1", report("re_1", 60000, refund.ProviderRefundSucceeded, key), systemAudit("StripeWebhook"))
		must(t, err)
		var wg sync.WaitGroup
		var mu sync.Mutex
		released := 0
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, p := range []refund.ProviderRefund{
					report("re_1", 60000, refund.ProviderRefundFailed, key),
					report("re_dash", 1000, refund.ProviderRefundSucceeded, ""),
				} {
					_, ch, err := e.s.ApplyProviderRefund(e.ctx, "RF-1", p, systemAudit("StripeWebhook"))
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if ch.Released() {
						released++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if released != 1 || e.refunded("RF-1") != 1000 {
			t.Errorf("released %d times, refunded %d; want once and 1000 (the dashboard refund, counted once)", released, e.refunded("RF-1"))
		}
	})
}

func TestDisputesBlockRefunds(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		req := e.executing("req-1", "RF-1")
		dispute := func(status refund.DisputeStatus, at time.Duration) refund.Dispute {
			return refund.Dispute{ID: "dp_1", PaymentReference: "pi_RF-1", Amount: eur(100000), Reason: "fraudulent", Status: status, ReportedAt: start.Add(at)}
		}
		prev, changed, err := e.s.RecordDispute(e.ctx, "RF-1", dispute(refund.DisputeNeedsResponse, 0))
		must(t, err)
		if prev != nil || !changed {
			t.Errorf("first dispute: prev %v, changed %v", prev, changed)
		}
		order, err := e.s.GetOrder(e.ctx, "RF-1")
		must(t, err)
		if !order.UnderDispute() || order.Dispute == nil || order.Dispute.Status != refund.DisputeNeedsResponse || order.Disputed {
			t.Errorf("order after the dispute: %+v", order)
		}
		_, err = e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 1, eur(100), systemAudit("ExecuteResolution"))
		wantCode(t, err, refund.CodeConflict, "dispute")

		// An older report of the same dispute changes nothing; its close does; a report after the
		// close does not reopen it.
		if _, changed, err := e.s.RecordDispute(e.ctx, "RF-1", dispute(refund.DisputeUnderReview, -time.Hour)); err != nil || changed {
			t.Errorf("older report: changed %v, %v", changed, err)
		}
		if _, changed, err := e.s.RecordDispute(e.ctx, "RF-1", dispute(refund.DisputeWon, time.Hour)); err != nil || !changed {
			t.Errorf("won: changed %v, %v", changed, err)
		}
		if _, changed, err := e.s.RecordDispute(e.ctx, "RF-1", dispute(refund.DisputeUnderReview, 2*time.Hour)); err != nil || changed {
			t.Errorf("a report after the close: changed %v, %v", changed, err)
		}
		if _, err = e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 1, eur(100), systemAudit("ExecuteResolution")); err != nil {
			t.Errorf("reserve after the dispute was won: %v", err)
		}

		// The billing system can neither set nor clear the provider's dispute.
		order, err = e.s.GetOrder(e.ctx, "RF-1")
		must(t, err)
		order.Dispute = &refund.Dispute{ID: "dp_forged", PaymentReference: "pi_RF-1", Amount: eur(1), Status: refund.DisputeLost, ReportedAt: start}
		stored, err := e.s.PutOrder(e.ctx, order)
		must(t, err)
		if stored.Dispute == nil || stored.Dispute.ID != "dp_1" || stored.Dispute.Status != refund.DisputeWon {
			t.Errorf("after a billing update the dispute is %+v, want dp_1 won", stored.Dispute)
		}
		other := dispute(refund.DisputeNeedsResponse, 3*time.Hour)
		other.ID, other.PaymentReference = "dp_2", "pi_other"
		if _, _, err := e.s.RecordDispute(e.ctx, "RF-1", other); err == nil {
			t.Error("a dispute on another payment was recorded on the order")
		}
	})
}

func TestOrdersByPayment(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		o, err := e.s.PutOrder(e.ctx, testOrder("RF-1"))
		must(t, err)
		find := func(ref string) []string {
			t.Helper()
			// The index is eventually consistent on DynamoDB; the local backends answer at once.
			orders, err := e.s.OrdersByPayment(e.ctx, ref)
			must(t, err)
			var numbers []string
			for _, o := range orders {
				numbers = append(numbers, o.Number)
			}
			return numbers
		}
		if got := find("pi_RF-1"); len(got) != 1 || got[0] != "RF-1" {
			t.Errorf("orders of pi_RF-1 = %v", got)
		}
		if got := find("pi_unknown"); len(got) != 0 {
			t.Errorf("orders of an unknown payment = %v", got)
		}
		o.Payment.Reference = "pi_new"
		_, err = e.s.PutOrder(e.ctx, o)
		must(t, err)
		if got := find("pi_RF-1"); len(got) != 0 {
			t.Errorf("the old payment still finds %v", got)
		}
		if got := find("pi_new"); len(got) != 1 {
			t.Errorf("orders of the new payment = %v", got)
		}
	})
}

func TestProviderEventClaims(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		claim := func(id, claimID string) refund.ProviderEventClaim {
			t.Helper()
			c, err := e.s.ClaimEvent(e.ctx, id, claimID, time.Minute)
			must(t, err)
			return c
		}
		if got := claim("evt_1", "a"); got != refund.EventClaimed {
			t.Fatalf("first claim = %s", got)
		}
		if got := claim("evt_1", "a"); got != refund.EventClaimed {
			t.Errorf("the same delivery again = %s, want claimed", got)
		}
		if got := claim("evt_1", "b"); got != refund.EventInProgress {
			t.Errorf("a second delivery = %s, want in progress", got)
		}
		must(t, e.s.ReleaseEvent(e.ctx, "evt_1", "b")) // not b's: nothing happens
		if got := claim("evt_1", "b"); got != refund.EventInProgress {
			t.Errorf("after another's release = %s, want in progress", got)
		}
		must(t, e.s.ReleaseEvent(e.ctx, "evt_1", "a"))
		if got := claim("evt_1", "b"); got != refund.EventClaimed {
			t.Errorf("after the release = %s, want claimed", got)
		}
		e.clock.Advance(2 * time.Minute) // b died holding it
		if got := claim("evt_1", "c"); got != refund.EventClaimed {
			t.Errorf("after the lease = %s, want claimed", got)
		}
		must(t, e.s.MarkEventProcessed(e.ctx, "evt_1", "ledger_released"))
		must(t, e.s.MarkEventProcessed(e.ctx, "evt_1", "again"))
		for _, id := range []string{"a", "c", "d"} {
			if got := claim("evt_1", id); got != refund.EventProcessed {
				t.Errorf("claim by %s after processing = %s", id, got)
			}
		}
	})
}

// TestReopen: a completed request whose refund failed later goes to needs attention through Reopen,
// once (a second Reopen on the old version is a conflict), while Transition keeps completed final;
// a request in any other status does not reopen and the table is not touched.
func TestReopen(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		req := e.executing("req-1", "RF-1")
		must(t, e.s.Transition(e.ctx, req.ID, refund.StatusExecuting, refund.StatusCompleted, req.Version, systemAudit("ExecuteResolution")))
		completed := req.Version + 1

		if got, want := refund.ErrorCode(e.s.Transition(e.ctx, req.ID, refund.StatusCompleted, refund.StatusNeedsAttention, completed, systemAudit("MarkNeedsAttention"))), refund.CodeConflict; got != want {
			t.Fatalf("Transition out of completed: code %q, want %q", got, want)
		}
		if got, want := refund.ErrorCode(e.s.Reopen(e.ctx, req.ID, refund.StatusAwaitingConsent, completed, systemAudit("StripeWebhook"))), refund.CodeConflict; got != want {
			t.Fatalf("Reopen from awaiting consent: code %q, want %q", got, want)
		}
		audit := systemAudit("StripeWebhook")
		audit.Action = "refund_failed"
		must(t, e.s.Reopen(e.ctx, req.ID, refund.StatusCompleted, completed, audit))
		if got, want := refund.ErrorCode(e.s.Reopen(e.ctx, req.ID, refund.StatusCompleted, completed, audit)), refund.CodeConflict; got != want {
			t.Fatalf("second Reopen: code %q, want %q", got, want)
		}
		got, err := e.s.GetRequest(e.ctx, req.ID)
		must(t, err)
		if got.Status != refund.StatusNeedsAttention || got.Version != completed+1 {
			t.Errorf("after Reopen: %s version %d, want needs_attention version %d", got.Status, got.Version, completed+1)
		}
		entries, err := e.s.ListAudit(e.ctx, req.ID)
		must(t, err)
		last := entries[len(entries)-1]
		if last.Action != "refund_failed" || last.From != refund.StatusCompleted || last.To != refund.StatusNeedsAttention {
			t.Errorf("last audit entry = %+v, want refund_failed completed → needs_attention", last)
		}
		// The reopened request holds the order's open-request lock again, so the client cannot open a
		// second request meanwhile, until it ends.
		if got, err := e.s.OpenRequestID(e.ctx, "RF-1"); err != nil || got != req.ID {
			t.Errorf("open request of RF-1 after Reopen = %q, %v; want %q", got, err, req.ID)
		}
		second, sub := testRequest(t, "req-2", "RF-1")
		_, link := linkFor(second.ID, refund.LinkStatus, time.Time{})
		if err := e.s.CreateRequest(e.ctx, second, sub, link, clientAudit()); refund.ErrorCode(err) != refund.CodeConflict {
			t.Errorf("a second request while the reopened one is open: %v, want a conflict", err)
		}
		must(t, e.s.Transition(e.ctx, req.ID, refund.StatusNeedsAttention, refund.StatusClosed, completed+1, systemAudit("StaffApi")))
		if got, err := e.s.OpenRequestID(e.ctx, "RF-1"); err != nil || got != "" {
			t.Errorf("open request of RF-1 after the reopened request closed = %q, %v; want none", got, err)
		}
	})
}

// TestReopenLeavesANewerRequestsLock: a request reopened after the client opened a newer one on the
// same order goes to needs attention without the lock, which stays with the newer request.
func TestReopenLeavesANewerRequestsLock(t *testing.T) {
	t.Parallel()
	for _, settle := range []bool{false, true} {
		t.Run(map[bool]string{false: "closed", true: "settled outside"}[settle], func(t *testing.T) {
			t.Parallel()
			reopenBesideANewerRequest(t, settle)
		})
	}
}

func reopenBesideANewerRequest(t *testing.T, settle bool) {
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		req := e.executing("req-1", "RF-1")
		must(t, e.s.Transition(e.ctx, req.ID, refund.StatusExecuting, refund.StatusCompleted, req.Version, systemAudit("ExecuteResolution")))
		newer, _ := e.createSubmitted("req-2", "RF-1")
		must(t, e.s.Reopen(e.ctx, req.ID, refund.StatusCompleted, req.Version+1, systemAudit("StripeWebhook")))
		if got, err := e.s.GetRequest(e.ctx, req.ID); err != nil || got.Status != refund.StatusNeedsAttention {
			t.Errorf("reopened request: %+v, %v; want needs_attention", got.Status, err)
		}
		if got, err := e.s.OpenRequestID(e.ctx, "RF-1"); err != nil || got != newer.ID {
			t.Errorf("open request of RF-1 = %q, %v; want the newer %q", got, err, newer.ID)
		}
		// Its end does not fail over the newer request's lock, nor release it: closed, or settled
		// outside the provider (the other way a staff action ends it).
		end := func(name string, f func() error) {
			t.Helper()
			must(t, f())
			if got, err := e.s.OpenRequestID(e.ctx, "RF-1"); err != nil || got != newer.ID {
				t.Errorf("open request of RF-1 after the reopened one %s = %q, %v; want %q", name, got, err, newer.ID)
			}
		}
		if settle {
			end("settled outside", func() error {
				_, err := e.s.SettleOutside(e.ctx, req.ID, req.Version+2, refund.Settlement{Amount: eur(10000), Method: "bank transfer", Reference: "TR-1"}, 2,
					refund.AuditEntry{Actor: "staff:s1", Detail: "paid back by bank transfer"})
				return err
			})
			return
		}
		end("closed", func() error {
			return e.s.Transition(e.ctx, req.ID, refund.StatusNeedsAttention, refund.StatusClosed, req.Version+2, systemAudit("StaffApi"))
		})
	})
}
