package handler

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/refund"
	"refundflow/web"
)

// RequestStatus is the client's view of one request: GET /requests/{id}?t=<status code> shows the
// request and its timeline (HTML, or JSON for Accept: application/json), and POST
// /requests/{id}/withdraw (with t, as a form or as JSON) withdraws it while that is still allowed.
// POST /requests/{id}/questions (with t and message, as a form or as JSON) sends the client's question
// to staff (questions.go); the page shows the thread of questions and replies.
//
// The status code is the secret: a wrong, missing or expired code answers exactly like an unknown
// request id (404), so the page cannot be used to find out which requests exist. A withdrawal posted
// from another website is refused (CrossOrigin).
type RequestStatus struct {
	// Store reads the request, its link codes, audit trail and outcome, and records the withdrawal.
	Store RequestStatusStore
	// Waits completes the parked workflow wait with {"outcome":"withdrawn"}.
	Waits WaitCompleter
	// CrossOrigin refuses withdrawals that a browser posts from another website.
	CrossOrigin apigw.CrossOrigin
	// AgreementPDF makes the signed agreement's PDF (GET /requests/{id}/agreement); nil answers 404
	// there and links no download.
	AgreementPDF AgreementPDF
	// Logger receives problems that do not fail the request; nil discards.
	Logger *slog.Logger
}

// RequestStatusStore is the table as RequestStatus uses it.
type RequestStatusStore interface {
	LinkLookup
	RequestGetter
	AuditLister
	ConsentGetter
	OfferGetter
	OfferLister
	OrderGetter
	RefundGetter
	Transitioner
	TokenGetter
	DecisionDelivery
	ThreadLister
	QuestionAdder
}

// Handle answers one API Gateway event; errors become error pages or JSON errors through
// apigw.Handle.
func (h RequestStatus) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return apigw.Handle(h.serve)(ctx, req)
}

func (h RequestStatus) serve(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	route, params := matchRoute(req, "/requests/{id}", "/requests/{id}/withdraw", "/requests/{id}/agreement", "/requests/{id}/questions")
	method := apigw.Method(req)
	if err := h.CrossOrigin.Check(req); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	switch {
	case route == "/requests/{id}/agreement" && (method == http.MethodGet || method == http.MethodHead):
		return h.agreement(ctx, req, params["id"])
	case route == "/requests/{id}" && (method == http.MethodGet || method == http.MethodHead):
		return h.show(ctx, req, params["id"])
	case route == "/requests/{id}/withdraw" && method == http.MethodPost:
		return h.withdraw(ctx, req, params["id"])
	case route == "/requests/{id}/questions" && method == http.MethodPost:
		return h.ask(ctx, req, params["id"])
	case route == "":
		return events.APIGatewayV2HTTPResponse{}, errPageNotFound()
	default:
		return events.APIGatewayV2HTTPResponse{}, errMethod(method)
	}
}

// errUnknownRequest is the one answer for an unknown request, a wrong code, a missing code and an
// expired code alike.
func errUnknownRequest() error {
	return refund.Errorf(refund.CodeNotFound, "We could not find this request. Please open the link from your confirmation email again, copying the whole address.")
}

// lookup returns the request when code is a live status code of request id. Every way of not
// matching is errUnknownRequest; only storage failures are other errors.
func (h RequestStatus) lookup(ctx context.Context, id, code string) (refund.RequestRecord, error) {
	if id == "" || code == "" || len(code) > maxCodeLen {
		return refund.RequestRecord{}, errUnknownRequest()
	}
	link, err := h.Store.LookupLinkCode(ctx, refund.HashCode(code), refund.LinkStatus)
	switch refund.ErrorCode(err) {
	case "":
	case refund.CodeNotFound, refund.CodeGone, refund.CodeInvalid:
		return refund.RequestRecord{}, errUnknownRequest()
	default:
		return refund.RequestRecord{}, fmt.Errorf("look up status link of request %s: %w", id, err)
	}
	if link.RequestID != id {
		return refund.RequestRecord{}, errUnknownRequest()
	}
	rec, err := h.Store.GetRequest(ctx, id)
	switch refund.ErrorCode(err) {
	case "":
		return rec, nil
	case refund.CodeNotFound, refund.CodeInvalid:
		return refund.RequestRecord{}, errUnknownRequest()
	default:
		return refund.RequestRecord{}, fmt.Errorf("read request %s: %w", id, err)
	}
}

