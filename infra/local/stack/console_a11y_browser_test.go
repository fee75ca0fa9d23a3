package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"refundflow/handler"
	"refundflow/infra/local/localpage/localpagetest"
	"refundflow/refund"
)

// The staff console "works everywhere" (issue 12): every state an agent meets is checked at a desktop's
// width (1280 px) and the narrowest phone in common use (360 px) — nothing scrolls sideways, axe-core
// finds no violation, every control has a name in the accessibility tree, times carry their UTC value
// as text, headings go down one level at a time, status lines are live regions — and the agent's whole
// task is done with the keyboard alone. Screenshots at 360 px go to testout/console-a11y/.

// consoleStates lists the states TestConsoleStatesAccessible checks, in the order it reaches them.
var consoleStates = []string{"signin", "queue", "search-none", "search-case", "adjust-breakdown", "confirm",
	"four-eyes", "conflict-409", "case-ledger", "feedback", "signed-out", "session-renewed"}

// a11yDir is where the console's accessibility screenshots go, emptied when a test starts.
func a11yDir(t *testing.T) string {
	t.Helper()
	dir := localpagetest.OutDir(t, "console-a11y")
	old, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	return dir
}

// evalT evaluates js on the page shown, failing the test when it cannot.
func evalT[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitSays waits until the text of the element with the id contains want.
func (b *browser) waitSays(id, want string) {
	b.t.Helper()
	eventually(b.t, fmt.Sprintf("#%s to say %q", id, want), func() bool {
		return strings.Contains(b.evalQuiet(`(document.getElementById("`+id+`") || {}).textContent || ""`), want)
	})
}

// unnamedControls returns how many controls the page's accessibility tree (as Chromium gives it to a
// screen reader) holds, and those that have no accessible name, as "role (DOM node n)".
func (b *browser) unnamedControls() (int, []string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	tree, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (accessibility.GetFullAXTreeResult, error) {
		return cdp.Call(ctx, t, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	})
	if err != nil {
		b.t.Fatalf("accessibility tree: %v", err)
	}
	controls := map[string]bool{"button": true, "link": true, "textbox": true, "searchbox": true, "combobox": true,
		"radio": true, "checkbox": true, "listbox": true, "spinbutton": true, "dialog": true, "alertdialog": true, "table": true}
	str := func(v *accessibility.Value) string {
		var s string
		if v != nil {
			_ = json.Unmarshal(v.Value, &s)
		}
		return s
	}
	var bad []string
	seen := 0
	for _, n := range tree.Nodes {
		if n.Ignored || !controls[str(n.Role)] {
			continue
		}
		seen++
		if strings.TrimSpace(str(n.Name)) == "" {
			bad = append(bad, fmt.Sprintf("%s (DOM node %d)", str(n.Role), n.BackendDOMNodeID))
		}
	}
	return seen, bad
}

// consoleChecks are what the page must hold in every state, as JavaScript giving a list of faults.
const consoleChecks = `(() => {
	const faults = [];
	const shown = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
	// Headings go down one level at a time (h1, h2, h3), so their outline reads as the page's.
	let last = 0;
	for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
		if (!shown(h)) continue;
		const level = Number(h.tagName[1]);
		if (level > last + 1) faults.push("heading " + h.tagName + " \"" + h.textContent.trim() + "\" follows h" + last);
		last = level;
	}
	// A time says its UTC value as text (a tooltip is not read out, nor shown without a mouse).
	for (const t of document.querySelectorAll("main time")) {
		if (shown(t) && !/UTC/.test(t.textContent)) faults.push("time without UTC as text: " + t.textContent);
	}
	// Status and error lines are live regions, so what they say is announced.
	for (const s of document.querySelectorAll("main .status-line[id$=status], main .status-line.error")) {
		if (s.textContent.trim() && !s.closest("[role=status], [role=alert], [aria-live]")) faults.push("status line not live: #" + s.id);
	}
	// A box that scrolls on its own hides its overflow from the page's width; a person still has to
	// scroll it sideways.
	for (const e of document.querySelectorAll("main *")) {
		if (e.scrollWidth > e.clientWidth + 1 && ["auto", "scroll"].includes(getComputedStyle(e).overflowX)) faults.push("a box scrolls sideways: " + e.tagName + "#" + e.id + "." + e.className);
	}
	// Tables have a caption or a name.
	for (const t of document.querySelectorAll("main table")) {
		if (shown(t) && !t.caption && !t.getAttribute("aria-label") && !t.getAttribute("aria-labelledby")) faults.push("table without caption");
		if (shown(t) && !t.querySelector("th")) faults.push("table without headers");
	}
	// The confirmation step is a labelled dialog.
	const c = document.getElementById("review-confirm");
	if (c && shown(c) && (c.getAttribute("role") !== "dialog" || !c.getAttribute("aria-labelledby"))) faults.push("the confirmation step is not a labelled dialog");
	return faults;
})()`

// checkState checks the page shown at 360 and 1280 px (see the file's comment) and keeps a screenshot
// at 360 px; it returns the number of axe-core violations.
func (b *browser) checkState(axe, name string) int {
	b.t.Helper()
	n := 0
	for _, width := range []int64{360, 1280} {
		b.viewport(width, 800)
		if width < 1280 {
			// A phone: touch, device scale 2, the page's meta viewport applies.
			b.do("emulate a phone", chromedp.EmulateViewport(width, 800, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
		}
		if w := evalT[[]int](b, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
			b.t.Errorf("%s at %d px: the page is %d px wide in a %d px window (sideways scroll)", name, width, w[0], w[1])
		}
		for _, v := range localpagetest.Axe(b.t, b.ctx, axe) {
			b.t.Errorf("%s at %d px: %s", name, width, v)
			n++
		}
		for _, f := range evalT[[]string](b, consoleChecks) {
			b.t.Errorf("%s at %d px: %s", name, width, f)
		}
		if width == 360 {
			seen, unnamed := b.unnamedControls()
			for _, c := range unnamed {
				b.t.Errorf("%s: a control without an accessible name: %s", name, c)
			}
			if seen == 0 {
				b.t.Errorf("%s: no control in the accessibility tree", name)
			}
			b.t.Logf("%s: %d controls in the accessibility tree, %d without a name", name, seen, len(unnamed))
			b.shot("360-" + name)
		}
	}
	return n
}

// TestConsoleStatesAccessible visits every state of the staff console an agent meets — the sign-in
// stand-in, the waiting queue with its counts, a search with no result, a search that opens the case
// (timeline, order and ledger, the client's questions), an adjustment's new breakdown, the confirmation
// step, a four-eyes proposal waiting for a second person, the 409 when the request changed meanwhile,
// the case once refunded (the client's answer, the ledger's refund), the feedback panel, signed out,
// and back after the session ended — and checks each (checkState).
func TestConsoleStatesAccessible(t *testing.T) {
	t.Parallel()
	axe := localpagetest.AxeScript(t)
	b := newBrowser(t)
	b.dir = a11yDir(t)
	s := startStack(t)
	v := newVisitor(t, s)
	staff, sup := newStaff(t, s), newSupervisor(t, s)
	order := demoOrder(t, s, "RF-1005") // EUR 12,000.00: in review, and above the four-eyes limit
	status := v.submitForm(order, refund.KindRefund, refund.ReasonChangedMind, "We chose another vendor.")
	id := staff.waitInReview(order.Number).ID
	u, err := url.Parse(status.URL)
	if err != nil {
		t.Fatal(err)
	}
	if p := v.postForm(u.Path+"/questions", url.Values{"t": {u.Query().Get("t")}, "message": {"When will I hear back?"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("the client's question: %s", p)
	}
	checked := map[string]int{}
	check := func(name string) {
		t.Helper()
		checked[name] = b.checkState(axe, name)
	}

	b.do("open the console", chromedp.Navigate(s.URL+"/staff"), chromedp.WaitVisible(chromedp.ID("user-local-staff")))
	check("signin")
	b.signInAs("local-staff")
	b.waitSays("list-status", "shown.")
	if got := b.text("#list-counts"); !strings.Contains(got, "In review: 1") {
		t.Errorf("the queue's counts say %q", got)
	}
	check("queue")

	b.do("search for an unknown order", chromedp.SetValue(chromedp.ID("find-q"), "RF-9999"), chromedp.Click(chromedp.CSS(`#find-form button[type="submit"]`)))
	b.waitSays("list-status", "No request matches")
	check("search-none")
	b.do("search the order", chromedp.SetValue(chromedp.ID("find-q"), order.Number), chromedp.Click(chromedp.CSS(`#find-form button[type="submit"]`)))
	b.waitSays("detail-title", "Request "+id)
	b.waitSays("questions-thread", "When will I hear back?")
	b.waitSays("list-body", id)
	check("search-case")

	b.do("adjust", chromedp.Click(chromedp.ID("review-adjust")), chromedp.SetValue(chromedp.ID("adjust-amount-0"), "9000.00"),
		chromedp.Click(chromedp.CSS(`#review-form button[type="submit"]`)), chromedp.WaitVisible(chromedp.ID("review-confirm")))
	b.waitSays("review-confirm-body", "EUR 9000.00 (was EUR 12,000.00)")
	check("adjust-breakdown")
	b.do("go back", chromedp.Click(chromedp.ID("review-confirm-no")), chromedp.WaitNotVisible(chromedp.ID("review-confirm")))

	b.do("approve", chromedp.Click(chromedp.ID("review-approve")), chromedp.Click(chromedp.CSS(`#review-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("review-confirm")))
	check("confirm")
	b.do("confirm", chromedp.Click(chromedp.ID("review-confirm-yes")), chromedp.WaitVisible(chromedp.ID("proposal-box")))
	check("four-eyes")

	// The supervisor confirms through the API while the agent, on the page as it was, rejects: 409,
	// and the message says what changed.
	var res handler.ReviewResult
	sup.call(http.MethodPost, "/requests/"+url.PathEscape(id)+"/review", map[string]any{"decision": "confirm"}, &res, http.StatusOK)
	b.do("reject on the page as it was", chromedp.Click(chromedp.ID("review-reject")),
		chromedp.SendKeys(chromedp.ID("review-message"), "We cannot refund a delivered project."),
		chromedp.Click(chromedp.CSS(`#review-form button[type="submit"]`)), chromedp.WaitVisible(chromedp.ID("review-confirm")),
		chromedp.Click(chromedp.ID("review-confirm-yes")))
	b.waitSays("review-status", "Last change:")
	check("conflict-409")

	// The client accepts and the refund is issued: the case shows the client's answer (typed name, IP,
	// browser, the offer's fingerprint: long values) and the ledger's refund.
	accept(t, v, link(t, v.waitMail(order.Email, "Your options for order "+order.Number), "/consent/"), refund.OfferFullRefund, order.CustomerName)
	v.waitStatus(status.URL, refund.StatusCompleted)
	b.do("open the case again", chromedp.Navigate(s.URL+"/staff?request="+url.QueryEscape(id)), chromedp.WaitVisible(chromedp.ID("detail-body")))
	b.waitSays("detail-body", "Offer fingerprint")
	b.waitSays("detail-body", "Refunded")
	b.waitSays("detail-body", "DecisionAccepted") // in words, not the code "accept"
	check("case-ledger")

	b.do("show feedback", chromedp.Click(chromedp.ID("feedback-load")))
	b.waitSays("feedback-status", "No feedback yet.")
	check("feedback")

	b.do("sign out", chromedp.Click(chromedp.ID("sign-out")), chromedp.WaitVisible(chromedp.ID("sign-in")))
	b.waitSays("session-status", "You are signed out.")
	check("signed-out")

	// Signed in again, the session ends (the clock passes the token's hour) while a search is typed.
	b.do("sign in again", chromedp.Click(chromedp.ID("sign-in")), chromedp.WaitVisible(chromedp.ID("user-local-staff")))
	b.signInAs("local-staff")
	b.do("type a search", chromedp.SetValue(chromedp.ID("find-q"), order.Email))
	if resp, err := http.Post(s.URL+"/_local/clock", "application/json", strings.NewReader(`{"advance":"1h5m"}`)); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("time travel: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	b.do("search after the session ended", chromedp.Click(chromedp.CSS(`#find-form button[type="submit"]`)))
	b.waitSays("session-status", "What you were typing is back.")
	check("session-renewed")

	total := 0
	for _, name := range consoleStates {
		n, ok := checked[name]
		if !ok {
			t.Errorf("state %s was not checked", name)
		}
		total += n
	}
	t.Logf("%d console states checked at 1280 and 360 px: %d axe-core violations", len(checked), total)
}

// focusState describes the focused element ("#id", "tag.class" or "body") and says "no indicator" when
// the focus is not visible on it: it must match :focus-visible and draw an outline or a shadow there.
const focusState = `(() => {
	const e = document.activeElement;
	if (!e || e === document.body) return ["body", ""];
	const name = e.id ? "#" + e.id : e.tagName.toLowerCase() + (e.className ? "." + e.className : "") + " " + (e.textContent || "").trim().slice(0, 30);
	const cs = getComputedStyle(e);
	const drawn = (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2) || cs.boxShadow !== "none";
	// A date field's calendar button takes a Tab of its own; the field then matches not even :focus,
	// and the browser draws its own focus ring on the button, which no style of the page reaches.
	if (e.matches('input[type="date"]') && !e.matches(":focus")) return [name + " (its calendar button)", ""];
	return [name, e.matches(":focus-visible") && drawn ? "" : "no indicator"];
})()`

// key presses keys (chromedp.KeyEvent: keyDown, char and keyUp through Input.dispatchKeyEvent).
func (b *browser) key(what, keys string, opts ...chromedp.KeyOption) {
	b.t.Helper()
	b.do(what, chromedp.KeyEvent(keys, opts...))
	b.keys += len([]rune(keys))
}

// focused returns the focused element's description, failing the test when it shows no focus
// indicator.
func (b *browser) focused() string {
	b.t.Helper()
	f := evalT[[]string](b, focusState)
	if f[1] != "" {
		b.t.Errorf("the focused element %s has no visible focus indicator", f[0])
	}
	return f[0]
}

// tabTo presses Tab (Shift+Tab when back) until the element matching sel has the focus, checking the
// focus indicator at every stop; it fails the test after 80 presses, or when the focus stops moving
// (a keyboard trap).
func (b *browser) tabTo(sel string, back bool) {
	b.t.Helper()
	var opts []chromedp.KeyOption
	if back {
		opts = append(opts, chromedp.KeyModifiers(chromedp.ModifierShift))
	}
	match := `(() => { const e = document.activeElement; return !!e && e.matches(` + jsQuote(sel) + `); })()`
	prev, same := "", 0
	for range 80 {
		if evalT[bool](b, match) {
			return
		}
		b.key("Tab to "+sel, "\t", opts...)
		cur := b.focused()
		if cur == prev {
			// A date field takes one Tab per part (month, day, year) before the focus leaves it.
			if same++; same > 3 {
				b.t.Fatalf("the focus stays on %s while tabbing to %s: a keyboard trap", cur, sel)
			}
		} else {
			same = 0
		}
		prev = cur
	}
	b.t.Fatalf("80 presses of Tab did not reach %s (the focus is on %s)", sel, prev)
}

// mustFocus fails the test unless the focused element matches sel, with a visible focus indicator.
func (b *browser) mustFocus(sel, why string) {
	b.t.Helper()
	eventually(b.t, why+": the focus on "+sel, func() bool {
		return b.evalQuiet(`String(!!document.activeElement && document.activeElement.matches(`+jsQuote(sel)+`))`) == "true"
	})
	b.focused()
}

func jsQuote(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// noKeyboardTrap tabs forward from where the focus is to the page's last tabbable element, which must
// be reached with every stop showing its focus: nothing on the way holds the focus.
func (b *browser) noKeyboardTrap() {
	b.t.Helper()
	last := evalT[string](b, `(() => {
		const all = [...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, [tabindex]")]
			.filter(e => e.tabIndex >= 0 && !e.disabled && (e.offsetWidth || e.offsetHeight || e.getClientRects().length));
		const e = all[all.length - 1];
		if (!e.id) e.id = "last-tabbable";
		return "#" + e.id;
	})()`)
	b.tabTo(last, false)
}

// TestConsoleByKeyboard does an agent's task with the keyboard alone — Tab, Shift+Tab, Enter, Space,
// Escape and typed characters; no mouse and no script clicks: sign in through the stand-in, search by
// order number, open the case from the results, choose a decision, open the confirmation step (it
// takes the focus), close it with Escape (the focus goes back to the button that opened it), open and
// confirm it, sign out; then the supervisor confirms the four-eyes proposal the same way. Every focused
// element shows a focus indicator, and tabbing through the page is never stuck.
func TestConsoleByKeyboard(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	b.dir = localpagetest.OutDir(t, "console-keyboard")
	b.viewport(1280, 900)
	s := startStack(t)
	v := newVisitor(t, s)
	staff := newStaff(t, s)
	order := demoOrder(t, s, "RF-1005")
	status := v.submitForm(order, refund.KindRefund, refund.ReasonChangedMind, "")
	id := staff.waitInReview(order.Number).ID

	signIn := func(sub string) {
		t.Helper()
		b.do("open the console", chromedp.Navigate(s.URL+"/staff"), chromedp.WaitVisible(chromedp.ID("user-"+sub)))
		b.tabTo("#user-"+sub, false)
		b.key("choose "+sub, "\r")
		eventually(t, "signed in as "+sub, func() bool {
			return strings.Contains(b.evalQuiet(`(document.getElementById("session-status") || {}).textContent || ""`), "Signed in as")
		})
		b.waitSays("list-status", "shown.")
		b.noKeyboardTrap()
	}
	search := func(q string) {
		t.Helper()
		b.tabTo("#find-q", true)
		b.key("type the order number", q)
		b.key("search", "\r")
		b.waitSays("list-body", id)
		b.waitSays("list-status", "1 request shown.")
	}

	signIn("local-staff")
	search(order.Number)
	// One result opens the case, which takes the focus; the result stays reachable, and opens it too.
	b.waitSays("detail-title", "Request "+id)
	b.mustFocus("#detail", "the case opened by the search")
	b.tabTo("#list-body button", true)
	b.key("open the case from the results", "\r")
	b.mustFocus("#detail", "the case opened from the results")

	// A decision: the radio group is one stop of Tab; Space chooses.
	b.tabTo("#review-approve", false)
	b.key("choose approve", " ")
	if !evalT[bool](b, `document.getElementById("review-approve").checked`) {
		t.Fatal("Space did not choose the approval")
	}
	b.tabTo(`#review-form button[type="submit"]`, false)
	b.key("open the confirmation", "\r")
	b.mustFocus("#review-confirm", "the confirmation step when it opens")
	b.shot("keyboard-confirm")
	b.key("close the confirmation", "\x1b")
	if !evalT[bool](b, `document.getElementById("review-confirm").hidden`) {
		t.Fatal("Escape did not close the confirmation step")
	}
	b.mustFocus(`#review-form button[type="submit"]`, "after Escape, the button that opened the confirmation")
	b.waitSays("review-status", "Nothing was sent.")
	b.key("open the confirmation again", "\r")
	b.mustFocus("#review-confirm", "the confirmation step when it opens again")
	b.tabTo("#review-confirm-no", false)
	b.key("go back", " ")
	b.mustFocus(`#review-form button[type="submit"]`, "after Go back, the button that opened the confirmation")
	b.key("open the confirmation once more", "\r")
	// The step is not modal: Tab leads on past it to the end of the page, and Shift+Tab back into it.
	b.noKeyboardTrap()
	b.tabTo("#review-confirm-yes", true)
	b.key("confirm", "\r")
	b.mustFocus("#review-status", "after confirming, the outcome line")
	b.waitSays("review-status", "second member of staff")
	eventually(t, "the proposal shown", func() bool { return b.evalQuiet(`String(!!document.getElementById("proposal-box"))`) == "true" })
	b.noKeyboardTrap()
	b.tabTo("#sign-out", true)
	b.key("sign out", "\r")
	b.do("wait for the signed-out console", chromedp.WaitVisible(chromedp.ID("sign-in")))
	b.waitSays("session-status", "You are signed out.")

	// The supervisor confirms the proposal, with the keyboard too.
	b.tabTo("#sign-in", false)
	b.key("sign in", "\r")
	b.do("wait for the sign-in", chromedp.WaitVisible(chromedp.ID("user-local-supervisor")))
	b.tabTo("#user-local-supervisor", false)
	b.key("choose the supervisor", "\r")
	b.waitSays("list-status", "shown.")
	search(order.Number)
	b.mustFocus("#detail", "the case opened by the supervisor's search")
	b.tabTo("#proposal-confirm", false)
	b.key("open the second confirmation", "\r")
	b.mustFocus("#review-confirm", "the second confirmation when it opens")
	b.tabTo("#review-confirm-yes", false)
	b.key("confirm as the second person", "\r")
	b.mustFocus("#review-status", "after the second confirmation, the outcome line")
	v.waitStatus(status.URL, refund.StatusAwaitingConsent)
	b.shot("keyboard-done")
	t.Logf("the task took %d key presses, no mouse", b.keys)
}
