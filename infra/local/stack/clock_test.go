package stack

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"7d", 7 * 24 * time.Hour, true},
		{" 1d12h ", 36 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"1h30m15s", time.Hour + 30*time.Minute + 15*time.Second, true},
		{"1s", time.Second, true},
		{"400d", 400 * 24 * time.Hour, true},
		{"401d", 0, false},
		{"0d", 0, false},
		{"", 0, false},
		{"7", 0, false},
		{"d", 0, false},
		{"-7d", 0, false},
		{"7 d", 0, false},
		{"7w", 0, false},
		{"1.5d", 0, false},
		{"1234567s", 0, false},
		{strings.Repeat("1s", 20), 0, false},
	} {
		got, err := ParseDuration(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestReadAdvance(t *testing.T) {
	t.Parallel()
	const formType = "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name, contentType, body string
		want                    string
		form, ok                bool
	}{
		{"json", "application/json", `{"advance":"7d"}`, "7d", false, true},
		{"json as curl -d sends it", formType, `{"advance":"7d"}`, "7d", false, true},
		{"json without a type", "", ` {"advance":"1h"}`, "1h", false, true},
		{"the local page's form", formType, "advance=7d", "7d", true, true},
		{"form without the field", formType, "other=7d", "", false, false},
		{"unknown json field", "application/json", `{"advance":"7d","back":true}`, "", false, false},
		{"two json objects", "application/json", `{"advance":"7d"}{"advance":"7d"}`, "", false, false},
		{"text", "text/plain", "7d", "", false, false},
		{"broken json", "application/json", `{"advance":`, "", false, false},
	} {
		got, form, err := readAdvance(tc.contentType, []byte(tc.body))
		if got != tc.want || form != tc.form || (err == nil) != tc.ok {
			t.Errorf("%s: readAdvance = %q, form %v, err %v; want %q, form %v, ok %v", tc.name, got, form, err, tc.want, tc.form, tc.ok)
		}
	}
}

// TestClockEndpoint checks the time-travel endpoint's answers that are not a successful JSON advance
// (which the expiry end-to-end test covers): the page's form, bad amounts, another origin, GET.
func TestClockEndpoint(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	v := newVisitor(t, s)

	before := s.Clock.Offset()
	for _, tc := range []struct {
		name, body, contentType string
		header                  map[string]string
		want                    int
	}{
		{"bad amount", `{"advance":"7 weeks"}`, "application/json", nil, http.StatusBadRequest},
		{"not json", `advance 7d`, "text/plain", nil, http.StatusBadRequest},
		{"another origin", `{"advance":"7d"}`, "application/json", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		// A site that sends no referrer posts with Origin: null; the browser still says where from.
		{"another site's form", "advance=7d", "application/x-www-form-urlencoded", map[string]string{"Origin": "null", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"too large", `{"advance":"` + strings.Repeat("7", 2000) + `"}`, "application/json", nil, http.StatusRequestEntityTooLarge},
	} {
		h := map[string]string{"Content-Type": tc.contentType}
		for k, val := range tc.header {
			h[k] = val
		}
		if p := v.do(http.MethodPost, "/_local/clock", strings.NewReader(tc.body), h); p.Status != tc.want {
			t.Errorf("%s: %s, want %d", tc.name, p, tc.want)
		}
	}
	if s.Clock.Offset() != before {
		t.Fatalf("a refused time travel moved the clock by %v", s.Clock.Offset()-before)
	}
	if p := v.do(http.MethodDelete, "/_local/clock", nil, nil); p.Status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: %s", p)
	}

	// The form of the local page, posted from the page itself as a browser does it (the page sends no
	// referrer, so its Origin is "null"): back to the page, a day later.
	page := v.get("/_local/")
	f := formWith(t, page, "")
	f.Values.Set("advance", "1d")
	back := v.do(http.MethodPost, f.Action, strings.NewReader(f.Values.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "null", "Sec-Fetch-Site": "same-origin"})
	if back.Status != http.StatusSeeOther || back.Header.Get("Location") != "/_local/" {
		t.Fatalf("the page's time-travel form: %s", back)
	}
	if d := s.Clock.Offset() - before; d < 24*time.Hour-time.Second || d > 24*time.Hour+time.Second {
		t.Errorf("the form moved the clock by %v, want 1 day", d)
	}
	mustContain(t, v.follow(back), "1 day ahead of the wall clock")

	var now struct{ Now, Offset string }
	v.getJSON("/_local/clock", &now)
	if now.Offset != "24h0m0s" {
		t.Errorf("GET /_local/clock: %+v", now)
	}
	if p := v.get("/_local/nothing"); p.Status != http.StatusNotFound {
		t.Errorf("an unknown local page: %s", p)
	}
}
