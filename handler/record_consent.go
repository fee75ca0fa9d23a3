package handler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/refund"
	"refundflow/web"
)

// RecordConsent is the page behind the emailed consent link: GET|HEAD /consent/{code} shows the
// current offers, each with its exact agreement text and hash, and the accept and decline forms;
// POST /consent/{code} records the decision and completes the workflow's consent wait. Both answer
// JSON as well (ConsentView, ConsentBody, ConsentAnswer), for the company's own front ends.
//
// GET and HEAD change nothing but a "viewed" audit entry, so mail scanners that open links cannot
// decide anything. A POST from another website is refused (CrossOrigin), and an acceptance carries
// the hash of the offer and agreement text the client saw: if the offer or its text changed since (a
// staff adjustment, a change of the order record) the hash no longer matches and the client is asked
// to review again. The consent, the link's use, the status change and the audit entry are one
// transaction (ConsentRecorder), so of any number of simultaneous posts exactly one decision is
// recorded and exactly one SendTaskSuccess is sent.
type RecordConsent struct {
	// Store reads the link, request, order and offers, and records the consent.
	Store RecordConsentStore
	// Waits completes the consent wait with {"outcome":"accepted"|"declined"}.
	Waits WaitCompleter
	// CrossOrigin refuses decisions that a browser posts from another website.
	CrossOrigin apigw.CrossOrigin
	// AgreementPDF makes the signed agreement's PDF (GET /consent/{code}/agreement, linked from the
	// page after accepting); nil answers 404 there and links no download.
	AgreementPDF AgreementPDF
	// Clock dates an acceptance when AgreementPDF is set (the PDF's fingerprint needs the time before
	// the write; without AgreementPDF the store's clock dates it); nil is the wall clock.
	Clock Clock
	// Logger receives problems that do not fail the request; nil discards.
	Logger *slog.Logger
}

// RecordConsentStore is the table as RecordConsent uses it.
type RecordConsentStore interface {
	LinkLookup
	RequestGetter
	OfferLister
	OfferGetter
	OrderGetter
	ConsentGetter
	ConsentRecorder
	AuditAppender
	TokenGetter
	DecisionDelivery
}

// Handle answers one API Gateway event; errors become error pages through apigw.Handle.
func (h RecordConsent) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return apigw.Handle(h.serve)(ctx, req)
}

func (h RecordConsent) serve(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	route, params := matchRoute(req, "/consent/{code}", "/consent/{code}/agreement")
	if route == "" {
		return events.APIGatewayV2HTTPResponse{}, errPageNotFound()
	}
	if m := apigw.Method(req); route == "/consent/{code}/agreement" && (m == http.MethodGet || m == http.MethodHead) {
		return h.agreement(ctx, params["code"])
	}
	if err := h.CrossOrigin.Check(req); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	switch m := apigw.Method(req); m {
	case http.MethodGet, http.MethodHead:
		return h.show(ctx, req, params["code"])
	case http.MethodPost:
		return h.decide(ctx, req, params["code"])
	default:
		return events.APIGatewayV2HTTPResponse{}, errMethod(m)
	}
}

// consentView is what a consent link leads to: either the page with the offers, or (closed != nil)
// the page that explains why the link has nothing to show.
type consentView struct {
	link   refund.LinkCode
	req    refund.RequestRecord
	order  refund.Order
	offers []web.ConsentOffer
	closed *web.LinkPage
	// answer is the decision already recorded, for a closed view in state LinkRecorded.
	answer recordedAnswer
}

