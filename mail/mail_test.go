package mail_test

import (
	"encoding/json"
	"flag"
	"html"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"refundflow/mail"
	"refundflow/refund"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const base = "https://refunds.example.com/prod"

func renderer(t testing.TB) *mail.Renderer {
	t.Helper()
	links, err := mail.NewLinks(base)
	if err != nil {
		t.Fatal(err)
	}
	return &mail.Renderer{Links: links, Company: "Northwind IT Services", SupportEmail: "support@northwind.example", Address: "12 Harbour Street, 1000 Example City"}
}

func eur(minor int64) refund.Money { return refund.Money{Amount: minor, Currency: "EUR"} }

// Offers as refund.Resolve makes them; written out here so the golden files do not change when the
// policy's wording does.
var (
	partialRefund = refund.Offer{
		ID: "req-7f3a-1-partial_refund", RequestID: "req-7f3a", OrderNumber: "RF-2025-0042",
		Kind: refund.OfferPartialRefund, Amount: eur(123450),
		Breakdown: []refund.Line{
			{Label: "Paid", Amount: eur(200000)},
			{Label: "Milestone 1: Discovery (delivered)", Amount: eur(-60000)},
			{Label: "Cancellation fee (5% of the undelivered work)", Amount: eur(-16550)},
		},
		Terms:         "EUR 1,234.50 will be refunded to the card ending 4242 used for the original 3-D Secure payment, within 5–10 business days. Refunds go back to the original payment only.",
		EffectiveDate: "2025-07-01", PolicyVersion: "2025-06-default",
	}
	serviceCredit = refund.Offer{
		ID: "req-7f3a-2-service_credit", RequestID: "req-7f3a", OrderNumber: "RF-2025-0042",
		Kind: refund.OfferServiceCredit, Amount: eur(135795),
		Terms:         "A service credit of EUR 1,357.95 is granted to Zoë Müller for any of our services, usable until 2026-07-01 inclusive. The credit is not paid out in money and nothing is refunded to the card.",
		EffectiveDate: "2025-07-01", ValidUntil: "2026-07-01", PolicyVersion: "2025-06-default",
	}
	switchService = refund.Offer{
		ID: "req-7f3a-3-switch_service", RequestID: "req-7f3a", OrderNumber: "RF-2025-0042",
		Kind: refund.OfferSwitchService, Amount: eur(135795),
		Terms:         "A credit of EUR 1,357.95 is applied to another of our services, chosen together with our team, usable until 2026-07-01 inclusive. The credit is not paid out in money and nothing is refunded to the card.",
		EffectiveDate: "2025-07-01", ValidUntil: "2026-07-01", PolicyVersion: "2025-06-default",
	}
	pause = refund.Offer{
		ID: "req-9c1d-2-pause", RequestID: "req-9c1d", OrderNumber: "RF-2025-0107",
		Kind: refund.OfferPause, Amount: eur(0),
		Terms:         "The support subscription is paused for 3 months from 2025-07-01 and resumes automatically on 2025-10-01. Nothing is charged during the pause and nothing is refunded.",
		EffectiveDate: "2025-07-01", PauseMonths: 3, PolicyVersion: "2025-06-default",
	}
	periodEnd = refund.Offer{
		ID: "req-9c1d-3-cancel_at_period_end", RequestID: "req-9c1d", OrderNumber: "RF-2025-0107",
		Kind: refund.OfferCancelAtPeriodEnd, Amount: eur(0),
		Terms:         "The support subscription continues until the end of the paid period on 2025-07-31 and then ends. Nothing more is charged and nothing is refunded.",
		EffectiveDate: "2025-07-31", PolicyVersion: "2025-06-default",
	}
)

// base data shared by the samples: a client with a non-ASCII name, an order, a request and its codes.
func sampleData() mail.Data {
	return mail.Data{
		To:             "zoe.mueller@example.com",
		CustomerName:   "Zoë Müller",
		OrderNumber:    "RF-2025-0042",
		RequestID:      "req-7f3a",
		RequestKind:    refund.KindRefund,
		Service:        refund.ServiceProject,
		StatusCode:     "st_Q2xpZW50U3RhdHVzQ29kZQ",
		ConsentCode:    "cs_Q29uc2VudExpbmtDb2RlMTI4",
		FeedbackCode:   "fb_RmVlZGJhY2tMaW5rQ29kZQ",
		ConsentExpires: time.Date(2025, 7, 8, 14, 30, 0, 0, time.UTC),
		CardHint:       "4242",
		RefundTiming:   "within 5–10 business days",
	}
}

type sample struct {
	name string
	kind mail.Kind
	data mail.Data
}

// samples returns one sample per email, and one per variant of the completed and staff emails.
func samples() []sample {
	with := func(f func(*mail.Data)) mail.Data {
		d := sampleData()
		f(&d)
		return d
	}
	offers := []refund.Offer{partialRefund, serviceCredit, switchService}
	return []sample{
		{"received", mail.KindReceived, with(func(d *mail.Data) {})},
		{"offers", mail.KindOffers, with(func(d *mail.Data) { d.Offers = offers })},
		{"reminder", mail.KindReminder, with(func(d *mail.Data) { d.Offers = offers })},
		{"completed_refund", mail.KindCompleted, with(func(d *mail.Data) {
			d.Offer = &partialRefund
			d.RefundReference = "re_3QxYzAbCdEf"
		})},
		{"completed_credit", mail.KindCompleted, with(func(d *mail.Data) {
			d.Offer = &serviceCredit
			d.FeedbackCode = ""
		})},
		{"completed_switch", mail.KindCompleted, with(func(d *mail.Data) { d.Offer = &switchService })},
		{"completed_pause", mail.KindCompleted, with(func(d *mail.Data) {
			d.Offer, d.Service, d.OrderNumber = &pause, refund.ServiceSubscription, "RF-2025-0107"
		})},
		{"completed_period_end", mail.KindCompleted, with(func(d *mail.Data) {
			d.Offer, d.Service, d.OrderNumber = &periodEnd, refund.ServiceSubscription, "RF-2025-0107"
		})},
		{"completed_hours_no_card", mail.KindCompleted, with(func(d *mail.Data) {
			o := partialRefund
			o.Kind = refund.OfferFullRefund
			d.Offer, d.Service, d.CardHint, d.RefundTiming = &o, refund.ServiceHours, "", ""
		})},
		{"declined", mail.KindDeclined, with(func(d *mail.Data) {})},
		{"withdrawn", mail.KindWithdrawn, with(func(d *mail.Data) { d.RequestKind = refund.KindCancellation })},
		{"expired", mail.KindExpired, with(func(d *mail.Data) {})},
		{"rejected", mail.KindRejected, with(func(d *mail.Data) {
			d.CustomerName = ""
			d.Findings = []refund.Finding{
				{Code: refund.FindingOrderMatched, Message: "We found order RF-2025-0042.", Passed: true},
				{Code: refund.FindingTooOld, Message: "Requests can be made up to 365 days after the purchase date. Order RF-2025-0042 was bought on 2024-03-01, 487 days ago, so it can no longer be cancelled or refunded through this form."},
			}
		})},
		{"review_rejected", mail.KindReviewRejected, with(func(d *mail.Data) {
			d.StaffMessage = "All three milestones of this project were delivered and accepted in writing on 12 May.\nThe final report is attached to your account.\n\nWe are happy to discuss follow-up work instead."
		})},
		{"closed", mail.KindClosed, with(func(d *mail.Data) {
			d.StaffMessage = "We paid the remaining EUR 250.00 by bank transfer on 14 March, as agreed on the phone.\n<script>alert(1)</script>"
		})},
		{"reply", mail.KindReply, with(func(d *mail.Data) {
			d.StaffMessage = "Your refund left us on 14 March; banks take 5 to 10 business days.\n<script>alert(1)</script> & <b>not bold</b>"
		})},
		{"completed_settled_outside", mail.KindCompleted, with(func(d *mail.Data) {
			d.Settled = &refund.RefundRecord{Amount: refund.Money{Amount: 25000, Currency: "EUR"}, Method: "bank transfer", ProviderRefundID: "TR-2025-0314", SettledOutside: true}
		})},
		{"needs_attention", mail.KindNeedsAttention, with(func(d *mail.Data) {})},
		{"feedback", mail.KindFeedback, with(func(d *mail.Data) {})},
		{"staff_review", mail.KindStaffReview, with(func(d *mail.Data) {
			d.To = ""
			d.Offers = offers
			d.ReviewReasons = []string{
				"The client's reason (the service is not as described) always goes to a person.",
				"The order is marked as disputed.",
			}
		})},
		{"staff_declined", mail.KindStaffDeclined, with(func(d *mail.Data) {
			d.To = ""
			d.DeclineReason = "I'd rather keep the project running.\nThanks anyway!"
		})},
		{"staff_declined_no_reason", mail.KindStaffDeclined, with(func(d *mail.Data) { d.To = "" })},
		{"staff_needs_attention", mail.KindStaffNeedsAttention, with(func(d *mail.Data) {
			d.To = ""
			d.ErrorName = "PaymentDeclined"
		})},
		{"completed_refund_pending", mail.KindCompleted, with(func(d *mail.Data) {
			d.Offer = &partialRefund
			d.RefundReference = "re_3QxYzAbCdEf"
			d.RefundPending = true
		})},
		{"refund_failed", mail.KindRefundFailed, with(func(d *mail.Data) { d.FailedRefund = &failedRefund })},
		{"refund_failed_no_reason", mail.KindRefundFailed, with(func(d *mail.Data) {
			r := failedRefund
			r.ProviderFailure = "unknown"
			d.FailedRefund, d.CardHint = &r, ""
		})},
		{"staff_refund_failed", mail.KindStaffRefundFailed, with(func(d *mail.Data) {
			d.To = ""
			d.FailedRefund = &failedRefund
		})},
		{"staff_dispute_opened", mail.KindStaffDispute, with(func(d *mail.Data) {
			d.To = ""
			d.Dispute = &openDispute
			d.DisputeAction = "Request req-7f3a was waiting for the client's answer to its offers: it is back in staff review, and its offers were withdrawn until you decide."
		})},
		{"staff_dispute_lost", mail.KindStaffDispute, with(func(d *mail.Data) {
			d.To = ""
			lost := openDispute
			lost.Status = refund.DisputeLost
			d.Dispute = &lost
			d.DisputeAction = "Request req-7f3a is in staff review."
		})},
	}
}

// failedRefund is a refund that failed at the provider after it accepted it.
var failedRefund = refund.RefundRecord{
	OrderNumber: "RF-2025-0042", RequestID: "req-7f3a", N: 1, Amount: eur(123450), PaymentReference: "pi_3QxYz",
	IdempotencyKey: "refund:req-7f3a:1", State: refund.RefundFailed, ProviderRefundID: "re_3QxYzAbCdEf",
	ProviderStatus: refund.ProviderRefundFailed, ProviderFailure: "expired_or_canceled_card",
	FailureReason: "the provider reports the refund as failed (expired_or_canceled_card)",
	CreatedAt:     time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC),
}

