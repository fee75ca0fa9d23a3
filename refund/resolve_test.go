package refund

import (
	"strings"
	"testing"
)

func TestResolveTable(t *testing.T) {
	const (
		paid = "Amount paid"
		fee  = "Cancellation fee (5% of the amount paid)"
		rnd  = "Rounding down to the cent"
	)
	tests := []struct {
		name   string
		order  Order
		reason Reason
		now    string
		// want lists the offers, one offerSummary per line; refundable and review are checked too.
		want       []string
		refundable int64
		coolingOff bool
		review     []string // substrings of the review reasons, in order
		calc       string   // the calculation behind refundable, when there is no refund offer to show it
	}{
		// Fixed-price projects.
		{
			name:   "project day 14 nothing started: cooling-off full refund",
			order:  projectOrder(150000, ms("Design", 50000, MilestoneNotStarted, 0), ms("Build", 100000, MilestoneNotStarted, 0)),
			reason: ReasonChangedMind, now: "2025-03-15",
			want:       []string{"full_refund 150000 [Amount paid=150000] from 2025-03-15"},
			refundable: 150000, coolingOff: true,
		},
		{
			name:   "project day 15 nothing started: fee only",
			order:  projectOrder(150000, ms("Design", 50000, MilestoneNotStarted, 0), ms("Build", 100000, MilestoneNotStarted, 0)),
			reason: ReasonChangedMind, now: "2025-03-16",
			want: []string{
				"partial_refund 142500 [" + paid + "=150000 | " + fee + "=-7500] from 2025-03-16",
				"service_credit 156750 [" + paid + "=150000 | " + fee + "=-7500 | Extra credit: 10% on top of the refundable amount, rounded down=14250] from 2025-03-16 until 2026-03-16",
				"switch_service 156750 [" + paid + "=150000 | " + fee + "=-7500 | Extra credit: 10% on top of the refundable amount, rounded down=14250] from 2025-03-16 until 2026-03-16",
			},
			refundable: 142500,
		},
		{
			name:   "project day 3 milestone in progress at 0%: work started, no cooling-off",
			order:  projectOrder(150000, ms("Design", 50000, MilestoneInProgress, 0), ms("Build", 100000, MilestoneNotStarted, 0)),
			reason: ReasonChangedMind, now: "2025-03-04",
			want: []string{
				"partial_refund 142500 [" + paid + "=150000 | " + fee + "=-7500] from 2025-03-04",
				"service_credit 156750 [" + paid + "=150000 | " + fee + "=-7500 | Extra credit: 10% on top of the refundable amount, rounded down=14250] from 2025-03-04 until 2026-03-04",
				"switch_service 156750 [" + paid + "=150000 | " + fee + "=-7500 | Extra credit: 10% on top of the refundable amount, rounded down=14250] from 2025-03-04 until 2026-03-04",
			},
			refundable: 142500,
		},
		{
			name:   "project milestone in progress at 100% counts at full price",
			order:  projectOrder(150000, ms("Design", 50000, MilestoneInProgress, 100), ms("Build", 100000, MilestoneNotStarted, 0)),
			reason: ReasonChangedMind, now: "2025-04-01",
			want: []string{
				"partial_refund 92500 [" + paid + "=150000 | In progress: Design (100% of EUR 500.00)=-50000 | " + fee + "=-7500] from 2025-04-01",
				"service_credit 101750 [" + paid + "=150000 | In progress: Design (100% of EUR 500.00)=-50000 | " + fee + "=-7500 | Extra credit: 10% on top of the refundable amount, rounded down=9250] from 2025-04-01 until 2026-04-01",
				"switch_service 101750 [" + paid + "=150000 | In progress: Design (100% of EUR 500.00)=-50000 | " + fee + "=-7500 | Extra credit: 10% on top of the refundable amount, rounded down=9250] from 2025-04-01 until 2026-04-01",
			},
			refundable: 92500,
		},
		{
			name: "project delivered + 33% in progress with a rounding line",
			// exact refund = 1000.00 − 300.00 − 33% × 500.01 − 50.00 = 484.9967 → 484.99
			order:  projectOrder(100000, ms("Design", 30000, MilestoneDelivered, 0), ms("Build", 50001, MilestoneInProgress, 33), ms("Launch", 19999, MilestoneNotStarted, 0)),
			reason: ReasonNoLongerNeeded, now: "2025-05-01",
			want: []string{
				"partial_refund 48499 [" + paid + "=100000 | Delivered: Design=-30000 | In progress: Build (33% of EUR 500.01)=-16500 | " + fee + "=-5000 | " + rnd + "=-1] from 2025-05-01",
				"service_credit 53348 [" + paid + "=100000 | Delivered: Design=-30000 | In progress: Build (33% of EUR 500.01)=-16500 | " + fee + "=-5000 | " + rnd + "=-1 | Extra credit: 10% on top of the refundable amount, rounded down=4849] from 2025-05-01 until 2026-05-01",
				"switch_service 53348 [" + paid + "=100000 | Delivered: Design=-30000 | In progress: Build (33% of EUR 500.01)=-16500 | " + fee + "=-5000 | " + rnd + "=-1 | Extra credit: 10% on top of the refundable amount, rounded down=4849] from 2025-05-01 until 2026-05-01",
			},
			refundable: 48499,
		},
		{
			name: "project already partly refunded",
			order: func() Order {
				o := projectOrder(100000, ms("Design", 30000, MilestoneDelivered, 0), ms("Build", 70000, MilestoneNotStarted, 0))
				o.Refunded = 20000
				return o
			}(),
			reason: ReasonTooExpensive, now: "2025-05-01",
			want: []string{
				"partial_refund 45000 [" + paid + "=100000 | Already refunded=-20000 | Delivered: Design=-30000 | " + fee + "=-5000] from 2025-05-01",
				"service_credit 49500 [" + paid + "=100000 | Already refunded=-20000 | Delivered: Design=-30000 | " + fee + "=-5000 | Extra credit: 10% on top of the refundable amount, rounded down=4500] from 2025-05-01 until 2026-05-01",
				"switch_service 49500 [" + paid + "=100000 | Already refunded=-20000 | Delivered: Design=-30000 | " + fee + "=-5000 | Extra credit: 10% on top of the refundable amount, rounded down=4500] from 2025-05-01 until 2026-05-01",
			},
			refundable: 45000,
		},
		{
			name:   "project all delivered: zero refundable, no offers, staff decide",
			order:  projectOrder(100000, ms("Design", 30000, MilestoneDelivered, 0), ms("Build", 70000, MilestoneDelivered, 0)),
			reason: ReasonChangedMind, now: "2025-05-01",
			want: nil, refundable: 0,
			review: []string{"Nothing can be refunded"},
			calc:   paid + "=100000 | Delivered: Design=-30000 | Delivered: Build=-70000 | " + fee + "=-5000 | Deductions above what remains are waived=5000",
		},
		{
			name:   "project duplicate order on day 200, nothing started: full refund",
			order:  projectOrder(100000, ms("Build", 100000, MilestoneNotStarted, 0)),
			reason: ReasonDuplicateOrder, now: "2025-09-17",
			want:       []string{"full_refund 100000 [Amount paid=100000] from 2025-09-17"},
			refundable: 100000, coolingOff: true,
		},
		{
			name:   "project duplicate order within 14 days but work started: project rule",
			order:  projectOrder(100000, ms("Build", 100000, MilestoneInProgress, 10)),
			reason: ReasonDuplicateOrder, now: "2025-03-05",
			want: []string{
				"partial_refund 85000 [" + paid + "=100000 | In progress: Build (10% of EUR 1,000.00)=-10000 | " + fee + "=-5000] from 2025-03-05",
				"service_credit 93500 [" + paid + "=100000 | In progress: Build (10% of EUR 1,000.00)=-10000 | " + fee + "=-5000 | Extra credit: 10% on top of the refundable amount, rounded down=8500] from 2025-03-05 until 2026-03-05",
				"switch_service 93500 [" + paid + "=100000 | In progress: Build (10% of EUR 1,000.00)=-10000 | " + fee + "=-5000 | Extra credit: 10% on top of the refundable amount, rounded down=8500] from 2025-03-05 until 2026-03-05",
			},
			refundable: 85000,
		},
		{
			name: "project cooling-off after a partial refund returns only what remains",
			order: func() Order {
				o := projectOrder(100000, ms("Build", 100000, MilestoneNotStarted, 0))
				o.Refunded = 40000
				return o
			}(),
			reason: ReasonChangedMind, now: "2025-03-01",
			want:       []string{"full_refund 60000 [Amount paid=100000 | Already refunded=-40000] from 2025-03-01"},
			refundable: 60000, coolingOff: true,
		},
		{
			name:   "project refund of exactly 2,000.00 needs no review",
			order:  projectOrder(200000, ms("Build", 200000, MilestoneNotStarted, 0)),
			reason: ReasonChangedMind, now: "2025-03-02",
			want:       []string{"full_refund 200000 [Amount paid=200000] from 2025-03-02"},
			refundable: 200000, coolingOff: true,
		},
		{
			name:   "project refund of 2,000.01 needs review",
			order:  projectOrder(200001, ms("Build", 200001, MilestoneNotStarted, 0)),
			reason: ReasonChangedMind, now: "2025-03-02",
			want:       []string{"full_refund 200001 [Amount paid=200001] from 2025-03-02"},
			refundable: 200001, coolingOff: true,
			review: []string{"The refund of EUR 2,000.01 is above the EUR 2,000.00"},
		},
		{
			name: "project quality reason and disputed order: review, offers still computed",
			order: func() Order {
				o := projectOrder(10000, ms("Build", 10000, MilestoneNotStarted, 0))
				o.Disputed = true
				return o
			}(),
			reason: ReasonQuality, now: "2025-03-02",
			want:       []string{"full_refund 10000 [Amount paid=10000] from 2025-03-02"},
			refundable: 10000, coolingOff: true,
			review: []string{"I am not satisfied with the quality", "disputed"},
		},

		// Support subscriptions: period 2025-03-01..2025-03-31 is 31 days.
		{
			name:   "subscription day 14 no ticket: cooling-off full refund",
			order:  subscriptionOrder(31000, "2025-03-01", "2025-03-31", 31000, 0),
			reason: ReasonChangedMind, now: "2025-03-15",
			want:       []string{"full_refund 31000 [Amount paid=31000] from 2025-03-15"},
			refundable: 31000, coolingOff: true,
		},
		{
			name:   "subscription day 15 no ticket: prorated, 16 days used",
			order:  subscriptionOrder(31000, "2025-03-01", "2025-03-31", 31000, 0),
			reason: ReasonChangedMind, now: "2025-03-16",
			want: []string{
				"partial_refund 15000 [Current period 2025-03-01 to 2025-03-31 (31 days)=31000 | Used: 16 of 31 days=-16000] from 2025-03-16",
				"pause 0 from 2025-04-01 pause 3",
				"cancel_at_period_end 0 from 2025-03-31",
			},
			refundable: 15000,
		},
		{
			name:   "subscription day 2 with a ticket used: no cooling-off, prorated with rounding",
			order:  subscriptionOrder(10000, "2025-03-01", "2025-03-31", 10000, 1),
			reason: ReasonChangedMind, now: "2025-03-10",
			// used 10 days: 100.00 × 10/31 = 32.258 → 32.25 shown; refund 100.00 × 21/31 = 67.741 → 67.74
			want: []string{
				"partial_refund 6774 [Current period 2025-03-01 to 2025-03-31 (31 days)=10000 | Used: 10 of 31 days=-3225 | " + rnd + "=-1] from 2025-03-10",
				"pause 0 from 2025-04-01 pause 3",
				"cancel_at_period_end 0 from 2025-03-31",
			},
			refundable: 6774,
		},
		{
			name: "subscription: an earlier refund covers more than the unused days, alternatives only",
			order: func() Order {
				o := subscriptionOrder(31000, "2025-03-01", "2025-03-31", 31000, 2)
				o.Refunded = 25000
				return o
			}(),
			reason: ReasonChangedMind, now: "2025-03-16",
			want: []string{
				"pause 0 from 2025-04-01 pause 3",
				"cancel_at_period_end 0 from 2025-03-31",
			},
			refundable: 0,
			calc:       "Current period 2025-03-01 to 2025-03-31 (31 days)=31000 | Used: 16 of 31 days=-16000 | Already refunded=-25000 | Earlier refunds already cover the unused part=10000",
		},
		{
			name: "subscription prorated refund limited to what is not yet refunded",
			order: func() Order {
				o := subscriptionOrder(10000, "2025-03-01", "2025-03-31", 31000, 2)
				o.Refunded = 2000
				return o
			}(),
			reason: ReasonChangedMind, now: "2025-03-16",
			// unused 15 of 31 days of 310.00 = 150.00, less 20.00 refunded = 130.00; only 80.00 remain paid
			want: []string{
				"full_refund 8000 [Current period 2025-03-01 to 2025-03-31 (31 days)=31000 | Used: 16 of 31 days=-16000 | Already refunded=-2000 | Limited to what is not yet refunded (paid EUR 100.00, already refunded EUR 20.00)=-5000] from 2025-03-16",
				"pause 0 from 2025-04-01 pause 3",
				"cancel_at_period_end 0 from 2025-03-31",
			},
			refundable: 8000,
		},
		{
			name:   "subscription last day of the period: nothing to refund, alternatives only",
			order:  subscriptionOrder(31000, "2025-03-01", "2025-03-31", 31000, 1),
			reason: ReasonChangedMind, now: "2025-03-31",
			want: []string{
				"pause 0 from 2025-04-01 pause 3",
				"cancel_at_period_end 0 from 2025-03-31",
			},
			refundable: 0,
			calc:       "Current period 2025-03-01 to 2025-03-31 (31 days)=31000 | Used: 31 of 31 days=-31000",
		},
		{
			name: "subscription renewed period not yet started: whole period refunded",
			order: func() Order {
				o := subscriptionOrder(62000, "2025-04-01", "2025-04-30", 30000, 1)
				return o
			}(),
			reason: ReasonTooExpensive, now: "2025-03-20",
			want: []string{
				"partial_refund 30000 [Current period 2025-04-01 to 2025-04-30 (30 days)=30000] from 2025-03-20",
				"pause 0 from 2025-05-01 pause 3",
				"cancel_at_period_end 0 from 2025-04-30",
			},
			refundable: 30000,
		},

		// Prepaid consulting hours.
		{
			name:   "hours day 14 none used: cooling-off full refund",
			order:  hoursOrder(100000, 10, 0, 100000),
			reason: ReasonChangedMind, now: "2025-03-15",
			want:       []string{"full_refund 100000 [Amount paid=100000] from 2025-03-15"},
			refundable: 100000, coolingOff: true,
		},
		{
			name:   "hours day 15 none used: unused value equals everything, so a full refund",
			order:  hoursOrder(100000, 10, 0, 100000),
			reason: ReasonChangedMind, now: "2025-03-16",
			want: []string{
				"full_refund 100000 [Prepaid hours bought: 10=100000] from 2025-03-16",
				"service_credit 110000 [Prepaid hours bought: 10=100000 | Extra credit: 10% on top of the refundable amount, rounded down=10000] from 2025-03-16 until 2026-03-16",
			},
			refundable: 100000,
		},
		{
			name:   "hours 3 of 10 used",
			order:  hoursOrder(100000, 10, 3, 100000),
			reason: ReasonNoLongerNeeded, now: "2025-03-05",
			want: []string{
				"partial_refund 70000 [Prepaid hours bought: 10=100000 | Used: 3 of 10 hours at the bought rate=-30000] from 2025-03-05",
				"service_credit 77000 [Prepaid hours bought: 10=100000 | Used: 3 of 10 hours at the bought rate=-30000 | Extra credit: 10% on top of the refundable amount, rounded down=7000] from 2025-03-05 until 2026-03-05",
			},
			refundable: 70000,
		},
		{
			name:   "hours 1 of 3 used with rounding",
			order:  hoursOrder(10000, 3, 1, 10000),
			reason: ReasonNoLongerNeeded, now: "2025-06-01",
			want: []string{
				"partial_refund 6666 [Prepaid hours bought: 3=10000 | Used: 1 of 3 hours at the bought rate=-3333 | " + rnd + "=-1] from 2025-06-01",
				"service_credit 7332 [Prepaid hours bought: 3=10000 | Used: 1 of 3 hours at the bought rate=-3333 | " + rnd + "=-1 | Extra credit: 10% on top of the refundable amount, rounded down=666] from 2025-06-01 until 2026-06-01",
			},
			refundable: 6666,
		},
		{
			name:   "hours all used: zero refundable, staff decide",
			order:  hoursOrder(100000, 10, 10, 100000),
			reason: ReasonChangedMind, now: "2025-03-05",
			want: nil, refundable: 0,
			review: []string{"Nothing can be refunded"},
			calc:   "Prepaid hours bought: 10=100000 | Used: 10 of 10 hours at the bought rate=-100000",
		},
		{
			name: "hours in JPY (no decimals) with rounding",
			order: func() Order {
				o := hoursOrder(100000, 3, 1, 100000)
				o.Currency = "JPY"
				return o
			}(),
			reason: ReasonChangedMind, now: "2025-06-01",
			want: []string{
				"partial_refund 66666 [Prepaid hours bought: 3=100000 | Used: 1 of 3 hours at the bought rate=-33333 | Rounding down to the smallest currency unit=-1] from 2025-06-01",
				"service_credit 73332 [Prepaid hours bought: 3=100000 | Used: 1 of 3 hours at the bought rate=-33333 | Rounding down to the smallest currency unit=-1 | Extra credit: 10% on top of the refundable amount, rounded down=6666] from 2025-06-01 until 2026-06-01",
			},
			// JPY 66,666 is below the policy's JPY 320,000 (thresholds are per currency): no review.
			refundable: 66666,
		},
	}
	p := DefaultPolicy()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.order.Validate(); err != nil {
				t.Fatalf("test order invalid: %v", err)
			}
			res := Resolve(p, testRequest(tc.reason), tc.order, at(t, tc.now))
			var got []string
			for _, o := range res.Offers {
				got = append(got, offerSummary(o))
			}
			if g, w := strings.Join(got, "\n"), strings.Join(tc.want, "\n"); g != w {
				t.Errorf("offers:\ngot  %s\nwant %s", g, w)
			}
			if got, want := res.Refundable, (Money{tc.refundable, tc.order.Currency}); got != want {
				t.Errorf("refundable = %v, want %v", got, want)
			}
			if tc.calc != "" {
				if got, want := lines(res.Calculation), tc.calc; got != want {
					t.Errorf("calculation:\ngot  %s\nwant %s", got, want)
				}
			}
			if got, want := (Offer{Amount: res.Refundable, Breakdown: res.Calculation}).BreakdownTotal(), res.Refundable; got != want {
				t.Errorf("calculation sums to %v, want %v", got, want)
			}
			if got, want := res.CoolingOff, tc.coolingOff; got != want {
				t.Errorf("cooling-off = %v, want %v", got, want)
			}
			if got, want := res.NeedsReview, len(tc.review) > 0; got != want {
				t.Errorf("needs review = %v (%q), want %v", got, res.ReviewReasons, want)
			}
			if got, want := len(res.ReviewReasons), len(tc.review); got != want {
				t.Fatalf("review reasons = %q, want %d matching %q", res.ReviewReasons, want, tc.review)
			}
			for i, sub := range tc.review {
				if !strings.Contains(res.ReviewReasons[i], sub) {
					t.Errorf("review reason %d = %q, want it to contain %q", i, res.ReviewReasons[i], sub)
				}
			}
			if got, want := res.PolicyVersion, p.Version; got != want {
				t.Errorf("policy version = %q, want %q", got, want)
			}
			for i, o := range res.Offers {
				if got, want := o.BreakdownTotal(), o.Amount; got != want {
					t.Errorf("offer %d breakdown sums to %v, want %v", i, got, want)
				}
				if !strings.HasPrefix(o.ID, "req-1-") || o.RequestID != "req-1" || o.OrderNumber != "RF-1001" || o.PolicyVersion != p.Version || o.Terms == "" {
					t.Errorf("offer %d common fields wrong: %+v", i, o)
				}
			}
		})
	}
}