// StatusView is the JSON form of the status page (GET /requests/{id} with Accept: application/json).
// It holds what the client sent and what happened, and nothing else: no link codes, no order data,
// no email address.
type StatusView struct {
	// Request is the request as stored (refund.Request's JSON).
	Request refund.Request `json:"request"`
	// StatusLabel names the status for people ("Waiting for your answer").
	StatusLabel string `json:"status_label"`
	// StatusText is the sentence that explains the status.
	StatusText string `json:"status_text"`
	// Timeline lists the status changes, oldest first.
	Timeline []TimelineItem `json:"timeline"`
	// Findings are the verification checks, once they ran.
	Findings []refund.Finding `json:"findings"`
	// CanWithdraw says whether POST /requests/{id}/withdraw is still allowed.
	CanWithdraw bool `json:"can_withdraw"`
	// Thread is the client's questions and the staff's replies, oldest first
	// (POST /requests/{id}/questions adds a question).
	Thread []ThreadItem `json:"thread"`
}

// WithdrawBody is the JSON body of POST /requests/{id}/withdraw: the request's status code, the t of
// its status link (the same field the withdraw form posts).
type WithdrawBody struct {
	T string `json:"t"`
}

// TimelineItem is one line of StatusView.Timeline.
type TimelineItem struct {
	At     time.Time     `json:"at"`
	Status refund.Status `json:"status"`
	Text   string        `json:"text"`
}

// statusTimeline turns the audit trail into the client's timeline: every entry that changed the status,
// in the words of refund.Status.Describe. Views, emails and staff notes are left out. Two moves have
// words of their own: a refund that failed at the provider after the request completed (and then the
// completion reads as the refund sent, never as done), and a request a dispute took back to review.
func statusTimeline(entries []refund.AuditEntry) []web.TimelineEntry {
	var out []web.TimelineEntry
	for _, e := range entries {
		if e.To == "" || !e.To.Valid() {
			continue
		}
		te := web.TimelineEntry{At: e.At, Status: e.To}
		switch {
		case e.From == refund.StatusCompleted && e.To == refund.StatusNeedsAttention,
			e.From == refund.StatusExecuting && e.To == refund.StatusNeedsAttention && e.Action == actionRefundFailed:
			te.Note = noteRefundFailed
			for i := range out {
				if out[i].Status == refund.StatusCompleted {
					out[i].Note = noteRefundSent
				}
			}
		case e.From == refund.StatusAwaitingConsent && e.To == refund.StatusInReview:
			te.Note = noteReviewAgain
		}
		out = append(out, te)
	}
	return out
}

// The timeline's words for the moves provider events make (StripeWebhook).
const (
	noteRefundFailed = "The refund did not go through: the money has not gone back to you yet. It is still owed to you, and our team will contact you to return it another way."
	noteRefundSent   = "We sent the agreed refund to your card."
	noteReviewAgain  = "A member of our team is reviewing your request again; the offers we sent you no longer apply, and we will email you."
)

func (h RequestStatus) show(ctx context.Context, req events.APIGatewayV2HTTPRequest, id string) (events.APIGatewayV2HTTPResponse, error) {
	q, err := apigw.Query(req)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, errUnknownRequest()
	}
	code := q.Get("t")
	rec, err := h.lookup(ctx, id, code)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	rec, entries, err := h.consistent(ctx, rec)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	findings := clientFindings(rec)
	canWithdraw := refund.CanTransition(rec.Status, refund.StatusWithdrawn)
	thread, err := h.Store.ListThread(ctx, id)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("status page of request %s: %w", id, err)
	}

	if apigw.WantsJSON(req) {
		v := statusView(rec, entries)
		v.Thread = clientThread(thread)
		return apigw.JSON(http.StatusOK, v), nil
	}

	outcome, err := h.outcome(ctx, rec)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	page := web.StatusPage{
		Request: rec.Request, Timeline: entries, Findings: findings, CanWithdraw: canWithdraw,
		WithdrawAction: "/requests/" + url.PathEscape(id) + "/withdraw", StatusCode: code, Outcome: outcome,
		Questions: web.Questions{
			Thread: webThread(thread), Action: "/requests/" + url.PathEscape(id) + "/questions", StatusCode: code,
			Sent: q.Get("sent") == "question", MaxRunes: refund.MaxMessageRunes, PerDay: refund.QuestionsPerDay,
		},
	}
	if err := h.details(ctx, rec, code, &page); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.Page(http.StatusOK, page)
}

