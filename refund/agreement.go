package refund

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// AgreementFormat names the layout of the canonical encoding hashed by AgreementHash. Changing the
// encoding means a new format name, so old hashes stay verifiable by old code.
const AgreementFormat = "refundflow-agreement-v1"

// terms writes the offer's one-paragraph statement of what the client gets: where the money goes and
// when, or what credit, pause or end date they get.
func terms(p Policy, order Order, o Offer) string {
	switch o.Kind {
	case OfferFullRefund, OfferPartialRefund:
		return fmt.Sprintf("%s will be refunded to %s, %s. Refunds go back to the original payment only.",
			o.Amount, cardPhrase(order.Payment), p.RefundTiming)
	case OfferServiceCredit:
		return fmt.Sprintf("A service credit of %s is granted to %s for any of our services, usable until %s inclusive. The credit is not paid out in money and nothing is refunded to the card.",
			o.Amount, order.CustomerName, o.ValidUntil)
	case OfferSwitchService:
		return fmt.Sprintf("A credit of %s is applied to another of our services, chosen together with our team, usable until %s inclusive. The credit is not paid out in money and nothing is refunded to the card.",
			o.Amount, o.ValidUntil)
	case OfferPause:
		from, err := ParseDate(o.EffectiveDate)
		if err != nil {
			return ""
		}
		return fmt.Sprintf("The support subscription is paused for %d %s from %s and resumes automatically on %s. Nothing is charged during the pause and nothing is refunded.",
			o.PauseMonths, plural(o.PauseMonths, "month", "months"), o.EffectiveDate, FormatDate(AddMonths(from, o.PauseMonths)))
	case OfferCancelAtPeriodEnd:
		return fmt.Sprintf("The support subscription continues until the end of the paid period on %s and then ends. Nothing more is charged and nothing is refunded.", o.EffectiveDate)
	}
	return ""
}

// cardPhrase names the card a refund goes to, from what the order record knows about it.
func cardPhrase(pay Payment) string {
	card := "the card"
	if pay.CardHint != "" {
		card = "the card ending " + pay.CardHint
	}
	if pay.ThreeDSecure {
		return card + " used for the original 3-D Secure payment"
	}
	return card + " used for the original payment"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// cancelled says what the offer cancels (or keeps) and from when, in one or two sentences.
func cancelled(order Order, o Offer) string {
	svc := fmt.Sprintf("The %s on order %s", order.Service.Type.Label(), order.Number)
	switch o.Kind {
	case OfferPause:
		return "Nothing is cancelled. " + svc + " is paused as described below."
	case OfferCancelAtPeriodEnd:
		return svc + " ends after " + o.EffectiveDate + ", the last day of the paid period. There are no further charges after that."
	}
	switch order.Service.Type {
	case ServiceProject:
		return svc + " is cancelled from " + o.EffectiveDate + ". Milestones not yet delivered will not be carried out."
	case ServiceSubscription:
		return svc + " ends on " + o.EffectiveDate + ". There are no further charges."
	case ServiceHours:
		if h := order.Service.Hours; h != nil && h.Used > 0 {
			return fmt.Sprintf("The %d unused of %d prepaid consulting hours on order %s are cancelled from %s.",
				h.Purchased-h.Used, h.Purchased, order.Number, o.EffectiveDate)
		}
		return svc + " are cancelled from " + o.EffectiveDate + "."
	}
	return svc + " is cancelled from " + o.EffectiveDate + "."
}

// Agreement renders the plain-text agreement the client accepts for an offer: who, which order, what is
// cancelled and from when, the amount and how it was calculated, where the money goes (or what credit,
// pause or end date is granted), and the policy version. It reads no clock: every date comes from the
// order and the offer, so the same inputs always give the same text, byte for byte.
func Agreement(order Order, req Request, offer Offer) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	w("AGREEMENT ON YOUR %s REQUEST\n\n", strings.ToUpper(string(req.Kind)))
	w("Customer:  %s\n", order.CustomerName)
	w("Order:     %s, %s, bought on %s, paid %s\n", order.Number, order.Service.Type.Label(), order.PurchaseDate, Money{order.Paid, order.Currency})
	w("Request:   %s (%s: %s)\n", req.ID, req.Kind, req.Reason.Label())
	w("Option:    %s (offer %s)\n\n", offer.Kind.Label(), offer.ID)

	w("WHAT IS CANCELLED\n%s\n\n", cancelled(order, offer))

	switch {
	case offer.IsRefund():
		w("AMOUNT REFUNDED: %s\n", offer.Amount)
	case offer.IsCredit():
		w("CREDIT GRANTED: %s\n", offer.Amount)
	default:
		w("AMOUNT: nothing is refunded and nothing more is charged\n")
	}
	if len(offer.Breakdown) > 0 {
		w("How it was calculated:\n")
		width := 0
		for _, l := range offer.Breakdown {
			width = max(width, utf8.RuneCountInString(l.Label))
		}
		for _, l := range append(offer.Breakdown, Line{Label: "Total", Amount: offer.Amount}) {
			w("  %s%s  %20s\n", l.Label, strings.Repeat(" ", width-utf8.RuneCountInString(l.Label)), l.Amount)
		}
	}
	w("\n")

	switch {
	case offer.IsRefund():
		w("WHERE THE MONEY GOES\n")
	case offer.IsCredit():
		w("THE CREDIT\n")
	default:
		w("WHAT HAPPENS\n")
	}
	w("%s\n\n", offer.Terms)

	w("POLICY\nThis offer was calculated under refund policy %s.\n\n", offer.PolicyVersion)
	w("CONSENT\nBy typing your name and choosing \"Accept\", you, %s, accept this option as the settlement of request %s for order %s. Nothing else on the order changes.\n",
		order.CustomerName, req.ID, order.Number)
	return b.String()
}

// canonicalAgreement is the fixed-order structure that AgreementHash encodes. Struct fields encode in
// declaration order, so the encoding is canonical without sorting.
type canonicalAgreement struct {
	Format string `json:"format"`
	Offer  Offer  `json:"offer"`
	Text   string `json:"text"`
}

// CanonicalJSON returns the canonical encoding of an offer and its agreement text that AgreementHash
// hashes. An empty breakdown encodes as [] whether it is nil or empty, so an offer survives a storage
// round trip with the same hash.
func CanonicalJSON(offer Offer, text string) []byte {
	if offer.Breakdown == nil {
		offer.Breakdown = []Line{}
	}
	data, err := json.Marshal(canonicalAgreement{Format: AgreementFormat, Offer: offer, Text: text})
	if err != nil {
		// Offer holds only strings, integers and slices of them; Marshal cannot fail on it.
		panic(fmt.Sprintf("refund: encode offer %s: %v", offer.ID, err))
	}
	return data
}

// AgreementHash returns the hex SHA-256 of CanonicalJSON(offer, text). Consent carries this hash, and
// execution recomputes it, so a change to the amount, currency, order, offer kind, breakdown, dates or
// text after the client saw the offer is detected.
func AgreementHash(offer Offer, text string) string {
	sum := sha256.Sum256(CanonicalJSON(offer, text))
	return hex.EncodeToString(sum[:])
}
