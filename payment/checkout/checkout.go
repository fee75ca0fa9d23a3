// Package checkout is the sandbox payment provider's checkout as callers see it: a card payment to
// take (Checkout), the JSON that takes one (Request) and the JSON of a payment as the provider
// reports it (PaymentView). The local stack's /_local/payments and a sandbox deployment's
// /sandbox/payments (handler.SandboxPayments) speak it, so an integrator's script works on both. It
// is a package of its own, without the provider (payment/sandbox, which links stripe-go for its
// events), so that the handler package can name these types without every function linking Stripe.
package checkout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"refundflow/refund"
)

// DefaultCardLast4 is the card a Checkout uses when it names none: Stripe's test Visa.
const DefaultCardLast4 = "4242"

// Checkout is a card payment as a checkout at the provider leaves it. Its zero options are the
// payment every order should have: captured, with 3-D Secure.
type Checkout struct {
	// Reference is the payment's reference; "" lets the sandbox choose one ("pi_sbx_" and 24 hex
	// digits), as a provider does. Demo orders name theirs, so they stay the same across restarts.
	Reference string
	// Amount is what the client paid.
	Amount refund.Money
	// CardLast4 is the last four digits of the card; "" means DefaultCardLast4.
	CardLast4 string
	// WithoutThreeDSecure makes a card payment that was not 3-D Secure authenticated (an exemption,
	// or a card not enrolled).
	WithoutThreeDSecure bool
	// AuthorizeOnly makes a payment that was authorised but never captured: no money was taken.
	AuthorizeOnly bool
}

// InvalidError is the sandbox's error for a checkout it refuses (an amount the provider cannot take,
// a malformed card, a reference taken with other details): the caller's to correct, unlike a table
// that cannot be written.
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string { return e.Err.Error() }

// Unwrap returns the reason.
func (e *InvalidError) Unwrap() error { return e.Err }

// Request is the JSON body that takes a payment. Amounts are minor units of the currency, as
// in the order schema. The options default to the payment every order should have: captured, with
// 3-D Secure; set one to false to try what the order route says about such a payment.
type Request struct {
	// Amount is what the client paid, in minor units (180000 is EUR 1,800.00).
	Amount int64 `json:"amount"`
	// Currency is the ISO 4217 code, e.g. "EUR".
	Currency string `json:"currency"`
	// CardLast4 is the card's last four digits; default "4242".
	CardLast4 string `json:"card_last4,omitempty"`
	// ThreeDSecure is whether the card payment was 3-D Secure authenticated; default true.
	ThreeDSecure *bool `json:"three_d_secure,omitempty"`
	// Captured is whether the money was taken; false leaves it authorised only. Default true.
	Captured *bool `json:"captured,omitempty"`
}

// Usage says what a Request looks like, for the answer to one that does not parse.
const Usage = `send {"amount":180000,"currency":"EUR"} (amount in minor units; optional "card_last4":"4242", "three_d_secure":false, "captured":false)`

// Parse reads a JSON Request (no unknown fields, one object) into a Checkout. A body that is not
// such an object is refused with Usage; a bad amount or currency with what is wrong with it and
// Usage. Either way a person can act on the message.
func Parse(body []byte) (Checkout, error) {
	var in Request
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || dec.More() {
		return Checkout{}, errors.New(Usage)
	}
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	if !refund.ValidCurrency(in.Currency) {
		return Checkout{}, fmt.Errorf("the currency must be an ISO 4217 code such as EUR, not %q: %s", in.Currency, Usage)
	}
	if in.Amount <= 0 || in.Amount > refund.MaxAmount {
		return Checkout{}, fmt.Errorf("the amount must be a whole number of minor units from 1 to %d, not %d: %s", refund.MaxAmount, in.Amount, Usage)
	}
	c := Checkout{Amount: refund.Money{Amount: in.Amount, Currency: in.Currency}, CardLast4: in.CardLast4}
	c.WithoutThreeDSecure = in.ThreeDSecure != nil && !*in.ThreeDSecure
	c.AuthorizeOnly = in.Captured != nil && !*in.Captured
	return c, nil
}

