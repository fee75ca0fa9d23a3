package stack

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"refundflow/handler"
	"refundflow/refund"
)

// The end-to-end tests walk the whole process over HTTP only, as a client and staff do: the request
// form, the emails in the outbox, the consent page, the status page, the feedback page and the staff
// API with the token the stack prints. Each test starts its own stack, so the clock and the demo
// orders are its own.

// consentChoice returns the value of the consent page's offer radio button whose offer has the kind.
func consentChoice(t *testing.T, f form, kind refund.OfferKind) string {
	t.Helper()
	for _, v := range f.Radios["offer"] {
		id, _, ok := strings.Cut(v, "|")
		if ok && strings.HasSuffix(id, "-"+string(kind)) {
			return v
		}
	}
	t.Fatalf("the consent page offers %q, none of kind %s", f.Radios["offer"], kind)
	return ""
}

// offerOf returns the offer with the id from the staff detail.
func offerOf(t *testing.T, d handler.RequestDetail, id string) handler.StaffOffer {
	t.Helper()
	for _, o := range d.Offers {
		if o.ID == id {
			return o
		}
	}
	t.Fatalf("request %s has no offer %s (offers %+v)", d.Request.ID, id, d.Offers)
	return handler.StaffOffer{}
}

// accept fills the consent page's accept form as a client does and returns the page the POST leads
// to (after its 303). It returns the chosen offer's ID and hash too.
func accept(t *testing.T, v *visitor, consentURL string, kind refund.OfferKind, name string) (p page, offerID, hash string) {
	t.Helper()
	cp := v.get(consentURL)
	if cp.Status != http.StatusOK {
		t.Fatalf("consent page: %s", cp)
	}
	f := formWith(t, cp, "consent-accept")
	choice := consentChoice(t, f, kind)
	offerID, hash, _ = strings.Cut(choice, "|")
	if f.Values.Get("decision") != "accept" {
		t.Fatalf("the accept form lacks its decision: %v", f.Values)
	}
	if !strings.Contains(mainText(t, cp), hash) {
		t.Errorf("the consent page does not show the offer's fingerprint %s", hash)
	}
	f.Values.Set("offer", choice)
	f.Values.Set("full_name", name)
	f.Values.Set("agree", "yes")
	done := v.postForm(f.Action, f.Values)
	if done.Status != http.StatusSeeOther {
		t.Fatalf("accept: %s", done)
	}
	return v.follow(done), offerID, hash
}

