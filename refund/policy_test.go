package refund

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy()
	want := Policy{
		Version:                     "2025-06-default",
		CoolingOffDays:              14,
		MaxRequestAgeDays:           365,
		FullRefundReasonsBeforeWork: []Reason{ReasonDuplicateOrder},
		RefundTiming:                "within 5–10 business days",
		Project:                     ProjectPolicy{FeePercent: 5, CreditPercent: 110, CreditValidMonths: 12, OfferSwitchService: true},
		Subscription:                SubscriptionPolicy{MaxPauseMonths: 3, OfferCancelAtPeriodEnd: true},
		Hours:                       HoursPolicy{CreditPercent: 110, CreditValidMonths: 12},
		Review: ReviewPolicy{
			RefundAboveMajorUnits: map[string]int64{
				"EUR": 2000, "USD": 2200, "GBP": 1700, "CHF": 1900, "SEK": 22000, "NOK": 23000, "DKK": 15000,
				"PLN": 8500, "CZK": 50000, "CAD": 3000, "AUD": 3300, "JPY": 320000, "HUF": 800000, "TWD": 70000,
				"ISK": 300000, "MGA": 10_000_000, "UGX": 8_000_000,
				"KWD": 650, "BHD": 800, "OMR": 800, "JOD": 1500, "TND": 6500,
			},
			Reasons:  []Reason{ReasonQuality, ReasonNotAsDescribed, ReasonServiceNotProvided},
			Disputed: true,
		},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("DefaultPolicy() =\n%+v\nwant\n%+v", p, want)
	}
	// Callers get copies: changing one must not change the next.
	p.Review.Reasons[0] = ReasonOther
	p.FullRefundReasonsBeforeWork[0] = ReasonOther
	if q := DefaultPolicy(); q.Review.Reasons[0] != ReasonQuality || q.FullRefundReasonsBeforeWork[0] != ReasonDuplicateOrder {
		t.Error("DefaultPolicy shares slices between callers")
	}
	p.Review.RefundAboveMajorUnits["EUR"] = 1
	if q := DefaultPolicy(); q.Review.RefundAboveMajorUnits["EUR"] != 2000 {
		t.Error("DefaultPolicy shares the thresholds between callers")
	}
	p = DefaultPolicy()
	for _, tc := range []struct {
		currency string
		want     Money
		ok       bool
	}{
		{"EUR", Money{200000, "EUR"}, true},
		{"JPY", Money{320000, "JPY"}, true},
		{"KWD", Money{650000, "KWD"}, true},
		{"XAF", Money{0, "XAF"}, false},
	} {
		if got, ok := p.ReviewThreshold(tc.currency); got != tc.want || ok != tc.ok {
			t.Errorf("%s threshold = %v, %v; want %v, %v", tc.currency, got, ok, tc.want, tc.ok)
		}
	}
}

func TestLoadPolicyFile(t *testing.T) {
	f, err := os.Open("testdata/policy/strict.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := LoadPolicy(f)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Version, "2026-01-strict"; got != want {
		t.Errorf("version = %q, want %q", got, want)
	}
	// service_not_provided is an any-date full refund reason in this policy, and still needs review.
	o := projectOrder(40000, ms("Build", 40000, MilestoneNotStarted, 0))
	res := Resolve(p, testRequest(ReasonServiceNotProvided), o, at(t, "2025-06-01"))
	if got, want := len(res.Offers), 1; got != want {
		t.Fatalf("offers = %d, want %d", got, want)
	}
	if got, want := offerSummary(res.Offers[0]), "full_refund 40000 [Amount paid=40000] from 2025-06-01"; got != want {
		t.Errorf("offer = %s, want %s", got, want)
	}
	if !strings.Contains(res.Offers[0].Terms, "within 10 business days") || res.Offers[0].PolicyVersion != "2026-01-strict" {
		t.Errorf("offer does not carry the policy's data: %+v", res.Offers[0])
	}
	if res.NeedsReview {
		t.Errorf("review = %q, want none (only quality is reviewed in this policy, and 400.00 ≤ 500.00)", res.ReviewReasons)
	}
}

func TestLoadPolicyRejects(t *testing.T) {
	base := func() map[string]any {
		var m map[string]any
		if err := json.Unmarshal(DefaultPolicyJSON(), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name string
		edit func(m map[string]any)
		raw  string
		want string
	}{
		{name: "unknown top-level field", edit: func(m map[string]any) { m["cooling_of_days"] = 30 }, want: "unknown field"},
		{name: "unknown nested field", edit: func(m map[string]any) { m["project"].(map[string]any)["fee"] = 5 }, want: "unknown field"},
		{name: "missing version", edit: func(m map[string]any) { delete(m, "version") }, want: "version"},
		{name: "negative cooling-off", edit: func(m map[string]any) { m["cooling_off_days"] = -1 }, want: "cooling_off_days"},
		{name: "cooling-off above max age", edit: func(m map[string]any) { m["cooling_off_days"] = 30; m["max_request_age_days"] = 20 }, want: "must not exceed"},
		{name: "fee above 100", edit: func(m map[string]any) { m["project"].(map[string]any)["fee_percent"] = 101 }, want: "fee_percent"},
		{name: "credit months zero", edit: func(m map[string]any) { m["hours"].(map[string]any)["credit_valid_months"] = 0 }, want: "credit_valid_months"},
		{name: "pause too long", edit: func(m map[string]any) { m["subscription"].(map[string]any)["max_pause_months"] = 25 }, want: "max_pause_months"},
		{name: "unknown reason", edit: func(m map[string]any) { m["review"].(map[string]any)["reasons"] = []string{"quality", "bad_vibes"} }, want: "bad_vibes"},
		{name: "duplicate reason", edit: func(m map[string]any) {
			m["full_refund_reasons_before_work"] = []string{"duplicate_order", "duplicate_order"}
		}, want: "twice"},
		{name: "negative threshold", edit: func(m map[string]any) {
			m["review"].(map[string]any)["refund_above_major_units"] = map[string]any{"EUR": -1}
		}, want: "refund_above_major_units.EUR"},
		{name: "threshold for no currency", edit: func(m map[string]any) {
			m["review"].(map[string]any)["refund_above_major_units"] = map[string]any{"euro": 2000}
		}, want: "not an ISO 4217"},
		{name: "one threshold for every currency", edit: func(m map[string]any) { m["review"].(map[string]any)["refund_above_major_units"] = 2000 }, want: "cannot unmarshal"},
		{name: "fractional number", edit: func(m map[string]any) { m["project"].(map[string]any)["fee_percent"] = 2.5 }, want: "cannot unmarshal"},
		{name: "empty refund timing", edit: func(m map[string]any) { m["refund_timing"] = "" }, want: "refund_timing"},
		{name: "trailing data", raw: string(DefaultPolicyJSON()) + "{}", want: "after the policy"},
		{name: "not JSON", raw: "version: 1", want: "load policy"},
		{name: "empty", raw: "", want: "EOF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := []byte(tc.raw)
			if tc.edit != nil {
				m := base()
				tc.edit(m)
				var err error
				if raw, err = json.Marshal(m); err != nil {
					t.Fatal(err)
				}
			}
			_, err := LoadPolicy(bytes.NewReader(raw))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadPolicy error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
