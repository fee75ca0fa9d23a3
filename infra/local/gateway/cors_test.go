package gateway

import (
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func TestCORS(t *testing.T) {
	calls := 0
	h := lambda.NewHandler(func(ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		calls++
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "ok", Headers: map[string]string{
			"Access-Control-Allow-Origin": "https://evil.example", // API Gateway ignores this
			"Content-Type":                "text/plain",
		}}, nil
	})
	g := newTestGateway(t, Config{
		Routes: []Route{{Method: "POST", Path: "/requests", Name: "F", Handler: h}},
		CORS: &CORS{
			AllowOrigins:     []string{"https://refunds.example.com", "https://*.staff.example.com"},
			AllowMethods:     []string{"GET", "POST"},
			AllowHeaders:     []string{"authorization", "content-type"},
			ExposeHeaders:    []string{"x-request-id"},
			MaxAge:           600,
			AllowCredentials: true,
		},
	})
	tests := []struct {
		name, method, origin string
		preflight            bool
		wantStatus           int
		want                 map[string]string
	}{
		{"preflight allowed", "OPTIONS", "https://refunds.example.com", true, 204, map[string]string{
			"Access-Control-Allow-Origin":      "https://refunds.example.com",
			"Access-Control-Allow-Methods":     "GET,POST",
			"Access-Control-Allow-Headers":     "authorization,content-type",
			"Access-Control-Max-Age":           "600",
			"Access-Control-Allow-Credentials": "true",
		}},
		{"preflight wildcard subdomain", "OPTIONS", "https://eu.staff.example.com", true, 204, map[string]string{
			"Access-Control-Allow-Origin": "https://eu.staff.example.com",
		}},
		{"preflight denied", "OPTIONS", "https://evil.example", true, 204, map[string]string{
			"Access-Control-Allow-Origin":  "",
			"Access-Control-Allow-Methods": "",
		}},
		{"preflight wildcard is not the bare domain", "OPTIONS", "https://staff.example.com", true, 204, map[string]string{
			"Access-Control-Allow-Origin": "",
		}},
		{"actual allowed", "POST", "https://refunds.example.com", false, 200, map[string]string{
			"Access-Control-Allow-Origin":      "https://refunds.example.com",
			"Access-Control-Allow-Credentials": "true",
			"Access-Control-Expose-Headers":    "x-request-id",
			"Access-Control-Allow-Methods":     "",
			"Content-Type":                     "text/plain",
		}},
		{"actual denied", "POST", "https://evil.example", false, 200, map[string]string{
			"Access-Control-Allow-Origin": "",
		}},
		{"same origin", "POST", "", false, 200, map[string]string{
			"Access-Control-Allow-Origin": "",
		}},
		{"plain OPTIONS is routed", "OPTIONS", "", false, 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := calls
			r := httptest.NewRequest(tt.method, "/requests", nil)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.preflight {
				r.Header.Set("Access-Control-Request-Method", "POST")
				r.Header.Set("Access-Control-Request-Headers", "content-type")
			}
			rec := do(g, r)
			if got, want := rec.Code, tt.wantStatus; got != want {
				t.Fatalf("status = %d, want %d", got, want)
			}
			for k, want := range tt.want {
				if got := rec.Header().Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if tt.preflight && calls != before {
				t.Error("a preflight reached the function")
			}
		})
	}
	// A 404 to an allowed origin still carries CORS headers, so the
	// browser can show the error.
	r := httptest.NewRequest("GET", "/nope", nil)
	r.Header.Set("Origin", "https://refunds.example.com")
	if rec := do(g, r); rec.Code != 404 || rec.Header().Get("Access-Control-Allow-Origin") != "https://refunds.example.com" {
		t.Errorf("404: %d, ACAO %q", rec.Code, rec.Header().Get("Access-Control-Allow-Origin"))
	}
}

func TestCORSAnyOrigin(t *testing.T) {
	h := lambda.NewHandler(func() (string, error) { return "ok", nil })
	g := newTestGateway(t, Config{
		Routes: []Route{{Method: "GET", Path: "/x", Name: "F", Handler: h}},
		CORS:   &CORS{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}},
	})
	r := httptest.NewRequest("GET", "/x", nil)
	r.Header.Set("Origin", "https://anyone.example")
	rec := do(g, r)
	if got, want := rec.Header().Get("Access-Control-Allow-Origin"), "*"; got != want {
		t.Errorf("ACAO = %q, want %q", got, want)
	}
	if got := rec.Header().Get("Access-Control-Allow-Credentials"); got != "" {
		t.Errorf("credentials = %q, want none", got)
	}
}