// TestClientAcceptsRefundAndGivesFeedback is the whole happy path: a client asks for a refund of a
// project bought 3 days ago, gets the options by email, opens the link, accepts the full refund with
// their typed name, the refund is issued once, and the outcome email invites them to give feedback.
func TestClientAcceptsRefundAndGivesFeedback(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	client, staff := newVisitor(t, s), newStaff(t, s)
	order := demoOrder(t, s, "RF-1001")

	status := client.submitForm(order, refund.KindRefund, refund.ReasonChangedMind, "We found an in-house team.")
	statusURL := status.URL
	id := requestID(t, statusURL)
	mustContain(t, status, id, order.Number, "We found an in-house team.")
	for h, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "same-origin"} {
		if got := status.Header.Get(h); got != want {
			t.Errorf("status page %s: %q, want %q", h, got, want)
		}
	}

	// The options email (the first email on the automatic path) goes to the address on the order;
	// its link opens the consent page, and it links a status page of its own.
	offers := client.waitMail(order.Email, "Your options for order "+order.Number)
	consentURL := link(t, offers, "/consent/")
	if p := client.get(link(t, offers, "/requests/"+id)); p.Status != http.StatusOK {
		t.Errorf("status link of the options email: %s", p)
	}
	view := client.waitStatus(statusURL, refund.StatusAwaitingConsent)
	if !view.CanWithdraw {
		t.Errorf("a request awaiting consent cannot be withdrawn: %+v", view)
	}

	// Looking changes nothing: a GET and a HEAD (mail scanners) leave the request waiting.
	cp := client.get(consentURL)
	if cp.Status != http.StatusOK {
		t.Fatalf("consent page: %s", cp)
	}
	mustContain(t, cp, "Your options for order "+order.Number, order.CustomerName, "The agreement you sign", "Full refund")
	for h, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "same-origin"} {
		if got := cp.Header.Get(h); got != want {
			t.Errorf("consent page %s: %q, want %q", h, got, want)
		}
	}
	if !strings.Contains(cp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("consent page CSP %q", cp.Header.Get("Content-Security-Policy"))
	}
	if head := client.do(http.MethodHead, consentURL, nil, nil); head.Status != http.StatusOK || len(head.Body) != 0 {
		t.Errorf("HEAD of the consent link: %s", head)
	}

	// The same form posted from another website (a page there that knows the link) decides nothing.
	f := formWith(t, cp, "consent-accept")
	forged := url.Values{"decision": {"accept"}, "offer": {consentChoice(t, f, refund.OfferFullRefund)},
		"full_name": {order.CustomerName}, "agree": {"yes"}}
	if p := newVisitor(t, s).do(http.MethodPost, f.Action, strings.NewReader(forged.Encode()), map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site",
	}); p.Status != http.StatusForbidden || !strings.Contains(mainText(t, p), "sent from another website") {
		t.Errorf("consent POST from another website: %s", p)
	}
	if got := client.waitStatus(statusURL, refund.StatusAwaitingConsent).Request.Version; got != view.Request.Version {
		t.Errorf("looking at the consent page changed the request (version %d → %d)", view.Request.Version, got)
	}

	recorded, offerID, hash := accept(t, client, consentURL, refund.OfferFullRefund, order.CustomerName)
	if recorded.Status != http.StatusOK {
		t.Errorf("the page after accepting: %s", recorded)
	}
	mustContain(t, recorded, "recorded", "You accepted Full refund")

	done := client.waitStatus(statusURL, refund.StatusCompleted)
	var moves []refund.Status
	for _, e := range done.Timeline {
		moves = append(moves, e.Status)
	}
	if got, want := moves, []refund.Status{refund.StatusSubmitted, refund.StatusAwaitingConsent, refund.StatusExecuting, refund.StatusCompleted}; !equal(got, want) {
		t.Errorf("timeline %v, want %v", got, want)
	}
	if done.CanWithdraw {
		t.Errorf("a completed request can still be withdrawn")
	}
	html := client.get(statusURL)
	mustContain(t, html, "Status: Completed")
	// Only the question form is left: the client can still ask about what was done.
	if fs := formsOf(t, html); len(fs) != 1 || !strings.HasSuffix(fs[0].Action, "/questions") {
		t.Errorf("the status page of a completed request has forms %+v, want only the question form (no withdraw)", fs)
	}

	// The outcome email names the amount and the card, and invites feedback.
	outcome := client.waitMail(order.Email, "Your refund for order "+order.Number+" has been issued")
	for _, want := range []string{"EUR 1,800.00", "4242"} {
		if !strings.Contains(outcome.Text, want) {
			t.Errorf("outcome email does not say %q:\n%s", want, outcome.Text)
		}
	}
	feedbackURL := link(t, outcome, "/feedback/")

	// Exactly one refund, of the accepted offer's amount, to the original payment.
	staffView := checkMoney(t, s, staff, id, 180000)
	if o := offerOf(t, staffView, offerID); o.AgreementHash != hash || o.Amount.Amount != 180000 {
		t.Errorf("accepted offer %s: hash %s amount %v, the page showed hash %s", offerID, o.AgreementHash, o.Amount, hash)
	}
	if c := staffView.Consent; c == nil || c.OfferID != offerID || c.OfferHash != hash || c.TypedName != order.CustomerName || c.IP == "" || c.UserAgent == "" {
		t.Errorf("consent record %+v, want offer %s, hash %s, the typed name, IP and user agent", c, offerID, hash)
	}
	if got := staffView.Order.Refunded; got != 180000 {
		t.Errorf("order ledger refunded %d, want 180000", got)
	}
	viewed := 0
	for _, e := range staffView.Audit {
		if e.Action == "viewed" {
			viewed++
		}
	}
	if viewed < 3 { // GET, HEAD, GET before accepting
		t.Errorf("%d viewed entries in the audit trail, want one per GET/HEAD of the consent link", viewed)
	}

	// A second submit of the same consent (back button, double click) is recorded once.
	again := client.postForm(formWith(t, cp, "consent-accept").Action, func() url.Values {
		v := formWith(t, cp, "consent-accept").Values
		v.Set("offer", offerID+"|"+hash)
		v.Set("full_name", order.CustomerName)
		v.Set("agree", "yes")
		return v
	}())
	if again.Status != http.StatusGone {
		t.Errorf("second consent POST: %s", again)
	}
	mustContain(t, again, "already recorded")
	checkMoney(t, s, staff, id, 180000)

	// Feedback.
	fp := client.get(feedbackURL)
	if fp.Status != http.StatusOK {
		t.Fatalf("feedback page: %s", fp)
	}
	ff := formWith(t, fp, "")
	if got, want := ff.Radios["rating"], []string{"1", "2", "3", "4", "5"}; !equal(got, want) {
		t.Errorf("ratings %v, want %v", got, want)
	}
	ff.Values.Set("rating", "5")
	ff.Values.Set("comment", "Quick and clear.\r\nThank you!")
	thanks := client.postForm(ff.Action, ff.Values)
	if thanks.Status == http.StatusSeeOther {
		thanks = client.follow(thanks)
	}
	if thanks.Status != http.StatusOK {
		t.Fatalf("feedback POST: %s", thanks)
	}
	mustContain(t, thanks, "Thank you for your feedback")
	var fl handler.FeedbackList
	staff.call(http.MethodGet, "/feedback", nil, &fl, http.StatusOK)
	if len(fl.Feedback) != 1 || fl.Feedback[0].RequestID != id || fl.Feedback[0].Rating != 5 || fl.Feedback[0].Comment != "Quick and clear.\nThank you!" {
		t.Errorf("staff feedback list %+v", fl.Feedback)
	}
	if d := staff.detail(id); d.Feedback == nil || d.Feedback.Rating != 5 {
		t.Errorf("request detail feedback %+v", d.Feedback)
	}
}

