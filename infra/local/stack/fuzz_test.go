package stack

import (
	"testing"
	"time"
)

// FuzzParseDuration reads arbitrary time-travel amounts (the local page's form and POST
// /_local/clock): an accepted amount is between 1 second and 400 days, and nothing panics or
// overflows.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"7d", "1d12h", "90m", "30s", "0s", "401d", "999999d", "1d1d1d", "d", "-5m", "1.5h", " 7d ", "9999999s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < time.Second || d > 400*24*time.Hour {
			t.Fatalf("ParseDuration(%q) = %v", s, d)
		}
	})
}

// FuzzReadAdvance reads arbitrary clock POST bodies under any Content-Type: it never panics, and a
// form answer comes only from a form body.
func FuzzReadAdvance(f *testing.F) {
	f.Add("application/json", `{"advance":"7d"}`)
	f.Add("application/x-www-form-urlencoded", `{"advance": "7d"}`)
	f.Add("application/x-www-form-urlencoded", "advance=1d12h")
	f.Add("text/plain", `{"advance":"7d","x":1}`)
	f.Add("", `{"advance":7}`)
	f.Add("application/x-www-form-urlencoded", "advance=%zz")
	f.Fuzz(func(t *testing.T, contentType, body string) {
		_, form, err := readAdvance(contentType, []byte(body))
		if err == nil && form && (len(body) > 0 && body[0] == '{') {
			t.Fatalf("a JSON body was read as a form: %q", body)
		}
	})
}
