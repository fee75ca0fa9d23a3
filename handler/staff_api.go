package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/payment"
	"refundflow/refund"
)

// StaffApi is the staff JSON API behind the HTTP API's JWT authorizer:
//
//	GET  /staff/api/requests?status=&cursor=&limit=   requests with a status, one page
//	GET  /staff/api/requests?view=waiting&cursor=     the work waiting for staff: needs attention,
//	                                                   then in review, oldest first, with counts
//	GET  /staff/api/requests?q=<text>                  find by order number, email, request ID,
//	                                                   refund reference or the provider's refund id
//	                                                   (staff_find.go), newest first
//	POST /staff/api/requests                           take a request for a client who phoned or
//	                                                   wrote (staff_intake.go)
//	GET  /staff/api/requests/{id}                      a request with its order, offers, consent,
//	                                                   refunds, credit, feedback and audit trail
//	POST /staff/api/requests/{id}/review               approve, adjust or reject a review
//	PUT  /staff/api/orders/{number}                    the billing system creates or updates an order
//	GET  /staff/api/feedback?cursor=&limit=            client feedback, newest first
//	POST /staff/api/requests/{id}/actions              retry, settle outside or close a request that
//	                                                   needs attention (staff_actions.go)
//	POST /staff/api/requests/{id}/replies              answer the client's questions: the reply is
//	                                                   emailed and shown on the status page (questions.go)
//
// The authorizer has checked the token's signature, issuer, audience and expiry. The handler checks
// again who the caller is, because a route added to the API without the authorizer (or without its
// scopes) must not open these functions:
//
//   - PUT /staff/api/orders/{number} takes only the billing system's token: a client-credentials
//     access token with the OrdersWriteScope scope (the route also requires it at the authorizer). A
//     staff member's token gets 403: orders come from the billing system, so a wrong order is
//     corrected there and sent again, never edited here by hand. Every order's payment is read at
//     the payment provider first (putOrder), and the provider's facts are stored, not the caller's.
//   - Every other route takes only staff: the "cognito:groups" claim contains "staff" (else 403),
//     and a token with the OrdersWriteScope scope is refused whatever its claims say.
//
// Audit entries and logs name the caller as "staff:<sub>", or "billing:<client id>".
type StaffApi struct {
	// Store reads requests with everything staff see about them, records review decisions and
	// stores the billing system's orders.
	Store StaffApiStore
	// Waits completes the review wait with {"outcome":"approved"|"rejected"}.
	Waits WaitCompleter
	// Payments reads each order's payment at the payment provider before the order is stored.
	Payments PaymentLookup
	// Refunds finds, for a search by the provider's refund id, the request the refund was made for.
	Refunds ProviderRefundLookup
	// Policy words the goodwill offers staff add; the zero value means refund.DefaultPolicy().
	Policy refund.Policy
	// Workflow starts the workflow of a request staff take for a client (POST /staff/api/requests).
	Workflow WorkflowStarter
	// Emails sends a staff reply to the order's email on record.
	Emails Emails
	// Clock stamps the requests staff take; nil means the wall clock.
	Clock Clock
	// LookupKey keys the hash under which requests are found by their client's email
	// (refund.EmailLookup); SubmitRequest must use the same key. Without it (nil) email search is
	// refused.
	LookupKey LookupKey
	// FourEyesLimits are, per currency in minor units, the most money one member of staff may let a
	// client receive alone (see fourEyes); nil means the policy's review thresholds.
	FourEyesLimits map[string]int64
	// Logger receives problems that do not fail the request; nil discards.
	Logger *slog.Logger
}

// StaffApiStore is the table as StaffApi uses it.
type StaffApiStore interface {
	RequestLister
	RequestCounter
	RequestFinder
	RequestGetter
	OrderGetter
	OfferLister
	OfferGetter
	ConsentGetter
	RefundLister
	CreditGetter
	FeedbackGetter
	AuditLister
	Transitioner
	Decider
	ReviewProposer
	TokenGetter
	LastChangeReader
	AuditAppender
	DecisionDelivery
	OrderPutter
	FeedbackLister
	Settler
	RequestCreator
	IdempotencyRecords
	ThreadLister
	ThreadSummariesGetter
	ReplyAdder
	LinkPutter
	SentEmailLister
}

// StaffGroup is the group a caller's "cognito:groups" claim must contain.
const StaffGroup = "staff"

// OrdersWriteScope is the OAuth scope of the billing system's app client (template.yaml's resource
// server refundflow, scope orders.write): the order route requires it, and every other route refuses
// a token that has it.
const OrdersWriteScope = "refundflow/orders.write"

// orderRoute is the one route the billing system's token may call.
const orderRoute = "/staff/api/orders/{number}"

