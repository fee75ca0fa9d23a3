package handler_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"refundflow/agreementpdf"
	"refundflow/apigw"
	"refundflow/handler"
	"refundflow/refund"
)

func (f *httpFixture) submitHandler() handler.SubmitRequest {
	return handler.SubmitRequest{
		Store: f.store, Workflow: f.flow, PublicBaseURL: "https://refunds.example.com",
		Clock: func() time.Time { return httpT0 }, CrossOrigin: f.origins,
	}
}

func (f *httpFixture) statusHandler() handler.RequestStatus {
	return handler.RequestStatus{Store: f.store, Waits: f.flow, CrossOrigin: f.origins, AgreementPDF: agreementpdf.ForHandler}
}

// formEvent is the real form post with the given submission.
func formEvent(t testing.TB, sub refund.Submission) events.APIGatewayV2HTTPRequest {
	ev := loadEvent(t, "post-request-form.json")
	setForm(&ev, url.Values{
		"order_number": {sub.OrderNumber}, "purchase_date": {sub.PurchaseDate}, "email": {sub.Email},
		"name": {sub.Name}, "kind": {sub.Kind}, "reason": {sub.Reason}, "details": {sub.Details},
	})
	return ev
}

// jsonEvent is the real JSON post with the given submission and Idempotency-Key ("" for none).
func jsonEvent(t testing.TB, sub refund.Submission, key string) events.APIGatewayV2HTTPRequest {
	ev := loadEvent(t, "post-request-json.json")
	setJSON(t, &ev, sub)
	if key == "" {
		delete(ev.Headers, "idempotency-key")
	} else {
		ev.Headers["idempotency-key"] = key
	}
	return ev
}

var statusLocation = regexp.MustCompile(`^/requests/(req-[0-9]{8}-[a-z2-7]{20})\?t=([A-Za-z0-9_-]{32})$`)

// submitted reads the request id and status code from a 303 answer.
func submitted(t testing.TB, resp events.APIGatewayV2HTTPResponse) (id, code string) {
	t.Helper()
	wantStatus(t, resp, http.StatusSeeOther)
	m := statusLocation.FindStringSubmatch(resp.Headers["Location"])
	if m == nil {
		t.Fatalf("Location %q is not a status page link", resp.Headers["Location"])
	}
	return m[1], m[2]
}

func TestSubmitFormStoresRequestAndStartsWorkflow(t *testing.T) {
	f := newHTTPFixture(t)
	ctx := context.Background()
	order := projectOrder("RF-2025-0042")
	if _, err := f.store.PutOrder(ctx, order); err != nil {
		t.Fatal(err)
	}
	// The event's own body: the form as a browser sends it, base64-encoded by API Gateway.
	resp := mustCall(t, f.submitHandler(), loadEvent(t, "post-request-form.json"))
	id, code := submitted(t, resp)

	rec := f.request(id)
	if got, want := rec.Status, refund.StatusSubmitted; got != want {
		t.Errorf("status = %s, want %s", got, want)
	}
	if got, want := rec.OrderNumber, "RF-2025-0042"; got != want {
		t.Errorf("order = %q", got)
	}
	if got, want := rec.Details, "Line one\nLine two & <b>bold</b>"; got != want {
		t.Errorf("details = %q, want %q", got, want)
	}
	if got, want := rec.Submission.Name, "Ana López"; got != want {
		t.Errorf("name = %q", got)
	}
	audit, err := f.store.ListAudit(ctx, id)
	if err != nil || len(audit) != 1 {
		t.Fatalf("audit = %+v, %v", audit, err)
	}
	if a := audit[0]; a.Action != "submitted" || a.Actor != "client" || a.IP != "203.0.113.7" || !strings.HasPrefix(a.UserAgent, "Mozilla/5.0") || a.To != refund.StatusSubmitted {
		t.Errorf("audit entry = %+v", a)
	}

	// The workflow was started with the request id as name and only the id as input.
	x := f.execution(id)
	if x == nil {
		t.Fatal("no execution started")
	}
	if got, want := aws.ToString(x.Input), `{"requestId":"`+id+`"}`; got != want {
		t.Errorf("input = %s, want %s", got, want)
	}

	// The code in the redirect opens the status page; only its hash is stored.
	ev := loadEvent(t, "get-status.json")
	setPath(&ev, "/requests/"+id, map[string]string{"id": id})
	setQuery(&ev, url.Values{"t": {code}})
	page := mustCall(t, f.statusHandler(), ev)
	wantStatus(t, page, http.StatusOK)
	if !strings.Contains(page.Body, "RF-2025-0042") {
		t.Error("status page does not show the order number")
	}
}

