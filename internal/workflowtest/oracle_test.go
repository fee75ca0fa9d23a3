package workflowtest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/refund"
)

// The form must not tell anyone which orders exist or have an open request (issue 15): a submission
// whose order number, purchase date and email do not all match an order gets exactly the answer of
// a submission for an order that does not exist, whether or not the order has an open request, as a
// form and as JSON; only a submitter who matched the order learns that it has an open request (409).
// The answers are compared whole (status, every header, body), with the parts that differ on every
// answer (the request's ID and its status code, in Location, the body and statusUrl) replaced by
// their shape. Later the workflow rejects each of them as it rejects the unknown order, the order's
// open request stays open, and nobody is emailed.
func TestFormAnswerSaysNothingAboutOrdersNotNamed(t *testing.T) {
	h := New(t, Options{Parked: true})
	quiet := h.NewOrder(refund.ServiceProject)                                                      // no request
	busy := h.NewOrder(refund.ServiceProject, func(o *refund.Order) { o.Email = "bo@example.com" }) // one open request
	open, _ := h.SubmitRequest(busy, refund.ReasonChangedMind, "")
	h.Settle()
	h.WantStatus(open, refund.StatusAwaitingConsent)
	mailsBefore := len(h.Box.Messages())

	unknown := refund.Order{Number: "RF-2099-0001", PurchaseDate: quiet.PurchaseDate, Email: quiet.Email}
	wrongEmail := func(o refund.Order) refund.Order { o.Email = "someone.else@example.com"; return o }
	wrongDate := func(o refund.Order) refund.Order { o.PurchaseDate = "2025-02-27"; return o }
	cases := []struct {
		name  string
		order refund.Order
	}{
		{"unknown order", unknown},
		{"wrong email, no open request", wrongEmail(quiet)},
		{"wrong date, no open request", wrongDate(quiet)},
		{"wrong email, open request", wrongEmail(busy)},
		{"wrong date, open request", wrongDate(busy)},
		{"wrong email and date, open request", wrongDate(wrongEmail(busy))},
	}
	var rejected []string
	for _, kind := range []string{"form", "json"} {
		var want string
		for _, c := range cases {
			resp, id := submitRaw(t, h, kind, c.order)
			got := answerShape(t, resp)
			if want == "" {
				want = got
				t.Logf("%s answer to every submission that does not match an order:\n%s", kind, want)
			} else if got != want {
				t.Errorf("%s, %s: the answer differs from the unknown order's\n got: %s\nwant: %s", kind, c.name, got, want)
			}
			rejected = append(rejected, id)
		}
		// The matching submitter, and only they, learns that the order has an open request.
		resp, _ := submitRaw(t, h, kind, busy)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body(resp), "There is already an open request for order "+busy.Number) {
			t.Errorf("%s, matching submitter of an order with an open request: %d %s; want 409 naming the open request", kind, resp.StatusCode, body(resp))
		}
	}

	h.Settle()
	var wantFinding refund.Finding
	for i, id := range rejected {
		r := h.Request(id)
		if r.Status != refund.StatusRejected || r.Verification == nil || len(r.Verification.Findings) == 0 {
			t.Errorf("request %s is %s with %+v, want rejected with findings", id, r.Status, r.Verification)
			continue
		}
		last := r.Verification.Findings[len(r.Verification.Findings)-1]
		if i == 0 {
			wantFinding = last
		}
		if last != wantFinding || last.Code != refund.FindingOrderNotMatched {
			t.Errorf("request %s was rejected with %+v, want %+v as the unknown order", id, last, wantFinding)
		}
		if r.OrderConfirmed() {
			t.Errorf("request %s counts as confirming order %s", id, r.OrderNumber)
		}
	}
	if got, err := h.Store.OpenRequestID(h.Ctx, busy.Number); err != nil || got != open {
		t.Errorf("open request of %s = %q, %v; want %s, untouched by the others", busy.Number, got, err, open)
	}
	if got, err := h.Store.OpenRequestID(h.Ctx, quiet.Number); err != nil || got != "" {
		t.Errorf("open request of %s = %q, %v; want none: a wrong guess must not block the order", quiet.Number, got, err)
	}
	h.WantStatus(open, refund.StatusAwaitingConsent)
	if n := len(h.Box.Messages()); n != mailsBefore {
		t.Errorf("%d emails were sent for submissions that matched no order (outbox: %s)", n-mailsBefore, h.OutboxSummary())
	}
	// And the order's real client can still ask about the quiet order.
	id, _ := h.SubmitRequest(quiet, refund.ReasonChangedMind, "")
	h.Settle()
	h.WantStatus(id, refund.StatusAwaitingConsent)
}

