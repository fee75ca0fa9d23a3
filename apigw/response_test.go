package apigw

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/refund"
	"refundflow/web"
)

// checkSecurityHeaders asserts the headers every response must carry.
func checkSecurityHeaders(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
	t.Helper()
	for k, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "same-origin",
		"X-Frame-Options":        "DENY",
	} {
		if got := headerValue(resp.Headers, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	csp := headerValue(resp.Headers, "Content-Security-Policy")
	for _, part := range []string{"default-src 'none'", "style-src 'self'", "img-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, part) {
			t.Errorf("CSP %q lacks %q", csp, part)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP allows unsafe sources: %q", csp)
	}
	if headerValue(resp.Headers, "Cache-Control") == "" {
		t.Error("no Cache-Control")
	}
}

func TestResponsesCarrySecurityHeaders(t *testing.T) {
	staff, err := Page(200, web.StaffPage{})
	if err != nil {
		t.Fatal(err)
	}
	form, err := Page(200, web.FormPage{})
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		resp        events.APIGatewayV2HTTPResponse
		status      int
		contentType string
		cache       string
		scripts     bool
	}{
		"json":       {JSON(202, map[string]string{"status": "submitted"}), 202, "application/json; charset=utf-8", CacheNoStore, false},
		"html":       {HTML(200, "<p>hi</p>"), 200, "text/html; charset=utf-8", CacheNoStore, false},
		"form page":  {form, 200, "text/html; charset=utf-8", CacheNoStore, false},
		"staff page": {staff, 200, "text/html; charset=utf-8", CacheNoStore, true},
		"text":       {Text(200, "ok"), 200, "text/plain; charset=utf-8", CacheNoStore, false},
		"redirect":   {Redirect("/requests/R1?t=abc"), http.StatusSeeOther, "", CacheNoStore, false},
		"no content": {NoContent(), http.StatusNoContent, "", CacheNoStore, false},
		"static":     {Static([]byte("body{}"), "text/css; charset=utf-8"), 200, "text/css; charset=utf-8", CacheImmutable, false},
	} {
		t.Run(name, func(t *testing.T) {
			checkSecurityHeaders(t, tc.resp)
			if tc.resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", tc.resp.StatusCode, tc.status)
			}
			if got := tc.resp.Headers["Content-Type"]; got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			if got := tc.resp.Headers["Cache-Control"]; got != tc.cache {
				t.Errorf("Cache-Control %q, want %q", got, tc.cache)
			}
			csp := tc.resp.Headers["Content-Security-Policy"]
			if got := strings.Contains(csp, "script-src 'self'"); got != tc.scripts {
				t.Errorf("script-src allowed = %v, want %v (CSP %q)", got, tc.scripts, csp)
			}
		})
	}
	if got := Redirect("/requests/R1?t=abc").Headers["Location"]; got != "/requests/R1?t=abc" {
		t.Errorf("Location = %q", got)
	}
}

func TestJSONEscapesHTML(t *testing.T) {
	captureLogs(t)
	resp := JSON(200, map[string]string{"x": "<script>&"})
	if strings.Contains(resp.Body, "<script>") || !strings.Contains(resp.Body, `\u003cscript\u003e\u0026`) {
		t.Errorf("body = %s", resp.Body)
	}
	bad := JSON(200, map[string]any{"f": func() {}})
	if bad.StatusCode != 500 || !strings.Contains(bad.Body, `"internal"`) {
		t.Errorf("unencodable value: %d %s", bad.StatusCode, bad.Body)
	}
}

func TestStaticBinaryIsBase64(t *testing.T) {
	resp := Static([]byte{0x89, 'P', 'N', 'G'}, "image/png")
	if !resp.IsBase64Encoded || resp.Body != "iVBORw==" {
		t.Errorf("binary asset: %v %q", resp.IsBase64Encoded, resp.Body)
	}
	data, ct, ok := web.Asset("staff.js")
	if !ok {
		t.Fatal("staff.js missing")
	}
	resp = Static(data, ct)
	if resp.IsBase64Encoded || resp.Body != string(data) {
		t.Error("script served as binary")
	}
}

func TestStatusTable(t *testing.T) {
	for _, tc := range []struct {
		code refund.Code
		want int
	}{
		{refund.CodeInvalid, 400}, {refund.CodeUnauthorized, 401}, {refund.CodeForbidden, 403},
		{refund.CodeNotFound, 404}, {refund.CodeConflict, 409}, {refund.CodeGone, 410},
		{CodeTooLarge, 413}, {CodeUnsupportedMediaType, 415}, {refund.CodeInternal, 500},
		{"something_new", 500}, {"", 500},
	} {
		if got := Status(tc.code); got != tc.want {
			t.Errorf("Status(%q) = %d, want %d", tc.code, got, tc.want)
		}
	}
}

// captureLogs sends slog's default logger to a buffer for the test.
func captureLogs(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return &buf
}

