package refund

import (
	"fmt"
	"sort"
	"strings"
)

// PaymentFacts is what the payment provider reports about a card payment. The order route reads them
// when the billing system sends an order, checks the order against them (CheckPayment) and stores
// them in place of what the billing system claims about the payment, so refunds are only ever offered
// against money the provider actually holds.
type PaymentFacts struct {
	// Provider names the provider that reported them ("stripe", "sandbox").
	Provider string
	// Reference is the payment's reference at the provider (a Stripe PaymentIntent id).
	Reference string
	// Captured reports that the money was taken (at Stripe: the PaymentIntent succeeded and its charge
	// is captured); an authorisation that was never captured cannot be refunded.
	Captured bool
	// Amount is what the provider captured (what it authorised, if nothing was captured), in the ISO
	// 4217 minor units of its currency: the provider's own unit converted (payment.Unit).
	Amount Money
	// Refunded is what the provider has refunded of the payment so far, in the same minor units.
	Refunded int64
	// ThreeDSecure reports that the card payment was 3-D Secure authenticated (at Stripe: the charge's
	// payment_method_details.card.three_d_secure.result is "authenticated").
	ThreeDSecure bool
	// CardLast4 is the last four digits of the card; "" if the provider gave none.
	CardLast4 string
}

// Payment returns the facts as the order's payment record.
func (f PaymentFacts) Payment() Payment {
	return Payment{Provider: f.Provider, Reference: f.Reference, CardHint: f.CardLast4, ThreeDSecure: f.ThreeDSecure, Captured: f.Captured}
}

// NormalizeProvider returns a provider name as orders store it: trimmed and lower-case, so that
// "Stripe" and " sandbox" name the providers whose refund rules they mean.
func NormalizeProvider(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// CheckPayment checks the order against its payment's facts and returns an *Error with
// CodeUnprocessable, a message naming every field that disagrees and one message per such field, or
// nil:
//
//   - payment.provider: named, it must be the provider that reported the facts (after
//     NormalizeProvider); left out, that provider is recorded;
//   - payment.captured: the money must have been taken;
//   - currency and paid: the order's currency and paid amount must be what the provider captured;
//   - payment.three_d_secure: the card payment must have been 3-D Secure authenticated;
//   - payment.reference: the provider must not have refunded more of the payment than the order's
//     ledger records (ledgerRefunded: the order's refunded for a new order, the stored ledger's for
//     an update), so a payment already refunded in full at the provider never comes in as an order
//     with money left to refund.
func (o Order) CheckPayment(f PaymentFacts, ledgerRefunded int64) error {
	errs := FieldErrors{}
	if p := NormalizeProvider(o.Payment.Provider); p != "" && p != f.Provider {
		errs["payment.provider"] = fmt.Sprintf("must be %q, the payment provider that holds this payment (or be left out)", f.Provider)
	}
	if !f.Captured {
		errs["payment.captured"] = "the payment provider reports this payment as not captured: only money actually taken can be refunded"
	}
	switch {
	case f.Amount.Currency != o.Currency:
		errs["currency"] = fmt.Sprintf("must be %s, the currency of the payment at the payment provider", f.Amount.Currency)
	case f.Amount.Amount != o.Paid:
		errs["paid"] = fmt.Sprintf("must be %d (%s), what the payment provider captured", f.Amount.Amount, f.Amount)
	}
	if !f.ThreeDSecure {
		errs["payment.three_d_secure"] = "the payment provider reports no 3-D Secure authentication of this card payment; refunds go only to payments taken with 3-D Secure"
	}
	switch refunded := (Money{Amount: f.Refunded, Currency: f.Amount.Currency}); {
	case f.Refunded <= ledgerRefunded:
	case f.Refunded >= f.Amount.Amount:
		errs["payment.reference"] = fmt.Sprintf("the payment was already refunded in full (%s) at the payment provider; there is nothing left to refund to it", refunded)
	default:
		errs["payment.reference"] = fmt.Sprintf("the payment provider has already refunded %s of this payment, more than the order's refunded (%s) records",
			refunded, Money{Amount: ledgerRefunded, Currency: f.Amount.Currency})
	}
	if len(errs) == 0 {
		return nil
	}
	names := make([]string, 0, len(errs))
	for k := range errs {
		names = append(names, k)
	}
	sort.Strings(names)
	return &Error{Code: CodeUnprocessable, Fields: errs,
		Message: fmt.Sprintf("The order does not agree with its payment %s at the payment provider (%s): %s.", f.Reference, f.Provider, strings.Join(names, ", "))}
}
