package refund

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The payment provider's side of the story. After a refund call returns, the provider keeps telling
// what happens to the money through signed events, in no guaranteed order and possibly more than
// once: a refund it accepted may still fail days later (the card was closed, the bank sent the money
// back), a client may open a dispute (a chargeback) with their bank, and staff may refund from the
// provider's own dashboard, outside Refundflow. The ledger follows all of it, so that it always
// agrees with the provider's refunds.
//
// Events arrive out of order, so they are never applied in arrival order. Each object carries its
// own state, and states only move forward: a refund is pending, then succeeded, then perhaps failed
// or canceled, which are final at the provider (ProviderRefundStatus.After). An event that reports an
// earlier state than the one recorded is older news and changes nothing. A dispute's open states
// follow the provider's time of the event that reported them, and a closed dispute stays closed
// (Dispute.Supersedes).

// ProviderRefundStatus is a refund's status at the payment provider, as its answer or its events
// report it.
type ProviderRefundStatus string

// The provider refund statuses.
const (
	// ProviderRefundPending: the provider accepted the refund and has not finished it (Stripe's
	// pending and requires_action). The money counts as refunded: it is on its way.
	ProviderRefundPending ProviderRefundStatus = "pending"
	// ProviderRefundSucceeded: the provider finished the refund. It may still fail later.
	ProviderRefundSucceeded ProviderRefundStatus = "succeeded"
	// ProviderRefundFailed (final): the refund failed after the provider accepted it; the money did
	// not go back to the card.
	ProviderRefundFailed ProviderRefundStatus = "failed"
	// ProviderRefundCanceled (final): the refund was canceled before it was carried out.
	ProviderRefundCanceled ProviderRefundStatus = "canceled"
)

// Valid reports whether s is one of the defined statuses.
func (s ProviderRefundStatus) Valid() bool { return s.rank() > 0 }

// rank orders the statuses as they can follow one another at the provider; 0 is not a status.
func (s ProviderRefundStatus) rank() int {
	switch s {
	case ProviderRefundPending:
		return 1
	case ProviderRefundSucceeded:
		return 2
	case ProviderRefundFailed, ProviderRefundCanceled:
		return 3
	}
	return 0
}

// Counts reports whether a refund in status s takes money out of the payment: pending and succeeded
// refunds do, failed and canceled ones do not.
func (s ProviderRefundStatus) Counts() bool {
	return s == ProviderRefundPending || s == ProviderRefundSucceeded
}

// Final reports whether nothing can follow s at the provider (failed, canceled).
func (s ProviderRefundStatus) Final() bool { return s.rank() == 3 }

// After reports whether s is news compared with prev: a status that can follow prev at the provider.
// Any status is news after none; nothing is news after a final status.
func (s ProviderRefundStatus) After(prev ProviderRefundStatus) bool {
	return s.rank() > prev.rank()
}

// ProviderRefund is what the provider reports about one refund of a payment.
type ProviderRefund struct {
	// ID is the provider's refund id ("re_...").
	ID string `json:"id"`
	// PaymentReference is the payment it refunds (the order's Payment.Reference).
	PaymentReference string `json:"payment_reference"`
	// Amount is what it refunds, in the domain's minor units.
	Amount Money `json:"amount"`
	// Status is its status at the provider.
	Status ProviderRefundStatus `json:"status"`
	// FailureReason is the provider's reason for a failed refund ("expired_or_canceled_card").
	FailureReason string `json:"failure_reason,omitempty"`
	// IdempotencyKey is the key Refundflow sent it with (kept by the provider as metadata), "" for
	// a refund made outside Refundflow.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Created is when the provider created the refund.
	Created time.Time `json:"created"`
}

// Validate checks a provider refund before the ledger takes it: an id, a payment, a positive amount
// in a valid currency and a known status.
func (p ProviderRefund) Validate() error {
	switch {
	case p.ID == "" || len(p.ID) > 255:
		return fmt.Errorf("provider refund: the id is missing or too long")
	case p.PaymentReference == "" || len(p.PaymentReference) > 255:
		return fmt.Errorf("provider refund %s: the payment reference is missing or too long", p.ID)
	case !p.Amount.ValidPositive():
		return fmt.Errorf("provider refund %s: amount %s is not a positive amount in a valid currency", p.ID, p.Amount)
	case !p.Status.Valid():
		return fmt.Errorf("provider refund %s: status %q is not known", p.ID, p.Status)
	}
	return nil
}

