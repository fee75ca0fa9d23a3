package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"
)

func TestJWTAuthorizer(t *testing.T) {
	issuer, err := NewLocalIssuer("https://issuer.example.com/pool", "staff-console")
	if err != nil {
		t.Fatal(err)
	}
	issuer.Now = func() time.Time { return testNow }
	other, err := NewLocalIssuer(issuer.Issuer, issuer.Audience)
	if err != nil {
		t.Fatal(err)
	}
	other.KeyID = issuer.KeyID // same kid, wrong key
	other.Now = issuer.Now

	authz := issuer.Authorizer("StaffAuthorizer")
	authz.Audience = []string{"staff-console", "mobile-app"}
	h := echo()
	g := newTestGateway(t, Config{Routes: []Route{
		{Method: "GET", Path: "/staff", Name: "Staff", Handler: h, Authorizer: authz},
		{Method: "POST", Path: "/staff/review", Name: "Review", Handler: h, Authorizer: authz, Scopes: []string{"refunds/review", "refunds/admin"}},
	}})

	sign := func(li *LocalIssuer, claims map[string]any) string {
		tok, err := li.Sign(claims)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	hs256, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": issuer.Issuer, "aud": "staff-console", "exp": testNow.Add(time.Hour).Unix()}).SignedString([]byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	unsigned, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": issuer.Issuer, "aud": "staff-console", "exp": testNow.Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	noKid := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": issuer.Issuer, "aud": "staff-console", "exp": testNow.Add(time.Hour).Unix()})
	noKidToken, err := noKid.SignedString(issuer.key)
	if err != nil {
		t.Fatal(err)
	}
	good := sign(issuer, nil)

	tests := []struct {
		name   string
		method string
		path   string
		header string
		want   int
	}{
		{"valid", "GET", "/staff", "Bearer " + good, 200},
		{"lower-case bearer", "GET", "/staff", "bearer " + good, 200},
		{"token without Bearer", "GET", "/staff", good, 200},
		{"missing", "GET", "/staff", "", 401},
		{"garbage", "GET", "/staff", "Bearer not.a.jwt", 401},
		{"wrong key", "GET", "/staff", "Bearer " + sign(other, nil), 401},
		{"unknown kid", "GET", "/staff", "Bearer " + noKidToken, 401},
		{"HS256", "GET", "/staff", "Bearer " + hs256, 401},
		{"alg none", "GET", "/staff", "Bearer " + unsigned, 401},
		{"wrong issuer", "GET", "/staff", "Bearer " + sign(issuer, map[string]any{"iss": "https://evil.example.com"}), 401},
		{"issuer with trailing slash", "GET", "/staff", "Bearer " + sign(issuer, map[string]any{"iss": issuer.Issuer + "/"}), 401},
		{"wrong audience", "GET", "/staff", "Bearer " + sign(issuer, map[string]any{"aud": "other"}), 401},
		{"one of audience list", "GET", "/staff", "Bearer " + sign(issuer, map[string]any{"aud": []string{"x", "mobile-app"}}), 200},
		{"client_id without aud", "GET", "/staff", "Bearer " + sign(issuer, map[string]any{"aud": nil, "client_id": "staff-console"}), 200},
		{"aud wins over client_id", "GET", "/staff", "Bearer " + sign(issuer, map[string]any{"aud": "x", "client_id": "staff-console"}), 401},
		{"no audience at all", "GET", "/staff", "Bearer " + sign(issuer, map[string]any{"aud": nil}), 401},
		{"expired", "GET", "/staff", "Bearer " + sign(issuer, map[string]any{"exp": testNow.Add(-time.Minute).Unix()}), 401},
		{"expired within leeway", "GET", "/staff", "Bearer " + sign(issuer, map[string]any{"exp": testNow.Add(-10 * time.Second).Unix()}), 200},
		{"no exp", "GET", "/staff", "Bearer " + sign(issuer, map[string]any{"exp": nil}), 401},
		{"exp not a number", "GET", "/staff", "Bearer " + sign(issuer, map[string]any{"exp": "tomorrow"}), 401},
		{"nbf in future", "GET", "/staff", "Bearer " + sign(issuer, map[string]any{"nbf": testNow.Add(time.Hour).Unix()}), 401},
		{"nbf within leeway", "GET", "/staff", "Bearer " + sign(issuer, map[string]any{"nbf": testNow.Add(10 * time.Second).Unix()}), 200},
		{"iat in future", "GET", "/staff", "Bearer " + sign(issuer, map[string]any{"iat": testNow.Add(time.Hour).Unix()}), 401},
		{"scope missing", "POST", "/staff/review", "Bearer " + good, 403},
		{"other scope", "POST", "/staff/review", "Bearer " + sign(issuer, map[string]any{"scope": "refunds/staff"}), 403},
		{"one of the scopes", "POST", "/staff/review", "Bearer " + sign(issuer, map[string]any{"scope": "refunds/staff refunds/admin"}), 200},
		{"scp list", "POST", "/staff/review", "Bearer " + sign(issuer, map[string]any{"scp": []string{"refunds/review"}}), 200},
		{"scopes need a valid token first", "POST", "/staff/review", "Bearer " + sign(other, map[string]any{"scope": "refunds/review"}), 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			rec := do(g, r)
			if got, want := rec.Code, tt.want; got != want {
				t.Fatalf("status = %d, want %d (%s)", got, want, rec.Body)
			}
			switch tt.want {
			case 401:
				if got, want := rec.Body.String(), `{"message":"Unauthorized"}`; got != want {
					t.Errorf("body = %s, want %s", got, want)
				}
				// API Gateway's own format: a bare challenge without a token, the reason with one.
				challenge := rec.Header().Get("Www-Authenticate")
				if tt.header == "" && challenge != "Bearer" ||
					tt.header != "" && !regexp.MustCompile(`^Bearer scope="" error="invalid_token" error_description="[^"]+"$`).MatchString(challenge) {
					t.Errorf("WWW-Authenticate = %q", challenge)
				}
				if tt.name == "wrong audience" && !strings.Contains(challenge, `error_description="the token does not have a valid audience"`) {
					t.Errorf("WWW-Authenticate = %q, want AWS's description of a wrong audience", challenge)
				}
			case 403:
				if got, want := rec.Body.String(), `{"message":"Forbidden"}`; got != want {
					t.Errorf("body = %s, want %s", got, want)
				}
			}
		})
	}
}

