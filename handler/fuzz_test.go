package handler

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/refund"
)

// FuzzMatchRoute routes arbitrary paths, as a $default route or a hand-made event delivers them: a
// match has the template's number of segments, and each path parameter (request IDs, link codes) is
// its segment, unescaped and not empty. Whatever a parameter holds ("../../x" included) is then only
// ever a lookup key, never a path.
func FuzzMatchRoute(f *testing.F) {
	f.Add("/consent/Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4")
	f.Add("/requests/req-20250310-abc/withdraw")
	f.Add("/requests/..%2F..%2Fetc%2Fpasswd")
	f.Add("/requests/%2")
	f.Add("//consent//")
	f.Add("/feedback/%00%ff")
	templates := []string{"/requests/{id}", "/requests/{id}/withdraw", "/consent/{code}", "/feedback/{code}"}
	f.Fuzz(func(t *testing.T, path string) {
		route, params := matchRoute(events.APIGatewayV2HTTPRequest{RawPath: path}, templates...)
		if route == "" {
			return
		}
		got := strings.Split(strings.Trim(path, "/"), "/")
		want := strings.Split(strings.Trim(route, "/"), "/")
		if len(got) != len(want) {
			t.Fatalf("%q matched %q", path, route)
		}
		for i, seg := range want {
			if !strings.HasPrefix(seg, "{") {
				continue
			}
			v := params[strings.Trim(seg, "{}")]
			if raw, err := url.PathUnescape(got[i]); err != nil || v == "" || v != raw {
				t.Fatalf("%q: parameter %s = %q from segment %q", path, seg, v, got[i])
			}
		}
	})
}

// FuzzIdempotencyKey reads arbitrary Idempotency-Key headers: an accepted key is scoped, 1–255
// printable ASCII characters, and every refusal is CodeInvalid.
func FuzzIdempotencyKey(f *testing.F) {
	f.Add("7d444840-9dc0-11d1-b245-5ffdce74fad2")
	f.Add("")
	f.Add(" spaced key ")
	f.Add(strings.Repeat("k", 256))
	f.Add("clé")
	f.Add("a\x00b")
	f.Fuzz(func(t *testing.T, header string) {
		req := events.APIGatewayV2HTTPRequest{Headers: map[string]string{"idempotency-key": header}}
		key, err := idempotencyKey(req)
		if err != nil {
			if refund.ErrorCode(err) != refund.CodeInvalid {
				t.Fatalf("refused with %q", refund.ErrorCode(err))
			}
			return
		}
		if key == "" {
			if strings.TrimSpace(header) != "" {
				t.Fatalf("key %q ignored", header)
			}
			return
		}
		k := strings.TrimPrefix(key, idempotencyKeyScope)
		if len(k) == 0 || len(k) > maxIdempotencyKeyLen {
			t.Fatalf("accepted a key of %d bytes", len(k))
		}
		for i := 0; i < len(k); i++ {
			if k[i] < 0x21 || k[i] > 0x7e {
				t.Fatalf("accepted byte %#x", k[i])
			}
		}
	})
}

// FuzzReviewDecision decodes and checks arbitrary staff review bodies: nothing panics, and what passes
// has a known decision, offers only for adjust, and a readable message of bounded length.
func FuzzReviewDecision(f *testing.F) {
	f.Add(`{"decision":"adjust","message":"Goodwill.","offers":[{"id":"req-1-full_refund","amount":"4500.00"}]}`)
	f.Add(`{"decision":"approve","offers":[{"id":"x"}]}`)
	f.Add(`{"decision":"reject","message":""}`)
	f.Add(`{"decision":"reject","message":"\u202e"}`)
	f.Add(`{"decision":"adjust","offers":[{"id":"a","kind":"service_credit","amount":"-1"}],"x":1}`)
	f.Fuzz(func(t *testing.T, body string) {
		req := events.APIGatewayV2HTTPRequest{
			Headers:         map[string]string{"content-type": "application/json"},
			Body:            base64.StdEncoding.EncodeToString([]byte(body)),
			IsBase64Encoded: true,
		}
		var d ReviewDecision
		if err := apigw.DecodeJSON(req, &d); err != nil {
			return
		}
		if err := validateReview(d); err != nil {
			if refund.ErrorCode(err) != refund.CodeInvalid {
				t.Fatalf("refused with %q", refund.ErrorCode(err))
			}
			return
		}
		switch d.Decision {
		case ReviewApprove, ReviewReject:
			if len(d.Offers) > 0 {
				t.Fatalf("%s with offers passed", d.Decision)
			}
		case ReviewAdjust:
			if len(d.Offers) == 0 {
				t.Fatal("adjust without offers passed")
			}
		default:
			t.Fatalf("decision %q passed", d.Decision)
		}
		if !utf8.ValidString(d.Message) || utf8.RuneCountInString(d.Message) > maxReviewMessageRunes {
			t.Fatalf("message %q passed", d.Message)
		}
		for _, o := range d.Offers {
			if o.Amount != "" {
				refund.ParseMoney(o.Amount, "EUR") // must not panic on whatever staff type
			}
		}
	})
}

// FuzzPageParams reads arbitrary staff list query strings: limit is 1–100 when accepted.
func FuzzPageParams(f *testing.F) {
	f.Add("status=in_review&limit=20&cursor=abc")
	f.Add("limit=0")
	f.Add("limit=1e2")
	f.Add("limit=%2B5&limit=7")
	f.Add("cursor=%zz")
	f.Fuzz(func(t *testing.T, rawQuery string) {
		_, limit, _, err := pageParams(events.APIGatewayV2HTTPRequest{RawQueryString: rawQuery})
		if err != nil {
			if refund.ErrorCode(err) != refund.CodeInvalid {
				t.Fatalf("refused with %q", refund.ErrorCode(err))
			}
			return
		}
		if limit < 1 || limit > 100 {
			t.Fatalf("limit %d accepted", limit)
		}
	})
}