func TestSubmitJSONAnswers202(t *testing.T) {
	f := newHTTPFixture(t)
	order := projectOrder("RF-2025-0042")
	resp := mustCall(t, f.submitHandler(), loadEvent(t, "post-request-json.json"))
	wantStatus(t, resp, http.StatusAccepted)
	var got handler.SubmitAnswer
	if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != refund.StatusSubmitted || !strings.HasPrefix(got.StatusURL, "https://refunds.example.com/requests/"+got.RequestID+"?t=") {
		t.Errorf("answer = %+v", got)
	}
	if rec := f.request(got.RequestID); rec.OrderNumber != order.Number {
		t.Errorf("stored order number %q", rec.OrderNumber)
	}
	if f.execution(got.RequestID) == nil {
		t.Error("no execution started")
	}
}

func TestSubmitValidationErrors(t *testing.T) {
	f := newHTTPFixture(t)
	bad := refund.Submission{OrderNumber: "RF 42!", PurchaseDate: "03/01/2025", Email: "ana@", Kind: "refund", Reason: "other"}

	t.Run("form", func(t *testing.T) {
		resp := mustCall(t, f.submitHandler(), formEvent(t, bad))
		wantStatus(t, resp, http.StatusBadRequest)
		for _, want := range []string{"Enter the purchase date as year-month-day", "Enter a complete email address", `value="RF 42!"`, "Please tell us in a few words"} {
			if !strings.Contains(resp.Body, want) {
				t.Errorf("form page lacks %q", want)
			}
		}
	})
	t.Run("json", func(t *testing.T) {
		resp := mustCall(t, f.submitHandler(), jsonEvent(t, bad, ""))
		wantStatus(t, resp, http.StatusBadRequest)
		var body apigw.ErrorBody
		if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
			t.Fatal(err)
		}
		if body.Error.Code != refund.CodeInvalid || len(body.Error.Fields) != 4 || body.Error.Fields["email"] == "" {
			t.Errorf("error = %+v", body.Error)
		}
	})
	t.Run("unknown json field", func(t *testing.T) {
		ev := jsonEvent(t, bad, "")
		ev.Body = `{"order_number":"RF-1","admin":true}`
		resp := mustCall(t, f.submitHandler(), ev)
		wantStatus(t, resp, http.StatusBadRequest)
		if !strings.Contains(resp.Body, `"admin"`) {
			t.Errorf("body %s does not name the field", resp.Body)
		}
	})
	if len(f.sfn.starts) != 0 {
		t.Errorf("workflows started for invalid input: %v", f.sfn.starts)
	}
}

func TestSubmitSecondOpenRequestIs409(t *testing.T) {
	f := newHTTPFixture(t)
	f.putOrder(projectOrder("RF-2025-0042"))
	sub := submission(projectOrder("RF-2025-0042"))
	submitted(t, mustCall(t, f.submitHandler(), formEvent(t, sub)))

	resp := mustCall(t, f.submitHandler(), formEvent(t, sub))
	wantStatus(t, resp, http.StatusConflict)
	if !strings.Contains(resp.Body, "There is already an open request for order RF-2025-0042") {
		t.Errorf("form page lacks the conflict message:\n%s", resp.Body)
	}
	if !strings.Contains(resp.Body, `value="ana@example.com"`) {
		t.Error("the form lost what the client typed")
	}
	resp = mustCall(t, f.submitHandler(), jsonEvent(t, sub, ""))
	wantStatus(t, resp, http.StatusConflict)
	if !strings.Contains(resp.Body, `"code":"conflict"`) {
		t.Errorf("JSON conflict body: %s", resp.Body)
	}
}

