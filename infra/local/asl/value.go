package asl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strings"
)

// Decode parses one JSON text into a value with numbers kept as json.Number,
// so integers and decimals survive a round trip exactly. Trailing data after
// the value is an error, as it is for AWS.
func Decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("decode JSON: unexpected data after the JSON value")
	}
	return v, nil
}

// Encode renders a value as compact JSON. Object keys come out sorted (Go maps
// keep no order), and HTML characters are not escaped, unlike json.Marshal's
// default, because AWS does not escape them either.
func Encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode JSON: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// mustEncode renders a value already known to be JSON-shaped; values built by
// this package always are.
func mustEncode(v any) string {
	b, err := Encode(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

// DeepCopy returns a copy of v that shares no map or slice with it. Callers use
// it when they must hand a value to code that may keep or change it.
func DeepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = DeepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, e := range t {
			s[i] = DeepCopy(e)
		}
		return s
	default:
		return v
	}
}

// Equal reports whether two JSON values are equal: objects by their members
// (order does not matter), arrays element by element, and numbers by value,
// so 1, 1.0 and 1e0 are equal.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !Equal(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	if isNumber(a) && isNumber(b) {
		c, err := compareNumbers(a, b)
		return err == nil && c == 0
	}
	return false
}

// isNumber reports whether v is a JSON number in any of the Go forms this
// package accepts (json.Number from decoding, native numbers from Go callers).
func isNumber(v any) bool {
	switch v.(type) {
	case json.Number, float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	}
	return false
}

// numberString returns the JSON text of a number value.
func numberString(v any) string {
	switch t := v.(type) {
	case json.Number:
		return t.String()
	case float64, float32:
		b, _ := json.Marshal(t)
		return string(b)
	default:
		return fmt.Sprint(t)
	}
}

// maxExactExponent bounds the decimal exponent for exact rational arithmetic;
// beyond it a number like 1e999999999 would cost gigabytes as a big.Rat, and
// a big.Float comparison is exact enough at such magnitudes.
const maxExactExponent = 4096

// numberRat converts a JSON number to an exact rational when its exponent is
// reasonable; ok is false when the caller must fall back to big.Float.
func numberRat(v any) (r *big.Rat, ok bool, err error) {
	s := numberString(v)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		var exp big.Int
		if _, good := exp.SetString(strings.TrimPrefix(s[i+1:], "+"), 10); !good {
			return nil, false, fmt.Errorf("invalid number %q", s)
		}
		if exp.CmpAbs(big.NewInt(maxExactExponent)) > 0 {
			return nil, false, nil
		}
	}
	r, good := new(big.Rat).SetString(s)
	if !good {
		return nil, false, fmt.Errorf("invalid number %q", s)
	}
	return r, true, nil
}

// compareNumbers compares two JSON numbers exactly and returns -1, 0 or +1.
func compareNumbers(a, b any) (int, error) {
	ra, oka, err := numberRat(a)
	if err != nil {
		return 0, err
	}
	rb, okb, err := numberRat(b)
	if err != nil {
		return 0, err
	}
	if oka && okb {
		return ra.Cmp(rb), nil
	}
	fa, _, err := big.ParseFloat(numberString(a), 10, 1024, big.ToNearestEven)
	if err != nil {
		return 0, fmt.Errorf("invalid number %q: %w", numberString(a), err)
	}
	fb, _, err := big.ParseFloat(numberString(b), 10, 1024, big.ToNearestEven)
	if err != nil {
		return 0, fmt.Errorf("invalid number %q: %w", numberString(b), err)
	}
	return fa.Cmp(fb), nil
}

// numberInt returns the value of a JSON number when it is an integer that
// fits in an int64 (1.0 and 1e2 count as integers, like Java's BigDecimal
// intValueExact after stripping zeros).
func numberInt(v any) (int64, bool) {
	if !isNumber(v) {
		return 0, false
	}
	r, ok, err := numberRat(v)
	if err != nil || !ok || !r.IsInt() {
		return 0, false
	}
	n := r.Num()
	if !n.IsInt64() {
		return 0, false
	}
	return n.Int64(), true
}

// typeName names a JSON value's type the way AWS error messages do.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	if isNumber(v) {
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// sortedKeys returns an object's keys in order, for deterministic iteration.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