// openDispute is a dispute the client opened with their bank.
var openDispute = refund.Dispute{
	ID: "dp_1QxYz", PaymentReference: "pi_3QxYz", Amount: eur(200000), Reason: "product_not_received",
	Status: refund.DisputeNeedsResponse, ReportedAt: time.Date(2025, 7, 3, 8, 0, 0, 0, time.UTC),
}

func TestEveryKindHasASample(t *testing.T) {
	covered := map[mail.Kind]bool{}
	for _, s := range samples() {
		covered[s.kind] = true
	}
	for _, k := range mail.Kinds() {
		if !covered[k] {
			t.Errorf("kind %s has no sample (and so no golden file)", k)
		}
	}
}

// TestGolden renders every sample and compares it with testdata/golden/<name>.txt (To, Subject and
// the text part) and <name>.html. Run with -update to rewrite them, then read the diff.
func TestGolden(t *testing.T) {
	r := renderer(t)
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			msg, err := r.Render(s.kind, s.data)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			to := strings.Join(msg.To, ", ")
			if to == "" {
				to = "(Sender.StaffTo)"
			}
			text := "To: " + to + "\nSubject: " + msg.Subject + "\n\n" + msg.Text
			compareGolden(t, filepath.Join("testdata", "golden", s.name+".txt"), text)
			compareGolden(t, filepath.Join("testdata", "golden", s.name+".html"), msg.HTML)
		})
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./mail -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the rendered email (run go test ./mail -update and review the diff)\n--- got ---\n%s", path, got)
	}
}