// PaymentView is a payment as the sandbox provider reports it (what the order route checks): the
// answer of taking a payment and of reading one back.
type PaymentView struct {
	Provider     string `json:"provider"`
	Reference    string `json:"reference"`
	Captured     bool   `json:"captured"`
	Amount       int64  `json:"amount"`
	Currency     string `json:"currency"`
	Refunded     int64  `json:"refunded"`
	ThreeDSecure bool   `json:"three_d_secure"`
	CardLast4    string `json:"card_last4"`
	// Refunds are the refunds the provider made of the payment (when it is read back only).
	Refunds []RefundView `json:"refunds,omitempty"`
}

// RefundView is one refund the sandbox provider made.
type RefundView struct {
	ID             string    `json:"id"`
	Amount         int64     `json:"amount"`
	Status         string    `json:"status"`
	IdempotencyKey string    `json:"idempotency_key"`
	RequestID      string    `json:"request_id,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// ViewOf is the view of a payment's facts, without its refunds.
func ViewOf(f refund.PaymentFacts) PaymentView {
	return PaymentView{Provider: f.Provider, Reference: f.Reference, Captured: f.Captured, Amount: f.Amount.Amount,
		Currency: f.Amount.Currency, Refunded: f.Refunded, ThreeDSecure: f.ThreeDSecure, CardLast4: f.CardLast4}
}

// The things a person can do at the sandbox provider after a refund call, as Action.Action names them
// (the local stack's /_local/provider/ and a sandbox deployment's /sandbox/payments/{reference}/actions).
const (
	// ActionFailRefund makes a refund the provider accepted fail later (the bank sent it back).
	ActionFailRefund = "fail_refund"
	// ActionSucceedRefund lets a pending refund succeed.
	ActionSucceedRefund = "succeed_refund"
	// ActionDashboardRefund refunds from the provider's dashboard, outside Refundflow.
	ActionDashboardRefund = "dashboard_refund"
	// ActionOpenDispute opens a dispute (a chargeback) on the payment.
	ActionOpenDispute = "open_dispute"
	// ActionWinDispute and ActionLoseDispute close the payment's open dispute.
	ActionWinDispute  = "win_dispute"
	ActionLoseDispute = "lose_dispute"
)

// Action is one thing a person does at the sandbox provider to a payment; each records the events
// Stripe would send, which the sandbox then delivers to the webhook.
type Action struct {
	// Action is one of the Action* constants.
	Action string `json:"action"`
	// Refund is the provider's refund id ("re_sbx_..."), for fail_refund and succeed_refund.
	Refund string `json:"refund,omitempty"`
	// Amount is a dashboard refund's amount in the payment's currency, as a person writes it ("150.00").
	Amount string `json:"amount,omitempty"`
	// Reason is a refund's failure reason or a dispute's reason (defaults: expired_or_canceled_card,
	// fraudulent).
	Reason string `json:"reason,omitempty"`
}

// The sandbox's refusals of an Action (payment/sandbox returns them, wrapped).
var (
	// ErrNoPayment is returned for a payment reference the sandbox never took.
	ErrNoPayment = errors.New("no sandbox payment with this reference")
	// ErrNoRefund is returned for a refund id the sandbox never made.
	ErrNoRefund = errors.New("no sandbox refund with this id")
	// ErrRefundFinal is returned when a refund's status cannot change any more (failed or
	// canceled), or cannot change as asked (only a pending refund succeeds later).
	ErrRefundFinal = errors.New("the refund cannot change like that")
	// ErrDisputeState is returned when a dispute cannot be opened (one is open already) or closed
	// (none is open).
	ErrDisputeState = errors.New("the dispute is not in a state for that")
)
