package refund

import (
	"strings"
	"testing"
)

// The policy's blind spots (issue 17): each case failed before the rule it shows was written.

// Earlier refunds count in every later offer: what was already refunded on the order is subtracted
// from the unused hours or days, so the same unused part is never refunded twice.
func TestEarlierRefundsCountInLaterOffers(t *testing.T) {
	for _, tc := range []struct {
		name       string
		order      Order
		now        string
		refundable int64
		want       string // the refund offer's summary, "" for none
	}{
		{
			name: "hours: the unused hours were refunded before",
			order: func() Order {
				o := hoursOrder(100000, 10, 5, 100000)
				o.Refunded = 50000
				return o
			}(),
			now:        "2025-04-01",
			refundable: 0,
		},
		{
			name: "hours: part of the unused value was refunded before",
			order: func() Order {
				o := hoursOrder(100000, 10, 2, 100000)
				o.Refunded = 30000
				return o
			}(),
			now:        "2025-04-01",
			refundable: 50000,
			want:       "partial_refund 50000 [Prepaid hours bought: 10=100000 | Used: 2 of 10 hours at the bought rate=-20000 | Already refunded=-30000] from 2025-04-01",
		},
		{
			name: "subscription: the unused days were refunded before",
			order: func() Order {
				o := subscriptionOrder(31000, "2025-03-01", "2025-03-31", 31000, 2)
				o.Refunded = 15000 // the 15 unused days from 2025-03-16
				return o
			}(),
			now:        "2025-03-20",
			refundable: 0,
		},
		{
			name: "subscription: an earlier refund larger than the unused days",
			order: func() Order {
				o := subscriptionOrder(31000, "2025-03-01", "2025-03-31", 31000, 2)
				o.Refunded = 25000
				return o
			}(),
			now:        "2025-03-16",
			refundable: 0,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Resolve(DefaultPolicy(), testRequest(ReasonChangedMind), tc.order, at(t, tc.now))
			if got := res.Refundable.Amount; got != tc.refundable {
				t.Errorf("refundable = %d, want %d (already refunded %d)", got, tc.refundable, tc.order.Refunded)
			}
			got := ""
			for _, o := range res.Offers {
				if o.IsRefund() {
					got = offerSummary(o)
				}
				if o.BreakdownTotal() != o.Amount {
					t.Errorf("offer %s: breakdown sums to %v, amount %v", o.ID, o.BreakdownTotal(), o.Amount)
				}
			}
			if got != tc.want {
				t.Errorf("refund offer:\ngot  %s\nwant %s", got, tc.want)
			}
			if total := (Offer{Amount: res.Refundable, Breakdown: res.Calculation}).BreakdownTotal(); total != res.Refundable {
				t.Errorf("calculation %s sums to %v, refundable %v", lines(res.Calculation), total, res.Refundable)
			}
		})
	}
}

// The review threshold is per currency: KWD 2,000 is about EUR 6,000 and must not pass without review;
// a currency the policy names no threshold for always goes to review.
func TestReviewThresholdPerCurrency(t *testing.T) {
	p := DefaultPolicy()
	for _, tc := range []struct {
		currency string
		paid     int64
		review   string // substring of the review reason, "" for none
	}{
		{"EUR", 200000, ""},
		{"EUR", 200001, "above the EUR 2,000.00"},
		{"KWD", 2000000, "above the KWD 650.000"},
		{"KWD", 650000, ""},
		{"JPY", 300000, ""},
		{"XAF", 100, "no review threshold for XAF"},
	} {
		o := projectOrder(tc.paid, ms("Build", tc.paid, MilestoneNotStarted, 0))
		o.Currency = tc.currency
		res := Resolve(p, testRequest(ReasonChangedMind), o, at(t, "2025-03-02"))
		reasons := strings.Join(res.ReviewReasons, "|")
		switch {
		case tc.review == "" && res.NeedsReview:
			t.Errorf("%s %d: review %q, want none", tc.currency, tc.paid, reasons)
		case tc.review != "" && !strings.Contains(reasons, tc.review):
			t.Errorf("%s %d: review %q, want %q", tc.currency, tc.paid, reasons, tc.review)
		}
	}
	if _, ok := p.ReviewThreshold("XAF"); ok {
		t.Error("the default policy names a threshold for XAF")
	}
}

