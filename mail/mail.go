// Package mail writes Refundflow's emails; mail/sesmail sends them through Amazon SES v2.
//
// Every email has a plain-text and an HTML version, rendered from embedded templates (text/template for
// the text, html/template for the HTML, so everything a client typed is escaped in HTML). Each Kind
// declares the Data fields it needs, and Render refuses to produce an email with a missing one, so no
// email ever goes out with an empty placeholder. Links are absolute URLs from Links, built on the
// configured public base URL.
//
// It imports no AWS package: the handler package imports it, so whatever it imports is linked and
// initialised in every function's binary at each cold start.
package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"regexp"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"
	"unicode"

	"refundflow/refund"
)

// Kind names one email.
type Kind string

// The client emails. They go to Data.To, the email on the order record.
const (
	// KindReceived confirms a request that goes to staff review, with the status page link (requests
	// decided automatically get the offers email first, seconds later).
	KindReceived Kind = "received"
	// KindOffers presents the offers with the consent link and its expiry.
	KindOffers Kind = "offers"
	// KindReminder reminds the client of the offers before the consent link expires.
	KindReminder Kind = "reminder"
	// KindCompleted tells what was done: refund (amount and card), credit, pause or cancellation;
	// it invites feedback when Data.FeedbackCode is set.
	KindCompleted Kind = "completed"
	// KindDeclined confirms that the client declined and nothing changed.
	KindDeclined Kind = "declined"
	// KindWithdrawn confirms that the client withdrew the request and nothing changed.
	KindWithdrawn Kind = "withdrawn"
	// KindExpired tells that the offers expired without an answer.
	KindExpired Kind = "expired"
	// KindRejected explains why the request could not be accepted (the failed findings).
	KindRejected Kind = "rejected"
	// KindReviewRejected passes on the staff's explanation after a review found no offer possible.
	KindReviewRejected Kind = "review_rejected"
	// KindClosed passes on the staff's message after they closed a request that needed attention.
	KindClosed Kind = "closed"
	// KindReply passes on a staff reply to the client's question (StaffMessage), with the status page
	// that shows the whole thread.
	KindReply Kind = "reply"
	// KindNeedsAttention tells the client that a person is looking at the request.
	KindNeedsAttention Kind = "needs_attention"
	// KindFeedback invites the client to rate the process, on its own.
	KindFeedback Kind = "feedback"
	// KindRefundFailed tells the client plainly that a refund the provider had accepted failed later:
	// the money did not go back yet, it is still owed, and what happens next.
	KindRefundFailed Kind = "refund_failed"
)

// The staff notifications. They go to the sender's staff addresses (sesmail.Sender.StaffTo) unless
// Data.To is set.
const (
	// KindStaffReview asks staff to review a request, with the policy's reasons.
	KindStaffReview Kind = "staff_review"
	// KindStaffDeclined tells staff that a client declined, with the client's reason.
	KindStaffDeclined Kind = "staff_declined"
	// KindStaffNeedsAttention tells staff that a request failed and needs a person.
	KindStaffNeedsAttention Kind = "staff_needs_attention"
	// KindStaffRefundFailed tells staff that a refund failed at the provider after it was accepted:
	// the ledger released it and the request needs a person to return the money another way.
	KindStaffRefundFailed Kind = "staff_refund_failed"
	// KindStaffDispute tells staff that a dispute on an order's payment was opened or closed at the
	// provider, and what that did to the order's open request.
	KindStaffDispute Kind = "staff_dispute"
)

// Kinds returns every kind, client emails first.
func Kinds() []Kind {
	return []Kind{
		KindReceived, KindOffers, KindReminder, KindCompleted, KindDeclined, KindWithdrawn, KindExpired,
		KindRejected, KindReviewRejected, KindClosed, KindReply, KindNeedsAttention, KindFeedback, KindRefundFailed,
		KindStaffReview, KindStaffDeclined, KindStaffNeedsAttention, KindStaffRefundFailed, KindStaffDispute,
	}
}

// Staff reports whether k is a staff notification rather than a client email.
func (k Kind) Staff() bool {
	switch k {
	case KindStaffReview, KindStaffDeclined, KindStaffNeedsAttention, KindStaffRefundFailed, KindStaffDispute:
		return true
	}
	return false
}

