package gateway

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultLeeway is the clock skew allowed on exp, nbf and iat.
const DefaultLeeway = 30 * time.Second

// KeySet maps a key ID (the token header's kid) to an RSA public key: the
// JWKS an issuer publishes, without fetching it from a URL.
type KeySet map[string]*rsa.PublicKey

// JWTAuthorizer validates bearer tokens as an HTTP API JWT authorizer does:
// RSA signature by a key of the set chosen by kid, iss equal to Issuer, aud
// (or client_id when there is no aud) one of Audience, exp in the future,
// nbf and iat in the past, and for routes with scopes at least one of them
// in the token's scope (or scp) claim.
type JWTAuthorizer struct {
	// Name is the authorizer's name in the template (for logs).
	Name string
	// IdentitySource is where the token is read: "$request.header.<Name>"
	// (default "$request.header.Authorization") or
	// "$request.querystring.<name>".
	IdentitySource string
	// Issuer must equal the token's iss claim exactly.
	Issuer string
	// Audience lists the accepted aud / client_id values.
	Audience []string
	// Keys verifies signatures.
	Keys KeySet
	// Leeway is the allowed clock skew (default DefaultLeeway).
	Leeway time.Duration
}

type authResult struct {
	claims    map[string]string
	scopes    []string
	challenge string
}

// token reads the token from the identity source; "Bearer " is optional.
func (a *JWTAuthorizer) token(r *http.Request) string {
	src := a.IdentitySource
	if src == "" {
		src = "$request.header.Authorization"
	}
	var v string
	if name, ok := strings.CutPrefix(src, "$request.header."); ok {
		v = r.Header.Get(name)
	} else if name, ok := strings.CutPrefix(src, "$request.querystring."); ok {
		v = r.URL.Query().Get(name)
	}
	v = strings.TrimSpace(v)
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		v = strings.TrimSpace(v[7:])
	}
	return v
}

// authorize returns the claims for the event, or the status to answer:
// 401 for a missing or invalid token, 403 for a token without the
// route's scopes.
func (a *JWTAuthorizer) authorize(r *http.Request, routeScopes []string, now time.Time) (*authResult, int) {
	tok := a.token(r)
	if tok == "" {
		return &authResult{challenge: "Bearer"}, http.StatusUnauthorized
	}
	claims, err := a.Verify(tok, now)
	if err != nil {
		return &authResult{challenge: invalidTokenChallenge(err)}, http.StatusUnauthorized
	}
	scopes := tokenScopes(claims)
	if len(routeScopes) > 0 && !slices.ContainsFunc(routeScopes, func(s string) bool { return slices.Contains(scopes, s) }) {
		return nil, http.StatusForbidden
	}
	out := make(map[string]string, len(claims))
	for k, v := range claims {
		out[k] = claimString(v)
	}
	return &authResult{claims: out, scopes: scopes}, 0
}

// invalidTokenChallenge is the WWW-Authenticate header of a 401 for a token that did not verify, in
// the form API Gateway documents for HTTP API JWT authorizers ("Troubleshooting issues with HTTP API
// JWT authorizers"): Bearer scope="" error="invalid_token" error_description="the token does not
// have a valid audience". The description is the reason Verify gives.
func invalidTokenChallenge(err error) string {
	desc := strings.TrimPrefix(err.Error(), "verify token: ")
	desc = strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 || r > 0x7e {
			return '\''
		}
		return r
	}, desc)
	return `Bearer scope="" error="invalid_token" error_description="` + desc + `"`
}

