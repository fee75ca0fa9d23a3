package stripepay

import (
	"context"
	"testing"

	"refundflow/internal/stripefake"
	"refundflow/payment"
	"refundflow/refund"
)

// The amount on the wire is in Stripe's unit, which is not always the ISO 4217 minor unit the domain
// counts in; and an amount Stripe cannot take is refused before any call. The wire amounts below are
// written from Stripe's published rules (docs.stripe.com/currencies), not computed by the adapter's
// own conversion.
func TestRefundAmountsInStripeUnits(t *testing.T) {
	tests := []struct {
		name     string
		amount   refund.Money
		wire     int64 // 0: refused before any call
		captured int64 // the PaymentIntent's amount, in Stripe's unit
	}{
		{"EUR two decimals", refund.Money{Amount: 123456, Currency: "EUR"}, 123456, 1_000_000},
		{"JPY zero decimals both", refund.Money{Amount: 5000, Currency: "JPY"}, 5000, 100_000},
		// ISK: 0 decimals in ISO 4217, but Stripe's API still counts hundredths of a króna.
		{"ISK 5,000", refund.Money{Amount: 5000, Currency: "ISK"}, 500000, 1_000_000},
		// MGA: 2 decimals in ISO 4217, 0 at Stripe.
		{"MGA 100.00", refund.Money{Amount: 10000, Currency: "MGA"}, 100, 100_000},
		{"MGA 100.50 has ariary fractions Stripe cannot refund", refund.Money{Amount: 10050, Currency: "MGA"}, 0, 100_000},
		// Three-decimal currencies: the last digit must be 0 at Stripe.
		{"KWD 1.230", refund.Money{Amount: 1230, Currency: "KWD"}, 1230, 100_000},
		{"KWD 1.234", refund.Money{Amount: 1234, Currency: "KWD"}, 0, 100_000},
		{"BHD 0.005", refund.Money{Amount: 5, Currency: "BHD"}, 0, 100_000},
		{"HUF is two-decimal for refunds", refund.Money{Amount: 12345, Currency: "HUF"}, 12345, 1_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := stripefake.New(t, tt.amount.Currency, tt.captured)
			g := New(NewClient(ClientConfig{Key: "sk_test_123", BaseURL: fake.URL}))
			got, err := g.Refund(context.Background(), refundReq(tt.amount))
			if tt.wire == 0 {
				assertKind(t, err, "PaymentDeclined", payment.CodeInvalidRequest)
				if n := len(fake.Posts()) + fake.Reads(); n != 0 {
					t.Errorf("%d calls reached Stripe for an amount it cannot take", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("refund %s: %v", tt.amount, err)
			}
			refunds := fake.Refunds()
			if len(refunds) != 1 {
				t.Fatalf("Stripe made %d refunds, want 1", len(refunds))
			}
			if got, want := refunds[0].Amount, tt.wire; got != want {
				t.Errorf("amount sent to Stripe for %s = %d, want %d", tt.amount, got, want)
			}
			if got, want := got.Amount, tt.amount; got != want {
				t.Errorf("refund reported as %v, want %v (Stripe's answer converted back)", got, want)
			}
		})
	}
}

// payment.UnitFor knows this adapter by its Provider name.
func TestProviderNameHasStripeRules(t *testing.T) {
	if got, want := payment.RefundIncrement(Provider, "KWD"), int64(10); got != want {
		t.Errorf("RefundIncrement(%q, KWD) = %d, want %d", Provider, got, want)
	}
}
