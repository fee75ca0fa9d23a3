package refund

import (
	"fmt"
	"unicode/utf8"
)

// Change is what a versioned write of a request records besides its status, its version and its
// audit entry, all in one transaction: a status change (a transition) or a decision that keeps the
// status but must still be made exactly once (a staff approval or adjustment, the workflow's offers).
// ChangeOptions build it; a nil field changes nothing.
type Change struct {
	// ReviewMessage is the staff's message to the client (a rejection, adjusted offers).
	ReviewMessage *string
	// PolicyVersion is the policy version that decided the request.
	PolicyVersion *string
	// Verification is the verification's findings.
	Verification *Verification
	// Resume is the outcome the workflow's parked wait must be completed with (WithResume).
	Resume *string
	// Offers becomes the request's current set of offers (WithOffers).
	Offers *OfferSet
	// RefundAttempt becomes the request's refund attempt number (WithRefundAttempt).
	RefundAttempt *int
}

// OfferSet is one numbered set of a request's offers, the recommended one first. A request's sets are
// numbered 1, 2, ... in the order they were made; only the latest is current.
type OfferSet struct {
	// Number is the set's number.
	Number int
	// Offers are the set's offers.
	Offers []Offer
}

// ChangeOption adds something to a Change.
type ChangeOption func(*Change)

// NewChange returns the change the options describe.
func NewChange(opts ...ChangeOption) Change {
	var c Change
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Validate checks what the change records before it is written: a review message is at most
// MaxDetailsRunes characters (CodeInvalid otherwise).
func (c Change) Validate() error {
	if c.ReviewMessage != nil && utf8.RuneCountInString(*c.ReviewMessage) > MaxDetailsRunes {
		return InvalidField("message", fmt.Sprintf("Please shorten the message to at most %d characters.", MaxDetailsRunes))
	}
	return nil
}

// WithReviewMessage records the staff's message to the client (review_rejected, adjusted offers).
func WithReviewMessage(msg string) ChangeOption {
	return func(c *Change) { c.ReviewMessage = &msg }
}

// WithPolicyVersion records the policy version that decided the request.
func WithPolicyVersion(v string) ChangeOption {
	return func(c *Change) { c.PolicyVersion = &v }
}

// WithVerification records the verification findings (VerifyConditions moving to rejected or onward).
func WithVerification(v Verification) ChangeOption {
	return func(c *Change) { c.Verification = &v }
}

// WithResume records, in the same transaction as the change, that the workflow's parked wait must be
// completed with outcome (a withdrawal or a staff rejection with a transition; a staff approval or
// adjustment with a decision): a resume marker. The caller clears it once the wait took the outcome;
// if that never happens, the ResumeDecisions sweeper delivers it.
func WithResume(outcome string) ChangeOption {
	return func(c *Change) { c.Resume = &outcome }
}

// WithOffers makes offers the request's current set of offers in the same transaction as the change,
// so an offer set becomes visible only together with the version check that decided it: of two
// decisions made on the same version, exactly one stores its offers, and a reader never sees a set
// whose offers are missing. set must be the request's current set + 1 (the change fails with
// CodeConflict otherwise); staff adjustments and re-proposals store a higher set with new offer IDs
// (OfferIDInSet), and the old offers stay stored (immutable) but are no longer current. An empty
// offers makes an empty set current: the earlier offers are withdrawn. Each offer's RequestID must be
// the request's; an offer ID that is already stored is CodeConflict (offers never change).
func WithOffers(set int, offers []Offer) ChangeOption {
	return func(c *Change) { c.Offers = &OfferSet{Number: set, Offers: offers} }
}

// WithRefundAttempt records the refund attempt number the request's next execution uses (a staff
// retry, see RetryAttempt).
func WithRefundAttempt(n int) ChangeOption {
	return func(c *Change) { c.RefundAttempt = &n }
}
