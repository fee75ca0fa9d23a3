package dynamo_test

import (
	"fmt"
	"strings"
	"testing"

	"refundflow/dynamo/dynamotest"
	"refundflow/refund"
)

// Review decisions and offer sets under concurrency (issue 17, defect 3): an offer set becomes
// visible only in the transaction that checks and moves the request's version, so of decisions made
// on the same version exactly one is stored, its offers are the only live ones, and every other one
// is a conflict that names what changed.

// inReview creates a request that waits for review with a first set of offers (version 2).
func (e *env) inReview(id, number string) []refund.Offer {
	e.t.Helper()
	e.createSubmitted(id, number)
	offers := testOffers(id, number, 2, "partial")
	must(e.t, e.s.Transition(e.ctx, id, refund.StatusSubmitted, refund.StatusInReview, 1, systemAudit("ProposeResolution"),
		refund.WithOffers(1, offers)))
	return offers
}

// adjustment is what one member of staff's adjustment stores: set 2 with the IDs the staff API
// gives adjusted offers (the same for every adjuster of set 1), at their own amount.
func adjustment(id, number string, amount int64) []refund.Offer {
	offers := testOffers(id, number, 1, "partial")
	offers[0].ID = id + "-s2-1-partial_refund"
	offers[0].Amount.Amount = amount
	offers[0].Breakdown[0].Amount.Amount = amount
	return offers
}

func staffDecision(sub, action string) refund.AuditEntry {
	return refund.AuditEntry{Actor: refund.StaffActor(sub), Action: action}
}

func TestConcurrentAdjustmentsOneWins(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		e.inReview("req-1", "RF-1")
		const staff = 8
		errs := race(staff, func(i int) error {
			return e.s.Decide(e.ctx, "req-1", refund.StatusInReview, 2, staffDecision(fmt.Sprintf("s-%d", i), "offers_adjusted"),
				refund.WithOffers(2, adjustment("req-1", "RF-1", int64(50000+i))), refund.WithResume("approved"))
		})
		ok, codes := tally(errs)
		if ok != 1 || codes[refund.CodeConflict] != staff-1 {
			t.Fatalf("%d adjustments stored, failures by code %v; want 1 stored and %d conflicts", ok, codes, staff-1)
		}
		winner := -1
		for i, err := range errs {
			if err == nil {
				winner = i
			}
		}
		for _, err := range errs {
			if err != nil {
				wantCode(t, err, refund.CodeConflict, "version 3, not 2")
			}
		}
		if last, ok, err := e.s.LastChange(e.ctx, "req-1"); err != nil || !ok || last.Actor != refund.StaffActor(fmt.Sprintf("s-%d", winner)) || last.Action != "offers_adjusted" {
			t.Errorf("LastChange = %+v, %v, %v; want the winner's adjustment", last, ok, err)
		}
		offers, set, err := e.s.ListOffers(e.ctx, "req-1")
		must(t, err)
		if set != 2 || len(offers) != 1 || offers[0].Amount.Amount != int64(50000+winner) {
			t.Fatalf("live offers = %+v in set %d; want only the winner's (amount %d) in set 2", offers, set, 50000+winner)
		}
		rec, err := e.s.GetRequest(e.ctx, "req-1")
		must(t, err)
		if rec.Version != 3 || rec.Status != refund.StatusInReview {
			t.Errorf("request at version %d, %s; want version 3, in review", rec.Version, rec.Status)
		}
		if got := strings.Count(e.actions("req-1"), "offers_adjusted"); got != 1 {
			t.Errorf("%d adjustments in the audit trail, want 1: %s", got, e.actions("req-1"))
		}
	})
}

func TestApprovalRacesAdjustment(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		wins := map[string]int{}
		for round := range 12 {
			id, number := fmt.Sprintf("req-%d", round), fmt.Sprintf("RF-%d", round)
			first := e.inReview(id, number)
			adjusted := adjustment(id, number, 77700)
			errs := race(3, func(i int) error {
				switch i {
				case 0:
					return e.s.Decide(e.ctx, id, refund.StatusInReview, 2, staffDecision("approver", "review_approved"), refund.WithResume("approved"))
				case 1:
					return e.s.Decide(e.ctx, id, refund.StatusInReview, 2, staffDecision("adjuster", "offers_adjusted"),
						refund.WithOffers(2, adjusted), refund.WithResume("approved"))
				default:
					return e.s.Transition(e.ctx, id, refund.StatusInReview, refund.StatusReviewRejected, 2, staffDecision("rejecter", "review_rejected"),
						refund.WithReviewMessage("No."), refund.WithResume("rejected"))
				}
			})
			ok, codes := tally(errs)
			if ok != 1 || codes[refund.CodeConflict] != 2 {
				t.Fatalf("round %d: %d decisions stored, failures by code %v; want exactly one", round, ok, codes)
			}
			offers, set, err := e.s.ListOffers(e.ctx, id)
			must(t, err)
			_, adjErr := e.s.GetOffer(e.ctx, id, adjusted[0].ID)
			m, pending, err := e.s.GetResume(e.ctx, id)
			must(t, err)
			switch {
			case errs[0] == nil:
				wins["approve"]++
				if set != 1 || len(offers) != len(first) || code(adjErr) != refund.CodeNotFound {
					t.Errorf("round %d: approval won but the live set is %d with %d offers (adjusted offer: %v)", round, set, len(offers), adjErr)
				}
			case errs[1] == nil:
				wins["adjust"]++
				if set != 2 || len(offers) != 1 || offers[0].Amount.Amount != 77700 {
					t.Errorf("round %d: adjustment won but the live set is %d: %+v", round, set, offers)
				}
			default:
				wins["reject"]++
				if set != 1 || code(adjErr) != refund.CodeNotFound || !pending || m.Outcome != "rejected" {
					t.Errorf("round %d: rejection won but set %d, adjusted offer %v, marker %+v pending %v", round, set, adjErr, m, pending)
				}
			}
			if errs[2] != nil && (!pending || m.Outcome != "approved") {
				t.Errorf("round %d: the approval that won left marker %+v pending %v", round, m, pending)
			}
		}
		t.Logf("winners over 12 rounds: %v", wins)
	})
}

func TestProposalRetriedAfterOrderChange(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		e.createSubmitted("req-1", "RF-1")
		propose := systemAudit("ProposeResolution")
		propose.Action = "offers_proposed"
		stale := testOffers("req-1", "RF-1", 2, "partial")
		fresh := testOffers("req-1", "RF-1", 1, "partial")
		fresh[0].ID = "req-1-s2-1-partial"
		fresh[0].Amount.Amount = 4200

		// Two attempts of the step on the same version (a retry racing an attempt that timed out):
		// one set is stored, the other attempt must read again.
		errs := race(2, func(i int) error {
			return e.s.Decide(e.ctx, "req-1", refund.StatusSubmitted, 1, propose, refund.WithOffers(1, stale[i:i+1]))
		})
		if ok, codes := tally(errs); ok != 1 || codes[refund.CodeConflict] != 1 {
			t.Fatalf("%d proposals stored, failures %v; want one", ok, codes)
		}
		// The order changed; the retry, on the version it reads now, replaces the set.
		must(t, e.s.Decide(e.ctx, "req-1", refund.StatusSubmitted, 2, propose, refund.WithOffers(2, fresh)))
		offers, set, err := e.s.ListOffers(e.ctx, "req-1")
		must(t, err)
		if set != 2 || len(offers) != 1 || offers[0].ID != fresh[0].ID {
			t.Fatalf("live offers = %+v in set %d, want only the fresh offer", offers, set)
		}
	})
}
