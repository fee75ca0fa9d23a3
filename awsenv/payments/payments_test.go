package payments

import "testing"

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
