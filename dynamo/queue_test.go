package dynamo_test

import (
	"testing"
	"time"

	"refundflow/dynamo/dynamotest"
	"refundflow/refund"
)

func TestCountRequestsByStatus(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		e.seed("req-c1", "RF-C1", refund.StatusInReview, start)
		e.seed("req-c2", "RF-C2", refund.StatusInReview, start.Add(time.Minute))
		e.seed("req-c3", "RF-C3", refund.StatusNeedsAttention, start)
		for status, want := range map[refund.Status]int{refund.StatusInReview: 2, refund.StatusNeedsAttention: 1, refund.StatusExecuting: 0} {
			got, err := e.s.CountRequestsByStatus(e.ctx, status)
			must(t, err)
			if got != want {
				t.Errorf("CountRequestsByStatus(%s) = %d, want %d", status, got, want)
			}
		}
		_, err := e.s.CountRequestsByStatus(e.ctx, "nonsense")
		wantCode(t, err, refund.CodeInvalid, "")
	})
}

// TestProposeReview: a proposal is stored with its audit entry without moving the version; a second
// one on the same version is a conflict naming the first; once the request changed, the old proposal
// no longer applies and a new one may be made.
func TestProposeReview(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		if !b.Transactions {
			e.s.SendTransactionsOneByOne()
		}
		req := e.seed("req-p1", "RF-P1", refund.StatusInReview, start)
		p := refund.Proposal{Actor: "staff:a", Decision: "approve", Amount: refund.Money{Amount: 500000, Currency: "EUR"}}
		audit := refund.AuditEntry{Actor: "staff:a", Action: "review_proposed"}
		must(t, e.s.ProposeReview(e.ctx, "req-p1", req.Version, p, audit))
		got, err := e.s.GetRequest(e.ctx, "req-p1")
		must(t, err)
		pending, ok := got.PendingProposal()
		if !ok || pending.Actor != "staff:a" || pending.Version != req.Version || got.Version != req.Version {
			t.Fatalf("after the proposal: %+v (pending %v), version %d; want staff:a's proposal on version %d", pending, ok, got.Version, req.Version)
		}
		p.Actor = "staff:b"
		wantCode(t, e.s.ProposeReview(e.ctx, "req-p1", req.Version, p, audit), refund.CodeConflict, "staff:a")
		wantCode(t, e.s.ProposeReview(e.ctx, "req-p1", req.Version+1, p, audit), refund.CodeConflict, "")
		if !b.Transactions {
			return // Decide is a transaction of several items
		}
		must(t, e.s.Decide(e.ctx, "req-p1", refund.StatusInReview, req.Version, refund.AuditEntry{Actor: "staff:c", Action: "offers_adjusted"}))
		got, err = e.s.GetRequest(e.ctx, "req-p1")
		must(t, err)
		if _, ok := got.PendingProposal(); ok {
			t.Errorf("the proposal still applies after the request changed")
		}
		must(t, e.s.ProposeReview(e.ctx, "req-p1", got.Version, p, audit))
	})
}
