package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

var update = flag.Bool("update", false, "rewrite the golden events under testdata/")

// testNow is the fixed clock of the golden events.
var testNow = time.Date(2026, 3, 14, 15, 9, 26, 535000000, time.UTC)

// recorder wraps a handler and keeps the last raw payload it was invoked
// with: the exact JSON the function receives.
type recorder struct {
	lambda.Handler
	mu   sync.Mutex
	last []byte
}

func (r *recorder) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	r.mu.Lock()
	r.last = append([]byte(nil), payload...)
	r.mu.Unlock()
	return r.Handler.Invoke(ctx, payload)
}

func (r *recorder) payload() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// echo is a real payload-2.0 handler that answers with the event it got.
func echo() *recorder {
	return &recorder{Handler: lambda.NewHandler(func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		b, err := json.Marshal(ev)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(b)}, nil
	})}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestGateway(t *testing.T, cfg Config) *Gateway {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	g.newID = func() string { return "TEST-requestId=" }
	return g
}

func do(g http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, req)
	return rec
}

// canonical re-indents JSON so golden files compare independent of layout.
func canonical(t *testing.T, b []byte) []byte {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".json")
	got = canonical(t, got)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, canonical(t, want)) {
		t.Errorf("event differs from %s:\n%s", path, got)
	}
}

