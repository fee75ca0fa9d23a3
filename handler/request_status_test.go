package handler_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/handler"
	"refundflow/refund"
)

// statusEvent is GET /requests/{id}?t=code.
func statusEvent(t testing.TB, id, code string, jsonAccept bool) events.APIGatewayV2HTTPRequest {
	name := "get-status.json"
	if jsonAccept {
		name = "get-status-json.json"
	}
	ev := loadEvent(t, name)
	setPath(&ev, "/requests/"+id, map[string]string{"id": id})
	q := url.Values{}
	if code != "" {
		q.Set("t", code)
	}
	setQuery(&ev, q)
	return ev
}

// withdrawEvent is the withdraw form post with the status code.
func withdrawEvent(t testing.TB, id, code string) events.APIGatewayV2HTTPRequest {
	ev := loadEvent(t, "post-withdraw.json")
	setPath(&ev, "/requests/"+id+"/withdraw", map[string]string{"id": id})
	setForm(&ev, url.Values{"t": {code}})
	return ev
}

func TestStatusPageShowsRequestAndTimeline(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusAwaitingConsent, false)
	resp := mustCall(t, f.statusHandler(), statusEvent(t, s.id, s.statusCode, false))
	wantStatus(t, resp, http.StatusOK)
	for _, want := range []string{
		s.order.Number, "We no longer need the launch.", refund.ReasonChangedMind.Label(),
		refund.StatusSubmitted.Describe(), refund.StatusAwaitingConsent.Describe(), "Withdraw this request",
	} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// The status code appears only in the two forms (withdraw, question); no other link code and
	// nothing of the order record the client did not type.
	if got := strings.Count(resp.Body, s.statusCode); got != 2 || strings.Count(resp.Body, `name="t" value="`+s.statusCode+`"`) != 2 {
		t.Errorf("status code appears %d times, want twice: in the withdraw form and the question form", got)
	}
	for _, secret := range []string{s.consentCode, s.order.Payment.Reference, "10,000.00"} {
		if strings.Contains(resp.Body, secret) {
			t.Errorf("page shows %q", secret)
		}
	}
	if resp.Headers["Cache-Control"] != "no-store" || resp.Headers["Referrer-Policy"] != "same-origin" {
		t.Errorf("a page with a code must not be cached or leak through Referer: %v", resp.Headers)
	}
}

// Once the client accepted, the status page says what: while it is carried out, and once it is done
// (the amount and the card for a refund). The last check no longer says options are being prepared.
func TestStatusPageShowsTheOutcome(t *testing.T) {
	f := newHTTPFixture(t)
	ctx := context.Background()
	s := f.seed(refund.StatusAwaitingConsent, true)
	v := refund.Verification{OK: true, Findings: []refund.Finding{
		{Code: refund.FindingOrderMatched, Message: "We found order " + s.order.Number + ".", Passed: true},
		{Code: refund.FindingOK, Message: "Your request meets the conditions of our refund policy; we are now preparing your options.", Passed: true},
	}}
	if err := f.store.SaveFindings(ctx, s.id, v); err != nil {
		t.Fatal(err)
	}
	page := f.openConsent(s.consentCode)
	wantStatus(t, mustCall(t, f.consentHandler(), consentAccept(t, s.consentCode, choices(t, page)[0], "Ana López")), http.StatusSeeOther)

	for _, tc := range []struct {
		status refund.Status
		want   string
	}{
		{refund.StatusExecuting, "You accepted a refund of EUR 4,500.00 to your card ending 4242."},
		{refund.StatusCompleted, "We refunded EUR 4,500.00 to your card ending 4242."},
	} {
		if rec := f.request(s.id); rec.Status != tc.status {
			if err := f.store.Transition(ctx, s.id, rec.Status, tc.status, rec.Version, refund.AuditEntry{Actor: refund.SystemActor("ExecuteResolution")}); err != nil {
				t.Fatal(err)
			}
		}
		resp := mustCall(t, f.statusHandler(), statusEvent(t, s.id, s.statusCode, false))
		wantStatus(t, resp, http.StatusOK)
		if !strings.Contains(resp.Body, tc.want) {
			t.Errorf("%s: page lacks %q", tc.status, tc.want)
		}
		if !strings.Contains(resp.Body, "Your request meets the conditions of our refund policy.") || strings.Contains(resp.Body, "preparing your options") {
			t.Errorf("%s: the last check still speaks of preparing options", tc.status)
		}
	}
}