func TestSubmitIdempotencyKeyReplaysFirstAnswer(t *testing.T) {
	f := newHTTPFixture(t)
	sub := submission(projectOrder("RF-2025-0042"))
	const key = "4f1c2a9e-7b3d-4e58-9a61-2c0f8d7e6b5a"

	first := mustCall(t, f.submitHandler(), jsonEvent(t, sub, key))
	wantStatus(t, first, http.StatusAccepted)
	var a1, a2 handler.SubmitAnswer
	json.Unmarshal([]byte(first.Body), &a1)

	// Same key and the same submission (typed differently: case and spaces do not matter).
	again := sub
	again.Email = "  ANA@example.com "
	second := mustCall(t, f.submitHandler(), jsonEvent(t, again, key))
	wantStatus(t, second, http.StatusAccepted)
	json.Unmarshal([]byte(second.Body), &a2)
	if a2.RequestID != a1.RequestID || a2.Status != a1.Status {
		t.Errorf("replay answered %+v, first was %+v", a2, a1)
	}
	if second.Headers["Idempotent-Replayed"] != "true" {
		t.Error("replay not marked")
	}
	// The replay's status link works too, and is a new code (codes are never stored in clear).
	if a2.StatusURL == a1.StatusURL {
		t.Error("replay repeated the status code, which would mean it was stored")
	}
	for _, u := range []string{a1.StatusURL, a2.StatusURL} {
		pu, _ := url.Parse(u)
		ev := loadEvent(t, "get-status-json.json")
		setPath(&ev, pu.Path, map[string]string{"id": a1.RequestID})
		setQuery(&ev, pu.Query())
		wantStatus(t, mustCall(t, f.statusHandler(), ev), http.StatusOK)
	}

	// Same key, another submission: refused.
	other := sub
	other.Details = "Something else entirely."
	resp := mustCall(t, f.submitHandler(), jsonEvent(t, other, key))
	wantStatus(t, resp, http.StatusConflict)
	if !strings.Contains(resp.Body, "already used for a different request") {
		t.Errorf("body: %s", resp.Body)
	}
	if got := len(f.sfn.starts); got < 1 {
		t.Errorf("starts = %d", got)
	}
}

// TestSubmitIdempotencyFingerprintKeepsTheEmailLookup: the fingerprint stored with an Idempotency-Key
// covers the submission with its email lookup hash, as it did before the lookup key was read in the
// background, so a retry that spans a deployment is still recognised as the same submission.
func TestSubmitIdempotencyFingerprintKeepsTheEmailLookup(t *testing.T) {
	f := newHTTPFixture(t)
	sub := submission(projectOrder("RF-2025-0042"))
	const key = "8d2e4b1a-3c5f-4a7e-9b60-1f2e3d4c5b6a"
	lookupKey := []byte("a lookup key of at least 32 bytes, for tests")
	h := f.submitHandler()
	h.LookupKey = handler.StaticKey(lookupKey)
	wantStatus(t, mustCall(t, h, jsonEvent(t, sub, key)), http.StatusAccepted)

	rec, err := f.store.GetIdempotency(context.Background(), "POST /requests:"+key) // the route's scope
	if err != nil {
		t.Fatal(err)
	}
	stored := sub.Normalize()
	stored.EmailLookup = refund.EmailLookup(lookupKey, sub.Email)
	data, _ := json.Marshal(stored)
	sum := sha256.Sum256(data)
	if want := hex.EncodeToString(sum[:]); rec.Fingerprint != want {
		t.Errorf("fingerprint %s, want %s (the submission with its email lookup)", rec.Fingerprint, want)
	}
	if again := mustCall(t, h, jsonEvent(t, sub, key)); again.Headers["Idempotent-Replayed"] != "true" {
		t.Errorf("the retry was not replayed: %d %s", again.StatusCode, again.Body)
	}
}

