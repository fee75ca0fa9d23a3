package refund

import (
	"errors"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

var providerT0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

func reservedRecord() RefundRecord {
	o := Order{Number: "RF-1", Currency: "EUR", Paid: 10000, Payment: Payment{Reference: "pi_1"}}
	return ReserveAttempt(o, "req-1", 1, Money{Amount: 2500, Currency: "EUR"}, providerT0)
}

func report(status ProviderRefundStatus) ProviderRefund {
	return ProviderRefund{ID: "re_1", PaymentReference: "pi_1", Amount: Money{Amount: 2500, Currency: "EUR"}, Status: status,
		IdempotencyKey: "refund:req-1:1", FailureReason: "expired_or_canceled_card"}
}

func TestApplyProvider(t *testing.T) {
	reserved := reservedRecord()
	succeeded, _, _, _ := reserved.ApplyProvider(report(ProviderRefundSucceeded), providerT0)
	pending, _, _, _ := reserved.ApplyProvider(report(ProviderRefundPending), providerT0)
	failed, _, _, _ := succeeded.ApplyProvider(report(ProviderRefundFailed), providerT0)
	declined := reserved
	declined.State, declined.FailureReason = RefundFailed, "stripe: card_declined"

	for _, tc := range []struct {
		name        string
		rec         RefundRecord
		status      ProviderRefundStatus
		wantState   RefundState
		wantStatus  ProviderRefundStatus
		wantDelta   int64
		wantChanged bool
	}{
		{"reserved, the provider accepted it", reserved, ProviderRefundSucceeded, RefundSucceeded, ProviderRefundSucceeded, 0, true},
		{"reserved, the provider has it pending", reserved, ProviderRefundPending, RefundSucceeded, ProviderRefundPending, 0, true},
		{"reserved, failed before its answer was recorded", reserved, ProviderRefundFailed, RefundFailed, ProviderRefundFailed, -2500, true},
		{"reserved, canceled", reserved, ProviderRefundCanceled, RefundFailed, ProviderRefundCanceled, -2500, true},
		{"pending, then succeeded", pending, ProviderRefundSucceeded, RefundSucceeded, ProviderRefundSucceeded, 0, true},
		{"succeeded, a late pending report is older news", succeeded, ProviderRefundPending, RefundSucceeded, ProviderRefundSucceeded, 0, false},
		{"succeeded again (a duplicate)", succeeded, ProviderRefundSucceeded, RefundSucceeded, ProviderRefundSucceeded, 0, false},
		{"succeeded, then failed later: released once", succeeded, ProviderRefundFailed, RefundFailed, ProviderRefundFailed, -2500, true},
		{"failed later, then a late success report", failed, ProviderRefundSucceeded, RefundFailed, ProviderRefundFailed, 0, false},
		{"failed later, reported again", failed, ProviderRefundFailed, RefundFailed, ProviderRefundFailed, 0, false},
		{"failed later, then canceled", failed, ProviderRefundCanceled, RefundFailed, ProviderRefundFailed, 0, false},
		{"refused at the call, yet the provider has it: counted again", declined, ProviderRefundSucceeded, RefundSucceeded, ProviderRefundSucceeded, 2500, true},
		{"refused at the call, the provider reports it failed", declined, ProviderRefundFailed, RefundFailed, ProviderRefundFailed, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next, delta, changed, err := tc.rec.ApplyProvider(report(tc.status), providerT0.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := next.State, tc.wantState; got != want {
				t.Errorf("state = %s, want %s", got, want)
			}
			if got, want := next.ProviderStatus, tc.wantStatus; got != want {
				t.Errorf("provider status = %s, want %s", got, want)
			}
			if got, want := delta, tc.wantDelta; got != want {
				t.Errorf("delta = %d, want %d", got, want)
			}
			if got, want := changed, tc.wantChanged; got != want {
				t.Errorf("changed = %v, want %v", got, want)
			}
			if changed && next.ProviderRefundID != "re_1" {
				t.Errorf("provider refund id = %q, want re_1", next.ProviderRefundID)
			}
			if !changed && next != tc.rec {
				t.Errorf("no news changed the record: %+v", next)
			}
			if got, want := next.FailedLater(), next.State == RefundFailed && next.ProviderStatus.Final(); got != want {
				t.Errorf("FailedLater = %v, want %v", got, want)
			}
		})
	}
}

func TestApplyProviderRefusesAnotherRefund(t *testing.T) {
	rec, _, _, _ := reservedRecord().ApplyProvider(report(ProviderRefundSucceeded), providerT0)
	for name, p := range map[string]ProviderRefund{
		"another amount":  func() ProviderRefund { p := report(ProviderRefundFailed); p.Amount.Amount = 2400; return p }(),
		"another payment": func() ProviderRefund { p := report(ProviderRefundFailed); p.PaymentReference = "pi_2"; return p }(),
		"another refund":  func() ProviderRefund { p := report(ProviderRefundFailed); p.ID = "re_2"; return p }(),
	} {
		next, delta, changed, err := rec.ApplyProvider(p, providerT0)
		var mismatch *ErrProviderMismatch
		if !errors.As(err, &mismatch) || changed || delta != 0 || next != rec {
			t.Errorf("%s: got %+v %d %v %v, want the record unchanged and ErrProviderMismatch", name, next, delta, changed, err)
		}
	}
}

// TestPropertyProviderReportsInAnyOrder: whatever order the provider's reports of one refund arrive
// in, and however often each arrives, the record ends in the state of the latest status at the
// provider, and the ledger deltas add up to what that state counts: nothing released twice, nothing
// counted twice.
func TestPropertyProviderReportsInAnyOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		// A history the provider can have: pending, succeeded, and maybe a final failure.
		history := []ProviderRefundStatus{ProviderRefundPending}
		if rapid.Bool().Draw(t, "succeeded") {
			history = append(history, ProviderRefundSucceeded)
		}
		if rapid.Bool().Draw(t, "failed") {
			history = append(history, rapid.SampledFrom([]ProviderRefundStatus{ProviderRefundFailed, ProviderRefundCanceled}).Draw(t, "how"))
		}
		last := history[len(history)-1]
		// Each report delivered 1–3 times, in any order.
		var deliveries []ProviderRefundStatus
		for _, s := range history {
			for range rapid.IntRange(1, 3).Draw(t, "copies") {
				deliveries = append(deliveries, s)
			}
		}
		order := rapid.Permutation(deliveries).Draw(t, "order")
		external := rapid.Bool().Draw(t, "external")

		var rec RefundRecord
		var total int64
		if external {
			p := report(order[0])
			p.IdempotencyKey = ""
			rec = ProviderRecord(Order{Number: "RF-1"}, p, providerT0)
			if rec.Counted() {
				total = rec.Amount.Amount
			}
			order = order[1:]
		} else {
			rec = reservedRecord()
			total = rec.Amount.Amount
		}
		for _, s := range order {
			next, delta, _, err := rec.ApplyProvider(report(s), providerT0)
			if err != nil {
				t.Fatal(err)
			}
			rec, total = next, total+delta
		}
		if got, want := rec.ProviderStatus, last; got != want && !(got.Final() && last.Final()) {
			t.Fatalf("provider status = %s after %v, want %s", got, order, want)
		}
		want := int64(0)
		if last.Counts() {
			want = rec.Amount.Amount
		}
		if total != want || rec.Counted() != last.Counts() {
			t.Fatalf("counted %d (record %s) after %v, want %d", total, rec.State, order, want)
		}
	})
}

