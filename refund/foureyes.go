package refund

import (
	"fmt"
	"strings"
	"time"
)

// Proposal is a staff review decision that moves more money than one member of staff may move alone
// (the four-eyes limit): one member of staff proposes it, a different one confirms it, and only the
// confirmation sends the offers to the client. It is kept on the request record and is valid only
// while the request is still at Version: any change of the request since (a new offer set, a status
// change, the other decision) makes it stale, so a confirmation never applies a proposal to a request
// its proposer did not see.
type Proposal struct {
	// Actor is who proposed, "staff:<sub>"; the confirmer must be someone else.
	Actor string `json:"actor"`
	// Decision is "approve" or "adjust".
	Decision string `json:"decision"`
	// Offers is the offer set the confirmation makes current: the adjusted offers for adjust, none for
	// approve (the current set stays).
	Offers []Offer `json:"offers,omitempty"`
	// OfferSet is the number of the adjusted set (0 for approve).
	OfferSet int `json:"offer_set,omitempty"`
	// Amount is the largest sum of money the decision lets the client receive (a refund or a credit).
	Amount Money `json:"amount"`
	// Message is the proposer's note, kept in the audit trail.
	Message string `json:"message,omitempty"`
	// Version is the request's version the proposal was made on.
	Version int64 `json:"version"`
	// At is when it was proposed.
	At time.Time `json:"at"`
}

// PendingProposal returns the request's proposal while it still applies (the request has not changed
// since it was made), and false otherwise.
func (r RequestRecord) PendingProposal() (Proposal, bool) {
	if r.Proposal == nil || r.Status != StatusInReview || r.Proposal.Version != r.Version {
		return Proposal{}, false
	}
	return *r.Proposal, true
}

// MoneyMoved returns the largest amount of money one of the offers lets the client receive: the
// biggest refund or credit. Pauses and cancellations at period end move none.
func MoneyMoved(offers []Offer, currency string) Money {
	out := Money{Currency: currency}
	for _, o := range offers {
		if (o.IsRefund() || o.IsCredit()) && o.Amount.Amount > out.Amount {
			out = o.Amount
		}
	}
	return out
}

// NeedsSecondStaff reports whether a decision that lets the client receive amount needs a second
// member of staff: amount is above limits[currency]. A currency without a limit always needs one, so
// a missing setting errs on the side of two people.
func NeedsSecondStaff(amount Money, limits map[string]int64) bool {
	limit, ok := limits[amount.Currency]
	return !ok || amount.Amount > limit
}

// FourEyesLimits returns the policy's review thresholds as four-eyes limits in minor units, the
// default when no other limit is configured.
func (p Policy) FourEyesLimits() map[string]int64 {
	out := make(map[string]int64, len(p.Review.RefundAboveMajorUnits))
	for cur := range p.Review.RefundAboveMajorUnits {
		m, _ := p.ReviewThreshold(cur)
		out[cur] = m.Amount
	}
	return out
}

// ParseFourEyesLimits reads four-eyes limits written as "EUR 2000.00, USD 2500.00" (a currency and
// an amount in major units, comma-separated) into minor units per currency. "" and "policy" give
// nil: the policy's review thresholds apply.
func ParseFourEyesLimits(s string) (map[string]int64, error) {
	if s = strings.TrimSpace(s); s == "" || strings.EqualFold(s, "policy") {
		return nil, nil
	}
	out := map[string]int64{}
	for _, part := range strings.Split(s, ",") {
		f := strings.Fields(part)
		if len(f) != 2 {
			return nil, fmt.Errorf("four-eyes limit %q: want a currency and an amount, e.g. \"EUR 2000.00\"", strings.TrimSpace(part))
		}
		m, err := ParseMoney(f[1], strings.ToUpper(f[0]))
		if err != nil {
			return nil, fmt.Errorf("four-eyes limit %q: %w", strings.TrimSpace(part), err)
		}
		if _, dup := out[m.Currency]; dup {
			return nil, fmt.Errorf("four-eyes limit for %s given twice", m.Currency)
		}
		out[m.Currency] = m.Amount
	}
	return out, nil
}
