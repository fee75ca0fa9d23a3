package stack

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"refundflow/infra/local/gateway"
	"refundflow/infra/local/localpage"
	"refundflow/infra/local/samtemplate"
)

// SignInPath is where the stack serves its stand-in of the staff user pool's hosted sign-in (Cognito's
// https://<prefix>.auth.<region>.amazoncognito.com): the same paths under it, /oauth2/authorize,
// /oauth2/token and /logout, so the staff console's code is the same locally and on AWS. The Web
// function's STAFF_SIGNIN_URL points here (buildFunctions), as the other functions' AWS endpoints
// point at the other stand-ins.
const SignInPath = "/_local/signin"

// The stand-in keeps Cognito's lifetimes: an authorization code is good for 5 minutes and once, and
// the console's tokens for the app client's hour (template.yaml's IdTokenValidity).
const (
	signInCodeTTL  = 5 * time.Minute
	signInTokenTTL = time.Hour
	// signInCookie is the stand-in's own session, as the hosted sign-in keeps one: a tab that signs
	// in while it lasts comes straight back without the list of users (sign in once per browser
	// session); /logout ends it.
	signInCookie = "refundflow_local_signin"
)

// DemoStaff is a demo member of staff the local sign-in lists.
type DemoStaff struct {
	// Sub is the token's subject (what the four-eyes rule compares), Email its email claim.
	Sub, Email string
	// Name and Role are what the sign-in page shows.
	Name, Role string
}

// DemoStaffUsers are the staff the local sign-in offers: two agents, so that one can propose and the
// other confirm a decision above the four-eyes limit, and a supervisor. The first is the member of
// staff of the printed staff token.
var DemoStaffUsers = []DemoStaff{
	{Sub: "local-staff", Email: localStaffEmail, Name: "Sam Okafor", Role: "Agent"},
	{Sub: "local-agent-2", Email: "agent2@refundflow.local", Name: "Lena Fischer", Role: "Agent"},
	{Sub: "local-supervisor", Email: localSupervisorEmail, Name: "Maria Rossi", Role: "Supervisor"},
}

// signIn is the hosted sign-in's stand-in: the authorization code flow with PKCE (RFC 7636, S256
// only, as the console sends), for the one public app client the console is.
type signIn struct {
	issuer    *gateway.LocalIssuer
	now       func() time.Time
	client    string   // the console's app client ID
	callbacks []string // its callback URLs: redirect_uri must be one of them exactly
	signOuts  []string // its sign-out URLs: logout_uri must be one of them exactly

	mu       sync.Mutex
	codes    map[string]authCode
	sessions map[string]string // session cookie → the user's Sub
}

type authCode struct {
	client, redirect, challenge, sub string
	expires                          time.Time
}

// newSignIn finds the template's app client with the authorization code flow (the console) among the
// authorizer's audience and serves its sign-in with issuer's key.
func newSignIn(t *samtemplate.Template, res samtemplate.Resolver, audience []string, issuer *gateway.LocalIssuer, now func() time.Time) (*signIn, error) {
	for _, r := range t.ResourcesOfType("AWS::Cognito::UserPoolClient") {
		v, err := samtemplate.ResolveValue(r.Properties, res)
		if err != nil {
			return nil, fmt.Errorf("app client %s: %w", r.LogicalID, err)
		}
		props, _ := v.(map[string]any)
		flows, _ := props["AllowedOAuthFlows"].([]any)
		if !slices.Contains(flows, any("code")) {
			continue
		}
		ref, err := res.Ref(r.LogicalID)
		if err != nil || !slices.Contains(audience, ref) {
			continue
		}
		return &signIn{issuer: issuer, now: now, client: ref, callbacks: asStrings(props["CallbackURLs"]), signOuts: asStrings(props["LogoutURLs"]),
			codes: map[string]authCode{}, sessions: map[string]string{}}, nil
	}
	return nil, nil
}

func asStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// ServeHTTP answers the stand-in's three endpoints.
func (si *signIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	switch strings.TrimPrefix(r.URL.Path, SignInPath) {
	case "/oauth2/authorize":
		si.authorize(w, r)
	case "/oauth2/token":
		si.token(w, r)
	case "/logout":
		si.logout(w, r)
	default:
		http.NotFound(w, r)
	}
}

// authorize checks the console's request and, while the stand-in's session lasts, sends the code back
// at once; otherwise it shows the demo staff to pick from (GET), and the pick (POST) sends the code.
// A wrong client or redirect_uri is answered here, never by a redirect (it could lead anywhere);
// other mistakes go back to the console as ?error=, as Cognito does.
func (si *signIn) authorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "use GET or POST", http.StatusMethodNotAllowed)
		return
	}
	if r.Method == http.MethodPost {
		if err := http.NewCrossOriginProtection().Check(r); err != nil {
			http.Error(w, "the sign-in form posts only from its own page", http.StatusForbidden)
			return
		}
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable request", http.StatusBadRequest)
		return
	}
	q := r.Form
	redirect := q.Get("redirect_uri")
	if q.Get("client_id") != si.client {
		si.page(w, http.StatusBadRequest, signInPageData{Error: "This sign-in is for the staff console's app client only (client_id)."})
		return
	}
	if !slices.Contains(si.callbacks, redirect) {
		si.page(w, http.StatusBadRequest, signInPageData{Error: "redirect_uri is not one of the app client's callback URLs."})
		return
	}
	back := func(params url.Values) {
		if s := q.Get("state"); s != "" {
			params.Set("state", s)
		}
		sep := "?"
		if strings.Contains(redirect, "?") {
			sep = "&"
		}
		http.Redirect(w, r, redirect+sep+params.Encode(), http.StatusFound)
	}
	challenge := q.Get("code_challenge")
	switch {
	case q.Get("response_type") != "code":
		back(url.Values{"error": {"unsupported_response_type"}})
		return
	case q.Get("code_challenge_method") != "S256" || !validPKCE(challenge):
		// The console is a public client: without PKCE a code caught on the way would be a token.
		back(url.Values{"error": {"invalid_request"}, "error_description": {"PKCE with S256 is required"}})
		return
	}
	sub := ""
	if r.Method == http.MethodPost {
		sub = q.Get("user")
	} else if c, err := r.Cookie(signInCookie); err == nil {
		si.mu.Lock()
		sub = si.sessions[c.Value]
		si.mu.Unlock()
	}
	user, ok := demoStaff(sub)
	if !ok {
		if r.Method == http.MethodPost {
			si.page(w, http.StatusBadRequest, signInPageData{Error: "Pick one of the demo staff.", Users: DemoStaffUsers, Params: signInParams(q)})
			return
		}
		si.page(w, http.StatusOK, signInPageData{Users: DemoStaffUsers, Params: signInParams(q)})
		return
	}
	code := randomToken()
	si.mu.Lock()
	si.codes[code] = authCode{client: si.client, redirect: redirect, challenge: challenge, sub: user.Sub, expires: si.now().Add(signInCodeTTL)}
	if r.Method == http.MethodPost {
		session := randomToken()
		si.sessions[session] = user.Sub
		http.SetCookie(w, &http.Cookie{Name: signInCookie, Value: session, Path: SignInPath, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	si.mu.Unlock()
	back(url.Values{"code": {code}})
}

// token exchanges a code for the member of staff's tokens (RFC 6749 4.1.3 with RFC 7636 4.5): the
// code is used up by the first attempt, right or wrong, and must come with the client and
// redirect_uri it was issued for and the verifier whose SHA-256 was the challenge.
func (si *signIn) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "invalid_request"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	f := r.PostForm
	if f.Get("grant_type") != "authorization_code" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	if f.Get("client_id") != si.client {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_client"})
		return
	}
	si.mu.Lock()
	c, ok := si.codes[f.Get("code")]
	delete(si.codes, f.Get("code"))
	si.mu.Unlock()
	if !ok || !si.now().Before(c.expires) || c.client != f.Get("client_id") || c.redirect != f.Get("redirect_uri") || !pkceMatches(f.Get("code_verifier"), c.challenge) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	user, _ := demoStaff(c.sub)
	now := si.now()
	exp := now.Add(signInTokenTTL).Unix()
	// Cognito's two tokens: the ID token (aud = the app client; the console's bearer, as the printed
	// staff token is one) and the access token (client_id instead of aud). Both carry the groups.
	id, err := si.issuer.Sign(map[string]any{"sub": user.Sub, "email": user.Email, "name": user.Name, "cognito:username": user.Sub,
		"cognito:groups": []string{"staff"}, "token_use": "id", "aud": si.client, "auth_time": now.Unix(), "exp": exp})
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	access, err := si.issuer.Sign(map[string]any{"sub": user.Sub, "username": user.Sub, "cognito:groups": []string{"staff"}, "token_use": "access",
		"aud": nil, "client_id": si.client, "scope": "openid email profile", "auth_time": now.Unix(), "exp": exp})
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, map[string]any{"id_token": id, "access_token": access, "token_type": "Bearer", "expires_in": int(signInTokenTTL / time.Second)})
}