// load reads everything the consent page needs and decides which page a link leads to. Only
// storage failures are errors; every state of the link and the request is a page.
func (h RecordConsent) load(ctx context.Context, code string) (consentView, error) {
	var v consentView
	if code == "" || len(code) > maxCodeLen {
		v.closed = &web.LinkPage{State: web.LinkUnknown}
		return v, nil
	}
	link, err := h.Store.LookupLinkCode(ctx, refund.HashCode(code), refund.LinkConsent)
	v.link = link
	expired := false
	switch refund.ErrorCode(err) {
	case "":
	case refund.CodeGone:
		expired = true
	case refund.CodeNotFound, refund.CodeInvalid:
		v.closed = &web.LinkPage{State: web.LinkUnknown}
		return v, nil
	default:
		return v, fmt.Errorf("look up consent link: %w", err)
	}
	v.req, err = h.Store.GetRequest(ctx, link.RequestID)
	switch refund.ErrorCode(err) {
	case "":
	case refund.CodeNotFound, refund.CodeInvalid:
		v.closed = &web.LinkPage{State: web.LinkUnknown}
		return v, nil
	default:
		return v, fmt.Errorf("consent page of request %s: %w", link.RequestID, err)
	}

	switch st := v.req.Status; {
	case !link.UsedAt.IsZero() || st == refund.StatusExecuting || st == refund.StatusCompleted || st == refund.StatusDeclined:
		v.answer, err = h.readAnswer(ctx, v.req.ID)
		if err != nil {
			return v, err
		}
		v.closed = &web.LinkPage{State: web.LinkRecorded, Detail: v.answer.detail()}
	case st == refund.StatusWithdrawn:
		v.closed = &web.LinkPage{State: web.LinkWithdrawn}
	case expired || st == refund.StatusExpired:
		v.closed = &web.LinkPage{State: web.LinkExpired}
	case st != refund.StatusAwaitingConsent:
		v.closed = &web.LinkPage{State: web.LinkClosed}
	}
	if v.closed != nil {
		return v, nil
	}

	offers, _, err := h.Store.ListOffers(ctx, v.req.ID)
	if err != nil {
		return v, fmt.Errorf("consent page of request %s: %w", v.req.ID, err)
	}
	v.order, err = h.Store.GetOrder(ctx, v.req.OrderNumber)
	if err != nil {
		return v, fmt.Errorf("consent page of request %s: %w", v.req.ID, err)
	}
	if len(offers) == 0 {
		// awaiting_consent without offers is a workflow defect; say so to staff, not to the client.
		logger(h.Logger).ErrorContext(ctx, "consent link of a request without offers", "requestId", v.req.ID)
		v.closed = &web.LinkPage{State: web.LinkClosed}
		return v, nil
	}
	for _, o := range offers {
		text := refund.Agreement(v.order, v.req.Request, o)
		v.offers = append(v.offers, web.ConsentOffer{Offer: o, Agreement: text, Hash: refund.AgreementHash(o, text)})
	}
	return v, nil
}

// recordedAnswer is the decision recorded for a request, as the pages after it describe it. It names
// only the option and the amount, which the client chose themselves.
type recordedAnswer struct {
	// found is false when no consent is stored (the link was used, but the request ended another way).
	found    bool
	declined bool
	// offer is the accepted option, "Full refund (EUR 1,200.00)"; "" when it cannot be read.
	offer string
	at    time.Time
}

// readAnswer reads the consent recorded for a request.
func (h RecordConsent) readAnswer(ctx context.Context, requestID string) (recordedAnswer, error) {
	c, err := h.Store.GetConsent(ctx, requestID)
	switch refund.ErrorCode(err) {
	case "":
	case refund.CodeNotFound:
		return recordedAnswer{}, nil
	default:
		return recordedAnswer{}, fmt.Errorf("read consent of request %s: %w", requestID, err)
	}
	a := recordedAnswer{found: true, declined: c.Decision == refund.DecisionDecline, at: c.At}
	if a.declined {
		return a, nil
	}
	o, err := h.Store.GetOffer(ctx, requestID, c.OfferID)
	if err != nil {
		// The offer is only named on the page; the decision stands without it.
		logger(h.Logger).WarnContext(ctx, "read accepted offer", "requestId", requestID, "error", err.Error())
		return a, nil
	}
	a.offer = offerLabel(o)
	return a, nil
}

// offerLabel names an offer as the pages after a decision do: "Full refund (EUR 1,200.00)".
func offerLabel(o refund.Offer) string {
	if o.Amount.IsZero() {
		return o.Kind.Label()
	}
	return o.Kind.Label() + " (" + o.Amount.String() + ")"
}

// detail says what was decided and when, for the "already recorded" page.
func (a recordedAnswer) detail() string {
	switch {
	case !a.found:
		return ""
	case a.declined:
		return "You declined our offers on " + formatWhen(a.at) + "."
	case a.offer == "":
		return "You accepted one of our offers on " + formatWhen(a.at) + "."
	}
	return "You accepted " + a.offer + " on " + formatWhen(a.at) + "."
}

