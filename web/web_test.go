package web

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"refundflow/refund"
)

// evil is put into every string field: it must come out as text, never as markup.
const evil = `<script>alert("x")</script>"' onmouseover=alert(1) &amp;`

var hashA = strings.Repeat("ab", 32)
var hashB = strings.Repeat("cd", 32)

func sampleOffer(id string, kind refund.OfferKind, amount int64) refund.Offer {
	return refund.Offer{
		ID: id, RequestID: "REQ-1", OrderNumber: "RF-2025-0042", Kind: kind,
		Amount: refund.Money{Amount: amount, Currency: "EUR"},
		Breakdown: []refund.Line{
			{Label: "Paid " + evil, Amount: refund.Money{Amount: amount + 5000, Currency: "EUR"}},
			{Label: "Delivered milestone", Amount: refund.Money{Amount: -5000, Currency: "EUR"}},
		},
		Terms: "Terms " + evil, EffectiveDate: "2025-03-04", PolicyVersion: "2025-01",
	}
}

// pages returns one of every page with evil in every string field it shows.
func pages() map[string]Page {
	at := time.Date(2025, 3, 3, 14, 5, 0, 0, time.UTC)
	req := refund.Request{
		ID: "REQ-1" + evil, OrderNumber: "RF-" + evil, Kind: refund.KindRefund, Reason: refund.ReasonOther,
		Details: "Line one\n" + evil, Status: refund.StatusAwaitingConsent, CreatedAt: at, UpdatedAt: at,
	}
	sub := refund.Submission{
		OrderNumber: evil, PurchaseDate: evil, Email: evil, Kind: evil, Reason: evil, Details: evil, Name: evil,
	}
	allErrs := refund.FieldErrors{
		"order_number": "bad order " + evil, "purchase_date": "bad date " + evil, "email": "bad email " + evil,
		"name": "bad name " + evil, "kind": "bad kind " + evil, "reason": "bad reason " + evil,
		"details": "bad details " + evil, "extra": "extra " + evil,
	}
	return map[string]Page{
		"form":       FormPage{},
		"form-error": FormPage{Values: sub, Errors: allErrs, Message: "conflict " + evil},
		"status": StatusPage{
			Request: req, Notice: "notice " + evil,
			Timeline: []TimelineEntry{
				{At: at, Status: refund.StatusSubmitted},
				{At: at.Add(time.Minute), Status: refund.StatusAwaitingConsent, Note: "note " + evil},
			},
			Findings:    []refund.Finding{{Code: "order_matched", Message: "matched " + evil, Passed: true}},
			CanWithdraw: true, WithdrawAction: "/requests/REQ-1/withdraw?x=" + evil, StatusCode: "code" + evil,
			Outcome: &StatusOutcome{Offer: sampleOffer("REQ-1-1-full_refund", refund.OfferFullRefund, 120000), CardHint: "42" + evil},
		},
		"consent": ConsentPage{
			Action: "/consent/code" + evil, CustomerName: "Ana " + evil, OrderNumber: "RF-" + evil, RequestID: "REQ-" + evil,
			Offers: []ConsentOffer{
				{Offer: sampleOffer("REQ-1-1-full_refund", refund.OfferFullRefund, 120000), Agreement: "AGREEMENT\n  line " + evil + "\n", Hash: hashA},
				{Offer: sampleOffer("REQ-1-1-service_credit"+evil, refund.OfferServiceCredit, 130000), Agreement: "CREDIT " + evil, Hash: hashB},
			},
			Deadline: at.Add(14 * 24 * time.Hour), FullName: evil, DeclineReason: evil, Message: "msg " + evil,
			Errors: refund.FieldErrors{"offer": "choose " + evil, "full_name": "name " + evil, "agree": "agree " + evil, "decline_reason": "reason " + evil},
		},
		"link-unknown":   LinkPage{State: LinkUnknown},
		"link-recorded":  LinkPage{State: LinkRecorded, Detail: "You accepted " + evil, StatusURL: "/requests/x?t=" + evil},
		"link-accepted":  LinkPage{State: LinkAccepted, Offer: "Full refund " + evil},
		"link-declined":  LinkPage{State: LinkDeclined},
		"feedback":       FeedbackPage{Action: "/feedback/c" + evil, Rating: "4", Comment: evil, Errors: refund.FieldErrors{"comment": "c " + evil}},
		"feedback-done":  FeedbackPage{Done: true},
		"verify":         VerifyPage{},
		"verify-error":   VerifyPage{Fingerprint: evil, Errors: refund.FieldErrors{"fingerprint": "f " + evil, "pdf": "p " + evil}},
		"verify-notours": VerifyPage{NotOurs: true},
		"verify-found":   VerifyPage{Found: &refund.SignedAgreement{PDFHash: strings.Repeat("ab", 32), RequestID: "r1", OrderNumber: "RF-1001" + evil, SignedAt: time.Date(2025, 3, 3, 14, 5, 9, 0, time.UTC)}},
		"error": ErrorPage{Status: 500, Title: "t " + evil, Message: "m " + evil, Reference: "ref" + evil,
			Fields: refund.FieldErrors{"x": "f " + evil}},
		"staff":            StaffPage{APIBase: "/staff/api" + evil},
		"sandbox_payments": SandboxPaymentsPage{Path: "/sandbox/payments" + evil},
		"policy":           PolicyPage{Policy: refund.DefaultPolicy(), Current: true, AnswerDays: 14, ReminderDays: 7},
	}
}

