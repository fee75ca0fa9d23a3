package refund

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// OfferAdjustment is a member of staff's change to one offer of a request's current set, in a review.
type OfferAdjustment struct {
	// ID is the offer being adjusted.
	ID string `json:"id"`
	// Kind is the offer's kind; a refund may switch between full_refund and partial_refund (the
	// amount decides which), other kinds stay what they are. Empty keeps the offer's kind.
	Kind OfferKind `json:"kind"`
	// Amount is a decimal in the order's currency, e.g. "1234.50" (ParseMoney); empty is zero.
	Amount string `json:"amount"`
}

// AdjustOffers builds offer set number set from a member of staff's adjustments of the current set
// (current, on order): each adjusted offer gets a new ID (OfferIDInSet), and the old ones stay as they
// are; offers not listed are left out of the new set. A refund is more than zero, at most what
// remains on the order (paid − refunded) and a multiple of step, the smallest amount the payment's
// provider can refund (WithRefundIncrement; below 1 means 1), and it is a full refund exactly when it
// returns all that remains; a credit is more than zero and at most the larger of the credit offered
// and what remains; a pause or an end at the period's end has no amount. An adjusted amount gets its
// own breakdown line, so the breakdown still adds up to it, and the terms name the new amount.
//
// Mistakes are one CodeInvalid error with a message per field, named as in the review's JSON body
// ("offers[0].amount").
func AdjustOffers(current []Offer, order Order, adj []OfferAdjustment, step int64, set int) ([]Offer, error) {
	remaining := order.Remaining()
	errs := FieldErrors{}
	seen := map[string]bool{}
	var out []Offer
	for i, a := range adj {
		field := fmt.Sprintf("offers[%d]", i)
		idx := slices.IndexFunc(current, func(o Offer) bool { return o.ID == a.ID })
		if idx < 0 {
			errs[field+".id"] = "is not an offer of the current set"
			continue
		}
		if seen[a.ID] {
			errs[field+".id"] = "appears twice"
			continue
		}
		seen[a.ID] = true
		orig := current[idx]
		kind := a.Kind
		if kind == "" {
			kind = orig.Kind
		}
		isRefund := kind == OfferFullRefund || kind == OfferPartialRefund
		if kind != orig.Kind && !(isRefund && orig.IsRefund()) {
			errs[field+".kind"] = fmt.Sprintf("an offer of kind %s can only change its amount, not become %s", orig.Kind, kind)
			continue
		}
		amount := Money{Currency: orig.Amount.Currency}
		if amount.Currency == "" {
			amount.Currency = order.Currency
		}
		if s := strings.TrimSpace(a.Amount); s != "" {
			parsed, err := ParseMoney(s, amount.Currency)
			if err != nil {
				errs[field+".amount"] = fmt.Sprintf("must be an amount in %s such as 1234.50", amount.Currency)
				continue
			}
			amount = parsed
		}
		switch {
		case isRefund:
			if amount.Amount <= 0 || amount.Amount > remaining.Amount {
				errs[field+".amount"] = fmt.Sprintf("a refund must be more than zero and at most %s (paid minus already refunded)", remaining)
				continue
			}
			if msg := refundStepProblem(amount, step, remaining); msg != "" {
				errs[field+".amount"] = msg
				continue
			}
			kind = OfferPartialRefund
			if amount.Amount == remaining.Amount {
				kind = OfferFullRefund
			}
		case orig.IsCredit():
			limit := max(orig.Amount.Amount, remaining.Amount)
			if amount.Amount <= 0 || amount.Amount > limit {
				errs[field+".amount"] = fmt.Sprintf("a credit must be more than zero and at most %s", Money{Amount: limit, Currency: amount.Currency})
				continue
			}
		default:
			if amount.Amount != 0 {
				errs[field+".amount"] = fmt.Sprintf("an offer of kind %s has no amount", orig.Kind)
				continue
			}
		}
		o, err := adjustOffer(orig, kind, amount, set, len(out)+1)
		if err != nil {
			errs[field+".amount"] = err.Error()
			continue
		}
		out = append(out, o)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// refundStepProblem explains why amount cannot be refunded by a provider that refunds in steps of step
// minor units, naming the nearest amounts it can refund (above zero, at most remaining); "" if it can.
func refundStepProblem(amount Money, step int64, remaining Money) string {
	if step <= 1 || amount.Amount%step == 0 {
		return ""
	}
	below := amount.Amount - amount.Amount%step
	var near []string
	if below > 0 {
		near = append(near, Money{Amount: below, Currency: amount.Currency}.String())
	}
	if above := below + step; above <= remaining.Amount {
		near = append(near, Money{Amount: above, Currency: amount.Currency}.String())
	}
	msg := fmt.Sprintf("the payment provider refunds %s only in steps of %s", amount.Currency, Money{Amount: step, Currency: amount.Currency})
	if len(near) == 0 {
		return msg + ", and less than that remains"
	}
	return msg + "; the nearest amounts are " + strings.Join(near, " and ")
}

// adjustOffer returns a copy of orig with a new ID, kind and amount. The terms keep the policy's
// wording with the amount replaced; an offer whose terms do not name its amount exactly once cannot
// be adjusted this way.
func adjustOffer(orig Offer, kind OfferKind, amount Money, set, n int) (Offer, error) {
	o := orig
	o.ID = OfferIDInSet(orig.RequestID, set, n, kind)
	o.Kind = kind
	o.Breakdown = slices.Clone(orig.Breakdown)
	if amount.Amount != orig.Amount.Amount {
		old := orig.Amount.String()
		if strings.Count(orig.Terms, old) != 1 {
			return Offer{}, errors.New("this offer's terms cannot be adjusted automatically; reject and contact the client instead")
		}
		o.Terms = strings.Replace(orig.Terms, old, amount.String(), 1)
		o.Breakdown = append(o.Breakdown, Line{Label: "Adjusted by our team",
			Amount: Money{Amount: amount.Amount - orig.Amount.Amount, Currency: amount.Currency}})
		o.Amount = amount
	}
	if o.Breakdown == nil {
		o.Breakdown = []Line{}
	}
	return o, nil
}
