package asl

import (
	"errors"
	"testing"
)

// dec decodes a JSON fixture or fails the test.
func dec(t *testing.T, s string) any {
	t.Helper()
	v, err := Decode([]byte(s))
	if err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

// enc renders a value as compact JSON with sorted keys, so expected outputs
// can be written as JSON text.
func enc(t *testing.T, v any) string {
	t.Helper()
	b, err := Encode(v)
	if err != nil {
		t.Fatalf("encode %#v: %v", v, err)
	}
	return string(b)
}

// canon re-encodes a JSON text so that key order and spacing do not matter.
func canon(t *testing.T, s string) string {
	t.Helper()
	return enc(t, dec(t, s))
}

// errName returns the *Error name of err, "" for nil, or "?" for other errors.
func errName(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Name
	}
	return "?"
}