// Verify checks a token's signature and claims at time now and returns its
// claims (numbers as json.Number).
func (a *JWTAuthorizer) Verify(token string, now time.Time) (map[string]any, error) {
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256", "RS384", "RS512"}),
		jwt.WithoutClaimsValidation(), // checked below, API Gateway's way
		jwt.WithJSONNumber(),
	)
	claims := jwt.MapClaims{}
	_, err := parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, ok := a.Keys[kid]
		if !ok {
			return nil, fmt.Errorf("no key with kid %q", kid)
		}
		return key, nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify token: %w", err)
	}
	if iss, _ := claims["iss"].(string); iss != a.Issuer {
		return nil, fmt.Errorf("verify token: iss %q is not the issuer %q", iss, a.Issuer)
	}
	var auds []string
	switch aud := claims["aud"].(type) {
	case string:
		auds = []string{aud}
	case []any:
		for _, x := range aud {
			if s, ok := x.(string); ok {
				auds = append(auds, s)
			}
		}
	case nil:
		// Only without aud does API Gateway look at client_id.
		if cid, ok := claims["client_id"].(string); ok {
			auds = []string{cid}
		}
	}
	if !slices.ContainsFunc(auds, func(s string) bool { return slices.Contains(a.Audience, s) }) {
		return nil, errors.New("verify token: the token does not have a valid audience")
	}
	leeway := a.Leeway
	if leeway == 0 {
		leeway = DefaultLeeway
	}
	exp, ok, err := numericDate(claims, "exp")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("verify token: no exp claim")
	}
	if !now.Before(exp.Add(leeway)) {
		return nil, errors.New("verify token: the token has expired")
	}
	for _, name := range []string{"nbf", "iat"} {
		t, ok, err := numericDate(claims, name)
		if err != nil {
			return nil, err
		}
		if ok && now.Add(leeway).Before(t) {
			return nil, fmt.Errorf("verify token: %s is in the future", name)
		}
	}
	return claims, nil
}

func numericDate(claims jwt.MapClaims, name string) (time.Time, bool, error) {
	v, ok := claims[name]
	if !ok {
		return time.Time{}, false, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false, fmt.Errorf("verify token: %s is not a number", name)
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, false, fmt.Errorf("verify token: %s: %w", name, err)
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), true, nil
}

// tokenScopes reads the space-separated scope claim, or scp (a list or a
// space-separated string); nil when the token has neither.
func tokenScopes(claims map[string]any) []string {
	for _, name := range []string{"scope", "scp"} {
		switch v := claims[name].(type) {
		case string:
			return strings.Fields(v)
		case []any:
			var out []string
			for _, x := range v {
				if s, ok := x.(string); ok {
					out = append(out, s)
				}
			}
			return out
		}
	}
	return nil
}

// claimString renders a claim the way API Gateway passes JWT claims to a
// payload 2.0 integration: every value becomes a string; numbers keep the
// token's digits, lists become "[a b c]" (space-separated in brackets, as
// observed from API Gateway), objects "map[k:v]" with sorted keys.
func claimString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = claimString(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ":" + claimString(x[k])
		}
		return "map[" + strings.Join(parts, " ") + "]"
	}
	return fmt.Sprint(v)
}

// LocalIssuer is a token issuer for the local stack and tests: it holds an
// RSA key and signs RS256 tokens that a JWTAuthorizer built from it accepts,
// standing in for the Cognito user pool.
type LocalIssuer struct {
	// Issuer is the iss of signed tokens.
	Issuer string
	// Audience is the aud of signed tokens (unless the claims set one).
	Audience string
	// KeyID is the kid of the signing key.
	KeyID string
	// TTL is how long tokens are valid (default one hour).
	TTL time.Duration
	// Now is the clock for iat and exp (default time.Now).
	Now func() time.Time

	key *rsa.PrivateKey
}

// NewLocalIssuer generates a 2048-bit RSA key for issuer and audience.
func NewLocalIssuer(issuer, audience string) (*LocalIssuer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("local issuer: generate key: %w", err)
	}
	kid := make([]byte, 8)
	_, _ = rand.Read(kid)
	return &LocalIssuer{Issuer: issuer, Audience: audience, KeyID: hex.EncodeToString(kid), TTL: time.Hour, key: key}, nil
}

