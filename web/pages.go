package web

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"refundflow/refund"
)

// SummaryItem is one line of the error summary at the top of a form: the message and the id of the
// input it links to (empty when the error belongs to no input on the page).
type SummaryItem struct {
	Anchor  string
	Message string
}

// field pairs a form field name with the id of the element its error summary line links to.
type field struct{ name, anchor string }

// summarize lists errs in the order the fields appear on the page (so the summary reads like the
// form), then any errors for fields the page does not show, by name.
func summarize(errs refund.FieldErrors, order []field) []SummaryItem {
	if len(errs) == 0 {
		return nil
	}
	var items []SummaryItem
	seen := map[string]bool{}
	for _, f := range order {
		if msg, ok := errs[f.name]; ok {
			items = append(items, SummaryItem{Anchor: f.anchor, Message: msg})
			seen[f.name] = true
		}
	}
	var rest []string
	for name := range errs {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	for _, name := range rest {
		items = append(items, SummaryItem{Message: errs[name]})
	}
	return items
}

// Option is one choice of a radio group or select: its value, its label, and whether it is chosen.
type Option struct {
	Value    string
	Label    string
	Selected bool
}

// FormPage is the request form (GET /), shown empty or again with what the client typed and a message
// next to each invalid field.
type FormPage struct {
	// Action is where the form posts; "/requests" when empty.
	Action string
	// Values are what the client typed, shown again after an error.
	Values refund.Submission
	// Errors has one message per invalid field, keyed like refund.Submission's JSON names.
	Errors refund.FieldErrors
	// Message is an optional notice above the form, such as "There is already an open request for
	// this order." for a conflict.
	Message string
}

func (p FormPage) info() pageInfo {
	title := "Cancel a service or ask for a refund"
	if len(p.Errors) > 0 {
		title = "Error: " + title
	}
	return pageInfo{template: "form", title: title}
}

// FormAction returns where the form posts.
func (p FormPage) FormAction() string {
	if p.Action == "" {
		return "/requests"
	}
	return p.Action
}

// Summary lists the errors in form order for the error summary.
func (p FormPage) Summary() []SummaryItem {
	return summarize(p.Errors, []field{
		{"order_number", "order_number"}, {"purchase_date", "purchase_date"}, {"email", "email"},
		{"name", "name"}, {"kind", "kind-" + string(refund.RequestKinds()[0])}, {"reason", "reason"},
		{"details", "details"},
	})
}

// Kinds returns the request kinds as radio options, the typed one selected.
func (p FormPage) Kinds() []Option {
	var out []Option
	for _, k := range refund.RequestKinds() {
		out = append(out, Option{Value: string(k), Label: k.Label(), Selected: string(k) == p.Values.Kind})
	}
	return out
}

// Reasons returns the reasons with their labels as select options, the chosen one selected.
func (p FormPage) Reasons() []Option {
	var out []Option
	for _, r := range refund.Reasons() {
		out = append(out, Option{Value: string(r), Label: r.Label(), Selected: string(r) == p.Values.Reason})
	}
	return out
}

// TimelineEntry is one event on the status page, usually made from an audit entry that changed the
// status. Handlers must only put client-facing events here, never staff notes.
type TimelineEntry struct {
	// At is when it happened.
	At time.Time
	// Status is the status the request moved to.
	Status refund.Status
	// Note replaces the status's standard sentence (refund.Status.Describe) when set.
	Note string
}

// Text returns the sentence the timeline shows for the entry.
func (e TimelineEntry) Text() string {
	if e.Note != "" {
		return e.Note
	}
	return e.Status.Describe()
}

// StatusPage is the client's view of one request (GET /requests/{id}?t=<code>).
type StatusPage struct {
	// Request is the request as stored.
	Request refund.Request
	// Timeline lists what happened, oldest first.
	Timeline []TimelineEntry
	// Findings are the verification results to show (for a rejected request, why).
	Findings []refund.Finding
	// Notice is an optional message at the top, such as "Your request was withdrawn."
	Notice string
	// CanWithdraw shows the withdraw form; set it only while the request can still be withdrawn.
	CanWithdraw bool
	// WithdrawAction is where the withdraw form posts, "/requests/{id}/withdraw".
	WithdrawAction string
	// StatusCode is the page's link code (the t parameter); the withdraw form posts it back as "t".
	StatusCode string
	// Outcome says what the client accepted and, once it is carried out, what was done; nil when
	// the client has not accepted an offer.
	Outcome *StatusOutcome
	// Questions is the thread with staff and the form to ask a question (templates/parts/questions.html).
	Questions Questions
	// Offers are the options awaiting the client's answer (awaiting_consent only), with their amounts.
	Offers []refund.Offer
	// AnswerBy is when the offers expire (awaiting_consent); not shown when zero.
	AnswerBy time.Time
	// RefundTiming says when refunded money reaches the card, from the policy.
	RefundTiming string
	// StaffMessage is the staff's explanation after a review found no offer possible
	// (RequestRecord.ReviewMessage).
	StaffMessage string
	// AgreementURL downloads the signed agreement (PDF) once the client accepted; "" hides the link.
	AgreementURL string
}

// Questions is the status page's conversation with staff: the client's questions and the replies,
// and the form that sends a new question.
type Questions struct {
	// Thread is the messages, oldest first.
	Thread []ThreadEntry
	// Action is where the form posts, "/requests/{id}/questions"; StatusCode goes with it as "t".
	Action     string
	StatusCode string
	// Sent says the page follows a question just sent.
	Sent bool
	// MaxRunes and PerDay are the limits on a question, for the form's hint.
	MaxRunes int
	PerDay   int
}

// ThreadEntry is one message of the thread on the status page. Text is plain text; the template
// escapes it.
type ThreadEntry struct {
	At        time.Time
	FromStaff bool
	Text      string
}

// StatusOutcome is the offer a client accepted, for the status page: the amount and the card for a
// refund, the credit and until when it can be used, the pause or the end of a subscription.
type StatusOutcome struct {
	// Offer is the accepted offer.
	Offer refund.Offer
	// CardHint is the last four digits of the card a refund goes back to; "" when unknown.
	CardHint string
	// Done says the offer has been carried out (the request is completed).
	Done bool
	// RefundPending says the payment provider is still processing the refund it accepted.
	RefundPending bool
	// RefundFailed says the refund failed at the payment provider after it was accepted: the money
	// did not go back, whatever the request's status says.
	RefundFailed bool
}

// Text returns the sentence the status page shows: what was done, or what was accepted and is
// being carried out.
func (o StatusOutcome) Text() string {
	amount := o.Offer.Amount.String()
	card := "the card you paid with"
	if o.CardHint != "" {
		card = "your card ending " + o.CardHint
	}
	until := ""
	if o.Offer.ValidUntil != "" {
		until = ", usable until " + formatDay(o.Offer.ValidUntil)
	}
	from := formatDay(o.Offer.EffectiveDate)
	months := strconv.Itoa(o.Offer.PauseMonths) + " months"
	if o.Offer.PauseMonths == 1 {
		months = "1 month"
	}
	switch o.Offer.Kind {
	case refund.OfferFullRefund, refund.OfferPartialRefund:
		switch {
		case o.RefundFailed:
			return "The refund of " + amount + " to " + card + " did not go through, so the money has not gone back to you yet. It is still owed to you: our team will contact you to return it another way."
		case o.Done && o.RefundPending:
			return "We sent a refund of " + amount + " to " + card + "; the payment provider is still processing it."
		case o.Done:
			return "We refunded " + amount + " to " + card + "."
		}
		return "You accepted a refund of " + amount + " to " + card + "."
	case refund.OfferServiceCredit:
		if o.Done {
			return "A service credit of " + amount + " is on your account" + until + "."
		}
		return "You accepted a service credit of " + amount + until + "."
	case refund.OfferSwitchService:
		if o.Done {
			return "A credit of " + amount + " is reserved for your new service" + until + "."
		}
		return "You accepted a credit of " + amount + " for a new service" + until + "."
	case refund.OfferPause:
		if o.Done {
			return "Your subscription is paused for " + months + " from " + from + "."
		}
		return "You accepted a pause of your subscription for " + months + " from " + from + "."
	case refund.OfferCancelAtPeriodEnd:
		if o.Done {
			return "Your subscription continues until " + from + " and then ends."
		}
		return "You accepted that your subscription ends on " + from + "."
	}
	return "You accepted: " + o.Offer.Kind.Label() + "."
}

func (p StatusPage) info() pageInfo {
	return pageInfo{template: "status", title: p.Heading()}
}

// ConsentOffer is one option on the consent page: the offer, its exact agreement text and the hash
// (refund.AgreementHash) that the client's acceptance binds to.
type ConsentOffer struct {
	Offer     refund.Offer
	Agreement string
	Hash      string
}

// Choice is the value the offer's radio button posts: the offer id and the hash, so the POST names
// exactly the offer and text that were shown. ParseConsentForm splits it.
func (o ConsentOffer) Choice() string { return o.Offer.ID + choiceSep + o.Hash }

// ConsentPage shows the offers for a request and the forms to accept one or decline
// (GET /consent/{code}); after a failed POST it shows them again with the messages.
type ConsentPage struct {
	// Action is where both forms post, "/consent/{code}".
	Action string
	// CustomerName is the name on the order, for the greeting.
	CustomerName string
	// OrderNumber and RequestID say what the offers are for.
	OrderNumber string
	RequestID   string
	// Offers are the options, recommended first.
	Offers []ConsentOffer
	// Deadline is when the offers expire: the end of the consent period, the date the offers email
	// gives. It is not the link's own expiry, which runs a little longer so that a link never dies
	// before the workflow has expired the offers. Not shown when zero.
	Deadline time.Time
	// Selected is the offer id chosen before an error; FullName, Agreed and DeclineReason likewise
	// keep what was entered.
	Selected      string
	FullName      string
	Agreed        bool
	DeclineReason string
	// Errors has one message per invalid field: offer, full_name, agree, decline_reason, decision.
	Errors refund.FieldErrors
	// Message is an optional notice at the top (for example "The offer changed since you opened
	// this page").
	Message string
}

func (p ConsentPage) info() pageInfo {
	title := "Your options for order " + p.OrderNumber
	if len(p.Errors) > 0 {
		title = "Error: " + title
	}
	return pageInfo{template: "consent", title: title}
}

// Summary lists the errors in page order for the error summary.
func (p ConsentPage) Summary() []SummaryItem {
	return summarize(p.Errors, []field{
		{"decision", ""}, {"offer", "offer-1"}, {"full_name", "full_name"}, {"agree", "agree"},
		{"decline_reason", "decline_reason"},
	})
}

// LinkState says why an emailed link cannot show its form.
type LinkState string

// The link states.
const (
	// LinkUnknown: no such code (mistyped, cut off, or never issued). Answered 404.
	LinkUnknown LinkState = "unknown"
	// LinkRecorded: the answer was already recorded (a used link, or a double submit). Answered 410.
	LinkRecorded LinkState = "recorded"
	// LinkExpired: the link's time ran out. Answered 410.
	LinkExpired LinkState = "expired"
	// LinkWithdrawn: the client withdrew the request. Answered 410.
	LinkWithdrawn LinkState = "withdrawn"
	// LinkClosed: the request ended another way, so the link has nothing left to do. Answered 410.
	LinkClosed LinkState = "closed"
	// LinkAccepted: the confirmation right after the client's own acceptance was recorded (the
	// consent POST redirects to it). Answered 200.
	LinkAccepted LinkState = "accepted"
	// LinkDeclined: the confirmation right after the client's own decline was recorded. Answered 200.
	LinkDeclined LinkState = "declined"
)

// LinkPage is the clear page for a consent or feedback link that cannot be used (never a 500).
type LinkPage struct {
	// State says why.
	State LinkState
	// Detail is an optional extra sentence, such as what was recorded and when: "You accepted
	// Full refund (EUR 1,200.00) on 3 March 2025 at 14:05 UTC."
	Detail string
	// StatusURL, when set, links to the request's status page. A confirmation without it says where
	// the status page's link is (in the emails), since only the emails carry status codes.
	StatusURL string
	// Offer names what the client accepted, such as "Full refund (EUR 1,200.00)" (LinkAccepted).
	Offer string
	// Done says that the accepted offer has already been carried out (LinkAccepted).
	Done bool
	// AgreementURL downloads the signed agreement (PDF) of an acceptance; "" hides the link.
	AgreementURL string
}

func (p LinkPage) info() pageInfo { return pageInfo{template: "link", title: p.Heading()} }

// HTTPStatus returns the status to answer with: 404 for an unknown link, 200 for a confirmation,
// 410 Gone otherwise.
func (p LinkPage) HTTPStatus() int {
	switch p.State {
	case LinkUnknown, "":
		return http.StatusNotFound
	case LinkAccepted, LinkDeclined:
		return http.StatusOK
	}
	return http.StatusGone
}

// Confirmation reports whether the page confirms a decision the client has just made, rather than
// explaining why a link cannot be used.
func (p LinkPage) Confirmation() bool { return p.State == LinkAccepted || p.State == LinkDeclined }

// StatusNote says where the link to the status page is, for a confirmation without StatusURL.
func (p LinkPage) StatusNote() string {
	return "You can follow your request on its status page: the link is in the email with your options and in every email we send you about this request."
}

// OffersNewRequest reports whether the page suggests sending a new request: only when the request
// ended without the client's decision (expired, withdrawn, closed) or the link is unknown, not
// right after a decision or for a decision already recorded.
func (p LinkPage) OffersNewRequest() bool {
	return !p.Confirmation() && p.State != LinkRecorded
}

// Heading returns the page's heading for the state.
func (p LinkPage) Heading() string {
	switch p.State {
	case LinkAccepted:
		return "Thank you — we recorded your acceptance"
	case LinkDeclined:
		return "Thank you — we recorded your answer"
	case LinkRecorded:
		return "Your answer is already recorded"
	case LinkExpired:
		return "This link has expired"
	case LinkWithdrawn:
		return "This request was withdrawn"
	case LinkClosed:
		return "This link is no longer in use"
	}
	return "We do not recognise this link"
}

// Message returns the explanation for the state.
func (p LinkPage) Message() string {
	switch p.State {
	case LinkAccepted:
		offer := p.Offer
		if offer == "" {
			offer = "our offer"
		}
		if p.Done {
			return "You accepted " + offer + ". It has been carried out, and we have emailed you the details."
		}
		return "You accepted " + offer + ". We are carrying it out now and will email you as soon as it is done."
	case LinkDeclined:
		return "You declined our offers, so nothing is refunded or changed and your request is closed. We will email you a confirmation."
	case LinkRecorded:
		return "We already have your answer, so nothing more is needed from you. We will email you about the next steps."
	case LinkExpired:
		return "The time to answer this offer has passed, so nothing was changed. You are welcome to send a new request."
	case LinkWithdrawn:
		return "You withdrew this request, so nothing was changed and this link has nothing left to do."
	case LinkClosed:
		return "The request this link belongs to is closed. The emails we sent you explain the outcome."
	}
	return "The link may be incomplete: please copy the whole address from the email. If you received several emails, use the link in the newest one."
}

// FeedbackPage asks how the process went (GET /feedback/{code}), or thanks the client once the
// answer is recorded (Done).
type FeedbackPage struct {
	// Action is where the form posts, "/feedback/{code}".
	Action string
	// Rating ("1" to "5") and Comment keep what was entered after an error.
	Rating  string
	Comment string
	// Errors has one message per invalid field: rating, comment.
	Errors refund.FieldErrors
	// Message is an optional notice at the top.
	Message string
	// Done shows the thank-you page instead of the form.
	Done bool
}

func (p FeedbackPage) info() pageInfo {
	switch {
	case p.Done:
		return pageInfo{template: "feedback", title: "Thank you for your feedback"}
	case len(p.Errors) > 0:
		return pageInfo{template: "feedback", title: "Error: How did we do?"}
	}
	return pageInfo{template: "feedback", title: "How did we do?"}
}

// Summary lists the errors in page order for the error summary.
func (p FeedbackPage) Summary() []SummaryItem {
	return summarize(p.Errors, []field{{"rating", "rating-1"}, {"comment", "comment"}})
}

// Ratings returns the five rating choices, the entered one selected.
func (p FeedbackPage) Ratings() []Option {
	labels := []string{"Very poor", "Poor", "Okay", "Good", "Very good"}
	out := make([]Option, len(labels))
	for i, l := range labels {
		v := strconv.Itoa(i + 1)
		out[i] = Option{Value: v, Label: v + " – " + l, Selected: v == p.Rating}
	}
	return out
}

// ErrorPage is the friendly page for an error (apigw.Error renders it for browsers).
type ErrorPage struct {
	// Status is the HTTP status, shown small for support conversations.
	Status int
	// Title is the heading; a generic one when empty.
	Title string
	// Message explains what happened and what to do, in words for people.
	Message string
	// Fields lists per-field messages, for invalid input that no form shows.
	Fields refund.FieldErrors
	// Reference is the request id to quote to support, shown for internal errors.
	Reference string
}

func (p ErrorPage) info() pageInfo { return pageInfo{template: "error", title: p.Heading()} }

// Heading returns the title, or a generic one.
func (p ErrorPage) Heading() string {
	if p.Title != "" {
		return p.Title
	}
	return "Sorry, something went wrong"
}

// FieldList returns the field messages in name order.
func (p ErrorPage) FieldList() []SummaryItem { return summarize(p.Fields, nil) }

// StaffSignIn is what the staff console needs to sign staff in through the user pool's hosted
// sign-in (OAuth 2.0 authorization code flow with PKCE; staff_signin.js). Every value is public: the
// console's app client has no secret.
type StaffSignIn struct {
	// URL is the hosted sign-in's base URL (https://<prefix>.auth.<region>.amazoncognito.com, or the
	// local stack's stand-in), under which /oauth2/authorize, /oauth2/token and /logout answer.
	URL string
	// ClientID is the console's app client.
	ClientID string
	// RedirectURI is where the sign-in returns with the code; SignOutURI where the sign-out returns.
	RedirectURI, SignOutURI string
}

// StaffPage is the staff console (GET /staff). The page itself holds no data: its scripts sign the
// staff member in (/assets/staff_signin.js, the token kept in sessionStorage for the tab's life) and
// ask the staff JSON API for everything with that token (/assets/staff.js). The script expects these
// shapes, with
// refund.Request, refund.Offer and refund.Finding in their JSON form:
//
//	GET  {api}/requests?status=S[&cursor=C] -> {"requests":[Request...], "next":"C2"}
//	GET  {api}/requests/{id}                -> {"request":Request, "offers":[Offer...],
//	        "findings":[Finding...], "review_reasons":["..."],
//	        "audit":[{"at":RFC3339,"actor","action","from","to","detail"}...]}
//	POST {api}/requests/{id}/review  {"decision":"approve"|"adjust"|"reject", "message":"...",
//	        "offers":[{"id":"<offer it adjusts>","kind":"partial_refund","amount":"1234.50"}]}
//	     (offers only for "adjust"; amount is a decimal in the offer's currency, for refund.ParseMoney)
//	GET  {api}/feedback                     -> {"feedback":[{"request_id","rating","comment","created_at"}...]}
//
// Errors are apigw's {"error":{"code","message","fields"}}, whose message the console shows.
type StaffPage struct {
	// APIBase is the staff API's path prefix; "/staff/api" when empty.
	APIBase string
	// SignIn is the hosted sign-in the console uses; without a URL the console says that sign-in is
	// not configured.
	SignIn StaffSignIn
}

func (p StaffPage) info() pageInfo {
	return pageInfo{template: "staff", title: "Staff console", scripts: []string{"staff_signin.js", "staff.js", "staff_agents.js", "staff_questions.js"}, wide: true, staff: true}
}

// API returns the staff API's path prefix.
func (p StaffPage) API() string {
	if p.APIBase == "" {
		return "/staff/api"
	}
	return p.APIBase
}

// Statuses returns every status as select options, in-review first since that is staff's queue.
func (p StaffPage) Statuses() []Option {
	out := []Option{{Value: string(refund.StatusInReview), Label: StatusLabel(refund.StatusInReview), Selected: true}}
	for _, s := range refund.Statuses() {
		if s != refund.StatusInReview {
			out = append(out, Option{Value: string(s), Label: StatusLabel(s)})
		}
	}
	return out
}

// SandboxPaymentsPage is the page of a sandbox deployment's checkout (GET /sandbox/payments, only with
// PaymentProvider=sandbox): a form whose script (/assets/sandbox_payments.js) takes a card payment at
// the sandbox provider with POST {Path} and the billing system's token, which the person pastes. The
// page holds no data; the route that takes payments requires the token, so the page can be open.
type SandboxPaymentsPage struct {
	// Path is the payments route; "/sandbox/payments" when empty.
	Path string
}

func (p SandboxPaymentsPage) info() pageInfo {
	return pageInfo{template: "sandbox_payments", title: "Sandbox payments", scripts: []string{"sandbox_payments.js"}, staff: true}
}

// Route returns the payments route.
func (p SandboxPaymentsPage) Route() string {
	if p.Path == "" {
		return "/sandbox/payments"
	}
	return p.Path
}