func render(t *testing.T, p Page) (string, *html.Node) {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, p); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := html.Parse(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatalf("parse html: %v", err)
	}
	return buf.String(), doc
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func elements(doc *html.Node, tag string) []*html.Node {
	var out []*html.Node
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
	})
	return out
}

func byID(doc *html.Node, id string) *html.Node {
	var found *html.Node
	walk(doc, func(n *html.Node) {
		if v, ok := attr(n, "id"); ok && v == id && found == nil {
			found = n
		}
	})
	return found
}

func text(n *html.Node) string {
	var b strings.Builder
	walk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	})
	return b.String()
}

// TestPagesAreSafeAndAccessible renders every page with hostile data and checks the structural rules
// that must hold on all of them.
func TestPagesAreSafeAndAccessible(t *testing.T) {
	for name, p := range pages() {
		t.Run(name, func(t *testing.T) {
			out, doc := render(t, p)

			if strings.Contains(out, "<script>alert") || strings.Contains(out, `" onmouseover=`) {
				t.Errorf("unescaped payload in output")
			}
			htmlEl := elements(doc, "html")[0]
			if lang, _ := attr(htmlEl, "lang"); lang != "en" {
				t.Errorf("html lang = %q, want en", lang)
			}
			hasViewport := false
			for _, m := range elements(doc, "meta") {
				if v, _ := attr(m, "name"); v == "viewport" {
					hasViewport = true
				}
			}
			if !hasViewport {
				t.Error("no viewport meta")
			}
			if len(elements(doc, "title")) != 1 || len(elements(doc, "h1")) != 1 {
				t.Errorf("want exactly one title and one h1")
			}
			if len(elements(doc, "style")) > 0 {
				t.Error("inline <style> element (CSP forbids)")
			}

			ids := map[string]bool{}
			walk(doc, func(n *html.Node) {
				if n.Type != html.ElementNode {
					return
				}
				for _, a := range n.Attr {
					if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
						t.Errorf("<%s> has inline %s attribute (CSP forbids)", n.Data, a.Key)
					}
					if (a.Key == "href" || a.Key == "src" || a.Key == "action") && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
						t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
					}
				}
				if id, ok := attr(n, "id"); ok {
					if ids[id] {
						t.Errorf("duplicate id %q", id)
					}
					ids[id] = true
				}
			})
			for _, s := range elements(doc, "script") {
				if _, ok := attr(s, "src"); !ok || text(s) != "" {
					t.Errorf("inline script (CSP forbids)")
				}
			}

			// Every control a person fills in has a label bound to it.
			labelFor := map[string]bool{}
			for _, l := range elements(doc, "label") {
				if f, ok := attr(l, "for"); ok {
					labelFor[f] = true
				}
			}
			for _, tag := range []string{"input", "select", "textarea"} {
				for _, in := range elements(doc, tag) {
					typ, _ := attr(in, "type")
					if typ == "hidden" || typ == "submit" || typ == "button" {
						continue
					}
					id, _ := attr(in, "id")
					if id == "" || !labelFor[id] {
						t.Errorf("<%s id=%q type=%q> has no label", tag, id, typ)
					}
				}
			}
			// Labels, aria-describedby, aria-labelledby and in-page links point at elements that exist.
			walk(doc, func(n *html.Node) {
				if n.Type != html.ElementNode {
					return
				}
				for _, key := range []string{"aria-describedby", "aria-labelledby"} {
					if v, ok := attr(n, key); ok {
						for _, ref := range strings.Fields(v) {
							if !ids[ref] {
								t.Errorf("<%s %s=%q>: no element with id %q", n.Data, key, v, ref)
							}
						}
					}
				}
				if n.Data == "label" {
					if f, ok := attr(n, "for"); ok && !ids[f] {
						t.Errorf("label for %q: no such element", f)
					}
				}
				if n.Data == "a" {
					if h, _ := attr(n, "href"); strings.HasPrefix(h, "#") && !ids[h[1:]] {
						t.Errorf("link to %q: no such element", h)
					}
				}
			})
			// No form carries a token any more: posts are checked for their origin instead.
			walk(doc, func(n *html.Node) {
				if v, _ := attr(n, "name"); n.Data == "input" && v == "csrf_token" {
					t.Errorf("a form still carries a csrf_token field")
				}
			})
		})
	}
}