// confirmation is the page right after the client's own decision: what they chose and what happens
// next; withStatusLink adds the link to the status page.
func (a recordedAnswer) confirmation(status refund.Status) web.LinkPage {
	if a.declined {
		return web.LinkPage{State: web.LinkDeclined}
	}
	return web.LinkPage{State: web.LinkAccepted, Offer: a.offer, Done: status == refund.StatusCompleted}
}

// page builds the consent page for a view that has offers.
func (v consentView) page(code string) web.ConsentPage {
	return web.ConsentPage{
		Action:       "/consent/" + url.PathEscape(code),
		CustomerName: v.order.CustomerName,
		OrderNumber:  v.order.Number,
		RequestID:    v.req.ID,
		Offers:       v.offers,
		Deadline:     consentDeadline(v.req),
	}
}

// ConsentView is the JSON form of the consent page (GET /consent/{code} with Accept:
// application/json): what the offers are for, until when the client can answer, and the offers with
// their exact agreement texts and hashes. It holds the customer's name as the order has it (for the
// greeting) and nothing else of the order.
type ConsentView struct {
	// RequestID and OrderNumber say what the offers are for.
	RequestID   string `json:"request_id"`
	OrderNumber string `json:"order_number"`
	// CustomerName is the name on the order.
	CustomerName string `json:"customer_name"`
	// Status is the request's status: always awaiting_consent here (other states answer 410).
	Status refund.Status `json:"status"`
	// Deadline is when the offers expire, as the offers email gives it.
	Deadline time.Time `json:"deadline"`
	// Offers are the options, recommended first.
	Offers []ConsentOption `json:"offers"`
}

// ConsentOption is one offer of ConsentView: the offer (refund.Offer's JSON, as the staff API shows
// it), the exact agreement text that accepting it signs, and the hash an acceptance sends back
// (refund.AgreementHash of the offer and that text).
type ConsentOption struct {
	refund.Offer
	AgreementText string `json:"agreement_text"`
	AgreementHash string `json:"agreement_hash"`
}

// json returns the view's JSON form.
func (v consentView) json() ConsentView {
	out := ConsentView{
		RequestID: v.req.ID, OrderNumber: v.order.Number, CustomerName: v.order.CustomerName,
		Status: v.req.Status, Deadline: consentDeadline(v.req).UTC(), Offers: []ConsentOption{},
	}
	for _, o := range v.offers {
		out.Offers = append(out.Offers, ConsentOption{Offer: o.Offer, AgreementText: o.Agreement, AgreementHash: o.Hash})
	}
	return out
}

// consentClosedResponse answers for a closed link. Right after a successful decision (the redirect
// carries ?recorded) the page confirms the client's own decision (200); any other visit to a used
// link says the answer is already recorded (410). A JSON client got its confirmation with its post,
// so it always gets the 410.
func consentClosedResponse(req events.APIGatewayV2HTTPRequest, v consentView, code string) (events.APIGatewayV2HTTPResponse, error) {
	if p := *v.closed; p.State == web.LinkRecorded && v.answer.found && apigw.Method(req) != http.MethodPost && !apigw.WantsJSON(req) {
		if q, err := apigw.Query(req); err == nil && q.Has("recorded") {
			return linkResponse(withStatusLink(v.answer.confirmation(v.req.Status), v, code))
		}
	}
	return linkAnswer(req, withStatusLink(*v.closed, v, code))
}

func (h RecordConsent) show(ctx context.Context, req events.APIGatewayV2HTTPRequest, code string) (events.APIGatewayV2HTTPResponse, error) {
	v, err := h.load(ctx, code)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if v.req.ID != "" {
		// The only write a GET or HEAD makes. A failure to write it must not hide the offers.
		a := clientAudit(req, "viewed")
		a.RequestID = v.req.ID
		a.Detail = "consent link opened (" + apigw.Method(req) + ")"
		if err := h.Store.AppendAudit(ctx, a); err != nil {
			logger(h.Logger).WarnContext(ctx, "audit consent view", "requestId", v.req.ID, "error", err.Error())
		}
	}
	if v.closed != nil {
		return consentClosedResponse(req, v, code)
	}
	if apigw.WantsJSON(req) {
		return apigw.JSON(http.StatusOK, v.json()), nil
	}
	return apigw.Page(http.StatusOK, v.page(code))
}