var (
	textURL = regexp.MustCompile(`[a-z][a-z0-9+.-]*://[^\s<>"]+`)
	href    = regexp.MustCompile(`(?i)\b(?:href|src)\s*=\s*"([^"]*)"`)
)

// Every link in every email, text or HTML, is absolute and starts with the configured base URL; the
// only exception is the support mailto: link.
func TestLinksAreAbsoluteOnTheBaseURL(t *testing.T) {
	r := renderer(t)
	for _, s := range samples() {
		msg, err := r.Render(s.kind, s.data)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		var links []string
		links = append(links, textURL.FindAllString(msg.Text, -1)...)
		for _, m := range href.FindAllStringSubmatch(msg.HTML, -1) {
			links = append(links, html.UnescapeString(m[1]))
		}
		for _, m := range textURL.FindAllString(msg.HTML, -1) {
			links = append(links, html.UnescapeString(m))
		}
		if len(links) == 0 {
			t.Errorf("%s: no links found", s.name)
		}
		for _, l := range links {
			if l == "mailto:support@northwind.example" {
				continue
			}
			if !strings.HasPrefix(l, base+"/") {
				t.Errorf("%s: link %q does not start with %s/", s.name, l, base)
			}
		}
	}
}

// The links each email must carry, with the codes in them.
func TestEmailsCarryTheirLinks(t *testing.T) {
	r := renderer(t)
	d := sampleData()
	statusURL := base + "/requests/req-7f3a?t=" + d.StatusCode
	consentURL := base + "/consent/" + d.ConsentCode
	feedbackURL := base + "/feedback/" + d.FeedbackCode
	staffURL := base + "/staff?request=req-7f3a"
	want := map[string][]string{
		"received":                  {statusURL},
		"offers":                    {consentURL, statusURL},
		"reminder":                  {consentURL},
		"completed_refund":          {feedbackURL, statusURL},
		"completed_credit":          {statusURL},
		"feedback":                  {feedbackURL},
		"declined":                  {base + "/", statusURL},
		"withdrawn":                 {base + "/", statusURL},
		"expired":                   {base + "/", statusURL},
		"rejected":                  {statusURL},
		"review_rejected":           {statusURL},
		"closed":                    {statusURL},
		"reply":                     {statusURL},
		"completed_settled_outside": {statusURL, feedbackURL},
		"staff_review":              {staffURL},
		"staff_declined":            {staffURL},
		"needs_attention":           {statusURL},
		"staff_needs_attention":     {staffURL},
	}
	for _, s := range samples() {
		urls, ok := want[s.name]
		if !ok {
			continue
		}
		msg, err := r.Render(s.kind, s.data)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range urls {
			if !strings.Contains(msg.Text, u) {
				t.Errorf("%s text lacks %s", s.name, u)
			}
			if !strings.Contains(html.UnescapeString(msg.HTML), `href="`+u+`"`) {
				t.Errorf("%s HTML lacks a link to %s", s.name, u)
			}
		}
	}
	// The completed email without a feedback code has no feedback link.
	msg, err := r.Render(mail.KindCompleted, samples()[4].data)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(msg.Text, "/feedback/") || strings.Contains(msg.HTML, "/feedback/") {
		t.Error("completed email without a feedback code links to feedback")
	}
}

