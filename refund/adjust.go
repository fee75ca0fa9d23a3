package refund

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// OfferAdjustment is a member of staff's change to one offer of a request's current set, in a review,
// or a goodwill offer they add.
type OfferAdjustment struct {
	// ID is the offer being adjusted; empty for a goodwill offer.
	ID string `json:"id,omitempty"`
	// Goodwill marks a new offer the policy did not make (a refund or a credit), which staff may add
	// when the current set offers no money: it is empty, or has only a pause or an end at the
	// period's end.
	Goodwill bool `json:"goodwill,omitempty"`
	// Kind is the offer's kind; a refund may switch between full_refund and partial_refund (the
	// amount decides which), other kinds stay what they are. Empty keeps the offer's kind. A goodwill
	// offer names its kind: full_refund or partial_refund (the amount decides which), or
	// service_credit.
	Kind OfferKind `json:"kind,omitempty"`
	// Amount is a decimal in the order's currency, e.g. "1234.50" (ParseMoney); empty is zero.
	Amount string `json:"amount,omitempty"`
}

// ReviewCase is a request in staff review as AdjustOffers sees it.
type ReviewCase struct {
	// Policy words goodwill offers (the refund timing, how long a credit lasts) and gives them its
	// version.
	Policy Policy
	// Request is the request in review; goodwill offers take effect from its submission day, like
	// the policy's offers.
	Request Request
	// Order is the request's order as it is stored now.
	Order Order
	// Current is the request's current offer set, possibly empty.
	Current []Offer
	// Step is the smallest amount the payment's provider can refund, and the step of all it can
	// refund (WithRefundIncrement); below 1 means 1.
	Step int64
	// Set is the number of the new set.
	Set int
}

// goodwillLabel is the breakdown line of a goodwill offer.
const goodwillLabel = "Goodwill offer by our team"

