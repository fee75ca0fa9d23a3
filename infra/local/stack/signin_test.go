package stack

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// pkcePair is a verifier and its S256 challenge.
func pkcePair(t *testing.T, seed string) (verifier, challenge string) {
	t.Helper()
	verifier = strings.Repeat(seed, 43/len(seed)+1)[:43]
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeQuery is the console's authorize request.
func authorizeQuery(s *Stack, challenge, state string) url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {s.signIn.client}, "redirect_uri": {s.URL + "/staff"},
		"scope": {"openid email profile"}, "state": {state}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
}

// codeFrom checks that p sends the browser back to the console and returns the code and state it
// carries.
func codeFrom(t *testing.T, s *Stack, p page) (code, state string) {
	t.Helper()
	if p.Status != http.StatusFound {
		t.Fatalf("want a redirect back to the console, got %s", p)
	}
	loc, err := url.Parse(p.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), s.URL+"/staff?") {
		t.Fatalf("redirected to %q, want the console", p.Header.Get("Location"))
	}
	return loc.Query().Get("code"), loc.Query().Get("state")
}

// exchangeCode posts the token request and returns the status and the decoded answer.
func exchangeCode(t *testing.T, v *visitor, form url.Values) (int, map[string]any) {
	t.Helper()
	p := v.do(http.MethodPost, SignInPath+"/oauth2/token", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	var out map[string]any
	if err := json.Unmarshal(p.Body, &out); err != nil {
		t.Fatalf("token answer is not JSON: %s", p)
	}
	if cc := p.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("token answer Cache-Control = %q, want no-store", cc)
	}
	return p.Status, out
}