// ParseRefundIdempotencyKey reads the request and attempt out of a key RefundIdempotencyKey made;
// ok is false for any other text (a refund made outside Refundflow has none).
func ParseRefundIdempotencyKey(key string) (requestID string, n int, ok bool) {
	rest, found := strings.CutPrefix(key, "refund:")
	if !found {
		return "", 0, false
	}
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(rest[i+1:])
	if err != nil || n < 1 || RefundIdempotencyKey(rest[:i], n) != key {
		return "", 0, false
	}
	return rest[:i], n, true
}

// RefundOrigin says who made a refund recorded in the ledger.
type RefundOrigin string

const (
	// OriginRefundflow: a request's execution made it (the zero value, so older records have it).
	OriginRefundflow RefundOrigin = ""
	// OriginProvider: someone made it at the provider, outside Refundflow (Stripe's dashboard, say);
	// the ledger learned it from the provider's events.
	OriginProvider RefundOrigin = "provider"
)

// Counted reports whether the record's amount is in the order's refunded total: reserved and
// succeeded records are, failed ones are not.
func (r RefundRecord) Counted() bool {
	return r.State == RefundReserved || r.State == RefundSucceeded
}

// FailedLater reports whether the refund failed after the provider accepted it: the money was on
// its way and did not arrive (as opposed to a refusal of the refund call, which never had a
// provider refund).
func (r RefundRecord) FailedLater() bool {
	return r.State == RefundFailed && r.ProviderRefundID != "" && r.ProviderStatus.Final()
}

// ProviderRecord returns the ledger record of a refund made outside Refundflow, as the provider first
// reports it at now: counted unless the provider already reports it failed or canceled (an event
// that arrived before the one reporting its creation).
func ProviderRecord(order Order, p ProviderRefund, now time.Time) RefundRecord {
	r := RefundRecord{
		OrderNumber: order.Number, Amount: p.Amount, PaymentReference: p.PaymentReference,
		IdempotencyKey: p.IdempotencyKey, State: RefundSucceeded, ProviderRefundID: p.ID, ProviderStatus: p.Status,
		Origin: OriginProvider, CreatedAt: now, UpdatedAt: now,
	}
	if !p.Status.Counts() {
		r.State = RefundFailed
		r.FailureReason = providerFailure(p)
		r.ProviderFailure = Truncate(p.FailureReason, 200)
	}
	return r
}

// ErrProviderMismatch is returned by ApplyProvider when the provider's refund cannot be the one the
// record is about: another amount, another payment, or another provider refund under the same
// idempotency key. The provider allows one refund per key, so it means the ledger is wrong
// somewhere; a person must look.
type ErrProviderMismatch struct {
	// Record is the ledger's record; Refund is what the provider reported.
	Record RefundRecord
	Refund ProviderRefund
	// What says what differs.
	What string
}

// Error describes the mismatch.
func (e *ErrProviderMismatch) Error() string {
	return fmt.Sprintf("provider refund %s does not match ledger record %s: %s", e.Refund.ID, e.Record.IdempotencyKey, e.What)
}