// OutcomeKind returns the client email for a request's final (or needs-attention) status, for the
// Notify step's "outcome" event, and false for a status that has no outcome email.
func OutcomeKind(s refund.Status) (Kind, bool) {
	switch s {
	case refund.StatusCompleted:
		return KindCompleted, true
	case refund.StatusDeclined:
		return KindDeclined, true
	case refund.StatusWithdrawn:
		return KindWithdrawn, true
	case refund.StatusExpired:
		return KindExpired, true
	case refund.StatusRejected:
		return KindRejected, true
	case refund.StatusReviewRejected:
		return KindReviewRejected, true
	case refund.StatusClosed:
		return KindClosed, true
	case refund.StatusNeedsAttention:
		return KindNeedsAttention, true
	}
	return "", false
}

// Data is what an email says. Each kind uses some of the fields and requires a few of them (see
// Render); unused fields are ignored.
type Data struct {
	// To is the recipient of a client email: the email on the order record, never an address typed in
	// the form. Staff notifications leave it empty to go to sesmail.Sender.StaffTo.
	To string
	// CustomerName greets the client; the greeting is "Hello," without it.
	CustomerName string
	// OrderNumber and RequestID identify the case in every email.
	OrderNumber string
	RequestID   string
	// RequestKind words the request as a cancellation or a refund; optional.
	RequestKind refund.RequestKind
	// Service is the order's service type, to name what is cancelled; optional.
	Service refund.ServiceType

	// StatusCode, ConsentCode and FeedbackCode are the random link codes (never the task token) that
	// the links carry. A client email shows its status link whenever StatusCode is set; the received
	// email and every outcome email (OutcomeKind) require it, so the email that ends a request
	// always leads to its whole timeline.
	StatusCode   string
	ConsentCode  string
	FeedbackCode string
	// ConsentExpires is when the consent link stops working (offers and reminder emails).
	ConsentExpires time.Time

	// Offers are the options proposed (offers and reminder emails, staff review).
	Offers []refund.Offer
	// Offer is the option that was carried out (completed email).
	Offer *refund.Offer
	// Settled is the money staff recorded as paid back outside the payment provider (completed email
	// of a request settled outside, instead of Offer): amount, method and reference.
	Settled *refund.RefundRecord
	// CardHint is the last four digits of the refunded card, e.g. "4242"; optional.
	CardHint string
	// RefundTiming says when refunded money arrives, from the policy, e.g. "within 5–10 business
	// days"; optional.
	RefundTiming string
	// RefundReference is the provider's refund id, for the client's bank; optional.
	RefundReference string
	// RefundPending says the provider has not finished the refund yet (completed email); optional.
	RefundPending bool
	// FailedRefund is the refund that failed at the provider after it was accepted (refund_failed,
	// staff_refund_failed).
	FailedRefund *refund.RefundRecord
	// Dispute is the dispute on the order's payment (staff_dispute), and DisputeAction says what it
	// did to the order's open request, for staff.
	Dispute       *refund.Dispute
	DisputeAction string

	// Findings are the verification results; the rejected email lists the failed ones.
	Findings []refund.Finding
	// StaffMessage is the staff's explanation to the client (review_rejected, closed), or their reply
	// to the client's question (reply).
	StaffMessage string
	// DeclineReason is the client's reason for declining (staff_declined); optional.
	DeclineReason string
	// ReviewReasons say why the policy asks for a review (staff_review).
	ReviewReasons []string
	// ErrorName is the error type that stopped the workflow (staff_needs_attention), e.g.
	// "PaymentDeclined"; optional. Never the error message, which may contain anything.
	ErrorName string

	// Attachments are files sent with the email (the signed agreement's PDF with the completed
	// email); optional.
	Attachments []Attachment
}

// Attachment is a file sent with an email.
type Attachment struct {
	// FileName is the name the client sees, e.g. "agreement-RF-1001.pdf".
	FileName string
	// ContentType is its media type, e.g. "application/pdf".
	ContentType string
	// Data is the file.
	Data []byte
}

// Message is a rendered email, ready for sesmail.Sender.Send.
type Message struct {
	// Kind is the email's kind, kept for sending (staff routing, SES tags) and logs.
	Kind Kind
	// To lists the recipients; empty for staff notifications without Data.To.
	To []string
	// Subject is one line.
	Subject string
	// Text is the complete plain-text version.
	Text string
	// HTML is the complete HTML document.
	HTML string
	// Attachments are the files sent with it (Data.Attachments).
	Attachments []Attachment
}

