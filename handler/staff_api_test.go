package handler_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/handler"
	"refundflow/refund"
)

const staffSub = "8f0e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"

// staffHandler is the staff API with a four-eyes limit above every amount of these tests, which are
// about single decisions; the four-eyes rule (proposal, confirmation) has its tests in
// internal/workflowtest/foureyes_test.go.
func (f *httpFixture) staffHandler() handler.StaffApi {
	return handler.StaffApi{Store: f.store, Waits: f.flow, Payments: f.pay, FourEyesLimits: map[string]int64{"EUR": 100_000_000_00, "KWD": 100_000_000_000}}
}

// staffEvent loads a staff event and points it at path with params; body (if not nil) is JSON.
func staffEvent(t testing.TB, name, path string, params map[string]string, body any) events.APIGatewayV2HTTPRequest {
	ev := loadEvent(t, name)
	setPath(&ev, path, params)
	if body != nil {
		setJSON(t, &ev, body)
	}
	return ev
}

func reviewEvent(t testing.TB, id string, body any) events.APIGatewayV2HTTPRequest {
	return staffEvent(t, "staff-review.json", "/staff/api/requests/"+id+"/review", map[string]string{"id": id}, body)
}

// decodeJSON decodes a JSON response body or fails.
func decodeJSON(t testing.TB, resp events.APIGatewayV2HTTPResponse, v any) {
	t.Helper()
	if !strings.HasPrefix(resp.Headers["Content-Type"], "application/json") {
		t.Fatalf("Content-Type %q, body %s", resp.Headers["Content-Type"], resp.Body)
	}
	if err := json.Unmarshal([]byte(resp.Body), v); err != nil {
		t.Fatalf("decode %s: %v", resp.Body, err)
	}
}

func TestStaffAuth(t *testing.T) {
	f := newHTTPFixture(t)
	h := f.staffHandler()

	ev := loadEvent(t, "staff-list-requests.json")
	ev.RequestContext.Authorizer = nil
	resp := mustCall(t, h, ev)
	wantStatus(t, resp, http.StatusUnauthorized)
	if resp.Headers["Www-Authenticate"] == "" || !strings.Contains(resp.Body, `"code":"unauthorized"`) {
		t.Errorf("401 answer: %v %s", resp.Headers, resp.Body)
	}
	for _, groups := range []string{"[reviewers]", "", "[staffers]", `["admin"]`} {
		ev := loadEvent(t, "staff-list-requests.json")
		ev.RequestContext.Authorizer.JWT.Claims["cognito:groups"] = groups
		if resp := mustCall(t, h, ev); resp.StatusCode != http.StatusForbidden {
			t.Errorf("groups %q: status %d, want 403", groups, resp.StatusCode)
		}
	}
	// Even a browser's Accept header gets JSON from the API.
	ev = loadEvent(t, "staff-list-requests.json")
	ev.Headers["accept"] = "text/html"
	resp = mustCall(t, h, ev)
	wantStatus(t, resp, http.StatusOK)
	decodeJSON(t, resp, &handler.RequestList{})
}

