package apigw

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/refund"
)

// browserRequest builds an event as API Gateway passes a browser's request on.
func browserRequest(method, host string, headers map[string]string) events.APIGatewayV2HTTPRequest {
	req := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: method + " /consent/{code}", RawPath: "/consent/abc",
		Headers: map[string]string{},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			DomainName: "abc123.execute-api.eu-west-1.amazonaws.com",
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: "/consent/abc"},
		},
	}
	if host != "" {
		req.Headers["host"] = host
	}
	for k, v := range headers {
		req.Headers[strings.ToLower(k)] = v
	}
	return req
}

func TestCrossOriginCheck(t *testing.T) {
	check, err := NewCrossOrigin("https://refunds.example.com", " https://www.example.com ", "")
	if err != nil {
		t.Fatal(err)
	}
	const host = "refunds.example.com"
	for _, tc := range []struct {
		name    string
		method  string
		host    string
		headers map[string]string
		refused bool
	}{
		{"same-origin form post", "POST", host, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "https://refunds.example.com"}, false},
		{"same-origin post with Origin null (no-referrer page)", "POST", host, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "null"}, false},
		{"typed into the address bar", "POST", host, map[string]string{"Sec-Fetch-Site": "none"}, false},
		{"cross-site form post", "POST", host, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, true},
		{"cross-site without Origin", "POST", host, map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"sibling subdomain", "POST", host, map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://blog.example.com"}, true},
		{"company website (trusted) cross-site", "POST", host, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://www.example.com"}, false},
		{"company website (trusted) same-site", "POST", host, map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://www.example.com"}, false},
		{"trusted origin differs in scheme", "POST", host, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://www.example.com"}, true},
		{"trusted origin differs in port", "POST", host, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://www.example.com:8443"}, true},
		{"old browser, foreign Origin", "POST", host, map[string]string{"Origin": "https://evil.example"}, true},
		{"old browser, Origin null", "POST", host, map[string]string{"Origin": "null"}, true},
		{"old browser, own Origin", "POST", host, map[string]string{"Origin": "https://refunds.example.com"}, false},
		{"old browser, own Origin on a custom domain", "POST", "api.internal", map[string]string{"Origin": "https://refunds.example.com"}, false},
		{"old browser, Host from the request context", "POST", "", map[string]string{"Origin": "https://abc123.execute-api.eu-west-1.amazonaws.com"}, false},
		{"no browser headers (curl, a server)", "POST", host, nil, false},
		{"cross-site PUT", "PUT", host, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, true},
		{"cross-site GET", "GET", host, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, false},
		{"cross-site HEAD", "HEAD", host, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, false},
		{"method in lower case", "post", host, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := check.Check(browserRequest(tc.method, tc.host, tc.headers))
			if got := err != nil; got != tc.refused {
				t.Fatalf("refused = %v, want %v (%v)", got, tc.refused, err)
			}
			if err == nil {
				return
			}
			var e *refund.Error
			if !errors.As(err, &e) || e.Code != refund.CodeForbidden {
				t.Fatalf("refusal is %T %v, want a forbidden *refund.Error", err, err)
			}
			if status, d := Describe(browserRequest(tc.method, tc.host, nil), err); status != 403 || !strings.Contains(d.Message, "another website") {
				t.Errorf("answer %d %q, want 403 saying it came from another website", status, d.Message)
			}
			if !strings.Contains(e.Err.Error(), "cross-origin") {
				t.Errorf("the cause for the logs does not say what was refused: %v", e.Err)
			}
		})
	}
}

func TestCrossOriginZeroValueTrustsNoOrigin(t *testing.T) {
	var check CrossOrigin
	if err := check.Check(browserRequest("POST", "refunds.example.com", map[string]string{"Sec-Fetch-Site": "same-origin"})); err != nil {
		t.Errorf("same-origin refused: %v", err)
	}
	if err := check.Check(browserRequest("POST", "refunds.example.com", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://www.example.com"})); err == nil {
		t.Error("a cross-site post passed a CrossOrigin that trusts nobody")
	}
}

func TestNewCrossOriginRefusesMalformedOrigins(t *testing.T) {
	for _, o := range []string{"www.example.com", "https://", "https://www.example.com/", "https://www.example.com/path", "https://www.example.com?x=1", "://x"} {
		if _, err := NewCrossOrigin(o); err == nil {
			t.Errorf("NewCrossOrigin(%q) accepted a malformed origin", o)
		}
	}
	c, err := NewCrossOrigin("https://a.example", "http://127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Trusted(), " "); got != "https://a.example http://127.0.0.1:8080" {
		t.Errorf("Trusted = %q", got)
	}
}

func TestOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://refunds.example.com":            "https://refunds.example.com",
		"https://refunds.example.com/prod/":      "https://refunds.example.com",
		"http://127.0.0.1:8080":                  "http://127.0.0.1:8080",
		"https://abc.execute-api.aws.com/?x=1#f": "https://abc.execute-api.aws.com",
	} {
		if got, err := Origin(in); err != nil || got != want {
			t.Errorf("Origin(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "/relative", "refunds.example.com", "https://"} {
		if got, err := Origin(in); err == nil {
			t.Errorf("Origin(%q) = %q, want an error", in, got)
		}
	}
}