// Renderer renders emails for one deployment: its links and the company's name.
type Renderer struct {
	// Links builds every URL in the emails.
	Links Links
	// Company signs the emails, e.g. "Northwind IT Services".
	Company string
	// SupportEmail is where clients can write with questions; optional.
	SupportEmail string
	// Address is the company's postal address (lines separated by newlines or ", "); optional.
	Address string
	// PolicyURL replaces the link to the published policy page (<base>/policy) when the company
	// publishes its policy elsewhere; optional.
	PolicyURL string
}

// requirement is one Data field a kind needs, with a check and a name for the error.
type requirement struct {
	name string
	ok   func(Data) bool
}

var (
	needTo       = requirement{"recipient (To)", func(d Data) bool { return strings.TrimSpace(d.To) != "" }}
	needOrder    = requirement{"order number", func(d Data) bool { return strings.TrimSpace(d.OrderNumber) != "" }}
	needRequest  = requirement{"request id", func(d Data) bool { return strings.TrimSpace(d.RequestID) != "" }}
	needStatus   = requirement{"status link code", func(d Data) bool { return d.StatusCode != "" }}
	needConsent  = requirement{"consent link code", func(d Data) bool { return d.ConsentCode != "" }}
	needExpiry   = requirement{"consent link expiry", func(d Data) bool { return !d.ConsentExpires.IsZero() }}
	needFeedback = requirement{"feedback link code", func(d Data) bool { return d.FeedbackCode != "" }}
	needOffers   = requirement{"offers", func(d Data) bool { return len(d.Offers) > 0 }}
	needOffer    = requirement{"the offer carried out or the settlement", func(d Data) bool { return d.Offer != nil || d.Settled != nil }}
	needFailed   = requirement{"a failed finding", func(d Data) bool { return len(failed(d.Findings)) > 0 }}
	needMessage  = requirement{"staff message", func(d Data) bool { return strings.TrimSpace(d.StaffMessage) != "" }}
	needReasons  = requirement{"review reasons", func(d Data) bool { return len(d.ReviewReasons) > 0 }}
	needRefund   = requirement{"the failed refund", func(d Data) bool { return d.FailedRefund != nil && d.FailedRefund.Amount.Amount > 0 }}
	needDispute  = requirement{"the dispute", func(d Data) bool { return d.Dispute != nil && d.Dispute.ID != "" }}
)

// requirements lists, per kind, the fields without which the email would have a hole (or, for the
// status link of the outcome emails, without which the client could not see what happened).
var requirements = map[Kind][]requirement{
	KindReceived:            {needTo, needOrder, needRequest, needStatus},
	KindOffers:              {needTo, needOrder, needRequest, needStatus, needConsent, needExpiry, needOffers},
	KindReminder:            {needTo, needOrder, needRequest, needStatus, needConsent, needExpiry, needOffers},
	KindCompleted:           {needTo, needOrder, needRequest, needStatus, needOffer},
	KindDeclined:            {needTo, needOrder, needRequest, needStatus},
	KindWithdrawn:           {needTo, needOrder, needRequest, needStatus},
	KindExpired:             {needTo, needOrder, needRequest, needStatus},
	KindRejected:            {needTo, needOrder, needRequest, needStatus, needFailed},
	KindReviewRejected:      {needTo, needOrder, needRequest, needStatus, needMessage},
	KindClosed:              {needTo, needOrder, needRequest, needStatus, needMessage},
	KindReply:               {needTo, needOrder, needRequest, needStatus, needMessage},
	KindNeedsAttention:      {needTo, needOrder, needRequest, needStatus},
	KindFeedback:            {needTo, needOrder, needRequest, needFeedback},
	KindStaffReview:         {needOrder, needRequest, needReasons},
	KindStaffDeclined:       {needOrder, needRequest},
	KindStaffNeedsAttention: {needOrder, needRequest},
	KindRefundFailed:        {needTo, needOrder, needRequest, needStatus, needRefund},
	KindStaffRefundFailed:   {needOrder, needRequest, needRefund},
	KindStaffDispute:        {needOrder, needRequest, needDispute},
}

// Required returns the names of the Data fields kind needs, for documentation and tests.
func Required(kind Kind) []string {
	var names []string
	for _, r := range requirements[kind] {
		names = append(names, r.name)
	}
	return names
}

