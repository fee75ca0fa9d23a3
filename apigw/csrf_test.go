package apigw

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/refund"
	"refundflow/web"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// withCookie returns a copy of req that sends the cookie from a Set-Cookie value, as a browser would.
func withCookie(req events.APIGatewayV2HTTPRequest, setCookie string) events.APIGatewayV2HTTPRequest {
	pair, _, _ := strings.Cut(setCookie, ";")
	req.Cookies = append(append([]string(nil), req.Cookies...), pair)
	return req
}

// fresh returns a request with no cookies.
func fresh() events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "r"}}
}

func forbidden(t *testing.T, err error, why string) {
	t.Helper()
	if refund.ErrorCode(err) != refund.CodeForbidden {
		t.Fatalf("%s: got %v, want forbidden", why, err)
	}
	var e *refund.Error
	errors.As(err, &e)
	if !strings.Contains(e.Message, "reload the page") {
		t.Errorf("%s: message %q does not say what to do", why, e.Message)
	}
}

func TestCSRFRoundTrip(t *testing.T) {
	c := CSRF{Key: testKey}
	token, setCookie := c.Issue(fresh(), "consent:code-1")
	browser := withCookie(fresh(), setCookie)
	if err := c.Verify(browser, "consent:code-1", token); err != nil {
		t.Fatalf("own token rejected: %v", err)
	}
	// A second page in the same browser keeps the visitor id, so both tokens stay valid.
	token2, setCookie2 := c.Issue(browser, "withdraw:R1")
	if pair, _, _ := strings.Cut(setCookie2, ";"); !strings.Contains(setCookie, pair) {
		t.Errorf("visitor id changed: %q vs %q", setCookie, setCookie2)
	}
	if err := c.Verify(browser, "withdraw:R1", token2); err != nil {
		t.Errorf("second token rejected: %v", err)
	}
	if err := c.Verify(browser, "consent:code-1", token); err != nil {
		t.Errorf("first token rejected after second issue: %v", err)
	}
}

func TestCSRFRejects(t *testing.T) {
	now := time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	c := CSRF{Key: testKey, Now: clock}
	token, setCookie := c.Issue(fresh(), "consent:code-1")
	victim := withCookie(fresh(), setCookie)

	otherToken, otherCookie := c.Issue(fresh(), "consent:code-1")
	attacker := withCookie(fresh(), otherCookie)

	forbidden(t, c.Verify(victim, "consent:code-1", otherToken), "another visitor's token")
	forbidden(t, c.Verify(attacker, "consent:code-1", token), "token with another visitor's cookie")
	forbidden(t, c.Verify(fresh(), "consent:code-1", token), "missing cookie")
	forbidden(t, c.Verify(victim, "consent:code-1", ""), "missing token")
	forbidden(t, c.Verify(victim, "consent:code-2", token), "token for another code")
	forbidden(t, c.Verify(victim, "consent:code-1", token+"x"), "tampered signature")
	forbidden(t, c.Verify(victim, "consent:code-1", "nodot"), "malformed token")
	ts, sig, _ := strings.Cut(token, ".")
	forbidden(t, c.Verify(victim, "consent:code-1", "1"+ts+"."+sig), "changed issue time")
	forbidden(t, c.Verify(victim, "consent:code-1", "x."+sig), "non-numeric time")
	forbidden(t, c.Verify(withCookie(fresh(), CSRFCookieSecure+"=short"), "consent:code-1", token), "malformed cookie")

	// A token signed with another key fails even with the right cookie.
	other := CSRF{Key: []byte("another key, also thirty-two bytes!"), Now: clock}
	forbidden(t, other.Verify(victim, "consent:code-1", token), "other key")

	// Binding parts cannot be shifted between id and binding.
	if c.mac("ab", "c", 1) == c.mac("a", "bc", 1) {
		t.Error("mac is ambiguous")
	}
}

