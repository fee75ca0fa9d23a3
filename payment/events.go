package payment

import (
	"time"

	"refundflow/refund"
)

// Provider events. After a refund call returns, the provider keeps telling what happens to the
// payment through signed events (webhooks): a refund that fails days later, a dispute the client
// opens with their bank, a refund staff make from the provider's dashboard. Each provider's adapter
// verifies an event's signature and reads what Refundflow acts on into an Event; the sandbox sends
// events in Stripe's format, signed the same way, so stripepay reads both.

// MaxEventBytes is the largest event body accepted. Stripe's events are a few kilobytes (a charge
// with its listed refunds stays far below); anything larger is refused before its signature is
// checked.
const MaxEventBytes = 256 << 10

// Event is one provider event, verified and read. At most one of Refunds and Dispute is set; an event
// with neither is of a type Refundflow does not act on, and is acknowledged and otherwise ignored.
type Event struct {
	// ID is the provider's event id ("evt_..."): the same event delivered twice has the same id.
	ID string
	// Type is the provider's event type ("refund.failed", "charge.dispute.created", ...).
	Type string
	// Created is when the provider created the event.
	Created time.Time
	// Livemode reports an event of the provider's live mode (real money) rather than its test mode.
	Livemode bool
	// Refunds are the refunds the event reports on, each with its status at the provider: one for
	// a refund event, the refunds a charge lists for a charge event.
	Refunds []refund.ProviderRefund
	// Dispute is the dispute the event reports on.
	Dispute *refund.Dispute
}

// Ignored reports whether the event carries nothing Refundflow acts on.
func (e Event) Ignored() bool { return len(e.Refunds) == 0 && e.Dispute == nil }

// BadEvent reports an event body that must not be acted on: its signature is missing, does not
// match the endpoint's secret or is older than the tolerance (a replay), or the signed body is not
// an event that can be read. The sender gets a 400 and nothing is recorded.
type BadEvent struct {
	// Reason is a short machine-readable cause: "not_signed", "bad_signature", "too_old" or
	// "unreadable".
	Reason string
	// Err is the underlying error, for logs.
	Err error
}

// Error describes the problem for logs.
func (e *BadEvent) Error() string {
	if e.Err == nil {
		return "provider event refused: " + e.Reason
	}
	return "provider event refused: " + e.Reason + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *BadEvent) Unwrap() error { return e.Err }