// A client far east of UTC enters today's date on their calendar, which can be tomorrow in UTC: a
// purchase date up to one day after today's UTC date is accepted, and counts as bought today.
func TestPurchaseDateOnTheClientsCalendar(t *testing.T) {
	o := projectOrder(100000, ms("Build", 100000, MilestoneNotStarted, 0))
	o.PurchaseDate = "2025-03-02"
	sub := Submission{OrderNumber: o.Number, PurchaseDate: "2025-03-02", Email: o.Email, Kind: "refund", Reason: "changed_mind", Name: "Jane"}
	// 2025-03-01 11:00 UTC is already 2025-03-02 01:00 in Kiribati (UTC+14).
	now := date(t, "2025-03-01").Add(11 * 60 * 60 * 1e9)
	if v := Verify(DefaultPolicy(), sub, &o, now); !v.OK {
		t.Errorf("a purchase date one day after the UTC date was refused: %+v", v.Findings)
	}
	res := Resolve(DefaultPolicy(), testRequest(ReasonChangedMind), o, now)
	if res.NeedsReview || len(res.Offers) != 1 || !res.CoolingOff || res.Offers[0].EffectiveDate != "2025-03-02" {
		t.Errorf("resolution = %+v, want a cooling-off full refund effective on the purchase day", res)
	}
	// Two days ahead is still in the future.
	sub.PurchaseDate, o.PurchaseDate = "2025-03-03", "2025-03-03"
	if v := Verify(DefaultPolicy(), sub, &o, now); v.OK || v.Findings[len(v.Findings)-1].Code != FindingDateInFuture {
		t.Errorf("a purchase date two days ahead was accepted: %+v", v.Findings)
	}
}

// Month arithmetic clamps to the month's last day: a month after 31 January is 28 (or 29) February,
// not 3 March.
func TestAddMonthsClampsToTheMonthsLastDay(t *testing.T) {
	for _, tc := range []struct {
		from   string
		months int
		want   string
	}{
		{"2025-01-31", 1, "2025-02-28"},
		{"2024-01-31", 1, "2024-02-29"},
		{"2025-03-31", 1, "2025-04-30"},
		{"2025-08-31", 3, "2025-11-30"},
		{"2025-11-30", 3, "2026-02-28"},
		{"2024-02-29", 12, "2025-02-28"},
		{"2025-01-15", 1, "2025-02-15"},
		{"2025-12-31", 2, "2026-02-28"},
	} {
		if got := FormatDate(AddMonths(date(t, tc.from), tc.months)); got != tc.want {
			t.Errorf("AddMonths(%s, %d) = %s, want %s", tc.from, tc.months, got, tc.want)
		}
	}
	// Where the policy uses it: a credit's end and a pause's end.
	p := DefaultPolicy()
	p.Hours.CreditValidMonths = 1
	res := Resolve(p, testRequest(ReasonChangedMind), hoursOrder(100000, 10, 3, 100000), at(t, "2025-01-31"))
	for _, o := range res.Offers {
		if o.IsCredit() && o.ValidUntil != "2025-02-28" {
			t.Errorf("credit valid until %s, want 2025-02-28", o.ValidUntil)
		}
	}
	sub := subscriptionOrder(29000, "2025-11-01", "2025-11-29", 29000, 1)
	sub.PurchaseDate = "2025-11-01"
	res = Resolve(DefaultPolicy(), testRequest(ReasonChangedMind), sub, at(t, "2025-11-20"))
	for _, o := range res.Offers {
		if o.Kind == OfferPause && (o.EffectiveDate != "2025-11-30" || !strings.Contains(o.Terms, "resumes automatically on 2026-02-28")) {
			t.Errorf("a 3-month pause from %s: %q, want it to resume on 2026-02-28", o.EffectiveDate, o.Terms)
		}
		if o.Kind == OfferPause && !strings.Contains(Agreement(sub, testRequest(ReasonChangedMind), o), "2026-02-28") {
			t.Error("the pause agreement does not name 2026-02-28")
		}
	}
}