func TestCSRFExpiry(t *testing.T) {
	now := time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)
	c := CSRF{Key: testKey, TTL: time.Hour, Now: func() time.Time { return now }}
	token, setCookie := c.Issue(fresh(), "b")
	req := withCookie(fresh(), setCookie)

	for _, tc := range []struct {
		at time.Time
		ok bool
	}{
		{now, true},
		{now.Add(time.Hour), true},
		{now.Add(time.Hour + time.Second), false},
		{now.Add(-4 * time.Minute), true}, // verifier's clock a little behind the issuer's
		{now.Add(-10 * time.Minute), false},
	} {
		at := tc.at
		v := CSRF{Key: testKey, TTL: time.Hour, Now: func() time.Time { return at }}
		err := v.Verify(req, "b", token)
		if (err == nil) != tc.ok {
			t.Errorf("verify at %v: %v, want ok=%v", at.Sub(now), err, tc.ok)
		}
	}
	if !strings.Contains(setCookie, "Max-Age=3600") {
		t.Errorf("cookie lifetime does not follow TTL: %q", setCookie)
	}
}

func TestCSRFCookieAttributes(t *testing.T) {
	for _, tc := range []struct {
		insecure bool
		name     string
		secure   bool
	}{
		{false, "__Host-rf_csrf", true},
		{true, "rf_csrf", false},
	} {
		c := CSRF{Key: testKey, Insecure: tc.insecure}
		_, setCookie := c.Issue(fresh(), "b")
		h := http.Header{"Set-Cookie": {setCookie}}
		cookies := (&http.Response{Header: h}).Cookies()
		if len(cookies) != 1 {
			t.Fatalf("Set-Cookie %q does not parse", setCookie)
		}
		ck := cookies[0]
		if ck.Name != tc.name || c.CookieName() != tc.name {
			t.Errorf("cookie name %q, want %q", ck.Name, tc.name)
		}
		if ck.Secure != tc.secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Domain != "" {
			t.Errorf("cookie %+v: want Secure=%v HttpOnly SameSite=Strict Path=/ no Domain", ck, tc.secure)
		}
		if ck.MaxAge != int(DefaultCSRFTTL/time.Second) {
			t.Errorf("Max-Age %d", ck.MaxAge)
		}
		if len(ck.Value) != visitorIDLen {
			t.Errorf("visitor id %q has %d characters", ck.Value, len(ck.Value))
		}
	}
	// The secure configuration ignores the insecure cookie name, which a page on http could set.
	c := CSRF{Key: testKey}
	insecure := CSRF{Key: testKey, Insecure: true}
	token, setCookie := insecure.Issue(fresh(), "b")
	forbidden(t, c.Verify(withCookie(fresh(), setCookie), "b", token), "insecure cookie in secure mode")
}

func TestCSRFVisitorIDsAreRandom(t *testing.T) {
	c := CSRF{Key: testKey}
	seen := map[string]bool{}
	for range 100 {
		_, setCookie := c.Issue(fresh(), "b")
		if seen[setCookie] {
			t.Fatal("visitor id repeated")
		}
		seen[setCookie] = true
	}
}

func TestCSRFKeyChecks(t *testing.T) {
	short := CSRF{Key: []byte("short")}
	if short.Validate() == nil || (CSRF{Key: testKey}).Validate() != nil {
		t.Error("Validate does not check the key length")
	}
	if got := refund.ErrorCode(short.Verify(fresh(), "b", "1.x")); got != refund.CodeInternal {
		t.Errorf("Verify with short key: %q, want internal", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("Issue with a short key did not panic")
		}
	}()
	short.Issue(fresh(), "b")
}

// TestCSRFThroughFormPost runs the double submit as the consent page uses it: the token travels in a
// base64 form body, the cookie in the event's cookies list.
func TestCSRFThroughFormPost(t *testing.T) {
	c := CSRF{Key: testKey}
	token, setCookie := c.Issue(event(t, "head.json"), "consent:7GkQm2vX9pLr4TzW8sNc1A")
	req := withCookie(post("application/x-www-form-urlencoded", "decision=decline&"+CSRFField+"="+token, true), setCookie)
	form, err := Form(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(req, "consent:7GkQm2vX9pLr4TzW8sNc1A", form.Get(CSRFField)); err != nil {
		t.Errorf("verify from form: %v", err)
	}
}

func BenchmarkCSRFVerify(b *testing.B) {
	c := CSRF{Key: testKey}
	token, setCookie := c.Issue(fresh(), "consent:code")
	req := withCookie(fresh(), setCookie)
	for b.Loop() {
		if err := c.Verify(req, "consent:code", token); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCSRFFieldMatchesPages(t *testing.T) {
	if CSRFField != web.CSRFField {
		t.Errorf("apigw.CSRFField %q != web.CSRFField %q", CSRFField, web.CSRFField)
	}
}