func TestStatusJSON(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusInReview, false)
	resp := mustCall(t, f.statusHandler(), statusEvent(t, s.id, s.statusCode, true))
	wantStatus(t, resp, http.StatusOK)
	var v handler.StatusView
	if err := json.Unmarshal([]byte(resp.Body), &v); err != nil {
		t.Fatal(err)
	}
	if v.Request.ID != s.id || v.Request.Status != refund.StatusInReview || !v.CanWithdraw || v.StatusLabel != "In review" {
		t.Errorf("view = %+v", v)
	}
	if len(v.Timeline) != 2 || v.Timeline[0].Status != refund.StatusSubmitted || v.Timeline[1].Text != refund.StatusInReview.Describe() {
		t.Errorf("timeline = %+v", v.Timeline)
	}
	if strings.Contains(resp.Body, s.statusCode) || strings.Contains(resp.Body, "ana@example.com") || strings.Contains(resp.Body, "review needed") {
		t.Errorf("JSON holds a code, personal data or staff notes: %s", resp.Body)
	}
}

func TestStatusWrongCodeIsIndistinguishableFromUnknownRequest(t *testing.T) {
	f := newHTTPFixture(t)
	a := f.seed(refund.StatusSubmitted, false)
	b := f.seed(refund.StatusSubmitted, false)
	ref := mustCall(t, f.statusHandler(), statusEvent(t, "req-20250303-aaaaaaaaaaaaaaaaaaaa", newCode(t), false))
	wantStatus(t, ref, http.StatusNotFound)
	for name, ev := range map[string]events.APIGatewayV2HTTPRequest{
		"wrong code":              statusEvent(t, a.id, newCode(t), false),
		"missing code":            statusEvent(t, a.id, "", false),
		"another request's code":  statusEvent(t, a.id, b.statusCode, false),
		"code with a prefix":      statusEvent(t, a.id, "x"+a.statusCode, false),
		"huge code":               statusEvent(t, a.id, strings.Repeat("A", 5000), false),
		"id with a key separator": statusEvent(t, a.id+"#REQ", a.statusCode, false),
	} {
		resp := mustCall(t, f.statusHandler(), ev)
		if resp.StatusCode != http.StatusNotFound || resp.Body != ref.Body {
			t.Errorf("%s: status %d, body differs from an unknown request's: %v", name, resp.StatusCode, resp.Body != ref.Body)
		}
	}
}

