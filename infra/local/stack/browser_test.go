package stack

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"refundflow/infra/local/localpage/localpagetest"
	"refundflow/refund"
	"refundflow/testenv"
)

// The browser test is a person at headless Chromium: the request form filled in and sent, the email
// opened in the outbox, the consent given by clicking, the feedback sent, and the staff console used
// with the printed token on a case in review. Every page is saved as a screenshot under
// testout/browser/ (gitignored) for a person to look at.

// chromiumPath returns Chromium's executable: CHROMIUM_PATH, or /usr/bin/chromium.
func chromiumPath() (string, error) {
	p := os.Getenv("CHROMIUM_PATH")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("no Chromium at %s (install it with apt-get install -y chromium, or set CHROMIUM_PATH): %w", p, err)
	}
	return p, nil
}

// screenshotDir returns testout/browser at the module root, emptied of earlier screenshots.
func screenshotDir(t *testing.T) string {
	t.Helper()
	out := localpagetest.OutDir(t, "browser")
	old, _ := filepath.Glob(filepath.Join(out, "*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	return out
}

// browser is one headless Chromium with a fresh profile, and where its screenshots go.
type browser struct {
	t             *testing.T
	ctx           context.Context
	dir           string
	n             int
	width, height int64 // the viewport
	keys          int   // key presses sent (key)
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path, err := chromiumPath()
	if err != nil {
		testenv.Missing(t, "browser test: "+err.Error())
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first Run starts the browser; it must not carry a timeout, which would end the browser
	// with it. The steps below each get their own.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	b := &browser{t: t, ctx: ctx, dir: screenshotDir(t)}
	b.viewport(1200, 900)
	return b
}

// viewport sets the size of the page's viewport, as a window of that size would have.
func (b *browser) viewport(width, height int64) {
	b.t.Helper()
	b.width, b.height = width, height
	b.do(fmt.Sprintf("set the viewport to %dx%d", width, height), chromedp.EmulateViewport(width, height))
}

// do runs steps with a time limit, failing the test with what was being done.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// text returns the text of the first element matching the CSS selector.
func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// location returns the URL of the page shown.
func (b *browser) location() string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("location: %v", err)
	}
	return u
}

// attribute returns an attribute of the first element matching the CSS selector.
func (b *browser) attribute(sel, name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil || !res.Exists {
		b.t.Fatalf("attribute %s of %s: %v", name, sel, err)
	}
	return res.Value
}

// shot saves a full-page screenshot as NN-name.png. For the shot the viewport grows to the page's
// height: Chromium does not paint iframes outside the viewport (the outbox's email bodies), so a
// screenshot "beyond the viewport" would show them blank.
func (b *browser) shot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	h, err := chromedp.Run(ctx, chromedp.Evaluate[float64]("document.documentElement.scrollHeight"))
	if err != nil {
		b.t.Fatalf("page height for screenshot %s: %v", name, err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(b.width, max(b.height, int64(h)))); err != nil {
		b.t.Fatalf("viewport for screenshot %s: %v", name, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(b.width, b.height)); err != nil {
		b.t.Fatalf("viewport after screenshot %s: %v", name, err)
	}
	b.n++
	if err := os.WriteFile(filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.n, name)), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// noSidewaysScroll fails the test when the page is wider than the viewport (a phone would scroll
// sideways).
func (b *browser) noSidewaysScroll() {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	w, err := chromedp.Run(ctx, chromedp.Evaluate[float64]("document.documentElement.scrollWidth"))
	if err != nil {
		b.t.Fatalf("page width: %v", err)
	}
	if int64(w) > b.width {
		b.t.Errorf("%s is %v px wide on a %d px screen: it scrolls sideways", b.location(), w, b.width)
	}
}

// signInAs picks a demo member of staff on the local sign-in's page and waits until the console
// is back and signed in as them (the code exchanged, the waiting view loaded).
func (b *browser) signInAs(sub string) {
	b.t.Helper()
	u, ok := demoStaff(sub)
	if !ok {
		b.t.Fatalf("no demo member of staff %s", sub)
	}
	b.do("sign in as "+sub, chromedp.Click(chromedp.ID("user-"+sub)), chromedp.WaitVisible(chromedp.ID("sign-out")))
	if got := b.text("#session-status"); !strings.Contains(got, "Signed in as "+u.Email) {
		b.t.Errorf("after signing in as %s the console says %q", sub, got)
	}
	if loc := b.location(); strings.Contains(loc, "code=") || strings.Contains(loc, "state=") {
		b.t.Errorf("the code stays in the address bar: %s", loc)
	}
}

// mustSay fails the test unless the text of the page's <main> contains want.
func (b *browser) mustSay(want string) {
	b.t.Helper()
	if got := b.text("main"); !strings.Contains(got, want) {
		b.t.Errorf("%s does not say %q; it says: %s", b.location(), want, truncate(got, 800))
	}
}

func TestBrowserWalkthrough(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	s := startStack(t)
	v := newVisitor(t, s) // reads the outbox JSON and polls statuses, as a person glances at them
	order := demoOrder(t, s, "RF-1001")

	b.do("open the local page", chromedp.Navigate(s.URL+"/_local/"), chromedp.WaitVisible(chromedp.CSS("h1")))
	b.shot("local")

	// The request form: first sent empty (the errors show next to the fields), then filled in.
	b.do("open the request form", chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(chromedp.ID("order_number")))
	b.shot("form")
	b.do("send the empty form", chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".error-summary, .field-invalid")))
	b.shot("form-errors")
	for _, step := range []struct {
		what string
		a    chromedp.Action[chromedp.Void]
	}{
		{"type the order number", chromedp.SendKeys(chromedp.ID("order_number"), order.Number)},
		{"set the purchase date", chromedp.SetValue(chromedp.ID("purchase_date"), order.PurchaseDate)},
		{"type the email", chromedp.SendKeys(chromedp.ID("email"), order.Email)},
		{"type the name", chromedp.SendKeys(chromedp.ID("name"), order.CustomerName)},
		{"choose a refund", chromedp.Click(chromedp.ID("kind-refund"))},
		{"choose the reason", chromedp.SetValue(chromedp.ID("reason"), string(refund.ReasonChangedMind))},
		{"type the details", chromedp.SendKeys(chromedp.ID("details"), "Our in-house team will build it after all.")},
	} {
		b.do(step.what, step.a)
	}
	b.shot("form-filled")
	b.do("send the request", chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".status-box")))
	statusURL := b.location()
	if !strings.Contains(statusURL, "/requests/req-") {
		t.Fatalf("sending the form led to %s", statusURL)
	}
	b.mustSay("Our in-house team will build it after all.")
	b.shot("status-submitted")

	// The email, in the outbox page; its consent link followed.
	v.waitMail(order.Email, "Your options for order "+order.Number)
	b.do("open the outbox", chromedp.Navigate(s.URL+"/_local/outbox/"), chromedp.WaitVisible(chromedp.CSS(`ul.links a[href*="/consent/"]`)))
	b.shot("outbox")
	consentURL := b.attribute(`ul.links a[href*="/consent/"]`, "href")
	b.do("follow the consent link", chromedp.Navigate(consentURL), chromedp.WaitVisible(chromedp.CSS("form.consent-accept")))
	b.shot("consent")
	b.do("open the status page while the answer is awaited", chromedp.Navigate(statusURL), chromedp.WaitVisible(chromedp.CSS(".status-box")))
	b.mustSay("Refund request for order " + order.Number)
	b.mustSay("Our offers")
	b.mustSay("Full refund: EUR 1,800.00")
	b.shot("status-awaiting")
	b.do("open the consent page again", chromedp.Navigate(consentURL), chromedp.WaitVisible(chromedp.CSS("form.consent-accept")))

	// Accept without the name and the box first: the errors, then the consent by clicking.
	b.do("accept without signing", chromedp.Click(chromedp.ID("offer-1")), chromedp.Click(chromedp.CSS("form.consent-accept button")),
		chromedp.WaitVisible(chromedp.CSS(".field-invalid")))
	b.shot("consent-errors")
	b.do("choose, sign and accept",
		chromedp.Click(chromedp.ID("offer-1")),
		chromedp.SendKeys(chromedp.ID("full_name"), order.CustomerName),
		chromedp.Click(chromedp.ID("agree")),
		chromedp.Click(chromedp.CSS("form.consent-accept button")),
		chromedp.WaitNotPresent(chromedp.CSS("form.consent-accept")),
	)
	b.mustSay("You accepted")
	b.shot("consent-recorded")
	pdfURL := s.URL + b.attribute("main a[download]", "href")
	if resp, err := http.Get(pdfURL); err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("the signed agreement %s: %v %v", pdfURL, resp, err)
	} else {
		resp.Body.Close()
	}

	// The status page once the refund is issued; the outcome email; feedback.
	v.waitStatus(statusURL, refund.StatusCompleted)
	b.do("open the status page", chromedp.Navigate(statusURL), chromedp.WaitVisible(chromedp.CSS(".status-box")))
	b.mustSay("Completed")
	b.shot("status-completed")
	outcome := v.waitMail(order.Email, "Your refund for order "+order.Number+" has been issued")
	b.do("open the outbox again", chromedp.Navigate(s.URL+"/_local/outbox/"), chromedp.WaitVisible(chromedp.CSS(`ul.links a[href*="/feedback/"]`)))
	b.shot("outbox-outcome")
	b.do("follow the feedback link", chromedp.Navigate(link(t, outcome, "/feedback/")), chromedp.WaitVisible(chromedp.ID("rating-5")))
	b.shot("feedback")
	b.do("give feedback",
		chromedp.Click(chromedp.ID("rating-5")),
		chromedp.SendKeys(chromedp.ID("comment"), "Quick and clear, thank you."),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
		chromedp.WaitNotPresent(chromedp.ID("rating-5")),
	)
	b.mustSay("Thank you for your feedback")
	b.shot("feedback-thanks")
	b.do("open the used consent link", chromedp.Navigate(consentURL), chromedp.WaitVisible(chromedp.CSS("h1")))
	b.mustSay("already recorded")
	b.shot("consent-link-used")

	// Staff: a case in review, opened and approved in the console with the printed token.
	review := demoOrder(t, s, "RF-1005")
	reviewStatus := v.submitForm(review, refund.KindRefund, refund.ReasonChangedMind, "").URL
	v.waitStatus(reviewStatus, refund.StatusInReview)
	id := requestID(t, reviewStatus)
	b.do("open the staff console: the sign-in", chromedp.Navigate(s.URL+"/staff"), chromedp.WaitVisible(chromedp.ID("user-local-staff")))
	b.shot("staff-sign-in")
	b.signInAs("local-staff")
	b.shot("staff")
	b.do("show the requests in review",
		chromedp.SetValue(chromedp.ID("list-status-select"), string(refund.StatusInReview)),
		chromedp.Click(chromedp.CSS(`#list-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("list-table")),
	)
	if got := b.text("#list-body"); !strings.Contains(got, id) {
		t.Fatalf("the console's list of requests in review does not show %s: %s", id, got)
	}
	b.shot("staff-list")
	b.do("open the request", chromedp.Click(chromedp.CSS("#list-body button, #list-body a")), chromedp.WaitVisible(chromedp.ID("review-form")))
	b.shot("staff-detail")
	// EUR 12,000.00 is above the four-eyes limit: the agent proposes after a confirmation step that
	// repeats the client, the order and the amount; the supervisor confirms.
	b.do("approve", chromedp.Click(chromedp.ID("review-approve")), chromedp.Click(chromedp.CSS(`#review-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("review-confirm")))
	if got := b.text("#review-confirm-body"); !strings.Contains(got, review.CustomerName) || !strings.Contains(got, review.Number) || !strings.Contains(got, "EUR 12,000.00") {
		t.Errorf("the confirmation step does not repeat the client, the order and the amount: %s", got)
	}
	b.shot("staff-confirm")
	b.do("confirm", chromedp.Click(chromedp.ID("review-confirm-yes")), chromedp.WaitVisible(chromedp.ID("proposal-box")))
	b.shot("staff-proposed")
	if m := v.mailsTo(review.Email); len(m) != 1 {
		t.Errorf("after one agent's approval of EUR 12,000.00 the client got %q, want only the confirmation", m)
	}
	b.do("sign out", chromedp.Click(chromedp.ID("sign-out")), chromedp.WaitVisible(chromedp.ID("sign-in")))
	b.do("sign in again", chromedp.Click(chromedp.ID("sign-in")), chromedp.WaitVisible(chromedp.ID("user-local-supervisor")))
	b.signInAs("local-supervisor")
	b.do("find the request as the supervisor",
		chromedp.SetValue(chromedp.ID("find-q"), strings.ToLower(review.Email)),
		chromedp.Click(chromedp.CSS(`#find-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("proposal-confirm")),
	)
	if got := b.text("#list-body"); !strings.Contains(got, id) {
		t.Errorf("searching the client's email does not find %s: %s", id, got)
	}
	b.shot("staff-search")
	b.do("confirm as the supervisor", chromedp.Click(chromedp.ID("proposal-confirm")), chromedp.WaitVisible(chromedp.ID("review-confirm")))
	b.shot("staff-second-confirm")
	b.do("send", chromedp.Click(chromedp.ID("review-confirm-yes")))
	v.waitMail(review.Email, "Your options for order "+review.Number)
	v.waitStatus(reviewStatus, refund.StatusAwaitingConsent)
	b.do("wait for the console to confirm", chromedp.WaitVisible(chromedp.ID("review-status")))
	b.shot("staff-approved")
	b.do("show feedback", chromedp.Click(chromedp.ID("feedback-load")), chromedp.WaitVisible(chromedp.ID("feedback-table")))
	if got := b.text("#feedback-body"); !strings.Contains(got, "Quick and clear") {
		t.Errorf("the console's feedback list: %s", got)
	}
	b.shot("staff-feedback")

	// The page at phone width.
	b.viewport(390, 844)
	b.do("open the console on a phone", chromedp.Navigate(s.URL+"/staff?request="+id), chromedp.WaitVisible(chromedp.ID("detail-body")))
	b.shot("staff-detail-phone")
	b.do("list on a phone", chromedp.Click(chromedp.CSS(`#list-form button[type="submit"]`)), chromedp.WaitVisible(chromedp.ID("list-counts")))
	b.shot("staff-list-phone")
	b.do("open the form on a phone", chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(chromedp.ID("order_number")))
	b.shot("form-phone")
	b.do("open the consent page on a phone", chromedp.Navigate(link(t, v.waitMail(review.Email, "Your options for order "+review.Number), "/consent/")),
		chromedp.WaitVisible(chromedp.CSS("form.consent-accept")))
	b.shot("consent-phone")
	b.noSidewaysScroll()
	for _, page := range []struct{ name, path, want string }{
		{"status-phone", strings.TrimPrefix(statusURL, s.URL), "Refund request for order " + order.Number},
		{"policy-phone", "/policy", "Refund and cancellation policy"},
		{"get-on-form-address-phone", "/requests", "has no page of its own"},
		{"not-found-phone", "/requests/req-unknown?t=x", "could not find this request"},
	} {
		b.do("open "+page.path+" on a phone", chromedp.Navigate(s.URL+page.path), chromedp.WaitVisible(chromedp.CSS("h1")))
		b.mustSay(page.want)
		b.noSidewaysScroll()
		b.shot(page.name)
	}
	b.viewport(1280, 900)
	b.do("open the policy", chromedp.Navigate(s.URL+"/policy"), chromedp.WaitVisible(chromedp.CSS("h1")))
	b.shot("policy")

	if p := v.get(reviewStatus); p.Status != http.StatusOK {
		t.Errorf("status page of the reviewed request: %s", p)
	}
}

// TestLocalPagesInBrowser looks at the local tools page and the outbox of a stack in use — a request
// sent, the clock moved 30 days with the keyboard on the page's own form (the offer expires on the
// way), another request sent — on a desktop and on phones
// (localpagetest: no sideways scrolling at 360 px, readable at 390 px, labelled controls, the skip
// link), with screenshots under testout/local/.
func TestLocalPagesInBrowser(t *testing.T) {
	t.Parallel()
	b := localpagetest.New(t, "local")
	s := startStack(t)
	v := newVisitor(t, s)
	order := demoOrder(t, s, "RF-1004")
	v.submitForm(order, refund.KindRefund, DemoReason, "")
	v.waitMail(order.Email, "Your options for order "+order.Number)

	// Time travel as a person with a keyboard does it: type the amount into the labelled field, Enter.
	b.Do("open the local page", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(s.URL+"/_local/"), chromedp.WaitVisible(chromedp.ID("advance")))
	b.Do("focus the amount", chromedp.Focus(chromedp.ID("advance")))
	localpagetest.Eval[bool](b, `document.activeElement.select(), document.activeElement.id === "advance"`)
	// Enter submits the form, and the answer is a new page: wait for it to load (RunResponse) before
	// reading it, since reading a document being replaced fails ("Inspected target navigated or closed").
	if _, err := chromedp.RunResponse(b.Context(), chromedp.KeyEvent("30d\r")); err != nil {
		t.Fatalf("travel 30 days with the keyboard: %v", err)
	}
	eventually(t, "the local page after time travel", func() bool {
		return strings.Contains(localpagetest.Eval[string](b, `document.querySelector("main") ? document.querySelector("main").innerText : ""`), "30 days ahead of the wall clock")
	})
	if d := s.Clock.Offset(); d < 30*24*time.Hour-time.Minute || d > 30*24*time.Hour+time.Minute {
		t.Errorf("the keyboard's time travel moved the clock %v, want 30 days", d)
	}

	// The offer for RF-1004 expired on the way; RF-1001, past its cooling-off, gets a request now.
	v.waitMail(order.Email, "Our offer for order "+order.Number+" has expired")
	ada := demoOrder(t, s, "RF-1001")
	v.submitForm(ada, refund.KindRefund, DemoReason, "")
	v.waitMail(ada.Email, "Your options for order "+ada.Number)

	b.CheckPage(s.URL+"/_local/", "local", chromedp.WaitVisible(chromedp.CSS("section.card")))
	if got := localpagetest.Eval[string](b, `document.querySelector("main").innerText`); !strings.Contains(got, "refused for now: request req-") {
		t.Errorf("the local page does not say RF-1001 waits for its open request: %s", truncate(got, 1500))
	}
	b.CheckPage(s.URL+"/_local/outbox/", "outbox", chromedp.WaitVisible(chromedp.CSS("article")))
}
