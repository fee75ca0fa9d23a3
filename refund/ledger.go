package refund

import (
	"fmt"
	"time"
)

// The ledger. An order's one payment has a ledger: Order.Paid and Order.Refunded. A refund is
// reserved in it (Refunded grows) before the payment provider is called, completed when the provider
// confirms it, and released (Refunded shrinks) only when the provider refused it for good or reported
// later that it failed. So the total refunded never exceeds what was paid, whatever runs concurrently
// or is retried, and a refund whose answer was lost stays counted until a person has looked. Refunds
// made at the provider outside Refundflow are recorded when its events report them (provider.go), so
// the ledger agrees with the provider's refunds.

// RefundState is where a refund attempt is.
type RefundState string

// The refund states.
const (
	// RefundReserved: the amount is counted in the order's ledger; the provider may or may not have
	// been called. Retrying the provider with the same idempotency key is safe.
	RefundReserved RefundState = "reserved"
	// RefundSucceeded: the provider confirmed the refund (ProviderRefundID).
	RefundSucceeded RefundState = "succeeded"
	// RefundFailed: the provider refused the refund, or reported later that it failed or was
	// canceled; the amount was released from the ledger.
	RefundFailed RefundState = "failed"
)

// RefundRecord is one refund attempt against an order's payment, identified by request and attempt
// number n (1, 2, ... — a new n only after an attempt failed for good).
type RefundRecord struct {
	OrderNumber string `json:"order_number"`
	RequestID   string `json:"request_id"`
	N           int    `json:"n"`
	Amount      Money  `json:"amount"`
	// PaymentReference is the order's payment, copied from the order at reservation: refunds go back to
	// the original payment only.
	PaymentReference string `json:"payment_reference"`
	// IdempotencyKey is RefundIdempotencyKey(RequestID, N), the key sent to the provider on every try.
	IdempotencyKey string      `json:"idempotency_key"`
	State          RefundState `json:"state"`
	// ProviderRefundID is the provider's id of the refund, once the provider accepted it.
	ProviderRefundID string `json:"provider_refund_id,omitempty"`
	// ProviderStatus is the refund's latest status at the provider, as its answer or its events
	// reported it (ApplyProvider); "" until one did.
	ProviderStatus ProviderRefundStatus `json:"provider_status,omitempty"`
	// Origin says who made the refund: Refundflow (""), or someone at the provider (OriginProvider),
	// whose records have no request, attempt or idempotency key of Refundflow's.
	Origin RefundOrigin `json:"origin,omitempty"`
	// FailureReason says why the provider refused, once failed.
	FailureReason string `json:"failure_reason,omitempty"`
	// ProviderFailure is the provider's own reason code for a refund it reports failed
	// ("expired_or_canceled_card"), for the client's email; "" when it gave none.
	ProviderFailure string `json:"provider_failure,omitempty"`
	// SettledOutside marks money that went back outside the provider (a staff member recorded it,
	// Settlement): State is succeeded, ProviderRefundID holds the transfer's reference and Method
	// how it was paid. It was never sent to the provider.
	SettledOutside bool      `json:"settled_outside,omitempty"`
	Method         string    `json:"method,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// RefundIdempotencyKey returns the provider idempotency key of attempt n of a request's refund,
// "refund:<requestId>:<n>". The same request and n always give the same key, so a retried step cannot
// refund twice; n only changes when staff deliberately start a new attempt.
func RefundIdempotencyKey(requestID string, n int) string {
	return fmt.Sprintf("refund:%s:%d", requestID, n)
}

// ReserveAttempt returns the record of attempt n of a request's refund of amount on the order, as
// it is reserved at now: to the order's payment, with the attempt's idempotency key.
func ReserveAttempt(order Order, requestID string, n int, amount Money, now time.Time) RefundRecord {
	return RefundRecord{
		OrderNumber: order.Number, RequestID: requestID, N: n, Amount: amount,
		PaymentReference: order.Payment.Reference, IdempotencyKey: RefundIdempotencyKey(requestID, n),
		State: RefundReserved, CreatedAt: now, UpdatedAt: now,
	}
}

// CheckRefund reports whether amount can be refunded on the order as it is: in the order's currency,
// and at most what remains (paid minus refunded minus what the client's bank took back through a
// lost dispute). Either failure is CodeConflict with a sentence that
// says what is possible.
func (o Order) CheckRefund(amount Money) error {
	if o.Currency != amount.Currency {
		return Errorf(CodeConflict, "Order %s is in %s; a refund in %s is not possible.", o.Number, o.Currency, amount.Currency)
	}
	if o.Paid-o.ChargedBack-amount.Amount < o.Refunded {
		return ErrRefundExceeds(o, amount)
	}
	return nil
}

// CheckOffers reports whether every refund among offers still fits in what remains refundable on the
// order as it is now: refunds made at the provider's dashboard and chargebacks from lost disputes may
// have come after the offers were worked out. A refund that does not fit is CodeConflict naming it;
// the ledger would refuse it at execution anyway, after the client had accepted it.
func (o Order) CheckOffers(offers []Offer) error {
	for _, of := range offers {
		if !of.IsRefund() || of.Amount.Currency == o.Currency && of.Amount.Amount <= o.Remaining().Amount {
			continue
		}
		return Errorf(CodeConflict, "Offer %s refunds %s, more than the %s that remains refundable on order %s now (a refund made at the payment provider or a dispute the client's bank decided for the client came after the offers were made). Adjust the offers or reject the request.",
			of.ID, of.Amount, o.Remaining(), o.Number)
	}
	return nil
}

// ErrRefundExceeds is the CodeConflict of a refund of amount that is more than what remains
// refundable on the order.
func ErrRefundExceeds(o Order, amount Money) error {
	return Errorf(CodeConflict, "A refund of %s is more than the %s that remains refundable on order %s.", amount, o.Remaining(), o.Number)
}

// Credit is a service credit granted on an order by a request (service credit or switch offers).
type Credit struct {
	OrderNumber string `json:"order_number"`
	RequestID   string `json:"request_id"`
	OfferID     string `json:"offer_id"`
	Amount      Money  `json:"amount"`
	// ValidUntil is the last day the credit can be used, "2006-01-02".
	ValidUntil string `json:"valid_until"`
	// CreatedAt is set by the store when zero.
	CreatedAt time.Time `json:"created_at"`
}

// Validate checks a credit before it is recorded: a positive amount in a valid currency and a last
// day of use.
func (c Credit) Validate() error {
	if !c.Amount.ValidPositive() {
		return fmt.Errorf("put credit for request %s: amount %s is not a positive amount in a valid currency", c.RequestID, c.Amount)
	}
	if _, err := ParseDate(c.ValidUntil); err != nil {
		return fmt.Errorf("put credit for request %s: valid until %q is not a date", c.RequestID, c.ValidUntil)
	}
	return nil
}

// Same reports whether c grants the same credit as o (the same offer, amount and last day), as a
// retried step records it again.
func (c Credit) Same(o Credit) bool {
	return c.OfferID == o.OfferID && c.Amount == o.Amount && c.ValidUntil == o.ValidUntil
}
