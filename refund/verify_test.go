package refund

import (
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestVerify(t *testing.T) {
	order := hoursOrder(100000, 10, 0, 100000) // bought 2025-03-01, jane@example.com, RF-1001
	tests := []struct {
		name  string
		sub   func(*Submission)
		order func(*Order) // nil order pointer when set to remove
		none  bool         // no order found
		now   string
		codes string // the findings' codes; the last one decides
		ok    bool
	}{
		{name: "all good", now: "2025-03-10", codes: "order_matched order_open within_max_age card_payment ok", ok: true},
		{name: "case and spaces do not matter", sub: func(s *Submission) { s.Email = " JANE@Example.com "; s.OrderNumber = "rf-1001" },
			now: "2025-03-10", codes: "order_matched order_open within_max_age card_payment ok", ok: true},
		{name: "order email on record in mixed case", order: func(o *Order) { o.Email = "Jane@Example.com" },
			now: "2025-03-10", codes: "order_matched order_open within_max_age card_payment ok", ok: true},
		{name: "unknown order", none: true, now: "2025-03-10", codes: "order_not_matched"},
		{name: "wrong date", sub: func(s *Submission) { s.PurchaseDate = "2025-03-02" }, now: "2025-03-10", codes: "order_not_matched"},
		{name: "wrong email", sub: func(s *Submission) { s.Email = "john@example.com" }, now: "2025-03-10", codes: "order_not_matched"},
		{name: "invalid form", sub: func(s *Submission) { s.Email = "nope" }, now: "2025-03-10", codes: "invalid_submission"},
		{name: "date in the future", sub: func(s *Submission) { s.PurchaseDate = "2025-03-12" }, now: "2025-03-10", codes: "date_in_future"},
		// Tomorrow in UTC can be today on the client's calendar (UTC+14): it is checked like any date.
		{name: "date one day ahead of UTC", sub: func(s *Submission) { s.PurchaseDate = "2025-03-11" }, now: "2025-03-10", codes: "order_not_matched"},
		{name: "purchase today", order: func(o *Order) { o.PurchaseDate = "2025-03-10" }, sub: func(s *Submission) { s.PurchaseDate = "2025-03-10" },
			now: "2025-03-10", codes: "order_matched order_open within_max_age card_payment ok", ok: true},
		{name: "cancelled", order: func(o *Order) { o.Status = OrderCancelled }, now: "2025-03-10", codes: "order_matched order_closed"},
		{name: "fully refunded status", order: func(o *Order) { o.Status = OrderFullyRefunded }, now: "2025-03-10", codes: "order_matched order_closed"},
		{name: "everything already refunded", order: func(o *Order) { o.Refunded = o.Paid }, now: "2025-03-10", codes: "order_matched order_closed"},
		{name: "everything returned by the bank (a lost dispute)", order: func(o *Order) { o.ChargedBack = o.Paid }, now: "2025-03-10", codes: "order_matched order_closed"},
		{name: "part refunded, the rest returned by the bank", order: func(o *Order) { o.Refunded, o.ChargedBack = 40000, o.Paid-40000 }, now: "2025-03-10", codes: "order_matched order_closed"},
		{name: "part returned by the bank", order: func(o *Order) { o.ChargedBack = 40000 }, now: "2025-03-10", codes: "order_matched order_open within_max_age card_payment ok", ok: true},
		{name: "day 365 is within the maximum age", now: "2026-03-01", codes: "order_matched order_open within_max_age card_payment ok", ok: true},
		{name: "day 366 is too old", now: "2026-03-02", codes: "order_matched order_open too_old"},
		{name: "payment not captured", order: func(o *Order) { o.Payment.Captured = false }, now: "2025-03-10", codes: "order_matched order_open within_max_age no_card_payment"},
		{name: "no payment reference", order: func(o *Order) { o.Payment.Reference = "" }, now: "2025-03-10", codes: "order_matched order_open within_max_age no_card_payment"},
	}
	p := DefaultPolicy()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sub := validSubmission()
			if tc.sub != nil {
				tc.sub(&sub)
			}
			o := order
			if tc.order != nil {
				tc.order(&o)
			}
			op := &o
			if tc.none {
				op = nil
			}
			v := Verify(p, sub, op, at(t, tc.now))
			var codes []string
			for i, f := range v.Findings {
				codes = append(codes, f.Code)
				if f.Message == "" || !strings.HasSuffix(f.Message, ".") {
					t.Errorf("finding %s has no sentence: %q", f.Code, f.Message)
				}
				if last := i == len(v.Findings)-1; f.Passed != (!last || tc.ok) {
					t.Errorf("finding %s passed = %v", f.Code, f.Passed)
				}
			}
			if got, want := strings.Join(codes, " "), tc.codes; got != want {
				t.Errorf("findings = %q, want %q", got, want)
			}
			if got, want := v.OK, tc.ok; got != want {
				t.Errorf("OK = %v, want %v", got, want)
			}
			if got, want := v.PolicyVersion, p.Version; got != want {
				t.Errorf("policy version = %q, want %q", got, want)
			}
		})
	}
}

// TestPropertyVerifyDoesNotRevealOrders: whatever is wrong among order number, purchase date and email,
// and whatever the order on record looks like, the client sees exactly one finding with the same text,
// which mentions nothing from the order.
func TestPropertyVerifyDoesNotRevealOrders(t *testing.T) {
	var generic *Finding
	rapid.Check(t, func(t *rapid.T) {
		o := genOrder(t)
		now := date(t, o.PurchaseDate).AddDate(0, 0, rapid.IntRange(0, 30).Draw(t, "age"))
		sub := Submission{OrderNumber: o.Number, PurchaseDate: o.PurchaseDate, Email: o.Email, Kind: "refund", Reason: "changed_mind"}
		wrong := rapid.IntRange(1, 7).Draw(t, "wrong") // bit mask: number, date, email
		if wrong&1 != 0 {
			sub.OrderNumber += "X"
		}
		if wrong&2 != 0 {
			sub.PurchaseDate = FormatDate(date(t, o.PurchaseDate).AddDate(0, 0, -rapid.IntRange(1, 400).Draw(t, "shift")))
		}
		if wrong&4 != 0 {
			sub.Email = "other." + o.Email
		}
		var op *Order
		if rapid.Bool().Draw(t, "exists") {
			op = &o
		}
		v := Verify(DefaultPolicy(), sub, op, now)
		if v.OK || len(v.Findings) != 1 || v.Findings[0].Code != FindingOrderNotMatched {
			t.Fatalf("findings = %+v, want one order_not_matched", v.Findings)
		}
		if generic == nil {
			generic = &v.Findings[0]
		}
		if v.Findings[0] != *generic {
			t.Fatalf("finding %+v differs from %+v", v.Findings[0], *generic)
		}
		for _, secret := range []string{o.Number, o.CustomerName, o.Email, o.PurchaseDate} {
			if strings.Contains(v.Findings[0].Message, secret) {
				t.Fatalf("message reveals %q", secret)
			}
		}
	})
}