// submitRaw sends a submission for o's number, purchase date and email as a browser's form or as
// JSON, and returns the function's whole answer and the request's ID ("" when none was created). The
// request is tracked for the invariants.
func submitRaw(t *testing.T, h *Harness, kind string, o refund.Order) (events.APIGatewayV2HTTPResponse, string) {
	t.Helper()
	sub := refund.Submission{OrderNumber: o.Number, PurchaseDate: o.PurchaseDate, Email: o.Email,
		Kind: string(refund.KindRefund), Reason: string(refund.ReasonChangedMind), Details: "Please cancel.", Name: "Ana López"}
	var e events.APIGatewayV2HTTPRequest
	if kind == "json" {
		b, _ := json.Marshal(sub)
		e = Event("POST", "/requests", "/requests", "", nil, map[string]string{"content-type": "application/json", "accept": "application/json"}, string(b))
	} else {
		form := url.Values{"order_number": {sub.OrderNumber}, "purchase_date": {sub.PurchaseDate}, "email": {sub.Email},
			"kind": {sub.Kind}, "reason": {sub.Reason}, "details": {sub.Details}, "name": {sub.Name}}
		e = Event("POST", "/requests", "/requests", "", nil, map[string]string{"content-type": "application/x-www-form-urlencoded",
			"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "origin": BaseURL}, form.Encode())
	}
	resp, err := h.HTTP.Submit.Handle(h.Ctx, e)
	if err != nil {
		t.Fatalf("submit %s for %s: %v", kind, o.Number, err)
	}
	id := ""
	if m := requestIDPattern.FindString(resp.Headers["Location"] + body(resp)); m != "" {
		id = m
		h.Track(id)
	}
	return resp, id
}

// body returns the answer's body, decoded.
func body(resp events.APIGatewayV2HTTPResponse) string {
	if resp.IsBase64Encoded {
		b, _ := base64.StdEncoding.DecodeString(resp.Body)
		return string(b)
	}
	return resp.Body
}

var (
	// requestIDPattern is the shape of handler.NewRequestID's IDs.
	requestIDPattern = regexp.MustCompile(`req-\d{8}-[a-z2-7]{20}`)
	// statusCodePattern is a status link code in a URL's query.
	statusCodePattern = regexp.MustCompile(`([?&]t=)([A-Za-z0-9_-]+)`)
)

// answerShape prints an answer whole, with each request ID and status code replaced by its shape
// (what it is and its length), so two answers compare equal exactly when they differ only in those.
func answerShape(t *testing.T, resp events.APIGatewayV2HTTPResponse) string {
	t.Helper()
	shape := func(s string) string {
		s = requestIDPattern.ReplaceAllStringFunc(s, func(id string) string { return fmt.Sprintf("<request id, %d characters>", len(id)) })
		return statusCodePattern.ReplaceAllStringFunc(s, func(m string) string {
			p := statusCodePattern.FindStringSubmatch(m)
			return fmt.Sprintf("%s<status code, %d characters>", p[1], len(p[2]))
		})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "status %d, base64 %v\n", resp.StatusCode, resp.IsBase64Encoded)
	var names []string
	for k := range resp.Headers {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Fprintf(&b, "%s: %s\n", k, shape(resp.Headers[k]))
	}
	names = names[:0]
	for k := range resp.MultiValueHeaders {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Fprintf(&b, "%s: %s\n", k, shape(strings.Join(resp.MultiValueHeaders[k], ", ")))
	}
	for _, c := range resp.Cookies {
		fmt.Fprintf(&b, "set-cookie: %s\n", shape(c))
	}
	fmt.Fprintf(&b, "\n%s", shape(body(resp)))
	if strings.Contains(b.String(), "RF-") {
		t.Errorf("the answer names an order number:\n%s", b.String())
	}
	return b.String()
}