func TestErrorJSON(t *testing.T) {
	req := event(t, "json-post.json")
	for _, tc := range []struct {
		name    string
		err     error
		status  int
		code    refund.Code
		message string
		fields  refund.FieldErrors
	}{
		{"invalid with fields", refund.FieldErrors{"email": "Enter a complete email address."}.Err(), 400, refund.CodeInvalid,
			"Some fields need your attention.", refund.FieldErrors{"email": "Enter a complete email address."}},
		{"conflict", fmt.Errorf("submit: %w", refund.Errorf(refund.CodeConflict, "There is already an open request for order RF-1.")), 409,
			refund.CodeConflict, "There is already an open request for order RF-1.", nil},
		{"gone without message", &refund.Error{Code: refund.CodeGone}, 410, refund.CodeGone, defaultMessages[refund.CodeGone], nil},
		{"unauthorized", refund.Errorf(refund.CodeUnauthorized, "Token expired."), 401, refund.CodeUnauthorized, "Token expired.", nil},
		{"too large", tooLarge(1024), 413, CodeTooLarge, "What you sent is too large: at most 1 KB is accepted.", nil},
		{"plain error is internal", errors.New("dynamodb: connection reset by 10.1.2.3"), 500, refund.CodeInternal, defaultMessages[refund.CodeInternal], nil},
		{"internal message hidden", &refund.Error{Code: refund.CodeInternal, Message: "table refundflow-prod missing", Err: errors.New("secret")},
			500, refund.CodeInternal, defaultMessages[refund.CodeInternal], nil},
		{"unknown code is internal", &refund.Error{Code: "weird", Message: "weird thing"}, 500, refund.CodeInternal, defaultMessages[refund.CodeInternal], nil},
		{"fields for a conflict over a field", &refund.Error{Code: refund.CodeConflict, Message: "m", Fields: refund.FieldErrors{"a": "b"}}, 409, refund.CodeConflict, "m", refund.FieldErrors{"a": "b"}},
		{"no fields for other codes", &refund.Error{Code: refund.CodeNotFound, Message: "m", Fields: refund.FieldErrors{"a": "b"}}, 404, refund.CodeNotFound, "m", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := captureLogs(t)
			resp := Error(req, tc.err)
			checkSecurityHeaders(t, resp)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if ct := resp.Headers["Content-Type"]; !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			var body ErrorBody
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
				t.Fatalf("body %q: %v", resp.Body, err)
			}
			if body.Error.Code != tc.code || body.Error.Message != tc.message || body.Error.RequestID != "Cq2xMjD2joEEJxQ=" {
				t.Errorf("error = %+v", body.Error)
			}
			if len(body.Error.Fields) != len(tc.fields) {
				t.Errorf("fields = %v, want %v", body.Error.Fields, tc.fields)
			}
			for k, v := range tc.fields {
				if body.Error.Fields[k] != v {
					t.Errorf("fields[%s] = %q, want %q", k, body.Error.Fields[k], v)
				}
			}
			if tc.status == 500 {
				if strings.Contains(resp.Body, "10.1.2.3") || strings.Contains(resp.Body, "refundflow-prod") || strings.Contains(resp.Body, "secret") {
					t.Errorf("raw error leaked: %s", resp.Body)
				}
				if !strings.Contains(logs.String(), "Cq2xMjD2joEEJxQ=") || !strings.Contains(logs.String(), `"level":"ERROR"`) {
					t.Errorf("internal error not logged with request id: %s", logs)
				}
			} else if logs.Len() != 0 {
				t.Errorf("client error logged as failure: %s", logs)
			}
			if got := resp.Headers["Www-Authenticate"]; (got != "") != (tc.status == 401) {
				t.Errorf("WWW-Authenticate = %q on %d", got, tc.status)
			}
		})
	}
}

func TestErrorHTML(t *testing.T) {
	req := event(t, "form-post.json")
	captureLogs(t)

	resp := Error(req, fmt.Errorf("store: %w", errors.New("ProvisionedThroughputExceededException on table secret-table")))
	checkSecurityHeaders(t, resp)
	if resp.StatusCode != 500 || !strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
		t.Fatalf("status %d type %q", resp.StatusCode, resp.Headers["Content-Type"])
	}
	if strings.Contains(resp.Body, "secret-table") || strings.Contains(resp.Body, "Provisioned") {
		t.Error("raw error on the page")
	}
	for _, want := range []string{"Sorry, something went wrong", "Cq2xKhVJjoEEJdA=", "<html lang=\"en\">"} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(resp.Headers["Content-Security-Policy"], "script-src") {
		t.Error("error page allows scripts")
	}

	resp = Error(req, refund.Errorf(refund.CodeNotFound, "We could not find request <b>R1</b>."))
	if resp.StatusCode != 404 || !strings.Contains(resp.Body, "We could not find request &lt;b&gt;R1&lt;/b&gt;.") {
		t.Errorf("404 page: %d %s", resp.StatusCode, resp.Body)
	}
	if strings.Contains(resp.Body, "Cq2xKhVJjoEEJdA=") {
		t.Error("reference shown on a client error (only internal errors need it)")
	}

	resp = Error(req, nil)
	if resp.StatusCode != 500 {
		t.Errorf("nil error: status %d", resp.StatusCode)
	}
}