// Handle answers one API Gateway event; errors become JSON errors through apigw.HandleJSON, whatever
// the caller accepts (the console and the billing system read JSON).
func (h StaffApi) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return apigw.HandleJSON(h.serve)(ctx, req)
}

func (h StaffApi) serve(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	// Everything here answers JSON, also errors, whatever the Accept header says.
	if req.Headers == nil {
		req.Headers = map[string]string{}
	}
	req.Headers["accept"] = "application/json"

	route, params := matchRoute(req, "/staff/api/requests", "/staff/api/requests/{id}",
		"/staff/api/requests/{id}/review", orderRoute, "/staff/api/feedback",
		"/staff/api/requests/{id}/actions", "/staff/api/requests/{id}/replies")
	actor, err := callerActor(req, route == orderRoute)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	method := apigw.Method(req)
	switch {
	case route == "/staff/api/requests" && method == http.MethodGet:
		return h.list(ctx, req)
	case route == "/staff/api/requests" && method == http.MethodPost:
		return h.take(ctx, req, actor)
	case route == "/staff/api/requests/{id}" && method == http.MethodGet:
		return h.detail(ctx, params["id"])
	case route == "/staff/api/requests/{id}/review" && method == http.MethodPost:
		return h.review(ctx, req, actor, params["id"])
	case route == orderRoute && method == http.MethodPut:
		return h.putOrder(ctx, req, actor, params["number"])
	case route == "/staff/api/feedback" && method == http.MethodGet:
		return h.feedback(ctx, req)
	case route == "/staff/api/requests/{id}/actions" && method == http.MethodPost:
		return h.act(ctx, req, actor, params["id"])
	case route == "/staff/api/requests/{id}/replies" && method == http.MethodPost:
		return h.reply(ctx, req, actor, params["id"])
	case route == "":
		return events.APIGatewayV2HTTPResponse{}, errPageNotFound()
	default:
		return events.APIGatewayV2HTTPResponse{}, errMethod(method)
	}
}

// callerActor checks the JWT claims the authorizer verified against the route (orders: the billing
// system's scope; anything else: the staff group, and not the billing system's scope) and returns the
// audit actor.
func callerActor(req events.APIGatewayV2HTTPRequest, orders bool) (string, error) {
	claims := apigw.JWTClaims(req)
	sub := strings.TrimSpace(claims["sub"])
	if claims == nil || sub == "" {
		return "", &refund.Error{Code: refund.CodeUnauthorized, Message: "Sign in as staff and send your access token as Authorization: Bearer <token>."}
	}
	billing := slices.Contains(tokenScopes(req), OrdersWriteScope)
	switch {
	case orders && !billing:
		return "", &refund.Error{Code: refund.CodeForbidden, Message: "Orders come from the billing system only: correct the order there and it sends it again."}
	case orders:
		client := strings.TrimSpace(claims["client_id"])
		if client == "" {
			client = sub
		}
		return "billing:" + client, nil
	case billing:
		return "", &refund.Error{Code: refund.CodeForbidden, Message: "The billing system's token may only send orders."}
	case !slices.Contains(apigw.ClaimList(req, "cognito:groups"), StaffGroup):
		return "", &refund.Error{Code: refund.CodeForbidden, Message: "Your account is not in the staff group."}
	}
	return refund.StaffActor(sub), nil
}

// tokenScopes returns the token's OAuth scopes: those the authorizer passed on, or else the
// space-separated scope claim (API Gateway fills the list only on routes that require scopes).
func tokenScopes(req events.APIGatewayV2HTTPRequest) []string {
	if a := req.RequestContext.Authorizer; a != nil && a.JWT != nil && len(a.JWT.Scopes) > 0 {
		return a.JWT.Scopes
	}
	return strings.Fields(apigw.JWTClaims(req)["scope"])
}

// pageParams reads the cursor and limit query parameters (limit 1–100, default 50).
func pageParams(req events.APIGatewayV2HTTPRequest) (cursor string, limit int, q url.Values, err error) {
	values, err := apigw.Query(req)
	if err != nil {
		return "", 0, nil, err
	}
	limit = 50
	if s := values.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			msg := "limit must be a whole number from 1 to 100."
			return "", 0, nil, refund.InvalidField("limit", msg)
		}
		limit = n
	}
	return values.Get("cursor"), limit, values, nil
}

// RequestList is the answer of GET /staff/api/requests.
type RequestList struct {
	Requests []refund.Request `json:"requests"`
	// Unanswered counts, by request id, the client's questions awaiting a staff reply; requests
	// without any are left out.
	Unanswered map[string]int `json:"unanswered"`
	// Next is the cursor of the next page; "" after the last page.
	Next string `json:"next"`
	// Found is, for a search (?q=), what the text was read as: request, order, email, refund or
	// provider_refund.
	Found string `json:"found,omitempty"`
	// View is "waiting" for the view of the work waiting for staff.
	View string `json:"view,omitempty"`
	// Counts are the numbers of requests in each open status, on the first page of a listing.
	Counts map[refund.Status]int `json:"counts,omitempty"`
}