// TestEscapedValuesRoundTrip checks that hostile values survive as exactly the same text: escaped in
// the markup, identical once a browser parses it.
func TestEscapedValuesRoundTrip(t *testing.T) {
	_, doc := render(t, pages()["form-error"])
	for _, id := range []string{"order_number", "purchase_date", "email", "name"} {
		if v, _ := attr(byID(doc, id), "value"); v != evil {
			t.Errorf("input %s value = %q, want the typed value back", id, v)
		}
	}
	if got := text(byID(doc, "details")); got != evil {
		t.Errorf("details textarea = %q, want %q", got, evil)
	}
	if got := text(byID(doc, "order_number-error")); !strings.Contains(got, "bad order "+evil) {
		t.Errorf("order_number error = %q", got)
	}

	_, doc = render(t, pages()["consent"])
	pres := elements(doc, "pre")
	if len(pres) != 2 {
		t.Fatalf("%d <pre>, want 2", len(pres))
	}
	if got, want := text(pres[0]), "AGREEMENT\n  line "+evil+"\n"; got != want {
		t.Errorf("agreement text = %q, want exactly %q", got, want)
	}
	form := elements(doc, "form")[0]
	// URLs are percent-encoded rather than entity-escaped: still inert, just not byte-identical.
	if act, _ := attr(form, "action"); !strings.HasPrefix(act, "/consent/code%3c") || strings.ContainsAny(act, `<>"' `) {
		t.Errorf("form action = %q", act)
	}
}

func TestFormPageKeepsValuesAndShowsErrors(t *testing.T) {
	sub := refund.Submission{
		OrderNumber: "RF 42", PurchaseDate: "2025-02-30", Email: "ana@", Kind: "refund",
		Reason: "quality", Details: "It broke.\nTwice.", Name: "Ana",
	}
	errs := sub.Validate()
	if errs == nil {
		t.Fatal("sample submission unexpectedly valid")
	}
	out, doc := render(t, FormPage{Values: sub, Errors: errs})

	if v, _ := attr(byID(doc, "order_number"), "value"); v != "RF 42" {
		t.Errorf("order number value = %q", v)
	}
	if _, ok := attr(byID(doc, "kind-refund"), "checked"); !ok {
		t.Error("kind radio not kept")
	}
	if _, ok := attr(byID(doc, "kind-cancellation"), "checked"); ok {
		t.Error("wrong kind radio checked")
	}
	var selected []string
	for _, o := range elements(byID(doc, "reason"), "option") {
		if _, ok := attr(o, "selected"); ok {
			v, _ := attr(o, "value")
			selected = append(selected, v)
		}
	}
	if !slices.Equal(selected, []string{"quality"}) {
		t.Errorf("selected reasons = %v", selected)
	}
	if got := text(byID(doc, "details")); got != sub.Details {
		t.Errorf("details = %q", got)
	}
	// Every reason label from the domain is offered.
	for _, r := range refund.Reasons() {
		if !strings.Contains(out, r.Label()) {
			t.Errorf("reason label %q missing", r.Label())
		}
	}
	// Each error sits next to its field, is announced with it, and is listed in the summary.
	for field := range errs {
		errEl := byID(doc, field+"-error")
		if errEl == nil {
			t.Errorf("no error message element for %s", field)
			continue
		}
		if !strings.Contains(text(errEl), errs[field]) {
			t.Errorf("%s error text = %q", field, text(errEl))
		}
		input := byID(doc, field)
		if input == nil {
			continue
		}
		d, _ := attr(input, "aria-describedby")
		if !slices.Contains(strings.Fields(d), field+"-error") {
			t.Errorf("%s aria-describedby = %q, want it to include %s-error", field, d, field)
		}
		if v, _ := attr(input, "aria-invalid"); v != "true" {
			t.Errorf("%s not marked aria-invalid", field)
		}
	}
	summary := elements(doc, "ul")[0]
	var links []string
	for _, a := range elements(summary, "a") {
		h, _ := attr(a, "href")
		links = append(links, h)
	}
	if want := []string{"#order_number", "#purchase_date", "#email"}; !slices.Equal(links, want) {
		t.Errorf("summary links = %v, want %v (form order)", links, want)
	}
	if title := text(elements(doc, "title")[0]); !strings.HasPrefix(title, "Error: ") {
		t.Errorf("title %q does not announce the error", title)
	}
}

func TestFormPageWithoutErrorsHasNoSummary(t *testing.T) {
	out, doc := render(t, FormPage{})
	if strings.Contains(out, "error-summary") || strings.Contains(out, "aria-invalid") {
		t.Error("empty form shows errors")
	}
	if act, _ := attr(elements(doc, "form")[0], "action"); act != "/requests" {
		t.Errorf("action = %q", act)
	}
}

func TestStatusPage(t *testing.T) {
	p := pages()["status"].(StatusPage)
	out, doc := render(t, p)
	if !strings.Contains(out, refund.StatusSubmitted.Describe()) {
		t.Error("timeline lacks the status sentence")
	}
	items := elements(elements(doc, "ol")[0], "li")
	if len(items) != 2 {
		t.Fatalf("%d timeline items", len(items))
	}
	if !strings.Contains(text(items[1]), "note "+evil) || !strings.Contains(text(items[0]), "3 March 2025 at 14:05 UTC") {
		t.Errorf("timeline = %q / %q", text(items[0]), text(items[1]))
	}
	form := elements(doc, "form")[0]
	if act, _ := attr(form, "action"); !strings.HasPrefix(act, "/requests/REQ-1/withdraw?x=%3c") || strings.ContainsAny(act, `<>"' `) {
		t.Errorf("withdraw action = %q", act)
	}
	hidden := map[string]string{}
	for _, in := range elements(form, "input") {
		n, _ := attr(in, "name")
		v, _ := attr(in, "value")
		hidden[n] = v
	}
	if hidden["t"] != p.StatusCode || len(hidden) != 1 {
		t.Errorf("withdraw hidden fields = %v", hidden)
	}

	p.CanWithdraw = false
	_, doc = render(t, p)
	if len(elements(doc, "form")) != 0 {
		t.Error("withdraw form shown when not allowed")
	}
}

