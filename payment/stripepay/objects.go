package stripepay

import (
	"encoding/json"

	"github.com/stripe/stripe-go/v85"
)

// The objects of the events Refundflow reads (a refund, a charge with its refunds, a dispute), with
// the fields it reads. They are not stripe-go's Refund, Charge and Dispute on purpose: decoding into
// those links their whole type graph (some 3,000 types: every payment method's details, every
// nested object), which put StripeWebhook's bootstrap at 13.0 MB against a 12 MB target (the API
// calls keep stripe-go's types: its Backend decodes every error into a stripe.Error, which reaches
// the same graph anyway). Field names, enum values and expandable fields (an id as a string, or the
// object when expanded) are Stripe's API's, as stripe-go reads them; the enums are its constants.
type (
	chargeObject struct {
		ID            string     `json:"id"`
		PaymentIntent expandable `json:"payment_intent"`
		Refunds       *struct {
			Data []refundObject `json:"data"`
		} `json:"refunds"`
	}
	refundObject struct {
		ID            string              `json:"id"`
		Amount        int64               `json:"amount"`
		Currency      string              `json:"currency"`
		Status        stripe.RefundStatus `json:"status"`
		FailureReason string              `json:"failure_reason"`
		Metadata      map[string]string   `json:"metadata"`
		Created       int64               `json:"created"`
		PaymentIntent expandable          `json:"payment_intent"`
		Charge        expandable          `json:"charge"`
	}
	disputeObject struct {
		ID            string        `json:"id"`
		Amount        int64         `json:"amount"`
		Currency      string        `json:"currency"`
		Reason        string        `json:"reason"`
		Status        string        `json:"status"`
		PaymentIntent expandable    `json:"payment_intent"`
		Charge        *chargeObject `json:"charge"`
	}
)

// UnmarshalJSON reads a charge given as its id (not expanded) or as the object.
func (c *chargeObject) UnmarshalJSON(b []byte) error {
	if id, ok := stripe.ParseID(b); ok {
		*c = chargeObject{ID: id}
		return nil
	}
	type plain chargeObject // without this method
	return json.Unmarshal(b, (*plain)(c))
}

// payment is the payment reference of a charge: its PaymentIntent, or the charge itself for a
// charge made without one.
func (c *chargeObject) payment() string {
	if c.PaymentIntent != "" {
		return string(c.PaymentIntent)
	}
	return c.ID
}

// expandable is the id of an expandable field: Stripe sends the id as a string, or the object (with
// its "id") when the field was expanded; null or absent is "".
type expandable string

func (e *expandable) UnmarshalJSON(b []byte) error {
	if id, ok := stripe.ParseID(b); ok {
		*e = expandable(id)
		return nil
	}
	var obj struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	*e = expandable(obj.ID)
	return nil
}