// Render writes the email kind from data. It fails if the kind is unknown, a field the kind needs is
// missing, or the Renderer is not configured.
func (r *Renderer) Render(kind Kind, data Data) (Message, error) {
	reqs, ok := requirements[kind]
	if !ok {
		return Message{}, fmt.Errorf("render email: unknown kind %q", kind)
	}
	if r.Links.Base == nil || strings.TrimSpace(r.Company) == "" {
		return Message{}, fmt.Errorf("render %s email: renderer needs a public base URL and a company name", kind)
	}
	var missing []string
	for _, req := range reqs {
		if !req.ok(data) {
			missing = append(missing, req.name)
		}
	}
	if len(missing) > 0 {
		return Message{}, fmt.Errorf("render %s email for request %s: missing %s", kind, data.RequestID, strings.Join(missing, ", "))
	}
	if data.Offer != nil && data.Offer.Kind == "" {
		return Message{}, fmt.Errorf("render %s email for request %s: the offer has no kind", kind, data.RequestID)
	}

	load, ok := templates[kind]
	if !ok {
		return Message{}, fmt.Errorf("render %s email: no templates for this kind", kind)
	}
	set, err := load()
	if err != nil {
		return Message{}, fmt.Errorf("render %s email: %w", kind, err)
	}
	v := r.view(kind, data)
	var subject, text, html bytes.Buffer
	if err := set.text.ExecuteTemplate(&subject, "subject", v); err != nil {
		return Message{}, fmt.Errorf("render %s email subject: %w", kind, err)
	}
	v.Subject = oneLine(subject.String())
	if err := set.text.ExecuteTemplate(&text, "text", v); err != nil {
		return Message{}, fmt.Errorf("render %s email text: %w", kind, err)
	}
	if err := set.html.ExecuteTemplate(&html, "layout", v); err != nil {
		return Message{}, fmt.Errorf("render %s email HTML: %w", kind, err)
	}
	msg := Message{Kind: kind, Subject: v.Subject, Text: tidyText(text.String()), HTML: tidyHTML(html.String()), Attachments: data.Attachments}
	if data.To != "" {
		msg.To = []string{strings.TrimSpace(data.To)}
	}
	return msg, nil
}

// view is what the templates see: the data plus everything derived from it, formatted for people.
type view struct {
	Data
	Kind         Kind
	Company      string
	SupportEmail string
	Address      []string // the postal address's lines
	PolicyURL    string   // the published policy, the version the offers were made under when known
	Subject      string

	Greeting string
	Request  string // "cancellation request" / "refund request" / "request"
	Card     string // "your card ending 4242" / "the card you paid with"
	// ServiceName starts a sentence about the order's service ("Your support subscription"); ServiceVerb
	// agrees with it ("is", or "are" for hours).
	ServiceName string
	ServiceVerb string
	Expires     string // the consent link's expiry, "8 July 2025 at 14:30 UTC"

	StatusURL   string // empty without Data.StatusCode
	ConsentURL  string
	FeedbackURL string
	VerifyURL   string // the public check of a signed agreement, <base>/verify
	FormURL     string
	StaffURL    string

	Options []offerView      // Data.Offers
	Done    *offerView       // Data.Offer
	Failed  []refund.Finding // the failed findings
	Reason  string           // the client's decline reason, trimmed

	// RefundAmount, RefundDate and RefundWhy describe Data.FailedRefund: its amount, the day it was
	// made, and the provider's reason in plain words ("" when it gave none that a client can use).
	RefundAmount, RefundDate, RefundWhy string
	// DisputeAmount, DisputeStatus and DisputeReason describe Data.Dispute in words.
	DisputeAmount, DisputeStatus, DisputeReason string
	// DisputeClosed, DisputeWon and DisputeLost say how the dispute stands.
	DisputeClosed, DisputeWon, DisputeLost bool
}

// offerView is an offer formatted for an email.
type offerView struct {
	Kind        refund.OfferKind
	Label       string
	Amount      string // "" when the offer moves no money
	Terms       string
	Effective   string
	ValidUntil  string
	ResumesOn   string
	PauseLength string // "3 months"
	Refund      bool
	Credit      bool
	Lines       []lineView
}

type lineView struct{ Label, Amount string }

