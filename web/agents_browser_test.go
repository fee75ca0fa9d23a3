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

// agentsAPI answers the routes of the agents' panels (staff_agents.js) and records what they sent.
type agentsAPI struct {
	mu      sync.Mutex
	taken   []map[string]any
	keys    []string
	actions []map[string]any
}

func (f *agentsAPI) handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if apigw.Header(req, "authorization") != "Bearer test-token" {
		return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeUnauthorized, "The token is not valid.")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch path := strings.TrimPrefix(req.RawPath, "/staff/api"); {
	case path == "/requests" && apigw.Method(req) == http.MethodPost:
		var body map[string]any
		if err := apigw.DecodeJSON(req, &body); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		f.taken = append(f.taken, body)
		f.keys = append(f.keys, apigw.Header(req, "idempotency-key"))
		return apigw.JSON(201, map[string]any{"requestId": "req-20250310-phone", "status": "submitted", "channel": body["channel"], "taken_by": "staff:s1"}), nil
	case path == "/requests/R-9" && apigw.Method(req) == http.MethodGet:
		return apigw.JSON(200, map[string]any{
			"request": refund.Request{ID: "R-9", OrderNumber: "RF-9", Status: refund.StatusNeedsAttention},
			"order":   refund.Order{Number: "RF-9", Currency: "EUR", Paid: 180000},
		}), nil
	case path == "/requests/R-9/actions" && apigw.Method(req) == http.MethodPost:
		var body map[string]any
		if err := apigw.DecodeJSON(req, &body); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		f.actions = append(f.actions, body)
		return apigw.JSON(200, map[string]any{"request": refund.Request{ID: "R-9", Status: refund.StatusClosed}, "action": body["action"], "delivered": true}), nil
	}
	return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeNotFound, "No such route.")
}

// TestAgentsPanelsInBrowser drives the agents' panels of the staff console in headless Chromium under
// the real Content-Security-Policy: taking a request for a client who phoned (with an
// Idempotency-Key), and closing a request that needs attention with a message and a note.
func TestAgentsPanelsInBrowser(t *testing.T) {
	ctx := browser(t)
	api := &agentsAPI{}
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

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1200, 900), chromedp.Navigate(srv.URL+"/staff")); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#take-title", "Take a request for a client") // the script ran under the CSP
	setStaffToken(t, ctx, "test-token")
	waitText(t, ctx, "#take-title", "Take a request for a client")

	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#take-order"), "RF-1001"),
		chromedp.SetValue(chromedp.CSS("#take-channel"), "phone"),
		chromedp.SetValue(chromedp.CSS("#take-reason"), "no_longer_needed"),
		chromedp.SendKeys(chromedp.CSS("#take-details"), "Called at 10:05. "+xss),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "staff-take-request")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#take-form button[type=submit]"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#take-status", "Request req-20250310-phone taken by phone")
	api.mu.Lock()
	if len(api.taken) != 1 || api.taken[0]["order_number"] != "RF-1001" || api.taken[0]["channel"] != "phone" ||
		api.taken[0]["reason"] != "no_longer_needed" || api.taken[0]["kind"] != "refund" || len(api.keys[0]) != 32 {
		t.Errorf("taken = %v with keys %q", api.taken, api.keys)
	}
	api.mu.Unlock()

	// The case page opens a request that needs attention: the actions panel follows it.
	if hidden := eval[bool](t, ctx, `document.getElementById("act").hidden`); !hidden {
		t.Error("the actions panel shows without a request that needs attention")
	}
	eval[any](t, ctx, `document.getElementById("detail").hidden = false; document.getElementById("detail-title").textContent = "Request R-9"`)
	for i := 0; eval[bool](t, ctx, `document.getElementById("act").hidden`); i++ {
		if i == 100 {
			t.Fatal("the actions panel never showed for a request that needs attention")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#act-action-close")),
		chromedp.SendKeys(chromedp.CSS("#act-message"), "As agreed on the phone, your project continues."),
		chromedp.SendKeys(chromedp.CSS("#act-note"), "Agreed with the client."),
	); err != nil {
		t.Fatal(err)
	}
	if hidden := eval[bool](t, ctx, `document.getElementById("act-close").hidden`); hidden {
		t.Error("the message field is hidden for close")
	}
	screenshot(t, ctx, "staff-needs-attention-actions")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#act-form button[type=submit]"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#act-status", "Recorded: close")
	api.mu.Lock()
	defer api.mu.Unlock()
	if len(api.actions) != 1 || api.actions[0]["action"] != "close" || api.actions[0]["note"] != "Agreed with the client." ||
		api.actions[0]["message"] != "As agreed on the phone, your project continues." || api.actions[0]["settlement"] != nil {
		t.Errorf("actions = %v", api.actions)
	}
	if got := eval[string](t, ctx, `document.title`); got == "pwned" {
		t.Error("typed text ran as script")
	}
}
