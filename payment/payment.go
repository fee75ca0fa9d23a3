// Package payment is the boundary to the payment provider that took the client's card payment. Refunds
// only ever go back to that original payment, identified by its provider reference.
//
// The package defines the Gateway interface and the three error types the refund workflow acts on:
//
//   - *PaymentUnavailable: the provider is down, slow or busy; the outcome is unknown, and repeating
//     the call with the same idempotency key will tell. The state machine retries.
//   - *PaymentDeclined: a definite refusal of this attempt, for its idempotency key; nothing was
//     refunded under the key, so the ledger may release the reservation. A person must look.
//   - *PaymentOutcomeUnknown: no definite answer for the key, and repeating will not get one (the API
//     key or its permissions were refused, the key was used with other parameters, the payment could
//     not be read). A refund may exist, so the reservation stays. A person must look.
//
// Only a PaymentDeclined may ever release money reserved for a refund.
//
// It also converts amounts between the domain's ISO 4217 minor units and each provider's own unit
// (Unit, UnitFor), and says in what steps a provider can refund (RefundIncrement), so offers are
// made only in amounts the provider can return.
//
// The implementations live in subpackages: sandbox (a provider stand-in whose state lives in the
// DynamoDB table, with Stripe's currency rules) and stripepay (Stripe).
package payment

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"refundflow/refund"
)

// Gateway issues refunds against an original card payment, and reads that payment.
//
// Refund must be idempotent on RefundRequest.IdempotencyKey: calling it again with the same key and the
// same parameters returns the first refund instead of making a second one, and the same key with
// different parameters is refused. That is what makes it safe for Step Functions to retry the step
// after a timeout whose outcome is unknown.
type Gateway interface {
	// Refund returns money to the card behind req.PaymentReference. Errors are *PaymentUnavailable
	// (retry with the same key), *PaymentDeclined (a definite refusal for the key: release, do not
	// retry) or *PaymentOutcomeUnknown (no definite answer: keep the reservation, do not retry),
	// possibly wrapped. An amount the provider cannot represent is a *PaymentDeclined with
	// CodeInvalidRequest, refused before any call; the Refund's Amount is what the provider reports,
	// converted back to the domain's unit.
	Refund(ctx context.Context, req RefundRequest) (Refund, error)
	// LookupPayment reads the payment reference at the provider: whether it was captured, its amount
	// and currency (converted to the domain's unit, see Unit), what was refunded of it, its card's last
	// four digits and whether it was 3-D Secure authenticated. The order route checks every order
	// against these facts. An unknown reference is ErrPaymentNotFound (wrapped); a provider that
	// cannot be reached or answers with a server error, a *PaymentUnavailable; anything else (a
	// refused API key, an answer the adapter does not understand) is an error of its own.
	LookupPayment(ctx context.Context, reference string) (refund.PaymentFacts, error)
	// RefundRequestID reads the refund refundID (the provider's id, Refund.ID) at the provider and
	// returns the request ID Refundflow made it for (RefundRequest.RequestID, kept as metadata), ""
	// for a refund made without one (at the provider's dashboard, say). Staff search by it: the table
	// keeps no item keyed by the provider's id. An unknown id is ErrRefundNotFound (wrapped); a
	// provider that cannot be reached, a *PaymentUnavailable; anything else is an error of its own.
	RefundRequestID(ctx context.Context, refundID string) (string, error)
}

// RefundRequest asks a Gateway to return Amount to the original payment.
type RefundRequest struct {
	// PaymentReference identifies the original payment at the provider (refund.Payment.Reference), for
	// Stripe a PaymentIntent id.
	PaymentReference string
	// Amount is what to return, in the payment's currency. It must be positive.
	Amount refund.Money
	// IdempotencyKey makes retries safe: the refund attempt's key (refund.RefundIdempotencyKey, kept
	// on its refund.RefundRecord).
	IdempotencyKey string
	// RequestID is the refund request the money is for; providers keep it as metadata for support.
	RequestID string
}

// MaxKeyLen is the longest idempotency key or payment reference accepted, Stripe's limit for
// idempotency keys.
const MaxKeyLen = 255

// Validate checks that the request is complete: a reference, a positive amount within
// refund.MaxAmount in a valid currency, and an idempotency key. Gateways call it first and report a
// failure as a *PaymentDeclined with CodeInvalidRequest, so a bad request is never retried.
func (r RefundRequest) Validate() error {
	var problems []string
	if !printable(r.PaymentReference) {
		problems = append(problems, "payment reference must be 1–255 printable characters")
	}
	if !refund.ValidCurrency(r.Amount.Currency) {
		problems = append(problems, fmt.Sprintf("invalid currency %q", r.Amount.Currency))
	}
	if r.Amount.Amount <= 0 || r.Amount.Amount > refund.MaxAmount {
		problems = append(problems, fmt.Sprintf("amount must be between 1 and %d minor units", refund.MaxAmount))
	}
	if !printable(r.IdempotencyKey) {
		problems = append(problems, "idempotency key must be 1–255 printable characters")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// printable reports whether s is 1 to MaxKeyLen bytes of valid UTF-8 without spaces or control
// characters, the shape of every provider identifier and idempotency key.
func printable(s string) bool {
	if s == "" || len(s) > MaxKeyLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

// RefundStatus is the provider's state of a refund.
type RefundStatus string

// The refund statuses a Gateway reports. Failed refunds are reported as *PaymentDeclined instead.
const (
	// StatusSucceeded: the provider accepted the refund; the money is on its way to the card.
	StatusSucceeded RefundStatus = "succeeded"
	// StatusPending: the provider accepted the refund but has not finished it yet. It counts as issued:
	// the amount stays reserved in the ledger.
	StatusPending RefundStatus = "pending"
)

// Refund is a refund the provider accepted.
type Refund struct {
	// ID is the provider's refund id, recorded in the ledger.
	ID string
	// Status is succeeded or pending.
	Status RefundStatus
	// Amount is what the provider says it refunded.
	Amount refund.Money
}
