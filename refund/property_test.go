package refund

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// genAmount draws an amount in minor units, biased towards small and boundary values.
func genAmount(t *rapid.T, label string, maxAmount int64) int64 {
	return rapid.OneOf(
		rapid.Int64Range(0, 1000),
		rapid.Int64Range(0, maxAmount),
		rapid.SampledFrom([]int64{0, 1, 99, 100, 199999, 200000, 200001, maxAmount}),
	).Draw(t, label)
}

// genOrder draws a valid order of any service type, in any stage, possibly partly refunded, disputed,
// in a currency with 0, 2 or 3 decimals.
func genOrder(t *rapid.T) Order {
	purchase := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rapid.IntRange(0, 900).Draw(t, "purchaseOffset"))
	o := Order{
		Number:       rapid.StringMatching(`[A-Z]{2}-[0-9]{1,6}`).Draw(t, "number"),
		CustomerName: rapid.SampledFrom([]string{"Jane Doe", "Zoë Ñúñez", "李雷"}).Draw(t, "name"),
		Email:        rapid.StringMatching(`[a-z]{1,8}@[a-z]{1,8}\.(com|de|fr)`).Draw(t, "email"),
		PurchaseDate: FormatDate(purchase),
		Currency:     rapid.SampledFrom(currencies).Draw(t, "currency"),
		Payment: Payment{
			Provider: "sandbox", Reference: "pi_" + rapid.StringMatching(`[a-z0-9]{8}`).Draw(t, "ref"),
			CardHint: rapid.StringMatching(`[0-9]{4}`).Draw(t, "card"), ThreeDSecure: rapid.Bool().Draw(t, "3ds"), Captured: true,
		},
		Status:   OrderActive,
		Disputed: rapid.Float64Range(0, 1).Draw(t, "disputedRoll") < 0.1,
		Version:  1,
	}
	maxAmount := rapid.SampledFrom([]int64{100000, 10000000, MaxAmount}).Draw(t, "scale")
	switch rapid.SampledFrom([]ServiceType{ServiceProject, ServiceSubscription, ServiceHours}).Draw(t, "type") {
	case ServiceProject:
		n := rapid.IntRange(1, 6).Draw(t, "milestones")
		p := &Project{}
		for i := 0; i < n; i++ {
			m := Milestone{
				Name:   fmt.Sprintf("M%d", i+1),
				Price:  genAmount(t, "price", maxAmount/int64(n)),
				Status: rapid.SampledFrom([]MilestoneStatus{MilestoneNotStarted, MilestoneInProgress, MilestoneDelivered}).Draw(t, "status"),
			}
			if m.Status == MilestoneInProgress {
				m.Progress = rapid.IntRange(0, 100).Draw(t, "progress")
			}
			p.Milestones = append(p.Milestones, m)
			o.Paid += m.Price
		}
		// Billing may have given a discount or charged extras: paid need not equal the milestone sum.
		if rapid.Bool().Draw(t, "adjustPaid") {
			o.Paid = genAmount(t, "paid", maxAmount)
		}
		o.Service = Service{Type: ServiceProject, Project: p}
	case ServiceSubscription:
		start := purchase.AddDate(0, 0, rapid.IntRange(0, 400).Draw(t, "startOffset"))
		end := start.AddDate(0, 0, rapid.SampledFrom([]int{0, 27, 29, 30, 89, 364, 365}).Draw(t, "periodLen"))
		price := genAmount(t, "pricePerPeriod", maxAmount)
		o.Paid = min(maxAmount, price*int64(rapid.IntRange(1, 3).Draw(t, "periodsPaid")))
		if rapid.Bool().Draw(t, "adjustPaid") {
			o.Paid = genAmount(t, "paid", maxAmount)
		}
		o.Service = Service{Type: ServiceSubscription, Subscription: &Subscription{
			PeriodStart: FormatDate(start), PeriodEnd: FormatDate(end), PricePerPeriod: price,
			TicketsUsed: rapid.SampledFrom([]int{0, 0, 1, 7}).Draw(t, "tickets"),
		}}
	case ServiceHours:
		purchased := rapid.OneOf(rapid.IntRange(1, 200), rapid.IntRange(1, MaxHours)).Draw(t, "purchased")
		used := rapid.OneOf(rapid.Just(0), rapid.Just(purchased), rapid.IntRange(0, purchased)).Draw(t, "used")
		total := genAmount(t, "total", maxAmount)
		o.Paid = total
		if rapid.Bool().Draw(t, "adjustPaid") {
			o.Paid = genAmount(t, "paid", maxAmount)
		}
		o.Service = Service{Type: ServiceHours, Hours: &Hours{Purchased: purchased, Used: used, TotalPrice: total}}
	}
	o.Refunded = rapid.OneOf(rapid.Just(int64(0)), rapid.Int64Range(0, o.Paid), rapid.Just(o.Paid)).Draw(t, "refunded")
	return o
}