func TestResolveOfferIDs(t *testing.T) {
	o := projectOrder(100000, ms("Build", 100000, MilestoneInProgress, 10))
	res := Resolve(DefaultPolicy(), testRequest(ReasonChangedMind), o, at(t, "2025-05-01"))
	var ids []string
	for _, of := range res.Offers {
		ids = append(ids, of.ID)
	}
	if got, want := strings.Join(ids, ","), "req-1-1-partial_refund,req-1-2-service_credit,req-1-3-switch_service"; got != want {
		t.Errorf("offer IDs = %s, want %s", got, want)
	}
}

func TestResolveRefusesInconsistentInput(t *testing.T) {
	good := projectOrder(100000, ms("Build", 100000, MilestoneNotStarted, 0))
	tests := []struct {
		name   string
		policy func(*Policy)
		order  func(*Order)
		now    string
		reason string
	}{
		{name: "refunded more than paid", order: func(o *Order) { o.Refunded = o.Paid + 1 }, now: "2025-03-02", reason: "order record is inconsistent"},
		{name: "negative paid", order: func(o *Order) { o.Paid = -1 }, now: "2025-03-02", reason: "order record is inconsistent"},
		{name: "progress above 100", order: func(o *Order) {
			o.Service.Project.Milestones = []Milestone{ms("Build", 1, MilestoneInProgress, 101)}
		}, now: "2025-03-02", reason: "order record is inconsistent"},
		{name: "purchase two days after today", now: "2025-02-27", reason: "after today"},
		{name: "cancelled order", order: func(o *Order) { o.Status = OrderCancelled }, now: "2025-03-02", reason: "The order is cancelled"},
		{name: "invalid policy", policy: func(p *Policy) { p.Project.FeePercent = 101 }, now: "2025-03-02", reason: "policy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, o := DefaultPolicy(), good
			o.Service.Project = &Project{Milestones: append([]Milestone(nil), good.Service.Project.Milestones...)}
			if tc.policy != nil {
				tc.policy(&p)
			}
			if tc.order != nil {
				tc.order(&o)
			}
			res := Resolve(p, testRequest(ReasonChangedMind), o, at(t, tc.now))
			if got := len(res.Offers); got != 0 {
				t.Errorf("got %d offers, want none", got)
			}
			if !res.NeedsReview || len(res.ReviewReasons) != 1 || !strings.Contains(res.ReviewReasons[0], tc.reason) {
				t.Errorf("review = %v %q, want one reason containing %q", res.NeedsReview, res.ReviewReasons, tc.reason)
			}
		})
	}
}