// TestSignInStandIn walks the local hosted sign-in as the console does (authorization code flow with
// PKCE), and as an attacker with a caught code would: a wrong verifier, a code used twice, another
// redirect_uri, a stale code, a request without PKCE, an unknown callback or sign-out URL.
func TestSignInStandIn(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	v := newVisitor(t, s)
	verifier, challenge := pkcePair(t, "verifier-of-this-tab_")
	q := authorizeQuery(s, challenge, "state-1")

	// The first visit lists the demo staff: two agents and a supervisor.
	p := v.get(SignInPath + "/oauth2/authorize?" + q.Encode())
	if p.Status != http.StatusOK {
		t.Fatalf("authorize: %s", p)
	}
	for _, u := range DemoStaffUsers {
		if !strings.Contains(string(p.Body), `value="`+u.Sub+`"`) {
			t.Errorf("the sign-in page does not offer %s", u.Sub)
		}
	}
	if got := strings.Count(string(p.Body), "(Agent,"); got < 2 {
		t.Errorf("the sign-in page lists %d agents, want at least 2", got)
	}
	pick := func(q url.Values, sub string) page {
		form := url.Values{"user": {sub}}
		for k, vs := range q {
			form[k] = vs
		}
		return v.postForm(SignInPath+"/oauth2/authorize", form)
	}
	code, state := codeFrom(t, s, pick(q, "local-agent-2"))
	if code == "" || state != "state-1" {
		t.Fatalf("code %q state %q", code, state)
	}
	good := url.Values{"grant_type": {"authorization_code"}, "client_id": {s.signIn.client}, "code": {code},
		"redirect_uri": {s.URL + "/staff"}, "code_verifier": {verifier}}

	// A wrong verifier is refused, and uses the code up: the right one afterwards is refused too.
	wrong := url.Values{}
	for k, vs := range good {
		wrong[k] = vs
	}
	wrongVerifier, _ := pkcePair(t, "someone-else's-verifier")
	wrong.Set("code_verifier", wrongVerifier)
	if status, out := exchangeCode(t, v, wrong); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Errorf("wrong verifier: %d %v, want 400 invalid_grant", status, out)
	}
	if status, out := exchangeCode(t, v, good); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Errorf("the code after a failed exchange: %d %v, want 400 invalid_grant", status, out)
	}

	// While the sign-in's session lasts, the next authorize comes straight back with a code.
	code, _ = codeFrom(t, s, v.get(SignInPath+"/oauth2/authorize?"+q.Encode()))
	good.Set("code", code)
	status, out := exchangeCode(t, v, good)
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %v", status, out)
	}
	id, _ := out["id_token"].(string)
	claims, err := s.signIn.issuer.Authorizer("check").Verify(id, s.Clock.Now())
	if err != nil {
		t.Fatalf("the ID token does not verify with the stack's key: %v", err)
	}
	if claims["sub"] != "local-agent-2" || claims["token_use"] != "id" || claims["aud"] != s.signIn.client {
		t.Errorf("ID token claims %v", claims)
	}
	if ttl, _ := out["expires_in"].(float64); ttl != 3600 {
		t.Errorf("expires_in = %v, want 3600", out["expires_in"])
	}
	// The gateway's JWT authorizer takes it: the staff API answers.
	var list struct {
		Requests []any `json:"requests"`
	}
	staffVisitor{visitor: v, token: id}.call(http.MethodGet, "/requests", nil, &list, http.StatusOK)
	// Used once: the same code again is refused.
	if status, out := exchangeCode(t, v, good); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Errorf("a code used twice: %d %v, want 400 invalid_grant", status, out)
	}

	// The redirect_uri of the exchange must be the one the code was issued for.
	code, _ = codeFrom(t, s, v.get(SignInPath+"/oauth2/authorize?"+q.Encode()))
	good.Set("code", code)
	good.Set("redirect_uri", s.URL+"/staff/other")
	if status, out := exchangeCode(t, v, good); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Errorf("another redirect_uri: %d %v, want 400 invalid_grant", status, out)
	}
	good.Set("redirect_uri", s.URL+"/staff")

	// A code older than 5 minutes is refused.
	code, _ = codeFrom(t, s, v.get(SignInPath+"/oauth2/authorize?"+q.Encode()))
	good.Set("code", code)
	s.Clock.Advance(6 * time.Minute)
	if status, out := exchangeCode(t, v, good); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Errorf("a stale code: %d %v, want 400 invalid_grant", status, out)
	}

	// Another client, or a callback the app client does not allow, is answered on the sign-in's own
	// page (no redirect to an address nobody vouched for).
	for name, change := range map[string][2]string{
		"unknown redirect_uri": {"redirect_uri", "https://attacker.example/staff"},
		"unknown client":       {"client_id", "someone-else"},
	} {
		bad := authorizeQuery(s, challenge, "s")
		bad.Set(change[0], change[1])
		if p := v.get(SignInPath + "/oauth2/authorize?" + bad.Encode()); p.Status != http.StatusBadRequest || p.Header.Get("Location") != "" {
			t.Errorf("%s: %s, want 400 without a redirect", name, p)
		}
	}
	// Without PKCE (or with plain) the console is sent back with an error, no code.
	for _, method := range []string{"", "plain"} {
		bad := authorizeQuery(s, challenge, "s")
		bad.Set("code_challenge_method", method)
		p := v.get(SignInPath + "/oauth2/authorize?" + bad.Encode())
		loc, _ := url.Parse(p.Header.Get("Location"))
		if p.Status != http.StatusFound || loc == nil || loc.Query().Get("error") != "invalid_request" || loc.Query().Has("code") {
			t.Errorf("code_challenge_method %q: %s, want a redirect with error=invalid_request", method, p)
		}
	}

	// Sign-out: only to a sign-out URL of the app client; it ends the sign-in's session, so the next
	// authorize lists the staff again.
	if p := v.get(SignInPath + "/logout?" + url.Values{"client_id": {s.signIn.client}, "logout_uri": {"https://attacker.example/"}}.Encode()); p.Status != http.StatusBadRequest {
		t.Errorf("logout to an unknown URL: %s", p)
	}
	p = v.get(SignInPath + "/logout?" + url.Values{"client_id": {s.signIn.client}, "logout_uri": {s.URL + "/staff"}}.Encode())
	if p.Status != http.StatusFound || p.Header.Get("Location") != s.URL+"/staff" {
		t.Errorf("logout: %s", p)
	}
	if p := v.get(SignInPath + "/oauth2/authorize?" + q.Encode()); p.Status != http.StatusOK || !strings.Contains(string(p.Body), "local-supervisor") {
		t.Errorf("authorize after logout: %s, want the list of staff", p)
	}
	// A pick posted from another site is refused.
	form := url.Values{"user": {"local-supervisor"}}
	for k, vs := range q {
		form[k] = vs
	}
	if p := v.do(http.MethodPost, SignInPath+"/oauth2/authorize", strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://attacker.example", "Sec-Fetch-Site": "cross-site"}); p.Status != http.StatusForbidden {
		t.Errorf("a cross-site pick: %s", p)
	}
}
