package dynamo_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"refundflow/dynamo/dynamotest"
	"refundflow/refund"
)

// race runs f(i) for i in [0, n) on n goroutines released at the same moment and returns the errors.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	startGun := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-startGun
			errs[i] = f(i)
		}()
	}
	close(startGun)
	wg.Wait()
	return errs
}

// tally counts successes and the codes of failures.
func tally(errs []error) (ok int, codes map[refund.Code]int) {
	codes = map[refund.Code]int{}
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			codes[refund.ErrorCode(err)]++
		}
	}
	return ok, codes
}

const racers = 50

func TestConcurrentSubmissionsOneOpenRequest(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		_, err := e.s.PutOrder(e.ctx, testOrder("RF-1"))
		must(t, err)
		errs := race(racers, func(i int) error {
			id := fmt.Sprintf("req-%02d", i)
			req, sub := testRequest(t, id, "RF-1")
			_, link := linkFor(id, refund.LinkStatus, time.Time{})
			return e.s.CreateRequest(e.ctx, req, sub, link, clientAudit())
		})
		ok, codes := tally(errs)
		if ok != 1 || codes[refund.CodeConflict] != racers-1 {
			t.Fatalf("%d created, failures by code %v; want 1 created and %d conflicts", ok, codes, racers-1)
		}
		for _, err := range errs {
			if err != nil {
				wantCode(t, err, refund.CodeConflict, "already an open request")
			}
		}
		page, _, err := e.s.ListRequestsByStatus(e.ctx, refund.StatusSubmitted, 0, "")
		must(t, err)
		if len(page) != 1 {
			t.Errorf("%d submitted requests stored, want 1", len(page))
		}
	})
}

func TestConcurrentConsentsOneDecision(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		req, offers, consentCode := e.awaitingConsent("req-1", "RF-1")
		// Double clicks and a change of mind at once: accepts of either offer and declines.
		errs := race(racers, func(i int) error {
			c := acceptance(req, offers[i%2], consentCode)
			if i%5 == 4 {
				c = refund.Consent{RequestID: req.ID, Decision: refund.DecisionDecline, LinkHash: refund.HashCode(consentCode)}
			}
			return e.s.RecordConsent(e.ctx, c, req.Version, clientAudit())
		})
		ok, codes := tally(errs)
		if ok != 1 || codes[refund.CodeConflict] != racers-1 {
			t.Fatalf("%d consents recorded, failures by code %v; want exactly 1 and %d conflicts", ok, codes, racers-1)
		}
		consent, err := e.s.GetConsent(e.ctx, req.ID)
		must(t, err)
		rec, err := e.s.GetRequest(e.ctx, req.ID)
		must(t, err)
		want := refund.StatusExecuting
		if consent.Decision == refund.DecisionDecline {
			want = refund.StatusDeclined
		}
		if rec.Status != want || rec.Version != req.Version+1 {
			t.Errorf("request is %s v%d after a %s, want %s v%d", rec.Status, rec.Version, consent.Decision, want, req.Version+1)
		}
		entries, err := e.s.ListAudit(e.ctx, req.ID)
		must(t, err)
		decisions := 0
		for _, en := range entries {
			if en.Action == "consent_accepted" || en.Action == "consent_declined" {
				decisions++
			}
		}
		if decisions != 1 {
			t.Errorf("%d decision entries in the audit trail, want 1", decisions)
		}
	})
}

func TestConcurrentReservationsNeverExceedPaid(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		req := e.executing("req-1", "RF-1") // paid EUR 1,000.00
		const each = 3000                   // 50 × EUR 30.00 = EUR 1,500.00 asked for
		errs := race(racers, func(i int) error {
			_, err := e.s.ReserveRefund(e.ctx, "RF-1", req.ID, i+1, eur(each), systemAudit("ExecuteResolution"))
			return err
		})
		ok, codes := tally(errs)
		order, err := e.s.GetOrder(e.ctx, "RF-1")
		must(t, err)
		if order.Refunded > order.Paid {
			t.Fatalf("refunded %d > paid %d", order.Refunded, order.Paid)
		}
		if got, want := order.Refunded, int64(ok*each); got != want {
			t.Errorf("ledger says %d refunded, the %d successful reservations add up to %d", got, ok, want)
		}
		// Every failure is "exceeds what remains", so the ledger filled up to the last whole EUR 30.00.
		if want := int(order.Paid / each); ok != want || codes[refund.CodeConflict] != racers-want {
			t.Errorf("%d reservations succeeded, failures %v; want %d and %d conflicts", ok, codes, want, racers-want)
		}
		refunds, err := e.s.ListOrderRefunds(e.ctx, "RF-1")
		must(t, err)
		if len(refunds) != ok {
			t.Errorf("%d refund records for %d successful reservations", len(refunds), ok)
		}
	})
}

func TestConcurrentRetriesOfOneReservation(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		req := e.executing("req-1", "RF-1")
		recs := make([]refund.RefundRecord, racers)
		errs := race(racers, func(i int) error {
			var err error
			recs[i], err = e.s.ReserveRefund(e.ctx, "RF-1", req.ID, 1, eur(25000), systemAudit("ExecuteResolution"))
			return err
		})
		for i, err := range errs {
			must(t, err)
			if recs[i] != recs[0] {
				t.Fatalf("retry %d got %+v, retry 0 got %+v", i, recs[i], recs[0])
			}
		}
		order, err := e.s.GetOrder(e.ctx, "RF-1")
		must(t, err)
		if order.Refunded != 25000 {
			t.Errorf("one reservation retried %d times counted %d, want 25000", racers, order.Refunded)
		}
	})
}