// genPolicy draws the default policy or a valid variation of it.
func genPolicy(t *rapid.T) Policy {
	p := DefaultPolicy()
	if rapid.Bool().Draw(t, "defaultPolicy") {
		return p
	}
	p.Version = "gen-" + rapid.StringMatching(`[a-z0-9]{1,8}`).Draw(t, "version")
	p.CoolingOffDays = rapid.IntRange(0, 60).Draw(t, "coolingOff")
	p.MaxRequestAgeDays = rapid.IntRange(p.CoolingOffDays+1, 3650).Draw(t, "maxAge")
	p.Project.FeePercent = rapid.IntRange(0, 100).Draw(t, "fee")
	p.Project.CreditPercent = rapid.IntRange(0, 300).Draw(t, "projectCredit")
	p.Project.CreditValidMonths = rapid.IntRange(1, 120).Draw(t, "projectMonths")
	p.Project.OfferSwitchService = rapid.Bool().Draw(t, "switch")
	p.Hours.CreditPercent = rapid.IntRange(0, 300).Draw(t, "hoursCredit")
	p.Subscription.MaxPauseMonths = rapid.IntRange(0, 24).Draw(t, "pause")
	p.Subscription.OfferCancelAtPeriodEnd = rapid.Bool().Draw(t, "cancelAtEnd")
	p.Review.RefundAboveMajorUnits = map[string]int64{}
	for _, c := range currencies {
		if rapid.Bool().Draw(t, "has threshold "+c) { // a currency without one: every refund is reviewed
			p.Review.RefundAboveMajorUnits[c] = rapid.Int64Range(0, 1_000_000_000).Draw(t, "threshold "+c)
		}
	}
	return p
}

// genCase draws a policy, request, order and "now" for Resolve.
func genCase(t *rapid.T) (Policy, Request, Order, time.Time) {
	p := genPolicy(t)
	o := genOrder(t)
	req := Request{
		ID:          "req-" + rapid.StringMatching(`[a-z0-9]{6}`).Draw(t, "reqID"),
		OrderNumber: o.Number,
		Kind:        rapid.SampledFrom(RequestKinds()).Draw(t, "kind"),
		Reason:      rapid.SampledFrom(Reasons()).Draw(t, "reason"),
		Status:      StatusSubmitted,
	}
	age := rapid.OneOf(rapid.IntRange(0, 20), rapid.IntRange(0, 800)).Draw(t, "age")
	now := date(t, o.PurchaseDate).AddDate(0, 0, age).Add(time.Duration(rapid.IntRange(0, 86399).Draw(t, "second")) * time.Second)
	return p, req, o, now
}

// TestPropertyResolve checks the money invariants over random orders, stages and policies.
func TestPropertyResolve(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p, req, o, now := genCase(t)
		if err := o.Validate(); err != nil {
			t.Fatalf("generator made an invalid order: %v", err)
		}
		res := Resolve(p, req, o, now)
		remaining := o.Paid - o.Refunded

		if res.Refundable.Currency != o.Currency || res.Refundable.Amount < 0 || res.Refundable.Amount > remaining {
			t.Fatalf("refundable %v outside [0, %d]", res.Refundable, remaining)
		}
		if got := (Offer{Amount: res.Refundable, Breakdown: res.Calculation}).BreakdownTotal(); got != res.Refundable {
			t.Fatalf("calculation sums to %v, refundable %v", got, res.Refundable)
		}
		if res.NeedsReview != (len(res.ReviewReasons) > 0) {
			t.Fatalf("needs review %v with reasons %q", res.NeedsReview, res.ReviewReasons)
		}
		if len(res.Offers) == 0 && !res.NeedsReview {
			t.Fatal("no offers and no review: the client would be left without an answer")
		}
		if threshold, ok := p.ReviewThreshold(o.Currency); (!ok && res.Refundable.Amount > 0 || res.Refundable.Amount > threshold.Amount) && !res.NeedsReview {
			t.Fatalf("refund %v above %v (configured: %v) without review", res.Refundable, threshold, ok)
		}
		if o.Disputed && !res.NeedsReview {
			t.Fatal("disputed order without review")
		}
		if slices.Contains(p.Review.Reasons, req.Reason) && !res.NeedsReview {
			t.Fatalf("reason %s without review", req.Reason)
		}
		refunds := 0
		ids := map[string]bool{}
		for i, of := range res.Offers {
			if of.Amount.Amount < 0 || of.Amount.Currency != o.Currency {
				t.Fatalf("offer %d amount %v", i, of.Amount)
			}
			if got := of.BreakdownTotal(); got != of.Amount {
				t.Fatalf("offer %d (%s) breakdown sums to %v, amount %v: %s", i, of.Kind, got, of.Amount, lines(of.Breakdown))
			}
			for _, l := range of.Breakdown {
				if l.Amount.Currency != o.Currency || l.Label == "" {
					t.Fatalf("offer %d bad line %+v", i, l)
				}
			}
			if of.IsRefund() {
				refunds++
				if of.Amount.Amount == 0 || of.Amount.Amount > remaining || of.Amount != res.Refundable {
					t.Fatalf("refund offer %v, remaining %d, refundable %v", of.Amount, remaining, res.Refundable)
				}
				if (of.Kind == OfferFullRefund) != (of.Amount.Amount == remaining) {
					t.Fatalf("kind %s for %v of remaining %d", of.Kind, of.Amount, remaining)
				}
			}
			if of.IsCredit() {
				if of.Amount.Amount <= 0 || of.ValidUntil <= of.EffectiveDate {
					t.Fatalf("credit offer %+v", of)
				}
			} else if of.ValidUntil != "" {
				t.Fatalf("non-credit offer with expiry %+v", of)
			}
			if !of.IsRefund() && !of.IsCredit() && of.Amount.Amount != 0 {
				t.Fatalf("%s offer with amount %v", of.Kind, of.Amount)
			}
			if (of.Kind == OfferPause) != (of.PauseMonths > 0) {
				t.Fatalf("pause months %d on %s", of.PauseMonths, of.Kind)
			}
			if _, err := ParseDate(of.EffectiveDate); err != nil {
				t.Fatalf("offer %d effective date %q", i, of.EffectiveDate)
			}
			if ids[of.ID] || !strings.HasPrefix(of.ID, req.ID+"-") || of.RequestID != req.ID || of.OrderNumber != o.Number || of.PolicyVersion != p.Version || of.Terms == "" {
				t.Fatalf("offer %d identity %+v", i, of)
			}
			ids[of.ID] = true
		}
		if refunds > 1 {
			t.Fatalf("%d refund offers", refunds)
		}
		if res.CoolingOff && (o.WorkStarted() || len(res.Offers) > 1) {
			t.Fatalf("cooling-off with work started or alternatives: %+v", res.Offers)
		}
	})
}