func TestSubmitStartFailureIs503AndRetryStartsIt(t *testing.T) {
	f := newHTTPFixture(t)
	sub := submission(projectOrder("RF-2025-0042"))
	const key = "retry-me-7b3d"
	f.sfn.failStarts = 1

	resp := mustCall(t, f.submitHandler(), jsonEvent(t, sub, key))
	wantStatus(t, resp, http.StatusServiceUnavailable)
	if resp.Headers["Retry-After"] == "" || !strings.Contains(resp.Body, `"code":"unavailable"`) || !strings.Contains(resp.Body, "same Idempotency-Key") {
		t.Errorf("503 answer: %v %s", resp.Headers, resp.Body)
	}
	// The request is stored (still submitted) but no workflow runs.
	list, _, err := f.store.ListRequestsByStatus(context.Background(), refund.StatusSubmitted, 10, "")
	if err != nil || len(list) != 1 {
		t.Fatalf("submitted requests = %d, %v", len(list), err)
	}
	id := list[0].ID
	if f.execution(id) != nil {
		t.Fatal("an execution exists although StartExecution failed")
	}

	retry := mustCall(t, f.submitHandler(), jsonEvent(t, sub, key))
	wantStatus(t, retry, http.StatusAccepted)
	var a handler.SubmitAnswer
	json.Unmarshal([]byte(retry.Body), &a)
	if a.RequestID != id {
		t.Errorf("retry answered request %s, want %s", a.RequestID, id)
	}
	if f.execution(id) == nil {
		t.Error("the retry did not start the workflow")
	}

	// A later retry finds the execution already there: ExecutionAlreadyExists counts as success.
	if _, err := f.client.StopExecution(context.Background(), &sfn.StopExecutionInput{
		ExecutionArn: f.execution(id).ExecutionArn,
	}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, mustCall(t, f.submitHandler(), jsonEvent(t, sub, key)), http.StatusAccepted)
}

func TestSubmitStartFailureWithoutKeyForm(t *testing.T) {
	f := newHTTPFixture(t)
	f.putOrder(projectOrder("RF-2025-0042"))
	f.sfn.failStarts = 1
	resp := mustCall(t, f.submitHandler(), formEvent(t, submission(projectOrder("RF-2025-0042"))))
	wantStatus(t, resp, http.StatusServiceUnavailable)
	if !strings.Contains(resp.Body, "We saved your request but could not start processing it") || !strings.Contains(resp.Headers["Content-Type"], "text/html") {
		t.Errorf("503 page: %s", resp.Body)
	}
	list, _, err := f.store.ListRequestsByStatus(context.Background(), refund.StatusSubmitted, 10, "")
	if err != nil || len(list) != 1 || f.execution(list[0].ID) != nil {
		t.Fatalf("want one stored request without a workflow: %v %v", list, err)
	}
	// The client sends the form again (no key): the order has an open request, so 409, and that
	// request's workflow is started now.
	resp = mustCall(t, f.submitHandler(), formEvent(t, submission(projectOrder("RF-2025-0042"))))
	wantStatus(t, resp, http.StatusConflict)
	if f.execution(list[0].ID) == nil {
		t.Error("the retry did not start the stuck request's workflow")
	}
	if got := len(f.sfn.starts); got != 1 {
		t.Errorf("%d starts, want 1", got)
	}
}

