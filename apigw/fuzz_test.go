package apigw

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/refund"
)

// fuzzEvent builds an event from the parts of a request an outsider controls.
func fuzzEvent(contentType, body string, b64 bool, rawQuery, cookie string) events.APIGatewayV2HTTPRequest {
	req := events.APIGatewayV2HTTPRequest{
		RawQueryString:  rawQuery,
		Headers:         map[string]string{"content-type": contentType},
		Body:            body,
		IsBase64Encoded: b64,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", SourceIP: "203.0.113.7"},
		},
	}
	if cookie != "" {
		req.Cookies = []string{cookie}
	}
	return req
}

// seedEvents adds the real-shaped events of testdata/events to a corpus of (content type, body,
// base64, query, cookie).
func seedEvents(f *testing.F) {
	f.Helper()
	paths, _ := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		var e events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &e); err != nil {
			f.Fatalf("%s: %v", p, err)
		}
		cookie := ""
		if len(e.Cookies) > 0 {
			cookie = e.Cookies[0]
		}
		f.Add(e.Headers["content-type"], e.Body, e.IsBase64Encoded, e.RawQueryString, cookie)
	}
}

// FuzzForm throws arbitrary bodies, content types and encodings at Form. It must never panic, must
// refuse what it cannot read with a classified error (never an internal one), and must never accept
// more than MaxFormFields fields or a body over MaxBodyBytes.
func FuzzForm(f *testing.F) {
	seedEvents(f)
	f.Add("application/x-www-form-urlencoded", "a=1&a=2&b=%ZZ", false, "", "")
	f.Add("application/x-www-form-urlencoded; charset=latin1", "a=1", false, "", "")
	f.Add("application/x-www-form-urlencoded", base64.StdEncoding.EncodeToString([]byte("x=\xff\xfe")), true, "", "")
	f.Add("application/x-www-form-urlencoded", "%%%", true, "", "")
	f.Add("text/plain", "a=1;b=2", false, "", "")
	f.Add("", strings.Repeat("a=1&", 100), false, "", "")
	f.Fuzz(func(t *testing.T, contentType, body string, b64 bool, rawQuery, cookie string) {
		req := fuzzEvent(contentType, body, b64, rawQuery, cookie)
		v, err := Form(req)
		if err != nil {
			switch c := refund.ErrorCode(err); c {
			case refund.CodeInvalid, CodeUnsupportedMediaType, CodeTooLarge:
			default:
				t.Fatalf("Form refused with code %q: %v", c, err)
			}
			if _, d := Describe(req, err); d.Message == "" || !utf8.ValidString(d.Message) {
				t.Fatalf("no readable message for %v", err)
			}
			return
		}
		n := 0
		for _, vs := range v {
			n += len(vs)
		}
		if n > MaxFormFields {
			t.Fatalf("Form accepted %d fields", n)
		}
	})
}

// FuzzDecodeJSON decodes arbitrary bodies into the two JSON documents outsiders send: a submission
// and an order. It must never panic and must classify every refusal.
func FuzzDecodeJSON(f *testing.F) {
	seedEvents(f)
	f.Add("application/json", `{"order_number":"RF-1","purchase_date":"2025-01-01","email":"a@b.c","kind":"refund","reason":"other"}`, false, "", "")
	f.Add("application/json; charset=utf-8", `{"number":"RF-1","paid":1e99,"service":{"type":"project","project":{"milestones":[{"price":-1}]}}}`, false, "", "")
	f.Add("application/json", `{"email":"a"}{"email":"b"}`, false, "", "")
	f.Add("application/json", `[[[[[[[[[[`, false, "", "")
	f.Add("application/json; charset=utf-16", `{}`, false, "", "")
	f.Add("application/json", "\"\xff\"", false, "", "")
	f.Add("application/json", `null`, false, "", "")
	f.Fuzz(func(t *testing.T, contentType, body string, b64 bool, rawQuery, cookie string) {
		req := fuzzEvent(contentType, body, b64, rawQuery, cookie)
		for _, target := range []any{&refund.Submission{}, &refund.Order{}} {
			err := DecodeJSON(req, target)
			if err == nil {
				continue
			}
			switch c := refund.ErrorCode(err); c {
			case refund.CodeInvalid, CodeUnsupportedMediaType, CodeTooLarge:
			default:
				t.Fatalf("DecodeJSON into %T refused with code %q: %v", target, c, err)
			}
			if _, d := Describe(req, err); d.Message == "" || !utf8.ValidString(d.Message) {
				t.Fatalf("no readable message for %v", err)
			}
		}
	})
}