func (h StaffApi) list(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	cursor, limit, q, err := pageParams(req)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if resp, done, err := h.listView(ctx, req, q, cursor, limit); done {
		return resp, err
	}
	status := refund.StatusInReview
	if s := q.Get("status"); s != "" {
		status = refund.Status(s)
	}
	recs, next, err := h.Store.ListRequestsByStatus(ctx, status, limit, cursor)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	out := RequestList{Requests: make([]refund.Request, 0, len(recs)), Next: next}
	for _, r := range recs {
		out.Requests = append(out.Requests, r.Request)
	}
	if out.Unanswered, err = h.unanswered(ctx, recs); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if cursor == "" {
		if out.Counts, err = h.counts(ctx); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
	}
	return apigw.JSON(http.StatusOK, out), nil
}

// RequestDetail is the answer of GET /staff/api/requests/{id}: everything staff need to decide.
type RequestDetail struct {
	// Request is the request; Submission is the form as the client sent it (typed email and name).
	Request    refund.Request    `json:"request"`
	Submission refund.Submission `json:"submission"`
	// Order is the order record, null if the billing system has not sent it.
	Order *refund.Order `json:"order"`
	// Remaining is what can still be refunded on the order (paid − refunded).
	Remaining *refund.Money `json:"remaining,omitempty"`
	// Offers is the current offer set (OfferSet is its number), each with its agreement hash.
	Offers   []StaffOffer `json:"offers"`
	OfferSet int          `json:"offer_set"`
	// Findings are the verification checks.
	Findings []refund.Finding `json:"findings"`
	// ReviewReasons say why the case waits for staff, from the audit entry that sent it to review.
	ReviewReasons []string `json:"review_reasons"`
	// ReviewMessage is the staff's message to the client, after a rejection.
	ReviewMessage string `json:"review_message,omitempty"`
	// Consent is the client's decision, null before there is one.
	Consent *refund.Consent `json:"consent"`
	// Refunds are the refund attempts of this request on the order.
	Refunds []refund.RefundRecord `json:"refunds"`
	// Credit is the credit the request granted, if any.
	Credit *refund.Credit `json:"credit,omitempty"`
	// Feedback is the client's rating, if given.
	Feedback *refund.Feedback `json:"feedback,omitempty"`
	// Audit is the whole audit trail, oldest first.
	Audit []refund.AuditEntry `json:"audit"`
	// Thread is the client's questions and the staff's replies, oldest first; Questions counts them
	// (Unanswered: the client's questions since the latest reply).
	Thread    []refund.ThreadMessage `json:"thread"`
	Questions refund.ThreadSummary   `json:"questions"`
	// Emails are the emails that went out about the request (kind, subject, time; no recipient),
	// oldest first.
	Emails []refund.SentEmail `json:"emails"`
	// Proposal is a decision above the four-eyes limit waiting for a second member of staff, if any.
	Proposal *refund.Proposal `json:"proposal,omitempty"`
	// FourEyesLimit is the most money one member of staff may let the client receive alone in the
	// order's currency; absent when no limit is set (every money decision needs two people).
	FourEyesLimit *refund.Money `json:"four_eyes_limit,omitempty"`
	// LastWait is the kind of the workflow wait the request was last parked in ("review",
	// "consent" or "attention"; "" if never). The wait may have ended since: the status says where the request is.
	LastWait refund.TokenKind `json:"last_wait"`
}

// StaffOffer is an offer with the hash of its agreement text, as the client's consent binds to it.
type StaffOffer struct {
	refund.Offer
	AgreementHash string `json:"agreement_hash,omitempty"`
}