func TestSubmitHostileInput(t *testing.T) {
	f := newHTTPFixture(t)
	const script = `<script>alert("x")</script>`

	t.Run("script in every field comes back escaped", func(t *testing.T) {
		sub := refund.Submission{OrderNumber: script, PurchaseDate: script, Email: script, Name: script, Kind: script, Reason: script, Details: script}
		resp := mustCall(t, f.submitHandler(), formEvent(t, sub))
		wantStatus(t, resp, http.StatusBadRequest)
		if strings.Contains(resp.Body, "<script>") {
			t.Error("raw script in the page")
		}
		if n := strings.Count(resp.Body, html.EscapeString(script)); n < 4 {
			t.Errorf("escaped script shown %d times, want the typed values back", n)
		}
	})
	t.Run("script in a valid submission is escaped on the status page", func(t *testing.T) {
		sub := submission(projectOrder("RF-2025-0099"))
		sub.Details, sub.Name = script, script
		id, code := submitted(t, mustCall(t, f.submitHandler(), formEvent(t, sub)))
		ev := loadEvent(t, "get-status.json")
		setPath(&ev, "/requests/"+id, map[string]string{"id": id})
		setQuery(&ev, url.Values{"t": {code}})
		page := mustCall(t, f.statusHandler(), ev)
		wantStatus(t, page, http.StatusOK)
		if strings.Contains(page.Body, "<script>") || !strings.Contains(page.Body, "&lt;script&gt;") {
			t.Error("details not escaped on the status page")
		}
		ev.Headers["accept"] = "application/json"
		js := mustCall(t, f.statusHandler(), ev)
		if strings.Contains(js.Body, "<script>") || !strings.Contains(js.Body, `\u003cscript\u003e`) {
			t.Errorf("JSON does not escape markup: %s", js.Body)
		}
	})
	t.Run("oversized body is 413", func(t *testing.T) {
		ev := formEvent(t, submission(projectOrder("RF-2025-0100")))
		setForm(&ev, url.Values{"details": {strings.Repeat("x", apigw.MaxBodyBytes)}})
		wantStatus(t, mustCall(t, f.submitHandler(), ev), http.StatusRequestEntityTooLarge)
	})
	t.Run("wrong content type is 415", func(t *testing.T) {
		for _, ct := range []string{"text/plain", "multipart/form-data; boundary=x", "application/json; charset=utf-16", ""} {
			ev := jsonEvent(t, submission(projectOrder("RF-2025-0101")), "")
			if ct == "" {
				delete(ev.Headers, "content-type")
			} else {
				ev.Headers["content-type"] = ct
			}
			if resp := mustCall(t, f.submitHandler(), ev); resp.StatusCode != http.StatusUnsupportedMediaType {
				t.Errorf("Content-Type %q: status %d, want 415", ct, resp.StatusCode)
			}
		}
	})
	t.Run("bad idempotency key is 400", func(t *testing.T) {
		ev := jsonEvent(t, submission(projectOrder("RF-2025-0102")), "has space")
		wantStatus(t, mustCall(t, f.submitHandler(), ev), http.StatusBadRequest)
	})
}

func TestSubmitConcurrentSubmissionsOneOpenRequest(t *testing.T) {
	f := newHTTPFixture(t)
	f.putOrder(projectOrder("RF-2025-0042"))
	sub := submission(projectOrder("RF-2025-0042"))
	const n = 50
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := call(f.submitHandler(), jsonEvent(t, sub, ""))
			if err != nil {
				t.Error(err)
				return
			}
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[http.StatusAccepted] != 1 || count[http.StatusConflict] != n-1 {
		t.Fatalf("answers = %v, want one 202 and %d 409", count, n-1)
	}
	list, _, err := f.store.ListRequestsByStatus(context.Background(), refund.StatusSubmitted, 100, "")
	if err != nil || len(list) != 1 {
		t.Fatalf("stored %d requests (%v), want 1", len(list), err)
	}
	// The 409s may start the winner's workflow again (harmless: same execution name), but there is
	// one execution.
	f.idle()
	out, err := f.client.ListExecutions(context.Background(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(f.machine)})
	if err != nil || len(out.Executions) != 1 || aws.ToString(out.Executions[0].Name) != list[0].ID {
		t.Errorf("executions = %d (%v), want 1 named %s", len(out.Executions), err, list[0].ID)
	}
}

