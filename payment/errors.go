package payment

import (
	"errors"
	"strings"
)

// Codes of payment errors that every gateway uses for the same situation. Providers add their own
// codes (Stripe's error codes pass through unchanged).
const (
	// CodeInvalidRequest: the RefundRequest failed Validate, or its amount is one the provider cannot
	// represent (see Unit); it was never sent.
	CodeInvalidRequest = "invalid_request"
	// CodePaymentNotFound: the provider knows no payment with this reference.
	CodePaymentNotFound = "payment_not_found"
	// CodeCurrencyMismatch: the refund's currency is not the payment's currency.
	CodeCurrencyMismatch = "currency_mismatch"
	// CodeExceedsRefundable: the refund would take the total refunded above what was captured.
	CodeExceedsRefundable = "amount_exceeds_refundable"
	// CodeIdempotencyMismatch: the idempotency key was already used with different parameters. It is
	// a *PaymentOutcomeUnknown code, never a refusal: a refund may exist under the key.
	CodeIdempotencyMismatch = "idempotency_key_reused"
)

// ErrPaymentNotFound is what LookupPayment returns (wrapped) for a reference the provider knows no
// payment by.
var ErrPaymentNotFound = errors.New("the payment provider has no payment with this reference")

// ErrRefundNotFound is what RefundRequestID returns (wrapped) for a refund id the provider knows no
// refund by.
var ErrRefundNotFound = errors.New("the payment provider has no refund with this id")

// PaymentUnavailable reports that the provider could not be reached, timed out, answered with a server
// error or asked to slow down. Whether the refund happened is unknown, so the caller must retry with the
// same idempotency key, which is always safe.
//
// The type is named for the state machine: aws-lambda-go reports a handler error's Go type name
// (without package or pointer) as errorType, and refund.asl.json retries ExecuteResolution on
// "PaymentUnavailable". A handler must therefore return this value itself, not wrapped: see TaskError.
type PaymentUnavailable struct {
	// Provider names the gateway, e.g. "stripe" or "sandbox".
	Provider string
	// Reason is a short machine-readable cause: "timeout", "network", "server_error", "rate_limited",
	// "conflict", "storage" or "injected".
	Reason string
	// Err is the underlying error, for logs.
	Err error
}

// Error describes the failure for logs.
func (e *PaymentUnavailable) Error() string {
	return describe("payment provider "+e.Provider+" unavailable", e.Reason, "", e.Err)
}

// Unwrap returns the underlying error.
func (e *PaymentUnavailable) Unwrap() error { return e.Err }

// PaymentDeclined reports a definite refusal of this refund attempt: either the request was refused
// before it was sent (invalid, an amount the provider cannot represent, a currency the payment is not
// in), or the provider answered the refund call for this idempotency key with a refusal for good (the
// payment is already refunded, the amount is too large, the card's issuer refused), or it reports the
// refund made under this key as failed or canceled. Nothing was refunded under the key, so the caller
// may release the amount it reserved. Retrying cannot help; the request goes to staff.
//
// Anything less than that answer — the provider refused the API key or its permissions, the key was
// used with other parameters, the payment could not be read — is a *PaymentOutcomeUnknown instead,
// never a PaymentDeclined: a refund made by an earlier attempt whose answer was lost may exist.
//
// Like PaymentUnavailable, the type name is what the state machine sees as errorType.
type PaymentDeclined struct {
	// Provider names the gateway.
	Provider string
	// Code is the provider's reason, e.g. CodeExceedsRefundable or Stripe's "charge_already_refunded".
	Code string
	// Message is the provider's explanation, for staff; never shown to clients.
	Message string
	// Err is the underlying error, if any.
	Err error
}

// Error describes the refusal for logs.
func (e *PaymentDeclined) Error() string {
	return describe("payment provider "+e.Provider+" declined the refund", e.Code, e.Message, e.Err)
}

// Unwrap returns the underlying error.
func (e *PaymentDeclined) Unwrap() error { return e.Err }

// PaymentOutcomeUnknown reports that the provider gave no definite answer for this refund's
// idempotency key and that repeating the call will not get one: it refused the API key or its
// permissions (a key rotation, a restricted key without refund rights), the key was already used with
// other parameters (the refund may exist), the payment could not be read, or the provider answered
// something the adapter does not understand. An earlier attempt whose answer was lost may have made
// the refund, so the caller must keep the amount reserved, and a person must check at the provider.
//
// The type name is what the state machine sees as errorType. The state machine retries only
// PaymentUnavailable, so this error ends in "needs attention" with the reservation kept.
type PaymentOutcomeUnknown struct {
	// Provider names the gateway.
	Provider string
	// Code is the provider's reason, e.g. "authentication_error", CodeIdempotencyMismatch.
	Code string
	// Message is the provider's explanation, for staff; never shown to clients.
	Message string
	// Err is the underlying error, if any.
	Err error
}

// Error describes the failure for logs.
func (e *PaymentOutcomeUnknown) Error() string {
	return describe("payment provider "+e.Provider+" gave no definite answer for the refund", e.Code, e.Message, e.Err)
}

// Unwrap returns the underlying error.
func (e *PaymentOutcomeUnknown) Unwrap() error { return e.Err }

// describe joins a headline, a code, a message and a cause into one log line.
func describe(head, code, msg string, err error) string {
	var b strings.Builder
	b.WriteString(head)
	if code != "" {
		b.WriteString(" (" + code + ")")
	}
	if msg != "" {
		b.WriteString(": " + msg)
	}
	if err != nil {
		b.WriteString(": " + err.Error())
	}
	return b.String()
}

// IsUnavailable reports whether err's chain holds a *PaymentUnavailable.
func IsUnavailable(err error) bool {
	var u *PaymentUnavailable
	return errors.As(err, &u)
}

// IsDeclined reports whether err's chain holds a *PaymentDeclined.
func IsDeclined(err error) bool {
	var d *PaymentDeclined
	return errors.As(err, &d)
}

// IsOutcomeUnknown reports whether err's chain holds a *PaymentOutcomeUnknown.
func IsOutcomeUnknown(err error) bool {
	var o *PaymentOutcomeUnknown
	return errors.As(err, &o)
}

// TaskError returns the error a Lambda task handler should return for err. aws-lambda-go names the
// error after the returned value's own type, so a *PaymentUnavailable wrapped with fmt.Errorf would be
// reported as "wrapError" and the state machine's Retry on "PaymentUnavailable" would never match.
// TaskError digs the payment error (PaymentUnavailable, PaymentDeclined or PaymentOutcomeUnknown) out of
// err's chain and returns it unwrapped; any other error is returned unchanged.
func TaskError(err error) error {
	var u *PaymentUnavailable
	if errors.As(err, &u) {
		return u
	}
	var d *PaymentDeclined
	if errors.As(err, &d) {
		return d
	}
	var o *PaymentOutcomeUnknown
	if errors.As(err, &o) {
		return o
	}
	return err
}