// Messages of the consent page after a POST that could not be recorded as sent, and their JSON
// counterparts (a JSON client has no options "below": it reads them again with GET).
const (
	msgOfferChanged     = "The offer changed since you opened this page. Please review the options below again and choose once more."
	msgReviewAgain      = "Your request changed while you were deciding. Please review the options below and choose again."
	msgOfferChangedJSON = "The offer changed since you read it. Please read the offers again and choose once more."
	msgReviewAgainJSON  = "Your request changed while you were deciding. Please read the offers again and choose once more."
)

// ConsentBody is the JSON body of POST /consent/{code}. An acceptance names the offer, the
// agreement_hash shown with it (so the client accepts exactly the offer and text it read), the name
// the client typed as signature and agree true (the client ticked "I agree"); a decline may give a
// reason. The rules are the consent page's (web.ConsentForm).
type ConsentBody struct {
	// Decision is "accept" or "decline".
	Decision string `json:"decision"`
	// OfferID and OfferHash name the accepted offer and its agreement hash (accept).
	OfferID   string `json:"offer_id"`
	OfferHash string `json:"offer_hash"`
	// TypedName is the signature, 1–200 characters (accept).
	TypedName string `json:"typed_name"`
	// Agree must be true (accept).
	Agree bool `json:"agree"`
	// DeclineReason is optional, at most 2000 characters (decline).
	DeclineReason string `json:"decline_reason"`
}

// ConsentAnswer is the JSON answer to a recorded decision (200): what was recorded, the request's
// status now (executing after an acceptance, declined after a decline) and the sentence the
// confirmation page shows.
type ConsentAnswer struct {
	RequestID string          `json:"request_id"`
	Decision  refund.Decision `json:"decision"`
	OfferID   string          `json:"offer_id,omitempty"`
	OfferHash string          `json:"offer_hash,omitempty"`
	Status    refund.Status   `json:"status"`
	Message   string          `json:"message"`
}

// readConsentDecision reads a decision posted by the consent page's forms or as JSON
// (ConsentBody), normalised and checked; the field errors are keyed like the page's fields.
func readConsentDecision(req events.APIGatewayV2HTTPRequest) (web.ConsentForm, refund.FieldErrors, error) {
	var body ConsentBody
	values, err := apigw.FormOrJSON(req, &body)
	if err != nil {
		return web.ConsentForm{}, nil, err
	}
	if values != nil {
		f, errs := web.ParseConsentForm(values)
		return f, errs, nil
	}
	f := web.ConsentForm{
		Decision: body.Decision, OfferID: body.OfferID, OfferHash: body.OfferHash,
		FullName: body.TypedName, Agreed: body.Agree, DeclineReason: body.DeclineReason,
	}.Normalize()
	return f, f.Check(), nil
}

// consentJSONFields renames the consent page's field errors to ConsentBody's names.
func consentJSONFields(f web.ConsentForm, errs refund.FieldErrors) refund.FieldErrors {
	out := refund.FieldErrors{}
	for k, msg := range errs {
		switch k {
		case "full_name":
			k = "typed_name"
		case "offer":
			k = "offer_id"
			if f.OfferID != "" {
				k = "offer_hash"
			}
		}
		out[k] = msg
	}
	return out
}

// consentReply answers a consent POST that was not recorded as sent, in the form the client asked
// for: the consent page again with what was entered and the messages (browsers), or an error body
// (JSON).
type consentReply struct {
	req  events.APIGatewayV2HTTPRequest
	code string
	form web.ConsentForm
}

// page renders the consent page of v with what the client entered.
func (r consentReply) page(status int, v consentView, edit func(*web.ConsentPage)) (events.APIGatewayV2HTTPResponse, error) {
	p := v.page(r.code)
	p.Selected, p.FullName, p.Agreed, p.DeclineReason = r.form.OfferID, r.form.FullName, r.form.Agreed, r.form.DeclineReason
	edit(&p)
	return apigw.Page(status, p)
}

// invalid answers 400 with a message per field (page names; JSON clients get ConsentBody's).
func (r consentReply) invalid(v consentView, errs refund.FieldErrors) (events.APIGatewayV2HTTPResponse, error) {
	if apigw.WantsJSON(r.req) {
		return events.APIGatewayV2HTTPResponse{}, &refund.Error{Code: refund.CodeInvalid, Fields: consentJSONFields(r.form, errs)}
	}
	return r.page(http.StatusBadRequest, v, func(p *web.ConsentPage) { p.Errors = errs })
}