// realAgreements gives the page's offers the agreement texts refund.Agreement writes for them.
func realAgreements(p ConsentPage) ConsentPage {
	order := refund.Order{Number: "RF-1001", CustomerName: "Ada Lovelace", PurchaseDate: "2025-03-01", Paid: 180000, Currency: "EUR",
		Service: refund.Service{Type: refund.ServiceProject}}
	req := refund.Request{ID: "REQ-1", Kind: refund.KindRefund, Reason: refund.ReasonChangedMind}
	p.Offers = slices.Clone(p.Offers)
	for i := range p.Offers {
		p.Offers[i].Agreement = refund.Agreement(order, req, p.Offers[i].Offer)
	}
	return p
}

func TestConsentPage(t *testing.T) {
	p := realAgreements(pages()["consent"].(ConsentPage))
	p.Selected = p.Offers[1].Offer.ID
	out, doc := render(t, p)
	forms := elements(doc, "form")
	if len(forms) != 2 {
		t.Fatalf("%d forms, want accept and decline", len(forms))
	}
	decisions := []string{}
	for _, f := range forms {
		for _, in := range elements(f, "input") {
			if n, _ := attr(in, "name"); n == "decision" {
				v, _ := attr(in, "value")
				decisions = append(decisions, v)
			}
		}
	}
	if !slices.Equal(decisions, []string{DecisionAccept, DecisionDecline}) {
		t.Errorf("decisions = %v", decisions)
	}
	var radios []*html.Node
	for _, in := range elements(forms[0], "input") {
		if ty, _ := attr(in, "type"); ty == "radio" {
			radios = append(radios, in)
		}
	}
	if len(radios) != 2 {
		t.Fatalf("%d offer radios", len(radios))
	}
	for i, r := range radios {
		v, _ := attr(r, "value")
		if v != p.Offers[i].Choice() {
			t.Errorf("radio %d value = %q, want %q", i, v, p.Offers[i].Choice())
		}
		_, checked := attr(r, "checked")
		if checked != (i == 1) {
			t.Errorf("radio %d checked = %v", i, checked)
		}
	}
	for _, o := range p.Offers {
		if !strings.Contains(out, o.Hash) {
			t.Errorf("hash %s not shown", o.Hash)
		}
	}
	// The breakdown, in the agreement, is a table with a caption and header cells.
	tables := elements(doc, "table")
	if len(tables) != 2 || len(elements(tables[0], "caption")) != 1 || len(elements(tables[0], "th")) < 3 {
		t.Errorf("breakdown tables malformed")
	}
	if !strings.Contains(text(tables[0]), "EUR 1,200.00") || !strings.Contains(text(tables[0]), "EUR -50.00") {
		t.Errorf("breakdown amounts missing: %q", text(tables[0]))
	}
	if _, ok := attr(byID(doc, "agree"), "checked"); ok {
		t.Error("agree box pre-ticked")
	}
	// The deadline is the offers', said as such (not "this link works until").
	if !strings.Contains(out, `You can answer until <strong><time datetime="2025-03-17T14:05:00Z">17 March 2025 at 14:05 UTC</time></strong>. After that the offers expire`) {
		t.Error("deadline not shown")
	}
	p.Deadline = time.Time{}
	if out, _ := render(t, p); strings.Contains(out, "You can answer until") {
		t.Error("zero deadline shown")
	}
	// The technical details (fingerprint, offer id, policy version) are folded away.
	for _, d := range elements(doc, "details") {
		if s := text(elements(d, "summary")[0]); s != "Details" {
			t.Errorf("details summary %q", s)
		}
	}
	if n, want := len(elements(doc, "details")), len(p.Offers); n != want {
		t.Errorf("%d details, want one per offer", n)
	}
	for _, c := range elements(doc, "code") {
		if d := ancestor(c, "details"); d == nil {
			t.Errorf("code %q outside the details", text(c))
		}
	}
}

// ancestor returns n's nearest ancestor element with the tag, or nil.
func ancestor(n *html.Node, tag string) *html.Node {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.Data == tag {
			return p
		}
	}
	return nil
}

// A single offer is chosen already: the client types the name and ticks the box, nothing more.
func TestConsentPageSingleOfferIsChosen(t *testing.T) {
	p := realAgreements(pages()["consent"].(ConsentPage))
	p.Offers = p.Offers[:1]
	_, doc := render(t, p)
	if _, checked := attr(byID(doc, "offer-1"), "checked"); !checked {
		t.Error("the only offer is not chosen")
	}
	if got := text(elements(doc, "legend")[0]); got != "Our offer" {
		t.Errorf("legend %q", got)
	}
}

