package handler_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/handler"
	"refundflow/refund"
)

// The JSON side of the client's links: every step a browser takes on the consent, status and
// feedback pages, taken by a company's own front end with Accept: application/json, under the same
// rules.

// asJSON makes ev ask for JSON and, when body is not nil, carry it as a JSON body.
func asJSON(t testing.TB, ev events.APIGatewayV2HTTPRequest, body any) events.APIGatewayV2HTTPRequest {
	t.Helper()
	ev.Headers["accept"] = "application/json"
	if body != nil {
		setJSON(t, &ev, body)
	}
	return ev
}

// errorOf decodes a JSON error answer with the expected status.
func errorOf(t testing.TB, resp events.APIGatewayV2HTTPResponse, status int) apigw.ErrorDetail {
	t.Helper()
	wantStatus(t, resp, status)
	var body apigw.ErrorBody
	decodeJSON(t, resp, &body)
	if body.Error.Code == "" || body.Error.Message == "" {
		t.Errorf("error without code or message: %s", resp.Body)
	}
	return body.Error
}

func TestConsentJSONShowsTheOffersAndAcceptsOne(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusAwaitingConsent, true)
	h := f.consentHandler()

	resp := mustCall(t, h, asJSON(t, consentGet(t, s.consentCode), nil))
	wantStatus(t, resp, http.StatusOK)
	var view handler.ConsentView
	decodeJSON(t, resp, &view)
	rec := f.request(s.id)
	if view.RequestID != s.id || view.OrderNumber != s.order.Number || view.CustomerName != s.order.CustomerName ||
		view.Status != refund.StatusAwaitingConsent || !view.Deadline.Equal(rec.UpdatedAt.Add(handler.ConsentPeriod)) {
		t.Errorf("view = %+v", view)
	}
	if len(view.Offers) != len(s.offers) {
		t.Fatalf("%d offers, want %d", len(view.Offers), len(s.offers))
	}
	for i, o := range view.Offers {
		text := refund.Agreement(s.order, rec.Request, s.offers[i])
		if o.ID != s.offers[i].ID || o.Amount != s.offers[i].Amount || o.AgreementText != text || o.AgreementHash != refund.AgreementHash(s.offers[i], text) {
			t.Errorf("offer %d = %+v", i, o)
		}
	}
	if strings.Contains(resp.Body, s.order.Email) || strings.Contains(resp.Body, s.consentCode) {
		t.Error("the consent JSON holds the order's email or the link code")
	}
	if actions := f.auditActions(s.id); actions[len(actions)-1] != "viewed" || f.request(s.id).Version != rec.Version {
		t.Errorf("GET changed more than a viewed entry: audit %v, version %d → %d", actions, rec.Version, f.request(s.id).Version)
	}

	// Mistakes are 400 with the JSON body's field names, and record nothing.
	credit := view.Offers[1]
	for _, tc := range []struct {
		name   string
		body   map[string]any
		fields []string
	}{
		{"nothing", map[string]any{}, []string{"decision"}},
		{"accept without anything", map[string]any{"decision": "accept"}, []string{"agree", "offer_id", "typed_name"}},
		{"accept without agreeing", map[string]any{"decision": "accept", "offer_id": credit.ID, "offer_hash": credit.AgreementHash, "typed_name": "Ana López"}, []string{"agree"}},
		{"accept with a malformed hash", map[string]any{"decision": "accept", "offer_id": credit.ID, "offer_hash": "abc", "typed_name": "Ana", "agree": true}, []string{"offer_hash"}},
		{"name with a control character", map[string]any{"decision": "accept", "offer_id": credit.ID, "offer_hash": credit.AgreementHash, "typed_name": "Ana\u0007", "agree": true}, []string{"typed_name"}},
		{"unknown field", map[string]any{"decision": "accept", "csrf_token": "x"}, []string{"csrf_token"}},
		{"agree as a string", map[string]any{"decision": "accept", "agree": "yes"}, []string{"agree"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := errorOf(t, mustCall(t, h, asJSON(t, consentPost(t, s.consentCode, nil), tc.body)), http.StatusBadRequest)
			var got []string
			for k := range d.Fields {
				got = append(got, k)
			}
			slices.Sort(got)
			if strings.Join(got, " ") != strings.Join(tc.fields, " ") || d.Code != refund.CodeInvalid {
				t.Errorf("%s fields %v, want %v", d.Code, d.Fields, tc.fields)
			}
		})
	}

	// A hash that is not the offer's (the client read an older offer) is 409 on offer_hash.
	stale := map[string]any{"decision": "accept", "offer_id": credit.ID, "offer_hash": strings.Repeat("0", 64), "typed_name": "Ana", "agree": true}
	d := errorOf(t, mustCall(t, h, asJSON(t, consentPost(t, s.consentCode, nil), stale)), http.StatusConflict)
	if d.Code != refund.CodeConflict || d.Fields["offer_hash"] == "" || !strings.Contains(d.Message, "read the offers again") {
		t.Errorf("stale hash: %+v", d)
	}
	if _, err := f.store.GetConsent(context.Background(), s.id); refund.ErrorCode(err) != refund.CodeNotFound {
		t.Fatalf("a refused post recorded a consent: %v", err)
	}

	accept := map[string]any{"decision": "accept", "offer_id": credit.ID, "offer_hash": credit.AgreementHash, "typed_name": " Ana López ", "agree": true}
	resp = mustCall(t, h, asJSON(t, consentPost(t, s.consentCode, nil), accept))
	wantStatus(t, resp, http.StatusOK)
	var ans handler.ConsentAnswer
	decodeJSON(t, resp, &ans)
	want := handler.ConsentAnswer{RequestID: s.id, Decision: refund.DecisionAccept, OfferID: credit.ID, OfferHash: credit.AgreementHash,
		Status: refund.StatusExecuting, Message: "You accepted Service credit (EUR 4,950.00). We are carrying it out now and will email you as soon as it is done."}
	if ans != want {
		t.Errorf("answer = %+v\nwant     %+v", ans, want)
	}
	c, err := f.store.GetConsent(context.Background(), s.id)
	if err != nil || c.OfferID != credit.ID || c.OfferHash != credit.AgreementHash || c.AgreementText != credit.AgreementText || c.TypedName != "Ana López" {
		t.Fatalf("consent = %+v, %v", c, err)
	}
	if got := f.outcome(s.id); got != "accepted" {
		t.Errorf("workflow outcome = %q", got)
	}

	// One decision: a second post and a later GET are 410 with the reason.
	for name, ev := range map[string]events.APIGatewayV2HTTPRequest{
		"second post": asJSON(t, consentPost(t, s.consentCode, nil), map[string]any{"decision": "decline"}),
		"later GET":   asJSON(t, consentGet(t, s.consentCode), nil),
		"later ?recorded": func() events.APIGatewayV2HTTPRequest {
			ev := asJSON(t, consentGet(t, s.consentCode), nil)
			setQuery(&ev, url.Values{"recorded": {"1"}})
			return ev
		}(),
	} {
		d := errorOf(t, mustCall(t, h, ev), http.StatusGone)
		if d.Code != refund.CodeGone || d.Reason != "recorded" || !strings.Contains(d.Message, "You accepted Service credit (EUR 4,950.00) on 3 March 2025") {
			t.Errorf("%s: %+v", name, d)
		}
	}
	if got := len(f.sfn.sent()); got != 1 {
		t.Errorf("%d SendTaskSuccess calls, want 1", got)
	}
}