func (h StaffApi) detail(ctx context.Context, id string) (events.APIGatewayV2HTTPResponse, error) {
	rec, err := h.Store.GetRequest(ctx, id)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	d := RequestDetail{
		Request: rec.Request, Submission: rec.Submission, OfferSet: rec.OfferSet, ReviewMessage: rec.ReviewMessage,
		Offers: []StaffOffer{}, Findings: []refund.Finding{}, ReviewReasons: []string{}, Refunds: []refund.RefundRecord{},
		LastWait: rec.TokenKind,
	}
	if rec.Verification != nil {
		d.Findings = rec.Verification.Findings
	}
	if p, ok := rec.PendingProposal(); ok {
		d.Proposal = &p
	}
	// The email's lookup hash is for the store's keys only.
	d.Submission.EmailLookup = ""
	order, err := h.Store.GetOrder(ctx, rec.OrderNumber)
	switch refund.ErrorCode(err) {
	case "":
		d.Order = &order
		rem := order.Remaining()
		d.Remaining = &rem
		if limit, ok := h.FourEyesLimit(order.Currency); ok {
			d.FourEyesLimit = &limit
		}
	case refund.CodeNotFound:
	default:
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("staff detail of request %s: %w", id, err)
	}
	offers, _, err := h.Store.ListOffers(ctx, id)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("staff detail of request %s: %w", id, err)
	}
	for _, o := range offers {
		so := StaffOffer{Offer: o}
		if d.Order != nil {
			so.AgreementHash = refund.AgreementHash(o, refund.Agreement(order, rec.Request, o))
		}
		d.Offers = append(d.Offers, so)
	}
	if c, err := h.Store.GetConsent(ctx, id); err == nil {
		d.Consent = &c
	} else if refund.ErrorCode(err) != refund.CodeNotFound {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("staff detail of request %s: %w", id, err)
	}
	refunds, err := h.Store.ListOrderRefunds(ctx, rec.OrderNumber)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("staff detail of request %s: %w", id, err)
	}
	for _, r := range refunds {
		if r.RequestID == id {
			d.Refunds = append(d.Refunds, r)
		}
	}
	if c, err := h.Store.GetCredit(ctx, rec.OrderNumber, id); err == nil {
		d.Credit = &c
	} else if refund.ErrorCode(err) != refund.CodeNotFound {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("staff detail of request %s: %w", id, err)
	}
	if f, err := h.Store.GetFeedback(ctx, id); err == nil {
		d.Feedback = &f
	} else if refund.ErrorCode(err) != refund.CodeNotFound {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("staff detail of request %s: %w", id, err)
	}
	d.Audit, err = h.Store.ListAudit(ctx, id)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	d.ReviewReasons = reviewReasons(d.Audit)
	if d.Thread, err = h.Store.ListThread(ctx, id); err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("staff detail of request %s: %w", id, err)
	}
	d.Questions = refund.Summarize(d.Thread)
	d.Questions.RequestID = id
	if d.Emails, err = h.Store.ListSentEmails(ctx, id); err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("staff detail of request %s: %w", id, err)
	}
	return apigw.JSON(http.StatusOK, d), nil
}

// reviewReasons reads why the case went to review from the detail of the latest audit entry that
// moved it to in_review (ProposeResolution writes "review needed: <reasons>"; one reason per line
// when there are line breaks).
func reviewReasons(audit []refund.AuditEntry) []string {
	out := []string{}
	for i := len(audit) - 1; i >= 0; i-- {
		if audit[i].To != refund.StatusInReview {
			continue
		}
		detail := strings.TrimPrefix(audit[i].Detail, "review needed: ")
		for _, line := range strings.Split(detail, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				out = append(out, line)
			}
		}
		break
	}
	return out
}

// The review decisions.
const (
	ReviewApprove = "approve"
	ReviewAdjust  = "adjust"
	ReviewReject  = "reject"
)

// ReviewDecision is the body of POST /staff/api/requests/{id}/review.
type ReviewDecision struct {
	// Decision is approve, adjust or reject.
	Decision string `json:"decision"`
	// Message is the staff's message: required for reject (it goes to the client), optional
	// otherwise (kept in the audit trail).
	Message string `json:"message"`
	// Offers are the new set, for adjust only: each names an offer of the current set and gives its
	// new kind and amount, or is a goodwill offer (goodwill: true, a kind and an amount, no id) when
	// the current set offers no money. Offers not listed are dropped from the new set.
	Offers []refund.OfferAdjustment `json:"offers"`
}

// ReviewResult is the answer to a review decision.
type ReviewResult struct {
	// Request is the request after the decision.
	Request refund.Request `json:"request"`
	// Decision echoes the decision.
	Decision string `json:"decision"`
	// Offers is the new offer set after adjust.
	Offers []refund.Offer `json:"offers,omitempty"`
	// Delivered says whether the workflow took the decision now. It is false when the workflow was
	// not waiting (it reads a rejection from the status at its next step), was between two attempts
	// of its review wait (the next attempt takes the decision), or could not be reached just now: the
	// decision is recorded either way, and the sweeper (ResumeDecisions) delivers it within minutes.
	Delivered bool `json:"delivered"`
	// Message says what happens next when the decision was recorded but not delivered, or is only
	// proposed.
	Message string `json:"message,omitempty"`
	// AwaitingConfirmation is the proposal when the decision moves more money than one member of
	// staff may decide alone: it waits for a second member of staff's "confirm".
	AwaitingConfirmation *refund.Proposal `json:"awaiting_confirmation,omitempty"`
}

// msgResumesSoon is the answer to a decision that is recorded but could not reach the workflow.
const msgResumesSoon = "The decision is recorded; the workflow could not be reached just now and resumes with it within minutes."

// maxReviewMessageRunes bounds the staff's message.
const maxReviewMessageRunes = 2000

// maxReviewOffers bounds the offers of an adjustment (the policy makes at most a handful).
const maxReviewOffers = 20

