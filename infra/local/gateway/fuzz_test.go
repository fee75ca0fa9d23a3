package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// fuzzIssuer is one issuer for every fuzz run of a process (an RSA key takes a while to generate).
var fuzzIssuer = sync.OnceValue(func() *LocalIssuer {
	li, err := NewLocalIssuer("https://issuer.example", "refundflow")
	if err != nil {
		panic(err)
	}
	li.Now = func() time.Time { return time.Unix(1_750_000_000, 0) }
	return li
})

// FuzzJWTVerify presents arbitrary bearer tokens: only a token the issuer signed, for its audience,
// unexpired, verifies; nothing panics.
func FuzzJWTVerify(f *testing.F) {
	li := fuzzIssuer()
	good, err := li.Sign(map[string]any{"sub": "staff-1", "cognito:groups": []string{"staff"}})
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(good, ".")
	f.Add(good)
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","kid":"x"}`)) + "." + parts[1] + "." + parts[2])
	f.Add("a.b.c.d")
	f.Add("")
	a := li.Authorizer("StaffJwt")
	now := time.Unix(1_750_000_100, 0)
	f.Fuzz(func(t *testing.T, token string) {
		claims, err := a.Verify(token, now)
		if err != nil {
			return
		}
		// It verified: the signature is the issuer's, so the payload is one the issuer signed.
		if p := strings.Split(token, "."); len(p) != 3 || p[1] != parts[1] {
			t.Fatalf("a token the issuer did not sign verified: %q (claims %v)", token, claims)
		}
	})
}

// FuzzParseJWKS reads arbitrary key sets (what an issuer's jwks_uri answers): nothing panics, and a
// token checked against whatever keys were kept is refused or verified without panicking. (Key sizes
// are the issuer's business: crypto/rsa refuses keys under 1024 bits when verifying.)
func FuzzParseJWKS(f *testing.F) {
	li := fuzzIssuer()
	jwks, err := li.JWKS()
	if err != nil {
		f.Fatal(err)
	}
	token, err := li.Sign(map[string]any{"sub": "staff-1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(jwks)
	f.Add([]byte(`{"keys":[{"kty":"RSA","kid":"a","n":"AQAB","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","kid":"a"}]}`))
	f.Add([]byte(`{"keYs":[{"ktY":"RSA","e":"AAAB"}]}`))
	f.Add([]byte(`[]`))
	now := time.Unix(1_750_000_100, 0)
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := ParseJWKS(data)
		if err != nil {
			return
		}
		a := &JWTAuthorizer{Issuer: li.Issuer, Audience: []string{li.Audience}, Keys: keys}
		a.Verify(token, now)
	})
}

// httpMethod is what a client can put in a request line's method.
var httpMethod = regexp.MustCompile(`^[A-Za-z]{1,16}$`)

// FuzzGateway sends arbitrary requests through the gateway to a function that echoes its event: the
// gateway answers every one (no panic, no 5xx of its own), and the event it builds carries the path
// and a body that decodes to what was sent.
func FuzzGateway(f *testing.F) {
	var mu sync.Mutex
	var last events.APIGatewayV2HTTPRequest
	echo := lambda.NewHandler(func(ctx context.Context, e events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		mu.Lock()
		last = e
		mu.Unlock()
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "ok"}, nil
	})
	g, err := New(Config{Routes: []Route{
		{Method: "POST", Path: "/requests", Name: "Submit", Handler: echo},
		{Method: "GET", Path: "/requests/{id}", Name: "Status", Handler: echo},
		{Method: "ANY", Path: "/assets/{file+}", Name: "Assets", Handler: echo},
	}, Logger: nil})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("POST", "/requests", "application/x-www-form-urlencoded", "a=1", "rf_csrf=x")
	f.Add("GET", "/requests/req-1?t=abc&t=def", "", "", "")
	f.Add("GET", "/requests/%2e%2e%2fstaff", "", "", "a=b; c")
	f.Add("PUT", "/assets/a/b/c", "application/octet-stream", "\x00\xff", "")
	f.Add("GET", "/nowhere", "", "", "")
	f.Fuzz(func(t *testing.T, method, target, contentType, body, cookie string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n#") || !httpMethod.MatchString(method) {
			return // not a request line a client can send
		}
		if _, err := url.ParseRequestURI(target); err != nil {
			return // net/http answers 400 before any handler runs
		}
		r := httptest.NewRequest(method, "http://api.local"+target, strings.NewReader(body))
		if contentType != "" && !strings.ContainsAny(contentType, "\r\n") {
			r.Header.Set("Content-Type", contentType)
		}
		if cookie != "" && !strings.ContainsAny(cookie, "\r\n") {
			r.Header.Set("Cookie", cookie)
		}
		mu.Lock()
		last = events.APIGatewayV2HTTPRequest{}
		mu.Unlock()
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body)
		}
		mu.Lock()
		e := last
		mu.Unlock()
		if w.Code != http.StatusOK || e.RawPath == "" {
			return
		}
		sent := e.Body
		if e.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(e.Body)
			if err != nil {
				t.Fatalf("body is not base64: %v", err)
			}
			sent = string(b)
		}
		if sent != body {
			got, _ := json.Marshal(sent)
			t.Fatalf("the function got body %s, the client sent %q", got, body)
		}
	})
}