// The agreement text is shown whole at any width: its lines wrap rather than hide behind a scroll.
func TestAgreementTextWraps(t *testing.T) {
	css, _, _ := Asset("site.css")
	rule := regexp.MustCompile(`(?s)\.agreement \{(.*?)\}`).FindSubmatch(css)
	if rule == nil {
		t.Fatal("no .agreement rule")
	}
	body := string(rule[1])
	for _, want := range []string{"white-space: pre-wrap", "overflow-wrap: anywhere"} {
		if !strings.Contains(body, want) {
			t.Errorf(".agreement lacks %q", want)
		}
	}
	for _, unwanted := range []string{"white-space: pre;", "overflow-x", "max-height"} {
		if strings.Contains(body, unwanted) {
			t.Errorf(".agreement has %q, which hides part of the text", unwanted)
		}
	}
}

func TestLinkPages(t *testing.T) {
	for _, tc := range []struct {
		state      LinkState
		status     int
		newRequest bool // offers "Send a new request"
		statusNote bool // says where the status page's link is
	}{
		{LinkUnknown, http.StatusNotFound, true, false}, {LinkRecorded, http.StatusGone, false, false},
		{LinkExpired, http.StatusGone, true, false}, {LinkWithdrawn, http.StatusGone, true, false},
		{LinkClosed, http.StatusGone, true, false},
		{LinkAccepted, http.StatusOK, false, true}, {LinkDeclined, http.StatusOK, false, true},
	} {
		p := LinkPage{State: tc.state}
		if got := p.HTTPStatus(); got != tc.status {
			t.Errorf("%s: status %d, want %d", tc.state, got, tc.status)
		}
		out, doc := render(t, p)
		if got := text(elements(doc, "h1")[0]); got != p.Heading() {
			t.Errorf("%s: h1 %q", tc.state, got)
		}
		if !strings.Contains(out, html.EscapeString(p.Message())) {
			t.Errorf("%s: message missing", tc.state)
		}
		if got := strings.Contains(out, "Send a new request"); got != tc.newRequest {
			t.Errorf("%s: offers a new request = %v, want %v", tc.state, got, tc.newRequest)
		}
		if got := strings.Contains(out, html.EscapeString(p.StatusNote())); got != tc.statusNote {
			t.Errorf("%s: status note = %v, want %v", tc.state, got, tc.statusNote)
		}
	}

	// A confirmation is not the duplicate's page: it names what was accepted and what happens next.
	for _, tc := range []struct {
		p       LinkPage
		heading string
		message string
	}{
		{LinkPage{State: LinkAccepted, Offer: "Full refund (EUR 1,200.00)"}, "Thank you — we recorded your acceptance",
			"You accepted Full refund (EUR 1,200.00). We are carrying it out now and will email you as soon as it is done."},
		{LinkPage{State: LinkAccepted, Offer: "Service credit (EUR 1,300.00)", Done: true}, "Thank you — we recorded your acceptance",
			"You accepted Service credit (EUR 1,300.00). It has been carried out, and we have emailed you the details."},
		{LinkPage{State: LinkAccepted}, "Thank you — we recorded your acceptance",
			"You accepted our offer. We are carrying it out now and will email you as soon as it is done."},
		{LinkPage{State: LinkDeclined}, "Thank you — we recorded your answer",
			"You declined our offers, so nothing is refunded or changed and your request is closed. We will email you a confirmation."},
		{LinkPage{State: LinkRecorded}, "Your answer is already recorded",
			"We already have your answer, so nothing more is needed from you. We will email you about the next steps."},
	} {
		if got, want := tc.p.Heading(), tc.heading; got != want {
			t.Errorf("%s heading = %q, want %q", tc.p.State, got, want)
		}
		if got, want := tc.p.Message(), tc.message; got != want {
			t.Errorf("%s message = %q, want %q", tc.p.State, got, want)
		}
	}
	// With a status URL, a confirmation links to it instead of explaining where the link is.
	out, _ := render(t, LinkPage{State: LinkAccepted, StatusURL: "/requests/R-1?t=abc"})
	if !strings.Contains(out, `<a href="/requests/R-1?t=abc">See the status of your request</a>`) || strings.Contains(out, "the link is in the email") {
		t.Errorf("confirmation with a status URL:\n%s", out)
	}
}

