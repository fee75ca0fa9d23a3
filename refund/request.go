package refund

import (
	"time"
)

// Request is a client's cancellation or refund request as the system stores it.
type Request struct {
	// ID is the request's identifier; the workflow's execution is named after it.
	ID string `json:"id"`
	// OrderNumber is the (normalised) order number from the form.
	OrderNumber string `json:"order_number"`
	// Kind says whether the client asked to cancel or for a refund.
	Kind RequestKind `json:"kind"`
	// Reason is the reason chosen from the list.
	Reason Reason `json:"reason"`
	// Details is the client's own explanation, at most MaxDetailsRunes characters.
	Details string `json:"details"`
	// Status is where the request is in its life cycle.
	Status Status `json:"status"`
	// CreatedAt and UpdatedAt are set by the code that stores the request.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Version increases with every stored change, for conditional writes.
	Version int64 `json:"version"`
	// PolicyVersion is the policy used to decide the request, once it is decided.
	PolicyVersion string `json:"policy_version,omitempty"`
	// Channel is how a request taken by a member of staff reached the company (phone, email,
	// letter); "" for the client's own web form.
	Channel Channel `json:"channel,omitempty"`
}

// NewRequest builds a submitted request from a form submission. It normalises and validates the
// submission first and returns an *Error with CodeInvalid and the field messages if it is not valid.
func NewRequest(id string, sub Submission, now time.Time) (Request, error) {
	errs := sub.Validate()
	if _, bad := errs["purchase_date"]; !bad {
		// A purchase date after today (beyond the client's own calendar, ClientDayTolerance) is a
		// typo: say so at once, next to the field, rather than reject the request later.
		if d, err := ParseDate(sub.Normalize().PurchaseDate); err == nil && DaysBetween(now, d) > ClientDayTolerance {
			if errs == nil {
				errs = FieldErrors{}
			}
			errs["purchase_date"] = MsgFuturePurchaseDate
		}
	}
	if errs != nil {
		return Request{}, errs.Err()
	}
	sub = sub.Normalize()
	return Request{
		ID:          id,
		OrderNumber: sub.OrderNumber,
		Kind:        RequestKind(sub.Kind),
		Reason:      Reason(sub.Reason),
		Details:     sub.Details,
		Status:      StatusSubmitted,
		CreatedAt:   now.UTC(),
		UpdatedAt:   now.UTC(),
		Version:     1,
	}, nil
}

// MsgFuturePurchaseDate is the form's message for a purchase date after today.
const MsgFuturePurchaseDate = "The purchase date is in the future. Enter the date on your order confirmation."

// Transition moves the request to status to, bumping Version and UpdatedAt. It returns an *Error with
// CodeConflict, leaving the request unchanged, if the state machine does not allow the move.
func (r *Request) Transition(to Status, now time.Time) error {
	if !CanTransition(r.Status, to) {
		return Errorf(CodeConflict, "A request that is %s cannot become %s.", r.Status, to)
	}
	r.Status = to
	r.UpdatedAt = now.UTC()
	r.Version++
	return nil
}

// Reopen moves a request whose refund failed after the provider accepted it to needs attention,
// bumping Version and UpdatedAt. It returns an *Error with CodeConflict, leaving the request
// unchanged, unless CanReopen(r.Status).
func (r *Request) Reopen(now time.Time) error {
	if !CanReopen(r.Status) {
		return Errorf(CodeConflict, "A request that is %s cannot be reopened: only an executing or completed request whose refund failed later can.", r.Status)
	}
	r.Status = StatusNeedsAttention
	r.UpdatedAt = now.UTC()
	r.Version++
	return nil
}

// RequestRecord is a stored request: the domain request plus what the workflow keeps with it. The
// task token itself is not part of it (TaskToken), so a record can be shown to staff as it is.
type RequestRecord struct {
	Request
	// Submission is the normalised form as the client sent it, including the email and name they
	// typed. Personal data: it lives only here.
	Submission Submission `json:"submission"`
	// Verification is the outcome of VerifyConditions, once saved.
	Verification *Verification `json:"verification,omitempty"`
	// OfferSet is the number of the current set of offers (see WithOffers); 0 before any offer.
	OfferSet int `json:"offer_set,omitempty"`
	// ReviewMessage is the staff's message to the client from a review, if any.
	ReviewMessage string `json:"review_message,omitempty"`
	// TokenKind is the kind of the stored task token, "" when none was stored.
	TokenKind TokenKind `json:"token_kind,omitempty"`
	// StatusVersion is the version the request had when it entered its current status: Version
	// equals it until a decision that keeps the status (a Decide) is recorded, so a decision made
	// "at StatusVersion" is the first one of that status. 0 on requests stored before it existed.
	StatusVersion int64 `json:"status_version,omitempty"`
	// RefundAttempt is the refund attempt number ExecuteResolution uses (RefundIdempotencyKey); 0
	// means 1. Only a staff retry after the provider refused an attempt for certain raises it
	// (RetryAttempt).
	RefundAttempt int `json:"refund_attempt,omitempty"`
	// Unmatched records that the submission did not name an order (Matches: number, purchase date and
	// email together) when it was sent. Such a request holds no open-request lock, so it cannot keep
	// the order's real client from asking, and verification treats it as naming no order at all, even
	// if an order matching it arrives later: it is rejected exactly as an unknown order is.
	Unmatched bool `json:"unmatched,omitempty"`
	// Proposal is a staff decision above the four-eyes limit waiting for a second member of staff
	// (see PendingProposal: a proposal made on an earlier version no longer applies).
	Proposal *Proposal `json:"proposal,omitempty"`
}

// Attempt returns the refund attempt number the request's execution uses: RefundAttempt, at least 1.
func (r RequestRecord) Attempt() int { return max(1, r.RefundAttempt) }

// OrderConfirmed reports whether verification matched the submission to the order (number, purchase
// date and email together). Only then may the workflow write to the order's email: otherwise the
// form could make us email anyone's order.
func (r RequestRecord) OrderConfirmed() bool {
	if r.Verification == nil {
		return false
	}
	for _, f := range r.Verification.Findings {
		if f.Code == FindingOrderMatched && f.Passed {
			return true
		}
	}
	return false
}

// TokenKind says which wait of the workflow a stored task token belongs to.
type TokenKind string

// The task token kinds.
const (
	// TokenReview is the token of the staff review wait (RequestStaffReview).
	TokenReview TokenKind = "review"
	// TokenConsent is the token of the client consent wait (RequestConsent, offer or remind phase).
	TokenConsent TokenKind = "consent"
	// TokenAttention is the token of the staff-action wait of a request that needs attention
	// (MarkNeedsAttention's staff phase): a retry, settled outside or close completes it.
	TokenAttention TokenKind = "attention"
)

// Valid reports whether k is one of the defined kinds.
func (k TokenKind) Valid() bool { return k == TokenReview || k == TokenConsent || k == TokenAttention }

// TaskToken is the token of the workflow wait a request is parked in. It never leaves the backend.
type TaskToken struct {
	// Kind says which wait the token belongs to.
	Kind TokenKind
	// Token is what completes the wait.
	Token string
	// SetAt is when it was stored.
	SetAt time.Time
}