// formsOf returns a page's forms (none for a page without).
func formsOf(t *testing.T, p page) []form { t.Helper(); return forms(t, p) }

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestStaffAdjustsReviewedRequest is a case the policy sends to staff: a refund above the review
// threshold. Staff find it in the console's API with the printed token, lower the amount, and the
// client consents to the adjusted offer; the refund is exactly the adjusted amount.
func TestStaffAdjustsReviewedRequest(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	client, staff := newVisitor(t, s), newStaff(t, s)
	order := demoOrder(t, s, "RF-1005")

	statusURL := client.submitForm(order, refund.KindRefund, refund.ReasonNoLongerNeeded, "").URL
	id := requestID(t, statusURL)
	client.waitStatus(statusURL, refund.StatusInReview)

	// The client is told the request was received and is with staff, with a status link.
	received := client.waitMail(order.Email, "We received your refund request for order "+order.Number)
	if !strings.Contains(received.Text, "reviewing it") {
		t.Errorf("the confirmation email does not say staff review the request:\n%s", received.Text)
	}
	if p := client.get(link(t, received, "/requests/"+id)); p.Status != http.StatusOK {
		t.Errorf("status link of the confirmation email: %s", p)
	}

	// Staff are told, with a link to the console.
	notice := client.waitMail(localStaffEmail, "Review needed: request "+id)
	if l := link(t, notice, "/staff"); !strings.Contains(l, id) {
		t.Errorf("staff email links %s, not the request", l)
	}
	// The staff routes need the token.
	if p := client.get("/staff/api/requests?status=in_review"); p.Status != http.StatusUnauthorized {
		t.Errorf("staff API without a token: %s", p)
	}

	listed := staff.waitInReview(order.Number)
	if listed.ID != id {
		t.Fatalf("in review: %s, want %s", listed.ID, id)
	}
	d := staff.detail(id)
	if len(d.ReviewReasons) == 0 || d.LastWait != refund.TokenReview {
		t.Errorf("detail of a request in review: reasons %q, last wait %q", d.ReviewReasons, d.LastWait)
	}
	var full handler.StaffOffer
	for _, o := range d.Offers {
		if o.Kind == refund.OfferFullRefund {
			full = o
		}
	}
	if full.ID == "" || full.Amount.Amount != order.Paid {
		t.Fatalf("offers for review %+v, want a full refund of %d", d.Offers, order.Paid)
	}
	if subjects := client.mailsTo(order.Email); len(subjects) != 1 {
		t.Errorf("before the review the client got %q, want only the confirmation", subjects)
	}

	var res handler.ReviewResult
	staff.call(http.MethodPost, "/requests/"+id+"/review", handler.ReviewDecision{
		Decision: handler.ReviewAdjust, Message: "Goodwill: the architecture workshop took place.",
		Offers: []refund.OfferAdjustment{{ID: full.ID, Amount: "9000.00"}},
	}, &res, http.StatusOK)
	// EUR 9,000.00 is above the four-eyes limit: proposed, then confirmed by the supervisor.
	if res.AwaitingConfirmation == nil || len(res.Offers) != 1 || res.Offers[0].Kind != refund.OfferPartialRefund || res.Offers[0].Amount.Amount != 900000 {
		t.Fatalf("adjust answer %+v, want a proposal awaiting confirmation", res)
	}
	newSupervisor(t, s).call(http.MethodPost, "/requests/"+id+"/review", handler.ReviewDecision{Decision: handler.ReviewConfirm}, &res, http.StatusOK)
	if !res.Delivered || len(res.Offers) != 1 || res.Offers[0].Amount.Amount != 900000 {
		t.Fatalf("confirm answer %+v", res)
	}

	offers := client.waitMail(order.Email, "Your options for order "+order.Number)
	consentURL := link(t, offers, "/consent/")
	cp := client.get(consentURL)
	mustContain(t, cp, "EUR 9,000.00", "Adjusted by our team")
	if strings.Contains(mainText(t, cp), "EUR 12,000.00:") {
		t.Errorf("the consent page still offers the unadjusted amount")
	}
	_, offerID, _ := accept(t, client, consentURL, refund.OfferPartialRefund, order.CustomerName)
	if offerID != res.Offers[0].ID {
		t.Errorf("accepted %s, want the adjusted offer %s", offerID, res.Offers[0].ID)
	}
	client.waitStatus(statusURL, refund.StatusCompleted)
	after := checkMoney(t, s, staff, id, 900000)
	if after.Remaining.Amount != order.Paid-900000 {
		t.Errorf("remaining %v after a partial refund of 9000.00 on %d", after.Remaining, order.Paid)
	}
	outcome := client.waitMail(order.Email, "Your refund for order "+order.Number+" has been issued")
	if !strings.Contains(outcome.Text, "EUR 9,000.00") {
		t.Errorf("outcome email:\n%s", outcome.Text)
	}
	found := false
	for _, e := range after.Audit {
		found = found || e.Action == "offers_adjusted" && strings.HasPrefix(e.Actor, "staff:")
	}
	if !found {
		t.Errorf("no offers_adjusted entry by staff in the audit trail %+v", after.Audit)
	}
}