func (h StaffApi) review(ctx context.Context, req events.APIGatewayV2HTTPRequest, actor, id string) (events.APIGatewayV2HTTPResponse, error) {
	var body ReviewDecision
	if err := apigw.DecodeJSON(req, &body); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	body.Message = strings.TrimSpace(strings.ReplaceAll(body.Message, "\r\n", "\n"))
	if err := validateReview(body); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	rec, err := h.Store.GetRequest(ctx, id)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if rec.Status != refund.StatusInReview {
		return events.APIGatewayV2HTTPResponse{}, h.whatChanged(ctx, id, refund.Errorf(refund.CodeConflict,
			"Request %s is %s, not waiting for a review; reload it.", id, rec.Status))
	}
	// Every decision is recorded on the version the request entered review with, so it is the first
	// and only decision of this review: of two made at once exactly one is stored (with its offers),
	// and the other, like any later one, is a 409 that names the decision that won.
	version := rec.Version
	if rec.StatusVersion > 0 {
		version = rec.StatusVersion
	}
	audit := refund.AuditEntry{RequestID: id, Actor: actor, Detail: body.Message}
	result := ReviewResult{Decision: body.Decision}

	if body.Decision == ReviewReject {
		audit.Action = "review_rejected"
		if err := h.Store.Transition(ctx, id, refund.StatusInReview, refund.StatusReviewRejected, version, audit,
			refund.WithReviewMessage(body.Message), refund.WithResume(OutcomeRejected)); err != nil {
			return events.APIGatewayV2HTTPResponse{}, h.whatChanged(ctx, id, err)
		}
		// The rejection is recorded with its resume marker; wake the workflow if it waits. If not, it
		// reads the status; if it cannot be reached now, the sweeper delivers the rejection.
		if done, err := h.deliver(ctx, id, OutcomeRejected); err != nil {
			logger(h.Logger).WarnContext(ctx, "send rejected outcome; the sweeper delivers it", "requestId", id, "error", err.Error())
			result.Message = msgResumesSoon
		} else {
			result.Delivered = done == delivered
		}
		return h.reviewAnswer(ctx, id, result)
	}

	// An approval sends the current offers to the client: with none, the workflow could only stop
	// in "needs attention". Staff reject (the client is told why) or make a goodwill offer instead.
	// Nor may it send a refund that no longer fits in what remains (a chargeback or a dashboard
	// refund since the offers were made): the client would accept money the ledger then refuses.
	if body.Decision == ReviewApprove {
		offers, _, err := h.Store.ListOffers(ctx, id)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		if len(offers) == 0 {
			return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeConflict,
				"Request %s has no offers to send to the client, so it cannot be approved. Reject it with a message to the client, "+
					"or adjust it to make a goodwill offer (a refund or a credit, with \"goodwill\": true).", id)
		}
		order, err := h.Store.GetOrder(ctx, rec.OrderNumber)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		if err := order.CheckOffers(offers); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
	}

	// A confirmation is checked against the proposal first: a proposal that no longer applies (the
	// request changed since) is a 409 naming the change whatever the workflow does meanwhile, not
	// "try again" because the change has already woken the workflow.
	var confirmed refund.Proposal
	if body.Decision == ReviewConfirm {
		if confirmed, err = h.confirmable(ctx, rec, actor); err != nil {
			return events.APIGatewayV2HTTPResponse{}, h.whatChanged(ctx, id, err)
		}
	}

	// Approve, adjust and confirm only take effect through the workflow, so it must be waiting for them.
	tok, err := h.Store.GetTaskToken(ctx, id)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if tok.Token == "" || tok.Kind != refund.TokenReview {
		return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeConflict,
			"The workflow of request %s is not waiting for a review decision yet; try again in a minute.", id)
	}
	// The approval (with the adjusted offers, if any) and its resume marker are one write, made only
	// on the version read above; then the workflow is told. If it cannot be told now, the sweeper (or
	// the review wait's next attempt) tells it within minutes, so staff need not decide again.
	opts := []refund.ChangeOption{refund.WithResume(OutcomeApproved)}
	switch body.Decision {
	case ReviewConfirm:
		p := confirmed
		// What was proposed may no longer fit (a chargeback or a dashboard refund since), as for an
		// approval above.
		offers := p.Offers
		if p.OfferSet == 0 {
			if offers, _, err = h.Store.ListOffers(ctx, id); err != nil {
				return events.APIGatewayV2HTTPResponse{}, err
			}
		}
		order, err := h.Store.GetOrder(ctx, rec.OrderNumber)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		if err := order.CheckOffers(offers); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		if p.OfferSet > 0 {
			opts = append(opts, refund.WithOffers(p.OfferSet, p.Offers))
			result.Offers = p.Offers
		}
		// The confirmation is the decision: its entry has the decision's own action, by the confirmer,
		// and names the proposer (whose review_proposed entry is in the trail too).
		audit.Action = "review_approved"
		if p.OfferSet > 0 {
			audit.Action = "offers_adjusted"
		}
		audit.Detail = confirmationSummary(p, body.Message)
	case ReviewAdjust:
		offers, set, err := h.adjustedOffers(ctx, rec, body.Offers)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, h.whatChanged(ctx, id, err)
		}
		if answer, proposed, err := h.proposeIfAboveLimit(ctx, rec, version, actor, body, offers, set); proposed || err != nil {
			return answer, err
		}
		opts = append(opts, refund.WithOffers(set, offers))
		result.Offers = offers
		audit.Action = "offers_adjusted"
		audit.Detail = adjustmentSummary(offers, body.Message)
	default:
		offers, _, err := h.Store.ListOffers(ctx, id)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		if answer, proposed, err := h.proposeIfAboveLimit(ctx, rec, version, actor, body, offers, 0); proposed || err != nil {
			return answer, err
		}
		audit.Action = "review_approved"
	}
	if err := h.Store.Decide(ctx, id, refund.StatusInReview, version, audit, opts...); err != nil {
		return events.APIGatewayV2HTTPResponse{}, h.whatChanged(ctx, id, err)
	}
	done, err := h.deliver(ctx, id, OutcomeApproved)
	result.Delivered = done == delivered
	switch {
	case err != nil:
		logger(h.Logger).WarnContext(ctx, "send approved outcome; the sweeper delivers it", "requestId", id, "error", err.Error())
		result.Message = msgResumesSoon
	case done == kept:
		// The review wait is between two attempts: the next one takes the decision.
		result.Message = msgResumesSoon
	case done == settled:
		h.auditUndelivered(ctx, id, actor)
		cur, err := h.Store.GetRequest(ctx, id)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeConflict,
			"The review wait of request %s ended before the decision reached it (it is %s now); the decision is in the audit trail but changed nothing. Reload it.", id, cur.Status)
	}
	return h.reviewAnswer(ctx, id, result)
}