func TestSubmitConcurrentRetriesWithOneKey(t *testing.T) {
	f := newHTTPFixture(t)
	sub := submission(projectOrder("RF-2025-0042"))
	// The first attempt is stored; then 20 retries with the key arrive at once.
	first := mustCall(t, f.submitHandler(), jsonEvent(t, sub, "k-1"))
	wantStatus(t, first, http.StatusAccepted)
	var want handler.SubmitAnswer
	json.Unmarshal([]byte(first.Body), &want)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := call(f.submitHandler(), jsonEvent(t, sub, "k-1"))
			if err != nil || resp.StatusCode != http.StatusAccepted {
				t.Errorf("retry: %v %d %s", err, resp.StatusCode, resp.Body)
				return
			}
			var got handler.SubmitAnswer
			json.Unmarshal([]byte(resp.Body), &got)
			if got.RequestID != want.RequestID {
				t.Errorf("retry answered %s, want %s", got.RequestID, want.RequestID)
			}
		}()
	}
	wg.Wait()
	list, _, _ := f.store.ListRequestsByStatus(context.Background(), refund.StatusSubmitted, 100, "")
	if len(list) != 1 {
		t.Errorf("%d requests stored, want 1", len(list))
	}
}

func TestNewRequestIDIsAValidExecutionName(t *testing.T) {
	seen := map[string]bool{}
	name := regexp.MustCompile(`^[a-z0-9-]{1,80}$`)
	for range 1000 {
		id, err := handler.NewRequestID(httpT0)
		if err != nil {
			t.Fatal(err)
		}
		if !name.MatchString(id) || !strings.HasPrefix(id, "req-20250303-") {
			t.Fatalf("id %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
}

// BenchmarkSubmitJSON measures POST /requests end to end through the Lambda handler: decoding and
// validation, the create transaction on the local DynamoDB and StartExecution on the local engine.
func BenchmarkSubmitJSON(b *testing.B) {
	f := newHTTPFixture(b)
	h := f.submitHandler()
	i := 0
	for b.Loop() {
		i++
		ev := jsonEvent(b, submission(projectOrder(fmt.Sprintf("RF-B-%07d", i))), "")
		resp, err := call(h, ev)
		if err != nil || resp.StatusCode != http.StatusAccepted {
			b.Fatalf("%v %d %s", err, resp.StatusCode, resp.Body)
		}
	}
}

// A submission that does not name the order (wrong email or date) is stored without the order's
// lock, marked unmatched, and answered as any accepted submission: it neither gets the 409 of the
// order's open request nor keeps the order's real client from asking.
func TestSubmitUnmatchedTakesNoLock(t *testing.T) {
	f := newHTTPFixture(t)
	order := f.putOrder(projectOrder("RF-2025-0042"))
	wrongEmail := submission(order)
	wrongEmail.Email = "someone@example.net"
	wrongDate := submission(order)
	wrongDate.PurchaseDate = "2025-01-02"
	for _, sub := range []refund.Submission{wrongEmail, wrongDate, wrongEmail} {
		wantStatus(t, mustCall(t, f.submitHandler(), jsonEvent(t, sub, "")), http.StatusAccepted)
	}
	if open, err := f.store.OpenRequestID(context.Background(), order.Number); err != nil || open != "" {
		t.Fatalf("open request of %s = %q, %v; want none after unmatched submissions", order.Number, open, err)
	}
	list, _, err := f.store.ListRequestsByStatus(context.Background(), refund.StatusSubmitted, 10, "")
	if err != nil || len(list) != 3 {
		t.Fatalf("stored %d submitted requests (%v), want 3", len(list), err)
	}
	for _, r := range list {
		if !r.Unmatched {
			t.Errorf("request %s is not marked unmatched", r.ID)
		}
	}
	id, _ := submitted(t, mustCall(t, f.submitHandler(), formEvent(t, submission(order))))
	if open, err := f.store.OpenRequestID(context.Background(), order.Number); err != nil || open != id {
		t.Errorf("open request = %q, %v; want the matching submitter's %s", open, err, id)
	}
	if f.request(id).Unmatched {
		t.Error("the matching submitter's request is marked unmatched")
	}
	for _, sub := range []refund.Submission{wrongEmail, wrongDate} {
		wantStatus(t, mustCall(t, f.submitHandler(), formEvent(t, sub)), http.StatusSeeOther)
	}
}