func TestStatusOutcomeText(t *testing.T) {
	eur := func(a int64) refund.Money { return refund.Money{Amount: a, Currency: "EUR"} }
	for _, tc := range []struct {
		offer refund.Offer
		card  string
		done  bool
		want  string
	}{
		{refund.Offer{Kind: refund.OfferPartialRefund, Amount: eur(95000)}, "4242", true, "We refunded EUR 950.00 to your card ending 4242."},
		{refund.Offer{Kind: refund.OfferFullRefund, Amount: eur(95000)}, "", true, "We refunded EUR 950.00 to the card you paid with."},
		{refund.Offer{Kind: refund.OfferFullRefund, Amount: eur(95000)}, "4242", false, "You accepted a refund of EUR 950.00 to your card ending 4242."},
		{refund.Offer{Kind: refund.OfferServiceCredit, Amount: eur(130000), ValidUntil: "2026-03-04"}, "4242", true,
			"A service credit of EUR 1,300.00 is on your account, usable until 4 March 2026."},
		{refund.Offer{Kind: refund.OfferServiceCredit, Amount: eur(130000), ValidUntil: "2026-03-04"}, "", false,
			"You accepted a service credit of EUR 1,300.00, usable until 4 March 2026."},
		{refund.Offer{Kind: refund.OfferSwitchService, Amount: eur(130000), ValidUntil: "2026-03-04"}, "", true,
			"A credit of EUR 1,300.00 is reserved for your new service, usable until 4 March 2026."},
		{refund.Offer{Kind: refund.OfferPause, PauseMonths: 1, EffectiveDate: "2025-04-01"}, "", true,
			"Your subscription is paused for 1 month from 1 April 2025."},
		{refund.Offer{Kind: refund.OfferPause, PauseMonths: 3, EffectiveDate: "2025-04-01"}, "", false,
			"You accepted a pause of your subscription for 3 months from 1 April 2025."},
		{refund.Offer{Kind: refund.OfferCancelAtPeriodEnd, EffectiveDate: "2025-04-30"}, "", true,
			"Your subscription continues until 30 April 2025 and then ends."},
	} {
		o := StatusOutcome{Offer: tc.offer, CardHint: tc.card, Done: tc.done}
		if got, want := o.Text(), tc.want; got != want {
			t.Errorf("%s done=%v: %q, want %q", tc.offer.Kind, tc.done, got, want)
		}
	}
	p := pages()["status"].(StatusPage)
	p.Request.Status = refund.StatusCompleted
	p.Outcome = &StatusOutcome{Offer: refund.Offer{Kind: refund.OfferFullRefund, Amount: eur(120000)}, CardHint: "4242", Done: true}
	_, doc := render(t, p)
	var box string
	for _, d := range elements(doc, "div") {
		if c, _ := attr(d, "class"); strings.HasPrefix(c, "status-box") {
			box = text(d)
		}
	}
	if !strings.Contains(box, "Completed") || !strings.Contains(box, "We refunded EUR 1,200.00 to your card ending 4242.") {
		t.Errorf("status box = %q", box)
	}
	p.Outcome = nil
	if out, _ := render(t, p); strings.Contains(out, `class="outcome"`) {
		t.Error("outcome shown without one")
	}
}

func TestFeedbackPage(t *testing.T) {
	_, doc := render(t, FeedbackPage{Action: "/feedback/x", Rating: "4", Comment: "fine"})
	var checked []string
	for i := 1; i <= 5; i++ {
		r := byID(doc, "rating-"+string(rune('0'+i)))
		if r == nil {
			t.Fatalf("rating %d missing", i)
		}
		if _, ok := attr(r, "checked"); ok {
			v, _ := attr(r, "value")
			checked = append(checked, v)
		}
	}
	if !slices.Equal(checked, []string{"4"}) {
		t.Errorf("checked ratings = %v", checked)
	}
	out, _ := render(t, FeedbackPage{Done: true})
	if !strings.Contains(out, "Thank you") || strings.Contains(out, "<form") {
		t.Error("thanks page wrong")
	}
}

func TestErrorPage(t *testing.T) {
	out, _ := render(t, ErrorPage{Status: 500, Message: "Something went wrong.", Reference: "Cq2xKhVJjoEEJdA="})
	for _, want := range []string{"Sorry, something went wrong", "Something went wrong.", "Cq2xKhVJjoEEJdA=", "Error 500"} {
		if !strings.Contains(out, want) {
			t.Errorf("error page lacks %q", want)
		}
	}
}

// notForClients reports the pages that are not for clients: the staff console, and the sandbox
// deployment's checkout for integrators.
func notForClients(p Page) bool {
	switch p.(type) {
	case StaffPage, SandboxPaymentsPage:
		return true
	}
	return false
}

// The client footer ("reply to any email we sent you") is for clients, not on the staff console.
func TestFooterOnlyOnClientPages(t *testing.T) {
	for name, p := range pages() {
		_, doc := render(t, p)
		staff := notForClients(p)
		if got := len(elements(doc, "footer")) == 1; got == staff {
			t.Errorf("%s: footer shown = %v", name, got)
		}
	}
}

// The date hint matches what a date input shows (each browser its own format) and sends
// (YYYY-MM-DD, which the server parses).
func TestFormDateHint(t *testing.T) {
	_, doc := render(t, FormPage{})
	if typ, _ := attr(byID(doc, "purchase_date"), "type"); typ != "date" {
		t.Fatalf("purchase date input type %q", typ)
	}
	hint := text(byID(doc, "purchase_date-hint"))
	if strings.Contains(hint, "year-month-day") || strings.Contains(hint, "2025-03-01") {
		t.Errorf("hint %q describes a format the date input may not show", hint)
	}
}