// TestOrdersTakeTheBillingSystemsTokenOnly checks who may call which staff route: the order route
// only the billing system's client-credentials token (its scope), every other route only staff, and
// the billing scope nowhere else, even next to a staff group.
func TestOrdersTakeTheBillingSystemsTokenOnly(t *testing.T) {
	f := newHTTPFixture(t)
	h := f.staffHandler()
	staffClaims := loadEvent(t, "staff-list-requests.json").RequestContext.Authorizer.JWT
	billingClaims := loadEvent(t, "staff-put-order.json").RequestContext.Authorizer.JWT
	withToken := func(ev events.APIGatewayV2HTTPRequest, jwt *events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription, edit func(map[string]string)) events.APIGatewayV2HTTPRequest {
		claims := map[string]string{}
		for k, v := range jwt.Claims {
			claims[k] = v
		}
		if edit != nil {
			edit(claims)
		}
		ev.RequestContext.Authorizer.JWT = &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims, Scopes: jwt.Scopes}
		return ev
	}
	order := func(number string) events.APIGatewayV2HTTPRequest {
		f.takePayment(projectOrder(number))
		return staffEvent(t, "staff-put-order.json", "/staff/api/orders/"+number, map[string]string{"number": number}, projectOrder(number))
	}
	list := func() events.APIGatewayV2HTTPRequest { return loadEvent(t, "staff-list-requests.json") }
	for _, tt := range []struct {
		name string
		ev   events.APIGatewayV2HTTPRequest
		want int
	}{
		{"billing token puts an order", withToken(order("RF-2025-0101"), billingClaims, nil), http.StatusCreated},
		{"billing scope only in the scope claim", withToken(order("RF-2025-0102"), &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: billingClaims.Claims}, nil), http.StatusCreated},
		{"staff token on the order route", withToken(order("RF-2025-0103"), staffClaims, nil), http.StatusForbidden},
		{"staff token with other scopes on the order route", withToken(order("RF-2025-0104"), staffClaims, func(c map[string]string) { c["scope"] = "openid email refundflow/orders.read" }), http.StatusForbidden},
		{"billing token lists requests", withToken(list(), billingClaims, nil), http.StatusForbidden},
		{"billing scope with a staff group lists requests", withToken(list(), billingClaims, func(c map[string]string) { c["cognito:groups"] = "[staff]" }), http.StatusForbidden},
		{"staff token with the billing scope claim lists requests", withToken(list(), staffClaims, func(c map[string]string) { c["scope"] = "openid refundflow/orders.write" }), http.StatusForbidden},
		{"staff token lists requests", withToken(list(), staffClaims, nil), http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, mustCall(t, h, tt.ev), tt.want)
		})
	}
	if _, err := f.store.GetOrder(context.Background(), "RF-2025-0103"); err == nil {
		t.Error("a staff token stored an order")
	}
}

func TestStaffListRequestsPages(t *testing.T) {
	f := newHTTPFixture(t)
	h := f.staffHandler()
	var ids []string
	for range 3 {
		ids = append(ids, f.seed(refund.StatusInReview, false).id)
	}
	f.seed(refund.StatusSubmitted, false)

	var got []string
	cursor := ""
	for page := 0; page < 3; page++ {
		ev := loadEvent(t, "staff-list-requests.json")
		q := url.Values{"status": {"in_review"}, "limit": {"2"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		setQuery(&ev, q)
		resp := mustCall(t, h, ev)
		wantStatus(t, resp, http.StatusOK)
		var list handler.RequestList
		decodeJSON(t, resp, &list)
		for _, r := range list.Requests {
			if r.Status != refund.StatusInReview {
				t.Errorf("listed %s request", r.Status)
			}
			got = append(got, r.ID)
		}
		if cursor = list.Next; cursor == "" {
			break
		}
	}
	if len(got) != 3 {
		t.Errorf("listed %v, want the 3 in-review requests %v", got, ids)
	}
	for _, q := range []url.Values{{"status": {"bogus"}}, {"cursor": {"not-a-cursor"}}, {"limit": {"1000"}}} {
		ev := loadEvent(t, "staff-list-requests.json")
		setQuery(&ev, q)
		if resp := mustCall(t, h, ev); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("query %v: status %d, want 400", q, resp.StatusCode)
		}
	}
}

func TestStaffRequestDetail(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusInReview, true)
	resp := mustCall(t, f.staffHandler(), staffEvent(t, "staff-get-request.json", "/staff/api/requests/"+s.id, map[string]string{"id": s.id}, nil))
	wantStatus(t, resp, http.StatusOK)
	var d handler.RequestDetail
	decodeJSON(t, resp, &d)
	if d.Request.ID != s.id || d.Order == nil || d.Order.Number != s.order.Number || d.Remaining.Amount != 1_000_000 {
		t.Errorf("detail = %+v", d)
	}
	if len(d.Offers) != len(s.offers) || d.Offers[0].AgreementHash == "" || d.OfferSet != 1 {
		t.Errorf("offers = %+v", d.Offers)
	}
	if len(d.ReviewReasons) != 1 || !strings.Contains(d.ReviewReasons[0], "above the EUR 2,000.00") {
		t.Errorf("review reasons = %q", d.ReviewReasons)
	}
	if len(d.Audit) != 2 || d.Audit[1].To != refund.StatusInReview || d.LastWait != refund.TokenReview {
		t.Errorf("audit = %+v, last wait %q", d.Audit, d.LastWait)
	}
	if d.Consent != nil || len(d.Refunds) != 0 || d.Submission.Email != "ana@example.com" {
		t.Errorf("consent %v refunds %v submission %+v", d.Consent, d.Refunds, d.Submission)
	}
	if strings.Contains(resp.Body, "task_token") || strings.Contains(resp.Body, s.statusCode) {
		t.Error("detail leaks the task token or a link code")
	}
	if d.Emails == nil || len(d.Emails) != 0 || !strings.Contains(resp.Body, `"emails":[]`) {
		t.Errorf("emails = %#v, want an empty list (nothing sent yet)", d.Emails)
	}
	wantStatus(t, mustCall(t, f.staffHandler(), staffEvent(t, "staff-get-request.json", "/staff/api/requests/req-nope", map[string]string{"id": "req-nope"}, nil)), http.StatusNotFound)
}

