package dynamo_test

import (
	"testing"
	"time"

	"refundflow/dynamo/dynamotest"
	"refundflow/refund"
)

// TestTransactionItemsOneByOne runs the whole request life cycle with every transaction sent item by
// item. On dynalite, which has no TransactWriteItems, this is how each item of every transaction gets
// checked against DynamoDB's validation (reserved words, unused or missing names and values, key
// shapes, item size); on minidyn it checks that the one-by-one path agrees with the transactional one.
func TestTransactionItemsOneByOne(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		e.s.SendTransactionsOneByOne()

		req := e.executing("req-1", "RF-1") // CreateRequest, Transition, RecordConsent (accept)
		_, err := e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 1, eur(30000), systemAudit("ExecuteResolution"))
		must(t, err)
		_, err = e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 1, eur(30000), systemAudit("ExecuteResolution"))
		must(t, err) // the same attempt again: decoded from the first item's failed condition
		_, err = e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 2, eur(20000), systemAudit("ExecuteResolution"))
		must(t, err)
		must(t, e.s.FailRefund(e.ctx, "RF-1", req.ID, 2, "declined"))
		_, err = e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 3, eur(80000), systemAudit("ExecuteResolution"))
		wantCode(t, err, refund.CodeConflict, "remains")
		_, err = e.s.CompleteRefund(e.ctx, "RF-1", req.ID, 1, "re_1")
		must(t, err)
		e.clock.Advance(time.Second)
		must(t, e.s.Transition(e.ctx, req.ID, refund.StatusExecuting, refund.StatusCompleted, req.Version, systemAudit("ExecuteResolution"),
			refund.WithPolicyVersion("p1"))) // terminal: releases the lock

		order, err := e.s.GetOrder(e.ctx, "RF-1")
		must(t, err)
		if order.Refunded != 30000 {
			t.Errorf("refunded = %d, want 30000", order.Refunded)
		}
		if open, err := e.s.OpenRequestID(e.ctx, "RF-1"); err != nil || open != "" {
			t.Errorf("open request after completion = %q, %v", open, err)
		}

		// Decline with a reason, and a staff review with every transition option.
		r2, _, code2 := e.awaitingConsent("req-2", "RF-2")
		must(t, e.s.RecordConsent(e.ctx, refund.Consent{RequestID: r2.ID, Decision: refund.DecisionDecline, DeclineReason: "No.", LinkHash: refund.HashCode(code2)}, r2.Version, clientAudit()))
		e.createSubmitted("req-3", "RF-3")
		v := refund.Verification{OK: true, PolicyVersion: "p1", Findings: []refund.Finding{{Code: refund.FindingOK, Message: "ok", Passed: true}}}
		must(t, e.s.Transition(e.ctx, "req-3", refund.StatusSubmitted, refund.StatusInReview, 1, systemAudit("ProposeResolution"), refund.WithVerification(v)))
		must(t, e.s.Transition(e.ctx, "req-3", refund.StatusInReview, refund.StatusReviewRejected, 2,
			refund.AuditEntry{Actor: refund.StaffActor("s-1")}, refund.WithReviewMessage("Sorry.")))

		// The review decisions: the move to review with the first offers, an adjustment (offers,
		// version, audit entry and resume marker), then the settled order.
		e.createSubmitted("req-4", "RF-4")
		must(t, e.s.Transition(e.ctx, "req-4", refund.StatusSubmitted, refund.StatusInReview, 1, systemAudit("ProposeResolution"),
			refund.WithOffers(1, testOffers("req-4", "RF-4", 2, "partial")), refund.WithPolicyVersion("p1")))
		must(t, e.s.Decide(e.ctx, "req-4", refund.StatusInReview, 2, refund.AuditEntry{Actor: refund.StaffActor("s-1"), Action: "offers_adjusted"},
			refund.WithOffers(2, adjustment("req-4", "RF-4", 12345)), refund.WithResume("approved")))
		wantCode(t, e.s.Decide(e.ctx, "req-4", refund.StatusInReview, 2, refund.AuditEntry{Actor: refund.StaffActor("s-2"), Action: "review_approved"},
			refund.WithResume("approved")), refund.CodeConflict, "version 3, not 2")
		if m, pending, err := e.s.GetResume(e.ctx, "req-4"); err != nil || !pending || m.Outcome != "approved" {
			t.Errorf("marker after the adjustment = %+v, %v, %v", m, pending, err)
		}
		closed, err := e.s.CloseOrder(e.ctx, "RF-1", order.Version, refund.OrderFullyRefunded, "req-1")
		must(t, err)
		if closed.Status != refund.OrderFullyRefunded {
			t.Errorf("closed order = %s", closed.Status)
		}

		for id, want := range map[string]refund.Status{"req-1": refund.StatusCompleted, "req-2": refund.StatusDeclined, "req-3": refund.StatusReviewRejected} {
			got, err := e.s.GetRequest(e.ctx, id)
			must(t, err)
			if got.Status != want {
				t.Errorf("%s is %s, want %s", id, got.Status, want)
			}
		}
		// Status conflicts decode the same way as with transactions.
		wantCode(t, e.s.Transition(e.ctx, "req-3", refund.StatusInReview, refund.StatusAwaitingConsent, 2, systemAudit("x")), refund.CodeConflict, "review_rejected now")
	})
}
