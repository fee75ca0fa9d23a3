package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/chromedp/chromedp"

	"refundflow/apigw"
	"refundflow/refund"
	"refundflow/testenv"
	"refundflow/web"
)

// xss is put into the data the fake staff API returns. If the console ever parsed data as HTML, the
// image would appear in the DOM.
const xss = `<img src=x id=pwned onerror="document.title='pwned'">`

// browser starts headless Chromium, or skips (fails under REFUNDFLOW_REQUIRE_ALL=1) when it is missing.
func browser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		testenv.Missing(t, "chromium is not installed (apt-get install -y chromium); browser checks of the pages skipped")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// serve answers a net/http request through an apigw-style handler, the way API Gateway would: the
// request becomes a payload 2.0 event, the response's headers and cookies become HTTP headers.
func serve(h apigw.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := events.APIGatewayV2HTTPRequest{
			Version: "2.0", RawPath: r.URL.Path, RawQueryString: r.URL.RawQuery, Headers: map[string]string{},
			RequestContext: events.APIGatewayV2HTTPRequestContext{
				RequestID: "test-request",
				HTTP:      events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: r.Method, Path: r.URL.Path, SourceIP: "127.0.0.1", UserAgent: r.UserAgent()},
			},
			Body: base64.StdEncoding.EncodeToString(body), IsBase64Encoded: true,
		}
		for k, v := range r.Header {
			req.Headers[strings.ToLower(k)] = strings.Join(v, ",")
		}
		req.Headers["host"] = r.Host
		resp, _ := apigw.Handle(h)(r.Context(), req)
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		for _, c := range resp.Cookies {
			w.Header().Add("Set-Cookie", c)
		}
		w.WriteHeader(resp.StatusCode)
		if resp.IsBase64Encoded {
			data, _ := base64.StdEncoding.DecodeString(resp.Body)
			w.Write(data)
			return
		}
		io.WriteString(w, resp.Body)
	})
}

// fakeStaffAPI answers the staff API routes the console uses with the shapes StaffPage documents,
// and records the review decisions it receives.
type fakeStaffAPI struct {
	mu      sync.Mutex
	reviews []map[string]any
}

// fakeRefunds are refund attempts in currencies with 0, 2 and 3 decimals, to compare the console's
// money format with refund.Money.String.
var fakeRefunds = []refund.Money{{Amount: 120000, Currency: "JPY"}, {Amount: 1234567, Currency: "KWD"}, {Amount: 5, Currency: "EUR"}}

