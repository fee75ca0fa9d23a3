package paymentfuncs

import (
	"testing"
	"time"

	"refundflow/infra/local/samtemplate"
)

func TestParseStripeSecret(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"sk_test_123", "sk_test_123", true},
		{" rk_live_abc\n", "rk_live_abc", true},
		{`{"key":"sk_test_9"}`, "sk_test_9", true},
		{`{"api_key":"sk_test_8"}`, "sk_test_8", true},
		{`{"other":"x"}`, "", false},
		{`{bad json`, "", false},
		{"", "", false},
		{"pk_test_public", "", false},
	} {
		got, err := parseStripeSecret(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseStripeSecret(%q) = %q, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// The Stripe client's timeout leaves ExecuteResolutionFunction time, within its own timeout, for the
// reads before the call and for recording the answer after it.
func TestStripeTimeoutFitsTheFunctionTimeout(t *testing.T) {
	tmpl, err := samtemplate.Load("../../template.yaml")
	if err != nil {
		t.Fatalf("load template.yaml: %v", err)
	}
	fns, err := tmpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fns {
		if f.LogicalID != FunctionExecuteResolution {
			continue
		}
		timeout := time.Duration(f.Timeout) * time.Second
		if room := timeout - StripeTimeout; room < 10*time.Second {
			t.Errorf("StripeTimeout %v leaves %v of the function's %v timeout; want at least 10s", StripeTimeout, room, timeout)
		}
		return
	}
	t.Fatalf("template.yaml has no %s", FunctionExecuteResolution)
}