func TestJWTFromQueryStringAndJWKS(t *testing.T) {
	issuer, err := NewLocalIssuer("https://issuer.example.com", "aud")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := issuer.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParseJWKS(doc)
	if err != nil {
		t.Fatal(err)
	}
	authz := &JWTAuthorizer{Issuer: issuer.Issuer, Audience: []string{"aud"}, Keys: keys, IdentitySource: "$request.querystring.token"}
	h := echo()
	g := newTestGateway(t, Config{Now: time.Now, Routes: []Route{{Method: "GET", Path: "/q", Name: "Q", Handler: h, Authorizer: authz}}})
	tok, err := issuer.Sign(map[string]any{"sub": "s1"})
	if err != nil {
		t.Fatal(err)
	}
	rec := do(g, httptest.NewRequest("GET", "/q?token="+tok, nil))
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(rec.Body.Bytes(), &ev); err != nil {
		t.Fatal(err)
	}
	jwtd := ev.RequestContext.Authorizer.JWT
	if jwtd.Claims["sub"] != "s1" || jwtd.Scopes != nil {
		t.Errorf("claims %v, scopes %v", jwtd.Claims, jwtd.Scopes)
	}
	if rec := do(g, httptest.NewRequest("GET", "/q", nil)); rec.Code != http.StatusUnauthorized {
		t.Errorf("no token: status %d", rec.Code)
	}
	if _, err := ParseJWKS([]byte(`{"keys":[{"kty":"EC"}]}`)); err == nil {
		t.Error("ParseJWKS accepted a set without RSA keys")
	}
}

func TestClaimString(t *testing.T) {
	var claims map[string]any
	dec := json.NewDecoder(strings.NewReader(`{"s":"x","i":1773500906,"f":1.5,"big":12345678901234567890,"t":true,"n":null,"l":["a",1,["b"]],"o":{"b":2,"a":"z"}}`))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, v := range claims {
		got[k] = claimString(v)
	}
	want := map[string]string{
		"s": "x", "i": "1773500906", "f": "1.5", "big": "12345678901234567890", "t": "true", "n": "",
		"l": "[a 1 [b]]", "o": "map[a:z b:2]",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

// TestRestoreLocalIssuer keeps an issuer's key across a restart: a token
// signed before is accepted by the authorizer of the restored issuer, and a
// bad key is refused with a reason.
func TestRestoreLocalIssuer(t *testing.T) {
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	li, err := NewLocalIssuer("http://127.0.0.1:8080/_local/issuer", "refundflow-local")
	if err != nil {
		t.Fatal(err)
	}
	li.Now = func() time.Time { return now }
	tok, err := li.Sign(map[string]any{"sub": "staff"})
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := li.PrivateKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	back, err := RestoreLocalIssuer(li.Issuer, li.Audience, li.KeyID, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := back.Authorizer("StaffAuth").Verify(tok, now.Add(time.Minute))
	if err != nil {
		t.Fatalf("a token signed before the restore: %v", err)
	}
	if got, want := claims["sub"], "staff"; got != want {
		t.Errorf("sub = %v, want %v", got, want)
	}
	// The restored issuer signs tokens the original's authorizer accepts.
	back.Now = li.Now
	tok2, err := back.Sign(map[string]any{"sub": "again"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := li.Authorizer("StaffAuth").Verify(tok2, now); err != nil {
		t.Errorf("a token of the restored issuer: %v", err)
	}
	other, err := NewLocalIssuer(li.Issuer, li.Audience)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Authorizer("StaffAuth").Verify(tok, now); err == nil {
		t.Errorf("a fresh key accepted a token of the old one")
	}

	for _, tc := range []struct {
		name, kid, key, want string
	}{
		{"not PEM", li.KeyID, "nonsense", "not a PEM PRIVATE KEY block"},
		{"not PKCS 8", li.KeyID, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "parse key"},
		{"no key ID", "", string(keyPEM), "no key ID"},
	} {
		if _, err := RestoreLocalIssuer(li.Issuer, li.Audience, tc.kid, []byte(tc.key)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}