func (f *fakeStaffAPI) handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if apigw.Header(req, "authorization") != "Bearer test-token" {
		return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeUnauthorized, "The token is not valid.")
	}
	if !apigw.WantsJSON(req) {
		return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeInvalid, "The console must ask for JSON.")
	}
	at := time.Date(2025, 3, 3, 14, 5, 0, 0, time.UTC)
	offers := []refund.Offer{
		{ID: "R-1-1-full_refund", Kind: refund.OfferFullRefund, Amount: refund.Money{Amount: 120000, Currency: "EUR"}, Terms: "Refund " + xss},
		{ID: "R-1-1-service_credit", Kind: refund.OfferServiceCredit, Amount: refund.Money{Amount: 130000, Currency: "EUR"}, Terms: "Credit"},
	}
	switch path := strings.TrimPrefix(req.RawPath, "/staff/api"); {
	case path == "/requests" && apigw.Method(req) == http.MethodGet:
		q, _ := apigw.Query(req)
		if q.Get("status") != "in_review" && q.Get("view") != "waiting" {
			return apigw.JSON(200, map[string]any{"requests": []any{}}), nil
		}
		list := []refund.Request{{ID: "R-2", OrderNumber: xss, Kind: refund.KindCancellation, Status: refund.StatusInReview, UpdatedAt: at}}
		if !f.decided() {
			list = append([]refund.Request{{ID: "R-1", OrderNumber: "RF-1", Kind: refund.KindRefund, Status: refund.StatusInReview, UpdatedAt: at}}, list...)
		}
		return apigw.JSON(200, map[string]any{"requests": list, "counts": map[string]int{"in_review": len(list), "needs_attention": 0}}), nil
	case path == "/requests/R-1" && apigw.Method(req) == http.MethodGet:
		status := refund.StatusInReview
		if f.decided() {
			status = refund.StatusAwaitingConsent
		}
		var refunds []map[string]any
		for i, m := range fakeRefunds {
			refunds = append(refunds, map[string]any{"n": i + 1, "amount": m, "state": "completed", "provider_refund_id": "re_" + xss})
		}
		return apigw.JSON(200, map[string]any{
			"request": refund.Request{ID: "R-1", OrderNumber: "RF-1", Kind: refund.KindRefund, Reason: refund.ReasonOther,
				Details: "Details " + xss, Status: status, CreatedAt: at, UpdatedAt: at},
			"order": refund.Order{Number: "RF-1", CustomerName: "Ana " + xss, Email: "ana@example.com", PurchaseDate: "2025-03-01",
				Currency: "EUR", Paid: 1_500_000, Refunded: 250_000, Payment: refund.Payment{CardHint: "4242"}},
			"remaining":      refund.Money{Amount: 1_250_000, Currency: "EUR"},
			"refunds":        refunds,
			"offers":         offers,
			"review_reasons": []string{"Amount above the review threshold " + xss},
			"findings":       []refund.Finding{{Code: "order_matched", Message: "Order found", Passed: true}},
			"audit": []map[string]string{
				{"at": "2025-03-03T14:05:00Z", "actor": "client", "action": "submitted", "to": "submitted", "detail": xss},
				{"at": "2025-03-03T14:05:02Z", "actor": "system:ProposeResolution", "action": "status", "from": "submitted", "to": "in_review"},
			},
			"emails": []map[string]string{
				{"kind": "staff_review", "subject": "Review needed: request R-1", "sent_at": "2025-03-03T14:05:03Z"},
				{"kind": "received", "subject": "We received " + xss, "sent_at": "2025-03-03T14:05:01Z"},
			},
		}), nil
	case path == "/requests/R-1/review" && apigw.Method(req) == http.MethodPost:
		var body map[string]any
		if err := apigw.DecodeJSON(req, &body); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		f.mu.Lock()
		f.reviews = append(f.reviews, body)
		f.mu.Unlock()
		return apigw.JSON(200, map[string]string{"status": "awaiting_consent"}), nil
	case path == "/feedback":
		return apigw.JSON(200, map[string]any{"feedback": []map[string]any{
			{"request_id": "R-9", "rating": 5, "comment": "Quick " + xss, "created_at": "2025-03-04T09:00:00Z"},
		}}), nil
	}
	return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeNotFound, "No such route.")
}

// decided reports whether a review decision was posted.
func (f *fakeStaffAPI) decided() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reviews) > 0
}

