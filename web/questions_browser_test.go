package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/chromedp/chromedp"

	"refundflow/apigw"
	"refundflow/dynamo"
	"refundflow/dynamo/dynamotest"
	"refundflow/handler"
	"refundflow/refund"
	"refundflow/web"
)

// TestStatusPageQuestionsInBrowser sends questions from the status page's form in headless Chromium,
// through the real RequestStatus handler on the local DynamoDB, at a desktop and a phone width: the
// thread shows each question as text (the script in one never runs), a staff reply appears, and the
// sixth question of the day is refused with when the client can write again.
func TestStatusPageQuestionsInBrowser(t *testing.T) {
	ctx := browser(t)
	client, table := dynamotest.New(t)
	store := dynamo.New(client, table)
	bg := context.Background()
	order := refund.Order{Number: "RF-7001", CustomerName: "Ada Lovelace", Email: "ada@example.com", PurchaseDate: "2026-12-01",
		Currency: "EUR", Paid: 180000, Status: refund.OrderActive,
		Payment: refund.Payment{Provider: "sandbox", Reference: "pi_7001", CardHint: "4242", ThreeDSecure: true, Captured: true},
		Service: refund.Service{Type: refund.ServiceHours, Hours: &refund.Hours{Purchased: 10, Used: 2, TotalPrice: 180000}}}
	if _, err := store.PutOrder(bg, order); err != nil {
		t.Fatal(err)
	}
	sub := refund.Submission{OrderNumber: order.Number, PurchaseDate: order.PurchaseDate, Email: order.Email, Kind: "refund",
		Reason: "no_longer_needed", Details: "We hired someone."}
	req, err := refund.NewRequest("req-20261206-questionsbrowser0001", sub, time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	code := "st_browserQuestionsCode00000000001"
	if err := store.CreateRequest(bg, req, sub, refund.LinkCode{Hash: refund.HashCode(code), Purpose: refund.LinkStatus},
		refund.AuditEntry{Actor: refund.ActorClient, Action: "submitted"}); err != nil {
		t.Fatal(err)
	}
	status := handler.RequestStatus{Store: store}
	mux := http.NewServeMux()
	mux.Handle("/requests/", serve(status.Handle))
	mux.Handle("GET /assets/{file}", serve(func(ctx context.Context, r events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		data, ct, ok := web.Asset(strings.TrimPrefix(r.RawPath, "/assets/"))
		if !ok {
			return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeNotFound, "No such file.")
		}
		return apigw.Static(data, ct), nil
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	page := srv.URL + "/requests/" + req.ID + "?t=" + code

	// ask types a question into the form and sends it, waiting for the page it leads to.
	// RunResponse waits for the navigation the click starts (the post, its 303 and the page).
	ask := func(text string, wantStatus int) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#question-message"), text)); err != nil {
			t.Fatal(err)
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(".question-form button[type=submit]")))
		if err != nil {
			t.Fatalf("send %q: %v", text, err)
		}
		if resp.Status != int64(wantStatus) {
			t.Errorf("sending %q ended in %d, want %d", text, resp.Status, wantStatus)
		}
	}

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(page)); err != nil {
		t.Fatal(err)
	}
	ask("When will my refund arrive? "+xss, http.StatusOK)
	waitText(t, ctx, "#questions .notice", "Your message was sent.")
	if got := text(t, ctx, ".thread-message.from-client .thread-text"); got != "When will my refund arrive? "+xss {
		t.Errorf("the thread shows %q", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#pwned").length`); n != 0 || eval[string](t, ctx, `document.title`) == "pwned" {
		t.Error("markup in a question reached the page as markup")
	}
	if _, err := store.AddReply(bg, req.ID, "Within 5 to 10 business days.\nThe bank decides the day.", refund.AuditEntry{Actor: refund.StaffActor("s1")}); err != nil {
		t.Fatal(err)
	}
	ask("Thank you!", http.StatusOK)
	waitText(t, ctx, ".thread-message.from-staff .thread-text", "Within 5 to 10 business days.")
	if got := eval[int](t, ctx, `document.querySelectorAll(".thread-message").length`); got != 3 {
		t.Errorf("%d messages in the thread, want 3", got)
	}
	screenshot(t, ctx, "status-questions-desktop")

	// On a phone: the page fits, and the day's sixth question is refused with when to write again.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)), chromedp.Navigate(page)); err != nil {
		t.Fatal(err)
	}
	if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the status page with its questions is %d px wide on a 390 px screen", w)
	}
	screenshot(t, ctx, "status-questions-phone")
	for i := 3; i <= refund.QuestionsPerDay; i++ {
		ask("Another question", http.StatusOK)
		if err := chromedp.Do(ctx, chromedp.Navigate(page)); err != nil { // the page without the notice, as a client comes back
			t.Fatal(err)
		}
	}
	ask("One too many", http.StatusTooManyRequests)
	waitText(t, ctx, "main", "You can write again from")
	screenshot(t, ctx, "status-questions-limit-phone")
	thread, err := store.ListThread(bg, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(thread), refund.QuestionsPerDay+1; got != want {
		t.Errorf("%d messages stored, want %d (five questions and the reply)", got, want)
	}
}