// whatChanged adds the change that got there first to a conflict of a review decision, so the
// member of staff whose decision lost knows what to reload: "... Last change: offers adjusted by
// staff:<sub> at 2025-03-10 12:00:05 UTC." Other errors, and a trail that cannot be read, are
// returned as they are.
func (h StaffApi) whatChanged(ctx context.Context, id string, err error) error {
	var e *refund.Error
	if !errors.As(err, &e) || e.Code != refund.CodeConflict {
		return err
	}
	last, ok, lerr := h.Store.LastChange(ctx, id)
	if lerr != nil || !ok {
		return err
	}
	what := strings.ReplaceAll(last.Action, "_", " ")
	if last.Action == "status_changed" {
		what = "moved to " + string(last.To)
	}
	return &refund.Error{Code: e.Code, Fields: e.Fields, Err: e.Err,
		Message: fmt.Sprintf("%s Last change: %s by %s at %s.", e.Message, what, last.Actor, last.At.UTC().Format("2006-01-02 15:04:05 MST"))}
}

// deliver reads the request's stored task token (after the decision was recorded, so it is the
// token of the wait that is parked now) and delivers the outcome to it.
func (h StaffApi) deliver(ctx context.Context, id, outcome string) (delivery, error) {
	tok, err := h.Store.GetTaskToken(ctx, id)
	if err != nil {
		return settled, err
	}
	return deliverDecision(ctx, h.Store, h.Waits, h.Logger, id, outcome, tok, false)
}

// auditUndelivered notes in the audit trail that a recorded approval did not reach the workflow
// because its review wait had ended meanwhile (timed out), so the trail never claims more than
// happened.
func (h StaffApi) auditUndelivered(ctx context.Context, id, actor string) {
	detail := "the review wait had already ended"
	if err := h.Store.AppendAudit(ctx, refund.AuditEntry{RequestID: id, Actor: actor, Action: "review_not_delivered", Detail: detail}); err != nil {
		logger(h.Logger).WarnContext(ctx, "audit undelivered review", "requestId", id, "error", err.Error())
	}
}

// reviewAnswer reads the request again and answers with the result.
func (h StaffApi) reviewAnswer(ctx context.Context, id string, result ReviewResult) (events.APIGatewayV2HTTPResponse, error) {
	rec, err := h.Store.GetRequest(ctx, id)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	result.Request = rec.Request
	return apigw.JSON(http.StatusOK, result), nil
}