func TestWithdrawWakesTheWorkflow(t *testing.T) {
	for _, status := range []refund.Status{refund.StatusSubmitted, refund.StatusInReview, refund.StatusAwaitingConsent} {
		t.Run(string(status), func(t *testing.T) {
			f := newHTTPFixture(t)
			s := f.seed(status, true)
			resp := mustCall(t, f.statusHandler(), withdrawEvent(t, s.id, s.statusCode))
			wantStatus(t, resp, http.StatusSeeOther)
			if got, want := resp.Headers["Location"], "/requests/"+s.id+"?t="+s.statusCode; got != want {
				t.Errorf("Location = %q, want %q", got, want)
			}
			if got := f.request(s.id).Status; got != refund.StatusWithdrawn {
				t.Fatalf("status = %s", got)
			}
			wantOutcome := "withdrawn"
			if status == refund.StatusSubmitted {
				wantOutcome = "" // nothing parked: the workflow's next step reads the status
			}
			if got := f.outcome(s.id); got != wantOutcome {
				t.Errorf("workflow outcome = %q, want %q", got, wantOutcome)
			}
			actions := f.auditActions(s.id)
			if actions[len(actions)-1] != "withdrawn" {
				t.Errorf("audit = %v", actions)
			}

			// Withdrawing again (double submit) changes nothing and still lands on the status page.
			resp = mustCall(t, f.statusHandler(), withdrawEvent(t, s.id, s.statusCode))
			wantStatus(t, resp, http.StatusSeeOther)
			if got := len(f.auditActions(s.id)); got != len(actions) {
				t.Errorf("second withdraw wrote audit entries")
			}
			// The order's open-request lock is released: the client may send a new request.
			sub := submission(s.order)
			submitted(t, mustCall(t, f.submitHandler(), formEvent(t, sub)))

			// The status page no longer offers to withdraw.
			page := mustCall(t, f.statusHandler(), statusEvent(t, s.id, s.statusCode, false))
			if strings.Contains(page.Body, "Withdraw this request") || len(page.Cookies) != 0 {
				t.Error("withdrawn request still offers the withdraw form")
			}
		})
	}
}

func TestWithdrawRefusals(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusAwaitingConsent, true)
	other := f.seed(refund.StatusAwaitingConsent, false)
	sameSite := crossSite(withdrawEvent(t, s.id, s.statusCode))
	sameSite.Headers["sec-fetch-site"], sameSite.Headers["origin"] = "same-site", "https://blog.example.com"
	oldBrowser := withdrawEvent(t, s.id, s.statusCode)
	oldBrowser.Headers["origin"] = "https://evil.example"

	for _, tc := range []struct {
		name   string
		ev     events.APIGatewayV2HTTPRequest
		status int
	}{
		{"posted from another website", crossSite(withdrawEvent(t, s.id, s.statusCode)), http.StatusForbidden},
		{"posted from a sibling subdomain", sameSite, http.StatusForbidden},
		{"posted from another website by a browser without Fetch Metadata", oldBrowser, http.StatusForbidden},
		{"another request's code", withdrawEvent(t, s.id, other.statusCode), http.StatusNotFound},
		{"wrong status code", withdrawEvent(t, s.id, newCode(t)), http.StatusNotFound},
	} {
		resp := mustCall(t, f.statusHandler(), tc.ev)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
	}
	if got := f.request(s.id).Status; got != refund.StatusAwaitingConsent {
		t.Fatalf("a refused withdrawal changed the status to %s", got)
	}

	// Once the client accepted, withdrawing is refused with a clear message.
	consent := mustCall(t, f.consentHandler(), consentGet(t, s.consentCode))
	wantStatus(t, mustCall(t, f.consentHandler(), consentAccept(t, s.consentCode, choices(t, consent)[0], "Ana López")), http.StatusSeeOther)
	resp := mustCall(t, f.statusHandler(), withdrawEvent(t, s.id, s.statusCode))
	wantStatus(t, resp, http.StatusConflict)
	if !strings.Contains(resp.Body, "You already accepted an offer") {
		t.Errorf("body: %s", resp.Body)
	}
	if got := f.request(s.id).Status; got != refund.StatusExecuting {
		t.Errorf("status = %s", got)
	}
}

func TestWithdrawWhenTheWorkflowCannotBeReached(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusInReview, true)
	f.sfn.failSends = 1
	resp := mustCall(t, f.statusHandler(), withdrawEvent(t, s.id, s.statusCode))
	wantStatus(t, resp, http.StatusSeeOther)
	if got := f.request(s.id).Status; got != refund.StatusWithdrawn {
		t.Errorf("status = %s: the withdrawal must be recorded even when the workflow cannot be told", got)
	}
	if got := f.outcome(s.id); got != "" {
		t.Errorf("outcome = %q, want the execution still parked", got)
	}
}
