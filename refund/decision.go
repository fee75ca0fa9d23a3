package refund

// Finding is the result of one verification check: a stable code for machines and a sentence the
// client can read.
type Finding struct {
	// Code is stable across releases; see the Finding* constants.
	Code string `json:"code"`
	// Message is a sentence for the client; it never reveals data the client did not already give.
	Message string `json:"message"`
	// Passed is true when the check succeeded.
	Passed bool `json:"passed"`
}

// The finding codes produced by Verify. Failing codes end the verification; passing ones are listed so
// the status page can show what was checked.
const (
	FindingInvalidSubmission = "invalid_submission"
	FindingDateInFuture      = "date_in_future"
	FindingOrderMatched      = "order_matched"
	FindingOrderNotMatched   = "order_not_matched"
	FindingOrderOpen         = "order_open"
	FindingOrderClosed       = "order_closed"
	FindingWithinAge         = "within_max_age"
	FindingTooOld            = "too_old"
	FindingCardPayment       = "card_payment"
	FindingNoCardPayment     = "no_card_payment"
	FindingOK                = "ok"
)

// Verification is the outcome of step 2, checking a submission against the order and the policy.
type Verification struct {
	// OK is true when every check passed.
	OK bool `json:"ok"`
	// Findings lists the checks in the order they ran, ending with the first failure or with FindingOK.
	Findings []Finding `json:"findings"`
	// PolicyVersion is the policy the checks used.
	PolicyVersion string `json:"policy_version"`
}

// Resolution is the outcome of step 3: the offers for a verified request and whether staff must
// decide first.
type Resolution struct {
	// Offers are the options for the client, the recommended one first. They are computed even when
	// review is needed, so staff can approve them as they are.
	Offers []Offer `json:"offers"`
	// NeedsReview is true when the policy sends the case to staff before the client sees any offer.
	NeedsReview bool `json:"needs_review"`
	// ReviewReasons explains NeedsReview in sentences for staff.
	ReviewReasons []string `json:"review_reasons,omitempty"`
	// Refundable is the most money the policy returns to the card (the refund offer's amount, or zero).
	Refundable Money `json:"refundable"`
	// Calculation itemises how Refundable was worked out; its lines add up to Refundable. It is there
	// even when nothing is refundable, so staff can see why.
	Calculation []Line `json:"calculation"`
	// CoolingOff is true when the full refund came from the cooling-off rule or an any-date reason.
	CoolingOff bool `json:"cooling_off"`
	// PolicyVersion is the policy that produced the offers.
	PolicyVersion string `json:"policy_version"`
}
