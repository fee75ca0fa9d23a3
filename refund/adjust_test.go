package refund

import (
	"strings"
	"testing"
)

// hoursOffers are the offers for an hours order after cooling-off: a partial refund of EUR 600.00 and
// a service credit of EUR 660.00 (80000 paid, 10 of 40 hours used).
func hoursOffers(t *testing.T) (Order, []Offer) {
	t.Helper()
	o := hoursOrder(80000, 40, 10, 80000)
	res := Resolve(DefaultPolicy(), testRequest(ReasonChangedMind), o, at(t, "2025-04-20"))
	if len(res.Offers) != 2 || !res.Offers[0].IsRefund() || !res.Offers[1].IsCredit() {
		t.Fatalf("offers %v, want a refund and a credit", res.Offers)
	}
	return o, res.Offers
}

func TestAdjustOffers(t *testing.T) {
	order, current := hoursOffers(t)
	refundID, creditID := current[0].ID, current[1].ID
	for _, tc := range []struct {
		name string
		adj  []OfferAdjustment
		step int64
		want string // the new set, "id kind amount" per offer; or the field errors
	}{
		{"a smaller refund", []OfferAdjustment{{ID: refundID, Amount: "500.00"}}, 1,
			"req-1-s2-1-partial_refund partial_refund 50000"},
		{"all that remains is a full refund", []OfferAdjustment{{ID: refundID, Amount: "800.00"}}, 1,
			"req-1-s2-1-full_refund full_refund 80000"},
		{"kept as it is, and the credit", []OfferAdjustment{{ID: refundID, Amount: "600.00"}, {ID: creditID, Amount: "700.00"}}, 1,
			"req-1-s2-1-partial_refund partial_refund 60000; req-1-s2-2-service_credit service_credit 70000"},
		{"more than remains", []OfferAdjustment{{ID: refundID, Amount: "800.01"}}, 1,
			"offers[0].amount: a refund must be more than zero and at most EUR 800.00 (paid minus already refunded)"},
		{"no amount is zero", []OfferAdjustment{{ID: refundID}}, 1,
			"offers[0].amount: a refund must be more than zero and at most EUR 800.00 (paid minus already refunded)"},
		{"not in the provider's steps", []OfferAdjustment{{ID: refundID, Amount: "500.05"}}, 10,
			"offers[0].amount: the payment provider refunds EUR only in steps of EUR 0.10; the nearest amounts are EUR 500.00 and EUR 500.10"},
		{"not an amount", []OfferAdjustment{{ID: refundID, Amount: "five hundred"}}, 1,
			"offers[0].amount: must be an amount in EUR such as 1234.50"},
		{"a credit above both limits", []OfferAdjustment{{ID: creditID, Amount: "800.01"}}, 1,
			"offers[0].amount: a credit must be more than zero and at most EUR 800.00"},
		{"a credit cannot become a refund", []OfferAdjustment{{ID: creditID, Kind: OfferFullRefund, Amount: "800.00"}}, 1,
			"offers[0].kind: an offer of kind service_credit can only change its amount, not become full_refund"},
		{"unknown and twice", []OfferAdjustment{{ID: "req-1-9-pause"}, {ID: refundID, Amount: "1.00"}, {ID: refundID, Amount: "2.00"}}, 1,
			"offers[0].id: is not an offer of the current set; offers[2].id: appears twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			offers, err := AdjustOffers(ReviewCase{Policy: DefaultPolicy(), Request: testRequest(ReasonChangedMind), Order: order, Current: current, Step: tc.step, Set: 2}, tc.adj)
			var got string
			if err != nil {
				if ErrorCode(err) != CodeInvalid {
					t.Fatalf("error %v, want CodeInvalid", err)
				}
				got = err.(*Error).Fields.String()
			} else {
				var parts []string
				for _, o := range offers {
					parts = append(parts, o.ID+" "+string(o.Kind)+" "+strings.TrimLeft(lines([]Line{{Amount: o.Amount}}), "="))
					if total := o.BreakdownTotal(); total != o.Amount {
						t.Errorf("%s: breakdown adds up to %s, not %s", o.ID, total, o.Amount)
					}
					if !strings.Contains(o.Terms, o.Amount.String()) {
						t.Errorf("%s: terms %q do not name %s", o.ID, o.Terms, o.Amount)
					}
				}
				got = strings.Join(parts, "; ")
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	if current[0].Amount.Amount != 60000 || len(current[0].Breakdown) != 2 {
		t.Errorf("the current offers changed: %s", offerSummary(current[0]))
	}
}

func TestAdjustOffersKeepsAmountlessOffersAmountless(t *testing.T) {
	o := subscriptionOrder(120000, "2025-03-01", "2026-02-28", 120000, 0)
	res := Resolve(DefaultPolicy(), testRequest(ReasonChangedMind), o, at(t, "2025-04-20"))
	pause := res.Offers[1]
	if pause.Kind != OfferPause {
		t.Fatalf("second offer %s, want a pause", pause.Kind)
	}
	if _, err := AdjustOffers(ReviewCase{Order: o, Current: res.Offers, Step: 1, Set: 2}, []OfferAdjustment{{ID: pause.ID, Amount: "1.00"}}); ErrorCode(err) != CodeInvalid {
		t.Errorf("a pause with an amount: %v, want CodeInvalid", err)
	}
	got, err := AdjustOffers(ReviewCase{Order: o, Current: res.Offers, Step: 1, Set: 2}, []OfferAdjustment{{ID: pause.ID}})
	if err != nil || len(got) != 1 || got[0].Terms != pause.Terms || got[0].ID != OfferIDInSet("req-1", 2, 1, OfferPause) {
		t.Errorf("pause kept: %+v, %v", got, err)
	}
}

// When the policy gives no money (every hour used, or only a pause and an end at the period's end),
// staff may add a goodwill refund or credit; the checks are those of any refund or credit staff
// offer, and the offer reads like the policy's own (terms, one breakdown line, the request's day).
func TestAdjustOffersGoodwill(t *testing.T) {
	req := testRequest(ReasonQuality)
	req.CreatedAt = at(t, "2025-04-20")
	used := hoursOrder(80000, 40, 40, 80000)
	used.Refunded = 20000 // EUR 600.00 remains
	if res := Resolve(DefaultPolicy(), req, used, req.CreatedAt); len(res.Offers) != 0 {
		t.Fatalf("offers %v for an order with every hour used, want none", res.Offers)
	}
	sub := subscriptionOrder(31000, "2025-04-01", "2025-04-20", 31000, 1) // the last paid day: nothing unused
	subOffers := Resolve(DefaultPolicy(), req, sub, req.CreatedAt).Offers
	if len(subOffers) != 2 || subOffers[0].Kind != OfferPause || subOffers[1].Kind != OfferCancelAtPeriodEnd {
		t.Fatalf("subscription offers %v, want only a pause and an end at the period's end", subOffers)
	}
	hoursOrder, hoursCurrent := hoursOffers(t)
	for _, tc := range []struct {
		name    string
		order   Order
		current []Offer
		step    int64
		adj     []OfferAdjustment
		want    string // "summary" per offer, "; " between; or the field errors
	}{
		{"a goodwill partial refund", used, nil, 1,
			[]OfferAdjustment{{Goodwill: true, Kind: OfferPartialRefund, Amount: "150.00"}},
			"partial_refund 15000 [Goodwill offer by our team=15000] from 2025-04-20"},
		{"all that remains is a full refund", used, nil, 1,
			[]OfferAdjustment{{Goodwill: true, Kind: OfferPartialRefund, Amount: "600.00"}},
			"full_refund 60000 [Goodwill offer by our team=60000] from 2025-04-20"},
		{"a refund and a credit", used, nil, 1,
			[]OfferAdjustment{{Goodwill: true, Kind: OfferFullRefund, Amount: "100.00"}, {Goodwill: true, Kind: OfferServiceCredit, Amount: "150.00"}},
			"partial_refund 10000 [Goodwill offer by our team=10000] from 2025-04-20; service_credit 15000 [Goodwill offer by our team=15000] from 2025-04-20 until 2026-04-20"},
		{"beside the policy's pause", sub, subOffers, 1,
			[]OfferAdjustment{{ID: subOffers[0].ID}, {Goodwill: true, Kind: OfferPartialRefund, Amount: "50.00"}},
			"pause 0 from 2025-04-21 pause 3; partial_refund 5000 [Goodwill offer by our team=5000] from 2025-04-20"},
		{"more than remains", used, nil, 1,
			[]OfferAdjustment{{Goodwill: true, Kind: OfferPartialRefund, Amount: "600.01"}, {Goodwill: true, Kind: OfferServiceCredit, Amount: "600.01"}},
			"offers[0].amount: a refund must be more than zero and at most EUR 600.00 (paid minus already refunded); " +
				"offers[1].amount: a goodwill credit must be more than zero and at most EUR 600.00 (paid minus already refunded)"},
		{"not in the provider's steps", used, nil, 10,
			[]OfferAdjustment{{Goodwill: true, Kind: OfferPartialRefund, Amount: "150.05"}},
			"offers[0].amount: the payment provider refunds EUR only in steps of EUR 0.10; the nearest amounts are EUR 150.00 and EUR 150.10"},
		{"no amount, another kind, an id, twice", used, nil, 1,
			[]OfferAdjustment{{Goodwill: true, Kind: OfferPartialRefund}, {Goodwill: true, Kind: OfferPause, Amount: "1.00"},
				{Goodwill: true, ID: "req-1-1-partial_refund", Kind: OfferServiceCredit, Amount: "1.00"},
				{Goodwill: true, Kind: OfferServiceCredit, Amount: "2.00"}, {Goodwill: true, Kind: OfferServiceCredit, Amount: "3.00"}},
			"offers[0].amount: must be an amount in EUR such as 1234.50; offers[1].kind: a goodwill offer is a full_refund, a partial_refund or a service_credit; " +
				"offers[2].id: a goodwill offer is new: leave out the id; offers[4].kind: one goodwill refund and one goodwill credit at most"},
		{"the policy offered money: adjust it instead", hoursOrder, hoursCurrent, 1,
			[]OfferAdjustment{{Goodwill: true, Kind: OfferPartialRefund, Amount: "1.00"}},
			"offers[0].goodwill: the current offers include a refund or a credit; adjust its amount instead"},
		{"neither an offer nor goodwill", used, nil, 1,
			[]OfferAdjustment{{Kind: OfferPartialRefund, Amount: "1.00"}},
			"offers[0].id: name an offer of the current set, or send goodwill: true for a new goodwill offer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			offers, err := AdjustOffers(ReviewCase{Policy: DefaultPolicy(), Request: req, Order: tc.order, Current: tc.current, Step: tc.step, Set: 2}, tc.adj)
			var got string
			if err != nil {
				if ErrorCode(err) != CodeInvalid {
					t.Fatalf("error %v, want CodeInvalid", err)
				}
				got = err.(*Error).Fields.String()
			} else {
				var parts []string
				for i, o := range offers {
					parts = append(parts, offerSummary(o))
					if want := OfferIDInSet(req.ID, 2, i+1, o.Kind); o.ID != want {
						t.Errorf("offer %d has id %s, want %s", i, o.ID, want)
					}
					if total := o.BreakdownTotal(); total != o.Amount {
						t.Errorf("%s: breakdown adds up to %s, not %s", o.ID, total, o.Amount)
					}
					if o.Amount.Amount > 0 && !strings.Contains(o.Terms, o.Amount.String()) {
						t.Errorf("%s: terms %q do not name %s", o.ID, o.Terms, o.Amount)
					}
					if o.RequestID != req.ID || o.OrderNumber != tc.order.Number || o.PolicyVersion != DefaultPolicy().Version {
						t.Errorf("%s belongs to %s/%s under policy %s", o.ID, o.RequestID, o.OrderNumber, o.PolicyVersion)
					}
				}
				got = strings.Join(parts, "; ")
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
