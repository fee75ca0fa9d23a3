package refund

import (
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// Refund offers are rounded down to the provider's refundable increment, on a line of their own;
// credits keep the rules' amount.
func TestResolveRoundsRefundsToTheIncrement(t *testing.T) {
	kwd := func(o Order) Order { o.Currency = "KWD"; return o }
	mga := func(o Order) Order { o.Currency = "MGA"; return o }
	const roundKWD = "Rounded down to a multiple of KWD 0.010, the smallest amount the card payment can be refunded in"
	const roundMGA = "Rounded down to a multiple of MGA 1.00, the smallest amount the card payment can be refunded in"
	tests := []struct {
		name  string
		order Order
		now   string
		step  int64
		want  []string // offerSummary of each offer
	}{
		{
			name:  "KWD hours: 53.333 refunds 53.330, the credit stays 110% of 53.333",
			order: kwd(hoursOrder(80000, 30, 10, 80000)),
			now:   "2025-05-01",
			step:  10,
			want: []string{
				"partial_refund 53330 [Prepaid hours bought: 30=80000 | Used: 10 of 30 hours at the bought rate=-26666 | Rounding down to the smallest currency unit=-1 | " + roundKWD + "=-3] from 2025-05-01",
				"service_credit 58666 [Prepaid hours bought: 30=80000 | Used: 10 of 30 hours at the bought rate=-26666 | Rounding down to the smallest currency unit=-1 | Extra credit: 10% on top of the refundable amount, rounded down=5333] from 2025-05-01 until 2026-05-01",
			},
		},
		{
			name:  "MGA hours: 533.33 refunds 533.00",
			order: mga(hoursOrder(80000, 30, 10, 80000)),
			now:   "2025-05-01",
			step:  100,
			want: []string{
				"partial_refund 53300 [Prepaid hours bought: 30=80000 | Used: 10 of 30 hours at the bought rate=-26666 | Rounding down to the cent=-1 | " + roundMGA + "=-33] from 2025-05-01",
				"service_credit 58666 [Prepaid hours bought: 30=80000 | Used: 10 of 30 hours at the bought rate=-26666 | Rounding down to the cent=-1 | Extra credit: 10% on top of the refundable amount, rounded down=5333] from 2025-05-01 until 2026-05-01",
			},
		},
		{
			name:  "KWD cooling-off: a multiple of the increment stays a full refund",
			order: kwd(hoursOrder(80000, 30, 0, 80000)),
			now:   "2025-03-05",
			step:  10,
			want:  []string{"full_refund 80000 [Amount paid=80000] from 2025-03-05"},
		},
		{
			name:  "KWD cooling-off: what remains is not a multiple, so the refund is partial",
			order: func() Order { o := kwd(hoursOrder(80005, 30, 0, 80005)); return o }(),
			now:   "2025-03-05",
			step:  10,
			want:  []string{"partial_refund 80000 [Amount paid=80005 | " + roundKWD + "=-5] from 2025-03-05"},
		},
		{
			name:  "no increment: the policy's amount",
			order: kwd(hoursOrder(80000, 30, 10, 80000)),
			now:   "2025-05-01",
			step:  1,
			want: []string{
				"partial_refund 53333 [Prepaid hours bought: 30=80000 | Used: 10 of 30 hours at the bought rate=-26666 | Rounding down to the smallest currency unit=-1] from 2025-05-01",
				"service_credit 58666 [Prepaid hours bought: 30=80000 | Used: 10 of 30 hours at the bought rate=-26666 | Rounding down to the smallest currency unit=-1 | Extra credit: 10% on top of the refundable amount, rounded down=5333] from 2025-05-01 until 2026-05-01",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Resolve(DefaultPolicy(), testRequest(ReasonChangedMind), tt.order, at(t, tt.now), WithRefundIncrement(tt.step))
			var got []string
			for _, o := range res.Offers {
				got = append(got, offerSummary(o))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("offers:\n got %q\nwant %q", got, tt.want)
			}
			for _, o := range res.Offers {
				if o.IsRefund() && o.Amount != res.Refundable {
					t.Errorf("refundable %s, refund offer %s", res.Refundable, o.Amount)
				}
			}
		})
	}
}

// Below the increment nothing is refundable to the card; the calculation still adds up, to zero.
func TestResolveRefundBelowTheIncrement(t *testing.T) {
	o := hoursOrder(9, 3, 1, 9)
	o.Currency = "KWD"
	res := Resolve(DefaultPolicy(), testRequest(ReasonChangedMind), o, at(t, "2025-05-01"), WithRefundIncrement(10))
	for _, of := range res.Offers {
		if of.IsRefund() {
			t.Errorf("refund offer %s below the increment", of.Amount)
		}
	}
	if got := (Offer{Amount: res.Refundable, Breakdown: res.Calculation}).BreakdownTotal(); res.Refundable.Amount != 0 || got != res.Refundable {
		t.Errorf("refundable %s, calculation adds up to %s", res.Refundable, got)
	}
}

// Over random cases: a refund offer is a multiple of the increment, at most one increment below what
// the same case offers without it, its lines add up, and every other offer is unchanged.
func TestPropertyRefundIncrement(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p, req, o, now := genCase(t)
		step := rapid.SampledFrom([]int64{1, 10, 100}).Draw(t, "step")
		plain := Resolve(p, req, o, now)
		res := Resolve(p, req, o, now, WithRefundIncrement(step))
		if res.Refundable.Amount%step != 0 || res.Refundable.Amount > plain.Refundable.Amount || res.Refundable.Amount <= plain.Refundable.Amount-step {
			t.Fatalf("refundable %s with step %d, %s without", res.Refundable, step, plain.Refundable)
		}
		if got := (Offer{Amount: res.Refundable, Breakdown: res.Calculation}).BreakdownTotal(); got != res.Refundable {
			t.Fatalf("calculation sums to %v, refundable %v", got, res.Refundable)
		}
		var rounded, unrounded []Offer
		for _, of := range res.Offers {
			if !of.IsRefund() {
				rounded = append(rounded, of)
				continue
			}
			if of.Amount.Amount%step != 0 || of.BreakdownTotal() != of.Amount {
				t.Fatalf("refund offer %s (step %d): %s", of.Amount, step, lines(of.Breakdown))
			}
		}
		for _, of := range plain.Offers {
			if !of.IsRefund() {
				unrounded = append(unrounded, of)
			}
		}
		// Offer IDs number the offers, so a refund that rounds to zero shifts the others' IDs;
		// compare what they give.
		if len(rounded) != len(unrounded) {
			t.Fatalf("%d other offers with the step, %d without", len(rounded), len(unrounded))
		}
		for i := range rounded {
			a, b := rounded[i], unrounded[i]
			if a.Kind != b.Kind || a.Amount != b.Amount || !slices.Equal(a.Breakdown, b.Breakdown) {
				t.Fatalf("offer %s changed with the step: %s vs %s", a.Kind, offerSummary(a), offerSummary(b))
			}
		}
	})
}