// changed answers 409: the offer the client chose is not the current one (offerGone), or the request
// changed while the client decided. The page shows the current offers again.
func (r consentReply) changed(v consentView, offerGone bool) (events.APIGatewayV2HTTPResponse, error) {
	if apigw.WantsJSON(r.req) {
		e := &refund.Error{Code: refund.CodeConflict, Message: msgReviewAgainJSON}
		if offerGone {
			e.Message = msgOfferChangedJSON
			e.Fields = refund.FieldErrors{"offer_hash": "does not match a current offer and its agreement text; read the offers again"}
		}
		return events.APIGatewayV2HTTPResponse{}, e
	}
	return r.page(http.StatusConflict, v, func(p *web.ConsentPage) {
		p.Message = msgReviewAgain
		if offerGone {
			p.Selected, p.Message = "", msgOfferChanged
		}
	})
}

// recorded answers a decision just recorded: 303 to the confirmation page (browsers), or
// ConsentAnswer (JSON).
func (r consentReply) recorded(c refund.Consent, chosen web.ConsentOffer) (events.APIGatewayV2HTTPResponse, error) {
	if !apigw.WantsJSON(r.req) {
		return apigw.Redirect("/consent/" + url.PathEscape(r.code) + "?recorded=1"), nil
	}
	a := recordedAnswer{found: true, declined: c.Decision == refund.DecisionDecline}
	status := refund.StatusDeclined
	if !a.declined {
		status = refund.StatusExecuting
		a.offer = offerLabel(chosen.Offer)
	}
	return apigw.JSON(http.StatusOK, ConsentAnswer{
		RequestID: c.RequestID, Decision: c.Decision, OfferID: c.OfferID, OfferHash: c.OfferHash,
		Status: status, Message: a.confirmation(status).Message(),
	}), nil
}

// maxConsentAttempts bounds how often a decision is retried after the request changed underneath
// it (each retry re-reads everything and re-checks the offer hash).
const maxConsentAttempts = 3

func (h RecordConsent) decide(ctx context.Context, req events.APIGatewayV2HTTPRequest, code string) (events.APIGatewayV2HTTPResponse, error) {
	v, err := h.load(ctx, code)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if v.closed != nil {
		return linkAnswer(req, *v.closed)
	}
	form, fieldErrs, err := readConsentDecision(req)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	reply := consentReply{req: req, code: code, form: form}
	if fieldErrs != nil {
		return reply.invalid(v, fieldErrs)
	}

	for attempt := 1; ; attempt++ {
		c := refund.Consent{
			RequestID: v.req.ID, LinkHash: v.link.Hash, IP: apigw.ClientIP(req), UserAgent: apigw.UserAgent(req),
		}
		outcome := OutcomeDeclined
		var chosen web.ConsentOffer
		if form.Decision == web.DecisionAccept {
			var ok bool
			chosen, ok = findConsentOffer(v.offers, form.OfferID)
			if !ok || chosen.Hash != form.OfferHash {
				return reply.changed(v, true)
			}
			c.Decision, c.OfferID, c.OfferHash, c.AgreementText, c.TypedName =
				refund.DecisionAccept, chosen.Offer.ID, chosen.Hash, chosen.Agreement, form.FullName
			outcome = OutcomeAccepted
		} else {
			c.Decision, c.DeclineReason = refund.DecisionDecline, form.DeclineReason
		}
		audit := clientAudit(req, "")
		if c.Decision == refund.DecisionAccept {
			c = h.fingerprint(ctx, c, v.req)
			if c.PDFHash != "" {
				audit.Detail = AgreementAuditPrefix + c.PDFHash
			}
		}

		err := h.Store.RecordConsent(ctx, c, v.req.Version, audit)
		if err == nil {
			h.wakeConsentWait(ctx, v.req.ID, outcome)
			return reply.recorded(c, chosen)
		}
		switch refund.ErrorCode(err) {
		case refund.CodeConflict, refund.CodeGone:
			// Another post won, the link expired, or the request moved: read again and show
			// what is true now ("already recorded", "expired", ...), or try once more if the
			// request is still waiting for this decision.
			v, err = h.load(ctx, code)
			if err != nil {
				return events.APIGatewayV2HTTPResponse{}, err
			}
			if v.closed != nil {
				return linkAnswer(req, *v.closed)
			}
			if attempt < maxConsentAttempts {
				continue
			}
			return reply.changed(v, false)
		case refund.CodeNotFound:
			return reply.changed(v, true)
		case refund.CodeInvalid:
			return reply.invalid(v, consentFieldErrors(err))
		default:
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("record consent of request %s: %w", v.req.ID, err)
		}
	}
}

