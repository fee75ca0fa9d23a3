package apigw

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/refund"
	"refundflow/web"
)

// event loads a payload 2.0 event from testdata/events.
func event(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(data, &req); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return req
}

// post builds a POST event with the given content type and body, like API Gateway would.
func post(contentType, body string, base64Encoded bool) events.APIGatewayV2HTTPRequest {
	req := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /x", RawPath: "/x",
		Headers: map[string]string{"content-type": contentType},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "req-1", HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/x"},
		},
		Body: body, IsBase64Encoded: base64Encoded,
	}
	if base64Encoded {
		req.Body = base64.StdEncoding.EncodeToString([]byte(body))
	}
	return req
}

func code(err error) refund.Code { return refund.ErrorCode(err) }

func TestFormFromBase64Event(t *testing.T) {
	req := event(t, "form-post.json")
	v, err := Form(req)
	if err != nil {
		t.Fatal(err)
	}
	sub := web.SubmissionFromForm(v)
	want := refund.Submission{
		OrderNumber: "RF-2025-0042", PurchaseDate: "2025-03-01", Email: "ana@example.com", Kind: "refund",
		Reason: "other", Details: "Line one\r\nLine two & <b>bold</b>", Name: "Ana López",
	}
	if sub != want {
		t.Errorf("submission = %+v\nwant %+v", sub, want)
	}
	if errs := sub.Validate(); errs != nil {
		t.Errorf("sample form does not validate: %v", errs)
	}
	if got, want := ClientIP(req), "203.0.113.7"; got != want {
		t.Errorf("ClientIP = %q, want %q", got, want)
	}
	if got := UserAgent(req); !strings.HasPrefix(got, "Mozilla/5.0 (X11; Linux") {
		t.Errorf("UserAgent = %q", got)
	}
	if WantsJSON(req) {
		t.Error("browser form post wants HTML, not JSON")
	}
	if got, want := RequestID(req), "Cq2xKhVJjoEEJdA="; got != want {
		t.Errorf("RequestID = %q, want %q", got, want)
	}
}

func TestFormErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  events.APIGatewayV2HTTPRequest
		want refund.Code
	}{
		{"plain body ok", post("application/x-www-form-urlencoded", "a=1&b=2", false), ""},
		{"charset utf-8 ok", post("application/x-www-form-urlencoded; charset=UTF-8", "a=1", true), ""},
		{"empty ok", post("application/x-www-form-urlencoded", "", true), ""},
		{"json is not a form", post("application/json", "a=1", false), CodeUnsupportedMediaType},
		{"multipart refused", post("multipart/form-data; boundary=x", "a=1", true), CodeUnsupportedMediaType},
		{"latin-1 refused", post("application/x-www-form-urlencoded; charset=ISO-8859-1", "a=1", true), CodeUnsupportedMediaType},
		{"no content type", post("", "a=1", true), CodeUnsupportedMediaType},
		{"garbled content type", post("application/x-www-form-urlencoded; charset", "a=1", true), CodeUnsupportedMediaType},
		{"bad escape", post("application/x-www-form-urlencoded", "a=%zz", true), refund.CodeInvalid},
		{"semicolon", post("application/x-www-form-urlencoded", "a=1;b=2", true), refund.CodeInvalid},
		{"too many fields", post("application/x-www-form-urlencoded", strings.Repeat("a=1&", MaxFormFields)+"a=1", true), refund.CodeInvalid},
		{"max fields ok", post("application/x-www-form-urlencoded", strings.Repeat("a=1&", MaxFormFields-1)+"a=1", true), ""},
		{"too large", post("application/x-www-form-urlencoded", "a="+strings.Repeat("x", MaxBodyBytes), true), CodeTooLarge},
		{"broken base64", func() events.APIGatewayV2HTTPRequest {
			r := post("application/x-www-form-urlencoded", "", false)
			r.Body, r.IsBase64Encoded = "YT0x!!", true
			return r
		}(), refund.CodeInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Form(tc.req)
			if got := code(err); got != tc.want {
				t.Errorf("code = %q, want %q (err %v)", got, tc.want, err)
			}
		})
	}
}