func TestGoldenEvents(t *testing.T) {
	issuer, err := NewLocalIssuer("https://issuer.example.com/pool", "staff-console")
	if err != nil {
		t.Fatal(err)
	}
	issuer.Now = func() time.Time { return testNow.Add(-time.Minute) }
	issuer.KeyID = "test-kid"
	authz := issuer.Authorizer("StaffAuthorizer")
	staffToken, err := issuer.Sign(map[string]any{
		"sub":            "0b5c-staff-1",
		"scope":          "refunds/staff refunds/review",
		"cognito:groups": []string{"staff", "reviewers"},
		"email_verified": true,
		"custom:level":   3,
		"address":        map[string]any{"country": "FR", "city": "Lyon"},
	})
	if err != nil {
		t.Fatal(err)
	}

	handlers := map[string]*recorder{}
	route := func(method, path, name string, a *JWTAuthorizer, scopes ...string) Route {
		h := echo()
		handlers[name] = h
		return Route{Method: method, Path: path, Name: name, Handler: h, Authorizer: a, Scopes: scopes}
	}
	g := newTestGateway(t, Config{Routes: []Route{
		route("GET", "/requests/{id}", "StatusFunction", nil),
		route("POST", "/requests", "SubmitRequestFunction", nil),
		route("POST", "/requests/{id}/consent", "ConsentFunction", nil),
		route("GET", "/staff/requests", "StaffFunction", authz, "refunds/staff"),
		route("ANY", "/files/{proxy+}", "FilesFunction", nil),
		route("", "$default", "DefaultFunction", nil),
	}})

	tests := []struct {
		name, function string
		req            func() *http.Request
	}{
		{"get-path-query-cookies", "StatusFunction", func() *http.Request {
			r := httptest.NewRequest("GET", "/requests/r-123?lang=en&tag=a&tag=b%20c&empty=", nil)
			r.Header.Set("User-Agent", "Mozilla/5.0 (test)")
			r.Header.Set("Accept", "text/html")
			r.Header.Add("X-Multi", "1")
			r.Header.Add("X-Multi", "2")
			r.Header.Set("Cookie", "session=abc; theme=dark")
			r.Header.Set("X-Amzn-Trace-Id", "Root=1-00000000-000000000000000000000000")
			return r
		}},
		{"post-form-base64", "SubmitRequestFunction", func() *http.Request {
			r := httptest.NewRequest("POST", "/requests", strings.NewReader("order=ORD-1001&email=client%40example.com&reason=changed+my+mind"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("User-Agent", "Mozilla/5.0 (test)")
			r.Header.Set("X-Amzn-Trace-Id", "Root=1-00000000-000000000000000000000000")
			return r
		}},
		{"post-json-plain", "ConsentFunction", func() *http.Request {
			r := httptest.NewRequest("POST", "/requests/r-9/consent", strings.NewReader(`{"offerHash":"ab12","name":"Jane <Doe>"}`))
			r.Header.Set("Content-Type", "application/json; charset=utf-8")
			r.Header.Set("User-Agent", "curl/8.5.0")
			r.Header.Set("X-Amzn-Trace-Id", "Root=1-00000000-000000000000000000000000")
			return r
		}},
		{"staff-jwt-claims", "StaffFunction", func() *http.Request {
			r := httptest.NewRequest("GET", "/staff/requests?status=review", nil)
			r.Header.Set("Authorization", "Bearer "+staffToken)
			r.Header.Set("User-Agent", "curl/8.5.0")
			r.Header.Set("X-Amzn-Trace-Id", "Root=1-00000000-000000000000000000000000")
			return r
		}},
		{"greedy-proxy", "FilesFunction", func() *http.Request {
			r := httptest.NewRequest("PUT", "/files/a/b%20c.txt", bytes.NewReader([]byte{0xff, 0x00, 0x01}))
			r.Header.Set("Content-Type", "application/octet-stream")
			r.Header.Set("X-Amzn-Trace-Id", "Root=1-00000000-000000000000000000000000")
			return r
		}},
		{"default-route", "DefaultFunction", func() *http.Request {
			r := httptest.NewRequest("DELETE", "/nothing/here", nil)
			r.Header.Set("X-Amzn-Trace-Id", "Root=1-00000000-000000000000000000000000")
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(g, tt.req())
			if rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			raw := handlers[tt.function].payload()
			// The key, hence the signature, is new on every run.
			checkGolden(t, tt.name, bytes.ReplaceAll(raw, []byte(staffToken), []byte("TOKEN")))
			// The typed handler saw the same event: its echo decodes to
			// the same struct as the raw payload does.
			var fromRaw, fromEcho events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(raw, &fromRaw); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &fromEcho); err != nil {
				t.Fatal(err)
			}
			a, _ := json.Marshal(fromRaw)
			b, _ := json.Marshal(fromEcho)
			if !bytes.Equal(a, b) {
				t.Errorf("handler saw\n%s\nraw payload decodes to\n%s", b, a)
			}
		})
	}
}

func TestEventDetails(t *testing.T) {
	h := echo()
	g := newTestGateway(t, Config{Routes: []Route{{Method: "POST", Path: "/in", Name: "F", Handler: h}}})
	get := func(contentType string, body []byte) events.APIGatewayV2HTTPRequest {
		r := httptest.NewRequest("POST", "/in", bytes.NewReader(body))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		rec := do(g, r)
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(rec.Body.Bytes(), &ev); err != nil {
			t.Fatalf("%s: %v", rec.Body, err)
		}
		return ev
	}
	tests := []struct {
		contentType string
		base64      bool
	}{
		{"application/json", false},
		{"application/problem+json", false},
		{"text/plain; charset=utf-8", false},
		{"text/html", false},
		{"application/xml", false},
		{"application/x-www-form-urlencoded", true},
		{"multipart/form-data; boundary=x", true},
		{"application/octet-stream", true},
		{"image/png", true},
		{"", true},
	}
	for _, tt := range tests {
		ev := get(tt.contentType, []byte("a=1&b=<2>"))
		if got, want := ev.IsBase64Encoded, tt.base64; got != want {
			t.Errorf("%q: isBase64Encoded = %v, want %v", tt.contentType, got, want)
		}
		body := ev.Body
		if ev.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(body)
			if err != nil {
				t.Fatal(err)
			}
			body = string(b)
		}
		if got, want := body, "a=1&b=<2>"; got != want {
			t.Errorf("%q: body = %q, want %q", tt.contentType, got, want)
		}
	}
	ev := get("application/json", nil)
	if ev.Body != "" || ev.IsBase64Encoded {
		t.Errorf("empty body: body %q, base64 %v", ev.Body, ev.IsBase64Encoded)
	}
	if got, want := ev.RequestContext.Time, "14/Mar/2026:15:09:26 +0000"; got != want {
		t.Errorf("time = %q, want %q", got, want)
	}
	if got, want := ev.RequestContext.TimeEpoch, testNow.UnixMilli(); got != want {
		t.Errorf("timeEpoch = %d, want %d", got, want)
	}
}