// AgreementAuditPrefix starts the detail of a consent_accepted audit entry whose signed agreement PDF
// was made at consent; the PDF's hex SHA-256 follows it.
const AgreementAuditPrefix = "signed agreement PDF SHA-256 "

// fingerprint dates an acceptance and makes its signed agreement's PDF the way the downloads make it
// again later (the same record as the store will keep it: IP and user agent bounded like the store
// bounds them), to record the PDF's SHA-256 with the consent. The PDF is not stored. A PDF that cannot
// be made does not stop the decision: it is recorded without a fingerprint, and staff are told.
func (h RecordConsent) fingerprint(ctx context.Context, c refund.Consent, req refund.RequestRecord) refund.Consent {
	if h.AgreementPDF == nil {
		return c // the store dates it
	}
	c.At = h.Clock.now()
	c.IP, c.UserAgent = refund.Truncate(c.IP, refund.MaxAuditIP), refund.Truncate(c.UserAgent, refund.MaxAuditUserAgent)
	data, _, err := h.AgreementPDF(ctx, web.CurrentCompany(), c, req.OrderNumber, req.PolicyVersion)
	if err != nil {
		logger(h.Logger).ErrorContext(ctx, "make the signed agreement PDF at consent; recorded without its fingerprint", "requestId", c.RequestID, "error", err.Error())
		return c
	}
	sum := sha256.Sum256(data)
	c.OrderNumber, c.PDFHash = req.OrderNumber, hex.EncodeToString(sum[:])
	return c
}

// wakeConsentWait completes the workflow's consent wait with the recorded outcome. The decision is
// already stored with its resume marker, so no failure here is the client's problem: if the call
// fails, the ResumeDecisions sweeper delivers the outcome within minutes; if the token is stale, the
// workflow's next consent phase (remind or expire) finds the recorded decision and continues with it.
func (h RecordConsent) wakeConsentWait(ctx context.Context, requestID, outcome string) {
	log := logger(h.Logger)
	tok, err := h.Store.GetTaskToken(ctx, requestID)
	if err != nil {
		log.WarnContext(ctx, "read task token after consent; the sweeper delivers the decision", "requestId", requestID, "error", err.Error())
		return
	}
	if tok.Token == "" || tok.Kind != refund.TokenConsent {
		log.WarnContext(ctx, "no consent wait to complete after consent; the next consent phase will pick it up", "requestId", requestID, "tokenKind", string(tok.Kind))
	}
	done, err := deliverDecision(ctx, h.Store, h.Waits, h.Logger, requestID, outcome, tok, false)
	switch {
	case err != nil:
		log.WarnContext(ctx, "send consent outcome; the sweeper delivers it", "requestId", requestID, "outcome", outcome, "error", err.Error())
	case done != delivered && tok.Token != "" && tok.Kind == refund.TokenConsent:
		log.InfoContext(ctx, "consent wait had already ended; the next consent phase will pick the decision up", "requestId", requestID)
	}
}

// findConsentOffer returns the offer with the id among the page's offers.
func findConsentOffer(offers []web.ConsentOffer, id string) (web.ConsentOffer, bool) {
	for _, o := range offers {
		if o.Offer.ID == id {
			return o, true
		}
	}
	return web.ConsentOffer{}, false
}

// consentFieldErrors maps the store's field names to the page's (typed_name is the full_name input).
func consentFieldErrors(err error) refund.FieldErrors {
	out := refund.FieldErrors{}
	_, d := apigw.Describe(events.APIGatewayV2HTTPRequest{}, err)
	for k, msg := range d.Fields {
		switch k {
		case "typed_name":
			out["full_name"] = msg
		case "offer_id", "offer_hash":
			out["offer"] = msg
		default:
			out[k] = msg
		}
	}
	if len(out) == 0 {
		out["decision"] = d.Message
	}
	return out
}