// TestStaffApprovesAndRejects creates two orders as an integrator does (the card payment taken at the
// sandbox provider through POST /_local/payments, then the order PUT through the staff API with the
// billing system's token), and takes one request through an approval and the other through a
// rejection.
func TestStaffApprovesAndRejects(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	newOrder := func(t *testing.T, number, email string) refund.Order {
		t.Helper()
		ref := takePayment(t, s, refund.Money{Amount: 1500000, Currency: "EUR"})
		o := refund.Order{Number: number, CustomerName: "Barbara Liskov", Email: email,
			PurchaseDate: s.Clock.Now().UTC().AddDate(0, 0, -2).Format(refund.DateLayout), Currency: "EUR", Paid: 1500000,
			Status:  refund.OrderActive,
			Payment: refund.Payment{Provider: "sandbox", Reference: ref, CardHint: "1117", ThreeDSecure: true, Captured: true},
			Service: refund.Service{Type: refund.ServiceProject, Project: &refund.Project{Milestones: []refund.Milestone{
				{Name: "Everything", Price: 1500000, Status: refund.MilestoneNotStarted},
			}}}}
		var stored refund.Order
		newBilling(t, s).call(http.MethodPut, "/orders/"+number, o, &stored, http.StatusCreated)
		return stored
	}

	t.Run("approve", func(t *testing.T) {
		t.Parallel()
		client, staff := newVisitor(t, s), newStaff(t, s)
		order := newOrder(t, "RF-2001", "barbara@example.com")
		statusURL := client.submitForm(order, refund.KindRefund, refund.ReasonChangedMind, "").URL
		id := requestID(t, statusURL)
		staff.waitInReview(order.Number)
		var res handler.ReviewResult
		staff.call(http.MethodPost, "/requests/"+id+"/review", handler.ReviewDecision{Decision: handler.ReviewApprove}, &res, http.StatusOK)
		if res.AwaitingConfirmation == nil {
			t.Fatalf("approving EUR 15,000.00 alone: %+v, want a proposal awaiting confirmation", res)
		}
		// The proposer cannot confirm; the supervisor can.
		staff.call(http.MethodPost, "/requests/"+id+"/review", handler.ReviewDecision{Decision: handler.ReviewConfirm}, nil, http.StatusForbidden)
		newSupervisor(t, s).call(http.MethodPost, "/requests/"+id+"/review", handler.ReviewDecision{Decision: handler.ReviewConfirm}, &res, http.StatusOK)
		if !res.Delivered {
			t.Fatalf("approve not delivered: %+v", res)
		}
		// A second decision finds the review over.
		staff.call(http.MethodPost, "/requests/"+id+"/review", handler.ReviewDecision{Decision: handler.ReviewApprove}, nil, http.StatusConflict)
		consentURL := link(t, client.waitMail(order.Email, "Your options for order "+order.Number), "/consent/")
		accept(t, client, consentURL, refund.OfferFullRefund, order.CustomerName)
		client.waitStatus(statusURL, refund.StatusCompleted)
		checkMoney(t, s, staff, id, order.Paid)
	})
	t.Run("reject", func(t *testing.T) {
		t.Parallel()
		client, staff := newVisitor(t, s), newStaff(t, s)
		order := newOrder(t, "RF-2002", "barbara.l@example.com")
		statusURL := client.submitForm(order, refund.KindRefund, refund.ReasonChangedMind, "").URL
		id := requestID(t, statusURL)
		staff.waitInReview(order.Number)
		staff.call(http.MethodPost, "/requests/"+id+"/review", handler.ReviewDecision{Decision: handler.ReviewReject}, nil, http.StatusBadRequest)
		staff.call(http.MethodPost, "/requests/"+id+"/review", handler.ReviewDecision{
			Decision: handler.ReviewReject, Message: "The project was delivered as agreed; please call us."}, nil, http.StatusOK)
		client.waitStatus(statusURL, refund.StatusReviewRejected)
		m := client.waitMail(order.Email, "About your request for order "+order.Number)
		if !strings.Contains(m.Text, "please call us") {
			t.Errorf("rejection email does not carry the staff's message:\n%s", m.Text)
		}
		for _, subj := range client.mailsTo(order.Email) {
			if strings.HasPrefix(subj, "Your options") {
				t.Errorf("a rejected request's client got %q", subj)
			}
		}
		checkMoney(t, s, staff, id, 0)
	})
}