// validateReview checks the shape of a review decision.
func validateReview(b ReviewDecision) error {
	errs := refund.FieldErrors{}
	switch b.Decision {
	case ReviewApprove, ReviewReject, ReviewConfirm:
		if len(b.Offers) > 0 {
			errs["offers"] = "offers are only sent with the decision adjust"
		}
	case ReviewAdjust:
		switch {
		case len(b.Offers) == 0:
			errs["offers"] = "list at least one offer to keep or a goodwill offer to make; to offer nothing, reject"
		case len(b.Offers) > maxReviewOffers:
			errs["offers"] = fmt.Sprintf("list at most %d offers", maxReviewOffers)
		}
	default:
		errs["decision"] = "must be approve, adjust, reject or confirm"
	}
	switch {
	case !utf8.ValidString(b.Message) || strings.ContainsFunc(b.Message, func(r rune) bool {
		return unicode.IsControl(r) && r != '\n' && r != '\t' || r == '\u2028' || r == '\u2029' || r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069'
	}):
		errs["message"] = "must be readable text without control characters"
	case utf8.RuneCountInString(b.Message) > maxReviewMessageRunes:
		errs["message"] = fmt.Sprintf("must be at most %d characters", maxReviewMessageRunes)
	case b.Decision == ReviewReject && b.Message == "":
		errs["message"] = "write a message to the client when rejecting"
	}
	return errs.Err()
}

// adjustedOffers builds the next offer set from the staff's adjustments of the current one and their
// goodwill offers (refund.AdjustOffers, with the refundable increment of the order's payment
// provider), and returns it with its number; the store refuses it unless that is still the next one.
func (h StaffApi) adjustedOffers(ctx context.Context, rec refund.RequestRecord, adj []refund.OfferAdjustment) ([]refund.Offer, int, error) {
	current, set, err := h.Store.ListOffers(ctx, rec.ID)
	if err != nil {
		return nil, 0, err
	}
	if set != rec.OfferSet {
		// Another decision replaced the offers after this one read the request: its offers were
		// the current ones when the member of staff chose them, so this is a conflict, not a mistake.
		return nil, 0, refund.Errorf(refund.CodeConflict, "Request %s has offer set %d now, not %d; reload it.", rec.ID, set, rec.OfferSet)
	}
	if err := h.supersededOffer(ctx, rec.ID, current, set, adj); err != nil {
		return nil, 0, err
	}
	order, err := h.Store.GetOrder(ctx, rec.OrderNumber)
	if err != nil {
		return nil, 0, err
	}
	offers, err := refund.AdjustOffers(refund.ReviewCase{
		Policy: policyOrDefault(h.Policy), Request: rec.Request, Order: order, Current: current,
		Step: payment.RefundIncrement(order.Payment.Provider, order.Currency), Set: set + 1,
	}, adj)
	if err != nil {
		return nil, 0, err
	}
	return offers, set + 1, nil
}

// supersededOffer returns a CodeConflict when an adjustment names an offer of an earlier set of the
// request: the member of staff chose it when it was current, and another decision (or the workflow's
// new proposal) replaced the set since, which is a conflict to reload, not a mistake (whatChanged
// says what changed). An ID that never belonged to the request is left to AdjustOffers (400).
func (h StaffApi) supersededOffer(ctx context.Context, id string, current []refund.Offer, set int, adj []refund.OfferAdjustment) error {
	for _, a := range adj {
		if a.ID == "" || slices.ContainsFunc(current, func(o refund.Offer) bool { return o.ID == a.ID }) {
			continue
		}
		_, err := h.Store.GetOffer(ctx, id, a.ID)
		switch {
		case err == nil:
			return refund.Errorf(refund.CodeConflict,
				"Offer %s is no longer one of the offers of request %s: they were replaced (offer set %d now); reload it.", a.ID, id, set)
		case refund.ErrorCode(err) != refund.CodeNotFound:
			return err
		}
	}
	return nil
}

// adjustmentSummary is the audit detail of an adjustment: the new offers and the staff's message.
func adjustmentSummary(offers []refund.Offer, message string) string {
	parts := make([]string, len(offers))
	for i, o := range offers {
		parts[i] = o.ID + ": " + string(o.Kind) + " " + o.Amount.String()
	}
	s := "new offers: " + strings.Join(parts, "; ")
	if message != "" {
		s += "\n" + message
	}
	return s
}