func TestStaffReviewApprove(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusInReview, true)
	// The real event: approve with a note.
	ev := loadEvent(t, "staff-review.json")
	setPath(&ev, "/staff/api/requests/"+s.id+"/review", map[string]string{"id": s.id})
	resp := mustCall(t, f.staffHandler(), ev)
	wantStatus(t, resp, http.StatusOK)
	var r handler.ReviewResult
	decodeJSON(t, resp, &r)
	if !r.Delivered || r.Decision != "approve" {
		t.Errorf("result = %+v", r)
	}
	if got := f.outcome(s.id); got != "approved" {
		t.Errorf("outcome = %q", got)
	}
	entries, _ := f.store.ListAudit(context.Background(), s.id)
	last := entries[len(entries)-1]
	if last.Action != "review_approved" || last.Actor != "staff:"+staffSub || last.Detail != "Checked with the project lead." {
		t.Errorf("audit = %+v", last)
	}

	// The review is decided: a second approval is refused before anything is recorded, and says
	// which decision stands.
	resp = mustCall(t, f.staffHandler(), ev)
	wantStatus(t, resp, http.StatusConflict)
	if !strings.Contains(resp.Body, "review approved by staff:"+staffSub) {
		t.Errorf("the 409 does not name the decision that stands: %s", resp.Body)
	}
	if actions := f.auditActions(s.id); strings.Count(strings.Join(actions, " "), "review_approved") != 1 {
		t.Errorf("audit = %v, want one approval", actions)
	}
}

func TestStaffReviewReject(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusInReview, true)
	resp := mustCall(t, f.staffHandler(), reviewEvent(t, s.id, map[string]any{"decision": "reject"}))
	wantStatus(t, resp, http.StatusBadRequest)
	if !strings.Contains(resp.Body, "write a message to the client") {
		t.Errorf("body %s", resp.Body)
	}

	resp = mustCall(t, f.staffHandler(), reviewEvent(t, s.id, map[string]any{"decision": "reject", "message": "The project was delivered as agreed."}))
	wantStatus(t, resp, http.StatusOK)
	rec := f.request(s.id)
	if rec.Status != refund.StatusReviewRejected || rec.ReviewMessage != "The project was delivered as agreed." {
		t.Errorf("request = %+v", rec)
	}
	if got := f.outcome(s.id); got != "rejected" {
		t.Errorf("outcome = %q", got)
	}
	// The order is free for a new request.
	submitted(t, mustCall(t, f.submitHandler(), formEvent(t, submission(s.order))))
}