func TestConsentJSONDeclineAndClosedLinks(t *testing.T) {
	f := newHTTPFixture(t)
	h := f.consentHandler()
	s := f.seed(refund.StatusAwaitingConsent, true)
	resp := mustCall(t, h, asJSON(t, consentPost(t, s.consentCode, nil), map[string]any{"decision": "decline", "decline_reason": "Found another provider.\r\n"}))
	wantStatus(t, resp, http.StatusOK)
	var ans handler.ConsentAnswer
	decodeJSON(t, resp, &ans)
	if ans.Decision != refund.DecisionDecline || ans.Status != refund.StatusDeclined || ans.OfferID != "" || !strings.HasPrefix(ans.Message, "You declined our offers") {
		t.Errorf("answer = %+v", ans)
	}
	if c, err := f.store.GetConsent(context.Background(), s.id); err != nil || c.DeclineReason != "Found another provider." {
		t.Errorf("consent = %+v, %v", c, err)
	}
	if got := f.outcome(s.id); got != "declined" {
		t.Errorf("outcome = %q", got)
	}

	d := errorOf(t, mustCall(t, h, asJSON(t, consentGet(t, newCode(t)), nil)), http.StatusNotFound)
	if d.Code != refund.CodeNotFound || d.Reason != "" {
		t.Errorf("unknown link: %+v", d)
	}
	expired := f.seed(refund.StatusAwaitingConsent, false)
	if err := f.store.Transition(context.Background(), expired.id, refund.StatusAwaitingConsent, refund.StatusExpired, f.request(expired.id).Version,
		refund.AuditEntry{Actor: refund.SystemActor("RequestConsent")}); err != nil {
		t.Fatal(err)
	}
	d = errorOf(t, mustCall(t, h, asJSON(t, consentGet(t, expired.consentCode), nil)), http.StatusGone)
	if d.Reason != "expired" || !strings.Contains(d.Message, "The time to answer this offer has passed") {
		t.Errorf("expired link: %+v", d)
	}
}