// emptyPlaceholder finds the traces an empty or missing value leaves in a sentence.
var emptyPlaceholder = regexp.MustCompile(`<no value>|\{\{|\}\}|href=""|\( *\)|\S[^\S\n]{2,}\S| [.,;:!?](\s|$)|[:,] *$|%!|\bnil\b|0001-01-01|\bfor order\s+[.,]`)

func TestNoEmptyPlaceholders(t *testing.T) {
	r := renderer(t)
	for _, s := range samples() {
		msg, err := r.Render(s.kind, s.data)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		for part, body := range map[string]string{"subject": msg.Subject, "text": msg.Text, "html": visibleText(msg.HTML)} {
			if m := emptyPlaceholder.FindString(body); m != "" {
				t.Errorf("%s %s has an empty placeholder near %q", s.name, part, m)
			}
		}
	}
}

// visibleText strips tags, so the placeholder check sees the sentences a reader sees.
func visibleText(h string) string {
	h = regexp.MustCompile(`(?s)<head>.*</head>`).ReplaceAllString(h, "")
	h = regexp.MustCompile(`</?(?:strong|a|code|br)\b[^>]*>`).ReplaceAllString(h, "")
	h = regexp.MustCompile(`<[^>]*>`).ReplaceAllString(h, " ")
	h = html.UnescapeString(h)
	return strings.Join(strings.Fields(h), " ")
}