// policyURL links to the published policy: the company's own page when it has one, else the version
// the offers were made under (so the email and the offers it shows agree), else the policy in force.
func (r *Renderer) policyURL(d Data) string {
	if u := strings.TrimSpace(r.PolicyURL); u != "" {
		if strings.HasPrefix(u, "/") && r.Links.Base != nil {
			return r.Links.join(nil) + strings.TrimPrefix(u, "/")
		}
		return u
	}
	version := ""
	switch {
	case d.Offer != nil:
		version = d.Offer.PolicyVersion
	case len(d.Offers) > 0:
		version = d.Offers[0].PolicyVersion
	}
	return r.Links.PolicyURL(version)
}

func (r *Renderer) view(kind Kind, d Data) view {
	v := view{
		Data:         d,
		Kind:         kind,
		Company:      strings.TrimSpace(r.Company),
		SupportEmail: strings.TrimSpace(r.SupportEmail),
		Address:      refund.Company{Address: r.Address}.AddressLines(),
		PolicyURL:    r.policyURL(d),
		Greeting:     "Hello,",
		Request:      "request",
		Card:         "the card you paid with",
		ServiceName:  "Your service",
		ServiceVerb:  "is",
		FormURL:      r.Links.FormURL(),
		StaffURL:     r.Links.StaffRequestURL(d.RequestID),
		Failed:       failed(d.Findings),
		Reason:       strings.TrimSpace(d.DeclineReason),
	}
	if name := strings.TrimSpace(d.CustomerName); name != "" {
		v.Greeting = "Hello " + name + ","
	}
	switch d.RequestKind {
	case refund.KindCancellation:
		v.Request = "cancellation request"
	case refund.KindRefund:
		v.Request = "refund request"
	}
	if d.Service != "" {
		v.ServiceName = "Your " + d.Service.Label()
		if d.Service == refund.ServiceHours {
			v.ServiceVerb = "are"
		}
	}
	if d.CardHint != "" {
		v.Card = "your card ending " + d.CardHint
	}
	if !d.ConsentExpires.IsZero() {
		v.Expires = d.ConsentExpires.UTC().Format("2 January 2006 at 15:04 UTC")
	}
	if d.StatusCode != "" {
		v.StatusURL = r.Links.StatusURL(d.RequestID, d.StatusCode)
	}
	if d.ConsentCode != "" {
		v.ConsentURL = r.Links.ConsentURL(d.ConsentCode)
	}
	if d.FeedbackCode != "" {
		v.FeedbackURL = r.Links.FeedbackURL(d.FeedbackCode)
	}
	v.VerifyURL = r.Links.join(nil, "verify")
	for _, o := range d.Offers {
		v.Options = append(v.Options, formatOffer(o))
	}
	if d.Offer != nil {
		o := formatOffer(*d.Offer)
		v.Done = &o
	}
	if r := d.FailedRefund; r != nil {
		v.RefundAmount = r.Amount.String()
		v.RefundDate = r.CreatedAt.UTC().Format("2 January 2006")
		v.RefundWhy = failureWords(r.ProviderFailure)
	}
	if x := d.Dispute; x != nil {
		v.DisputeAmount = x.Amount.String()
		v.DisputeStatus = strings.ReplaceAll(string(x.Status), "_", " ")
		v.DisputeReason = strings.ReplaceAll(x.Reason, "_", " ")
		v.DisputeClosed, v.DisputeWon, v.DisputeLost = x.Status.Closed(), x.Status == refund.DisputeWon, x.Status == refund.DisputeLost
	}
	return v
}

// failureWords says in a client's words why the provider could not carry out a refund, from its
// failure reason (Stripe's codes); "" for a reason that says nothing a client can act on.
func failureWords(code string) string {
	switch code {
	case "expired_or_canceled_card":
		return "the card has expired or was cancelled"
	case "lost_or_stolen_card":
		return "the card was reported lost or stolen"
	case "declined":
		return "your bank declined it"
	case "insufficient_funds":
		return "the card account could not take it"
	}
	return ""
}

func formatOffer(o refund.Offer) offerView {
	ov := offerView{
		Kind:        o.Kind,
		Label:       o.Kind.Label(),
		Terms:       strings.TrimSpace(o.Terms),
		Effective:   humanDate(o.EffectiveDate),
		ValidUntil:  humanDate(o.ValidUntil),
		PauseLength: fmt.Sprintf("%d months", o.PauseMonths),
		Refund:      o.IsRefund(),
		Credit:      o.IsCredit(),
	}
	if o.Amount.Amount != 0 {
		ov.Amount = o.Amount.String()
	}
	if o.PauseMonths == 1 {
		ov.PauseLength = "1 month"
	}
	if o.Kind == refund.OfferPause {
		if from, err := refund.ParseDate(o.EffectiveDate); err == nil {
			ov.ResumesOn = refund.AddMonths(from, o.PauseMonths).Format("2 January 2006")
		}
	}
	for _, l := range o.Breakdown {
		ov.Lines = append(ov.Lines, lineView{Label: l.Label, Amount: l.Amount.String()})
	}
	return ov
}