func TestWithdrawJSON(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusAwaitingConsent, true)
	h := f.statusHandler()
	withdraw := func(code string) events.APIGatewayV2HTTPRequest {
		return asJSON(t, withdrawEvent(t, s.id, s.statusCode), handler.WithdrawBody{T: code})
	}
	d := errorOf(t, mustCall(t, h, withdraw(newCode(t))), http.StatusNotFound)
	if d.Code != refund.CodeNotFound {
		t.Errorf("wrong code: %+v", d)
	}
	for range 2 { // the second is a retry: the same answer, nothing more recorded
		resp := mustCall(t, h, withdraw(s.statusCode))
		wantStatus(t, resp, http.StatusOK)
		var v handler.StatusView
		decodeJSON(t, resp, &v)
		if v.Request.ID != s.id || v.Request.Status != refund.StatusWithdrawn || v.CanWithdraw || v.Timeline[len(v.Timeline)-1].Status != refund.StatusWithdrawn {
			t.Errorf("status view after withdrawing: %+v", v)
		}
	}
	if got := f.outcome(s.id); got != "withdrawn" {
		t.Errorf("workflow outcome = %q", got)
	}
	if actions := strings.Join(f.auditActions(s.id), " "); strings.Count(actions, "withdrawn") != 1 {
		t.Errorf("audit = %s", actions)
	}

	// After an acceptance: 409 with the reason.
	a := f.seed(refund.StatusAwaitingConsent, true)
	page := f.openConsent(a.consentCode)
	wantStatus(t, mustCall(t, f.consentHandler(), consentAccept(t, a.consentCode, choices(t, page)[0], "Ana López")), http.StatusSeeOther)
	d = errorOf(t, mustCall(t, h, asJSON(t, withdrawEvent(t, a.id, a.statusCode), handler.WithdrawBody{T: a.statusCode})), http.StatusConflict)
	if !strings.Contains(d.Message, "You already accepted an offer") {
		t.Errorf("withdraw after accepting: %+v", d)
	}
}

func TestFeedbackJSON(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusSubmitted, false)
	f.feedbackLink(&s, httpT0.Add(30*24*time.Hour))
	h := f.feedbackHandler()

	var v handler.FeedbackView
	resp := mustCall(t, h, asJSON(t, feedbackEvent(t, "get-feedback.json", s.feedbackCode, nil), nil))
	wantStatus(t, resp, http.StatusOK)
	decodeJSON(t, resp, &v)
	if v.RequestID != s.id || v.Feedback != nil || !strings.Contains(resp.Body, `"feedback":null`) {
		t.Errorf("before feedback: %s", resp.Body)
	}

	post := func(body any) events.APIGatewayV2HTTPResponse {
		return mustCall(t, h, asJSON(t, feedbackEvent(t, "post-feedback.json", s.feedbackCode, url.Values{}), body))
	}
	d := errorOf(t, post(handler.FeedbackBody{Rating: 6, Comment: "x\x00"}), http.StatusBadRequest)
	if d.Fields["rating"] == "" || d.Fields["comment"] == "" {
		t.Errorf("bad rating and comment: %+v", d)
	}
	if d := errorOf(t, post(map[string]any{"rating": 4.5}), http.StatusBadRequest); d.Fields["rating"] == "" {
		t.Errorf("fractional rating: %+v", d)
	}

	resp = post(handler.FeedbackBody{Rating: 4, Comment: " Quick and clear. "})
	wantStatus(t, resp, http.StatusOK)
	decodeJSON(t, resp, &v)
	if v.Feedback == nil || v.Feedback.Rating != 4 || v.Feedback.Comment != "Quick and clear." || v.Feedback.RequestID != s.id {
		t.Errorf("after feedback: %s", resp.Body)
	}
	// Recorded once: a second answer is not stored, and the answer shows the first.
	resp = post(handler.FeedbackBody{Rating: 1})
	wantStatus(t, resp, http.StatusOK)
	decodeJSON(t, resp, &v)
	if v.Feedback == nil || v.Feedback.Rating != 4 {
		t.Errorf("second answer: %s", resp.Body)
	}
	if actions := strings.Join(f.auditActions(s.id), " "); strings.Count(actions, "feedback_given") != 1 {
		t.Errorf("audit = %s", actions)
	}

	old := f.seed(refund.StatusSubmitted, false)
	f.feedbackLink(&old, httpT0.Add(-time.Hour))
	d = errorOf(t, mustCall(t, h, asJSON(t, feedbackEvent(t, "get-feedback.json", old.feedbackCode, nil), nil)), http.StatusGone)
	if d.Reason != "closed" || !strings.Contains(d.Message, "The time for feedback on this request has passed") {
		t.Errorf("expired feedback link: %+v", d)
	}
}

