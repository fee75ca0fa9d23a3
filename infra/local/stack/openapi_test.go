package stack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"refundflow"
	"refundflow/apigw"
	"refundflow/handler"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

// The contract against the running system: TestStackAnswersAsTheContractSays takes every route of
// docs/openapi.yaml through its main cases on the local stack (the same functions, gateway and
// authorizer a deployment has) and validates each real request and answer with kin-openapi's
// openapi3filter. A route of the contract that no request here reached with a success fails the
// test by name, so a new route comes with its cases.

func init() {
	// The pages and assets are bodies of their own types; the contract says only that they are
	// text, so they are read as text.
	for _, ct := range []string{"text/html", "text/css", "text/javascript", "image/svg+xml"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
}

// contractClient sends requests to a stack and validates every exchange against the contract.
type contractClient struct {
	t      *testing.T
	v      *visitor
	doc    *openapi3.T
	router routers.Router
	// succeeded holds the route keys ("GET /requests/{id}") that answered 2xx or 3xx.
	succeeded map[string]bool
}

// newContractClient loads the embedded contract, valid, with the stack as its one server.
func newContractClient(t *testing.T, s *Stack) *contractClient {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(refundflow.OpenAPI)
	if err != nil {
		t.Fatalf("load docs/openapi.yaml: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: s.URL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("router of docs/openapi.yaml: %v", err)
	}
	return &contractClient{t: t, v: newVisitor(t, s), doc: doc, router: router, succeeded: map[string]bool{}}
}

// exchange is one request to send.
type exchange struct {
	method, path string
	body         []byte
	header       map[string]string
	// offContract marks a request that breaks the contract on purpose (a missing field, a wrong
	// type) to see the answer to bad input: only the answer is validated, and the request must
	// indeed fail validation.
	offContract bool
}

// send sends e, validates the request and the answer against the contract, and returns the answer.
func (c *contractClient) send(e exchange) page {
	c.t.Helper()
	var body *bytes.Reader
	if e.body != nil {
		body = bytes.NewReader(e.body)
	}
	var p page
	if body != nil {
		p = c.v.do(e.method, e.path, body, e.header)
	} else {
		p = c.v.do(e.method, e.path, nil, e.header)
	}

	u := e.path
	if strings.HasPrefix(u, "/") {
		u = c.v.base + u
	}
	req, err := http.NewRequest(e.method, u, bytes.NewReader(e.body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range e.header {
		req.Header.Set(k, v)
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		c.t.Errorf("%s %s: docs/openapi.yaml has no operation for it (%v); answer %s", e.method, e.path, err, p)
		return p
	}
	key := e.method + " " + route.Path
	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	switch err := openapi3filter.ValidateRequest(ctx, in); {
	case err != nil && !e.offContract:
		c.t.Errorf("%s: the request breaks docs/openapi.yaml: %v\nbody %s", key, err, truncate(string(e.body), 400))
	case err == nil && e.offContract:
		c.t.Errorf("%s: a request meant to break docs/openapi.yaml passes it: body %s", key, truncate(string(e.body), 400))
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: p.Status, Header: p.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	out.SetBodyBytes(p.Body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		c.t.Errorf("%s: the answer breaks docs/openapi.yaml: %v\nanswer %s", key, err, p)
	}
	if p.Status < 400 {
		c.succeeded[key] = true
	}
	return p
}

// json sends in as a JSON body (nil: no body) asking for JSON, wants the status, and decodes a
// JSON answer into out (when not nil).
func (c *contractClient) json(method, path string, in any, header map[string]string, want int, out any) page {
	c.t.Helper()
	h := map[string]string{"Accept": "application/json"}
	for k, v := range header {
		h[k] = v
	}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			c.t.Fatal(err)
		}
		h["Content-Type"] = "application/json"
	}
	return c.want(c.send(exchange{method: method, path: path, body: body, header: h}), want, out)
}

// want checks p's status and decodes its JSON into out (when not nil).
func (c *contractClient) want(p page, status int, out any) page {
	c.t.Helper()
	if p.Status != status {
		c.t.Fatalf("%s: want %d", p, status)
	}
	if out != nil {
		if err := json.Unmarshal(p.Body, out); err != nil {
			c.t.Fatalf("%v in %s", err, p)
		}
	}
	return p
}

// form posts values as the site's own form does.
func (c *contractClient) form(path string, values url.Values, want int) page {
	c.t.Helper()
	return c.want(c.send(exchange{method: http.MethodPost, path: path, body: []byte(values.Encode()),
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": c.v.base, "Sec-Fetch-Site": "same-origin"}}), want, nil)
}

// html GETs (or HEADs) a page as a browser does.
func (c *contractClient) html(method, path string, want int) page {
	c.t.Helper()
	return c.want(c.send(exchange{method: method, path: path, header: map[string]string{"Accept": "text/html"}}), want, nil)
}

// gatewayAnswer checks an answer API Gateway gives itself: the status and {"message": message},
// valid against the contract's GatewayMessage.
func (c *contractClient) gatewayAnswer(p page, status int, message string) {
	c.t.Helper()
	var v any
	if err := json.Unmarshal(p.Body, &v); err != nil || p.Status != status {
		c.t.Fatalf("want API Gateway's own %d, got %s", status, p)
	}
	if err := c.doc.Components.Schemas["GatewayMessage"].Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
		c.t.Errorf("%s: not a GatewayMessage: %v", p, err)
	}
	if got := v.(map[string]any)["message"]; got != message {
		c.t.Errorf("%s: message %v, want %q", p, got, message)
	}
}

// uncovered returns the contract's route keys no exchange answered with a success.
func (c *contractClient) uncovered() []string {
	var out []string
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !answersSuccess(op) {
				continue // a route that only answers an error by design (the 405 of a form's address)
			}
			if key := strings.ToUpper(method) + " " + path; !c.succeeded[key] {
				out = append(out, key)
			}
		}
	}
	sort.Strings(out)
	return out
}

// answersSuccess reports whether the contract gives the operation any answer below 400.
func answersSuccess(op *openapi3.Operation) bool {
	for status := range op.Responses.Map() {
		if status < "400" {
			return true
		}
	}
	return false
}

// submission is a demo order's request as JSON.
func submission(o refund.Order, details string) refund.Submission {
	return refund.Submission{OrderNumber: o.Number, PurchaseDate: o.PurchaseDate, Email: o.Email, Name: o.CustomerName,
		Kind: string(refund.KindRefund), Reason: string(refund.ReasonChangedMind), Details: details}
}

func TestStackAnswersAsTheContractSays(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	c := newContractClient(t, s)
	staff := map[string]string{"Authorization": "Bearer " + s.StaffToken}
	billing := map[string]string{"Authorization": "Bearer " + s.BillingToken}
	crossSite := map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}

	// Pages, assets and the contract itself.
	c.html(http.MethodGet, "/", http.StatusOK)
	c.html(http.MethodGet, "/staff", http.StatusOK)
	for _, f := range []string{"site.css", "staff.js", "staff_agents.js", "staff_questions.js", "favicon.svg"} {
		c.html(http.MethodGet, "/assets/"+f, http.StatusOK)
	}
	c.want(c.send(exchange{method: http.MethodGet, path: "/assets/missing.css", offContract: true}), http.StatusNotFound, nil)
	if p := c.html(http.MethodGet, "/openapi.yaml", http.StatusOK); !bytes.Equal(p.Body, refundflow.OpenAPI) {
		t.Errorf("GET /openapi.yaml is not docs/openapi.yaml: %s", p)
	}
	// The published policy; the form's and the withdraw button's addresses opened by a browser (405).
	c.html(http.MethodGet, "/policy", http.StatusOK)
	c.html(http.MethodGet, "/policy/"+refund.DefaultPolicy().Version, http.StatusOK)
	c.html(http.MethodGet, "/policy/1999-never", http.StatusNotFound)
	c.html(http.MethodGet, "/requests", http.StatusMethodNotAllowed)
	c.json(http.MethodGet, "/requests", nil, nil, http.StatusMethodNotAllowed, nil)
	c.html(http.MethodGet, "/requests/req-20260101-unknown/withdraw", http.StatusMethodNotAllowed)
	// Anything the contract does not list is API Gateway's 404.
	c.gatewayAnswer(c.v.do(http.MethodGet, "/nothing-here", nil, nil), http.StatusNotFound, "Not Found")
	c.gatewayAnswer(c.v.do(http.MethodDelete, "/requests", nil, nil), http.StatusNotFound, "Not Found")

	// A request sent as JSON, with an idempotency key: accepted, replayed, refused for another body.
	ada := demoOrder(t, s, "RF-1001")
	sub := submission(ada, "Sent to check the contract.")
	key := map[string]string{"Idempotency-Key": "contract-test-1"}
	var accepted, replayed handler.SubmitAnswer
	c.json(http.MethodPost, "/requests", sub, key, http.StatusAccepted, &accepted)
	if p := c.json(http.MethodPost, "/requests", sub, key, http.StatusAccepted, &replayed); p.Header.Get("Idempotent-Replayed") != "true" || replayed.RequestID != accepted.RequestID {
		t.Errorf("the replay: %s", p)
	}
	other := sub
	other.Details = "Another text under the same key."
	c.json(http.MethodPost, "/requests", other, key, http.StatusConflict, nil)
	c.json(http.MethodPost, "/requests", sub, nil, http.StatusConflict, nil) // the open request
	c.json(http.MethodPost, "/requests", sub, crossSite, http.StatusForbidden, nil)
	for _, bad := range []string{`{"order_number":"RF-1001"}`, `{"order_number":"RF-1001","purchase_date":"2026-01-01","email":"a@b.c","kind":"refund","reason":"changed_mind","colour":"red"}`, `[]`} {
		c.want(c.send(exchange{method: http.MethodPost, path: "/requests", body: []byte(bad), offContract: true,
			header: map[string]string{"Content-Type": "application/json", "Accept": "application/json"}}), http.StatusBadRequest, nil)
	}
	c.want(c.send(exchange{method: http.MethodPost, path: "/requests", body: []byte("order_number=RF-1001"), offContract: true,
		header: map[string]string{"Content-Type": "text/plain", "Accept": "application/json"}}), http.StatusUnsupportedMediaType, nil)
	c.want(c.send(exchange{method: http.MethodPost, path: "/requests", body: bytes.Repeat([]byte("x"), apigw.MaxBodyBytes+1), offContract: true,
		header: map[string]string{"Content-Type": "application/json", "Accept": "application/json"}}), http.StatusRequestEntityTooLarge, nil)

	// Its status, as JSON and as the page; a wrong or missing code is 404.
	status, err := url.Parse(accepted.StatusURL)
	if err != nil {
		t.Fatal(err)
	}
	c.json(http.MethodGet, status.RequestURI(), nil, nil, http.StatusOK, &handler.StatusView{})
	c.html(http.MethodGet, status.RequestURI(), http.StatusOK)
	c.json(http.MethodGet, status.Path+"?t=wrong", nil, nil, http.StatusNotFound, nil)
	c.want(c.send(exchange{method: http.MethodGet, path: status.Path, header: map[string]string{"Accept": "application/json"}, offContract: true}), http.StatusNotFound, nil)

	// Questions from the status page (form and JSON) up to the day's limit, then 429; a staff reply,
	// emailed to the order's email and shown in the thread.
	adaCode := status.Query().Get("t")
	questions := status.Path + "/questions"
	c.form(questions, url.Values{"t": {adaCode}, "message": {"<b>When</b> does the refund arrive?"}}, http.StatusSeeOther)
	for i := 2; i <= refund.QuestionsPerDay; i++ {
		c.json(http.MethodPost, questions, handler.QuestionBody{T: adaCode, Message: fmt.Sprintf("Question %d", i)}, nil, http.StatusCreated, &handler.StatusView{})
	}
	if p := c.json(http.MethodPost, questions, handler.QuestionBody{T: adaCode, Message: "One more"}, nil, http.StatusTooManyRequests, nil); p.Header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After: %s", p)
	}
	c.json(http.MethodPost, questions, handler.QuestionBody{T: "wrong", Message: "Hello"}, nil, http.StatusNotFound, nil)
	c.json(http.MethodPost, questions, handler.QuestionBody{T: adaCode, Message: "Hello"}, crossSite, http.StatusForbidden, nil)
	var replied handler.ReplyResult
	c.json(http.MethodPost, "/staff/api/requests/"+accepted.RequestID+"/replies", handler.ReplyBody{Message: "Within 5 to 10 business days.", Note: "Standard answer."}, staff, http.StatusCreated, &replied)
	if !replied.Emailed || len(replied.Thread) != refund.QuestionsPerDay+1 {
		t.Errorf("reply: %+v, want emailed and after the %d questions", replied, refund.QuestionsPerDay)
	}
	if reply := c.v.waitMail(ada.Email, "Our answer about your request for order "+ada.Number); !strings.Contains(reply.Text, "Within 5 to 10 business days.") {
		t.Errorf("reply email: %+v", reply)
	}

	// The offers: as JSON, as the page, by HEAD; unknown links.
	c.v.waitStatus(accepted.StatusURL, refund.StatusAwaitingConsent)
	var outbox []map[string]any
	c.json(http.MethodGet, "/_local/outbox", nil, nil, http.StatusOK, &outbox)
	consentPath := mustPath(t, link(t, c.v.waitMail(ada.Email, "Your options for order "+ada.Number), "/consent/"))
	var view handler.ConsentView
	c.json(http.MethodGet, consentPath, nil, nil, http.StatusOK, &view)
	if len(view.Offers) == 0 {
		t.Fatalf("no offers: %+v", view)
	}
	c.html(http.MethodGet, consentPath, http.StatusOK)
	c.html(http.MethodHead, consentPath, http.StatusOK)
	c.json(http.MethodGet, "/consent/unknown-code", nil, nil, http.StatusNotFound, nil)
	c.html(http.MethodHead, "/consent/unknown-code", http.StatusNotFound)

	// Consent: bad, stale, cross-site, then accepted once.
	offer := view.Offers[0]
	accept := handler.ConsentBody{Decision: "accept", OfferID: offer.ID, OfferHash: offer.AgreementHash, TypedName: ada.CustomerName, Agree: true}
	noName := accept
	noName.TypedName = ""
	c.json(http.MethodPost, consentPath, noName, nil, http.StatusBadRequest, nil)
	stale := accept
	stale.OfferHash = strings.Repeat("0", 64)
	c.json(http.MethodPost, consentPath, stale, nil, http.StatusConflict, nil)
	c.json(http.MethodPost, consentPath, accept, crossSite, http.StatusForbidden, nil)
	var answer handler.ConsentAnswer
	c.json(http.MethodPost, consentPath, accept, nil, http.StatusOK, &answer)
	c.json(http.MethodPost, consentPath, accept, nil, http.StatusGone, nil)
	c.json(http.MethodGet, consentPath, nil, nil, http.StatusGone, nil)
	code := status.Query().Get("t")
	// The signed agreement, by the consent link and by the status code; a wrong code is 404.
	agreementPDF := c.want(c.send(exchange{method: http.MethodGet, path: consentPath + "/agreement"}), http.StatusOK, nil)
	// The public check of that PDF: the form, the file, its fingerprint, and the same file changed.
	c.html(http.MethodGet, "/verify", http.StatusOK)
	sum := sha256.Sum256(agreementPDF.Body)
	var verified handler.VerifyAnswer
	c.json(http.MethodPost, "/verify", handler.VerifyBody{Fingerprint: hex.EncodeToString(sum[:])}, nil, http.StatusOK, &verified)
	if !verified.Genuine || verified.OrderNumber != ada.Number {
		t.Errorf("verify by fingerprint = %+v", verified)
	}
	pdfHeader := map[string]string{"Content-Type": "application/pdf", "Accept": "application/json"}
	c.want(c.send(exchange{method: http.MethodPost, path: "/verify", body: agreementPDF.Body, header: pdfHeader}), http.StatusOK, nil)
	changed := bytes.Clone(agreementPDF.Body)
	changed[len(changed)/2] ^= 1
	c.want(c.send(exchange{method: http.MethodPost, path: "/verify", body: changed, header: pdfHeader}), http.StatusNotFound, nil)
	c.want(c.send(exchange{method: http.MethodPost, path: "/verify", body: []byte("not a pdf"), header: pdfHeader}), http.StatusBadRequest, nil)
	c.want(c.send(exchange{method: http.MethodPost, path: "/verify", body: make([]byte, 5<<20+1), header: pdfHeader}), http.StatusRequestEntityTooLarge, nil)
	c.json(http.MethodPost, "/verify", handler.VerifyBody{Fingerprint: "abc"}, nil, http.StatusBadRequest, nil)
	c.json(http.MethodPost, "/verify", handler.VerifyBody{Fingerprint: hex.EncodeToString(sum[:])}, crossSite, http.StatusForbidden, nil)
	c.want(c.send(exchange{method: http.MethodGet, path: "/requests/" + accepted.RequestID + "/agreement?t=" + code}), http.StatusOK, nil)
	c.json(http.MethodGet, "/requests/"+accepted.RequestID+"/agreement?t=wrong", nil, nil, http.StatusNotFound, nil)
	withdrawAda := "/requests/" + accepted.RequestID + "/withdraw"
	c.json(http.MethodPost, withdrawAda, handler.WithdrawBody{T: code}, nil, http.StatusConflict, nil)

	// Feedback, once the refund is issued.
	c.v.waitStatus(accepted.StatusURL, refund.StatusCompleted)
	issued := c.v.waitMail(ada.Email, "Your refund for order "+ada.Number+" has been issued")
	// The email carries the signed agreement: the PDF whose fingerprint was recorded at consent.
	if len(issued.Attachments) != 1 || issued.Attachments[0].SHA256 != hex.EncodeToString(sum[:]) || issued.Attachments[0].ContentType != "application/pdf" {
		t.Errorf("the completed email's attachments = %+v, want the signed agreement %x", issued.Attachments, sum)
	}
	feedbackPath := mustPath(t, link(t, issued, "/feedback/"))
	c.json(http.MethodGet, feedbackPath, nil, nil, http.StatusOK, &handler.FeedbackView{})
	c.html(http.MethodGet, feedbackPath, http.StatusOK)
	c.want(c.send(exchange{method: http.MethodPost, path: feedbackPath, body: []byte(`{"rating":9}`), offContract: true,
		header: map[string]string{"Content-Type": "application/json", "Accept": "application/json"}}), http.StatusBadRequest, nil)
	c.json(http.MethodPost, feedbackPath, handler.FeedbackBody{Rating: 5, Comment: "Clear."}, nil, http.StatusOK, &handler.FeedbackView{})
	c.form(feedbackPath, url.Values{"rating": {"4"}}, http.StatusSeeOther)
	c.json(http.MethodGet, "/feedback/unknown-code", nil, nil, http.StatusNotFound, nil)

	// A request sent by the form, withdrawn by the form and again as JSON.
	alan := demoOrder(t, s, "RF-1003")
	formSub := url.Values{"order_number": {alan.Number}, "purchase_date": {alan.PurchaseDate}, "email": {alan.Email},
		"kind": {"refund"}, "reason": {"changed_mind"}}
	loc, err := url.Parse(c.form("/requests", formSub, http.StatusSeeOther).Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	alanCode := loc.Query().Get("t")
	c.form(loc.Path+"/withdraw", url.Values{"t": {alanCode}}, http.StatusSeeOther)
	c.json(http.MethodPost, loc.Path+"/withdraw", handler.WithdrawBody{T: alanCode}, nil, http.StatusOK, &handler.StatusView{})
	c.json(http.MethodPost, loc.Path+"/withdraw", handler.WithdrawBody{T: "wrong"}, nil, http.StatusNotFound, nil)

	// Offers declined by the consent page's form.
	kj := demoOrder(t, s, "RF-1004")
	var kjAccepted handler.SubmitAnswer
	c.json(http.MethodPost, "/requests", submission(kj, ""), nil, http.StatusAccepted, &kjAccepted)
	c.v.waitStatus(kjAccepted.StatusURL, refund.StatusAwaitingConsent)
	kjConsent := mustPath(t, link(t, c.v.waitMail(kj.Email, "Your options for order "+kj.Number), "/consent/"))
	declined := c.form(kjConsent, url.Values{"decision": {"decline"}, "decline_reason": {"Not now."}}, http.StatusSeeOther)
	c.html(http.MethodGet, declined.Header.Get("Location"), http.StatusOK)

	// Staff: a review, the lists, a request's detail, and the tokens each route refuses.
	edsger := demoOrder(t, s, "RF-1005")
	c.json(http.MethodPost, "/requests", submission(edsger, ""), nil, http.StatusAccepted, nil)
	inReview := newStaff(t, s).waitInReview(edsger.Number)
	review := "/staff/api/requests/" + inReview.ID + "/review"
	c.want(c.send(exchange{method: http.MethodPost, path: review, body: []byte(`{"decision":"maybe"}`), offContract: true,
		header: map[string]string{"Content-Type": "application/json", "Authorization": staff["Authorization"]}}), http.StatusBadRequest, nil)
	c.json(http.MethodPost, review, map[string]string{"decision": "approve", "message": "Checked."}, staff, http.StatusOK, &handler.ReviewResult{})
	c.json(http.MethodPost, review, map[string]string{"decision": "approve"}, staff, http.StatusConflict, nil)

	c.json(http.MethodGet, "/staff/api/requests", nil, staff, http.StatusOK, &handler.RequestList{})
	c.json(http.MethodGet, "/staff/api/requests?status=completed&limit=10", nil, staff, http.StatusOK, &handler.RequestList{})
	c.want(c.send(exchange{method: http.MethodGet, path: "/staff/api/requests?limit=0", header: staff, offContract: true}), http.StatusBadRequest, nil)
	c.json(http.MethodGet, "/staff/api/requests/"+accepted.RequestID, nil, staff, http.StatusOK, &handler.RequestDetail{})
	c.json(http.MethodGet, "/staff/api/requests/"+kjAccepted.RequestID, nil, staff, http.StatusOK, &handler.RequestDetail{})
	// The provider's refund id finds its request through the sandbox provider; an unknown one, nothing.
	var refunded handler.RequestDetail
	c.json(http.MethodGet, "/staff/api/requests/"+accepted.RequestID, nil, staff, http.StatusOK, &refunded)
	searched := 0
	for _, r := range refunded.Refunds {
		if r.ProviderRefundID == "" {
			continue
		}
		searched++
		var found handler.RequestList
		c.json(http.MethodGet, "/staff/api/requests?q="+r.ProviderRefundID, nil, staff, http.StatusOK, &found)
		if len(found.Requests) != 1 || found.Requests[0].ID != accepted.RequestID || found.Found != "provider_refund" {
			t.Errorf("search by provider refund %s: %+v, want request %s", r.ProviderRefundID, found, accepted.RequestID)
		}
	}
	t.Logf("searched by %d provider refund ids", searched)
	var none handler.RequestList
	c.json(http.MethodGet, "/staff/api/requests?q=re_sbx_unknown", nil, staff, http.StatusOK, &none)
	if len(none.Requests) != 0 || none.Found != "provider_refund" {
		t.Errorf("search by an unknown provider refund: %+v, want none", none)
	}
	c.json(http.MethodGet, "/staff/api/requests/req-20260101-unknown", nil, staff, http.StatusNotFound, nil)
	c.json(http.MethodGet, "/staff/api/feedback", nil, staff, http.StatusOK, &handler.FeedbackList{})
	p := c.json(http.MethodGet, "/staff/api/requests", nil, nil, http.StatusUnauthorized, nil)
	c.gatewayAnswer(p, http.StatusUnauthorized, "Unauthorized")
	c.json(http.MethodGet, "/staff/api/feedback", nil, billing, http.StatusForbidden, nil)

	// The billing system's orders: the payment taken at the (sandbox) provider first, then the order
	// created, refused at a stale version, updated; a payment that disagrees; the tokens refused.
	var paid PaymentAnswer
	c.json(http.MethodPost, PaymentsPath, map[string]any{"amount": 100000, "currency": "EUR"}, nil, http.StatusCreated, &paid)
	c.json(http.MethodGet, PaymentsPath+"/"+paid.Reference, nil, nil, http.StatusOK, nil)
	c.json(http.MethodGet, PaymentsPath+"/pi_sbx_unknown", nil, nil, http.StatusNotFound, nil)
	// A sandbox deployment's checkout (the local stack has it, PaymentProvider=sandbox): the same
	// body and answers, with the billing system's token, and what a person does at the provider.
	var sbx PaymentAnswer
	c.html(http.MethodGet, handler.SandboxPaymentsPath, http.StatusOK)
	c.json(http.MethodPost, handler.SandboxPaymentsPath, map[string]any{"amount": 20000, "currency": "EUR"}, billing, http.StatusCreated, &sbx)
	c.json(http.MethodPost, handler.SandboxPaymentsPath, map[string]any{"amount": 20000, "currency": "EUR"}, staff, http.StatusForbidden, nil)
	c.json(http.MethodPost, handler.SandboxPaymentsPath, map[string]any{"amount": 1234, "currency": "KWD"}, billing, http.StatusBadRequest, nil)
	c.json(http.MethodGet, handler.SandboxPaymentsPath+"/"+sbx.Reference, nil, billing, http.StatusOK, nil)
	c.json(http.MethodGet, handler.SandboxPaymentsPath+"/pi_sbx_unknown", nil, billing, http.StatusNotFound, nil)
	c.json(http.MethodPost, handler.SandboxPaymentsPath+"/"+sbx.Reference+"/actions", map[string]any{"action": "dashboard_refund", "amount": "50.00"}, billing, http.StatusOK, nil)
	c.json(http.MethodPost, handler.SandboxPaymentsPath+"/"+sbx.Reference+"/actions", map[string]any{"action": "dashboard_refund", "amount": "500.00"}, billing, http.StatusConflict, nil)
	c.json(http.MethodPost, handler.SandboxPaymentsPath+"/"+sbx.Reference+"/actions", map[string]any{"action": "fail_refund", "refund": "re_sbx_none"}, billing, http.StatusNotFound, nil)
	order := refund.Order{Number: "RF-CONTRACT-1", CustomerName: "Ana López", Email: "ana@example.com",
		PurchaseDate: ada.PurchaseDate, Currency: "EUR", Paid: 100000,
		Payment: refund.Payment{Reference: paid.Reference},
		Status:  refund.OrderActive,
		Service: refund.Service{Type: refund.ServiceHours, Hours: &refund.Hours{Purchased: 10, Used: 2, TotalPrice: 100000}}}
	orderPath := "/staff/api/orders/" + order.Number
	var stored refund.Order
	c.json(http.MethodPut, orderPath, order, billing, http.StatusCreated, &stored)
	c.json(http.MethodPut, orderPath, order, billing, http.StatusConflict, nil)
	order.Version, order.CustomerName = stored.Version, "Ana López Vidal"
	c.json(http.MethodPut, orderPath, order, billing, http.StatusOK, &stored)
	wrong := order
	wrong.Number, wrong.Currency, wrong.Version = "RF-CONTRACT-2", "USD", 0
	c.json(http.MethodPut, "/staff/api/orders/"+wrong.Number, wrong, billing, http.StatusUnprocessableEntity, nil)
	c.gatewayAnswer(c.json(http.MethodPut, orderPath, order, staff, http.StatusForbidden, nil), http.StatusForbidden, "Forbidden")
	c.gatewayAnswer(c.json(http.MethodPut, orderPath, order, nil, http.StatusUnauthorized, nil), http.StatusUnauthorized, "Unauthorized")
	c.want(c.send(exchange{method: http.MethodPut, path: orderPath, body: []byte(`{"number":"RF-CONTRACT-1"}`), offContract: true,
		header: map[string]string{"Content-Type": "application/json", "Authorization": billing["Authorization"]}}), http.StatusBadRequest, nil)

	// The provider's events: a signed one is acknowledged (a type Refundflow does not act on), one with
	// a forged signature refused.
	event := []byte(`{"id":"evt_contract_1","object":"event","created":1733500000,"type":"customer.created","data":{"object":{"id":"cus_1","object":"customer"}}}`)
	signed := func(sig string) map[string]string {
		return map[string]string{"Content-Type": "application/json", "Stripe-Signature": sig}
	}
	var ack handler.WebhookAnswer
	c.want(c.send(exchange{method: http.MethodPost, path: "/webhooks/stripe", body: event,
		header: signed(sandbox.Sign(event, s.WebhookSecret(), time.Now()))}), http.StatusOK, &ack)
	if ack.Outcome != "ignored" || ack.Event != "evt_contract_1" {
		t.Errorf("webhook answer %+v, want evt_contract_1 ignored", ack)
	}
	c.want(c.send(exchange{method: http.MethodPost, path: "/webhooks/stripe", body: event,
		header: signed("t=1,v1=" + strings.Repeat("0", 64))}), http.StatusBadRequest, nil)

	// A request staff take for a client who phoned (the order just sent): created, replayed with the
	// same key, refused for an unknown order and for a second open request; staff actions on a request
	// that does not need attention are 409, a made-up action 400.
	take := refund.StaffIntake{OrderNumber: order.Number, Kind: "cancellation", Reason: "no_longer_needed", Details: "Called at 10:05.", Channel: refund.ChannelPhone}
	takeKey := map[string]string{"Authorization": staff["Authorization"], "Idempotency-Key": "contract-take-1"}
	var taken handler.TakenAnswer
	c.json(http.MethodPost, "/staff/api/requests", take, takeKey, http.StatusCreated, &taken)
	if p := c.json(http.MethodPost, "/staff/api/requests", take, takeKey, http.StatusCreated, &handler.TakenAnswer{}); p.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the replayed intake is not marked Idempotent-Replayed: %s", p)
	}
	c.json(http.MethodPost, "/staff/api/requests", take, staff, http.StatusConflict, nil)
	unknownOrder := take
	unknownOrder.OrderNumber = "RF-CONTRACT-NONE"
	c.json(http.MethodPost, "/staff/api/requests", unknownOrder, staff, http.StatusNotFound, nil)
	actions := "/staff/api/requests/" + inReview.ID + "/actions"
	c.json(http.MethodPost, actions, handler.StaffActionRequest{Action: refund.StaffActionRetry, Note: "n"}, staff, http.StatusConflict, nil)
	c.want(c.send(exchange{method: http.MethodPost, path: actions, body: []byte(`{"action":"accept","note":"n"}`), offContract: true,
		header: map[string]string{"Content-Type": "application/json", "Authorization": staff["Authorization"]}}), http.StatusBadRequest, nil)

	// A refund the provider refuses for certain (it forgot the payment after the order came in): the
	// request needs attention, its workflow waits for a staff action, and staff close it.
	var lost PaymentAnswer
	c.json(http.MethodPost, PaymentsPath, map[string]any{"amount": 180000, "currency": "EUR"}, nil, http.StatusCreated, &lost)
	grace := refund.Order{Number: "RF-CONTRACT-3", CustomerName: "Grace Hopper", Email: "grace@example.com",
		PurchaseDate: ada.PurchaseDate, Currency: "EUR", Paid: 180000, Payment: refund.Payment{Reference: lost.Reference}, Status: refund.OrderActive,
		Service: refund.Service{Type: refund.ServiceProject, Project: &refund.Project{Milestones: []refund.Milestone{
			{Name: "Build", Price: 180000, Status: refund.MilestoneNotStarted}}}}}
	c.json(http.MethodPut, "/staff/api/orders/"+grace.Number, grace, billing, http.StatusCreated, nil)
	var graceAccepted handler.SubmitAnswer
	c.json(http.MethodPost, "/requests", submission(grace, ""), nil, http.StatusAccepted, &graceAccepted)
	c.v.waitStatus(graceAccepted.StatusURL, refund.StatusAwaitingConsent)
	if _, err := outsideDynamoDB(s).DeleteItem(t.Context(), &dynamodb.DeleteItemInput{TableName: aws.String(s.TableName),
		Key: map[string]dbtypes.AttributeValue{"PK": &dbtypes.AttributeValueMemberS{Value: "SANDBOX#" + lost.Reference}, "SK": &dbtypes.AttributeValueMemberS{Value: "PAYMENT"}}}); err != nil {
		t.Fatal(err)
	}
	graceConsent := mustPath(t, link(t, c.v.waitMail(grace.Email, "Your options for order "+grace.Number), "/consent/"))
	var graceView handler.ConsentView
	c.json(http.MethodGet, graceConsent, nil, nil, http.StatusOK, &graceView)
	c.json(http.MethodPost, graceConsent, handler.ConsentBody{Decision: "accept", OfferID: graceView.Offers[0].ID,
		OfferHash: graceView.Offers[0].AgreementHash, TypedName: grace.CustomerName, Agree: true}, nil, http.StatusOK, nil)
	c.v.waitStatus(graceAccepted.StatusURL, refund.StatusNeedsAttention)
	eventually(t, "the staff-action wait", func() bool {
		var d handler.RequestDetail
		c.json(http.MethodGet, "/staff/api/requests/"+graceAccepted.RequestID, nil, staff, http.StatusOK, &d)
		return d.LastWait == refund.TokenAttention
	})
	c.json(http.MethodPost, "/staff/api/requests/"+graceAccepted.RequestID+"/actions", handler.StaffActionRequest{Action: refund.StaffActionClose,
		Note: "The card was cancelled; agreed on the phone.", Message: "As agreed on the phone, we pay you back by bank transfer."}, staff, http.StatusOK, &handler.StaffActionResult{})
	c.v.waitStatus(graceAccepted.StatusURL, refund.StatusClosed)

	// The local stack's clock, last: it moves every request's time.
	c.json(http.MethodGet, "/_local/clock", nil, nil, http.StatusOK, nil)
	c.json(http.MethodPost, "/_local/clock", map[string]string{"advance": "1 week"}, nil, http.StatusBadRequest, nil)
	c.json(http.MethodPost, "/_local/clock", map[string]string{"advance": "1m"}, nil, http.StatusOK, nil)

	for _, key := range c.uncovered() {
		t.Errorf("%s of docs/openapi.yaml: no request of this test reached it with a success; add its main cases here", key)
	}
	t.Logf("%d routes of docs/openapi.yaml reached with a success; every exchange validated", len(c.succeeded))
}