// FuzzRequestParts reads the other outside parts of an event: the query string, cookies, the Accept
// header and the body's base64. None may panic; Query refuses only with CodeInvalid.
func FuzzRequestParts(f *testing.F) {
	seedEvents(f)
	f.Add("text/html", "", true, "t=abc&t=def&x=%zz;y", "rf_csrf=abc; other=\"q\"; =; x")
	f.Add("application/json;q=0, text/html;q=0.5, */*;q=1e9", "====", true, "a=%00", "__Host-rf_csrf=")
	f.Fuzz(func(t *testing.T, accept, body string, b64 bool, rawQuery, cookie string) {
		req := fuzzEvent("", body, b64, rawQuery, cookie)
		req.Headers["accept"] = accept
		req.Headers["cookie"] = cookie
		req.Headers["user-agent"] = body
		if _, err := Query(req); err != nil && refund.ErrorCode(err) != refund.CodeInvalid {
			t.Fatalf("Query refused with %q: %v", refund.ErrorCode(err), err)
		}
		Cookie(req, "rf_csrf")
		WantsJSON(req)
		if ua := UserAgent(req); len(ua) > MaxUserAgentBytes {
			t.Fatalf("UserAgent returned %d bytes", len(ua))
		}
		if _, err := Body(req); err != nil {
			if c := refund.ErrorCode(err); c != refund.CodeInvalid && c != CodeTooLarge {
				t.Fatalf("Body refused with %q: %v", c, err)
			}
		}
	})
}

// FuzzCrossOriginCheck sends arbitrary methods, hosts and browser headers: nothing panics, every
// refusal is CodeForbidden, safe methods and the trusted origin always pass, and a post that a
// browser marks cross-site from an untrusted origin never does.
func FuzzCrossOriginCheck(f *testing.F) {
	check, err := NewCrossOrigin("https://www.example.com")
	if err != nil {
		f.Fatal(err)
	}
	f.Add("POST", "refunds.example.com", "cross-site", "https://evil.example")
	f.Add("POST", "refunds.example.com", "", "https://refunds.example.com")
	f.Add("POST", "refunds.example.com", "", "null")
	f.Add("GET", "", "same-site", "")
	f.Add("DELETE", "x:1", "none", "https://www.example.com")
	f.Add("POST", "[::1]:80", "Cross-Site", "http://[::1]:80")
	f.Fuzz(func(t *testing.T, method, host, site, origin string) {
		req := events.APIGatewayV2HTTPRequest{Headers: map[string]string{"host": host, "sec-fetch-site": site, "origin": origin}}
		req.RequestContext.HTTP.Method = method
		err := check.Check(req)
		if err == nil {
			if site == "cross-site" && origin != "https://www.example.com" && !safeMethod(method) {
				t.Fatalf("a cross-site %s from %q passed", method, origin)
			}
			return
		}
		if refund.ErrorCode(err) != refund.CodeForbidden {
			t.Fatalf("refusal with code %q: %v", refund.ErrorCode(err), err)
		}
		if safeMethod(method) || origin == "https://www.example.com" {
			t.Fatalf("%s from %q refused: %v", method, origin, err)
		}
	})
}

func safeMethod(m string) bool {
	switch strings.ToUpper(m) {
	case "GET", "HEAD", "OPTIONS":
		return true
	}
	return false
}