// AdjustOffers builds offer set number c.Set from a member of staff's adjustments of the current set:
// each adjusted offer gets a new ID (OfferIDInSet), and the old ones stay as they are; offers not
// listed are left out of the new set. A refund is more than zero, at most what remains on the order
// (paid − refunded) and a multiple of c.Step, and it is a full refund exactly when it returns all that
// remains; a credit is more than zero and at most the larger of the credit offered and what remains;
// a pause or an end at the period's end has no amount. An adjusted amount gets its own breakdown
// line, so the breakdown still adds up to it, and the terms name the new amount.
//
// When the current set offers no money (it is empty, or has only a pause or an end at the period's
// end: the policy gave nothing), staff may add goodwill offers instead: at most one refund (more
// than zero, at most what remains, a multiple of c.Step; full or partial by the amount) and at most
// one service credit (more than zero, at most what remains, valid as long as the policy's credits for
// the order's service). A goodwill offer has one breakdown line ("Goodwill offer by our team"), the
// policy's terms for its kind, and takes effect from the request's submission day.
//
// Mistakes are one CodeInvalid error with a message per field, named as in the review's JSON body
// ("offers[0].amount").
func AdjustOffers(c ReviewCase, adj []OfferAdjustment) ([]Offer, error) {
	remaining := c.Order.Remaining()
	errs := FieldErrors{}
	seen := map[string]bool{}
	goodwill := map[bool]bool{} // by IsRefund: one goodwill refund and one goodwill credit at most
	var out []Offer
	for i, a := range adj {
		field := fmt.Sprintf("offers[%d]", i)
		if a.Goodwill {
			o, fields := c.goodwill(a, field, remaining, goodwill, len(out)+1)
			if len(fields) > 0 {
				maps.Copy(errs, fields)
				continue
			}
			out = append(out, o)
			continue
		}
		idx := slices.IndexFunc(c.Current, func(o Offer) bool { return o.ID == a.ID })
		switch {
		case a.ID == "":
			errs[field+".id"] = "name an offer of the current set, or send goodwill: true for a new goodwill offer"
			continue
		case idx < 0:
			errs[field+".id"] = "is not an offer of the current set"
			continue
		case seen[a.ID]:
			errs[field+".id"] = "appears twice"
			continue
		}
		seen[a.ID] = true
		orig := c.Current[idx]
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
			amount.Currency = c.Order.Currency
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
			if msg := refundAmountProblem(amount, c.Step, remaining); msg != "" {
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
		o, err := adjustOffer(orig, kind, amount, c.Set, len(out)+1)
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

// refundAmountProblem explains why a refund of amount cannot be offered on an order with remaining
// left to refund, by a provider that refunds in steps of step; "" if it can.
func refundAmountProblem(amount Money, step int64, remaining Money) string {
	if amount.Amount <= 0 || amount.Amount > remaining.Amount {
		return fmt.Sprintf("a refund must be more than zero and at most %s (paid minus already refunded)", remaining)
	}
	return refundStepProblem(amount, step, remaining)
}

// goodwill checks a goodwill offer (the adjustment at field, the n-th offer of the new set) and
// builds it; made records the kinds already added (true: a refund, false: a credit). It returns the
// offer, or the field errors.
func (c ReviewCase) goodwill(a OfferAdjustment, field string, remaining Money, made map[bool]bool, n int) (Offer, FieldErrors) {
	errs := FieldErrors{}
	if slices.ContainsFunc(c.Current, func(o Offer) bool { return o.IsRefund() || o.IsCredit() }) {
		errs[field+".goodwill"] = "the current offers include a refund or a credit; adjust its amount instead"
		return Offer{}, errs
	}
	if a.ID != "" {
		errs[field+".id"] = "a goodwill offer is new: leave out the id"
	}
	isRefund := a.Kind == OfferFullRefund || a.Kind == OfferPartialRefund
	switch {
	case !isRefund && a.Kind != OfferServiceCredit:
		errs[field+".kind"] = "a goodwill offer is a full_refund, a partial_refund or a service_credit"
	case made[isRefund]:
		errs[field+".kind"] = "one goodwill refund and one goodwill credit at most"
	}
	amount, err := ParseMoney(strings.TrimSpace(a.Amount), c.Order.Currency)
	if err != nil {
		errs[field+".amount"] = fmt.Sprintf("must be an amount in %s such as 1234.50", c.Order.Currency)
	}
	if len(errs) > 0 {
		return Offer{}, errs
	}
	made[isRefund] = true

	day := Day(c.Request.CreatedAt)
	if purchased, err := ParseDate(c.Order.PurchaseDate); err == nil && purchased.After(day) {
		day = purchased // bought "tomorrow" in UTC: today on the client's calendar, as Resolve counts
	}
	o := Offer{RequestID: c.Request.ID, OrderNumber: c.Order.Number, Amount: amount,
		Breakdown: []Line{{Label: goodwillLabel, Amount: amount}}, EffectiveDate: FormatDate(day), PolicyVersion: c.Policy.Version}
	if isRefund {
		if msg := refundAmountProblem(amount, c.Step, remaining); msg != "" {
			errs[field+".amount"] = msg
			return Offer{}, errs
		}
		o.Kind = OfferPartialRefund
		if amount.Amount == remaining.Amount {
			o.Kind = OfferFullRefund
		}
	} else {
		if amount.Amount <= 0 || amount.Amount > remaining.Amount {
			errs[field+".amount"] = fmt.Sprintf("a goodwill credit must be more than zero and at most %s (paid minus already refunded)", remaining)
			return Offer{}, errs
		}
		months := c.Policy.creditValidMonths(c.Order.Service.Type)
		if months <= 0 {
			errs[field+".kind"] = "the policy sets no validity for credits on this service; offer a refund"
			return Offer{}, errs
		}
		o.Kind = OfferServiceCredit
		o.ValidUntil = FormatDate(AddMonths(day, months))
	}
	o.ID = OfferIDInSet(c.Request.ID, c.Set, n, o.Kind)
	o.Terms = terms(c.Policy, c.Order, o)
	return o, nil
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
