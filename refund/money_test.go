package refund

import (
	"math"
	"math/big"
	"testing"

	"pgregory.net/rapid"
)

func TestMoneyString(t *testing.T) {
	tests := []struct {
		m    Money
		want string
	}{
		{Money{0, "EUR"}, "EUR 0.00"},
		{Money{5, "EUR"}, "EUR 0.05"},
		{Money{123450, "EUR"}, "EUR 1,234.50"},
		{Money{100000000, "USD"}, "USD 1,000,000.00"},
		{Money{-30000, "EUR"}, "EUR -300.00"},
		{Money{1200, "JPY"}, "JPY 1,200"},
		{Money{999, "JPY"}, "JPY 999"},
		{Money{1234567, "KWD"}, "KWD 1,234.567"},
		{Money{7, "BHD"}, "BHD 0.007"},
		{Money{MaxAmount, "EUR"}, "EUR 10,000,000,000.00"},
		{Money{math.MinInt64, "EUR"}, "EUR -92,233,720,368,547,758.08"},
		{Money{math.MaxInt64, "JPY"}, "JPY 9,223,372,036,854,775,807"},
	}
	for _, tc := range tests {
		if got, want := tc.m.String(), tc.want; got != want {
			t.Errorf("%#v.String() = %q, want %q", tc.m, got, want)
		}
	}
}

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in, currency string
		want         int64
		ok           bool
	}{
		{"1234.50", "EUR", 123450, true},
		{"1234.5", "EUR", 123450, true},
		{"1234", "EUR", 123400, true},
		{" 0.01 ", "EUR", 1, true},
		{"1,234.50", "EUR", 123450, true},
		{"EUR 1,234.50", "EUR", 123450, true},
		{"1,000,000", "EUR", 100000000, true},
		{"1200", "JPY", 1200, true},
		{"1.234", "KWD", 1234, true},
		{"10000000000.00", "EUR", MaxAmount, true},
		{"000012.30", "EUR", 1230, true},
		{"10000000000.01", "EUR", 0, false}, // above MaxAmount
		{"99999999999999999999", "EUR", 0, false},
		{"1.234", "EUR", 0, false},       // too many decimals
		{"12.", "EUR", 0, false},         // dot without decimals
		{".5", "EUR", 0, false},          // no whole part
		{"12.5", "JPY", 0, false},        // JPY has no decimals
		{"-1.00", "EUR", 0, false},       // negative
		{"+1.00", "EUR", 0, false},       // sign
		{"1e3", "EUR", 0, false},         // exponent
		{"1,23.00", "EUR", 0, false},     // bad grouping
		{"1234,567.00", "EUR", 0, false}, // bad grouping
		{",123", "EUR", 0, false},
		{"USD 1.00", "EUR", 0, false}, // wrong currency prefix
		{"", "EUR", 0, false},
		{"1.00", "eur", 0, false}, // bad currency code
		{"1 000", "EUR", 0, false},
		{"١٢٣", "EUR", 0, false}, // non-ASCII digits
	}
	for _, tc := range tests {
		got, err := ParseMoney(tc.in, tc.currency)
		if (err == nil) != tc.ok {
			t.Errorf("ParseMoney(%q, %q) error = %v, want ok=%v", tc.in, tc.currency, err, tc.ok)
			continue
		}
		if tc.ok {
			if want := (Money{tc.want, tc.currency}); got != want {
				t.Errorf("ParseMoney(%q, %q) = %v, want %v", tc.in, tc.currency, got, want)
			}
		}
	}
}

func TestMoneyAddSub(t *testing.T) {
	eur := func(a int64) Money { return Money{a, "EUR"} }
	if got, err := eur(150).Add(eur(-50)); err != nil || got != eur(100) {
		t.Errorf("Add = %v, %v; want EUR 1.00", got, err)
	}
	if got, err := eur(150).Sub(eur(200)); err != nil || got != eur(-50) {
		t.Errorf("Sub = %v, %v; want EUR -0.50", got, err)
	}
	if _, err := eur(1).Add(Money{1, "USD"}); err == nil {
		t.Error("Add accepted a currency mismatch")
	}
	if _, err := eur(1).Sub(Money{1, "USD"}); err == nil {
		t.Error("Sub accepted a currency mismatch")
	}
	if _, err := eur(math.MaxInt64).Add(eur(1)); err == nil {
		t.Error("Add accepted an overflow")
	}
	if _, err := eur(math.MinInt64).Sub(eur(1)); err == nil {
		t.Error("Sub accepted an overflow")
	}
	if _, err := eur(-1).Sub(eur(math.MaxInt64)); err != nil {
		t.Errorf("Sub refused MinInt64: %v", err)
	}
}

var currencies = []string{"EUR", "USD", "GBP", "JPY", "KWD", "CHF"}

func TestPropertyMoneyRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := Money{
			Amount:   rapid.Int64Range(0, MaxAmount).Draw(t, "amount"),
			Currency: rapid.SampledFrom(currencies).Draw(t, "currency"),
		}
		got, err := ParseMoney(m.String(), m.Currency)
		if err != nil {
			t.Fatalf("ParseMoney(%q): %v", m.String(), err)
		}
		if got != m {
			t.Fatalf("round trip of %#v gave %#v", m, got)
		}
	})
}

func TestPropertyMulDiv(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := rapid.Int64Range(0, math.MaxInt64).Draw(t, "a")
		b := rapid.Int64Range(0, math.MaxInt64).Draw(t, "b")
		c := rapid.Int64Range(1, math.MaxInt64).Draw(t, "c")
		want := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
		want.Quo(want, big.NewInt(c))
		got, ok := mulDiv(a, b, c)
		if fits := want.IsInt64(); ok != fits {
			t.Fatalf("mulDiv(%d, %d, %d) ok = %v, want %v", a, b, c, ok, fits)
		}
		if ok && got != want.Int64() {
			t.Fatalf("mulDiv(%d, %d, %d) = %d, want %s", a, b, c, got, want)
		}
	})
}