// PrivateKeyPEM returns the issuer's signing key as a PKCS #8 PEM block,
// for the local stack's data directory: an issuer restored from it (see
// RestoreLocalIssuer) accepts the tokens signed before a restart.
func (li *LocalIssuer) PrivateKeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(li.key)
	if err != nil {
		return nil, fmt.Errorf("local issuer: encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// RestoreLocalIssuer returns an issuer for issuer and audience that signs
// with a key PrivateKeyPEM returned, under the key ID kid (the one the
// saved issuer had, so that tokens it signed find their key).
func RestoreLocalIssuer(issuer, audience, kid string, keyPEM []byte) (*LocalIssuer, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("local issuer: the key is not a PEM PRIVATE KEY block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("local issuer: parse key: %w", err)
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("local issuer: the key is a %T, not an RSA key", k)
	}
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("local issuer: %w", err)
	}
	if kid == "" {
		return nil, errors.New("local issuer: no key ID")
	}
	return &LocalIssuer{Issuer: issuer, Audience: audience, KeyID: kid, TTL: time.Hour, key: key}, nil
}

// Sign signs claims with RS256. iss, aud, iat and exp are filled in when
// the claims do not set them (a claim set to nil is left out, to make
// invalid tokens in tests).
func (li *LocalIssuer) Sign(claims map[string]any) (string, error) {
	now := time.Now
	if li.Now != nil {
		now = li.Now
	}
	ttl := li.TTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	t := now()
	mc := jwt.MapClaims{"iss": li.Issuer, "aud": li.Audience, "iat": t.Unix(), "exp": t.Add(ttl).Unix()}
	for k, v := range claims {
		if v == nil {
			delete(mc, k)
			continue
		}
		mc[k] = v
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, mc)
	tok.Header["kid"] = li.KeyID
	s, err := tok.SignedString(li.key)
	if err != nil {
		return "", fmt.Errorf("local issuer: sign: %w", err)
	}
	return s, nil
}

// Keys returns the issuer's public key set.
func (li *LocalIssuer) Keys() KeySet {
	return KeySet{li.KeyID: &li.key.PublicKey}
}

// Authorizer returns a JWTAuthorizer that accepts this issuer's tokens.
func (li *LocalIssuer) Authorizer(name string) *JWTAuthorizer {
	return &JWTAuthorizer{Name: name, Issuer: li.Issuer, Audience: []string{li.Audience}, Keys: li.Keys()}
}

// JWKS returns the public key set as a JSON Web Key Set document, as an
// issuer serves it at its jwks_uri.
func (li *LocalIssuer) JWKS() ([]byte, error) {
	pub := li.key.PublicKey
	doc := map[string]any{"keys": []map[string]string{{
		"kty": "RSA",
		"use": "sig",
		"alg": "RS256",
		"kid": li.KeyID,
		"n":   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
	return json.Marshal(doc)
}

// ParseJWKS reads the RSA keys of a JSON Web Key Set document.
func ParseJWKS(data []byte) (KeySet, error) {
	var doc struct {
		Keys []struct {
			Kty string `json:"kty"`
			Kid string `json:"kid"`
			N   string `json:"n"`
			E   string `json:"e"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse JWKS: %w", err)
	}
	set := KeySet{}
	for i, k := range doc.Keys {
		if k.Kty != "RSA" {
			continue
		}
		n, err := base64.RawURLEncoding.DecodeString(k.N)
		if err != nil {
			return nil, fmt.Errorf("parse JWKS: key %d: n: %w", i, err)
		}
		e, err := base64.RawURLEncoding.DecodeString(k.E)
		if err != nil {
			return nil, fmt.Errorf("parse JWKS: key %d: e: %w", i, err)
		}
		exp := new(big.Int).SetBytes(e)
		if !exp.IsInt64() || exp.Int64() < 3 || exp.Int64() > 1<<31-1 {
			return nil, fmt.Errorf("parse JWKS: key %d: bad exponent", i)
		}
		set[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())}
	}
	if len(set) == 0 {
		return nil, errors.New("parse JWKS: no RSA keys")
	}
	return set, nil
}