// logout ends the stand-in's session and goes back to one of the app client's sign-out URLs.
func (si *signIn) logout(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != si.client || !slices.Contains(si.signOuts, q.Get("logout_uri")) {
		si.page(w, http.StatusBadRequest, signInPageData{Error: "logout_uri is not one of the app client's sign-out URLs (or client_id is not the console's)."})
		return
	}
	if c, err := r.Cookie(signInCookie); err == nil {
		si.mu.Lock()
		delete(si.sessions, c.Value)
		si.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: signInCookie, Value: "", Path: SignInPath, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, q.Get("logout_uri"), http.StatusFound)
}

func demoStaff(sub string) (DemoStaff, bool) {
	i := slices.IndexFunc(DemoStaffUsers, func(u DemoStaff) bool { return u.Sub == sub })
	if i < 0 {
		return DemoStaff{}, false
	}
	return DemoStaffUsers[i], true
}

// validPKCE reports whether s is a PKCE challenge or verifier: 43 to 128 of the unreserved characters.
func validPKCE(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~", c)) {
			return false
		}
	}
	return true
}

// pkceMatches is S256's check: BASE64URL(SHA256(verifier)) equals the challenge.
func pkceMatches(verifier, challenge string) bool {
	if !validPKCE(verifier) {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// signInParam is one of the authorize request's parameters, carried through the page's form.
type signInParam struct{ Name, Value string }

func signInParams(q url.Values) []signInParam {
	var out []signInParam
	for _, name := range []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"} {
		if q.Has(name) {
			out = append(out, signInParam{name, q.Get(name)})
		}
	}
	return out
}

type signInPageData struct {
	Error  string
	Users  []DemoStaff
	Params []signInParam
}

var signInPage = localpage.Must("signin", `
<h1>Sign in to the staff console</h1>
{{if .Error}}<div class="notice notice-error" role="alert"><p>{{.Error}}</p></div>{{end}}
{{if .Users}}
<p>The local stand-in of the staff user pool's hosted sign-in. On AWS, staff sign in here with their
password and authenticator code; locally, pick a demo member of staff. You stay signed in until you sign
out of the console.</p>
<form method="post" class="signin-users">
{{- range .Params}}
<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{- end}}
<ul>
{{- range .Users}}
<li><button type="submit" class="button" name="user" value="{{.Sub}}" id="user-{{.Sub}}">{{.Name}} <span>({{.Role}}, {{.Email}})</span></button></li>
{{- end}}
</ul>
</form>
{{end}}
`, nil)

func (si *signIn) page(w http.ResponseWriter, status int, data signInPageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Content-Security-Policy", localpage.CSP)
	w.WriteHeader(status)
	if err := signInPage.Render(w, "Sign in", SignInPath, data); err != nil {
		fmt.Fprintf(w, "render the sign-in page: %v", err)
	}
}
