package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"refundflow/apigw"
	"refundflow/handler"
	"refundflow/refund"
)

// The company's own front end: a website at one of the configured site origins (SiteOrigins) that
// takes a client through every step in JSON — the request, the status, the offers, the consent, the
// feedback, a withdrawal — from the browser, across origins, through the local API gateway's CORS and
// the functions' cross-origin check. Another website's pages get nowhere.

// startStackWithSites starts a stack like startStack whose SiteOrigins are sites.
func startStackWithSites(t testing.TB, sites ...string) *Stack {
	t.Helper()
	s, err := Start(context.Background(), Config{Addr: "127.0.0.1:0", Demo: true,
		Parameters: map[string]string{"SiteOrigins": strings.Join(sites, ",")}})
	if err != nil {
		t.Fatalf("start the stack: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("close the stack: %v", err)
		}
	})
	return s
}

// frontEnd calls the stack as a script of a page at origin does: JSON in and out, with the
// browser's Origin and Sec-Fetch-Site (cross-site: the page is on another site than the API).
type frontEnd struct {
	v      *visitor
	origin string
}

// call sends one JSON request and decodes a JSON answer into out (when not nil).
func (fe frontEnd) call(method, path string, in, out any) page {
	fe.v.t.Helper()
	h := map[string]string{"Accept": "application/json", "Origin": fe.origin, "Sec-Fetch-Site": "cross-site"}
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			fe.v.t.Fatal(err)
		}
		body, h["Content-Type"] = bytes.NewReader(data), "application/json"
	}
	p := fe.v.do(method, path, body, h)
	if out != nil && p.Status < 300 {
		if err := json.Unmarshal(p.Body, out); err != nil {
			fe.v.t.Fatalf("%s %s: %v in %s", method, path, err, p)
		}
	}
	return p
}

// wantCORS checks that the answer lets the front end's script read it, or (allowed false) does not.
func wantCORS(t testing.TB, what string, p page, origin string, allowed bool) {
	t.Helper()
	got := p.Header.Get("Access-Control-Allow-Origin")
	if allowed && got != origin || !allowed && got != "" {
		t.Errorf("%s: Access-Control-Allow-Origin %q (allowed %v for %s)", what, got, allowed, origin)
	}
}

