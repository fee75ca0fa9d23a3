package apigw

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/refund"
)

// Names of the CSRF cookie. The __Host- prefix makes the browser refuse the cookie unless it is
// Secure, has Path=/ and no Domain, so a sibling subdomain cannot plant one ("cookie tossing").
// Browsers refuse Secure cookies from plain http pages unless they count the host as secure:
// current Chromium does for loopback (localhost and 127.0.0.1, checked by the browser test in
// package web), other browsers and older versions may not, so the local stack on http can use the
// plain name without Secure (CSRF.Insecure).
const (
	CSRFCookieSecure   = "__Host-rf_csrf"
	CSRFCookieInsecure = "rf_csrf"
)

// DefaultCSRFTTL is how long an issued token stays valid when CSRF.TTL is zero: long enough to read
// offers and agreement texts at leisure, short enough that a copied page goes stale.
const DefaultCSRFTTL = 24 * time.Hour

// MinCSRFKeyBytes is the shortest key CSRF accepts (256 bits, the HMAC-SHA256 block security level).
const MinCSRFKeyBytes = 32

// csrfSkew is how far in the future a token's issue time may be, for clocks that disagree a little.
const csrfSkew = 5 * time.Minute

// CSRF protects the site's forms without server state, by a signed double submit. Each visitor gets a
// random id in an HttpOnly, SameSite=Strict cookie; a form carries a token that is an HMAC, under Key,
// of that id, a binding chosen by the handler (for example "consent:" + link code, or "withdraw:" +
// request id) and the issue time. Verify recomputes it: a token from another visitor, for another
// binding, too old, or without the cookie fails. A forged cross-site post has neither the victim's
// cookie value nor a way to compute a token for it, and the binding keeps a token for one link from
// working on another.
//
// Because the cookie is SameSite=Strict, a page opened from an email link does not receive an existing
// cookie and issues a new one; a second tab opened the same way replaces it, and the first tab's form
// then fails with a message to reload. That is the price of Strict and is rare.
type CSRF struct {
	// Key signs the tokens; at least MinCSRFKeyBytes random bytes, the same for every function that
	// issues or verifies (from Secrets Manager in AWS).
	Key []byte
	// Insecure names the cookie CSRFCookieInsecure and leaves out Secure, for http://127.0.0.1.
	Insecure bool
	// TTL is how long a token is valid; DefaultCSRFTTL when zero.
	TTL time.Duration
	// Now returns the current time; time.Now when nil. Tests set it.
	Now func() time.Time
}

// CSRFField is the form field name the pages use for the token (web.CSRFField says the same).
const CSRFField = "csrf_token"

// Validate reports whether the configuration is usable. Call it once at startup to fail fast.
func (c CSRF) Validate() error {
	if len(c.Key) < MinCSRFKeyBytes {
		return fmt.Errorf("csrf key has %d bytes, need at least %d", len(c.Key), MinCSRFKeyBytes)
	}
	return nil
}

// CookieName returns the name of the visitor cookie for this configuration.
func (c CSRF) CookieName() string {
	if c.Insecure {
		return CSRFCookieInsecure
	}
	return CSRFCookieSecure
}

func (c CSRF) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c CSRF) ttl() time.Duration {
	if c.TTL > 0 {
		return c.TTL
	}
	return DefaultCSRFTTL
}

// visitorIDLen is the length of a visitor id: 32 random bytes in unpadded base64url.
var visitorIDLen = base64.RawURLEncoding.EncodedLen(32)

// visitor returns the visitor id from the request's cookie, if it has a well-formed one.
func (c CSRF) visitor(req events.APIGatewayV2HTTPRequest) (string, bool) {
	v, ok := Cookie(req, c.CookieName())
	if !ok || len(v) != visitorIDLen {
		return "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(v); err != nil {
		return "", false
	}
	return v, true
}

// Issue returns a token for a form bound to binding, and the Set-Cookie value to send with the page
// (add it with WithCookie). A visitor who already has a valid cookie keeps its id, so several pages
// open in one browser stay valid; the cookie is re-sent anyway to extend its life. Issue panics if the
// key is shorter than MinCSRFKeyBytes: that is a wiring mistake Validate reports at startup.
func (c CSRF) Issue(req events.APIGatewayV2HTTPRequest, binding string) (token, setCookie string) {
	if err := c.Validate(); err != nil {
		panic("apigw: " + err.Error())
	}
	id, ok := c.visitor(req)
	if !ok {
		b := make([]byte, 32)
		rand.Read(b) // never fails (crypto/rand panics instead)
		id = base64.RawURLEncoding.EncodeToString(b)
	}
	issued := c.now().Unix()
	token = strconv.FormatInt(issued, 10) + "." + c.mac(id, binding, issued)
	return token, c.setCookie(id)
}

func (c CSRF) setCookie(id string) string {
	cookie := c.CookieName() + "=" + id + "; Path=/; Max-Age=" + strconv.Itoa(int(c.ttl()/time.Second))
	if !c.Insecure {
		cookie += "; Secure"
	}
	return cookie + "; HttpOnly; SameSite=Strict"
}

// mac computes the token's signature. Each part is length-prefixed so that no two different
// (id, binding, time) triples encode to the same message.
func (c CSRF) mac(id, binding string, issued int64) string {
	m := hmac.New(sha256.New, c.Key)
	m.Write([]byte("refundflow-csrf-v1"))
	for _, part := range []string{id, binding} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		m.Write(n[:])
		m.Write([]byte(part))
	}
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], uint64(issued))
	m.Write(t[:])
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfMessage is what a person sees when a form's token does not verify: the usual causes are a page
// left open too long or opened in another tab, and reloading fixes both.
const csrfMessage = "This form has expired or was opened in another window. Please reload the page and try again."

// Verify checks a token posted with a form against the request's cookie and the binding. Any failure
// is a CodeForbidden *refund.Error with a message asking to reload; its cause (for logs) says which
// check failed. The comparison takes constant time.
func (c CSRF) Verify(req events.APIGatewayV2HTTPRequest, binding, token string) error {
	if err := c.Validate(); err != nil {
		return &refund.Error{Code: refund.CodeInternal, Err: err}
	}
	fail := func(why string) error {
		return &refund.Error{Code: refund.CodeForbidden, Message: csrfMessage, Err: errors.New("csrf: " + why)}
	}
	id, ok := c.visitor(req)
	if !ok {
		return fail("no valid visitor cookie")
	}
	ts, sig, ok := strings.Cut(token, ".")
	if !ok || token == "" {
		return fail("malformed token")
	}
	issued, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fail("malformed token time")
	}
	if !hmac.Equal([]byte(sig), []byte(c.mac(id, binding, issued))) {
		return fail("token does not match visitor and binding")
	}
	now := c.now()
	at := time.Unix(issued, 0)
	if at.After(now.Add(csrfSkew)) {
		return fail("token issued in the future")
	}
	if now.Sub(at) > c.ttl() {
		return fail("token expired")
	}
	return nil
}