func TestStaffPageLoadsOnlyItsScripts(t *testing.T) {
	_, doc := render(t, StaffPage{})
	scripts := elements(doc, "script")
	want := []string{"staff_signin.js", "staff.js", "staff_agents.js", "staff_questions.js"}
	if len(scripts) != len(want) {
		t.Fatalf("%d scripts, want %d", len(scripts), len(want))
	}
	for i, name := range want {
		if src, _ := attr(scripts[i], "src"); src != AssetURL(name) || !strings.Contains(src, "?v=") {
			t.Errorf("script src = %q, want %s's", src, name)
		}
	}
	if api, _ := attr(byID(doc, "console"), "data-api"); api != "/staff/api" {
		t.Errorf("data-api = %q", api)
	}
	if got := Scripts(StaffPage{}); !slices.Equal(got, want) {
		t.Errorf("Scripts(staff) = %v", got)
	}
	for name, p := range pages() {
		_, staff := p.(StaffPage)
		_, sandbox := p.(SandboxPaymentsPage)
		if !staff && !sandbox && len(Scripts(p)) > 0 {
			t.Errorf("%s page loads scripts", name)
		}
	}
	// No token is pasted: the console signs in through the hosted sign-in, whose public settings
	// the page carries.
	if byID(doc, "token") != nil {
		t.Error("the console still has a token field")
	}
	signIn := StaffSignIn{URL: "https://staff.auth.eu-west-1.amazoncognito.com", ClientID: "client1",
		RedirectURI: "https://refunds.example.com/staff", SignOutURI: "https://refunds.example.com/staff?signed-out"}
	_, doc = render(t, StaffPage{SignIn: signIn})
	for name, want := range map[string]string{"data-signin-url": signIn.URL, "data-client-id": signIn.ClientID,
		"data-redirect-uri": signIn.RedirectURI, "data-signout-uri": signIn.SignOutURI} {
		if got, _ := attr(byID(doc, "console"), name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func TestStaffScriptBuildsDOMWithText(t *testing.T) {
	for _, name := range []string{"staff_signin.js", "staff_agents.js", "staff.js"} {
		js, ct, ok := Asset(name)
		if !ok || ct != "text/javascript; charset=utf-8" {
			t.Fatalf("%s: ok=%v type=%q", name, ok, ct)
		}
		for _, banned := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "localStorage"} {
			if bytes.Contains(js, []byte(banned)) {
				t.Errorf("%s uses %s", name, banned)
			}
		}
	}
	js, _, _ := Asset("staff.js")
	signIn, _, _ := Asset("staff_signin.js")
	for _, need := range []string{"sessionStorage", "code_challenge_method: \"S256\"", "crypto.subtle.digest(\"SHA-256\"", "/oauth2/token", "/logout"} {
		if !bytes.Contains(signIn, []byte(need)) {
			t.Errorf("staff_signin.js lacks %s", need)
		}
	}
	for _, need := range []string{"textContent", "Authorization", "/requests", "/feedback", "/review"} {
		if !bytes.Contains(js, []byte(need)) {
			t.Errorf("staff.js lacks %s", need)
		}
	}
}

func TestAssets(t *testing.T) {
	for _, tc := range []struct {
		name, ct string
		ok       bool
	}{
		{"site.css", "text/css; charset=utf-8", true},
		{"staff.js", "text/javascript; charset=utf-8", true},
		{"favicon.svg", "image/svg+xml", true},
		{"../web.go", "", false},
		{"x/site.css", "", false},
		{`..\site.css`, "", false},
		{".hidden.css", "", false},
		{"missing.css", "", false},
		{"", "", false},
	} {
		data, ct, ok := Asset(tc.name)
		if ok != tc.ok || ct != tc.ct || ok && len(data) == 0 {
			t.Errorf("Asset(%q) = %d bytes, %q, %v; want %q, %v", tc.name, len(data), ct, ok, tc.ct, tc.ok)
		}
	}
	css, _, _ := Asset("site.css")
	if !bytes.Contains(css, []byte(":focus-visible")) || !bytes.Contains(css, []byte("@media")) {
		t.Error("site.css lacks focus styles or responsive rules")
	}
	if u := AssetURL("site.css"); !strings.HasPrefix(u, "/assets/site.css?v=") || len(u) != len("/assets/site.css?v=")+12 {
		t.Errorf("AssetURL = %q", u)
	}
}

func TestSubmissionFromForm(t *testing.T) {
	v := url.Values{"order_number": {"RF-1"}, "purchase_date": {"2025-03-01"}, "email": {"a@b.co"}, "kind": {"refund"},
		"reason": {"other"}, "details": {"d"}, "name": {"Ana"}}
	got := SubmissionFromForm(v)
	want := refund.Submission{OrderNumber: "RF-1", PurchaseDate: "2025-03-01", Email: "a@b.co", Kind: "refund", Reason: "other", Details: "d", Name: "Ana"}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestParseConsentForm(t *testing.T) {
	choice := "REQ-1-1-full_refund" + choiceSep + hashA
	for _, tc := range []struct {
		name   string
		v      url.Values
		want   ConsentForm
		errors []string
	}{
		{"accept", url.Values{"decision": {"accept"}, "offer": {choice}, "full_name": {"  Ana López "}, "agree": {"yes"}},
			ConsentForm{Decision: "accept", OfferID: "REQ-1-1-full_refund", OfferHash: hashA, FullName: "Ana López", Agreed: true}, nil},
		{"id with separator", url.Values{"decision": {"accept"}, "offer": {"a|b" + choiceSep + hashA}, "full_name": {"Ana"}, "agree": {"yes"}},
			ConsentForm{Decision: "accept", OfferID: "a|b", OfferHash: hashA, FullName: "Ana", Agreed: true}, nil},
		{"accept missing all", url.Values{"decision": {"accept"}},
			ConsentForm{Decision: "accept"}, []string{"agree", "full_name", "offer"}},
		{"bad hash", url.Values{"decision": {"accept"}, "offer": {"x|ABC"}, "full_name": {"Ana"}, "agree": {"yes"}},
			ConsentForm{Decision: "accept", FullName: "Ana", Agreed: true}, []string{"offer"}},
		{"control in name", url.Values{"decision": {"accept"}, "offer": {choice}, "full_name": {"Ana\x00"}, "agree": {"yes"}},
			ConsentForm{Decision: "accept", OfferID: "REQ-1-1-full_refund", OfferHash: hashA, FullName: "Ana\x00", Agreed: true}, []string{"full_name"}},
		{"long name", url.Values{"decision": {"accept"}, "offer": {choice}, "full_name": {strings.Repeat("é", refund.MaxNameRunes+1)}, "agree": {"yes"}},
			ConsentForm{Decision: "accept", OfferID: "REQ-1-1-full_refund", OfferHash: hashA, FullName: strings.Repeat("é", refund.MaxNameRunes+1), Agreed: true}, []string{"full_name"}},
		{"agree not yes", url.Values{"decision": {"accept"}, "offer": {choice}, "full_name": {"Ana"}, "agree": {"on"}},
			ConsentForm{Decision: "accept", OfferID: "REQ-1-1-full_refund", OfferHash: hashA, FullName: "Ana"}, []string{"agree"}},
		{"decline", url.Values{"decision": {"decline"}, "decline_reason": {" Too little.\r\nSorry "}},
			ConsentForm{Decision: "decline", DeclineReason: "Too little.\nSorry"}, nil},
		{"decline without reason", url.Values{"decision": {"decline"}}, ConsentForm{Decision: "decline"}, nil},
		{"decline too long", url.Values{"decision": {"decline"}, "decline_reason": {strings.Repeat("x", refund.MaxDetailsRunes+1)}},
			ConsentForm{Decision: "decline", DeclineReason: strings.Repeat("x", refund.MaxDetailsRunes+1)}, []string{"decline_reason"}},
		{"no decision", url.Values{}, ConsentForm{}, []string{"decision"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := ParseConsentForm(tc.v)
			if got != tc.want {
				t.Errorf("form = %+v, want %+v", got, tc.want)
			}
			var keys []string
			for k := range errs {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, tc.errors) {
				t.Errorf("errors = %v, want %v", errs, tc.errors)
			}
		})
	}
}

func TestParseFeedbackForm(t *testing.T) {
	for _, tc := range []struct {
		rating, comment string
		wantRating      int
		errors          []string
	}{
		{"5", "Great", 5, nil},
		{"1", "", 1, nil},
		{"0", "", 0, []string{"rating"}},
		{"6", "", 0, []string{"rating"}},
		{"+3", "", 0, []string{"rating"}},
		{"", "", 0, []string{"rating"}},
		{"3", strings.Repeat("x", refund.MaxDetailsRunes+1), 3, []string{"comment"}},
		{"3", "bell\a", 3, []string{"comment"}},
	} {
		got, errs := ParseFeedbackForm(url.Values{"rating": {tc.rating}, "comment": {tc.comment}})
		var keys []string
		for k := range errs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if got.Rating != tc.wantRating || !slices.Equal(keys, tc.errors) {
			t.Errorf("rating %q: got %d %v, want %d %v", tc.rating, got.Rating, errs, tc.wantRating, tc.errors)
		}
	}
}

func TestStatusLabels(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range refund.Statuses() {
		l := StatusLabel(s)
		if l == "" || l == string(s) || seen[l] {
			t.Errorf("status %s has label %q (missing or duplicate)", s, l)
		}
		seen[l] = true
	}
}

func BenchmarkRenderConsentPage(b *testing.B) {
	p := pages()["consent"]
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := Render(&buf, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderFormPageWithErrors(b *testing.B) {
	p := pages()["form-error"]
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := Render(&buf, p); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEveryTemplateParses parses every page template: they are parsed on first use, one page at a
// time, so a page no other test renders must still fail here rather than on a client's request.
func TestEveryTemplateParses(t *testing.T) {
	if got, want := len(templates()), 10; got != want {
		t.Errorf("%d page templates, want %d (every templates/*.html but layout and partials)", got, want)
	}
	for name, parse := range templates() {
		tpl, err := parse()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if tpl.Lookup("main") == nil {
			t.Errorf("%s: no \"main\" template", name)
		}
	}
}