func TestParseRefundIdempotencyKey(t *testing.T) {
	for key, want := range map[string]struct {
		id string
		n  int
		ok bool
	}{
		RefundIdempotencyKey("req-1", 1):             {"req-1", 1, true},
		RefundIdempotencyKey("01HX:with:colons", 12): {"01HX:with:colons", 12, true},
		"refund:req-1:0":                             {"", 0, false},
		"refund:req-1:01":                            {"", 0, false},
		"refund::1":                                  {"", 0, false},
		"refund:req-1":                               {"", 0, false},
		"dashboard":                                  {"", 0, false},
		"":                                           {"", 0, false},
	} {
		id, n, ok := ParseRefundIdempotencyKey(key)
		if id != want.id || n != want.n || ok != want.ok {
			t.Errorf("ParseRefundIdempotencyKey(%q) = %q, %d, %v; want %q, %d, %v", key, id, n, ok, want.id, want.n, want.ok)
		}
	}
}

func TestDisputeSupersedes(t *testing.T) {
	at := func(s DisputeStatus, h int) Dispute {
		return Dispute{ID: "dp_1", PaymentReference: "pi_1", Amount: Money{Amount: 100, Currency: "EUR"}, Status: s, ReportedAt: providerT0.Add(time.Duration(h) * time.Hour)}
	}
	open, review, won, lost := at(DisputeNeedsResponse, 0), at(DisputeUnderReview, 1), at(DisputeWon, 2), at(DisputeLost, 2)
	other := at(DisputeNeedsResponse, 3)
	other.ID = "dp_2"
	for _, tc := range []struct {
		name string
		d    Dispute
		prev *Dispute
		want bool
	}{
		{"the first report", open, nil, true},
		{"the same report again", open, &open, false},
		{"under review after needs response", review, &open, true},
		{"an older open status after a newer one", open, &review, false},
		{"closed after open", won, &review, true},
		{"closed, even when its report is dated earlier", at(DisputeLost, -5), &review, true},
		{"open after closed", review, &won, false},
		{"another closing after closed", lost, &won, false},
		{"a later dispute", other, &lost, true},
		{"an earlier dispute", open, &other, false},
	} {
		if got := tc.d.Supersedes(tc.prev); got != tc.want {
			t.Errorf("%s: Supersedes = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !open.BlocksRefunds() || !lost.BlocksRefunds() || won.BlocksRefunds() {
		t.Error("open and lost disputes block refunds, won ones do not")
	}
	for _, tc := range []struct {
		o    Order
		want bool
	}{
		{Order{}, false},
		{Order{Disputed: true}, true},
		{Order{Dispute: &open}, true},
		{Order{Dispute: &lost}, true},
		{Order{Dispute: &won}, false},
		{Order{Disputed: true, Dispute: &won}, true},
	} {
		if got := tc.o.UnderDispute(); got != tc.want {
			t.Errorf("UnderDispute(%+v) = %v, want %v", tc.o, got, tc.want)
		}
	}
}

func TestDisputedOrderGoesToReview(t *testing.T) {
	open := Dispute{ID: "dp_1", PaymentReference: "pi_1", Amount: Money{Amount: 100, Currency: "EUR"}, Status: DisputeNeedsResponse, ReportedAt: providerT0}
	for _, tc := range []struct {
		d    *Dispute
		want bool
	}{
		{nil, false},
		{&open, true},
		{&Dispute{ID: "dp_1", Status: DisputeWon}, false},
		{&Dispute{ID: "dp_1", Status: DisputeLost}, true},
	} {
		order := projectOrder(50000, ms("Build", 50000, MilestoneNotStarted, 0))
		order.Dispute = tc.d
		res := Resolve(DefaultPolicy(), testRequest(ReasonChangedMind), order, at(t, "2025-03-05"))
		if res.NeedsReview != tc.want {
			t.Errorf("dispute %+v: NeedsReview = %v (%v), want %v", tc.d, res.NeedsReview, res.ReviewReasons, tc.want)
		}
	}
}

// A lost dispute gives its amount back to the client once (ChargebackAfter), so what remains
// refundable, every refund check and every offer the policy works out leave it out; a won one gives
// nothing back.
func TestChargebackAfterLostDispute(t *testing.T) {
	d := func(id string, s DisputeStatus, amount int64) Dispute {
		return Dispute{ID: id, PaymentReference: "pi_1", Amount: Money{Amount: amount, Currency: "EUR"}, Status: s, ReportedAt: providerT0}
	}
	open, won, lost := d("dp_1", DisputeNeedsResponse, 30000), d("dp_1", DisputeWon, 30000), d("dp_1", DisputeLost, 30000)
	for _, tc := range []struct {
		name   string
		before int64
		prev   *Dispute
		d      Dispute
		want   int64
	}{
		{"lost after open", 0, &open, lost, 30000},
		{"lost, first report", 0, nil, lost, 30000},
		{"the same loss again", 30000, &lost, lost, 30000},
		{"won", 0, &open, won, 0},
		{"open", 0, nil, open, 0},
		{"another dispute lost after one lost", 30000, &lost, d("dp_2", DisputeLost, 20000), 50000},
		{"capped at what was paid", 70000, &open, d("dp_2", DisputeLost, 30000), 80000},
		{"another currency", 0, &open, Dispute{ID: "dp_1", PaymentReference: "pi_1", Amount: Money{Amount: 30000, Currency: "USD"}, Status: DisputeLost}, 0},
	} {
		o := hoursOrder(80000, 40, 0, 80000)
		o.ChargedBack = tc.before
		if got := o.ChargebackAfter(tc.prev, tc.d); got != tc.want {
			t.Errorf("%s: ChargebackAfter = %d, want %d", tc.name, got, tc.want)
		}
	}

	o := projectOrder(80000, ms("Build", 80000, MilestoneNotStarted, 0))
	o.Refunded, o.ChargedBack = 10000, 30000
	if got, want := o.Remaining().Amount, int64(40000); got != want {
		t.Errorf("Remaining = %d, want paid − refunded − charged back = %d", got, want)
	}
	if err := o.CheckRefund(Money{Amount: 40001, Currency: "EUR"}); ErrorCode(err) != CodeConflict {
		t.Errorf("a refund of 40001: %v, want CodeConflict", err)
	}
	if err := o.CheckRefund(Money{Amount: 40000, Currency: "EUR"}); err != nil {
		t.Errorf("a refund of what remains: %v", err)
	}
	if err := (Settlement{Amount: Money{Amount: 40001, Currency: "EUR"}, Method: "bank transfer", Reference: "TR-1"}).Validate(o); ErrorCode(err) != CodeInvalid {
		t.Errorf("a settlement of 40001: %v, want CodeInvalid", err)
	}
	res := Resolve(DefaultPolicy(), testRequest(ReasonChangedMind), o, at(t, "2025-03-05"))
	if got, want := res.Refundable.Amount, int64(40000); got != want {
		t.Errorf("Resolve offers %d, want %d (%s)", got, want, lines(res.Calculation))
	}
	if !strings.Contains(lines(res.Calculation), "chargeback") {
		t.Errorf("the breakdown does not show the chargeback: %s", lines(res.Calculation))
	}
	for _, offer := range res.Offers {
		if offer.IsRefund() && offer.Amount.Amount > o.Remaining().Amount {
			t.Errorf("offer %s of %s is more than remains", offer.Kind, offer.Amount)
		}
	}
	if err := o.CheckOffers(res.Offers); err != nil {
		t.Errorf("the offers worked out now: %v", err)
	}
	stale := []Offer{{ID: "o1", Kind: OfferFullRefund, Amount: Money{Amount: 70000, Currency: "EUR"}}, {ID: "o2", Kind: OfferServiceCredit, Amount: Money{Amount: 90000, Currency: "EUR"}}}
	if err := o.CheckOffers(stale); ErrorCode(err) != CodeConflict || !strings.Contains(err.Error(), "o1") {
		t.Errorf("a refund offer made before the chargeback: %v, want CodeConflict naming o1", err)
	}
	if err := o.CheckOffers(stale[1:]); err != nil {
		t.Errorf("a credit is not a refund: %v", err)
	}
	o.ChargedBack = 90000
	if err := o.Validate(); err == nil {
		t.Error("an order charged back more than was paid validates")
	}
}
