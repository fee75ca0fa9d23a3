package stack

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/infra/local/gateway"
	"refundflow/refund"
)

// The hostile-input table sends requests a browser never would, over HTTP, to a running stack, and
// checks for each: a 4xx with the expected status; a message a person can read (a sentence, no raw
// error); no script echoed back unescaped; and, once all have run, nothing stored or changed (a scan
// of the table before and after, ignoring the "viewed" audit entries that GETs of links legitimately
// add).

// hostile is one hostile request.
type hostile struct {
	name   string
	method string
	path   string
	header map[string]string
	body   string
	// visitor sends it with its cookies (nil: a fresh visitor without cookies).
	visitor *visitor
	want    int
	// gatewayAnswer marks answers API Gateway itself gives (no route, authorizer refusal, body over
	// 10 MB): their body is AWS's fixed {"message": "..."}, not the application's.
	gatewayAnswer bool
	// field, when set, must be named in the JSON error's fields.
	field string
}

// rawErrorText matches fragments of Go and AWS errors that must never reach a client. A pointer or
// a stack offset as Go prints them (0xc000123456, +0x1d4) is a word of its own, lower-case: random
// values the pages carry on purpose (CSRF tokens, link codes and request IDs, in base64url or base32)
// contain "0x" and hex digits by chance inside a longer word, and must not match.
var rawErrorText = regexp.MustCompile(`(?i)json: |strconv\.|runtime error|operation error|invalid character|unexpected EOF|%!|goroutine |panic|dynamodb|<nil>|` +
	`(?-i:(?:^|[^0-9A-Za-z_.~-])0x[0-9a-f]{6,}(?:[^0-9A-Za-z_~-]|$))`)

// The raw-error pattern finds Go's pointers and stack offsets, and not the random values pages carry
// (a CSRF token with "0x" and six hex digits inside it failed a sweep).
func TestRawErrorTextPattern(t *testing.T) {
	for _, tc := range []struct {
		text string
		raw  bool
	}{
		{"&{0xc000123456 42}", true},
		{"main.handler(0xc00001c030, 0x2a)", true},
		{"\t/src/handler.go:42 +0x1d4a3e", true},
		{"pointer 0xc000123456", true},
		{"panic: boom", true},
		{`<input name="csrf_token" value="1765050000.Gq0xdfcb3c0Yk-2Zb9tVq8nWcX1Lm4RfAa">`, false},
		{`<input name="csrf_token" value="1765050000.0xdfcb3c0Yk-2Zb9tVq8nWcX1Lm4RfAaBcD">`, false},
		{`<a href="/requests/req-20250303-0xabcdef23456oxxlb?t=AbC0x1234567_deF">`, false},
		{"Order RF-0x123456 was not found.", false},
	} {
		if got := rawErrorText.MatchString(tc.text); got != tc.raw {
			t.Errorf("%q: raw error %v, want %v (matched %q)", tc.text, got, tc.raw, rawErrorText.FindString(tc.text))
		}
	}
}

// sentence reports whether s reads as a sentence for a person rather than a raw error: at least three
// words, starting with a letter, digit or quotation mark and ending with a full stop, question or
// exclamation mark. (Some API messages start with the parameter's name: "limit must be ...".)
func sentence(s string) bool {
	s = strings.TrimSpace(s)
	if len(strings.Fields(s)) < 3 {
		return false
	}
	first := []rune(s)[0]
	return (unicode.IsLetter(first) || unicode.IsDigit(first) || first == '"' || first == '“') && strings.ContainsAny(s[len(s)-1:], ".!?")
}

// tableItems scans the whole table and returns every item as canonical JSON by key, leaving out the
// audit entries of link views (GET and HEAD of a link may add them).
func tableItems(t *testing.T, s *Stack) map[string]string {
	t.Helper()
	out := map[string]string{}
	p := dynamodb.NewScanPaginator(s.DynamoDB, &dynamodb.ScanInput{TableName: aws.String(s.TableName), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("scan %s: %v", s.TableName, err)
		}
		for _, item := range page.Items {
			pk, sk := attrString(item["PK"]), attrString(item["SK"])
			if strings.HasPrefix(sk, "AUDIT#") && attrString(item["action"]) == "viewed" {
				continue
			}
			out[pk+" | "+sk] = canonicalItem(item)
		}
	}
	return out
}

