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
			offers, err := AdjustOffers(current, order, tc.adj, tc.step, 2)
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
	if _, err := AdjustOffers(res.Offers, o, []OfferAdjustment{{ID: pause.ID, Amount: "1.00"}}, 1, 2); ErrorCode(err) != CodeInvalid {
		t.Errorf("a pause with an amount: %v, want CodeInvalid", err)
	}
	got, err := AdjustOffers(res.Offers, o, []OfferAdjustment{{ID: pause.ID}}, 1, 2)
	if err != nil || len(got) != 1 || got[0].Terms != pause.Terms || got[0].ID != OfferIDInSet("req-1", 2, 1, OfferPause) {
		t.Errorf("pause kept: %+v, %v", got, err)
	}
}