// TestClientDeclines declines the offers with a reason: nothing is refunded, staff hear about it, and
// the link then says the answer is recorded.
func TestClientDeclines(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	client, staff := newVisitor(t, s), newStaff(t, s)
	order := demoOrder(t, s, "RF-1002")

	statusURL := client.submitForm(order, refund.KindRefund, refund.ReasonTooExpensive, "Our budget was cut.").URL
	id := requestID(t, statusURL)
	consentURL := link(t, client.waitMail(order.Email, "Your options for order "+order.Number), "/consent/")
	cp := client.get(consentURL)
	if cp.Status != http.StatusOK {
		t.Fatalf("consent page: %s", cp)
	}
	f := formWith(t, cp, "consent-decline")
	if f.Values.Get("decision") != "decline" {
		t.Fatalf("decline form %v", f.Values)
	}
	f.Values.Set("decline_reason", "I would rather finish the project.")
	recorded := client.follow(client.postForm(f.Action, f.Values))
	mustContain(t, recorded, "You declined")

	client.waitStatus(statusURL, refund.StatusDeclined)
	client.waitMail(order.Email, "You declined our offer for order "+order.Number)
	client.waitMail(localStaffEmail, "Client declined: request "+id)
	d := checkMoney(t, s, staff, id, 0)
	if d.Consent == nil || d.Consent.Decision != refund.DecisionDecline || d.Consent.DeclineReason != "I would rather finish the project." {
		t.Errorf("decline record %+v", d.Consent)
	}
	if p := client.get(consentURL); p.Status != http.StatusGone {
		t.Errorf("consent link after declining: %s", p)
	}
}

