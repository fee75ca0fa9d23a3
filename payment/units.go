package payment

import (
	"fmt"

	"refundflow/refund"
)

// Unit is how a payment provider counts amounts of one currency in its API. The domain counts in the
// ISO 4217 minor unit (refund.Exponent); a provider may not: Stripe counts Icelandic krónur in
// hundredths although ISO 4217 gives ISK no decimals, counts Malagasy ariary whole although ISO 4217
// gives MGA two decimals, and takes three-decimal dinars only in multiples of ten. Every amount that
// crosses to a provider goes through ToProvider, and every amount a provider reports comes back
// through FromProvider, so the ledger and the provider always count the same money.
type Unit struct {
	// Currency is the ISO 4217 code.
	Currency string
	// Exponent is the number of decimals of the provider's unit: an amount of 1 at the provider is
	// 10^-Exponent of the currency's major unit.
	Exponent int
	// Multiple is what every amount sent to the provider must be a multiple of, in the provider's
	// unit; 1 means any whole amount.
	Multiple int64
}

// UnitFor returns how provider counts currency.
//
// Stripe ("stripe") follows its published rules (docs.stripe.com/currencies): BIF, CLP, DJF, GNF,
// JPY, KMF, KRW, MGA, PYG, RWF, UGX, VND, VUV, XAF, XOF and XPF are zero-decimal; BHD, JOD, KWD, OMR
// and TND are three-decimal and must end in 0; ISK is two-decimal in the API and must be a multiple
// of 100 (whole krónur); every other currency, HUF and TWD included (their rule of multiples of 100
// is for payouts, not for charges and refunds), is two-decimal.
//
// The sandbox ("sandbox") applies Stripe's rules on purpose: it stands in for Stripe in staging and
// on the local stack, so an amount Stripe would refuse is refused there too, and offers are rounded
// there exactly as in production. Any other provider gets the ISO 4217 minor unit, any amount.
func UnitFor(provider, currency string) Unit {
	// Orders store the provider that verified their payment, normalised; one stored before that was
	// checked may spell it otherwise ("Stripe"), and must still be rounded by its provider's rules.
	switch refund.NormalizeProvider(provider) {
	case providerStripe, providerSandbox:
		return stripeUnit(currency)
	}
	return Unit{Currency: currency, Exponent: refund.Exponent(currency), Multiple: 1}
}

// The provider names UnitFor knows; they equal stripepay.Provider and sandbox.Provider (a test keeps
// them equal), which this package cannot import.
const (
	providerStripe  = "stripe"
	providerSandbox = "sandbox"
)

// Stripe's currencies whose API unit is not the hundredth (docs.stripe.com/currencies).
var (
	stripeZeroDecimal = map[string]bool{
		"BIF": true, "CLP": true, "DJF": true, "GNF": true, "JPY": true, "KMF": true, "KRW": true, "MGA": true,
		"PYG": true, "RWF": true, "UGX": true, "VND": true, "VUV": true, "XAF": true, "XOF": true, "XPF": true,
	}
	stripeThreeDecimal = map[string]bool{"BHD": true, "JOD": true, "KWD": true, "OMR": true, "TND": true}
)

func stripeUnit(currency string) Unit {
	switch {
	case stripeZeroDecimal[currency]:
		return Unit{Currency: currency, Exponent: 0, Multiple: 1}
	case stripeThreeDecimal[currency]:
		return Unit{Currency: currency, Exponent: 3, Multiple: 10}
	case currency == "ISK":
		return Unit{Currency: currency, Exponent: 2, Multiple: 100}
	default:
		return Unit{Currency: currency, Exponent: 2, Multiple: 1}
	}
}

// RefundIncrement returns the step, in the ISO minor units of currency, of the amounts provider can
// refund: every refund must be a multiple of it. It is 1 for most currencies, 10 (one hundredth of a
// dinar) for Stripe's three-decimal currencies and 100 (one ariary) for MGA at Stripe. The policy
// rounds offers down to it (refund.Resolve's increment).
func RefundIncrement(provider, currency string) int64 {
	return UnitFor(provider, currency).Increment()
}

// shift returns how many decimals the provider's unit has more (positive) or fewer (negative) than the
// ISO minor unit, and 10 to the power of its absolute value.
func (u Unit) shift() (int, int64) {
	d := u.Exponent - refund.Exponent(u.Currency)
	p := int64(1)
	for i := 0; i < d || i < -d; i++ {
		p *= 10
	}
	return d, p
}

// Increment returns the smallest positive amount, in ISO minor units, that converts exactly to an
// amount the provider takes; the amounts that convert are exactly its multiples.
func (u Unit) Increment() int64 {
	m := max(u.Multiple, 1)
	d, p := u.shift()
	if d < 0 {
		// Only whole provider units convert, and then only multiples of m of them.
		return p * m
	}
	// amount·p must be a multiple of m.
	return m / gcd(m, p)
}

// ToProvider converts m to the provider's unit. It refuses an amount in another currency, a negative
// amount, and one the provider cannot represent exactly (not a multiple of Increment), so a refund is
// never silently rounded on its way out.
func (u Unit) ToProvider(m refund.Money) (int64, error) {
	switch {
	case m.Currency != u.Currency:
		return 0, fmt.Errorf("%s is not in %s", m, u.Currency)
	case m.Amount < 0 || m.Amount > refund.MaxAmount:
		return 0, fmt.Errorf("%s is out of range", m)
	case m.Amount%u.Increment() != 0:
		step := refund.Money{Amount: u.Increment(), Currency: u.Currency}
		return 0, fmt.Errorf("%s is not a multiple of %s, the smallest step the payment provider can refund in %s", m, step, u.Currency)
	}
	d, p := u.shift()
	if d < 0 {
		return m.Amount / p, nil
	}
	return m.Amount * p, nil
}

// FromProvider converts an amount the provider reports, in its unit, back to Money. It refuses a
// negative amount and one with a fraction of the ISO minor unit, which no refund the domain asked
// for can have.
func (u Unit) FromProvider(amount int64) (refund.Money, error) {
	d, p := u.shift()
	switch {
	case amount < 0:
		return refund.Money{}, fmt.Errorf("the provider reports a negative amount %d %s", amount, u.Currency)
	case d > 0 && amount%p != 0:
		return refund.Money{}, fmt.Errorf("the provider reports %d (10^-%d %s), a fraction of the currency's minor unit", amount, u.Exponent, u.Currency)
	case d < 0 && amount > refund.MaxAmount/p:
		return refund.Money{}, fmt.Errorf("the provider reports %d %s, above the largest amount", amount, u.Currency)
	case d > 0:
		return refund.Money{Amount: amount / p, Currency: u.Currency}, nil
	}
	return refund.Money{Amount: amount * p, Currency: u.Currency}, nil
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
