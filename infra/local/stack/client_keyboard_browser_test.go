package stack

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"refundflow/infra/local/localpage/localpagetest"
	"refundflow/refund"
)

// TestClientPagesByKeyboard is issue 14's "keyboard-only use works" for the client's pages, on a phone's
// width: a client does the whole journey with the keyboard alone — Tab, Shift+Tab, arrows, Space,
// Enter and typed characters; no mouse and no script clicks. The request form (each field typed, the
// kind and the reason chosen with the arrow keys, Enter on the button), the consent page from the email
// (the option chosen, the name typed, Space on the agreement box, Enter on Accept), and the page after
// accepting, whose agreement download is reached by Tab. Every focus stop shows a focus indicator and
// tabbing through each page is never stuck.
func TestClientPagesByKeyboard(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	b.dir = localpagetest.OutDir(t, "client-keyboard")
	b.viewport(390, 844)
	s := startStack(t)
	v := newVisitor(t, s)
	order := demoOrder(t, s, "RF-1001")

	// The request form.
	b.do("open the request form", chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(chromedp.ID("order_number")))
	b.noKeyboardTrap()
	b.tabTo("#order_number", true)
	b.key("type the order number", order.Number)
	b.tabTo("#purchase_date", false)
	// A date field takes its parts as the browser's locale orders them (en-US: month, day, year).
	ymd := strings.Split(order.PurchaseDate, "-")
	b.key("type the purchase date", ymd[1]+ymd[2]+ymd[0])
	if got := evalT[string](b, `document.getElementById("purchase_date").value`); got != order.PurchaseDate {
		t.Fatalf("typing the date gave %q, want %q", got, order.PurchaseDate)
	}
	b.tabTo("#email", false)
	b.key("type the email", order.Email)
	b.tabTo("#name", false)
	b.key("type the name", order.CustomerName)
	// A radio group is one stop of Tab; the arrow keys move the choice within it.
	b.tabTo(`input[name="kind"]`, false)
	for range 5 {
		if evalT[bool](b, `document.getElementById("kind-refund").checked`) {
			break
		}
		b.key("move to the refund", kb.ArrowDown)
	}
	if !evalT[bool](b, `document.getElementById("kind-refund").checked`) {
		t.Fatal("the arrow keys did not choose a refund")
	}
	b.tabTo("#reason", false)
	for range 20 {
		if evalT[string](b, `document.getElementById("reason").value`) == string(refund.ReasonChangedMind) {
			break
		}
		b.key("next reason", kb.ArrowDown)
	}
	if got := evalT[string](b, `document.getElementById("reason").value`); got != string(refund.ReasonChangedMind) {
		t.Fatalf("the arrow keys chose the reason %q, want %q", got, refund.ReasonChangedMind)
	}
	b.shot("form-typed")
	b.tabTo(`main form button[type="submit"]`, false)
	b.key("send the request", "\r")
	b.do("wait for the status page", chromedp.WaitVisible(chromedp.CSS(".status-box")))
	b.mustSay("Refund request for order " + order.Number)
	b.noKeyboardTrap()
	b.shot("status-submitted")

	// The consent page, from the email's link.
	consentURL := link(t, v.waitMail(order.Email, "Your options for order "+order.Number), "/consent/")
	b.do("open the consent page", chromedp.Navigate(consentURL), chromedp.WaitVisible(chromedp.CSS("form.consent-accept")))
	b.noKeyboardTrap()
	b.tabTo(`input[name="offer"]`, true)
	if !evalT[bool](b, `!!document.querySelector('input[name="offer"]:checked')`) {
		b.key("choose the first option", " ")
	}
	b.tabTo("#full_name", false)
	b.key("type the name", order.CustomerName)
	b.tabTo("#agree", false)
	b.key("agree", " ")
	if !evalT[bool](b, `document.getElementById("agree").checked`) {
		t.Fatal("Space did not tick the agreement box")
	}
	b.shot("consent-typed")
	b.tabTo("form.consent-accept button", false)
	b.key("accept", "\r")
	b.do("wait for the accepted page", chromedp.WaitNotPresent(chromedp.CSS("form.consent-accept")))
	b.mustSay("You accepted")
	// The signed agreement is reachable by the keyboard, and nothing holds the focus.
	b.tabTo("main a[download]", false)
	b.noKeyboardTrap()
	b.shot("consent-accepted")
	t.Logf("the client's journey took %d key presses, no mouse", b.keys)
}
