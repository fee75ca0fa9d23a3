package gateway

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkServeHTTP measures one request through route selection, event
// building, a real lambda.NewHandler handler and the response.
func BenchmarkServeHTTP(b *testing.B) {
	h := echo()
	g, err := New(Config{Logger: quietLogger(), Routes: []Route{
		{Method: "GET", Path: "/requests/new", Name: "Form", Handler: h},
		{Method: "GET", Path: "/requests/{id}", Name: "Status", Handler: h},
		{Method: "POST", Path: "/requests", Name: "Submit", Handler: h},
		{Method: "ANY", Path: "/staff/{proxy+}", Name: "Staff", Handler: h},
	}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/requests", strings.NewReader("order=ORD-1&email=a%40b.c"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Cookie", "csrf=abc; lang=fr")
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, r)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkVerify measures JWT verification (RS256, 2048-bit key).
func BenchmarkVerify(b *testing.B) {
	issuer, err := NewLocalIssuer("https://issuer.example.com", "aud")
	if err != nil {
		b.Fatal(err)
	}
	tok, err := issuer.Sign(map[string]any{"scope": "a b"})
	if err != nil {
		b.Fatal(err)
	}
	a := issuer.Authorizer("A")
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Verify(tok, now); err != nil {
			b.Fatal(err)
		}
	}
}
