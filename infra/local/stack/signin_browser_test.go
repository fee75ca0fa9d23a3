package stack

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"refundflow/infra/local/localpage/localpagetest"
	"refundflow/refund"
)

// evalQuiet evaluates js on the page shown, "" when it cannot (a page being replaced).
func (b *browser) evalQuiet(js string) string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		return ""
	}
	return s
}

// TestStaffSignInInBrowser is an agent's day with the console in headless Chromium: opening /staff
// leads to the (local) hosted sign-in, picking an agent leads back signed in, search works; the
// session ends while the agent is typing (the clock moves past the token's hour, so the API answers
// 401) and the next action signs in again and puts back what was typed; sign-out leaves the console
// signed out. Screenshots at 1280 and 390 px under testout/signin/.
func TestStaffSignInInBrowser(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	// Its own directory: the walkthrough, running alongside, empties testout/browser/ when it starts.
	b.dir = localpagetest.OutDir(t, "signin")
	old, _ := filepath.Glob(filepath.Join(b.dir, "*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	b.viewport(1280, 900)
	s := startStack(t)
	v := newVisitor(t, s)
	order := demoOrder(t, s, "RF-1001")
	id := requestID(t, v.submitForm(order, refund.KindRefund, refund.ReasonChangedMind, "").URL)

	b.do("open the staff console", chromedp.Navigate(s.URL+"/staff"), chromedp.WaitVisible(chromedp.ID("user-local-agent-2")))
	if loc := b.location(); !strings.HasPrefix(loc, s.SignInURL+"/oauth2/authorize?") || !strings.Contains(loc, "code_challenge_method=S256") {
		t.Errorf("/staff led to %s, want the sign-in with PKCE", loc)
	}
	b.mustSay("Lena Fischer")
	b.noSidewaysScroll()
	b.shot("signin-1280")
	b.signInAs("local-agent-2")
	if loc := b.location(); loc != s.URL+"/staff" {
		t.Errorf("after signing in the console is at %s", loc)
	}
	b.shot("signin-console-1280")

	b.do("find the order", chromedp.SetValue(chromedp.ID("find-q"), order.Number), chromedp.Click(chromedp.CSS(`#find-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("list-table")))
	eventually(t, "the search result", func() bool {
		return strings.Contains(b.evalQuiet(`document.getElementById("list-body").innerText`), id)
	})
	b.shot("signin-search-1280")

	// Typing, when the session ends: an hour and a bit later the API refuses the token.
	const note = "Client called at 10:05: wants the invoice of the refund."
	b.do("type a draft",
		chromedp.SendKeys(chromedp.ID("take-order"), "RF-1002"),
		chromedp.SendKeys(chromedp.ID("take-details"), note),
		chromedp.SetValue(chromedp.ID("find-q"), strings.ToUpper(order.Email)),
	)
	resp, err := http.Post(s.URL+"/_local/clock", "application/json", strings.NewReader(`{"advance":"1h5m"}`))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("time travel: %v %v", resp, err)
	}
	resp.Body.Close()
	b.do("search after the session ended", chromedp.Click(chromedp.CSS(`#find-form button[type="submit"]`)))
	// The sign-in's own session still lasts: the console goes there and straight back, signed in
	// again, and what was typed is back.
	eventually(t, "the draft put back after signing in again", func() bool {
		return strings.Contains(b.evalQuiet(`(document.getElementById("session-status") || {}).textContent || ""`), "What you were typing is back.")
	})
	for sel, want := range map[string]string{"take-order": "RF-1002", "take-details": note, "find-q": strings.ToUpper(order.Email)} {
		if got := b.evalQuiet(`document.getElementById("` + sel + `").value`); got != want {
			t.Errorf("#%s after signing in again = %q, want %q", sel, got, want)
		}
	}
	// The request the search opened is open again.
	if loc := b.location(); loc != s.URL+"/staff?request="+id {
		t.Errorf("after signing in again the console is at %s, want the request that was open", loc)
	}
	eventually(t, "the open request shown again", func() bool {
		return b.evalQuiet(`document.getElementById("detail").hidden ? "" : document.getElementById("detail-title").textContent`) == "Request "+id
	})
	b.do("search with the new session", chromedp.Click(chromedp.CSS(`#find-form button[type="submit"]`)))
	eventually(t, "the search by email", func() bool {
		return strings.Contains(b.evalQuiet(`document.getElementById("list-body").innerText`), id)
	})
	b.shot("signin-draft-restored-1280")

	// Sign-out: the console stays signed out (no sign-in by itself), and nothing is kept.
	b.do("sign out", chromedp.Click(chromedp.ID("sign-out")), chromedp.WaitVisible(chromedp.ID("sign-in")))
	if got := b.text("#session-status"); got != "You are signed out." {
		t.Errorf("after signing out the console says %q", got)
	}
	if got := b.evalQuiet(`String(sessionStorage.getItem("refundflow.staffToken"))`); got != "null" {
		t.Errorf("a token is still kept after signing out: %.20s…", got)
	}
	if p := b.evalQuiet(`document.getElementById("list-status").textContent`); strings.Contains(p, "shown") {
		t.Errorf("the signed-out console lists requests: %q", p)
	}
	b.shot("signin-signed-out-1280")

	// On a phone: the sign-in page lists the staff again (the sign-out ended its session).
	b.viewport(390, 844)
	b.do("sign in on a phone", chromedp.Click(chromedp.ID("sign-in")), chromedp.WaitVisible(chromedp.ID("user-local-supervisor")))
	b.noSidewaysScroll()
	b.shot("signin-390")
	b.signInAs("local-supervisor")
	b.noSidewaysScroll()
	b.shot("signin-console-390")
}