// statusView is the JSON form of the status page.
func statusView(rec refund.RequestRecord, entries []web.TimelineEntry) StatusView {
	v := StatusView{
		Request: rec.Request, StatusLabel: web.StatusLabel(rec.Status), StatusText: rec.Status.Describe(),
		Timeline: []TimelineItem{}, Findings: clientFindings(rec), Thread: []ThreadItem{},
		CanWithdraw: refund.CanTransition(rec.Status, refund.StatusWithdrawn),
	}
	if v.Findings == nil {
		v.Findings = []refund.Finding{}
	}
	for _, e := range entries {
		v.Timeline = append(v.Timeline, TimelineItem{At: e.At, Status: e.Status, Text: e.Text()})
	}
	return v
}

// maxStatusReads bounds how often the status page reads the request and its audit trail again to
// get a status and a timeline that agree.
const maxStatusReads = 3

// consistent returns the request with its timeline such that the timeline ends with the request's
// status. The workflow moves requests while the page reads them (within a second of the form being
// sent, on the local stack), and the request and its audit trail are two reads: the page must not say
// "Received" above a timeline that already reaches "waiting for your answer". The status change and
// its audit entry are written in one transaction, so reading again settles it.
func (h RequestStatus) consistent(ctx context.Context, rec refund.RequestRecord) (refund.RequestRecord, []web.TimelineEntry, error) {
	for attempt := 1; ; attempt++ {
		audit, err := h.Store.ListAudit(ctx, rec.ID)
		if err != nil {
			return rec, nil, fmt.Errorf("status page of request %s: %w", rec.ID, err)
		}
		entries := statusTimeline(audit)
		if len(entries) == 0 || entries[len(entries)-1].Status == rec.Status || attempt == maxStatusReads {
			return rec, entries, nil
		}
		if rec, err = h.Store.GetRequest(ctx, rec.ID); err != nil {
			return rec, nil, fmt.Errorf("status page of request %s: %w", rec.ID, err)
		}
	}
}

// msgConditionsMet replaces the last check's message once the request has moved on: the stored
// message ("...; we are now preparing your options.") speaks of the moment verification ended.
const msgConditionsMet = "Your request meets the conditions of our refund policy."

// clientFindings returns the verification checks as the client sees them now.
func clientFindings(rec refund.RequestRecord) []refund.Finding {
	if rec.Verification == nil {
		return nil
	}
	out := slices.Clone(rec.Verification.Findings)
	if rec.Status != refund.StatusSubmitted {
		for i := range out {
			if out[i].Code == refund.FindingOK {
				out[i].Message = msgConditionsMet
			}
		}
	}
	return out
}

// outcome reads what the client accepted, for the status page of a request whose offer was accepted
// (being carried out, done, or stopped for a closer look); nil for every other request.
func (h RequestStatus) outcome(ctx context.Context, rec refund.RequestRecord) (*web.StatusOutcome, error) {
	switch rec.Status {
	case refund.StatusExecuting, refund.StatusCompleted, refund.StatusNeedsAttention:
	default:
		return nil, nil
	}
	c, err := h.Store.GetConsent(ctx, rec.ID)
	switch {
	case refund.ErrorCode(err) == refund.CodeNotFound:
		return nil, nil // needs attention before any decision
	case err != nil:
		return nil, fmt.Errorf("status page of request %s: %w", rec.ID, err)
	case c.Decision != refund.DecisionAccept:
		return nil, nil
	}
	offer, err := h.Store.GetOffer(ctx, rec.ID, c.OfferID)
	if err != nil {
		return nil, fmt.Errorf("status page of request %s: %w", rec.ID, err)
	}
	out := &web.StatusOutcome{Offer: offer, Done: rec.Status == refund.StatusCompleted}
	if offer.IsRefund() {
		order, err := h.Store.GetOrder(ctx, rec.OrderNumber)
		switch {
		case err == nil:
			out.CardHint = order.Payment.CardHint
		case refund.ErrorCode(err) != refund.CodeNotFound:
			return nil, fmt.Errorf("status page of request %s: %w", rec.ID, err)
		}
		// What the provider says of the refund, which may be news the request's status does not
		// show yet: a refund that failed is never shown as done.
		r, err := h.Store.GetRefund(ctx, rec.OrderNumber, rec.ID, rec.Attempt())
		switch {
		case err == nil:
			out.RefundFailed = r.FailedLater()
			out.RefundPending = r.ProviderStatus == refund.ProviderRefundPending
		case refund.ErrorCode(err) != refund.CodeNotFound:
			return nil, fmt.Errorf("status page of request %s: %w", rec.ID, err)
		}
	}
	return out, nil
}