// Removing any one field a kind requires makes Render fail instead of sending a hole.
func TestMissingRequiredFieldsAreRefused(t *testing.T) {
	r := renderer(t)
	clear := map[string]func(*mail.Data){
		"recipient (To)":      func(d *mail.Data) { d.To = "" },
		"order number":        func(d *mail.Data) { d.OrderNumber = " " },
		"request id":          func(d *mail.Data) { d.RequestID = "" },
		"status link code":    func(d *mail.Data) { d.StatusCode = "" },
		"consent link code":   func(d *mail.Data) { d.ConsentCode = "" },
		"consent link expiry": func(d *mail.Data) { d.ConsentExpires = time.Time{} },
		"feedback link code":  func(d *mail.Data) { d.FeedbackCode = "" },
		"offers":              func(d *mail.Data) { d.Offers = nil },
		"the offer carried out or the settlement": func(d *mail.Data) { d.Offer, d.Settled = nil, nil },
		"a failed finding": func(d *mail.Data) {
			d.Findings = []refund.Finding{{Code: refund.FindingOK, Message: "Fine.", Passed: true}}
		},
		"staff message":     func(d *mail.Data) { d.StaffMessage = "\n" },
		"review reasons":    func(d *mail.Data) { d.ReviewReasons = nil },
		"the failed refund": func(d *mail.Data) { d.FailedRefund = nil },
		"the dispute":       func(d *mail.Data) { d.Dispute = &refund.Dispute{} },
	}
	seen := map[mail.Kind]bool{}
	for _, s := range samples() {
		if seen[s.kind] {
			continue
		}
		seen[s.kind] = true
		for _, field := range mail.Required(s.kind) {
			f, ok := clear[field]
			if !ok {
				t.Fatalf("no way to clear required field %q", field)
			}
			d := s.data
			f(&d)
			if _, err := r.Render(s.kind, d); err == nil || !strings.Contains(err.Error(), field) {
				t.Errorf("%s without %s: err = %v, want an error naming it", s.kind, field, err)
			}
		}
	}
	if _, err := r.Render("bogus", sampleData()); err == nil {
		t.Error("an unknown kind rendered")
	}
	if _, err := (&mail.Renderer{Company: "X"}).Render(mail.KindReceived, sampleData()); err == nil {
		t.Error("a renderer without a base URL rendered")
	}
}

