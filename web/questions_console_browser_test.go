package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/chromedp/chromedp"

	"refundflow/apigw"
	"refundflow/refund"
	"refundflow/web"
)

// questionsAPI answers what the console's questions panel (staff_questions.js) asks and records the
// replies it sends.
type questionsAPI struct {
	mu      sync.Mutex
	replies []map[string]any
}

func (f *questionsAPI) handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if apigw.Header(req, "authorization") != "Bearer test-token" {
		return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeUnauthorized, "The token is not valid.")
	}
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	thread := []refund.ThreadMessage{{RequestID: "R-7", ID: "m1", At: at, From: refund.FromClient, Actor: refund.ActorClient, Text: "When? " + xss}}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch path := strings.TrimPrefix(req.RawPath, "/staff/api"); {
	case path == "/requests" && apigw.Method(req) == http.MethodGet:
		return apigw.JSON(200, map[string]any{"requests": []refund.Request{{ID: "R-7", OrderNumber: "RF-7", Status: refund.StatusInReview}},
			"unanswered": map[string]int{"R-7": 1}, "next": ""}), nil
	case path == "/requests/R-7" && apigw.Method(req) == http.MethodGet:
		return apigw.JSON(200, map[string]any{"request": refund.Request{ID: "R-7", OrderNumber: "RF-7", Status: refund.StatusInReview},
			"thread": thread, "questions": refund.ThreadSummary{RequestID: "R-7", Questions: 1, Unanswered: 1}}), nil
	case path == "/requests/R-7/replies" && apigw.Method(req) == http.MethodPost:
		var body map[string]any
		if err := apigw.DecodeJSON(req, &body); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		f.replies = append(f.replies, body)
		reply := refund.ThreadMessage{RequestID: "R-7", ID: "m2", At: at.Add(time.Hour), From: refund.FromStaff, Actor: "staff:s1", Text: body["message"].(string)}
		return apigw.JSON(201, map[string]any{"reply": reply, "thread": append(thread, reply), "emailed": true}), nil
	}
	return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeNotFound, "No such route.")
}

// TestConsoleQuestionsInBrowser drives the console's questions panel in headless Chromium under the
// real Content-Security-Policy: the list marks a request with an unanswered question, the case page
// shows the thread as text, and a reply goes out with its note.
func TestConsoleQuestionsInBrowser(t *testing.T) {
	ctx := browser(t)
	api := &questionsAPI{}
	mux := http.NewServeMux()
	mux.Handle("GET /staff", serve(func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return apigw.Page(200, web.StaffPage{})
	}))
	mux.Handle("GET /assets/{file}", serve(func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		data, ct, ok := web.Asset(strings.TrimPrefix(req.RawPath, "/assets/"))
		if !ok {
			return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeNotFound, "No such file.")
		}
		return apigw.Static(data, ct), nil
	}))
	mux.Handle("/staff/api/", serve(api.handle))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/staff")); err != nil {
		t.Fatal(err)
	}
	eval[any](t, ctx, `sessionStorage.setItem("refundflow.staffToken", "test-token")`)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/staff")); err != nil {
		t.Fatal(err)
	}
	// The list, however staff.js loads it, gets the count beside the request.
	eval[any](t, ctx, `document.getElementById("list-form").requestSubmit()`)
	waitText(t, ctx, "#list-body .question-count", "1 question")

	eval[any](t, ctx, `document.getElementById("detail").hidden = false; document.getElementById("detail-title").textContent = "Request R-7"`)
	waitText(t, ctx, "#questions-summary", "1 question awaits a reply.")
	if got := text(t, ctx, "#questions-thread .thread-text"); got != "When? "+xss {
		t.Errorf("the thread shows %q", got)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#reply-message"), "Within 5 days. <b>bold?</b>"),
		chromedp.SendKeys(chromedp.CSS("#reply-note"), "Checked the ledger."),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "staff-questions-reply")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#reply-form button[type=submit]"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#reply-status", "Reply sent to the client by email")
	waitText(t, ctx, "#questions-summary", "Every question is answered.")
	if n := eval[int](t, ctx, `document.querySelectorAll("#questions-thread li").length`); n != 2 {
		t.Errorf("%d messages shown after the reply, want 2", n)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#pwned, #questions-thread b").length`); n != 0 || eval[string](t, ctx, `document.title`) == "pwned" {
		t.Error("a message reached the console as markup")
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2))); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "staff-questions-phone")
	api.mu.Lock()
	defer api.mu.Unlock()
	if len(api.replies) != 1 || api.replies[0]["message"] != "Within 5 days. <b>bold?</b>" || api.replies[0]["note"] != "Checked the ledger." {
		t.Errorf("replies = %v", api.replies)
	}
}
