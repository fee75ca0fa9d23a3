package refund

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// MaxAmount is the largest amount, in minor units, that the domain accepts anywhere (10^12 minor units,
// i.e. 10 billion in a two-decimal currency). Bounding every amount keeps all intermediate products of
// the refund arithmetic far inside int64, so no rule can silently overflow.
const MaxAmount int64 = 1_000_000_000_000

// Money is an amount of money in integer minor units (cents for EUR) together with its ISO 4217 currency
// code. Floats are never used for money: every calculation in this package is integer arithmetic.
type Money struct {
	// Amount is the value in minor units of Currency. Breakdown lines may be negative (deductions);
	// offer amounts never are.
	Amount int64 `json:"amount"`
	// Currency is the upper-case ISO 4217 code, for example "EUR".
	Currency string `json:"currency"`
}

// zeroDecimalCurrencies and threeDecimalCurrencies list the ISO 4217 currencies whose minor unit is not
// the usual 1/100. Every other well-formed code is treated as having two decimals.
var (
	zeroDecimalCurrencies = map[string]bool{
		"BIF": true, "CLP": true, "DJF": true, "GNF": true, "ISK": true, "JPY": true, "KMF": true,
		"KRW": true, "PYG": true, "RWF": true, "UGX": true, "UYI": true, "VND": true, "VUV": true,
		"XAF": true, "XOF": true, "XPF": true,
	}
	threeDecimalCurrencies = map[string]bool{
		"BHD": true, "IQD": true, "JOD": true, "KWD": true, "LYD": true, "OMR": true, "TND": true,
	}
)

// ValidCurrency reports whether code is shaped like an ISO 4217 code: exactly three upper-case ASCII
// letters. It does not consult a list of live currencies, so a billing system can use a new code.
func ValidCurrency(code string) bool {
	if len(code) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if code[i] < 'A' || code[i] > 'Z' {
			return false
		}
	}
	return true
}

// Exponent returns the number of decimals of currency's minor unit: 0 for JPY and similar, 3 for the
// Gulf dinars and a few others, 2 for everything else.
func Exponent(currency string) int {
	switch {
	case zeroDecimalCurrencies[currency]:
		return 0
	case threeDecimalCurrencies[currency]:
		return 3
	default:
		return 2
	}
}

// pow10 returns 10^n for the small exponents used by currencies.
func pow10(n int) int64 {
	p := int64(1)
	for i := 0; i < n; i++ {
		p *= 10
	}
	return p
}

// MajorUnits converts a whole number of major units (for example 2000 euros) to Money in minor units.
func MajorUnits(major int64, currency string) Money {
	return Money{Amount: major * pow10(Exponent(currency)), Currency: currency}
}

// String formats m for people: the currency code, a space, the amount with "," thousands separators and
// the currency's decimals, for example "EUR 1,234.50", "JPY 1,200" or "EUR -300.00".
func (m Money) String() string {
	exp := Exponent(m.Currency)
	neg := m.Amount < 0
	// Negate in uint64 so that math.MinInt64 formats instead of overflowing.
	abs := uint64(m.Amount)
	if neg {
		abs = -abs
	}
	unit := uint64(pow10(exp))
	whole, frac := abs/unit, abs%unit

	digits := strconv.FormatUint(whole, 10)
	var b strings.Builder
	b.WriteString(m.Currency)
	b.WriteByte(' ')
	if neg {
		b.WriteByte('-')
	}
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	if exp > 0 {
		b.WriteByte('.')
		f := strconv.FormatUint(frac, 10)
		b.WriteString(strings.Repeat("0", exp-len(f)))
		b.WriteString(f)
	}
	return b.String()
}

// IsZero reports whether the amount is zero, whatever the currency.
func (m Money) IsZero() bool { return m.Amount == 0 }

// Add returns m + n. It refuses to add different currencies and refuses int64 overflow.
func (m Money) Add(n Money) (Money, error) {
	if m.Currency != n.Currency {
		return Money{}, fmt.Errorf("add %s to %s: currency mismatch", n.Currency, m.Currency)
	}
	s := m.Amount + n.Amount // Go integers wrap, so overflow shows as a sign change
	if (m.Amount >= 0) == (n.Amount >= 0) && (s >= 0) != (m.Amount >= 0) {
		return Money{}, fmt.Errorf("add %s to %s: overflow", n, m)
	}
	return Money{Amount: s, Currency: m.Currency}, nil
}