// Everything a client or staff member typed is escaped in the HTML and kept as typed in the text.
func TestHTMLEscapesEverything(t *testing.T) {
	r := renderer(t)
	evil := `<script>alert("x")</script> & O'Brien <img src=x onerror=alert(1)>`
	d := sampleData()
	d.CustomerName = evil
	d.StaffMessage = evil
	d.DeclineReason = evil
	d.ReviewReasons = []string{evil}
	d.Findings = []refund.Finding{{Code: refund.FindingTooOld, Message: evil}}
	d.ErrorName = evil
	o := partialRefund
	o.Terms = evil
	d.Offer = &o
	d.Offers = []refund.Offer{o}
	d.RefundReference = evil
	fr := failedRefund
	fr.ProviderRefundID, fr.FailureReason, fr.ProviderFailure = evil, evil, evil
	d.FailedRefund = &fr
	dp := openDispute
	dp.ID, dp.Reason = evil, evil
	d.Dispute, d.DisputeAction = &dp, evil
	for _, k := range mail.Kinds() {
		dd := d
		if k.Staff() {
			dd.To = ""
		}
		msg, err := r.Render(k, dd)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		for _, bad := range []string{"<script", "<img"} {
			if strings.Contains(msg.HTML, bad) {
				t.Errorf("%s HTML contains unescaped %q", k, bad)
			}
		}
		if m := regexp.MustCompile(`<[^>]*onerror`).FindString(msg.HTML); m != "" {
			t.Errorf("%s HTML has an event handler attribute: %q", k, m)
		}
		if strings.Contains(msg.Text, "&lt;") || strings.Contains(msg.Text, "&amp;") {
			t.Errorf("%s text is HTML-escaped", k)
		}
	}
	msg, err := r.Render(mail.KindReceived, d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg.HTML, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; O&#39;Brien") {
		t.Errorf("received HTML does not show the escaped name:\n%s", msg.HTML)
	}
	if !strings.Contains(msg.Text, "Hello "+evil+",") {
		t.Errorf("received text does not greet with the name as typed:\n%s", msg.Text)
	}
}

func TestSubjectIsOneLine(t *testing.T) {
	d := sampleData()
	d.OrderNumber = "RF-1\r\nBcc: victim@example.com"
	msg, err := renderer(t).Render(mail.KindReceived, d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(msg.Subject, "\r\n") {
		t.Errorf("subject %q spans lines", msg.Subject)
	}
}

// The text part stands on its own: every fact of the HTML part is in it too.
func TestTextPartIsComplete(t *testing.T) {
	r := renderer(t)
	for _, s := range samples() {
		msg, err := r.Render(s.kind, s.data)
		if err != nil {
			t.Fatal(err)
		}
		facts := []string{s.data.OrderNumber, s.data.RequestID}
		if s.data.Offer != nil && s.data.Offer.Amount.Amount != 0 {
			facts = append(facts, s.data.Offer.Amount.String())
		}
		for _, o := range s.data.Offers {
			facts = append(facts, o.Kind.Label(), o.Terms)
		}
		for _, f := range s.data.Findings {
			if !f.Passed {
				facts = append(facts, f.Message)
			}
		}
		if s.data.StaffMessage != "" && (s.kind == mail.KindReviewRejected || s.kind == mail.KindClosed || s.kind == mail.KindReply) {
			facts = append(facts, s.data.StaffMessage)
		}
		facts = append(facts, s.data.ReviewReasons...)
		if s.kind == mail.KindStaffDeclined && s.data.DeclineReason != "" {
			facts = append(facts, s.data.DeclineReason)
		}
		for _, f := range facts {
			if !strings.Contains(msg.Text, f) {
				t.Errorf("%s text lacks %q", s.name, f)
			}
			// The HTML shows typed line breaks as <p> and <br>: look for each line.
			for _, line := range strings.Split(f, "\n") {
				if line != "" && !strings.Contains(html.UnescapeString(msg.HTML), line) {
					t.Errorf("%s HTML lacks %q", s.name, line)
				}
			}
		}
	}
}

func TestCompletedRefundNamesAmountAndCard(t *testing.T) {
	msg, err := renderer(t).Render(mail.KindCompleted, samples()[3].data)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"EUR 1,234.50", "card ending 4242", "1 July 2025", "within 5–10 business days"} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, msg.Text)
		}
	}
}