func TestFormKeepsInvalidUTF8ForFieldValidation(t *testing.T) {
	v, err := Form(post("application/x-www-form-urlencoded", "order_number=%FF%FE", true))
	if err != nil {
		t.Fatal(err)
	}
	errs := web.SubmissionFromForm(v).Validate()
	if errs["order_number"] == "" {
		t.Errorf("invalid UTF-8 not reported on its field: %v", errs)
	}
}

func TestBodyLimits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		size   int
		base64 bool
		want   refund.Code
	}{
		{"plain at limit", MaxBodyBytes, false, ""},
		{"plain over", MaxBodyBytes + 1, false, CodeTooLarge},
		{"base64 at limit", MaxBodyBytes, true, ""},
		{"base64 one over", MaxBodyBytes + 1, true, CodeTooLarge},
		{"base64 far over", 4 * MaxBodyBytes, true, CodeTooLarge},
	} {
		body := strings.Repeat("x", tc.size)
		got, err := Body(post("text/plain", body, tc.base64))
		if code(err) != tc.want {
			t.Errorf("%s: code %q, want %q", tc.name, code(err), tc.want)
		}
		if err == nil && string(got) != body {
			t.Errorf("%s: body changed", tc.name)
		}
	}
	var e *refund.Error
	_, err := Body(post("text/plain", strings.Repeat("x", MaxBodyBytes+1), false))
	if !errors.As(err, &e) || !strings.Contains(e.Message, "256 KB") {
		t.Errorf("too-large message = %v", err)
	}
}

type sample struct {
	OrderNumber string `json:"order_number"`
	Amount      int64  `json:"amount"`
	Agree       bool   `json:"agree"`
	Nested      struct {
		Count int      `json:"count"`
		Tags  []string `json:"tags"`
	} `json:"nested"`
}