func TestRouteSelection(t *testing.T) {
	names := []struct{ method, path string }{
		{"GET", "/requests/new"},
		{"GET", "/requests/{id}"},
		{"ANY", "/requests/{id}"},
		{"POST", "/requests/{id}/consent"},
		{"ANY", "/requests/{proxy+}"},
		{"GET", "/a/{x}/c"},
		{"GET", "/a/b/{y}"},
		{"GET", "/"},
		{"GET", "/static/{proxy+}"},
		{"GET", "/static/css/{proxy+}"},
	}
	var routes []Route
	for _, n := range names {
		name := n.method + " " + n.path
		routes = append(routes, Route{Method: n.method, Path: n.path, Name: name, Handler: lambda.NewHandler(func() (string, error) { return name, nil })})
	}
	withDefault := append(append([]Route{}, routes...), Route{Path: "$default", Name: "$default", Handler: lambda.NewHandler(func() (string, error) { return "$default", nil })})
	g := newTestGateway(t, Config{Routes: routes})
	gd := newTestGateway(t, Config{Routes: withDefault})
	tests := []struct {
		method, path string
		want         string // route name, "" for 404
		wantDefault  string // with a $default route
	}{
		{"GET", "/requests/new", "GET /requests/new", ""},
		{"GET", "/requests/r1", "GET /requests/{id}", ""},
		{"DELETE", "/requests/r1", "ANY /requests/{id}", ""},
		{"POST", "/requests/r1/consent", "POST /requests/{id}/consent", ""},
		{"GET", "/requests/r1/consent", "ANY /requests/{proxy+}", ""},
		{"GET", "/requests/r1/x/y", "ANY /requests/{proxy+}", ""},
		{"GET", "/requests", "", "$default"},
		{"GET", "/requests/", "", "$default"},
		{"GET", "/a/b/c", "GET /a/b/{y}", ""},
		{"GET", "/a/z/c", "GET /a/{x}/c", ""},
		{"GET", "/", "GET /", ""},
		{"POST", "/", "", "$default"},
		{"GET", "/static/css/site.css", "GET /static/css/{proxy+}", ""},
		{"GET", "/static/js/app.js", "GET /static/{proxy+}", ""},
		{"GET", "/static/", "", "$default"},
		{"GET", "/nope", "", "$default"},
		{"GET", "/REQUESTS/new", "", "$default"},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			g    *Gateway
			want string
		}{{g, tt.want}, {gd, tt.wantDefault}} {
			want := c.want
			if want == "" {
				want = tt.want
			}
			rec := do(c.g, httptest.NewRequest(tt.method, tt.path, nil))
			if want == "" {
				if rec.Code != 404 || rec.Body.String() != `{"message":"Not Found"}` || rec.Header().Get("Content-Type") != "application/json" {
					t.Errorf("%s %s: got %d %s, want 404 Not Found", tt.method, tt.path, rec.Code, rec.Body)
				}
				continue
			}
			if got := rec.Body.String(); got != `"`+want+`"` {
				t.Errorf("%s %s: routed to %s, want %s", tt.method, tt.path, got, want)
			}
		}
	}
}

func TestPathParametersAreDecoded(t *testing.T) {
	h := echo()
	g := newTestGateway(t, Config{Routes: []Route{{Method: "GET", Path: "/o/{id}/{rest+}", Name: "F", Handler: h}}})
	rec := do(g, httptest.NewRequest("GET", "/o/a%2Fb%20c/x/y%3Fz", nil))
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(rec.Body.Bytes(), &ev); err != nil {
		t.Fatalf("%s: %v", rec.Body, err)
	}
	if got, want := ev.PathParameters["id"], "a/b c"; got != want {
		t.Errorf("id = %q, want %q", got, want)
	}
	if got, want := ev.PathParameters["rest"], "x/y?z"; got != want {
		t.Errorf("rest = %q, want %q", got, want)
	}
	if got, want := ev.RawPath, "/o/a%2Fb%20c/x/y%3Fz"; got != want {
		t.Errorf("rawPath = %q, want %q", got, want)
	}
}