// Offers straight from the domain's Resolve render too, whatever the policy's current wording.
func TestOffersFromResolve(t *testing.T) {
	order := refund.Order{
		Number: "RF-2025-0042", CustomerName: "Zoë Müller", Email: "zoe@example.com", PurchaseDate: "2025-06-20",
		Currency: "EUR", Paid: 200000,
		Payment: refund.Payment{Provider: "sandbox", Reference: "pi_1", CardHint: "4242", ThreeDSecure: true, Captured: true},
		Status:  refund.OrderActive,
		Service: refund.Service{Type: refund.ServiceHours, Hours: &refund.Hours{Purchased: 20, Used: 5, TotalPrice: 200000}},
		Version: 1,
	}
	req := refund.Request{ID: "req-1", OrderNumber: order.Number, Kind: refund.KindRefund, Reason: refund.ReasonNoLongerNeeded, Status: refund.StatusAwaitingConsent}
	res := refund.Resolve(refund.DefaultPolicy(), req, order, time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC))
	if len(res.Offers) == 0 {
		t.Fatal("Resolve made no offers")
	}
	d := sampleData()
	d.Offers = res.Offers
	msg, err := renderer(t).Render(mail.KindOffers, d)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Offers {
		if !strings.Contains(msg.Text, o.Kind.Label()) || (o.Amount.Amount != 0 && !strings.Contains(msg.Text, o.Amount.String())) {
			t.Errorf("offers text lacks %s %s:\n%s", o.Kind.Label(), o.Amount, msg.Text)
		}
	}
}

func TestOutcomeKind(t *testing.T) {
	for _, st := range refund.Statuses() {
		k, ok := mail.OutcomeKind(st)
		if got, want := ok, st.Terminal() || st == refund.StatusNeedsAttention; got != want {
			t.Errorf("OutcomeKind(%s) ok = %v, want %v", st, got, want)
		}
		if ok && !slices.Contains(mail.Kinds(), k) {
			t.Errorf("OutcomeKind(%s) = %q, not a kind", st, k)
		}
	}
}