func TestDecodeJSONFromEvent(t *testing.T) {
	req := event(t, "json-post.json")
	var sub refund.Submission
	if err := DecodeJSON(req, &sub); err != nil {
		t.Fatal(err)
	}
	if sub.OrderNumber != "RF-2025-0042" || sub.Name != "Ana López" || sub.Reason != "changed_mind" {
		t.Errorf("decoded %+v", sub)
	}
	if !WantsJSON(req) {
		t.Error("JSON client should get JSON")
	}
	if got, want := Header(req, "Idempotency-Key"), "4f1c2a9e-7b3d-4e58-9a61-2c0f8d7e6b5a"; got != want {
		t.Errorf("Idempotency-Key = %q, want %q", got, want)
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	for _, tc := range []struct {
		name, ct, body string
		code           refund.Code
		field, message string // expected Fields entry (field → message) or Message substring
	}{
		{"ok", "application/json", `{"order_number":"RF-1","amount":5,"nested":{"count":1,"tags":["a"]}}`, "", "", ""},
		{"ok charset", "application/json; charset=utf-8", `{"agree":true}`, "", "", ""},
		{"wrong type string", "application/json", `{"order_number":42}`, refund.CodeInvalid, "order_number", "field order_number must be a string"},
		{"wrong type number", "application/json", `{"amount":"5"}`, refund.CodeInvalid, "amount", "field amount must be a whole number in range"},
		{"fraction", "application/json", `{"amount":1.5}`, refund.CodeInvalid, "amount", "field amount must be a whole number in range"},
		{"bool", "application/json", `{"agree":"yes"}`, refund.CodeInvalid, "agree", "field agree must be true or false"},
		{"nested", "application/json", `{"nested":{"count":"x"}}`, refund.CodeInvalid, "nested.count", "field nested.count must be a whole number in range"},
		{"object expected", "application/json", `{"nested":[]}`, refund.CodeInvalid, "nested", "field nested must be an object"},
		{"list expected", "application/json", `{"nested":{"tags":"a"}}`, refund.CodeInvalid, "nested.tags", "field nested.tags must be a list"},
		{"unknown field", "application/json", `{"order_number":"x","colour":"red"}`, refund.CodeInvalid, "colour", "field colour is not recognised"},
		{"syntax", "application/json", "{\n  \"a\": 1,\n}", refund.CodeInvalid, "", "line 3, column 1"},
		{"truncated", "application/json", `{"order_number":"x"`, refund.CodeInvalid, "", "ends too early"},
		{"two values", "application/json", `{}{}`, refund.CodeInvalid, "", "exactly one JSON value"},
		{"trailing garbage", "application/json", `{} x`, refund.CodeInvalid, "", "exactly one JSON value"},
		{"trailing space ok", "application/json", "{}\n  ", "", "", ""},
		{"empty", "application/json", ``, refund.CodeInvalid, "", "empty"},
		{"invalid utf-8", "application/json", "{\"order_number\":\"RF\xff1\"}", refund.CodeInvalid, "order_number", "is not valid UTF-8 text"},
		{"invalid utf-8 nested", "application/json", "{\"order_number\":\"RF\",\"nested\":{\"count\":1,\"tags\":[\"a\",\"b\xc3\"]}}", refund.CodeInvalid, "nested.tags[1]", "is not valid UTF-8 text"},
		{"invalid utf-8 in a name", "application/json", "{\"amount\":1,\"na\xffme\":\"x\"}", refund.CodeInvalid, "na\ufffdme", "has a field name that is not valid UTF-8 text"},
		{"invalid utf-8 outside a string", "application/json", "{\"amount\":1}\xff", refund.CodeInvalid, "", "not valid UTF-8"},
		{"null", "application/json", `null`, refund.CodeInvalid, "", "JSON object"},
		{"array", "application/json", `[1]`, refund.CodeInvalid, "", "JSON object"},
		{"no content type", "", `{}`, CodeUnsupportedMediaType, "", "Content-Type: application/json"},
		{"form content type", "application/x-www-form-urlencoded", `{}`, CodeUnsupportedMediaType, "", ""},
		{"text/plain", "text/plain", `{}`, CodeUnsupportedMediaType, "", ""},
		{"utf-16", "application/json; charset=utf-16", `{}`, CodeUnsupportedMediaType, "", ""},
		{"too large", "application/json", `{"order_number":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, CodeTooLarge, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v sample
			err := DecodeJSON(post(tc.ct, tc.body, false), &v)
			if got := code(err); got != tc.code {
				t.Fatalf("code = %q, want %q (err %v)", got, tc.code, err)
			}
			if err == nil {
				return
			}
			var e *refund.Error
			if !errors.As(err, &e) {
				t.Fatalf("not a *refund.Error: %T", err)
			}
			if tc.field != "" {
				if got := e.Fields[tc.field]; got != tc.message {
					t.Errorf("fields[%q] = %q, want %q (all: %v)", tc.field, got, tc.message, e.Fields)
				}
			} else if !strings.Contains(e.Message, tc.message) {
				t.Errorf("message %q lacks %q", e.Message, tc.message)
			}
			if strings.Contains(e.Message, "json:") || strings.Contains(e.Message, "Go ") {
				t.Errorf("message leaks decoder internals: %q", e.Message)
			}
		})
	}
}

func TestDecodeJSONBase64(t *testing.T) {
	var v sample
	if err := DecodeJSON(post("application/json", `{"order_number":"RF-9"}`, true), &v); err != nil || v.OrderNumber != "RF-9" {
		t.Errorf("base64 JSON: %v %+v", err, v)
	}
}

func TestWantsJSON(t *testing.T) {
	for _, tc := range []struct {
		accept, contentType string
		want                bool
	}{
		{"", "", false},
		{"", "application/json", true},
		{"*/*", "", false},
		{"*/*", "application/json", true},
		{"application/json", "", true},
		{"application/json", "application/x-www-form-urlencoded", true},
		{"text/html", "application/json", false},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "", false},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/x-www-form-urlencoded", false},
		{"application/json, text/plain, */*", "", true},
		{"text/html;q=0.5, application/json;q=0.9", "", true},
		{"application/*", "", true},
		{"application/json;q=0, */*", "application/json", false},
		{"text/*;q=0.3, application/json;q=0.2", "", false},
		{"garbage;;;", "", false},
		{"application/json;q=abc", "", false},
	} {
		req := post(tc.contentType, "", false)
		if tc.accept != "" {
			req.Headers["accept"] = tc.accept
		}
		if tc.contentType == "" {
			delete(req.Headers, "content-type")
		}
		if got := WantsJSON(req); got != tc.want {
			t.Errorf("Accept %q, Content-Type %q: WantsJSON = %v, want %v", tc.accept, tc.contentType, got, tc.want)
		}
	}
}

func TestHeaderCookieQueryFromEvent(t *testing.T) {
	req := event(t, "get-query-cookies.json")
	if got, want := Header(req, "Accept-Language"), "de-DE,de;q=0.9,en;q=0.8"; got != want {
		t.Errorf("Header = %q, want %q", got, want)
	}
	if got := Header(req, "X-Missing"); got != "" {
		t.Errorf("missing header = %q", got)
	}
	for _, tc := range []struct{ name, want string }{
		{"__Host-rf_csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"theme", "dark"},
		{"tz", "Europe%2FMadrid"},
	} {
		got, ok := Cookie(req, tc.name)
		if !ok || got != tc.want {
			t.Errorf("Cookie(%q) = %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
	if _, ok := Cookie(req, "rf_csrf"); ok {
		t.Error("found a cookie that was not sent")
	}
	q, err := Query(req)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := q.Get("t"), "Qm9vLWNvZGUtMTIzNDU2Nzg5MGFi"; got != want {
		t.Errorf("t = %q", got)
	}
	if got := q["lang"]; !slices.Equal(got, []string{"en", "de"}) {
		t.Errorf("lang = %v, want both values", got)
	}
	if got, want := Method(req), "GET"; got != want {
		t.Errorf("Method = %q", got)
	}
	if WantsJSON(req) {
		t.Error("browser GET wants HTML")
	}
}

func TestHeaderAnyCase(t *testing.T) {
	req := events.APIGatewayV2HTTPRequest{Headers: map[string]string{"X-Custom-Header": "v", "Cookie": "a=1; b=2"}}
	if got := Header(req, "x-custom-header"); got != "v" {
		t.Errorf("Header = %q", got)
	}
	// No cookies list: the Cookie header is read instead.
	if got, ok := Cookie(req, "b"); !ok || got != "2" {
		t.Errorf("Cookie from header = %q, %v", got, ok)
	}
}

func TestCookieSkipsMalformedEntries(t *testing.T) {
	req := events.APIGatewayV2HTTPRequest{Cookies: []string{"bad cookie\x00=x", "=novalue", "good=yes"}}
	if got, ok := Cookie(req, "good"); !ok || got != "yes" {
		t.Errorf("Cookie = %q, %v", got, ok)
	}
}

func TestQueryMalformed(t *testing.T) {
	req := events.APIGatewayV2HTTPRequest{RawQueryString: "t=%zz"}
	if _, err := Query(req); code(err) != refund.CodeInvalid {
		t.Errorf("malformed query: %v", err)
	}
	req = events.APIGatewayV2HTTPRequest{QueryStringParameters: map[string]string{"status": "in_review"}}
	if q, err := Query(req); err != nil || q.Get("status") != "in_review" {
		t.Errorf("fallback to queryStringParameters: %v %v", q, err)
	}
}

func TestUserAgentIsBounded(t *testing.T) {
	long := strings.Repeat("é", MaxUserAgentBytes) // 2 bytes each
	req := events.APIGatewayV2HTTPRequest{}
	req.RequestContext.HTTP.UserAgent = long
	got := UserAgent(req)
	if len(got) > MaxUserAgentBytes || !strings.HasPrefix(long, got) || len(got) < MaxUserAgentBytes-1 {
		t.Errorf("UserAgent len %d", len(got))
	}
	req = events.APIGatewayV2HTTPRequest{Headers: map[string]string{"user-agent": "curl/8"}}
	if got := UserAgent(req); got != "curl/8" {
		t.Errorf("UserAgent from header = %q", got)
	}
}

func TestClientIPIgnoresForwardedFor(t *testing.T) {
	req := event(t, "form-post.json")
	req.Headers["x-forwarded-for"] = "10.0.0.1, 203.0.113.7"
	if got := ClientIP(req); got != "203.0.113.7" {
		t.Errorf("ClientIP = %q, want the connection's address", got)
	}
}

func TestClaims(t *testing.T) {
	req := event(t, "staff-jwt.json")
	if got, want := JWTClaims(req)["sub"], "8f0e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"; got != want {
		t.Errorf("sub = %q", got)
	}
	if got := ClaimList(req, "cognito:groups"); !slices.Equal(got, []string{"staff", "reviewers"}) {
		t.Errorf("groups = %v", got)
	}
	for _, tc := range []struct {
		raw  string
		want []string
	}{
		{`["staff","admin"]`, []string{"staff", "admin"}},
		{"staff,admin", []string{"staff", "admin"}},
		{"[staff]", []string{"staff"}},
		{"staff", []string{"staff"}},
		{"", nil},
	} {
		req.RequestContext.Authorizer.JWT.Claims["cognito:groups"] = tc.raw
		if got := ClaimList(req, "cognito:groups"); !slices.Equal(got, tc.want) {
			t.Errorf("ClaimList(%q) = %v, want %v", tc.raw, got, tc.want)
		}
	}
	if JWTClaims(event(t, "form-post.json")) != nil || ClaimList(event(t, "form-post.json"), "x") != nil {
		t.Error("claims on a route without authorizer")
	}
}

func TestQueryParsesRawQueryStringStrictly(t *testing.T) {
	q, err := Query(events.APIGatewayV2HTTPRequest{RawQueryString: "a=1,2&a=3"})
	if err != nil || !slices.Equal(q["a"], []string{"1,2", "3"}) {
		t.Errorf("Query = %v, %v", q, err)
	}
	_ = url.Values{}
}

func BenchmarkFormBase64(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "events", "form-post.json"))
	if err != nil {
		b.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(data, &req); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Form(req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeJSON(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "events", "json-post.json"))
	if err != nil {
		b.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(data, &req); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		var sub refund.Submission
		if err := DecodeJSON(req, &sub); err != nil {
			b.Fatal(err)
		}
	}
}

func TestFormOrJSON(t *testing.T) {
	var v sample
	form, err := FormOrJSON(post("application/json", `{"order_number":"RF-1"}`, false), &v)
	if err != nil || form != nil || v.OrderNumber != "RF-1" {
		t.Errorf("JSON: form %v, value %+v, err %v", form, v, err)
	}
	v = sample{}
	form, err = FormOrJSON(post("application/x-www-form-urlencoded", "order_number=RF-2", false), &v)
	if err != nil || form.Get("order_number") != "RF-2" || v.OrderNumber != "" {
		t.Errorf("form: form %v, value %+v, err %v", form, v, err)
	}
	for _, ct := range []string{"", "text/plain", "multipart/form-data; boundary=x", "application/json; charset=latin1"} {
		_, err := FormOrJSON(post(ct, "{}", false), &v)
		if got := code(err); got != CodeUnsupportedMediaType {
			t.Errorf("%q: code %q, want %q (%v)", ct, got, CodeUnsupportedMediaType, err)
		}
	}
}
