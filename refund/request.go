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
}

// NewRequest builds a submitted request from a form submission. It normalises and validates the
// submission first and returns an *Error with CodeInvalid and the field messages if it is not valid.
func NewRequest(id string, sub Submission, now time.Time) (Request, error) {
	if errs := sub.Validate(); errs != nil {
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