// maxWithdrawAttempts bounds how often a withdrawal re-reads the request when the workflow changed
// it at the same moment (submitted → awaiting_consent, say), which still allows withdrawing.
const maxWithdrawAttempts = 4

func (h RequestStatus) withdraw(ctx context.Context, req events.APIGatewayV2HTTPRequest, id string) (events.APIGatewayV2HTTPResponse, error) {
	var body WithdrawBody
	form, err := apigw.FormOrJSON(req, &body)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	code := body.T
	if form != nil {
		code = form.Get("t")
	}
	if _, err := h.lookup(ctx, id, code); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	back := "/requests/" + url.PathEscape(id) + "?t=" + url.QueryEscape(code)
	// done answers a withdrawn request: back to the status page (browsers), or its StatusView (JSON).
	done := func() (events.APIGatewayV2HTTPResponse, error) {
		if !apigw.WantsJSON(req) {
			return apigw.Redirect(back), nil
		}
		rec, err := h.Store.GetRequest(ctx, id)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("withdraw request %s: %w", id, err)
		}
		rec, entries, err := h.consistent(ctx, rec)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		return apigw.JSON(http.StatusOK, statusView(rec, entries)), nil
	}

	for attempt := 1; ; attempt++ {
		rec, err := h.Store.GetRequest(ctx, id)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("withdraw request %s: %w", id, err)
		}
		if rec.Status == refund.StatusWithdrawn {
			// A double submit, or a second tab: the request is withdrawn either way.
			return done()
		}
		if !refund.CanTransition(rec.Status, refund.StatusWithdrawn) {
			return events.APIGatewayV2HTTPResponse{}, errCannotWithdraw(rec.Status)
		}
		err = h.Store.Transition(ctx, id, rec.Status, refund.StatusWithdrawn, rec.Version, clientAudit(req, OutcomeWithdrawn),
			refund.WithResume(OutcomeWithdrawn))
		if err == nil {
			break
		}
		if refund.ErrorCode(err) != refund.CodeConflict || attempt == maxWithdrawAttempts {
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("withdraw request %s: %w", id, err)
		}
	}

	// The withdrawal is recorded with its resume marker. Wake the workflow if it is parked (review or
	// consent wait); if this fails, the sweeper delivers it within minutes, and a workflow that is not
	// parked reads the status at its next step.
	log := logger(h.Logger)
	tok, err := h.Store.GetTaskToken(ctx, id)
	if err != nil {
		log.WarnContext(ctx, "read task token after withdrawal; the sweeper delivers it", "requestId", id, "error", err.Error())
	} else if _, err := deliverDecision(ctx, h.Store, h.Waits, h.Logger, id, OutcomeWithdrawn, tok, false); err != nil {
		log.WarnContext(ctx, "send withdrawn outcome; the sweeper delivers it", "requestId", id, "error", err.Error())
	}
	return done()
}

// errCannotWithdraw explains why a request in status s cannot be withdrawn.
func errCannotWithdraw(s refund.Status) error {
	switch s {
	case refund.StatusExecuting, refund.StatusCompleted:
		return refund.Errorf(refund.CodeConflict, "You already accepted an offer, so this request can no longer be withdrawn.")
	case refund.StatusNeedsAttention:
		return refund.Errorf(refund.CodeConflict, "Our team is looking at this request, so it cannot be withdrawn online now. Please reply to our last email instead.")
	default:
		return refund.Errorf(refund.CodeConflict, "This request is already closed (%s), so there is nothing to withdraw.", web.StatusLabel(s))
	}
}