// TestClientWithdraws withdraws the request from the status page while the offers wait: the workflow
// ends, the client is told, and the consent link says the request was withdrawn.
func TestClientWithdraws(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	client, staff := newVisitor(t, s), newStaff(t, s)
	order := demoOrder(t, s, "RF-1003")

	statusURL := client.submitForm(order, refund.KindCancellation, refund.ReasonNoLongerNeeded, "").URL
	id := requestID(t, statusURL)
	consentURL := link(t, client.waitMail(order.Email, "Your options for order "+order.Number), "/consent/")
	client.waitStatus(statusURL, refund.StatusAwaitingConsent)

	sp := client.get(statusURL)
	var f form // the withdraw form, beside the question form
	for _, c := range formsOf(t, sp) {
		if strings.HasSuffix(c.Action, "/withdraw") {
			f = c
		}
	}
	if f.Action != "/requests/"+id+"/withdraw" || f.Values.Get("t") == "" || len(f.Values) != 1 {
		t.Fatalf("withdraw form %+v", f)
	}
	back := client.follow(client.postForm(f.Action, f.Values))
	if back.Status != http.StatusOK {
		t.Fatalf("after withdrawing: %s", back)
	}
	mustContain(t, back, "Status: Withdrawn")
	client.waitStatus(statusURL, refund.StatusWithdrawn)
	client.waitMail(order.Email, "Your request for order "+order.Number+" has been withdrawn")
	checkMoney(t, s, staff, id, 0)

	p := client.get(consentURL)
	if p.Status != http.StatusGone {
		t.Errorf("consent link after withdrawing: %s", p)
	}
	mustContain(t, p, "withdrawn")
	for _, f := range formsOf(t, client.get(statusURL)) {
		if strings.HasSuffix(f.Action, "/withdraw") {
			t.Errorf("the status page of a withdrawn request still offers to withdraw")
		}
	}
	// The order is free for a new request.
	again := client.submitForm(order, refund.KindRefund, refund.ReasonNoLongerNeeded, "")
	if requestID(t, again.URL) == id {
		t.Errorf("a new request after withdrawing got the old ID")
	}
}

// TestConsentExpiresWithTimeTravel moves the stack's clock as a person does with POST /_local/clock:
// after 7 days the client is reminded and the first link still works; after 7 more the offer expires,
// the client is told, and the link says so.
func TestConsentExpiresWithTimeTravel(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	client, staff := newVisitor(t, s), newStaff(t, s)
	order := demoOrder(t, s, "RF-1004")

	statusURL := client.submitForm(order, refund.KindRefund, refund.ReasonNoLongerNeeded, "").URL
	id := requestID(t, statusURL)
	consentURL := link(t, client.waitMail(order.Email, "Your options for order "+order.Number), "/consent/")
	client.waitStatus(statusURL, refund.StatusAwaitingConsent)
	start := s.Clock.Now()

	// As `curl -d '{"advance":"7d"}'` sends it: JSON under a form Content-Type.
	travel := func(body, contentType string) time.Time {
		t.Helper()
		p := client.do(http.MethodPost, "/_local/clock", strings.NewReader(body), map[string]string{"Content-Type": contentType})
		if p.Status != http.StatusOK {
			t.Fatalf("time travel %s: %s", body, p)
		}
		var out struct{ Now, Offset string }
		if err := json.Unmarshal(p.Body, &out); err != nil {
			t.Fatalf("time travel answer %s: %v", p.Body, err)
		}
		now, err := time.Parse(time.RFC3339, out.Now)
		if err != nil {
			t.Fatalf("time travel answer %s: %v", p.Body, err)
		}
		return now
	}
	now := travel(`{"advance":"7d"}`, "application/x-www-form-urlencoded")
	if d := now.Sub(start); d < 7*24*time.Hour-time.Second {
		t.Errorf("the clock moved %v, want 7 days", d)
	}
	// The clock POST returns once the workflows have caught up, so the reminder is there already.
	reminder := client.waitMail(order.Email, "Reminder: your options for order "+order.Number)
	client.waitStatus(statusURL, refund.StatusAwaitingConsent)
	for _, u := range []string{consentURL, link(t, reminder, "/consent/")} {
		p := client.get(u)
		if p.Status != http.StatusOK {
			t.Errorf("consent link %s after the reminder: %s", u, p)
			continue
		}
		formWith(t, p, "consent-accept")
	}

	travel(`{"advance": "7d"}`, "application/json")
	expired := client.waitMail(order.Email, "Our offer for order "+order.Number+" has expired")
	if expired.SentAt.Sub(start) < 14*24*time.Hour-time.Minute {
		t.Errorf("expiry email sent at %v, %v after the offer", expired.SentAt, expired.SentAt.Sub(start))
	}
	client.waitStatus(statusURL, refund.StatusExpired)
	for _, u := range []string{consentURL, link(t, reminder, "/consent/")} {
		p := client.get(u)
		if p.Status != http.StatusGone {
			t.Errorf("consent link %s after expiry: %s", u, p)
		}
		mustContain(t, p, "This link has expired")
	}
	checkMoney(t, s, staff, id, 0)

	// The local page shows how far the clock has travelled.
	if text := mainText(t, client.get("/_local/")); !strings.Contains(text, ": 14 days ahead of the wall clock.") {
		t.Errorf("the local page does not show the clock 14 days ahead: %s", truncate(text, 300))
	}
}