func TestLinks(t *testing.T) {
	for _, tt := range []struct {
		base   string
		status string
		form   string
	}{
		{"https://refunds.example.com", "https://refunds.example.com/requests/r%2F1?t=a%2Bb%3D", "https://refunds.example.com/"},
		{"https://refunds.example.com/", "https://refunds.example.com/requests/r%2F1?t=a%2Bb%3D", "https://refunds.example.com/"},
		{"http://127.0.0.1:8080/prod/", "http://127.0.0.1:8080/prod/requests/r%2F1?t=a%2Bb%3D", "http://127.0.0.1:8080/prod/"},
	} {
		l, err := mail.NewLinks(tt.base)
		if err != nil {
			t.Fatalf("NewLinks(%q): %v", tt.base, err)
		}
		if got, want := l.StatusURL("r/1", "a+b="), tt.status; got != want {
			t.Errorf("StatusURL on %q = %q, want %q", tt.base, got, want)
		}
		if got, want := l.FormURL(), tt.form; got != want {
			t.Errorf("FormURL on %q = %q, want %q", tt.base, got, want)
		}
	}
	l, _ := mail.NewLinks("https://x.example/p")
	for _, tt := range []struct{ got, want string }{
		{l.ConsentURL("c0de"), "https://x.example/p/consent/c0de"},
		{l.FeedbackURL("f/b"), "https://x.example/p/feedback/f%2Fb"},
		{l.StaffRequestURL("req-1"), "https://x.example/p/staff?request=req-1"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	for _, bad := range []string{"", "refunds.example.com", "ftp://x.example", "https://", "https://u:p@x.example", "https://x.example/?a=1", "https://x.example/#f", "javascript:alert(1)"} {
		if _, err := mail.NewLinks(bad); err == nil {
			t.Errorf("NewLinks(%q) accepted", bad)
		}
	}
}

// Every HTML email is a complete document whose tags are properly nested and closed.
func TestHTMLIsWellFormed(t *testing.T) {
	void := map[string]bool{"!doctype": true, "meta": true, "br": true, "hr": true, "img": true}
	tag := regexp.MustCompile(`<(/?)([a-zA-Z!][a-zA-Z0-9]*)[^>]*>`)
	r := renderer(t)
	for _, s := range samples() {
		msg, err := r.Render(s.kind, s.data)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(msg.HTML, "<!DOCTYPE html>") || !strings.HasSuffix(msg.HTML, "</html>\n") {
			t.Errorf("%s: not a complete HTML document", s.name)
		}
		var stack []string
		for _, m := range tag.FindAllStringSubmatch(msg.HTML, -1) {
			name := strings.ToLower(m[2])
			switch {
			case void[name]:
			case m[1] == "":
				stack = append(stack, name)
			case len(stack) == 0 || stack[len(stack)-1] != name:
				t.Fatalf("%s: </%s> does not close %v", s.name, name, stack)
			default:
				stack = stack[:len(stack)-1]
			}
		}
		if len(stack) != 0 {
			t.Errorf("%s: unclosed tags %v", s.name, stack)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	r := renderer(b)
	for _, s := range samples() {
		if s.name != "offers" && s.name != "completed_refund" {
			continue
		}
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Render(s.kind, s.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCompletedEmailCarriesTheSignedAgreement: the attachment goes on the message as given, and both
// versions say it is attached and where it can be checked.
func TestCompletedEmailCarriesTheSignedAgreement(t *testing.T) {
	d := sampleData()
	d.Offer = &partialRefund
	pdf := mail.Attachment{FileName: "agreement-RF-2025-0042.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.3 ...")}
	d.Attachments = []mail.Attachment{pdf}
	msg, err := renderer(t).Render(mail.KindCompleted, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Attachments) != 1 || msg.Attachments[0].FileName != pdf.FileName || string(msg.Attachments[0].Data) != string(pdf.Data) {
		t.Errorf("attachments = %+v", msg.Attachments)
	}
	for name, body := range map[string]string{"text": msg.Text, "HTML": msg.HTML} {
		if !strings.Contains(body, "Your signed agreement is attached (agreement-RF-2025-0042.pdf)") || !strings.Contains(body, "/verify") {
			t.Errorf("the %s version does not mention the attachment and /verify:\n%s", name, body)
		}
	}
	d.Attachments = nil
	if msg, err := renderer(t).Render(mail.KindCompleted, d); err != nil || strings.Contains(msg.Text, "attached") {
		t.Errorf("without an attachment the email says one is attached (%v)", err)
	}
}

// TestEveryEmailSurvivesJSON checks the wire of SendMailFunction, which StaffApi and StripeWebhook
// invoke with the kind and the Data as JSON: every sample written from its Data after a JSON round
// trip is the email written from the Data itself, so no field a template reads is lost on the way.
func TestEveryEmailSurvivesJSON(t *testing.T) {
	r := renderer(t)
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			want, err := r.Render(s.kind, s.data)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(s.data)
			if err != nil {
				t.Fatal(err)
			}
			var back mail.Data
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			got, err := r.Render(s.kind, back)
			if err != nil {
				t.Fatalf("after JSON: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the email written after a JSON round trip differs:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}
