package ddblocal

import (
	"math/big"
	"strconv"
	"strings"
)

// DynamoDB numbers are decimals of up to 38 significant digits, positive or negative magnitudes from
// 1E-130 to 9.9999999999999999999999999999999999999E+125, stored and compared exactly (never as
// floats: money here is integer minor units, and an emulator that rounds would hide real bugs).
//
// A number is kept in its canonical text: no exponent, no leading zeros, no trailing fractional
// zeros, no "+" and no "-0" ("1.50" and "15E-1" both become "1.5"), which is also how DynamoDB
// returns numbers. Canonical texts compare with compareNumbers without parsing into big numbers.

const (
	maxDigits = 38
	// With the value written as 0.D × 10^E (D's first digit not zero), E must lie in
	// [minExp, maxExp]: 1E-130 = 0.1E-129 and 9.99…E+125 < 0.1E+127.
	minExp = -129
	maxExp = 126
)

// decimal is a parsed number: (-1)^neg × 0.digits × 10^exp, digits without leading or trailing
// zeros; zero has no digits.
type decimal struct {
	neg    bool
	digits string
	exp    int
}

// parseNumber validates a number as DynamoDB does and returns its canonical text, or a
// ValidationException with DynamoDB's wording.
func parseNumber(s string) (string, error) {
	d, err := parseDecimal(s)
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

func parseDecimal(s string) (decimal, error) {
	bad := validationf("The parameter cannot be converted to a numeric value: %s", s)
	var d decimal
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		d.neg = s[i] == '-'
		i++
	}
	var intPart, fracPart string
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intPart = s[start:i]
	if i < len(s) && s[i] == '.' {
		i++
		start = i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		fracPart = s[start:i]
	}
	if intPart == "" && fracPart == "" {
		return d, bad
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		start = i
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		digitsStart := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == digitsStart || i-digitsStart > 6 {
			return d, bad
		}
		e, err := strconv.Atoi(s[start:i])
		if err != nil {
			return d, bad
		}
		exp = e
	}
	if i != len(s) {
		return d, bad
	}
	all := intPart + fracPart
	lead := 0
	for lead < len(all) && all[lead] == '0' {
		lead++
	}
	all = all[lead:]
	if all == "" {
		return decimal{}, nil // zero, whatever its sign or exponent
	}
	// 0.all × 10^(len(intPart)-lead+exp)
	d.exp = len(intPart) - lead + exp
	d.digits = strings.TrimRight(all, "0")
	if len(d.digits) > maxDigits {
		return d, validationf("Attempting to store more than 38 significant digits in a Number")
	}
	if d.exp > maxExp {
		return d, validationf("Number overflow. Attempting to store a number with magnitude larger than supported range")
	}
	if d.exp < minExp {
		return d, validationf("Number underflow. Attempting to store a number with magnitude smaller than supported range")
	}
	return d, nil
}

// String returns the canonical text.
func (d decimal) String() string {
	if d.digits == "" {
		return "0"
	}
	var b strings.Builder
	if d.neg {
		b.WriteByte('-')
	}
	switch {
	case d.exp <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -d.exp))
		b.WriteString(d.digits)
	case d.exp >= len(d.digits):
		b.WriteString(d.digits)
		b.WriteString(strings.Repeat("0", d.exp-len(d.digits)))
	default:
		b.WriteString(d.digits[:d.exp])
		b.WriteByte('.')
		b.WriteString(d.digits[d.exp:])
	}
	return b.String()
}

// compareNumbers compares two canonical number texts: -1, 0 or +1.
func compareNumbers(a, b string) int {
	if a == b {
		return 0
	}
	da, _ := parseDecimal(a)
	db, _ := parseDecimal(b)
	return compareDecimals(da, db)
}

func compareDecimals(a, b decimal) int {
	sign := func(d decimal) int {
		switch {
		case d.digits == "":
			return 0
		case d.neg:
			return -1
		}
		return 1
	}
	sa, sb := sign(a), sign(b)
	if sa != sb {
		if sa < sb {
			return -1
		}
		return 1
	}
	if sa == 0 {
		return 0
	}
	c := 0
	switch {
	case a.exp != b.exp:
		c = 1
		if a.exp < b.exp {
			c = -1
		}
	default:
		c = strings.Compare(a.digits, b.digits) // no trailing zeros: plain string order is numeric
	}
	return c * sa
}

// rat returns the exact value.
func (d decimal) rat() *big.Rat {
	r, _ := new(big.Rat).SetString(d.String())
	return r
}

// addNumbers returns a+b (sub: a-b) in canonical text, or DynamoDB's error when the result does not
// fit a Number.
func addNumbers(a, b string, sub bool) (string, error) {
	da, err := parseDecimal(a)
	if err != nil {
		return "", err
	}
	db, err := parseDecimal(b)
	if err != nil {
		return "", err
	}
	x, y := da.rat(), db.rat()
	if sub {
		x.Sub(x, y)
	} else {
		x.Add(x, y)
	}
	// Decimals have power-of-ten denominators; enough fractional digits for both operands is exact.
	frac := max(len(da.digits)-da.exp, len(db.digits)-db.exp, 0)
	return parseNumber(x.FloatString(frac))
}