func TestResolvePolicyIsData(t *testing.T) {
	p := DefaultPolicy()
	p.Version = "test-strict"
	p.CoolingOffDays = 7
	p.Project.FeePercent = 10
	p.Project.CreditPercent = 0
	p.Subscription.MaxPauseMonths = 0
	p.Subscription.OfferCancelAtPeriodEnd = false
	p.Review.RefundAboveMajorUnits = map[string]int64{"EUR": 100}
	p.Review.Reasons = nil

	// Day 8 is outside a 7-day cooling-off period.
	res := Resolve(p, testRequest(ReasonQuality), projectOrder(100000, ms("Build", 100000, MilestoneNotStarted, 0)), at(t, "2025-03-09"))
	if got, want := len(res.Offers), 1; got != want {
		t.Fatalf("offers = %d, want %d (credit and switch disabled)", got, want)
	}
	if got, want := offerSummary(res.Offers[0]), "partial_refund 90000 [Amount paid=100000 | Cancellation fee (10% of the amount paid)=-10000] from 2025-03-09"; got != want {
		t.Errorf("offer = %s, want %s", got, want)
	}
	if got, want := res.Offers[0].PolicyVersion, "test-strict"; got != want {
		t.Errorf("policy version = %q, want %q", got, want)
	}
	if got, want := strings.Join(res.ReviewReasons, "|"), "The refund of EUR 900.00 is above the EUR 100.00 that can be refunded without review."; got != want {
		t.Errorf("review reasons = %q, want %q (quality no longer listed)", got, want)
	}

	sub := Resolve(p, testRequest(ReasonChangedMind), subscriptionOrder(31000, "2025-03-01", "2025-03-31", 31000, 1), at(t, "2025-03-16"))
	if got, want := len(sub.Offers), 1; got != want {
		t.Errorf("subscription offers = %d, want %d (pause and cancel-at-period-end disabled)", got, want)
	}
}