// Earlier credits count like earlier refunds: a service credit was given instead of money for part of
// the service, so it is subtracted from every later offer at its full amount, and the same unused
// hours or days are never paid for twice (once as a credit, once as a refund). A request's own credit
// (a retried resolution) and credits of other orders' currencies are handled apart.
func TestEarlierCreditsCountInLaterOffers(t *testing.T) {
	credit := func(req string, amount int64, currency string) Credit {
		return Credit{OrderNumber: "RF-1001", RequestID: req, OfferID: req + "-2-service_credit",
			Amount: Money{Amount: amount, Currency: currency}, ValidUntil: "2026-04-01"}
	}
	for _, tc := range []struct {
		name       string
		order      Order
		now        string
		credits    []Credit
		refundable int64
		want       string // the refund offer's summary, "" for none
		review     string // a review reason that must be given, "" for none in particular
	}{
		{
			name:  "hours: a credit covered the unused hours",
			order: hoursOrder(80000, 40, 10, 80000), now: "2025-04-01",
			credits:    []Credit{credit("req-0", 66000, "EUR")},
			refundable: 0,
		},
		{
			name:  "hours: a credit covered part of the unused hours",
			order: hoursOrder(100000, 10, 2, 100000), now: "2025-04-01",
			credits:    []Credit{credit("req-0", 30000, "EUR")},
			refundable: 50000,
			want:       "partial_refund 50000 [Prepaid hours bought: 10=100000 | Used: 2 of 10 hours at the bought rate=-20000 | Service credits already granted=-30000] from 2025-04-01",
		},
		{
			name: "hours: a refund and a credit together",
			order: func() Order {
				o := hoursOrder(100000, 10, 2, 100000)
				o.Refunded = 30000
				return o
			}(),
			now:        "2025-04-01",
			credits:    []Credit{credit("req-0", 30000, "EUR")},
			refundable: 20000,
			want:       "partial_refund 20000 [Prepaid hours bought: 10=100000 | Used: 2 of 10 hours at the bought rate=-20000 | Already refunded=-30000 | Service credits already granted=-30000] from 2025-04-01",
		},
		{
			name:  "subscription: a credit larger than the unused days",
			order: subscriptionOrder(31000, "2025-03-01", "2025-03-31", 31000, 2), now: "2025-03-16",
			credits:    []Credit{credit("req-0", 25000, "EUR")},
			refundable: 0,
		},
		{
			name:  "project: the credit is subtracted like a refund",
			order: projectOrder(100000, ms("Design", 30000, MilestoneDelivered, 0), ms("Build", 70000, MilestoneNotStarted, 0)), now: "2025-05-01",
			credits:    []Credit{credit("req-0", 20000, "EUR")},
			refundable: 45000,
			want:       "partial_refund 45000 [Amount paid=100000 | Service credits already granted=-20000 | Delivered: Design=-30000 | Cancellation fee (5% of the amount paid)=-5000] from 2025-05-01",
		},
		{
			name:  "cooling-off: everything not refunded less the credit",
			order: hoursOrder(80000, 40, 0, 80000), now: "2025-03-05",
			credits:    []Credit{credit("req-0", 30000, "EUR")},
			refundable: 50000,
			want:       "partial_refund 50000 [Amount paid=80000 | Service credits already granted=-30000] from 2025-03-05",
		},
		{
			name:  "cooling-off: a credit above what was paid",
			order: hoursOrder(80000, 40, 0, 80000), now: "2025-03-05",
			credits:    []Credit{credit("req-0", 88000, "EUR")},
			refundable: 0,
		},
		{
			name:  "the request's own credit is not an earlier one",
			order: hoursOrder(100000, 10, 2, 100000), now: "2025-04-01",
			credits:    []Credit{credit("req-1", 30000, "EUR")},
			refundable: 80000,
			want:       "partial_refund 80000 [Prepaid hours bought: 10=100000 | Used: 2 of 10 hours at the bought rate=-20000] from 2025-04-01",
		},
		{
			name:  "a credit in another currency cannot be counted",
			order: hoursOrder(100000, 10, 2, 100000), now: "2025-04-01",
			credits:    []Credit{credit("req-0", 30000, "USD")},
			refundable: 0,
			review:     "service credits in another currency than its EUR (USD 300.00)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Resolve(DefaultPolicy(), testRequest(ReasonChangedMind), tc.order, at(t, tc.now), WithCredits(tc.credits))
			if got := res.Refundable.Amount; got != tc.refundable {
				t.Errorf("refundable = %d, want %d (credits %v)", got, tc.refundable, tc.credits)
			}
			got := ""
			for _, o := range res.Offers {
				if o.IsRefund() {
					got = offerSummary(o)
				}
				if o.BreakdownTotal() != o.Amount {
					t.Errorf("offer %s: breakdown sums to %v, amount %v", o.ID, o.BreakdownTotal(), o.Amount)
				}
			}
			if got != tc.want {
				t.Errorf("refund offer:\ngot  %s\nwant %s", got, tc.want)
			}
			if total := (Offer{Amount: res.Refundable, Breakdown: res.Calculation}).BreakdownTotal(); total != res.Refundable {
				t.Errorf("calculation %s sums to %v, refundable %v", lines(res.Calculation), total, res.Refundable)
			}
			if tc.review != "" && !strings.Contains(strings.Join(res.ReviewReasons, "\n"), tc.review) {
				t.Errorf("review reasons %q do not say %q", res.ReviewReasons, tc.review)
			}
		})
	}
}