func TestStaffReviewAdjust(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusInReview, true)
	h := f.staffHandler()
	refundOffer, credit := s.offers[0], s.offers[1]

	for _, tc := range []struct {
		name  string
		offer map[string]string
		field string
	}{
		{"above what was paid", map[string]string{"id": refundOffer.ID, "kind": "partial_refund", "amount": "10000.01"}, "offers[0].amount"},
		{"zero", map[string]string{"id": refundOffer.ID, "amount": "0"}, "offers[0].amount"},
		{"not an amount", map[string]string{"id": refundOffer.ID, "amount": "12,34.5"}, "offers[0].amount"},
		{"unknown offer", map[string]string{"id": "req-other-1-full_refund", "amount": "10.00"}, "offers[0].id"},
		{"credit into a refund", map[string]string{"id": credit.ID, "kind": "full_refund", "amount": "10.00"}, "offers[0].kind"},
	} {
		resp := mustCall(t, h, reviewEvent(t, s.id, map[string]any{"decision": "adjust", "offers": []map[string]string{tc.offer}}))
		var body apigw.ErrorBody
		decodeJSON(t, resp, &body)
		if resp.StatusCode != http.StatusBadRequest || body.Error.Fields[tc.field] == "" {
			t.Errorf("%s: status %d, fields %v (want %s)", tc.name, resp.StatusCode, body.Error.Fields, tc.field)
		}
	}
	if got := f.request(s.id).OfferSet; got != 1 {
		t.Fatalf("refused adjustments changed the offer set to %d", got)
	}

	resp := mustCall(t, h, reviewEvent(t, s.id, map[string]any{
		"decision": "adjust", "message": "Goodwill: full refund.",
		"offers": []map[string]string{
			{"id": refundOffer.ID, "kind": "partial_refund", "amount": "10,000.00"},
			{"id": credit.ID, "kind": string(credit.Kind), "amount": "4000"},
		},
	}))
	wantStatus(t, resp, http.StatusOK)
	var r handler.ReviewResult
	decodeJSON(t, resp, &r)
	offers, set, err := f.store.ListOffers(context.Background(), s.id)
	if err != nil || set != 2 || len(offers) != 2 {
		t.Fatalf("offers = %+v set %d, %v", offers, set, err)
	}
	full, cr := offers[0], offers[1]
	if full.Kind != refund.OfferFullRefund || full.Amount.Amount != 1_000_000 || full.ID == refundOffer.ID || !strings.HasPrefix(full.Terms, "EUR 10,000.00 will be refunded") {
		t.Errorf("adjusted refund = %+v", full)
	}
	if cr.Kind != credit.Kind || cr.Amount.Amount != 400_000 || !strings.Contains(cr.Terms, "EUR 4,000.00") {
		t.Errorf("adjusted credit = %+v", cr)
	}
	for _, o := range offers {
		if o.BreakdownTotal() != o.Amount {
			t.Errorf("offer %s: breakdown adds up to %s, amount %s", o.ID, o.BreakdownTotal(), o.Amount)
		}
	}
	// The old offers stay as they were.
	if old, err := f.store.GetOffer(context.Background(), s.id, refundOffer.ID); err != nil || old.Amount != refundOffer.Amount {
		t.Errorf("old offer = %+v, %v", old, err)
	}
	if got := f.outcome(s.id); got != "approved" {
		t.Errorf("outcome = %q", got)
	}
	actions := f.auditActions(s.id)
	if actions[len(actions)-1] != "offers_adjusted" {
		t.Errorf("audit = %v", actions)
	}
}

func TestStaffReviewConflicts(t *testing.T) {
	f := newHTTPFixture(t)
	h := f.staffHandler()
	notParked := f.seed(refund.StatusInReview, false)
	resp := mustCall(t, h, reviewEvent(t, notParked.id, map[string]any{"decision": "approve"}))
	wantStatus(t, resp, http.StatusConflict)
	if !strings.Contains(resp.Body, "not waiting for a review decision yet") {
		t.Errorf("body %s", resp.Body)
	}
	consent := f.seed(refund.StatusAwaitingConsent, false)
	wantStatus(t, mustCall(t, h, reviewEvent(t, consent.id, map[string]any{"decision": "approve"})), http.StatusConflict)
	wantStatus(t, mustCall(t, h, reviewEvent(t, consent.id, map[string]any{"decision": "maybe"})), http.StatusBadRequest)

	// An approval that cannot reach the workflow is recorded with its resume marker and answered
	// 200 (not delivered, resumes within minutes): the sweeper delivers it, staff do nothing again.
	parked := f.seed(refund.StatusInReview, true)
	f.sfn.failSends = 1
	resp = mustCall(t, h, reviewEvent(t, parked.id, map[string]any{"decision": "approve"}))
	wantStatus(t, resp, http.StatusOK)
	var res handler.ReviewResult
	decodeJSON(t, resp, &res)
	if res.Delivered || !strings.Contains(res.Message, "resumes with it within minutes") {
		t.Errorf("answer %+v, want recorded, not delivered, resuming within minutes", res)
	}
	if got := f.outcome(parked.id); got != "" {
		t.Errorf("outcome before the sweep = %q", got)
	}
	f.sweep(t, 1)
	if got := f.outcome(parked.id); got != "approved" {
		t.Errorf("outcome after the sweep = %q", got)
	}

	// An adjustment whose approval cannot be delivered keeps the new offers; the sweeper sends them.
	adj := f.seed(refund.StatusInReview, true)
	f.sfn.failSends = 1
	resp = mustCall(t, h, reviewEvent(t, adj.id, map[string]any{"decision": "adjust",
		"offers": []map[string]string{{"id": adj.offers[0].ID, "amount": "4000.00"}}}))
	wantStatus(t, resp, http.StatusOK)
	f.sweep(t, 1)
	if got, set := f.outcome(adj.id), f.request(adj.id).OfferSet; got != "approved" || set != 2 {
		t.Errorf("outcome %q, offer set %d", got, set)
	}
	// Approving a request whose review wait already ended is a conflict, as before.
	wantStatus(t, mustCall(t, h, reviewEvent(t, adj.id, map[string]any{"decision": "approve"})), http.StatusConflict)
}

