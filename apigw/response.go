package apigw

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/web"
)

// Content-Security-Policy values. Pages load only the site's own stylesheet and images, may post
// forms only to the site, cannot be framed, and run no script at all unless they need it: then only
// the site's own script files (no inline code), which may call back only to the site.
const (
	// CSPDefault is sent with every response unless it is a page with scripts.
	CSPDefault = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	// CSPWithScripts is CSPDefault plus the site's own script files and fetch/XHR to the site.
	CSPWithScripts = CSPDefault + "; script-src 'self'; connect-src 'self'"
)

// Cache-Control values. Dynamic responses default to no-store: status and consent pages carry link
// codes that must not sit in any cache, and a stale status page would mislead.
const (
	// CacheNoStore keeps a response out of every cache.
	CacheNoStore = "no-store"
	// CacheImmutable is for assets served under a content-versioned URL (web.AssetURL).
	CacheImmutable = "public, max-age=31536000, immutable"
)

// ReferrerPolicy keeps the link codes in page addresses from leaking to other sites: a referrer goes
// only to this site itself. It is "same-origin" rather than "no-referrer" because under no-referrer
// a browser sends "Origin: null" with the site's own form posts, and an older browser without Fetch
// Metadata would then fail the cross-origin check (CrossOrigin) on its own forms.
const ReferrerPolicy = "same-origin"

// securityHeaders returns the headers every response carries.
func securityHeaders() map[string]string {
	return map[string]string{
		"Content-Security-Policy": CSPDefault,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         ReferrerPolicy,
		"X-Frame-Options":         "DENY",
		"Cache-Control":           CacheNoStore,
	}
}

// respond builds a response with the security headers and the given content type and body.
func respond(status int, contentType, body string) events.APIGatewayV2HTTPResponse {
	h := securityHeaders()
	if contentType != "" {
		h["Content-Type"] = contentType
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: h, Body: body}
}

// JSON encodes v as the response body with the given status. Encoding escapes <, > and & so that a JSON
// response can never be read as HTML. A value that cannot be encoded (a programming error) is logged
// and answered with a 500 error body.
func JSON(status int, v any) events.APIGatewayV2HTTPResponse {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		slog.Error("encode json response", "error", err.Error())
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":{"code":"internal","message":"Something went wrong on our side."}}` + "\n")
	}
	return respond(status, "application/json; charset=utf-8", buf.String())
}

// HTML returns an HTML body with the given status. Prefer Page, which renders a web page and sets the
// script policy it needs.
func HTML(status int, body string) events.APIGatewayV2HTTPResponse {
	return respond(status, "text/html; charset=utf-8", body)
}

// Page renders one of package web's pages with the given status. Pages that load a script (the staff
// console) get CSPWithScripts; all others run no script. A render error is returned, not rendered, so
// the caller (or Handle) answers with the error page.
func Page(status int, p web.Page) (events.APIGatewayV2HTTPResponse, error) {
	var buf bytes.Buffer
	if err := web.Render(&buf, p); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	resp := HTML(status, buf.String())
	if len(web.Scripts(p)) > 0 {
		resp.Headers["Content-Security-Policy"] = CSPWithScripts
	}
	return resp, nil
}

// Text returns a plain-text body with the given status.
func Text(status int, body string) events.APIGatewayV2HTTPResponse {
	return respond(status, "text/plain; charset=utf-8", body)
}

// Redirect answers 303 See Other to location, which should be a path on this site ("/requests/..."):
// after a form post the browser then loads the page with GET, so reloading it does not post again.
func Redirect(location string) events.APIGatewayV2HTTPResponse {
	resp := respond(http.StatusSeeOther, "", "")
	resp.Headers["Location"] = location
	return resp
}

// NoContent answers 204 with no body.
func NoContent() events.APIGatewayV2HTTPResponse {
	return respond(http.StatusNoContent, "", "")
}

// Static answers 200 with a static asset (see web.Asset) that may be cached for a year: pages refer to
// assets by content-versioned URLs (web.AssetURL), so a changed file gets a new URL. Non-text content
// is base64-encoded, as API Gateway expects for binary bodies.
func Static(body []byte, contentType string) events.APIGatewayV2HTTPResponse {
	resp := respond(http.StatusOK, contentType, "")
	resp.Headers["Cache-Control"] = CacheImmutable
	if isText(contentType) {
		resp.Body = string(body)
	} else {
		resp.Body = base64.StdEncoding.EncodeToString(body)
		resp.IsBase64Encoded = true
	}
	return resp
}

func isText(contentType string) bool {
	ct := strings.ToLower(contentType)
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") || strings.Contains(ct, "javascript") ||
		strings.Contains(ct, "+xml") || strings.HasSuffix(strings.SplitN(ct, ";", 2)[0], "/xml")
}

// Finish makes a response fit the request it answers: any security header the handler left out is
// added, and a HEAD request gets the same status and headers with no body (GET and HEAD must agree on
// headers, and link checkers in mail scanners often use HEAD). Handle calls it on every response.
func Finish(req events.APIGatewayV2HTTPRequest, resp events.APIGatewayV2HTTPResponse) events.APIGatewayV2HTTPResponse {
	if resp.Headers == nil {
		resp.Headers = map[string]string{}
	}
	for k, v := range securityHeaders() {
		if headerValue(resp.Headers, k) == "" {
			resp.Headers[k] = v
		}
	}
	if Method(req) == http.MethodHead {
		resp.Body = ""
		resp.IsBase64Encoded = false
	}
	return resp
}

// headerValue looks a header up in a response header map without regard to case.
func headerValue(h map[string]string, name string) string {
	if v, ok := h[name]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