// ApplyProvider returns the record as the provider's report p makes it, and how the order's refunded
// total changes with it (delta, in minor units: negative when the refund failed and its amount is
// released). changed is false when p is no news: the same status or an earlier one, which the record
// already moved past. The rules:
//
//   - reserved (the provider was called, its answer not recorded yet): a pending or succeeded refund
//     makes it succeeded with the provider's id (delta 0, the amount is already counted); a failed or
//     canceled one makes it failed and releases the amount;
//   - succeeded: a later status is recorded (pending → succeeded); failed or canceled makes it failed
//     and releases the amount, once;
//   - failed, after a refusal of the refund call (no provider status): if the provider nevertheless
//     reports the refund under the key as pending or succeeded, the provider is right and the amount
//     is counted again; a failure is only noted;
//   - failed at the provider (failed, canceled): final, nothing changes it.
func (r RefundRecord) ApplyProvider(p ProviderRefund, now time.Time) (next RefundRecord, delta int64, changed bool, err error) {
	switch {
	case p.Amount != r.Amount:
		return r, 0, false, &ErrProviderMismatch{Record: r, Refund: p, What: fmt.Sprintf("the provider refunded %s, the ledger has %s", p.Amount, r.Amount)}
	case p.PaymentReference != r.PaymentReference:
		return r, 0, false, &ErrProviderMismatch{Record: r, Refund: p, What: "another payment"}
	case r.ProviderRefundID != "" && r.ProviderRefundID != p.ID:
		return r, 0, false, &ErrProviderMismatch{Record: r, Refund: p, What: "another provider refund " + r.ProviderRefundID + " is recorded"}
	}
	next = r
	next.ProviderRefundID = p.ID
	next.UpdatedAt = now
	switch {
	case r.ProviderStatus.Final() || !p.Status.After(r.ProviderStatus) && r.ProviderStatus != "":
		return r, 0, false, nil
	case p.Status.Counts():
		next.ProviderStatus = p.Status
		if r.State == RefundFailed {
			next.State, next.FailureReason, next.ProviderFailure = RefundSucceeded, "", ""
			return next, r.Amount.Amount, true, nil
		}
		next.State = RefundSucceeded
		return next, 0, true, nil
	default: // failed or canceled at the provider
		next.ProviderStatus = p.Status
		next.FailureReason = providerFailure(p)
		next.ProviderFailure = Truncate(p.FailureReason, 200)
		if r.State == RefundFailed {
			return next, 0, true, nil
		}
		next.State = RefundFailed
		return next, -r.Amount.Amount, true, nil
	}
}

// LedgerChange is what one report of the provider changed in the ledger.
type LedgerChange struct {
	// Changed reports that the record moved: a new record, or a new status.
	Changed bool
	// New reports that the report created the record: a refund made outside Refundflow.
	New bool
	// Delta is the change of the order's refunded total, in minor units; negative when the refund
	// failed and its amount was released.
	Delta int64
}

// Released reports whether the report released a refund's amount: it failed after it was counted.
func (c LedgerChange) Released() bool { return c.Delta < 0 }

// providerFailure words a provider's failure for the record: its status and reason.
func providerFailure(p ProviderRefund) string {
	reason := "the provider reports the refund as " + string(p.Status)
	if p.FailureReason != "" {
		reason += " (" + p.FailureReason + ")"
	}
	return Truncate(reason, MaxAuditDetail)
}

// DisputeStatus is a dispute's status at the payment provider (Stripe's words).
type DisputeStatus string

// The dispute statuses. The warning_ ones are inquiries (the bank asks before charging back).
const (
	DisputeWarningNeedsResponse DisputeStatus = "warning_needs_response"
	DisputeWarningUnderReview   DisputeStatus = "warning_under_review"
	DisputeWarningClosed        DisputeStatus = "warning_closed"
	DisputeNeedsResponse        DisputeStatus = "needs_response"
	DisputeUnderReview          DisputeStatus = "under_review"
	DisputeWon                  DisputeStatus = "won"
	DisputeLost                 DisputeStatus = "lost"
	DisputePrevented            DisputeStatus = "prevented"
)

// Closed reports whether the dispute is over: won, lost, an inquiry closed, or prevented.
func (s DisputeStatus) Closed() bool {
	switch s {
	case DisputeWon, DisputeLost, DisputeWarningClosed, DisputePrevented:
		return true
	}
	return false
}

// Valid reports whether s is one of the defined statuses.
func (s DisputeStatus) Valid() bool {
	switch s {
	case DisputeWarningNeedsResponse, DisputeWarningUnderReview, DisputeNeedsResponse, DisputeUnderReview:
		return true
	}
	return s.Closed()
}

// Dispute is a dispute (chargeback) the client opened with their bank against the order's payment,
// as the provider reports it.
type Dispute struct {
	// ID is the provider's dispute id ("dp_...").
	ID string `json:"id"`
	// PaymentReference is the disputed payment.
	PaymentReference string `json:"payment_reference"`
	// Amount is the disputed amount.
	Amount Money `json:"amount"`
	// Reason is the bank's reason code ("fraudulent", "product_not_received", ...).
	Reason string `json:"reason,omitempty"`
	// Status is its status at the provider.
	Status DisputeStatus `json:"status"`
	// ReportedAt is the provider's time of the event that reported this status: the order in which
	// the open statuses of one dispute follow one another.
	ReportedAt time.Time `json:"reported_at"`
}