// TestPropertyDeterministic: resolving twice, or at another time of the same day, gives identical
// offers; agreements and hashes are stable; and an
// offer survives a JSON round trip (as through storage) with the same hash.
func TestPropertyDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p, req, o, now := genCase(t)
		a := Resolve(p, req, o, now)
		if b := Resolve(p, req, o, now); !reflect.DeepEqual(a, b) {
			t.Fatalf("two resolutions differ:\n%+v\n%+v", a, b)
		}
		// Only the UTC day of now matters, not the time of day.
		sameDay := Day(now).Add(time.Duration(rapid.Int64Range(0, int64(24*time.Hour-1)).Draw(t, "timeOfDay")))
		if c := Resolve(p, req, o, sameDay); !reflect.DeepEqual(a, c) {
			t.Fatalf("resolution depends on the time of day:\n%+v\n%+v", a, c)
		}
		for _, of := range a.Offers {
			text := Agreement(o, req, of)
			if text != Agreement(o, req, of) {
				t.Fatal("agreement text not deterministic")
			}
			h := AgreementHash(of, text)
			data, err := json.Marshal(of)
			if err != nil {
				t.Fatal(err)
			}
			var back Offer
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			if got := AgreementHash(back, Agreement(o, req, back)); got != h {
				t.Fatalf("hash changed across a JSON round trip of %s", of.ID)
			}
		}
	})
}

// TestPropertyHashBindsOffer: changing the amount, currency, order, kind, breakdown, dates or the text
// changes the hash.
func TestPropertyHashBindsOffer(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p, req, o, now := genCase(t)
		res := Resolve(p, req, o, now)
		if len(res.Offers) == 0 {
			return
		}
		of := res.Offers[rapid.IntRange(0, len(res.Offers)-1).Draw(t, "offer")]
		text := Agreement(o, req, of)
		h := AgreementHash(of, text)
		changes := map[string]func(*Offer, *string){
			"amount":      func(x *Offer, _ *string) { x.Amount.Amount++ },
			"currency":    func(x *Offer, _ *string) { x.Amount.Currency = "XXX" },
			"order":       func(x *Offer, _ *string) { x.OrderNumber += "0" },
			"request":     func(x *Offer, _ *string) { x.RequestID += "0" },
			"kind":        func(x *Offer, _ *string) { x.Kind = OfferKind(string(x.Kind) + "x") },
			"id":          func(x *Offer, _ *string) { x.ID += "0" },
			"effective":   func(x *Offer, _ *string) { x.EffectiveDate = "1999-01-01" },
			"valid until": func(x *Offer, _ *string) { x.ValidUntil += "x" },
			"breakdown":   func(x *Offer, _ *string) { x.Breakdown = append(slices.Clone(x.Breakdown), Line{Label: "x"}) },
			"policy":      func(x *Offer, _ *string) { x.PolicyVersion += "x" },
			"terms":       func(x *Offer, _ *string) { x.Terms += " " },
			"text":        func(_ *Offer, s *string) { *s += " " },
		}
		for name, change := range changes {
			x, s := of, text
			change(&x, &s)
			if AgreementHash(x, s) == h {
				t.Fatalf("changing the %s did not change the hash", name)
			}
		}
	})
}
