package payment

import (
	"testing"

	"refundflow/refund"
)

// Every currency Stripe lists as special (docs.stripe.com/currencies: zero-decimal, three-decimal and
// the special cases ISK, HUF and TWD), the ISO 4217 currencies with other than two decimals that
// Stripe does not list, and ordinary ones. The expectations are written from the published rules, one
// currency a row, not derived from the code under test.
func TestStripeUnits(t *testing.T) {
	tests := []struct {
		currency  string
		exponent  int   // decimals of Stripe's unit
		increment int64 // smallest refundable step, in ISO minor units
		amount    int64 // an amount in ISO minor units that Stripe takes...
		wire      int64 // ...and what Stripe is sent for it
	}{
		// Zero-decimal at Stripe and in ISO 4217: the amount goes unchanged.
		{"BIF", 0, 1, 5001, 5001},
		{"CLP", 0, 1, 12345, 12345},
		{"DJF", 0, 1, 999, 999},
		{"GNF", 0, 1, 10001, 10001},
		{"JPY", 0, 1, 5000, 5000},
		{"KMF", 0, 1, 77, 77},
		{"KRW", 0, 1, 15001, 15001},
		{"PYG", 0, 1, 70001, 70001},
		{"RWF", 0, 1, 1001, 1001},
		{"UGX", 0, 1, 37001, 37001},
		{"VND", 0, 1, 250001, 250001},
		{"VUV", 0, 1, 120, 120},
		{"XAF", 0, 1, 655, 655},
		{"XOF", 0, 1, 656, 656},
		{"XPF", 0, 1, 119, 119},
		// MGA: two decimals in ISO 4217, zero at Stripe: only whole ariary, sent as ariary.
		{"MGA", 0, 100, 10000, 100},
		// Three-decimal at Stripe and in ISO 4217, last digit 0: steps of 10 fils (or baisa, millimes).
		{"BHD", 3, 10, 1230, 1230},
		{"JOD", 3, 10, 5000, 5000},
		{"KWD", 3, 10, 1234560, 1234560},
		{"OMR", 3, 10, 10, 10},
		{"TND", 3, 10, 990, 990},
		// ISK: zero decimals in ISO 4217, two in Stripe's API, multiples of 100: ISK 5,000 is 500000.
		{"ISK", 2, 1, 5000, 500000},
		// HUF and TWD: two-decimal for charges and refunds (multiples of 100 only for payouts).
		{"HUF", 2, 1, 12345, 12345},
		{"TWD", 2, 1, 101, 101},
		// ISO 4217 currencies Stripe does not list as special are two-decimal at Stripe.
		{"IQD", 2, 10, 1230, 123}, // three decimals in ISO 4217
		{"LYD", 2, 10, 50, 5},     // three decimals in ISO 4217
		{"UYI", 2, 1, 7, 700},     // zero decimals in ISO 4217
		// Ordinary two-decimal currencies.
		{"EUR", 2, 1, 123456, 123456},
		{"USD", 2, 1, 1, 1},
		{"GBP", 2, 1, 99, 99},
		{"CHF", 2, 1, 5005, 5005},
	}
	for _, tt := range tests {
		t.Run(tt.currency, func(t *testing.T) {
			for _, provider := range []string{providerStripe, providerSandbox} {
				u := UnitFor(provider, tt.currency)
				if got, want := u.Exponent, tt.exponent; got != want {
					t.Errorf("%s exponent = %d, want %d", provider, got, want)
				}
				if got, want := RefundIncrement(provider, tt.currency), tt.increment; got != want {
					t.Errorf("%s increment = %d, want %d", provider, got, want)
				}
			}
			u := UnitFor(providerStripe, tt.currency)
			m := refund.Money{Amount: tt.amount, Currency: tt.currency}
			wire, err := u.ToProvider(m)
			if err != nil || wire != tt.wire {
				t.Errorf("ToProvider(%s) = %d, %v; want %d", m, wire, err, tt.wire)
			}
			back, err := u.FromProvider(tt.wire)
			if err != nil || back != m {
				t.Errorf("FromProvider(%d) = %v, %v; want %v", tt.wire, back, err, m)
			}
			// Every amount that is not a multiple of the increment is refused, never rounded.
			for off := int64(1); off < tt.increment; off++ {
				bad := refund.Money{Amount: tt.amount + off, Currency: tt.currency}
				if got, err := u.ToProvider(bad); err == nil {
					t.Errorf("ToProvider(%s) = %d, want a refusal", bad, got)
				}
			}
			// And every multiple converts.
			for k := int64(1); k <= 3; k++ {
				ok := refund.Money{Amount: tt.amount + k*tt.increment, Currency: tt.currency}
				if _, err := u.ToProvider(ok); err != nil {
					t.Errorf("ToProvider(%s): %v", ok, err)
				}
			}
		})
	}
}

func TestUnitRefusals(t *testing.T) {
	isk := UnitFor(providerStripe, "ISK")
	for _, wire := range []int64{500050, 1, -100} {
		if got, err := isk.FromProvider(wire); err == nil {
			t.Errorf("ISK FromProvider(%d) = %v, want a refusal (a fraction of a króna or negative)", wire, got)
		}
	}
	eur := UnitFor(providerStripe, "EUR")
	for _, m := range []refund.Money{{Amount: 100, Currency: "USD"}, {Amount: -1, Currency: "EUR"}, {Amount: refund.MaxAmount + 1, Currency: "EUR"}} {
		if got, err := eur.ToProvider(m); err == nil {
			t.Errorf("EUR ToProvider(%s) = %d, want a refusal", m, got)
		}
	}
	mga := UnitFor(providerStripe, "MGA")
	if got, err := mga.FromProvider(1 << 62); err == nil {
		t.Errorf("MGA FromProvider(2^62) = %v, want a refusal (above the largest amount)", got)
	}
}

// A provider without published rules counts in the ISO 4217 minor unit and takes any amount.
func TestUnknownProviderUsesISOUnits(t *testing.T) {
	for _, c := range []string{"ISK", "MGA", "KWD", "EUR"} {
		u := UnitFor("adyen", c)
		if got, want := u.Exponent, refund.Exponent(c); got != want {
			t.Errorf("%s exponent = %d, want %d", c, got, want)
		}
		if got := u.Increment(); got != 1 {
			t.Errorf("%s increment = %d, want 1", c, got)
		}
	}
}