// humanDate turns "2025-07-01" into "1 July 2025"; other input is returned as it is.
func humanDate(s string) string {
	t, err := refund.ParseDate(s)
	if err != nil {
		return s
	}
	return t.Format("2 January 2006")
}

func failed(fs []refund.Finding) []refund.Finding {
	var out []refund.Finding
	for _, f := range fs {
		if !f.Passed && strings.TrimSpace(f.Message) != "" {
			out = append(out, f)
		}
	}
	return out
}

// oneLine makes a subject safe for a mail header: control characters and runs of white space become
// one space.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

var (
	blankLines = regexp.MustCompile(`\n{3,}`)
	trailingWS = regexp.MustCompile(`[ \t]+\n`)
)

// tidyText removes the white space left by template actions: trailing spaces, runs of blank lines, and
// blank lines at the start; it ends the text with exactly one newline.
func tidyText(s string) string {
	s = trailingWS.ReplaceAllString(s, "\n")
	s = blankLines.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s) + "\n"
}

var (
	blankHTMLLines = regexp.MustCompile(`\n\s*\n`)
	paragraphBreak = regexp.MustCompile(`\n[^\S\n]*\n\s*`)
)

// tidyHTML drops the blank lines template actions leave in the HTML source. Text a person typed is
// never affected: its line breaks are <p> and <br> by then (see paragraphs).
func tidyHTML(s string) string {
	s = trailingWS.ReplaceAllString(s, "\n")
	s = blankHTMLLines.ReplaceAllString(s, "\n")
	return strings.TrimSpace(s) + "\n"
}

//go:embed templates
var templateFS embed.FS

// button is the argument of the HTML "button" template: a prominent link with its address spelled out
// below it, for mail clients that hide link targets.
type button struct{ URL, Label string }

var htmlFuncs = htmltemplate.FuncMap{
	"button":     func(url, label string) button { return button{URL: url, Label: label} },
	"paragraphs": paragraphs,
}

// paragraphs splits text a person typed into paragraphs (at blank lines) of lines, so the HTML shows
// its line breaks with <p> and <br> while every piece is still escaped by html/template.
func paragraphs(s string) [][]string {
	var out [][]string
	for _, p := range paragraphBreak.Split(strings.TrimSpace(s), -1) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.Split(p, "\n"))
		}
	}
	return out
}

// templateSet holds one kind's parsed templates.
type templateSet struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// templates parses each kind's templates from the embedded files once, on the kind's first Render,
// not at package init: parsing all seventeen kinds there took about 6 ms of every function's cold
// start, also in the functions that send no email, while a function that does send pays here for
// only the kinds it renders. TestEveryKindParses keeps a broken template from being deployed.
var templates = lazyTemplates()

// lazyTemplates returns, for every kind, a function that parses its templates on the first call and
// returns that result ever after.
func lazyTemplates() map[Kind]func() (templateSet, error) {
	m := make(map[Kind]func() (templateSet, error), len(Kinds()))
	for _, k := range Kinds() {
		m[k] = sync.OnceValues(func() (templateSet, error) { return parse(k) })
	}
	return m
}

// parse parses one kind's text and HTML templates with the shared partials and layout.
func parse(k Kind) (templateSet, error) {
	txt, err := texttemplate.New(string(k)).Option("missingkey=error").
		ParseFS(templateFS, "templates/partials.txt", "templates/"+string(k)+".txt")
	if err != nil {
		return templateSet{}, fmt.Errorf("parse %s text template: %w", k, err)
	}
	html, err := htmltemplate.New(string(k)).Option("missingkey=error").Funcs(htmlFuncs).
		ParseFS(templateFS, "templates/layout.html", "templates/partials.html", "templates/"+string(k)+".html")
	if err != nil {
		return templateSet{}, fmt.Errorf("parse %s HTML template: %w", k, err)
	}
	return templateSet{text: txt, html: html}, nil
}