func TestStaffPutOrder(t *testing.T) {
	f := newHTTPFixture(t)
	h := f.staffHandler()
	order := projectOrder("RF-2025-0042")
	f.takePayment(order)
	put := func(o any, number string) events.APIGatewayV2HTTPResponse {
		return mustCall(t, h, staffEvent(t, "staff-put-order.json", "/staff/api/orders/"+number, map[string]string{"number": number}, o))
	}

	resp := put(order, "RF-2025-0042")
	wantStatus(t, resp, http.StatusCreated)
	var stored refund.Order
	decodeJSON(t, resp, &stored)
	if stored.Version != 1 || stored.Number != order.Number {
		t.Errorf("stored = %+v", stored)
	}
	wantStatus(t, put(order, "RF-2025-0042"), http.StatusConflict) // version 0 again: exists

	order.Version = 1
	order.Disputed = true
	resp = put(order, "rf-2025-0042") // order numbers ignore case
	wantStatus(t, resp, http.StatusOK)
	decodeJSON(t, resp, &stored)
	if stored.Version != 2 || !stored.Disputed {
		t.Errorf("updated = %+v", stored)
	}
	resp = put(order, "RF-2025-0042") // stale version 1
	wantStatus(t, resp, http.StatusConflict)
	if !strings.Contains(resp.Body, "version 2") {
		t.Errorf("conflict body %s", resp.Body)
	}

	wantStatus(t, put(order, "RF-2025-0043"), http.StatusBadRequest)
	bad := projectOrder("RF-2025-0044")
	bad.Currency, bad.Refunded = "eur", -1
	resp = put(bad, "RF-2025-0044")
	wantStatus(t, resp, http.StatusBadRequest)
	var body apigw.ErrorBody
	decodeJSON(t, resp, &body)
	if body.Error.Fields["currency"] == "" || body.Error.Fields["refunded"] == "" {
		t.Errorf("fields = %v", body.Error.Fields)
	}
	ev := staffEvent(t, "staff-put-order.json", "/staff/api/orders/RF-2025-0045", map[string]string{"number": "RF-2025-0045"}, nil)
	ev.Body = `{"number":"RF-2025-0045","paid":"lots"}`
	resp = mustCall(t, h, ev)
	wantStatus(t, resp, http.StatusBadRequest)
	if !strings.Contains(resp.Body, "paid") {
		t.Errorf("body %s", resp.Body)
	}
	ev.Headers["content-type"] = "text/plain"
	wantStatus(t, mustCall(t, h, ev), http.StatusUnsupportedMediaType)
}

func TestStaffFeedbackList(t *testing.T) {
	f := newHTTPFixture(t)
	ctx := context.Background()
	a, b := f.seed(refund.StatusSubmitted, false), f.seed(refund.StatusSubmitted, false)
	if err := f.store.PutFeedback(ctx, refund.Feedback{RequestID: a.id, Rating: 5, Comment: "Great"}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.PutFeedback(ctx, refund.Feedback{RequestID: b.id, Rating: 2}); err != nil {
		t.Fatal(err)
	}
	resp := mustCall(t, f.staffHandler(), loadEvent(t, "staff-list-feedback.json"))
	wantStatus(t, resp, http.StatusOK)
	var list handler.FeedbackList
	decodeJSON(t, resp, &list)
	if len(list.Feedback) != 2 || list.Feedback[0].RequestID != b.id || list.Feedback[1].Comment != "Great" || list.Feedback[0].CreatedAt.IsZero() {
		t.Errorf("feedback = %+v", list.Feedback)
	}
}