func attrString(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// canonicalItem renders an item as JSON (map keys sorted), nested values included.
func canonicalItem(item map[string]types.AttributeValue) string {
	var m map[string]any
	if err := attributevalue.UnmarshalMap(item, &m); err != nil {
		return fmt.Sprintf("undecodable item: %v", err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Sprintf("unencodable item: %v", err)
	}
	return string(b)
}

// diffItems lists what changed between two scans.
func diffItems(before, after map[string]string) []string {
	var out []string
	for k, v := range after {
		if w, ok := before[k]; !ok {
			out = append(out, "added "+k)
		} else if w != v {
			out = append(out, "changed "+k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out = append(out, "removed "+k)
		}
	}
	sort.Strings(out)
	return out
}

// offerValue returns the first offer choice ("<id>|<hash>") of a consent page.
func offerValue(t *testing.T, v *visitor, path string) string {
	t.Helper()
	f := formWith(t, v.get(path), "consent-accept")
	if len(f.Radios["offer"]) == 0 {
		t.Fatalf("no offers on %s", path)
	}
	return f.Radios["offer"][0]
}

// randomCode is a well-formed link code nobody was sent.
func randomCode(t *testing.T) string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// tamper changes a signed JWT's payload claim and keeps the old signature.
func tamper(t *testing.T, token, claim string, value any) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	claims[claim] = value
	raw, _ = json.Marshal(claims)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(raw) + "." + parts[2]
}

// claimOf reads a string claim of a JWT (without checking its signature).
func claimOf(t *testing.T, token, claim string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	v, _ := claims[claim].(string)
	return v
}

func TestHostileRequests(t *testing.T) {
	t.Parallel()
	s := startStack(t)

	// The world the hostile requests aim at: two requests awaiting consent (each with its own
	// visitor, status code and consent code), one completed (its consent code used), one in staff
	// review.
	type fixture struct {
		v                *visitor
		id, status, link string // request ID, status page URL path+query, consent link path
	}
	open := func(number string) fixture {
		t.Helper()
		v := newVisitor(t, s)
		o := demoOrder(t, s, number)
		statusURL := v.submitForm(o, refund.KindRefund, refund.ReasonChangedMind, "Please cancel.").URL
		u, _ := url.Parse(statusURL)
		consent, _ := url.Parse(link(t, v.waitMail(o.Email, "Your options for order "+o.Number), "/consent/"))
		v.waitStatus(statusURL, refund.StatusAwaitingConsent)
		return fixture{v: v, id: requestID(t, statusURL), status: u.RequestURI(), link: consent.Path}
	}
	a, b := open("RF-1001"), open("RF-1003")
	done := open("RF-1004")
	accept(t, done.v, done.link, refund.OfferPartialRefund, demoOrder(t, s, "RF-1004").CustomerName)
	done.v.waitStatus(done.status, refund.StatusCompleted)
	staff := newStaff(t, s)
	reviewV := newVisitor(t, s)
	reviewStatus := reviewV.submitForm(demoOrder(t, s, "RF-1005"), refund.KindRefund, refund.ReasonChangedMind, "").URL
	reviewV.waitStatus(reviewStatus, refund.StatusInReview)
	reviewID := requestID(t, reviewStatus)
	reviewOffer := staff.detail(reviewID).Offers[0].ID

	codeOf := func(path string) string { u, _ := url.Parse(path); return u.Query().Get("t") }
	aStatusCode, bStatusCode := codeOf(a.status), codeOf(b.status)
	aConsentCode := strings.TrimPrefix(a.link, "/consent/")
	aOffer, bOffer := offerValue(t, a.v, a.link), offerValue(t, b.v, b.link)
	aOfferID, aHash, _ := strings.Cut(aOffer, "|")

	// Staff tokens that must not get in.
	issuerURL := s.StaffIssuer
	consoleAudience := claimOf(t, s.StaffToken, "aud")
	otherIssuer, err := gateway.NewLocalIssuer(issuerURL, "someone-else")
	if err != nil {
		t.Fatal(err)
	}
	staffClaims := map[string]any{"sub": "mallory", "email": "m@example.com", "cognito:groups": []string{"staff"}, "token_use": "id"}
	wrongAudience, _ := otherIssuer.Sign(staffClaims)
	otherIssuer.Audience = consoleAudience
	wrongKey, _ := otherIssuer.Sign(staffClaims)
	tamperedAudience := tamper(t, s.StaffToken, "aud", "someone-else")
	tamperedGroups := tamper(t, s.StaffToken, "cognito:groups", []string{"staff", "admin"})
	expiredIssuer, _ := gateway.NewLocalIssuer(issuerURL, consoleAudience)
	expiredIssuer.Now = func() time.Time { return time.Now().Add(-48 * time.Hour) }
	expired, _ := expiredIssuer.Sign(staffClaims)
	algNone := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		strings.Split(s.StaffToken, ".")[1] + "."

	jsonH := map[string]string{"Content-Type": "application/json", "Accept": "application/json"}
	formH := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	// from adds a browser's headers for a post sent from a page of origin (site: its Sec-Fetch-Site,
	// "" for a browser too old to send one).
	from := func(h map[string]string, origin, site string) map[string]string {
		out := map[string]string{"Origin": origin}
		if site != "" {
			out["Sec-Fetch-Site"] = site
		}
		for k, v := range h {
			out[k] = v
		}
		return out
	}
	const evil = "https://evil.example"
	bearer := func(tok string, extra map[string]string) map[string]string {
		h := map[string]string{"Authorization": "Bearer " + tok, "Accept": "application/json"}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	staffH := func(extra map[string]string) map[string]string { return bearer(s.StaffToken, extra) }
	billingH := func(extra map[string]string) map[string]string { return bearer(s.BillingToken, extra) }
	script := `<script>alert("x")</script>`
	badUTF8 := "Ana \xff\xfe L\xc3"
	sub := func(change func(map[string]any)) string {
		m := map[string]any{"order_number": "RF-1002", "purchase_date": demoOrder(t, s, "RF-1002").PurchaseDate,
			"email": "grace@example.com", "name": "Grace Hopper", "kind": "refund", "reason": "changed_mind", "details": "Please cancel."}
		change(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	form := func(change func(url.Values)) string {
		v := url.Values{"order_number": {"RF-1002"}, "purchase_date": {demoOrder(t, s, "RF-1002").PurchaseDate},
			"email": {"grace@example.com"}, "name": {"Grace Hopper"}, "kind": {"refund"}, "reason": {"changed_mind"}, "details": {"Please cancel."}}
		change(v)
		return v.Encode()
	}
	consentForm := func(change func(url.Values)) string {
		v := url.Values{"decision": {"accept"}, "offer": {aOffer}, "full_name": {"Ada Lovelace"}, "agree": {"yes"}}
		change(v)
		return v.Encode()
	}
	consentJSON := func(change func(map[string]any)) string {
		m := map[string]any{"decision": "accept", "offer_id": aOfferID, "offer_hash": aHash, "typed_name": "Ada Lovelace", "agree": true}
		change(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	order := func(change func(map[string]any)) string {
		m := map[string]any{"number": "RF-9001", "customer_name": "Mallory", "email": "m@example.com",
			"purchase_date": "2025-01-10", "currency": "EUR", "paid": 100000, "refunded": 0,
			"payment": map[string]any{"provider": "sandbox", "reference": "pi_evil", "card_hint": "4242", "three_d_secure": true, "captured": true},
			"status":  "active", "service": map[string]any{"type": "hours", "hours": map[string]any{"purchased": 10, "used": 0, "total_price": 100000}}, "version": 0}
		change(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	review := func(amount string) string {
		b, _ := json.Marshal(map[string]any{"decision": "adjust", "message": "x", "offers": []map[string]any{{"id": reviewOffer, "amount": amount}}})
		return string(b)
	}
	big := strings.Repeat("A", 300<<10)

	cases := []hostile{
		// The request form.
		{name: "JSON body over 256 KB", method: "POST", path: "/requests", header: jsonH, body: sub(func(m map[string]any) { m["details"] = big }), want: 413},
		{name: "form body over 256 KB", method: "POST", path: "/requests", header: formH, body: form(func(v url.Values) { v.Set("details", big) }), want: 413},
		{name: "body over API Gateway's 10 MB", method: "POST", path: "/requests", header: jsonH, body: strings.Repeat(" ", 10<<20+1), want: 413, gatewayAnswer: true},
		{name: "bad UTF-8 in a JSON field", method: "POST", path: "/requests", header: jsonH, body: `{"order_number":"RF-1002","purchase_date":"2025-01-10","email":"grace@example.com","name":"` + badUTF8 + `","kind":"refund","reason":"changed_mind"}`, want: 400, field: "name"},
		{name: "request form posted from another website", method: "POST", path: "/requests", header: from(formH, evil, "cross-site"), body: form(func(url.Values) {}), want: 403},
		{name: "request JSON posted from another website's script", method: "POST", path: "/requests", header: from(jsonH, evil, "cross-site"), body: sub(func(map[string]any) {}), want: 403},
		{name: "request form posted from a sibling subdomain", method: "POST", path: "/requests", header: from(formH, "http://shop.127.0.0.1.nip.io", "same-site"), body: form(func(url.Values) {}), want: 403},
		{name: "bad UTF-8 in a form field", method: "POST", path: "/requests", header: formH, body: form(func(v url.Values) { v.Set("details", badUTF8) }), want: 400},
		{name: "script in every JSON field", method: "POST", path: "/requests", header: jsonH, body: sub(func(m map[string]any) {
			for k := range m {
				m[k] = script
			}
		}), want: 400},
		{name: "script in every form field", method: "POST", path: "/requests", header: formH, body: form(func(v url.Values) {
			for k := range v {
				v.Set(k, script)
			}
		}), want: 400},
		{name: "script as the order number", method: "POST", path: "/requests", header: jsonH, body: sub(func(m map[string]any) { m["order_number"] = script }), want: 400},
		{name: "script as the purchase date", method: "POST", path: "/requests", header: jsonH, body: sub(func(m map[string]any) { m["purchase_date"] = script }), want: 400},
		{name: "script as the email", method: "POST", path: "/requests", header: formH, body: form(func(v url.Values) { v.Set("email", script+"@example.com") }), want: 400},
		{name: "script as the kind", method: "POST", path: "/requests", header: formH, body: form(func(v url.Values) { v.Set("kind", script) }), want: 400},
		{name: "script as the reason", method: "POST", path: "/requests", header: jsonH, body: sub(func(m map[string]any) { m["reason"] = script }), want: 400},
		{name: "key injection in the order number", method: "POST", path: "/requests", header: jsonH, body: sub(func(m map[string]any) { m["order_number"] = "ORDER#RF-1002" }), want: 400},
		{name: "quote injection in the order number", method: "POST", path: "/requests", header: jsonH, body: sub(func(m map[string]any) { m["order_number"] = "RF-1002' OR '1'='1" }), want: 400},
		{name: "impossible date", method: "POST", path: "/requests", header: jsonH, body: sub(func(m map[string]any) { m["purchase_date"] = "2025-02-30" }), want: 400},
		{name: "number where a string belongs", method: "POST", path: "/requests", header: jsonH, body: sub(func(m map[string]any) { m["email"] = 42 }), want: 400},
		{name: "unknown JSON field", method: "POST", path: "/requests", header: jsonH, body: sub(func(m map[string]any) { m["status"] = "completed" }), want: 400},
		{name: "trailing data after the JSON", method: "POST", path: "/requests", header: jsonH, body: sub(func(map[string]any) {}) + `{"x":1}`, want: 400},
		{name: "JSON array instead of an object", method: "POST", path: "/requests", header: jsonH, body: `[` + sub(func(map[string]any) {}) + `]`, want: 400},
		{name: "deeply nested JSON", method: "POST", path: "/requests", header: jsonH, body: strings.Repeat("[", 100000), want: 400},
		{name: "empty JSON body", method: "POST", path: "/requests", header: jsonH, want: 400},
		{name: "JSON sent as text/plain", method: "POST", path: "/requests", header: map[string]string{"Content-Type": "text/plain", "Accept": "application/json"}, body: sub(func(map[string]any) {}), want: 415},
		{name: "XML content type", method: "POST", path: "/requests", header: map[string]string{"Content-Type": "application/xml", "Accept": "application/json"}, body: `<request/>`, want: 415},
		{name: "multipart form", method: "POST", path: "/requests", header: map[string]string{"Content-Type": "multipart/form-data; boundary=x", "Accept": "application/json"}, body: "--x--", want: 415},
		{name: "Idempotency-Key of 300 characters", method: "POST", path: "/requests", header: map[string]string{"Content-Type": "application/json", "Accept": "application/json", "Idempotency-Key": strings.Repeat("k", 300)}, body: sub(func(map[string]any) {}), want: 400},
		{name: "Idempotency-Key outside ASCII", method: "POST", path: "/requests", header: map[string]string{"Content-Type": "application/json", "Accept": "application/json", "Idempotency-Key": "clé-ünïcode"}, body: sub(func(map[string]any) {}), want: 400},

		// The status page and withdraw.
		{name: "status page with a forged code", method: "GET", path: "/requests/" + a.id + "?t=" + randomCode(t), want: 404},
		{name: "status page with another request's code", method: "GET", path: "/requests/" + a.id + "?t=" + bStatusCode, want: 404},
		{name: "status page without a code", method: "GET", path: "/requests/" + a.id, want: 404},
		{name: "status page with a consent code", method: "GET", path: "/requests/" + a.id + "?t=" + aConsentCode, want: 404},
		{name: "path traversal in the request ID", method: "GET", path: "/requests/..%2F..%2Fetc%2Fpasswd?t=" + aStatusCode, want: 404},
		{name: "key injection in the request ID", method: "GET", path: "/requests/" + url.PathEscape("REQ#"+a.id) + "?t=" + aStatusCode, want: 404},
		{name: "withdraw posted from another website", method: "POST", path: "/requests/" + a.id + "/withdraw", header: from(formH, evil, "cross-site"), body: url.Values{"t": {aStatusCode}}.Encode(), want: 403},
		{name: "withdraw posted from another website by an old browser", method: "POST", path: "/requests/" + a.id + "/withdraw", header: from(formH, evil, ""), body: url.Values{"t": {aStatusCode}}.Encode(), want: 403},
		{name: "withdraw JSON from another website's script", method: "POST", path: "/requests/" + a.id + "/withdraw", header: from(jsonH, evil, "cross-site"), body: `{"t":"` + aStatusCode + `"}`, want: 403},
		{name: "withdraw with another request's code", method: "POST", path: "/requests/" + a.id + "/withdraw", header: formH, body: url.Values{"t": {bStatusCode}}.Encode(), want: 404},
		{name: "withdraw JSON with another request's code", method: "POST", path: "/requests/" + a.id + "/withdraw", header: jsonH, body: `{"t":"` + bStatusCode + `"}`, want: 404},
		{name: "withdraw JSON without a code", method: "POST", path: "/requests/" + a.id + "/withdraw", header: jsonH, body: `{}`, want: 404},
		{name: "withdraw JSON with the code as a number", method: "POST", path: "/requests/" + a.id + "/withdraw", header: jsonH, body: `{"t":42}`, want: 400, field: "t"},
		{name: "withdraw as text/plain", method: "POST", path: "/requests/" + a.id + "/withdraw", header: map[string]string{"Content-Type": "text/plain", "Accept": "application/json"}, body: `{"t":"` + aStatusCode + `"}`, want: 415},

		// The consent link.
		{name: "consent page with a forged code", method: "GET", path: "/consent/" + randomCode(t), want: 404},
		{name: "consent page with a status code", method: "GET", path: "/consent/" + aStatusCode, want: 404},
		{name: "consent page with a 5,000-character code", method: "GET", path: "/consent/" + strings.Repeat("x", 5000), want: 404},
		{name: "consent with a forged code", visitor: a.v, method: "POST", path: "/consent/" + randomCode(t), header: formH, body: consentForm(func(url.Values) {}), want: 404},
		{name: "consent posted from another website", method: "POST", path: a.link, header: from(formH, evil, "cross-site"), body: consentForm(func(url.Values) {}), want: 403},
		{name: "consent posted from another website by an old browser", method: "POST", path: a.link, header: from(formH, evil, ""), body: consentForm(func(url.Values) {}), want: 403},
		{name: "consent posted from a sandboxed page (Origin null)", method: "POST", path: a.link, header: from(formH, "null", "cross-site"), body: consentForm(func(url.Values) {}), want: 403},
		{name: "consent JSON from another website's script", method: "POST", path: a.link, header: from(jsonH, evil, "cross-site"), body: consentJSON(func(map[string]any) {}), want: 403},
		{name: "consent JSON with a forged hash", method: "POST", path: a.link, header: jsonH, body: consentJSON(func(m map[string]any) { m["offer_hash"] = strings.Repeat("0", 64) }), want: 409, field: "offer_hash"},
		{name: "consent JSON to another request's offer", method: "POST", path: a.link, header: jsonH, body: consentJSON(func(m map[string]any) { m["offer_id"], m["offer_hash"], _ = strings.Cut(bOffer, "|") }), want: 409},
		{name: "consent JSON without agreeing", method: "POST", path: a.link, header: jsonH, body: consentJSON(func(m map[string]any) { delete(m, "agree") }), want: 400, field: "agree"},
		{name: "consent JSON agreeing with a string", method: "POST", path: a.link, header: jsonH, body: consentJSON(func(m map[string]any) { m["agree"] = "yes" }), want: 400, field: "agree"},
		{name: "consent JSON with a bad UTF-8 name", method: "POST", path: a.link, header: jsonH, body: strings.Replace(consentJSON(func(map[string]any) {}), "Ada Lovelace", badUTF8, 1), want: 400, field: "typed_name"},
		{name: "consent JSON with a 10,000-character name", method: "POST", path: a.link, header: jsonH, body: consentJSON(func(m map[string]any) { m["typed_name"] = strings.Repeat("A", 10000) }), want: 400, field: "typed_name"},
		{name: "consent JSON with the form's fields", method: "POST", path: a.link, header: jsonH, body: `{"decision":"accept","offer":"` + aOffer + `","full_name":"Ada","csrf_token":"x"}`, want: 400},
		{name: "consent JSON with an unknown decision", method: "POST", path: a.link, header: jsonH, body: consentJSON(func(m map[string]any) { m["decision"] = script }), want: 400, field: "decision"},
		{name: "consent JSON through a used link", method: "POST", path: done.link, header: jsonH, body: `{"decision":"decline"}`, want: 410},
		{name: "consent with a forged offer hash", visitor: a.v, method: "POST", path: a.link, header: formH, body: consentForm(func(v url.Values) { v.Set("offer", aOfferID+"|"+strings.Repeat("0", 64)) }), want: 409},
		{name: "consent to another request's offer", visitor: a.v, method: "POST", path: a.link, header: formH, body: consentForm(func(v url.Values) { v.Set("offer", bOffer) }), want: 409},
		{name: "consent with an unknown decision", visitor: a.v, method: "POST", path: a.link, header: formH, body: consentForm(func(v url.Values) { v.Set("decision", "maybe") }), want: 400},
		{name: "consent with a 10,000-character name", visitor: a.v, method: "POST", path: a.link, header: formH, body: consentForm(func(v url.Values) { v.Set("full_name", strings.Repeat("A", 10000)) }), want: 400},
		{name: "consent with a bad UTF-8 name", visitor: a.v, method: "POST", path: a.link, header: formH, body: consentForm(func(v url.Values) { v.Set("full_name", badUTF8) }), want: 400},
		{name: "consent with script as the name and no agreement", visitor: a.v, method: "POST", path: a.link, header: formH, body: consentForm(func(v url.Values) { v.Set("full_name", script); v.Del("agree") }), want: 400},
		{name: "consent as XML", method: "POST", path: a.link, header: map[string]string{"Content-Type": "application/xml", "Accept": "application/json"}, body: `<decision/>`, want: 415},
		{name: "consent through a used link", method: "POST", path: done.link, header: formH, body: consentForm(func(url.Values) {}), want: 410},

		// The feedback link.
		{name: "feedback with a forged code", method: "POST", path: "/feedback/" + randomCode(t), header: formH, body: "rating=5", want: 404},
		{name: "feedback with a consent code", method: "GET", path: "/feedback/" + aConsentCode, want: 404},
		{name: "feedback posted from another website", method: "POST", path: "/feedback/" + randomCode(t), header: from(formH, evil, "cross-site"), body: "rating=5", want: 403},
		{name: "feedback JSON with a forged code", method: "POST", path: "/feedback/" + randomCode(t), header: jsonH, body: `{"rating":5}`, want: 404},

		// The staff API.
		{name: "staff route without a token", method: "GET", path: "/staff/api/requests", header: map[string]string{"Accept": "application/json"}, want: 401, gatewayAnswer: true},
		{name: "staff token for another audience", method: "GET", path: "/staff/api/requests", header: bearer(wrongAudience, nil), want: 401, gatewayAnswer: true},
		{name: "staff token signed with another key", method: "GET", path: "/staff/api/requests", header: bearer(wrongKey, nil), want: 401, gatewayAnswer: true},
		{name: "staff token with its audience edited", method: "GET", path: "/staff/api/requests", header: bearer(tamperedAudience, nil), want: 401, gatewayAnswer: true},
		{name: "staff token with its groups edited", method: "PUT", path: "/staff/api/orders/RF-9001", header: bearer(tamperedGroups, jsonH), body: order(func(map[string]any) {}), want: 401, gatewayAnswer: true},
		{name: "expired staff token", method: "GET", path: "/staff/api/requests", header: bearer(expired, nil), want: 401, gatewayAnswer: true},
		{name: "unsigned staff token (alg none)", method: "GET", path: "/staff/api/requests", header: bearer(algNone, nil), want: 401, gatewayAnswer: true},
		{name: "staff token on the order route", method: "PUT", path: "/staff/api/orders/RF-9001", header: staffH(jsonH), body: order(func(map[string]any) {}), want: 403, gatewayAnswer: true},
		{name: "staff token given the billing scope", method: "PUT", path: "/staff/api/orders/RF-9001", header: bearer(tamper(t, s.StaffToken, "scope", "refundflow/orders.write"), jsonH), body: order(func(map[string]any) {}), want: 401, gatewayAnswer: true},
		{name: "billing token lists requests", method: "GET", path: "/staff/api/requests?status=in_review", header: billingH(nil), want: 403},
		{name: "billing token reviews a request", method: "POST", path: "/staff/api/requests/" + reviewID + "/review", header: billingH(jsonH), body: `{"decision":"approve"}`, want: 403},
		{name: "order with a negative amount paid", method: "PUT", path: "/staff/api/orders/RF-9001", header: billingH(jsonH), body: order(func(m map[string]any) { m["paid"] = -100 }), want: 400},
		{name: "order with a huge amount paid", method: "PUT", path: "/staff/api/orders/RF-9001", header: billingH(jsonH), body: order(func(m map[string]any) { m["paid"] = 1e15 }), want: 400},
		{name: "order with a fractional amount", method: "PUT", path: "/staff/api/orders/RF-9001", header: billingH(jsonH), body: order(func(m map[string]any) { m["paid"] = 1000.5 }), want: 400},
		{name: "order refunded more than paid", method: "PUT", path: "/staff/api/orders/RF-9001", header: billingH(jsonH), body: order(func(m map[string]any) { m["refunded"] = 200000 }), want: 400},
		{name: "order with bad UTF-8 in the customer's name", method: "PUT", path: "/staff/api/orders/RF-9001", header: billingH(jsonH), body: strings.Replace(order(func(map[string]any) {}), "Mallory", badUTF8, 1), want: 400},
		{name: "order for a payment the provider does not know", method: "PUT", path: "/staff/api/orders/RF-9001", header: billingH(jsonH), body: order(func(map[string]any) {}), want: 422},
		{name: "order whose number differs from the path", method: "PUT", path: "/staff/api/orders/RF-1001", header: billingH(jsonH), body: order(func(map[string]any) {}), want: 400},
		{name: "order number with path traversal", method: "PUT", path: "/staff/api/orders/..%2FRF-1001", header: billingH(jsonH), body: order(func(m map[string]any) { m["number"] = "../RF-1001" }), want: 400},
		{name: "order with script as its number", method: "PUT", path: "/staff/api/orders/" + url.PathEscape(script), header: billingH(jsonH), body: order(func(m map[string]any) { m["number"] = script }), want: 400},
		{name: "order sent as a form", method: "PUT", path: "/staff/api/orders/RF-9001", header: billingH(formH), body: "number=RF-9001", want: 415},
		{name: "review adjust to a negative amount", method: "POST", path: "/staff/api/requests/" + reviewID + "/review", header: staffH(jsonH), body: review("-100.00"), want: 400},
		{name: "review adjust to a huge amount", method: "POST", path: "/staff/api/requests/" + reviewID + "/review", header: staffH(jsonH), body: review("99999999999999999.99"), want: 400},
		{name: "review adjust in exponent notation", method: "POST", path: "/staff/api/requests/" + reviewID + "/review", header: staffH(jsonH), body: review("1e5"), want: 400},
		{name: "review adjust with too many decimals", method: "POST", path: "/staff/api/requests/" + reviewID + "/review", header: staffH(jsonH), body: review("100.001"), want: 400},
		{name: "review with an unknown decision", method: "POST", path: "/staff/api/requests/" + reviewID + "/review", header: staffH(jsonH), body: `{"decision":"refund-everything"}`, want: 400},
		{name: "review of a request not in review", method: "POST", path: "/staff/api/requests/" + a.id + "/review", header: staffH(jsonH), body: `{"decision":"approve"}`, want: 409},
		{name: "review body over 256 KB", method: "POST", path: "/staff/api/requests/" + reviewID + "/review", header: staffH(jsonH), body: `{"decision":"reject","message":"` + big + `"}`, want: 413},
		{name: "staff detail with path traversal", method: "GET", path: "/staff/api/requests/..%2F..%2Forders", header: staffH(nil), want: 404},
		{name: "staff list with a forged cursor", method: "GET", path: "/staff/api/requests?status=in_review&cursor=" + base64.RawURLEncoding.EncodeToString([]byte(`{"PK":"ORDER#RF-1001","SK":"ORDER"}`)), header: staffH(nil), want: 400},
		{name: "staff list with a negative limit", method: "GET", path: "/staff/api/requests?limit=-1", header: staffH(nil), want: 400},
		{name: "staff list of an unknown status", method: "GET", path: "/staff/api/requests?status=" + url.QueryEscape(script), header: staffH(nil), want: 400},
		{name: "provider event without a signature", method: "POST", path: "/webhooks/stripe", header: jsonH, body: `{"id":"evt_1","object":"event","type":"refund.failed","data":{"object":{}}}`, want: 400},
		{name: "provider event with a forged signature", method: "POST", path: "/webhooks/stripe", header: map[string]string{"Content-Type": "application/json", "Stripe-Signature": "t=1,v1=" + strings.Repeat("0", 64)}, body: `{"id":"evt_1","object":"event","type":"charge.dispute.created","data":{"object":{}}}`, want: 400},
		{name: "provider event body over 256 KB", method: "POST", path: "/webhooks/stripe", header: jsonH, body: big, want: 413},
	}
	if len(cases) < 40 {
		t.Fatalf("only %d hostile requests", len(cases))
	}

	// The sandbox's events of the refunds made above are delivered first (the stack sends them every
	// second): the snapshot must not catch the webhook half way.
	if _, err := s.DeliverEvents(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := tableItems(t, s)
	passed := 0
	for _, c := range cases {
		v := c.visitor
		if v == nil {
			v = newVisitor(t, s)
		}
		var body *bytes.Reader
		if c.body != "" {
			body = bytes.NewReader([]byte(c.body))
		}
		var p page
		if body != nil {
			p = v.do(c.method, c.path, body, c.header)
		} else {
			p = v.do(c.method, c.path, nil, c.header)
		}
		if p.Status != c.want {
			t.Errorf("%s: %s %s answered %d, want %d: %s", c.name, c.method, c.path[:min(len(c.path), 80)], p.Status, c.want, truncate(string(p.Body), 300))
			continue
		}
		if checkHostileAnswer(t, c, p, script) {
			passed++
		}
	}
	after := tableItems(t, s)
	if d := diffItems(before, after); len(d) > 0 {
		t.Errorf("the hostile requests changed the table:\n%s", strings.Join(d, "\n"))
	}
	t.Logf("%d hostile requests, %d answered as expected; the table held %d items before and %d after", len(cases), passed, len(before), len(after))
}

// checkHostileAnswer checks that an answer explains itself in a sentence, without raw errors, and does
// not echo the injected script. It reports whether all held.
func checkHostileAnswer(t *testing.T, c hostile, p page, script string) bool {
	t.Helper()
	ok := true
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf(format, args...)
		ok = false
	}
	body := string(p.Body)
	if strings.Contains(body, script) {
		fail("%s: the answer echoes the script unescaped", c.name)
	}
	if rawErrorText.MatchString(body) {
		fail("%s: the answer shows a raw error: %s", c.name, rawErrorText.FindString(body))
	}
	if c.gatewayAnswer {
		var m struct{ Message string }
		if json.Unmarshal(p.Body, &m) != nil || m.Message == "" {
			fail("%s: API Gateway's answer is not its {\"message\"} JSON: %s", c.name, truncate(body, 200))
		}
		return ok
	}
	if c.header["Origin"] != "" && !strings.Contains(body, "sent from another website") {
		fail("%s: the 403 does not say why: %s", c.name, truncate(body, 200))
	}
	var msg string
	if strings.HasPrefix(p.Header.Get("Content-Type"), "application/json") {
		var e struct {
			Error struct {
				Code, Message string
				Fields        map[string]string
			}
		}
		if err := json.Unmarshal(p.Body, &e); err != nil || e.Error.Message == "" {
			fail("%s: a JSON error without a message: %s", c.name, truncate(body, 200))
			return false
		}
		msg = e.Error.Message
		if c.field != "" && e.Error.Fields[c.field] == "" {
			fail("%s: the error does not name the field %s: %s", c.name, c.field, truncate(body, 300))
		}
	} else {
		msg = firstSentence(mainText(t, p))
	}
	if !sentence(msg) {
		fail("%s: %q is not a sentence for a person", c.name, truncate(msg, 200))
	}
	return ok
}

// firstSentence returns the text up to and including its first full stop, question or exclamation
// mark (the whole text if it has none).
func firstSentence(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, ".!?"); i >= 0 {
		return s[:i+1]
	}
	return s
}
