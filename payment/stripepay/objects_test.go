package stripepay

import (
	"encoding/json"
	"testing"
	"time"
)

// TestObjectsReadExpandedAndPlainFields checks the adapter's own event objects on both shapes Stripe
// sends an expandable field in: the id as a string, or the object when the endpoint expands it.
func TestObjectsReadExpandedAndPlainFields(t *testing.T) {
	reported := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, body, wantRef string
	}{
		{"dispute, charge as an id", `{"id":"dp_1","amount":1000,"currency":"eur","reason":"fraudulent","status":"needs_response","charge":"ch_1"}`, "ch_1"},
		{"dispute, payment intent as an id", `{"id":"dp_1","amount":1000,"currency":"eur","status":"needs_response","charge":"ch_1","payment_intent":"pi_1"}`, "pi_1"},
		{"dispute, charge expanded with its intent", `{"id":"dp_1","amount":1000,"currency":"eur","status":"lost","charge":{"id":"ch_1","payment_intent":"pi_2"}}`, "pi_2"},
		{"dispute, payment intent expanded", `{"id":"dp_1","amount":1000,"currency":"eur","status":"won","payment_intent":{"id":"pi_3","object":"payment_intent"}}`, "pi_3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d disputeObject
			if err := json.Unmarshal([]byte(tc.body), &d); err != nil {
				t.Fatal(err)
			}
			got, err := providerDispute(&d, reported)
			if err != nil {
				t.Fatal(err)
			}
			if got.PaymentReference != tc.wantRef || got.Amount.Amount != 1000 || got.Amount.Currency != "EUR" {
				t.Errorf("dispute = %+v, want payment %s, EUR 10.00", got, tc.wantRef)
			}
		})
	}

	var c chargeObject
	body := `{"id":"ch_1","payment_intent":{"id":"pi_9"},"refunds":{"data":[{"id":"re_1","amount":500,"currency":"eur","status":"succeeded","charge":"ch_1","created":1765022400}]}}`
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		t.Fatal(err)
	}
	r, err := providerRefund(&c.Refunds.Data[0], c.payment())
	if err != nil {
		t.Fatal(err)
	}
	if r.PaymentReference != "pi_9" || r.ID != "re_1" || r.Amount.Amount != 500 {
		t.Errorf("a refund listed in its charge = %+v, want re_1 of EUR 5.00 on pi_9", r)
	}
	var bad chargeObject
	if err := json.Unmarshal([]byte(`{"id":"ch_1","payment_intent":42}`), &bad); err == nil {
		t.Error("a payment intent that is neither an id nor an object was read")
	}
}
