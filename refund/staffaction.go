package refund

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Staff actions: every request that needs attention has a way out, each a staff member's act with a
// note for the audit trail. The workflow stays parked on the request's staff-action wait
// (TokenAttention) until one of them completes it, so one execution carries a request end to end and
// no second execution can ever move money for it.
//
//   - Retry runs the execution of the accepted offer again. A refund replays the same attempt (and so
//     the same idempotency key) unless the provider refused that attempt for certain; only then a new
//     attempt n+1 with the key refund:<requestId>:<n+1> (RetryAttempt). The ledger's reservation
//     stays the gate: never more than paid minus refunded.
//   - Settled outside records that the money went back another way (a bank transfer, say): a refund
//     record of its own in the order's ledger (SettledOutside), so refunded ≤ paid still holds and
//     later offers count it; the request completes and the client gets the outcome email.
//   - Close ends the request with a message that is emailed to the client (StatusClosed).
type StaffAction string

// The staff actions on a request that needs attention.
const (
	StaffActionRetry          StaffAction = "retry"
	StaffActionSettledOutside StaffAction = "settled_outside"
	StaffActionClose          StaffAction = "close"
)

// MaxStaffNoteRunes bounds a staff note and a closing message.
const MaxStaffNoteRunes = 2000

// Valid reports whether a is one of the staff actions.
func (a StaffAction) Valid() bool {
	return a == StaffActionRetry || a == StaffActionSettledOutside || a == StaffActionClose
}

// RetryAttempt returns the refund attempt a staff retry of a request's refund uses, given the
// request's refund records on the order (any order; records settled outside are ignored). With none,
// attempt 1. The latest attempt is replayed with its own idempotency key, whatever happened to its
// answer (reserved: the outcome is unknown, and the provider returns the first refund if there was
// one; succeeded: the ledger already knows), unless the provider refused it for certain (failed, its
// amount released): then the next attempt, with a new key.
func RetryAttempt(records []RefundRecord) int {
	var last *RefundRecord
	for i := range records {
		r := &records[i]
		if r.SettledOutside {
			continue
		}
		if last == nil || r.N > last.N {
			last = r
		}
	}
	switch {
	case last == nil:
		return 1
	case last.State == RefundFailed:
		return last.N + 1
	}
	return last.N
}

// NextAttempt returns the first attempt number no record uses yet (settled-outside records
// included), for a new record of the request.
func NextAttempt(records []RefundRecord) int {
	n := 1
	for _, r := range records {
		if r.N >= n {
			n = r.N + 1
		}
	}
	return n
}

// Settlement is money that went back to the client outside the payment provider, as staff record it.
type Settlement struct {
	// Amount is what went back, in the order's currency.
	Amount Money `json:"amount"`
	// Method says how, e.g. "bank transfer".
	Method string `json:"method"`
	// Reference is the transfer's reference, for the client's bank.
	Reference string `json:"reference"`
}

// Validate checks a settlement against the order: a positive amount in the order's currency, at most
// what remains refundable, and a method and a reference of readable text. Every failure is
// CodeInvalid with field messages (the staff member typed them).
func (s Settlement) Validate(o Order) error {
	errs := FieldErrors{}
	switch {
	case !s.Amount.ValidPositive():
		errs["amount"] = "must be a positive amount in minor units with its currency"
	case s.Amount.Currency != o.Currency:
		errs["amount"] = fmt.Sprintf("must be in the order's currency, %s", o.Currency)
	case o.Paid-o.ChargedBack-s.Amount.Amount < o.Refunded:
		errs["amount"] = fmt.Sprintf("is more than the %s that remains refundable on order %s", o.Remaining(), o.Number)
	}
	for field, v := range map[string]string{"method": s.Method, "reference": s.Reference} {
		switch {
		case strings.TrimSpace(v) == "":
			errs[field] = "is required"
		case utf8.RuneCountInString(v) > 200 || !ReadableLine(v):
			errs[field] = "must be one line of readable text, at most 200 characters"
		}
	}
	return errs.Err()
}

// SettledRecord returns the refund record of a settlement as attempt n of the request's refunds: it
// counts in the ledger like a refund the provider confirmed, but was never sent to the provider.
func (s Settlement) SettledRecord(o Order, requestID string, n int, now time.Time) RefundRecord {
	rec := ReserveAttempt(o, requestID, n, s.Amount, now)
	rec.State = RefundSucceeded
	rec.SettledOutside = true
	rec.Method = strings.TrimSpace(s.Method)
	rec.ProviderRefundID = strings.TrimSpace(s.Reference)
	return rec
}

// ReadableLine reports whether s is valid UTF-8 without control or bidirectional-override
// characters (one line).
func ReadableLine(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == '\u2028' || r == '\u2029' || r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' {
			return false
		}
	}
	return true
}