// Validate checks a dispute before it is recorded.
func (d Dispute) Validate() error {
	switch {
	case d.ID == "" || len(d.ID) > 255:
		return fmt.Errorf("dispute: the id is missing or too long")
	case d.PaymentReference == "" || len(d.PaymentReference) > 255:
		return fmt.Errorf("dispute %s: the payment reference is missing or too long", d.ID)
	case !d.Amount.ValidPositive():
		return fmt.Errorf("dispute %s: amount %s is not a positive amount in a valid currency", d.ID, d.Amount)
	case !d.Status.Valid():
		return fmt.Errorf("dispute %s: status %q is not known", d.ID, d.Status)
	case d.ReportedAt.IsZero():
		return fmt.Errorf("dispute %s: the time of the report is missing", d.ID)
	}
	return nil
}

// Open reports whether the dispute is still being decided.
func (d Dispute) Open() bool { return !d.Status.Closed() }

// BlocksRefunds reports whether no refund may go to the payment while the dispute is as it is: while
// it is open (the bank may take the money back, and the provider refuses refunds of a disputed
// payment) and after it was lost (the bank gave the money back to the client).
func (d Dispute) BlocksRefunds() bool { return d.Open() || d.Status == DisputeLost }

// Supersedes reports whether d is news compared with the recorded dispute prev (nil: none): another
// dispute reported later, or the same dispute moving on. A closed dispute stays closed; its open
// statuses follow ReportedAt.
func (d Dispute) Supersedes(prev *Dispute) bool {
	switch {
	case prev == nil:
		return true
	case prev.ID != d.ID:
		return d.ReportedAt.After(prev.ReportedAt)
	case prev.Status.Closed():
		return false
	case d.Status.Closed():
		return true
	}
	return d.ReportedAt.After(prev.ReportedAt) && d.Status != prev.Status
}

// ChargebackAfter returns the order's ChargedBack once the dispute d replaces the recorded dispute
// prev (nil: none): a lost dispute adds its amount, once, since a lost dispute stays lost
// (Supersedes) and the same report again finds it recorded already; any other report changes
// nothing. A won dispute gives nothing back to the client, so nothing changes either. The total is
// capped at what was paid.
func (o Order) ChargebackAfter(prev *Dispute, d Dispute) int64 {
	if d.Status != DisputeLost || prev != nil && prev.ID == d.ID && prev.Status == DisputeLost || d.Amount.Currency != o.Currency {
		return o.ChargedBack
	}
	return min(o.ChargedBack+d.Amount.Amount, o.Paid)
}

// UnderDispute reports whether the order counts as disputed: flagged by the billing system or staff
// (Disputed), or with a dispute at the provider that blocks refunds. Such orders always go to staff
// review.
func (o Order) UnderDispute() bool {
	return o.Disputed || o.Dispute != nil && o.Dispute.BlocksRefunds()
}

// ProviderEventClaim is the answer to claiming the processing of one provider event: each event is
// processed once, even when the provider delivers it twice at the same instant.
type ProviderEventClaim int

const (
	// EventClaimed: this delivery holds the claim and processes the event, then marks it processed
	// (or releases the claim when processing failed, so the provider's retry can claim it at once).
	EventClaimed ProviderEventClaim = iota + 1
	// EventProcessed: the event was processed already; nothing to do.
	EventProcessed
	// EventInProgress: another delivery holds an unexpired claim and is processing it now.
	EventInProgress
)

// String names the answer for logs and test failures.
func (c ProviderEventClaim) String() string {
	switch c {
	case EventClaimed:
		return "claimed"
	case EventProcessed:
		return "processed"
	case EventInProgress:
		return "in progress"
	}
	return fmt.Sprintf("ProviderEventClaim(%d)", int(c))
}

// ProviderEventTTL is how long a processed event's id is remembered: longer than the provider keeps
// retrying an event (Stripe: three days), with room for a delivery an operator resends by hand.
const ProviderEventTTL = 30 * 24 * time.Hour