// putOrder stores the billing system's order after asking the payment provider about its payment:
// the payment must exist, be captured, be of the order's paid amount and currency, have been 3-D
// Secure authenticated and not be refunded beyond what the order's ledger records
// (refund.Order.CheckPayment). A payment the provider does not know, or that disagrees, is a 422
// (CodeUnprocessable) naming the fields; a missing reference, like any malformed body, a 400; a
// provider that cannot be reached, a 503 the billing system retries. The order is stored with the
// provider's facts (the provider that verified the payment, captured, 3-D Secure, the card's last
// four digits) in place of what the body claimed about them.
func (h StaffApi) putOrder(ctx context.Context, req events.APIGatewayV2HTTPRequest, actor, number string) (events.APIGatewayV2HTTPResponse, error) {
	var o refund.Order
	if err := apigw.DecodeJSON(req, &o); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if !strings.EqualFold(strings.TrimSpace(o.Number), number) {
		msg := "must be the order number in the address, " + number
		return events.APIGatewayV2HTTPResponse{}, &refund.Error{Code: refund.CodeInvalid, Message: "The order number in the body differs from the one in the address.",
			Fields: refund.FieldErrors{"number": msg}}
	}
	// Before anything is asked of the provider: the order as a whole, and a payment to ask about
	// (one message for every field, a missing reference among them).
	if err := o.Validate(); err != nil || strings.TrimSpace(o.Payment.Reference) == "" {
		var fields refund.FieldErrors
		if e := (*refund.Error)(nil); errors.As(err, &e) && e.Code == refund.CodeInvalid {
			fields = e.Fields
		} else if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		if strings.TrimSpace(o.Payment.Reference) == "" {
			fields = maps.Clone(fields)
			if fields == nil {
				fields = refund.FieldErrors{}
			}
			fields["payment.reference"] = "is required: the reference of the order's card payment at the payment provider (at Stripe, its PaymentIntent id pi_...)"
		}
		return events.APIGatewayV2HTTPResponse{}, fields.Err()
	}
	facts, err := h.lookupPayment(ctx, o.Payment.Reference)
	if payment.IsUnavailable(err) {
		logger(h.Logger).WarnContext(ctx, "payment provider unavailable for an order", "order", o.Number, "error", err.Error())
		return unavailableJSON(req, "The payment provider could not be reached to check the order's payment. Send the order again in a minute.")
	}
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	ledger := o.Refunded
	if o.Version > 0 {
		// An update never writes refunded (the ledger's own), so the provider is compared with the
		// stored ledger; an unknown order is PutOrder's 404.
		switch cur, err := h.Store.GetOrder(ctx, o.Number); refund.ErrorCode(err) {
		case "":
			ledger = cur.Refunded
		case refund.CodeNotFound:
		default:
			return events.APIGatewayV2HTTPResponse{}, err
		}
	}
	if err := o.CheckPayment(facts, ledger); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	o.Payment = facts.Payment()
	created := o.Version == 0
	stored, err := h.Store.PutOrder(ctx, o)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	logger(h.Logger).InfoContext(ctx, "order stored", "order", stored.Number, "version", stored.Version, "actor", actor,
		"provider", stored.Payment.Provider)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return apigw.JSON(status, stored), nil
}

// lookupReserve: the order route's call to the payment provider ends this long before the
// invocation's deadline, leaving time to answer 503 (and to store the order after a late answer).
const lookupReserve = 3 * time.Second

// lookupPayment reads the order's payment at the provider; an unknown reference is a 422 naming
// payment.reference.
func (h StaffApi) lookupPayment(ctx context.Context, ref string) (refund.PaymentFacts, error) {
	if h.Payments == nil {
		return refund.PaymentFacts{}, errors.New("put order: no payment provider to check the payment with")
	}
	// A slow provider must become the route's 503, not a stopped function: the gateway's own timeout
	// (Stripe's is 20 s) is longer than the function's.
	ctx, cancel := beforeDeadline(ctx, lookupReserve)
	defer cancel()
	facts, err := h.Payments.LookupPayment(ctx, ref)
	if errors.Is(err, payment.ErrPaymentNotFound) {
		return refund.PaymentFacts{}, &refund.Error{Code: refund.CodeUnprocessable,
			Message: fmt.Sprintf("The payment provider has no payment %q: send the reference of the order's card payment at the provider.", ref),
			Fields:  refund.FieldErrors{"payment.reference": "the payment provider has no payment with this reference"}}
	}
	if err != nil {
		return refund.PaymentFacts{}, fmt.Errorf("look up the payment of an order: %w", err)
	}
	return facts, nil
}

// FeedbackList is the answer of GET /staff/api/feedback.
type FeedbackList struct {
	Feedback []FeedbackItem `json:"feedback"`
	// Next is the cursor of the next page; "" after the last page.
	Next string `json:"next"`
}

// FeedbackItem is one client's feedback.
type FeedbackItem struct {
	RequestID string    `json:"request_id"`
	Rating    int       `json:"rating"`
	Comment   string    `json:"comment"`
	CreatedAt time.Time `json:"created_at"`
}

func (h StaffApi) feedback(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	cursor, limit, _, err := pageParams(req)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	list, next, err := h.Store.ListFeedback(ctx, limit, cursor)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	out := FeedbackList{Feedback: make([]FeedbackItem, 0, len(list)), Next: next}
	for _, f := range list {
		out.Feedback = append(out.Feedback, FeedbackItem{RequestID: f.RequestID, Rating: f.Rating, Comment: f.Comment, CreatedAt: f.At})
	}
	return apigw.JSON(http.StatusOK, out), nil
}