func TestHandle(t *testing.T) {
	logs := captureLogs(t)
	get := event(t, "get-query-cookies.json")
	head := event(t, "head.json")
	page := func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return Page(200, web.LinkPage{State: web.LinkExpired})
	}

	getResp, err := Handle(page)(context.Background(), get)
	if err != nil || getResp.StatusCode != 200 || getResp.Body == "" {
		t.Fatalf("GET: %v %d", err, getResp.StatusCode)
	}
	headResp, err := Handle(page)(context.Background(), head)
	if err != nil || headResp.StatusCode != 200 || headResp.Body != "" || headResp.IsBase64Encoded {
		t.Fatalf("HEAD: %v %d body %d bytes", err, headResp.StatusCode, len(headResp.Body))
	}
	if len(getResp.Headers) != len(headResp.Headers) {
		t.Errorf("HEAD headers %v differ from GET %v", headResp.Headers, getResp.Headers)
	}
	for k, v := range getResp.Headers {
		if headResp.Headers[k] != v {
			t.Errorf("HEAD %s = %q, GET has %q", k, headResp.Headers[k], v)
		}
	}

	failing := func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeGone, "This link has expired.")
	}
	resp, err := Handle(failing)(context.Background(), get)
	if err != nil || resp.StatusCode != 410 || !strings.Contains(resp.Body, "This link has expired.") {
		t.Errorf("error: %v %d", err, resp.StatusCode)
	}
	resp, _ = Handle(failing)(context.Background(), head)
	if resp.StatusCode != 410 || resp.Body != "" {
		t.Errorf("HEAD error: %d %q", resp.StatusCode, resp.Body)
	}

	panicking := func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		// A real runtime panic, the usual slip: an inner map that was never made.
		hits := map[string]map[string]int{}
		hits[req.RawPath]["x"]++
		return events.APIGatewayV2HTTPResponse{}, nil
	}
	const panicMsg = "assignment to entry in nil map"
	logs.Reset()
	resp, err = Handle(panicking)(context.Background(), get)
	if err != nil || resp.StatusCode != 500 || strings.Contains(resp.Body, panicMsg) {
		t.Errorf("panic: %v %d, body shows the panic: %v", err, resp.StatusCode, strings.Contains(resp.Body, panicMsg))
	}
	// The panic itself reaches the log, for staff to trace; the client sees none of it.
	if !strings.Contains(logs.String(), panicMsg) {
		t.Errorf("the log does not record the panic %q:\n%s", panicMsg, logs.String())
	}
	checkSecurityHeaders(t, resp)

	bare := func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "x", Headers: map[string]string{"cache-control": "public, max-age=60"}}, nil
	}
	resp, _ = Handle(bare)(context.Background(), get)
	checkSecurityHeaders(t, resp)
	if resp.Headers["cache-control"] != "public, max-age=60" || resp.Headers["Cache-Control"] != "" {
		t.Errorf("handler's own Cache-Control overridden: %v", resp.Headers)
	}
}

func TestWantsJSONExplicitTies(t *testing.T) {
	for _, tc := range []struct {
		accept, ct string
		want       bool
	}{
		{"application/json, text/html", "", false},
		{"application/json, text/html", "application/json", true},
		{"text/html, */*", "application/json", false},
	} {
		req := post(tc.ct, "", false)
		req.Headers["accept"] = tc.accept
		if tc.ct == "" {
			delete(req.Headers, "content-type")
		}
		if got := WantsJSON(req); got != tc.want {
			t.Errorf("Accept %q CT %q: %v, want %v", tc.accept, tc.ct, got, tc.want)
		}
	}
}

func TestErrorTooManySaysWhen(t *testing.T) {
	for _, file := range []string{"json-post.json", "form-post.json"} {
		t.Run(file, func(t *testing.T) {
			req := event(t, file)
			err := fmt.Errorf("question: %w", &refund.Error{Code: refund.CodeTooMany, Message: "You can write again from tomorrow.", RetryAfter: 90*time.Second + time.Millisecond})
			resp := Error(req, err)
			if got, want := resp.StatusCode, 429; got != want {
				t.Errorf("status = %d, want %d", got, want)
			}
			if got, want := resp.Headers["Retry-After"], "91"; got != want {
				t.Errorf("Retry-After = %q, want %q (rounded up)", got, want)
			}
			if !strings.Contains(resp.Body, "You can write again from tomorrow.") {
				t.Errorf("body does not say when: %s", resp.Body)
			}
		})
	}
}
