package refund

import (
	"slices"
	"strings"
	"testing"
)

func TestCheckPayment(t *testing.T) {
	order := func() Order {
		return Order{Number: "RF-1", Currency: "EUR", Paid: 180000, Payment: Payment{Provider: "sandbox", Reference: "pi_1"}}
	}
	facts := func() PaymentFacts {
		return PaymentFacts{Provider: "sandbox", Reference: "pi_1", Captured: true, Amount: Money{Amount: 180000, Currency: "EUR"},
			ThreeDSecure: true, CardLast4: "4242"}
	}
	for _, tt := range []struct {
		name   string
		order  func(*Order)
		facts  func(*PaymentFacts)
		ledger int64
		fields string // the fields named, sorted, space-separated; "" for none
	}{
		{name: "matches"},
		{name: "provider spelled otherwise", order: func(o *Order) { o.Payment.Provider = " Sandbox" }},
		{name: "provider left out", order: func(o *Order) { o.Payment.Provider = "" }},
		{name: "another provider", order: func(o *Order) { o.Payment.Provider = "stripe" }, fields: "payment.provider"},
		{name: "not captured", facts: func(f *PaymentFacts) { f.Captured = false }, fields: "payment.captured"},
		{name: "another amount", facts: func(f *PaymentFacts) { f.Amount.Amount = 179999 }, fields: "paid"},
		{name: "another currency, same digits", facts: func(f *PaymentFacts) { f.Amount.Currency = "USD" }, fields: "currency"},
		{name: "no 3-D Secure", facts: func(f *PaymentFacts) { f.ThreeDSecure = false }, fields: "payment.three_d_secure"},
		{name: "refunded in full, ledger knows", facts: func(f *PaymentFacts) { f.Refunded = 180000 }, ledger: 180000},
		{name: "refunded in full, ledger does not", facts: func(f *PaymentFacts) { f.Refunded = 180000 }, ledger: 0, fields: "payment.reference"},
		{name: "refunded in part beyond the ledger", facts: func(f *PaymentFacts) { f.Refunded = 50000 }, ledger: 40000, fields: "payment.reference"},
		{name: "refunded in part within the ledger", facts: func(f *PaymentFacts) { f.Refunded = 40000 }, ledger: 40000},
		{name: "everything wrong", order: func(o *Order) { o.Payment.Provider = "paypal" },
			facts: func(f *PaymentFacts) {
				f.Captured, f.ThreeDSecure, f.Amount.Amount, f.Refunded = false, false, 100, 100
			},
			fields: "paid payment.captured payment.provider payment.reference payment.three_d_secure"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o, f := order(), facts()
			if tt.order != nil {
				tt.order(&o)
			}
			if tt.facts != nil {
				tt.facts(&f)
			}
			err := o.CheckPayment(f, tt.ledger)
			var named []string
			if e, ok := err.(*Error); ok {
				if e.Code != CodeUnprocessable {
					t.Errorf("code %s, want %s", e.Code, CodeUnprocessable)
				}
				for k := range e.Fields {
					named = append(named, k)
					if !strings.Contains(e.Message, k) {
						t.Errorf("message %q does not name %s", e.Message, k)
					}
				}
			} else if err != nil {
				t.Fatalf("error %T %v, want *Error", err, err)
			}
			slices.Sort(named)
			if got := strings.Join(named, " "); got != tt.fields {
				t.Errorf("fields named %q, want %q (%v)", got, tt.fields, err)
			}
		})
	}
}

func TestPaymentFactsBecomeThePaymentRecord(t *testing.T) {
	f := PaymentFacts{Provider: "stripe", Reference: "pi_9", Captured: true, Amount: Money{Amount: 5, Currency: "EUR"}, ThreeDSecure: true, CardLast4: "0005"}
	if got, want := f.Payment(), (Payment{Provider: "stripe", Reference: "pi_9", CardHint: "0005", ThreeDSecure: true, Captured: true}); got != want {
		t.Errorf("Payment() = %+v, want %+v", got, want)
	}
}
