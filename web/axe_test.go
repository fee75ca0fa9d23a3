package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/chromedp/chromedp"

	"refundflow/apigw"
	"refundflow/infra/local/localpage/localpagetest"
	"refundflow/refund"
	"refundflow/web"
)

// clientPages serves every client page a person can meet, in the states that look different, the way
// the functions answer them (apigw.Page: the real headers, the strict CSP).
func clientPages(t *testing.T) (*httptest.Server, []string) {
	t.Helper()
	at := time.Date(2025, 3, 3, 14, 5, 0, 0, time.UTC)
	eur := func(minor int64) refund.Money { return refund.Money{Amount: minor, Currency: "EUR"} }
	offer := func(kind refund.OfferKind, amount int64, text string) web.ConsentOffer {
		return web.ConsentOffer{
			Offer: refund.Offer{ID: "R-1-1-" + string(kind), Kind: kind, Amount: eur(amount), EffectiveDate: "2025-03-04", PolicyVersion: "2025-06-default",
				Breakdown: []refund.Line{{Label: "Paid", Amount: eur(150000)}, {Label: "Milestone 1 delivered", Amount: eur(-55000)}},
				Terms:     "EUR 950.00 will be refunded to the card ending 4242, within 5 to 10 business days."},
			Agreement: "AGREEMENT ON YOUR REFUND REQUEST\n\nCustomer:  Ana López\nOrder:     RF-2025-0042, fixed-price project, bought on 2025-01-10, paid EUR 1,500.00\n\n" + text + "\n",
			Hash:      strings.Repeat("0f", 32),
		}
	}
	three := []web.ConsentOffer{
		offer(refund.OfferPartialRefund, 95000, "AMOUNT REFUNDED: EUR 950.00\n  Amount paid          EUR 1,500.00\n  Milestone 1         -EUR 550.00"),
		offer(refund.OfferServiceCredit, 104500, "SERVICE CREDIT: EUR 1,045.00, usable for 12 months"),
		offer(refund.OfferSwitchService, 104500, "SWITCH OF SERVICE: a credit of EUR 1,045.00 for a new service"),
	}
	consent := func(offers []web.ConsentOffer) web.ConsentPage {
		return web.ConsentPage{Action: "/consent/abc", CustomerName: "Ana López", OrderNumber: "RF-2025-0042", RequestID: "req-20250303-sva7zaq4gvhd3tsjejrd",
			Offers: offers, Deadline: at.Add(14 * 24 * time.Hour)}
	}
	req := refund.Request{ID: "req-20250303-sva7zaq4gvhd3tsjejrd", OrderNumber: "RF-2025-0042", Kind: refund.KindRefund, Reason: refund.ReasonQuality, CreatedAt: at}
	status := func(st refund.Status, outcome *web.StatusOutcome) web.StatusPage {
		r := req
		r.Status = st
		return web.StatusPage{Request: r, Outcome: outcome, StatusCode: "code", CanWithdraw: st == refund.StatusAwaitingConsent, WithdrawAction: "/requests/R-1/withdraw",
			Timeline: []web.TimelineEntry{{At: at, Status: refund.StatusSubmitted}, {At: at.Add(time.Minute), Status: st}}}
	}
	pages := []struct {
		name string
		code int
		page web.Page
	}{
		{"form", 200, web.FormPage{}},
		{"form-errors", 400, web.FormPage{Values: refund.Submission{OrderNumber: "RF 1", Email: "ana@"}, Errors: refund.Submission{OrderNumber: "RF 1", Email: "ana@"}.Validate()}},
		{"status-waiting", 200, status(refund.StatusAwaitingConsent, nil)},
		{"status-completed", 200, status(refund.StatusCompleted, &web.StatusOutcome{Offer: three[0].Offer, CardHint: "4242", Done: true})},
		{"status-rejected", 200, status(refund.StatusReviewRejected, nil)},
		{"consent-one", 200, consent(three[:1])},
		{"consent-three", 200, consent(three)},
		{"consent-errors", 400, func() web.ConsentPage {
			p := consent(three)
			p.Errors = refund.FieldErrors{"offer": "Choose the offer you accept.", "full_name": "Type your full name to sign."}
			return p
		}()},
		{"accepted", 200, web.LinkPage{State: web.LinkAccepted, Offer: "Partial refund (EUR 950.00)"}},
		{"declined", 200, web.LinkPage{State: web.LinkDeclined}},
		{"expired", 410, web.LinkPage{State: web.LinkExpired}},
		{"feedback", 200, web.FeedbackPage{Action: "/feedback/abc"}},
		{"feedback-errors", 400, web.FeedbackPage{Action: "/feedback/abc", Errors: refund.FieldErrors{"rating": "Choose a rating from 1 to 5."}}},
		{"policy", 200, web.PolicyPage{Policy: refund.DefaultPolicy(), Current: true, AnswerDays: 14, ReminderDays: 7}},
		{"verify", 200, web.VerifyPage{}},
		{"verify-errors", 400, web.VerifyPage{Fingerprint: "abc", Errors: refund.FieldErrors{"fingerprint": "A fingerprint is 64 characters, 0–9 and a–f; this one has 3."}}},
		{"verify-genuine", 200, web.VerifyPage{Found: &refund.SignedAgreement{PDFHash: strings.Repeat("9f", 32), OrderNumber: "RF-2025-0042", SignedAt: at}}},
		{"verify-not-ours", 404, web.VerifyPage{NotOurs: true}},
		{"404", 404, web.ErrorPage{Status: 404, Title: "Page not found", Message: "There is no page at this address. Check the link, or start again from the request form."}},
	}
	mux := http.NewServeMux()
	var names []string
	for _, p := range pages {
		names = append(names, p.name)
		mux.Handle("GET /"+p.name, serve(func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
			return apigw.Page(p.code, p.page)
		}))
	}
	mux.Handle("GET /assets/{file}", serve(func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		data, ct, ok := web.Asset(strings.TrimPrefix(req.RawPath, "/assets/"))
		if !ok {
			return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeNotFound, "No such file.")
		}
		return apigw.Static(data, ct), nil
	}))
	// A page with known faults (no lang, no title, an image without text), to show axe really runs.
	mux.HandleFunc("GET /faulty", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><html><body><img src="/assets/favicon.svg"></body></html>`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, names
}

// TestClientPagesAccessible runs axe-core (WCAG 2.0/2.1/2.2 A and AA rules, and axe's best practices)
// in headless Chromium on every client page, at a desktop's width and a small phone's (360 px): no
// violation, and nothing wider than the phone's screen. Screenshots at 360 px go to testout/web.
func TestClientPagesAccessible(t *testing.T) {
	axe := localpagetest.AxeScript(t)
	ctx := browser(t)
	srv, names := clientPages(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/faulty")); err != nil {
		t.Fatal(err)
	}
	if found := localpagetest.Axe(t, ctx, axe); len(found) < 3 {
		t.Errorf("axe found %d violations on a page with at least 3: %+v", len(found), found)
	}
	for _, width := range []int64{1280, 360} {
		for _, name := range names {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800), chromedp.Navigate(srv.URL+"/"+name)); err != nil {
				t.Fatal(err)
			}
			for _, v := range localpagetest.Axe(t, ctx, axe) {
				t.Errorf("%s at %d px: %s", name, width, v)
			}
			if width == 360 {
				if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 360 {
					t.Errorf("%s: %d px wide on a 360 px screen (sideways scroll)", name, w)
				}
				screenshot(t, ctx, fmt.Sprintf("axe-360-%s", name))
			}
		}
	}
}