// TestEveryStateChangingRouteRefusesCrossSitePosts posts to every client route that changes
// something as a browser on another website would (Sec-Fetch-Site: cross-site, its Origin), as the
// company's own website would (a trusted origin), and as a non-browser caller (neither header): the
// first is refused with 403 and changes nothing, the others go through.
func TestEveryStateChangingRouteRefusesCrossSitePosts(t *testing.T) {
	f := newHTTPFixture(t)
	consent := f.seed(refund.StatusAwaitingConsent, true)
	withdraw := f.seed(refund.StatusInReview, true)
	fb := f.seed(refund.StatusSubmitted, false)
	f.feedbackLink(&fb, httpT0.Add(30*24*time.Hour))
	credit := f.openConsent(consent.consentCode)
	other := projectOrder("RF-2025-7777")
	if _, err := f.store.PutOrder(context.Background(), other); err != nil {
		t.Fatal(err)
	}

	routes := []struct {
		name string
		h    lambdaHandler
		ev   func() events.APIGatewayV2HTTPRequest
		want int // the status once the origin is accepted
	}{
		{"POST /requests (form)", f.submitHandler(), func() events.APIGatewayV2HTTPRequest { return formEvent(t, submission(other)) }, http.StatusSeeOther},
		{"POST /requests/{id}/withdraw", f.statusHandler(), func() events.APIGatewayV2HTTPRequest { return withdrawEvent(t, withdraw.id, withdraw.statusCode) }, http.StatusSeeOther},
		{"POST /consent/{code}", f.consentHandler(), func() events.APIGatewayV2HTTPRequest {
			return consentAccept(t, consent.consentCode, choices(t, credit)[0], "Ana López")
		}, http.StatusSeeOther},
		{"POST /feedback/{code}", f.feedbackHandler(), func() events.APIGatewayV2HTTPRequest {
			return feedbackEvent(t, "post-feedback.json", fb.feedbackCode, url.Values{"rating": {"5"}})
		}, http.StatusSeeOther},
	}
	snapshot := func() string {
		return strings.Join([]string{string(f.request(consent.id).Status), string(f.request(withdraw.id).Status),
			strings.Join(f.auditActions(fb.id), ","), strings.Join(f.auditActions(consent.id), ",")}, " | ")
	}
	before := snapshot()
	for _, r := range routes {
		for _, headers := range []map[string]string{
			{"sec-fetch-site": "cross-site", "origin": "https://evil.example"},
			{"sec-fetch-site": "same-site", "origin": "https://blog.example.com"},
			{"origin": "https://evil.example"}, // a browser without Fetch Metadata
			{"sec-fetch-site": "cross-site", "origin": "null"},
			{"sec-fetch-site": "cross-site", "origin": "https://www.example.com.evil.example"},
		} {
			ev := r.ev()
			for k, v := range headers {
				ev.Headers[k] = v
			}
			wantCrossSiteRefused(t, mustCall(t, r.h, ev))
			ev.Headers["accept"] = "application/json"
			if d := errorOf(t, mustCall(t, r.h, ev), http.StatusForbidden); d.Code != refund.CodeForbidden {
				t.Errorf("%s %v as JSON: %+v", r.name, headers, d)
			}
		}
	}
	if after := snapshot(); after != before {
		t.Fatalf("refused posts changed something:\n%s\n%s", before, after)
	}
	for i, r := range routes {
		ev := r.ev()
		switch i % 2 { // the company's website, and a non-browser caller
		case 0:
			ev.Headers["sec-fetch-site"], ev.Headers["origin"] = "cross-site", "https://www.example.com"
		default:
			delete(ev.Headers, "origin")
			delete(ev.Headers, "sec-fetch-site")
		}
		wantStatus(t, mustCall(t, r.h, ev), r.want)
	}
}
