package refund

// Status is the state of a refund request. The allowed moves form a small explicit state machine
// (see CanTransition); terminal states are final.
type Status string

// The request states.
const (
	// StatusSubmitted: the form was received and stored; verification has not finished.
	StatusSubmitted Status = "submitted"
	// StatusRejected (terminal): verification failed; the findings say why.
	StatusRejected Status = "rejected"
	// StatusInReview: the case is outside the automatic policy and waits for a staff decision.
	StatusInReview Status = "in_review"
	// StatusAwaitingConsent: offers were sent to the client, who has not accepted or declined yet.
	StatusAwaitingConsent Status = "awaiting_consent"
	// StatusExecuting: the client accepted an offer; the refund, cancellation or credit is being carried out.
	StatusExecuting Status = "executing"
	// StatusCompleted (terminal): the refund was issued, the credit granted or the service cancelled.
	StatusCompleted Status = "completed"
	// StatusDeclined (terminal): the client declined the offers.
	StatusDeclined Status = "declined"
	// StatusWithdrawn (terminal): the client withdrew the request before accepting anything.
	StatusWithdrawn Status = "withdrawn"
	// StatusExpired (terminal): the client did not answer before the consent link expired.
	StatusExpired Status = "expired"
	// StatusNeedsAttention: something failed that a person must look at (for example the payment
	// provider refused the refund). Not terminal: staff can retry or decide.
	StatusNeedsAttention Status = "needs_attention"
	// StatusReviewRejected (terminal): staff reviewed the case and decided not to offer anything.
	StatusReviewRejected Status = "review_rejected"
	// StatusClosed (terminal): staff closed a case that needed attention, with a message to the
	// client (StaffActionClose); nothing more happens on it.
	StatusClosed Status = "closed"
)

// transitions is the whole state machine: from → allowed targets. Anything not listed is refused.
var transitions = map[Status][]Status{
	StatusSubmitted: {StatusRejected, StatusInReview, StatusAwaitingConsent, StatusWithdrawn, StatusNeedsAttention},
	StatusInReview:  {StatusAwaitingConsent, StatusReviewRejected, StatusWithdrawn, StatusNeedsAttention},
	// A dispute opened at the payment provider takes a request awaiting consent back to staff review.
	StatusAwaitingConsent: {StatusExecuting, StatusDeclined, StatusExpired, StatusWithdrawn, StatusNeedsAttention, StatusInReview},
	StatusExecuting:       {StatusCompleted, StatusNeedsAttention},
	// Once money may have moved, the client can no longer withdraw: staff retry execution, re-review,
	// re-offer, record a manual resolution, or close the case.
	StatusNeedsAttention: {StatusExecuting, StatusInReview, StatusAwaitingConsent, StatusCompleted, StatusReviewRejected, StatusClosed},
}

// Statuses returns every status, in the order a request usually moves through them.
func Statuses() []Status {
	return []Status{
		StatusSubmitted, StatusInReview, StatusAwaitingConsent, StatusExecuting, StatusCompleted,
		StatusRejected, StatusDeclined, StatusWithdrawn, StatusExpired, StatusNeedsAttention, StatusReviewRejected, StatusClosed,
	}
}

// Valid reports whether s is one of the defined statuses.
func (s Status) Valid() bool {
	for _, v := range Statuses() {
		if v == s {
			return true
		}
	}
	return false
}

// Terminal reports whether s is final: no transition leaves a terminal state. (A completed request
// whose refund failed later at the provider is reopened, which is not a transition: see CanReopen.)
func (s Status) Terminal() bool {
	switch s {
	case StatusRejected, StatusCompleted, StatusDeclined, StatusWithdrawn, StatusExpired, StatusReviewRejected, StatusClosed:
		return true
	}
	return false
}

// CanTransition reports whether a request may move from one status to another. Staying in the same
// status is not a transition and is refused, so a retried write cannot pass as a change. No
// transition leaves a final status: the one way out of completed, for a refund that failed after the
// provider accepted it, is a separate operation (CanReopen), so no other path (a retried task, the
// workflow's catch-all, a staff action) can take a finished request back.
func CanTransition(from, to Status) bool {
	for _, t := range transitions[from] {
		if t == to {
			return true
		}
	}
	return false
}

// Describe returns a sentence for the client's status page timeline.
func (s Status) Describe() string {
	switch s {
	case StatusSubmitted:
		return "We received your request and are checking it against your order."
	case StatusRejected:
		return "We could not accept this request; the reasons are listed below."
	case StatusInReview:
		return "A member of our team is reviewing your request."
	case StatusAwaitingConsent:
		return "We sent you our offer by email and are waiting for your answer."
	case StatusExecuting:
		return "You accepted our offer and we are carrying it out."
	case StatusCompleted:
		return "Done: the agreed refund, credit or cancellation has been carried out."
	case StatusDeclined:
		return "You declined our offer, so nothing was changed."
	case StatusWithdrawn:
		return "You withdrew this request, so nothing was changed."
	case StatusExpired:
		return "The offer expired without an answer, so nothing was changed."
	case StatusNeedsAttention:
		return "Something needs a closer look; our team has been notified and will follow up."
	case StatusReviewRejected:
		return "Our team reviewed your request and could not offer a refund; you will receive an explanation by email."
	case StatusClosed:
		return "Our team closed this request; their message to you was sent by email."
	}
	return "Unknown status."
}

// CanReopen reports whether a request in status s goes to needs attention because its refund failed
// after the provider accepted it: an executing request (the failure was reported before the
// execution recorded its end) or a completed one. The request is not done while the money has not
// gone back. Only that report reopens a request (Request.Reopen, the store's Reopen): CanTransition
// keeps completed final for every other path.
func CanReopen(s Status) bool { return s == StatusExecuting || s == StatusCompleted }