// site serves the pages as the Web function would, plus the fake staff API.
func site(t *testing.T, api *fakeStaffAPI) *httptest.Server {
	t.Helper()
	consent := web.ConsentPage{
		Action: "/consent/abc", CustomerName: "Ana López", OrderNumber: "RF-2025-0042", RequestID: "R-1",
		Offers: []web.ConsentOffer{{
			Offer: refund.Offer{ID: "R-1-1-partial_refund", Kind: refund.OfferPartialRefund, Amount: refund.Money{Amount: 95000, Currency: "EUR"},
				Breakdown: []refund.Line{{Label: "Paid", Amount: refund.Money{Amount: 150000, Currency: "EUR"}}, {Label: "Milestone 1 delivered", Amount: refund.Money{Amount: -55000, Currency: "EUR"}}},
				Terms:     "EUR 950.00 will be refunded to the card ending 4242, within 5 to 10 business days.", EffectiveDate: "2025-03-04"},
			Agreement: "AGREEMENT ON YOUR REFUND REQUEST\n\nCustomer:  Ana López\nOrder:     RF-2025-0042, fixed-price project, bought on 2025-01-10, paid EUR 1,500.00\n" +
				"Request:   req-20250303-sva7zaq4gvhd3tsjejrd (refund: I changed my mind)\n\nWHERE THE MONEY GOES\n" +
				"EUR 950.00 will be refunded to the card ending 4242 used for the original 3-D Secure payment, within 5 to 10 business days.\n",
			Hash: strings.Repeat("0f", 32),
		}},
	}
	mux := http.NewServeMux()
	page := func(p web.Page) http.Handler {
		return serve(func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
			return apigw.Page(200, p)
		})
	}
	mux.Handle("GET /staff", page(web.StaffPage{}))
	mux.Handle("GET /{$}", page(web.FormPage{}))
	mux.Handle("GET /form-error", page(web.FormPage{Values: refund.Submission{OrderNumber: "RF 1", Email: "ana@"},
		Errors: refund.Submission{OrderNumber: "RF 1", Email: "ana@"}.Validate()}))
	mux.Handle("GET /consent", page(consent))
	mux.Handle("GET /status", page(web.StatusPage{
		Request: refund.Request{ID: "R-1", OrderNumber: "RF-2025-0042", Kind: refund.KindRefund, Reason: refund.ReasonQuality,
			Status: refund.StatusAwaitingConsent, CreatedAt: time.Date(2025, 3, 3, 14, 5, 0, 0, time.UTC)},
		Timeline: []web.TimelineEntry{
			{At: time.Date(2025, 3, 3, 14, 5, 0, 0, time.UTC), Status: refund.StatusSubmitted},
			{At: time.Date(2025, 3, 3, 14, 6, 0, 0, time.UTC), Status: refund.StatusAwaitingConsent},
		},
		CanWithdraw: true, WithdrawAction: "/requests/R-1/withdraw", StatusCode: "code",
	}))
	mux.Handle("GET /accepted", page(web.LinkPage{State: web.LinkAccepted, Offer: "Partial refund (EUR 950.00)"}))
	mux.Handle("GET /completed", page(web.StatusPage{
		Request: refund.Request{ID: "req-20250303-sva7zaq4gvhd3tsjejrd", OrderNumber: "RF-2025-0042", Kind: refund.KindRefund, Reason: refund.ReasonQuality,
			Status: refund.StatusCompleted, CreatedAt: time.Date(2025, 3, 3, 14, 5, 0, 0, time.UTC)},
		Timeline: []web.TimelineEntry{
			{At: time.Date(2025, 3, 3, 14, 5, 0, 0, time.UTC), Status: refund.StatusSubmitted},
			{At: time.Date(2025, 3, 3, 14, 6, 0, 0, time.UTC), Status: refund.StatusCompleted},
		},
		Outcome: &web.StatusOutcome{Offer: consent.Offers[0].Offer, CardHint: "4242", Done: true},
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
	return srv
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := filepath.Join("..", "testout", "web")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func eval[T any](t *testing.T, ctx context.Context, js string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, opts...))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitText polls until the element's text contains want (the console updates after fetches).
func waitText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	js := `(() => { const n = document.querySelector(` + jsString(sel) + `); return n ? n.textContent : ""; })()`
	for range 100 {
		if strings.Contains(eval[string](t, ctx, js), want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never showed %q; it shows %q", sel, want, eval[string](t, ctx, js))
}

// setStaffToken keeps a token in the tab's sessionStorage, where the console's sign-in puts it, and
// loads the console again.
func setStaffToken(t *testing.T, ctx context.Context, token string) {
	t.Helper()
	eval[bool](t, ctx, `sessionStorage.setItem("refundflow.staffToken", `+jsString(token)+`), true`)
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestStaffConsoleInBrowser drives the staff console in headless Chromium under the real
// Content-Security-Policy: the script must load and work with script-src 'self' only, call the API
// with the bearer token, and show hostile data as text.
func TestStaffConsoleInBrowser(t *testing.T) {
	ctx := browser(t)
	api := &fakeStaffAPI{}
	srv := site(t, api)

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1200, 900), chromedp.Navigate(srv.URL+"/staff")); err != nil {
		t.Fatal(err)
	}
	// No sign-in is configured on this test site: the console says so rather than sending the
	// agent anywhere (the local stack's tests sign in through its stand-in).
	waitText(t, ctx, "#session-status", "Sign-in is not configured for this console.") // the script ran under the CSP

	// A token the API refuses (401): the session has ended, and the token is dropped.
	setStaffToken(t, ctx, "wrong")
	waitText(t, ctx, "#list-status", "Your session has ended: signing you in again.")
	if got := eval[string](t, ctx, `sessionStorage.getItem("refundflow.staffToken") || ""`); got != "" {
		t.Errorf("the refused token is still kept: %q", got)
	}

	// A token the API takes, as the sign-in keeps it in sessionStorage: the waiting view loads.
	setStaffToken(t, ctx, "test-token")
	waitText(t, ctx, "#list-status", "2 requests shown.")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#list-form button"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#list-status", "2 requests shown.")
	if visible := eval[bool](t, ctx, `getComputedStyle(document.getElementById("list-more")).display !== "none"`); visible {
		t.Error(`"Show more" is visible without a next page`)
	}
	if got := text(t, ctx, "#list-body"); !strings.Contains(got, xss) {
		t.Errorf("hostile order number not shown as text: %q", got)
	}

	// Request detail with audit trail, then an adjusted review decision.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#list-body button"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#detail-title", "Request R-1")
	detail := text(t, ctx, "#detail-body")
	// Money reads as the server writes it (refund.Money.String), in every currency; the order's
	// paid, refunded and remaining amounts are shown.
	wants := []string{"Details " + xss, "Amount above the review threshold", "system:ProposeResolution", "Submitted → In review",
		"EUR 1,200.00", "Ana " + xss, "PaidEUR 15,000.00", "RefundedEUR 2,500.00", "RemainingEUR 12,500.00", "ending 4242"}
	for _, m := range fakeRefunds {
		wants = append(wants, m.String())
	}
	for _, want := range wants {
		if !strings.Contains(detail, want) {
			t.Errorf("detail lacks %q: %q", want, detail)
		}
	}
	if strings.Contains(detail, "€") {
		t.Errorf("detail mixes money formats: %q", detail)
	}
	// The emails sent sit in the timeline by time, their subjects as text.
	order := []string{"Request sent", "Email to the clientWe received " + xss, "Submitted → In review", "Email to staffReview needed: request R-1"}
	for i, at := 0, -1; i < len(order); i++ {
		next := strings.Index(detail, order[i])
		if next <= at {
			t.Errorf("timeline lacks %q after %q (or out of order): %q", order[i], order[max(i-1, 0)], detail)
			break
		}
		at = next
	}
	if visible := eval[bool](t, ctx, `!document.getElementById("review-adjust-box").hidden`); visible {
		t.Error("adjustment fields shown before adjust was chosen")
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("input[name='review-decision']:checked").length`); n != 0 {
		t.Errorf("%d decisions preselected, want none", n)
	}
	if got := text(t, ctx, "#list-counts"); !strings.Contains(got, "In review: 2") {
		t.Errorf("counts = %q", got)
	}
	if hidden := eval[bool](t, ctx, `document.getElementById("review-form").hidden`); hidden {
		t.Fatal("review form hidden for a request in review")
	}
	screenshot(t, ctx, "staff-detail")

	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#review-adjust")),
		chromedp.SetValue(chromedp.CSS("#adjust-amount-0"), "800.00"),
		chromedp.Click(chromedp.CSS("#adjust-keep-1")),
		chromedp.SendKeys(chromedp.CSS("#review-message"), "We deducted the delivered workshop."),
		chromedp.Click(chromedp.CSS("#review-form button[type=submit]")),
	); err != nil {
		t.Fatal(err)
	}
	// Nothing is sent before the confirmation, which repeats the client, the order and the amounts.
	waitText(t, ctx, "#review-confirm-body", "EUR 800.00 (was EUR 1,200.00)")
	if got := text(t, ctx, "#review-confirm-body"); !strings.Contains(got, "Ana "+xss+", order RF-1") {
		t.Errorf("confirmation does not name the client and the order: %q", got)
	}
	api.mu.Lock()
	early := len(api.reviews)
	api.mu.Unlock()
	if early != 0 {
		t.Fatalf("%d review posts before the confirmation", early)
	}
	screenshot(t, ctx, "staff-confirm")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#review-confirm-yes"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#review-status", "Decision recorded.")
	// The list and the detail show the request moved on, without a reload.
	waitText(t, ctx, "#list-status", "1 request shown.")
	if got := text(t, ctx, "#list-body"); strings.Contains(got, "R-1") {
		t.Errorf("the list still shows the decided request: %q", got)
	}
	waitText(t, ctx, "#detail-body", "Waiting for the client")
	if got := text(t, ctx, "#review-status"); got != "Decision recorded." {
		t.Errorf("review status = %q after the refresh", got)
	}
	api.mu.Lock()
	reviews := api.reviews
	api.mu.Unlock()
	if len(reviews) != 1 {
		t.Fatalf("%d review posts", len(reviews))
	}
	got, _ := json.Marshal(reviews[0])
	if want := `{"decision":"adjust","message":"We deducted the delivered workshop.","offers":[{"amount":"800.00","id":"R-1-1-full_refund","kind":"full_refund"}]}`; string(got) != want {
		t.Errorf("review body = %s\nwant %s", got, want)
	}

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#feedback-load"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#feedback-status", "1 answer.")
	if got := text(t, ctx, "#feedback-body"); !strings.Contains(got, "Quick "+xss) {
		t.Errorf("feedback = %q", got)
	}

	screenshot(t, ctx, "staff-feedback")

	// On a phone nothing is wider than the screen: the tables become cards.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(srv.URL+"/staff")); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#list-status", "shown.")
	if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("console list is %d px wide on a 390 px screen", w)
	}
	screenshot(t, ctx, "staff-list-390")
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/staff?request=R-1")); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#detail-title", "Request R-1")
	if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("console detail is %d px wide on a 390 px screen", w)
	}
	screenshot(t, ctx, "staff-detail-390")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/staff")); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#list-status", "shown.")
	screenshot(t, ctx, "staff-list-1280")

	// A staff email's link, /staff?request=<id>, opens that request.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/staff?request=R-1")); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#detail-title", "Request R-1")

	// Nothing hostile became markup or ran.
	if n := eval[int](t, ctx, `document.querySelectorAll("#pwned, #console img").length`); n != 0 {
		t.Errorf("%d injected elements", n)
	}
	if title := eval[string](t, ctx, `document.title`); title == "pwned" {
		t.Error("injected script ran")
	}
}

// TestPagesOnPhone renders the client pages at a phone's width: nothing may be wider than the screen
// (no horizontal scrolling), stylesheets load under the CSP, and the screenshots are kept for review.
func TestPagesOnPhone(t *testing.T) {
	ctx := browser(t)
	srv := site(t, &fakeStaffAPI{})
	for _, name := range []string{"", "form-error", "consent", "status", "completed", "accepted"} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
			chromedp.Navigate(srv.URL+"/"+name)); err != nil {
			t.Fatal(err)
		}
		if styled := eval[string](t, ctx, `getComputedStyle(document.querySelector(".site-header")).backgroundColor`); styled != "rgb(29, 78, 137)" {
			t.Errorf("%s: stylesheet not applied (header background %q)", name, styled)
		}
		if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 390 {
			t.Errorf("%s: page is %d px wide on a 390 px screen", name, w)
		}
		// The heading has room below the header bar.
		if gap := eval[float64](t, ctx, `document.querySelector("h1").getBoundingClientRect().top - document.querySelector(".site-header").getBoundingClientRect().bottom`); gap < 16 {
			t.Errorf("%s: the heading is %.0f px below the header bar", name, gap)
		}
		// The whole agreement text is visible: nothing scrolls out of sight sideways or downwards.
		if name == "consent" {
			hidden := eval[string](t, ctx, `(() => { const p = document.querySelector(".agreement");
				return (p.scrollWidth - p.clientWidth) + "x" + (p.scrollHeight - p.clientHeight); })()`)
			if hidden != "0x0" {
				t.Errorf("consent: %s px of the agreement text are out of sight", hidden)
			}
		}
		if name == "" {
			name = "form"
		}
		screenshot(t, ctx, "phone-"+name)
	}
	// The error summary takes focus so screen reader users hear the problems first. The browser
	// applies autofocus when it next updates the rendering (HTML's "flush autofocus candidates", before
	// the first paint), which may come after the load event that Navigate waits for: read the focus in
	// the next animation frame, when it must have been applied.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/form-error")); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](t, ctx, `new Promise(r => requestAnimationFrame(() => r(document.activeElement.className)))`, chromedp.EvalAwaitPromise); got != "error-summary" {
		t.Errorf("focused element class %q, want the error summary", got)
	}
}

// TestDateInputSendsWhatTheServerReads sets the purchase date the way a person does, through
// Chromium's date input (whatever it displays), sends the form, and checks that what arrives is
// YYYY-MM-DD, which the submission's validation accepts.
func TestDateInputSendsWhatTheServerReads(t *testing.T) {
	ctx := browser(t)
	got := make(chan refund.Submission, 1)
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", serve(func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return apigw.Page(200, web.FormPage{})
	}))
	mux.Handle("POST /requests", serve(func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		form, err := apigw.Form(req)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		got <- web.SubmissionFromForm(form)
		return apigw.Page(200, web.FeedbackPage{Done: true})
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#purchase_date"))); err != nil {
		t.Fatal(err)
	}
	// Type the date in the order the input shows its fields (month/day/year in Chromium's en-US).
	order := eval[string](t, ctx, `new Intl.DateTimeFormat(navigator.language).formatToParts(new Date(2025, 2, 1)).filter(p => p.type !== "literal").map(p => p.type).join(",")`)
	keys := map[string]string{"year": "2025", "month": "03", "day": "01"}
	var typed string
	for _, part := range strings.Split(order, ",") {
		typed += keys[part]
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#purchase_date"), typed),
		chromedp.SendKeys(chromedp.CSS("#order_number"), "RF-2025-0042"),
		chromedp.SendKeys(chromedp.CSS("#email"), "ana@example.com"),
		chromedp.Click(chromedp.CSS("#kind-refund")),
		chromedp.SetValue(chromedp.CSS("#reason"), string(refund.ReasonChangedMind)),
		chromedp.Click(chromedp.CSS("form button[type=submit]")),
	); err != nil {
		t.Fatal(err)
	}
	var sub refund.Submission
	select {
	case sub = <-got:
	case <-ctx.Done():
		t.Fatal("the form never arrived")
	}
	if sub.PurchaseDate != "2025-03-01" {
		t.Errorf("the date input sent %q (typed %q for fields %s), want 2025-03-01", sub.PurchaseDate, typed, order)
	}
	if errs := sub.Validate(); errs["purchase_date"] != "" {
		t.Errorf("the server refuses the date input's value %q: %s", sub.PurchaseDate, errs["purchase_date"])
	}
}

// TestCrossOriginFormInBrowser posts the feedback form from Chromium twice: from the page the site
// served (Chromium sends Sec-Fetch-Site: same-origin, and the form goes through apigw.Form) and from
// a page of another site that posts the same form to it (Chromium sends Sec-Fetch-Site: cross-site
// and that site's Origin), which apigw.CrossOrigin refuses with 403. 127.0.0.1 and localhost are
// different sites to a browser, so the two servers need no other host names.
func TestCrossOriginFormInBrowser(t *testing.T) {
	ctx := browser(t)
	var mu sync.Mutex
	var seen []string // "<Sec-Fetch-Site> <Origin> <status>" of each post
	check, err := apigw.NewCrossOrigin()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /feedback/{code}", serve(func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return apigw.Page(200, web.FeedbackPage{Action: req.RawPath})
	}))
	mux.Handle("POST /feedback/{code}", serve(func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (resp events.APIGatewayV2HTTPResponse, err error) {
		defer func() {
			status := resp.StatusCode
			if err != nil {
				status, _ = apigw.Describe(req, err)
			}
			mu.Lock()
			seen = append(seen, apigw.Header(req, "sec-fetch-site")+" "+apigw.Header(req, "origin")+" "+http.StatusText(status))
			mu.Unlock()
		}()
		if err := check.Check(req); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		form, err := apigw.Form(req)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		fb, errs := web.ParseFeedbackForm(form)
		if errs != nil || fb.Rating != 4 || fb.Comment != "Fine & quick <3" {
			return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeInvalid, "unexpected form %+v %v", fb, errs)
		}
		return apigw.Page(200, web.FeedbackPage{Done: true})
	}))
	site := httptest.NewServer(mux)
	defer site.Close()
	// The other site serves a page whose form posts to the site, as a forged form would.
	other := http.NewServeMux()
	other.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>Win a prize</title><form method="post" action="`+site.URL+`/feedback/c0de">`+
			`<input type="hidden" name="rating" value="4"><input type="hidden" name="comment" value="Fine &amp; quick &lt;3">`+
			`<button type="submit">Claim</button></form>`)
	})
	otherSite := httptest.NewServer(other)
	defer otherSite.Close()
	otherURL := strings.Replace(otherSite.URL, "127.0.0.1", "localhost", 1)

	// submit clicks the page's submit button and waits for the navigation it starts to load before
	// reading the page: reading while it loads fails with "Inspected target navigated or closed" (the
	// document being evaluated is replaced under the call).
	submit := func(wantStatus int, want string) {
		t.Helper()
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("form button[type=submit]")))
		if err != nil {
			t.Fatalf("submit: %v", err)
		}
		if resp.Status != int64(wantStatus) {
			t.Errorf("the post answered %d, want %d", resp.Status, wantStatus)
		}
		if body := eval[string](t, ctx, `document.body.textContent`); !strings.Contains(body, want) {
			t.Errorf("the page does not show %q: %q", want, body)
		}
	}

	if err := chromedp.Do(ctx,
		chromedp.Navigate(site.URL+"/feedback/c0de"),
		chromedp.Click(chromedp.CSS("#rating-4")),
		chromedp.SendKeys(chromedp.CSS("#comment"), "Fine & quick <3"),
	); err != nil {
		t.Fatal(err)
	}
	submit(http.StatusOK, "Thank you for your feedback")

	if err := chromedp.Do(ctx, chromedp.Navigate(otherURL+"/")); err != nil {
		t.Fatal(err)
	}
	submit(http.StatusForbidden, "sent from another website")

	mu.Lock()
	defer mu.Unlock()
	want := []string{"same-origin " + site.URL + " OK", "cross-site " + otherURL + " Forbidden"}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("posts seen by the site:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}