// Sub returns m − n. It refuses different currencies and overflow, like Add.
func (m Money) Sub(n Money) (Money, error) {
	if m.Currency != n.Currency {
		return Money{}, fmt.Errorf("subtract %s from %s: currency mismatch", n.Currency, m.Currency)
	}
	d := m.Amount - n.Amount
	if (m.Amount >= 0) != (n.Amount >= 0) && (d >= 0) != (m.Amount >= 0) {
		return Money{}, fmt.Errorf("subtract %s from %s: overflow", n, m)
	}
	return Money{Amount: d, Currency: m.Currency}, nil
}

// ParseMoney reads a non-negative amount typed by a person or sent by a system, such as "1234.50",
// "1,234.50" or "EUR 1,234.50", into minor units of currency. It is strict on purpose: no exponents, no
// signs, no more decimals than the currency has, thousands separators only in groups of three, at most
// MaxAmount minor units, and a currency prefix (if any) must equal currency. Fewer decimals are fine
// ("12.5" is 12.50). The output of Money.String for a non-negative amount always parses back.
func ParseMoney(s, currency string) (Money, error) {
	if !ValidCurrency(currency) {
		return Money{}, fmt.Errorf("parse amount %q: invalid currency code %q", s, currency)
	}
	in := strings.TrimSpace(s)
	if prefix, rest, ok := strings.Cut(in, " "); ok {
		if prefix != currency {
			return Money{}, fmt.Errorf("parse amount %q: expected currency %s", s, currency)
		}
		in = strings.TrimSpace(rest)
	}
	if in == "" {
		return Money{}, fmt.Errorf("parse amount %q: empty", s)
	}
	whole, frac, hasDot := strings.Cut(in, ".")
	exp := Exponent(currency)
	if hasDot && (frac == "" || len(frac) > exp) {
		if exp == 0 {
			return Money{}, fmt.Errorf("parse amount %q: %s has no decimals", s, currency)
		}
		return Money{}, fmt.Errorf("parse amount %q: use 1 to %d decimals", s, exp)
	}
	if strings.Contains(whole, ",") {
		groups := strings.Split(whole, ",")
		if len(groups[0]) < 1 || len(groups[0]) > 3 {
			return Money{}, fmt.Errorf("parse amount %q: misplaced thousands separator", s)
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return Money{}, fmt.Errorf("parse amount %q: misplaced thousands separator", s)
			}
		}
		whole = strings.Join(groups, "")
	}
	if whole == "" || !allDigits(whole) || !allDigits(frac) {
		return Money{}, fmt.Errorf("parse amount %q: not a plain decimal number", s)
	}
	frac += strings.Repeat("0", exp-len(frac))
	// Both parts are bounded before multiplying so the check below cannot itself overflow.
	if len(strings.TrimLeft(whole, "0")) > 13 {
		return Money{}, fmt.Errorf("parse amount %q: larger than the maximum %s", s, Money{MaxAmount, currency})
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return Money{}, fmt.Errorf("parse amount %q: %w", s, err)
	}
	var f int64
	if frac != "" {
		if f, err = strconv.ParseInt(frac, 10, 64); err != nil {
			return Money{}, fmt.Errorf("parse amount %q: %w", s, err)
		}
	}
	amount := w*pow10(exp) + f
	if amount > MaxAmount {
		return Money{}, fmt.Errorf("parse amount %q: larger than the maximum %s", s, Money{MaxAmount, currency})
	}
	return Money{Amount: amount, Currency: currency}, nil
}

// allDigits reports whether s consists only of ASCII digits (true for "").
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// mulDiv returns floor(a·b / c) for non-negative a, b and positive c, computed with a 128-bit
// intermediate product so that it cannot overflow. ok is false if an argument is out of range or the
// quotient does not fit in int64.
func mulDiv(a, b, c int64) (q int64, ok bool) {
	if a < 0 || b < 0 || c <= 0 {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return 0, false
	}
	quo, _ := bits.Div64(hi, lo, uint64(c))
	if quo > 1<<63-1 {
		return 0, false
	}
	return int64(quo), true
}

// ValidPositive reports whether m is an amount money can move in: more than zero, at most MaxAmount,
// in a well-formed currency.
func (m Money) ValidPositive() bool {
	return m.Amount > 0 && m.Amount <= MaxAmount && ValidCurrency(m.Currency)
}
