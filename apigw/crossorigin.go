package apigw

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/refund"
)

// CrossOrigin refuses state-changing requests that a browser sent on behalf of another website
// (cross-site request forgery), without a secret, a cookie or a token in the form. It is
// net/http.CrossOriginProtection applied to API Gateway events:
//
//   - GET, HEAD and OPTIONS always pass: they change nothing (a "viewed" audit entry aside).
//   - A request whose Origin is a trusted origin passes: the site itself (PUBLIC_BASE_URL) and the
//     company's own websites (the SiteOrigins parameter, the same list API Gateway's CORS allows).
//   - Otherwise the browser's Fetch Metadata decides: Sec-Fetch-Site "same-origin" or "none" (typed
//     or bookmarked) passes; "cross-site" and "same-site" (a sibling subdomain) are refused.
//   - A browser too old to send Sec-Fetch-Site still sends Origin on every cross-origin POST: it
//     passes only when its host is the request's Host.
//   - A request with neither header is not from a browser (curl, a server, the billing system) and
//     passes: nothing Refundflow answers depends on an ambient credential such as a cookie, so such a
//     caller can do nothing it could not do from anywhere, and every client route needs the link code
//     besides.
//
// The zero value trusts no origin: only same-origin browser requests and non-browser callers pass.
// Build one with NewCrossOrigin to trust the site's origins; it is safe for concurrent use.
type CrossOrigin struct {
	protection *http.CrossOriginProtection
	trusted    []string
}

// NewCrossOrigin returns a CrossOrigin that trusts the given origins ("https://www.example.com",
// scheme and host with an optional port, nothing after). Empty entries are skipped; a malformed one
// is an error, so that a misconfigured function stops at start instead of refusing every form.
func NewCrossOrigin(origins ...string) (CrossOrigin, error) {
	c := CrossOrigin{protection: http.NewCrossOriginProtection()}
	for _, o := range origins {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if err := c.protection.AddTrustedOrigin(o); err != nil {
			return CrossOrigin{}, fmt.Errorf("trusted origin: %w", err)
		}
		c.trusted = append(c.trusted, o)
	}
	return c, nil
}

// Trusted returns the trusted origins, in the order given.
func (c CrossOrigin) Trusted() []string { return append([]string(nil), c.trusted...) }

// Origin returns the origin ("scheme://host[:port]") of an absolute URL such as PUBLIC_BASE_URL.
func Origin(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute URL", rawURL)
	}
	return u.Scheme + "://" + u.Host, nil
}

// crossOriginMessage is what a person sees: in practice only someone sent here by another site's form.
const crossOriginMessage = "We did not accept this because it was sent from another website. Please open the link from our email and use the page on our site."

// Check returns nil when the request may go on, and a CodeForbidden *refund.Error otherwise (403,
// with a message for a person; the cause, for the logs, says which header gave it away).
func (c CrossOrigin) Check(req events.APIGatewayV2HTTPRequest) error {
	p := c.protection
	if p == nil {
		p = &http.CrossOriginProtection{}
	}
	r := &http.Request{Method: Method(req), Header: http.Header{}, Host: Header(req, "host")}
	if r.Host == "" {
		r.Host = req.RequestContext.DomainName
	}
	for _, name := range []string{"Sec-Fetch-Site", "Origin"} {
		if v := Header(req, name); v != "" {
			r.Header.Set(name, v)
		}
	}
	if err := p.Check(r); err != nil {
		return &refund.Error{Code: refund.CodeForbidden, Message: crossOriginMessage,
			Err: fmt.Errorf("cross-origin %s from origin %q (Sec-Fetch-Site %q): %w", r.Method, r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site"), err)}
	}
	return nil
}
