package paymentfuncs

import (
	"strings"
	"testing"
)

// FuzzParseStripeSecret reads arbitrary secret values (what an operator stores in Secrets Manager): an
// accepted key is a trimmed Stripe secret or restricted key, and no error ever quotes the value.
func FuzzParseStripeSecret(f *testing.F) {
	f.Add("sk_live_51Habcdefghijklmnop")
	f.Add(`{"key":"rk_test_abcdefghijklmnop"}`)
	f.Add(`{"api_key":" sk_test_x ","other":1}`)
	f.Add(`{"secret_key":123}`)
	f.Add(`{"key":"pk_live_publishable"}`)
	f.Add("  ")
	f.Add(`{"key":`)
	f.Fuzz(func(t *testing.T, value string) {
		key, err := parseStripeSecret(value)
		if err != nil {
			if v := strings.TrimSpace(value); len(v) >= 8 && strings.Contains(err.Error(), v) {
				t.Fatalf("the error quotes the secret: %v", err)
			}
			return
		}
		if key != strings.TrimSpace(key) || !(strings.HasPrefix(key, "sk_") || strings.HasPrefix(key, "rk_")) {
			t.Fatalf("accepted %q", key)
		}
	})
}