func TestCompanyFrontEndTakesEveryStepInJSON(t *testing.T) {
	t.Parallel()
	const shop = "https://shop.example.com"
	s := startStackWithSites(t, shop)
	fe := frontEnd{v: newVisitor(t, s), origin: shop}
	evil := frontEnd{v: newVisitor(t, s), origin: "https://evil.example"}
	order := demoOrder(t, s, "RF-1001")

	// The browser's preflight for a JSON post: allowed for the shop, not for another website.
	for _, o := range []string{shop, evil.origin} {
		p := fe.v.do(http.MethodOptions, "/requests", nil, map[string]string{"Origin": o,
			"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
		wantCORS(t, "preflight", p, o, o == shop)
		if o == shop && (!strings.Contains(p.Header.Get("Access-Control-Allow-Methods"), "POST") || !strings.Contains(p.Header.Get("Access-Control-Allow-Headers"), "content-type")) {
			t.Errorf("preflight for the shop: %v", p.Header)
		}
	}

	sub := refund.Submission{OrderNumber: order.Number, PurchaseDate: order.PurchaseDate, Email: order.Email, Name: order.CustomerName,
		Kind: string(refund.KindRefund), Reason: string(refund.ReasonChangedMind), Details: "Sent from the shop's own page."}
	if p := evil.call(http.MethodPost, "/requests", sub, nil); p.Status != http.StatusForbidden {
		t.Fatalf("a request from another website's script: %s", p)
	}
	var accepted handler.SubmitAnswer
	p := fe.call(http.MethodPost, "/requests", sub, &accepted)
	if p.Status != http.StatusAccepted || accepted.Status != refund.StatusSubmitted {
		t.Fatalf("the shop's request: %s", p)
	}
	wantCORS(t, "POST /requests", p, shop, true)
	statusURL, _ := url.Parse(accepted.StatusURL)
	var status handler.StatusView
	wantCORS(t, "GET /requests/{id}", fe.call(http.MethodGet, statusURL.RequestURI(), nil, &status), shop, true)
	if status.Request.ID != accepted.RequestID {
		t.Fatalf("status of the shop's request: %+v", status)
	}

	// The offers, and the consent to the full refund.
	consentPath := mustPath(t, link(t, fe.v.waitMail(order.Email, "Your options for order "+order.Number), "/consent/"))
	fe.v.waitStatus(accepted.StatusURL, refund.StatusAwaitingConsent)
	var view handler.ConsentView
	p = fe.call(http.MethodGet, consentPath, nil, &view)
	if p.Status != http.StatusOK || view.RequestID != accepted.RequestID || len(view.Offers) == 0 {
		t.Fatalf("the offers as JSON: %s", p)
	}
	wantCORS(t, "GET /consent/{code}", p, shop, true)
	offer := view.Offers[0]
	decision := handler.ConsentBody{Decision: "accept", OfferID: offer.ID, OfferHash: offer.AgreementHash, TypedName: order.CustomerName, Agree: true}
	if p := evil.call(http.MethodPost, consentPath, decision, nil); p.Status != http.StatusForbidden {
		t.Fatalf("a consent from another website's script: %s", p)
	}
	wantCORS(t, "the refused consent", evil.call(http.MethodPost, consentPath, decision, nil), evil.origin, false)
	var answer handler.ConsentAnswer
	p = fe.call(http.MethodPost, consentPath, decision, &answer)
	if p.Status != http.StatusOK || answer.Status != refund.StatusExecuting || answer.OfferHash != offer.AgreementHash {
		t.Fatalf("the shop's consent: %s", p)
	}
	var gone apigw.ErrorBody
	if p := fe.call(http.MethodPost, consentPath, handler.ConsentBody{Decision: "decline"}, nil); p.Status != http.StatusGone ||
		json.Unmarshal(p.Body, &gone) != nil || gone.Error.Reason != "recorded" {
		t.Errorf("a second decision: %s", p)
	}

	// The refund is issued; the feedback.
	fe.v.waitStatus(accepted.StatusURL, refund.StatusCompleted)
	feedbackPath := mustPath(t, link(t, fe.v.waitMail(order.Email, "Your refund for order "+order.Number+" has been issued"), "/feedback/"))
	var fb handler.FeedbackView
	if p := fe.call(http.MethodGet, feedbackPath, nil, &fb); p.Status != http.StatusOK || fb.Feedback != nil {
		t.Fatalf("the feedback link as JSON: %s", p)
	}
	if p := fe.call(http.MethodPost, feedbackPath, handler.FeedbackBody{Rating: 5, Comment: "All from the shop."}, &fb); p.Status != http.StatusOK ||
		fb.Feedback == nil || fb.Feedback.Rating != 5 {
		t.Fatalf("the shop's feedback: %s", p)
	}

	// Another request, withdrawn from the shop.
	other := demoOrder(t, s, "RF-1003")
	sub.OrderNumber, sub.PurchaseDate, sub.Email, sub.Name = other.Number, other.PurchaseDate, other.Email, other.CustomerName
	if p := fe.call(http.MethodPost, "/requests", sub, &accepted); p.Status != http.StatusAccepted {
		t.Fatalf("the shop's second request: %s", p)
	}
	statusURL, _ = url.Parse(accepted.StatusURL)
	code := statusURL.Query().Get("t")
	withdrawPath := "/requests/" + accepted.RequestID + "/withdraw"
	if p := evil.call(http.MethodPost, withdrawPath, handler.WithdrawBody{T: code}, nil); p.Status != http.StatusForbidden {
		t.Fatalf("a withdrawal from another website's script: %s", p)
	}
	p = fe.call(http.MethodPost, withdrawPath, handler.WithdrawBody{T: code}, &status)
	if p.Status != http.StatusOK || status.Request.Status != refund.StatusWithdrawn || status.CanWithdraw {
		t.Fatalf("the shop's withdrawal: %s", p)
	}
	// A client without a browser (curl, a server) sends neither Origin nor Sec-Fetch-Site.
	if p := newVisitor(t, s).do(http.MethodPost, withdrawPath, strings.NewReader(`{"t":"`+code+`"}`),
		map[string]string{"Content-Type": "application/json", "Accept": "application/json"}); p.Status != http.StatusOK {
		t.Errorf("a withdrawal without browser headers: %s", p)
	}
}

// mustPath returns the path of an absolute link.
func mustPath(t testing.TB, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

// TestFrontEndInBrowser runs the company's front end in Chromium: a page of the shop (another site
// than the API: localhost against 127.0.0.1) sends a request and accepts the offer with fetch and
// JSON, through a real preflight; a page of another website tries to decline the same offer both
// ways a script can — a JSON fetch, which the browser stops at the preflight, and a form-encoded
// no-cors post, which reaches the function and is refused — and changes nothing.
func TestFrontEndInBrowser(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	blank := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><title>page</title><p>page")
	})
	shop, other := httptest.NewServer(blank), httptest.NewServer(blank)
	defer shop.Close()
	defer other.Close()
	shopOrigin := strings.Replace(shop.URL, "127.0.0.1", "localhost", 1)
	otherOrigin := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	s := startStackWithSites(t, shopOrigin)
	v := newVisitor(t, s)
	order := demoOrder(t, s, "RF-1001")

	// run evaluates an async function on a page of origin and returns what it resolves to.
	run := func(origin, what, script string) map[string]any {
		t.Helper()
		b.do("open a page of "+origin, chromedp.Navigate(origin+"/"))
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		defer cancel()
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => JSON.stringify(await (async () => {`+script+`})()))()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("%s: %v in %s", what, err, out)
		}
		return m
	}
	api := fmt.Sprintf("%q", s.URL)
	sub, _ := json.Marshal(refund.Submission{OrderNumber: order.Number, PurchaseDate: order.PurchaseDate, Email: order.Email,
		Name: order.CustomerName, Kind: string(refund.KindRefund), Reason: string(refund.ReasonChangedMind)})
	res := run(shopOrigin, "send the request from the shop", `
		const r = await fetch(`+api+` + "/requests", {method: "POST", headers: {"Content-Type": "application/json", "Accept": "application/json"}, body: `+fmt.Sprintf("%q", sub)+`});
		return {status: r.status, body: await r.json()};`)
	body, _ := res["body"].(map[string]any)
	statusURL, _ := body["statusUrl"].(string)
	if res["status"] != float64(http.StatusAccepted) || statusURL == "" {
		t.Fatalf("the shop's request from the browser: %v", res)
	}
	consentURL := link(t, v.waitMail(order.Email, "Your options for order "+order.Number), "/consent/")
	v.waitStatus(statusURL, refund.StatusAwaitingConsent)

	res = run(otherOrigin, "decline from another website", `
		const out = {};
		try {
			const r = await fetch(`+fmt.Sprintf("%q", consentURL)+`, {method: "POST", headers: {"Content-Type": "application/json"}, body: '{"decision":"decline"}'});
			out.json = r.status;
		} catch (e) { out.json = "blocked"; }
		const r = await fetch(`+fmt.Sprintf("%q", consentURL)+`, {method: "POST", mode: "no-cors", headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "decision=decline"});
		out.form = r.type;
		return out;`)
	if res["json"] != "blocked" || res["form"] != "opaque" {
		t.Errorf("another website's attempts: %v, want the JSON fetch blocked and the form post opaque", res)
	}
	if got := v.waitStatus(statusURL, refund.StatusAwaitingConsent); got.Request.Status != refund.StatusAwaitingConsent {
		t.Fatalf("another website's post changed the request: %+v", got)
	}

	res = run(shopOrigin, "accept from the shop", `
		const view = await (await fetch(`+fmt.Sprintf("%q", consentURL)+`, {headers: {"Accept": "application/json"}})).json();
		const o = view.offers[0];
		const r = await fetch(`+fmt.Sprintf("%q", consentURL)+`, {method: "POST", headers: {"Content-Type": "application/json", "Accept": "application/json"},
			body: JSON.stringify({decision: "accept", offer_id: o.id, offer_hash: o.agreement_hash, typed_name: view.customer_name, agree: true})});
		return {status: r.status, body: await r.json()};`)
	body, _ = res["body"].(map[string]any)
	if res["status"] != float64(http.StatusOK) || body["status"] != string(refund.StatusExecuting) {
		t.Fatalf("the shop's consent from the browser: %v", res)
	}
	v.waitStatus(statusURL, refund.StatusCompleted)
}