func TestNewRejectsBadRoutes(t *testing.T) {
	h := lambda.NewHandler(func() error { return nil })
	tests := []struct {
		name   string
		routes []Route
		cors   *CORS
		want   string
	}{
		{"no handler", []Route{{Method: "GET", Path: "/a"}}, nil, "no handler"},
		{"bad method", []Route{{Method: "FETCH", Path: "/a", Handler: h}}, nil, `method "FETCH"`},
		{"relative path", []Route{{Method: "GET", Path: "a", Handler: h}}, nil, "must start with /"},
		{"greedy not last", []Route{{Method: "GET", Path: "/{p+}/a", Handler: h}}, nil, "must be the last segment"},
		{"partial segment", []Route{{Method: "GET", Path: "/a{p}", Handler: h}}, nil, "whole segment"},
		{"duplicate param", []Route{{Method: "GET", Path: "/{p}/{p}", Handler: h}}, nil, "unique"},
		{"duplicate route", []Route{{Method: "get", Path: "/a", Handler: h}, {Method: "GET", Path: "/a", Handler: h}}, nil, "defined twice"},
		{"credentials with star", nil, &CORS{AllowOrigins: []string{"*"}, AllowCredentials: true}, "AllowCredentials"},
	}
	for _, tt := range tests {
		_, err := New(Config{Routes: tt.routes, CORS: tt.cors})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

// raw is a lambda.Handler returning fixed bytes or an error.
type raw struct {
	out   string
	err   error
	panic bool
}

func (r raw) Invoke(ctx context.Context, _ []byte) ([]byte, error) {
	if r.panic {
		panic("boom")
	}
	return []byte(r.out), r.err
}

func TestResponses(t *testing.T) {
	tests := []struct {
		name       string
		handler    lambda.Handler
		wantStatus int
		wantBody   string
		wantHeader map[string][]string
	}{
		{"structured", lambda.NewHandler(func() (events.APIGatewayV2HTTPResponse, error) {
			return events.APIGatewayV2HTTPResponse{
				StatusCode:        303,
				Headers:           map[string]string{"Location": "/requests/r1", "Content-Type": "text/html; charset=utf-8"},
				MultiValueHeaders: map[string][]string{"X-Multi": {"a", "b"}},
				Cookies:           []string{"csrf=t1; Path=/; HttpOnly; SameSite=Strict", "seen=1"},
				Body:              "<p>see other</p>",
			}, nil
		}), 303, "<p>see other</p>", map[string][]string{
			"Location":     {"/requests/r1"},
			"Content-Type": {"text/html; charset=utf-8"},
			"X-Multi":      {"a", "b"},
			"Set-Cookie":   {"csrf=t1; Path=/; HttpOnly; SameSite=Strict", "seen=1"},
		}},
		{"base64 body", lambda.NewHandler(func() (events.APIGatewayV2HTTPResponse, error) {
			return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"content-type": "image/png"}, Body: base64.StdEncoding.EncodeToString([]byte{0x89, 'P', 'N', 'G'}), IsBase64Encoded: true}, nil
		}), 200, "\x89PNG", map[string][]string{"Content-Type": {"image/png"}}},
		{"no content type is not sniffed", raw{out: `{"statusCode":201,"body":"<html>"}`}, 201, "<html>", map[string][]string{"Content-Type": nil}},
		{"inferred object", lambda.NewHandler(func() (map[string]any, error) { return map[string]any{"status": "refunded"}, nil }),
			200, `{"status":"refunded"}`, map[string][]string{"Content-Type": {"application/json"}}},
		{"inferred string", lambda.NewHandler(func() (string, error) { return "hello", nil }),
			200, `"hello"`, map[string][]string{"Content-Type": {"application/json"}}},
		{"inferred list", raw{out: `[1,2]`}, 200, `[1,2]`, nil},
		{"function error", lambda.NewHandler(func() (string, error) { return "", errors.New("db down") }),
			500, `{"message":"Internal Server Error"}`, map[string][]string{"Content-Type": {"application/json"}}},
		{"panic", raw{panic: true}, 500, `{"message":"Internal Server Error"}`, nil},
		{"not json", raw{out: `oops`}, 500, `{"message":"Internal Server Error"}`, nil},
		{"bad status", raw{out: `{"statusCode":42}`}, 500, `{"message":"Internal Server Error"}`, nil},
		{"bad base64", raw{out: `{"statusCode":200,"body":"***","isBase64Encoded":true}`}, 500, `{"message":"Internal Server Error"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newTestGateway(t, Config{Routes: []Route{{Method: "GET", Path: "/x", Name: "F", Handler: tt.handler}}})
			rec := do(g, httptest.NewRequest("GET", "/x", nil))
			if got, want := rec.Code, tt.wantStatus; got != want {
				t.Errorf("status = %d, want %d", got, want)
			}
			if got, want := rec.Body.String(), tt.wantBody; got != want {
				t.Errorf("body = %q, want %q", got, want)
			}
			for k, want := range tt.wantHeader {
				if got := rec.Result().Header.Values(k); strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if rec.Header().Get("Apigw-Requestid") == "" {
				t.Error("no apigw-requestid header")
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	calls := 0
	h := lambda.NewHandler(func(ev events.APIGatewayV2HTTPRequest) (string, error) { calls++; return "ok", nil })
	g := newTestGateway(t, Config{Routes: []Route{{Method: "POST", Path: "/x", Name: "F", Handler: h}}})
	big := bytes.Repeat([]byte("a"), DefaultMaxBodyBytes)
	rec := do(g, httptest.NewRequest("POST", "/x", bytes.NewReader(big)))
	if rec.Code != 200 {
		t.Errorf("10 MB body: status %d", rec.Code)
	}
	rec = do(g, httptest.NewRequest("POST", "/x", bytes.NewReader(append(big, 'b'))))
	if got, want := rec.Code, http.StatusRequestEntityTooLarge; got != want {
		t.Errorf("10 MB + 1 body: status %d, want %d", got, want)
	}
	if got, want := rec.Body.String(), `{"message":"Request Entity Too Large"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if calls != 1 {
		t.Errorf("function called %d times, want 1", calls)
	}
}

func TestIntegrationTimeout(t *testing.T) {
	h := lambda.NewHandler(func(ctx context.Context) (string, error) {
		<-ctx.Done() // a function that never finishes on its own
		return "late", nil
	})
	g := newTestGateway(t, Config{Routes: []Route{{Method: "GET", Path: "/slow", Name: "Slow", Handler: h, Timeout: time.Millisecond}}})
	rec := do(g, httptest.NewRequest("GET", "/slow", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Body.String() != `{"message":"Service Unavailable"}` {
		t.Errorf("got %d %s, want 503 Service Unavailable", rec.Code, rec.Body)
	}
}

// TestOverRealHTTP runs the gateway behind a real server and client:
// cookies round-trip, the handler gets a Lambda context, and HEAD has no body.
func TestOverRealHTTP(t *testing.T) {
	h := lambda.NewHandler(func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		lc, ok := lambdacontext.FromContext(ctx)
		if !ok {
			return events.APIGatewayV2HTTPResponse{}, errors.New("no lambda context")
		}
		_, hasDeadline := ctx.Deadline()
		body, _ := json.Marshal(map[string]any{
			"cookies": ev.Cookies, "arn": lc.InvokedFunctionArn, "requestId": lc.AwsRequestID != "",
			"deadline": hasDeadline, "sourceIp": ev.RequestContext.HTTP.SourceIP, "host": ev.Headers["host"],
			"cookieHeader": ev.Headers["cookie"], "domain": ev.RequestContext.DomainName,
		})
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: string(body), Headers: map[string]string{"content-type": "application/json"}, Cookies: []string{"visit=2; Path=/"}}, nil
	})
	g, err := New(Config{Routes: []Route{{Method: "ANY", Path: "/who", Name: "WhoFunction", Handler: h}}, Region: "eu-west-1", Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/who", nil)
	req.AddCookie(&http.Cookie{Name: "visit", Value: "1"})
	req.AddCookie(&http.Cookie{Name: "lang", Value: "fr"})
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	want := map[string]any{
		"cookies": []any{"visit=1", "lang=fr"}, "arn": "arn:aws:lambda:eu-west-1:123456789012:function:WhoFunction",
		"requestId": true, "deadline": true, "sourceIp": "127.0.0.1", "host": host, "cookieHeader": "", "domain": host,
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("handler saw %s\nwant %s", gotJSON, wantJSON)
	}
	if c := resp.Cookies(); len(c) != 1 || c[0].Name != "visit" || c[0].Value != "2" {
		t.Errorf("Set-Cookie = %v", resp.Header.Values("Set-Cookie"))
	}

	head, err := srv.Client().Head(srv.URL + "/who")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(head.Body)
	head.Body.Close()
	if head.StatusCode != 200 || len(b) != 0 {
		t.Errorf("HEAD: %d with %d body bytes", head.StatusCode, len(b))
	}
}
