package refund

import "fmt"

// OfferKind names what an offer gives the client.
type OfferKind string

// The offer kinds.
const (
	// OfferFullRefund refunds everything not yet refunded and cancels the service.
	OfferFullRefund OfferKind = "full_refund"
	// OfferPartialRefund refunds what the policy allows after deductions and cancels the service.
	OfferPartialRefund OfferKind = "partial_refund"
	// OfferServiceCredit cancels the service and grants a credit instead of money.
	OfferServiceCredit OfferKind = "service_credit"
	// OfferPause pauses a subscription for some months, with no refund and no charge.
	OfferPause OfferKind = "pause"
	// OfferSwitchService cancels the service and applies a credit to a different service.
	OfferSwitchService OfferKind = "switch_service"
	// OfferCancelAtPeriodEnd lets a subscription run to the end of its paid period and stop there.
	OfferCancelAtPeriodEnd OfferKind = "cancel_at_period_end"
)

// Label returns the offer kind as a short heading for people.
func (k OfferKind) Label() string {
	switch k {
	case OfferFullRefund:
		return "Full refund"
	case OfferPartialRefund:
		return "Partial refund"
	case OfferServiceCredit:
		return "Service credit"
	case OfferPause:
		return "Pause your subscription"
	case OfferSwitchService:
		return "Switch to another service"
	case OfferCancelAtPeriodEnd:
		return "Cancel at the end of the period"
	}
	return string(k)
}

// Offer is one option proposed to the client. Offers are immutable once made: consent binds to the
// hash of the offer and its agreement text (see AgreementHash).
type Offer struct {
	// ID is deterministic: "<requestId>-<n>-<kind>", so resolving twice gives the same offers.
	ID string `json:"id"`
	// RequestID and OrderNumber tie the offer to its request and order.
	RequestID   string `json:"request_id"`
	OrderNumber string `json:"order_number"`
	// Kind says what the offer gives.
	Kind OfferKind `json:"kind"`
	// Amount is the refund (for refunds) or the credit (for credits and switches); zero otherwise.
	Amount Money `json:"amount"`
	// Breakdown itemises how Amount was calculated; its lines always add up to Amount exactly.
	Breakdown []Line `json:"breakdown"`
	// Terms is a one-paragraph summary of the offer for lists and emails; the agreement has the full text.
	Terms string `json:"terms"`
	// EffectiveDate is the day the cancellation (or pause) takes effect, "2006-01-02".
	EffectiveDate string `json:"effective_date"`
	// ValidUntil is the last day a credit can be used, "2006-01-02"; empty for other offers.
	ValidUntil string `json:"valid_until,omitempty"`
	// PauseMonths is the length of a pause; zero for other offers.
	PauseMonths int `json:"pause_months,omitempty"`
	// PolicyVersion is the version of the policy that produced the offer.
	PolicyVersion string `json:"policy_version"`
}

// Line is one row of an offer's breakdown: a label and a signed amount (deductions are negative).
type Line struct {
	Label  string `json:"label"`
	Amount Money  `json:"amount"`
}

// IsRefund reports whether accepting the offer sends money back to the card.
func (o Offer) IsRefund() bool { return o.Kind == OfferFullRefund || o.Kind == OfferPartialRefund }

// IsCredit reports whether accepting the offer grants a service credit.
func (o Offer) IsCredit() bool { return o.Kind == OfferServiceCredit || o.Kind == OfferSwitchService }

// BreakdownTotal adds the breakdown lines. For every offer made by Resolve it equals Amount.
func (o Offer) BreakdownTotal() Money {
	total := Money{Currency: o.Amount.Currency}
	for _, l := range o.Breakdown {
		total.Amount += l.Amount.Amount
	}
	return total
}

// OfferIDInSet is the ID of the n-th offer of a request's offer set number set after the first,
// "<requestId>-s<set>-<n>-<kind>": offers never change, so every set after the first (a staff
// adjustment, a re-proposal) needs new IDs, while the offers of earlier sets stay stored under theirs.
// The first set keeps Resolve's IDs ("<requestId>-<n>-<kind>").
func OfferIDInSet(requestID string, set, n int, kind OfferKind) string {
	return fmt.Sprintf("%s-s%d-%d-%s", requestID, set, n, kind)
}
