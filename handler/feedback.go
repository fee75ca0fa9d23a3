package handler

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/refund"
	"refundflow/web"
)

// Feedback is the page the client is invited to once their request is complete:
// GET /feedback/{code} shows a rating from 1 to 5 and a comment box, POST /feedback/{code} stores
// the answer, once. A second answer (double submit, second tab) is not stored and shows the
// thank-you page like the first. GET changes nothing but a "viewed" audit entry. Both answer JSON
// as well (FeedbackView, FeedbackBody), and a POST from another website is refused (CrossOrigin).
//
// The same function serves the public check of a signed agreement, GET and POST /verify (verify.go):
// another public form that reads one item and writes nothing, so it needs no function of its own.
type Feedback struct {
	// Store reads the link and stores the feedback, and finds signed agreements for /verify.
	Store FeedbackStore
	// CrossOrigin refuses answers that a browser posts from another website.
	CrossOrigin apigw.CrossOrigin
	// Logger receives problems that do not fail the request; nil discards.
	Logger *slog.Logger
}

// FeedbackStore is the table as Feedback uses it.
type FeedbackStore interface {
	LinkLookup
	FeedbackGetter
	FeedbackPutter
	AuditAppender
	SignedAgreementGetter
}

// FeedbackBody is the JSON body of POST /feedback/{code}: a rating from 1 (very poor) to 5 (very
// good) and an optional comment of at most 2000 characters.
type FeedbackBody struct {
	Rating  int    `json:"rating"`
	Comment string `json:"comment"`
}

// FeedbackView is the JSON answer of GET and POST /feedback/{code}: the request the link is for and
// the feedback recorded for it, null until there is one. Feedback is recorded once: after a second
// POST it is still the first answer.
type FeedbackView struct {
	RequestID string           `json:"request_id"`
	Feedback  *refund.Feedback `json:"feedback"`
}

// Handle answers one API Gateway event; errors become error pages through apigw.Handle.
func (h Feedback) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return apigw.Handle(h.serve)(ctx, req)
}

func (h Feedback) serve(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	route, params := matchRoute(req, "/feedback/{code}", "/verify")
	if route == "" {
		return events.APIGatewayV2HTTPResponse{}, errPageNotFound()
	}
	if err := h.CrossOrigin.Check(req); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if route == "/verify" {
		return h.verify(ctx, req)
	}
	code := params["code"]
	link, closed, err := h.lookup(ctx, code)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if closed != nil {
		return linkAnswer(req, *closed)
	}
	switch m := apigw.Method(req); m {
	case http.MethodGet, http.MethodHead:
		return h.show(ctx, req, link, code)
	case http.MethodPost:
		return h.send(ctx, req, link, code)
	default:
		return events.APIGatewayV2HTTPResponse{}, errMethod(m)
	}
}

// lookup finds the feedback link. An unknown code gets the "unknown link" page; an expired one the
// "closed" page with a sentence about feedback (the link page's own "expired" text is about offers).
func (h Feedback) lookup(ctx context.Context, code string) (refund.LinkCode, *web.LinkPage, error) {
	if code == "" || len(code) > maxCodeLen {
		return refund.LinkCode{}, &web.LinkPage{State: web.LinkUnknown}, nil
	}
	link, err := h.Store.LookupLinkCode(ctx, refund.HashCode(code), refund.LinkFeedback)
	switch refund.ErrorCode(err) {
	case "":
		return link, nil, nil
	case refund.CodeGone:
		return link, &web.LinkPage{State: web.LinkClosed, Detail: "The time for feedback on this request has passed. Thank you all the same."}, nil
	case refund.CodeNotFound, refund.CodeInvalid:
		return link, &web.LinkPage{State: web.LinkUnknown}, nil
	default:
		return link, nil, fmt.Errorf("look up feedback link: %w", err)
	}
}

// given returns the request's feedback, nil when there is none yet.
func (h Feedback) given(ctx context.Context, requestID string) (*refund.Feedback, error) {
	f, err := h.Store.GetFeedback(ctx, requestID)
	switch refund.ErrorCode(err) {
	case "":
		return &f, nil
	case refund.CodeNotFound:
		return nil, nil
	default:
		return nil, fmt.Errorf("read feedback of request %s: %w", requestID, err)
	}
}

// answer shows the feedback as it stands: FeedbackView (JSON), the thank-you page once given, or the
// form with status and what was entered.
func (h Feedback) answer(ctx context.Context, req events.APIGatewayV2HTTPRequest, link refund.LinkCode, code string, status int, p web.FeedbackPage) (events.APIGatewayV2HTTPResponse, error) {
	fb, err := h.given(ctx, link.RequestID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	switch {
	case apigw.WantsJSON(req):
		return apigw.JSON(http.StatusOK, FeedbackView{RequestID: link.RequestID, Feedback: fb}), nil
	case fb != nil:
		return apigw.Page(http.StatusOK, web.FeedbackPage{Done: true})
	}
	p.Action = "/feedback/" + url.PathEscape(code)
	return apigw.Page(status, p)
}

func (h Feedback) show(ctx context.Context, req events.APIGatewayV2HTTPRequest, link refund.LinkCode, code string) (events.APIGatewayV2HTTPResponse, error) {
	a := clientAudit(req, "viewed")
	a.RequestID = link.RequestID
	a.Detail = "feedback link opened (" + apigw.Method(req) + ")"
	if err := h.Store.AppendAudit(ctx, a); err != nil {
		logger(h.Logger).WarnContext(ctx, "audit feedback view", "requestId", link.RequestID, "error", err.Error())
	}
	return h.answer(ctx, req, link, code, http.StatusOK, web.FeedbackPage{})
}

// readFeedback reads an answer posted by the feedback page or as JSON (FeedbackBody), normalised and
// checked, with what was entered for the page.
func readFeedback(req events.APIGatewayV2HTTPRequest) (web.FeedbackForm, web.FeedbackPage, refund.FieldErrors, error) {
	var body FeedbackBody
	values, err := apigw.FormOrJSON(req, &body)
	if err != nil {
		return web.FeedbackForm{}, web.FeedbackPage{}, nil, err
	}
	if values != nil {
		f, errs := web.ParseFeedbackForm(values)
		return f, web.FeedbackPage{Rating: values.Get("rating"), Comment: f.Comment}, errs, nil
	}
	f := web.FeedbackForm{Rating: body.Rating, Comment: body.Comment}.Normalize()
	return f, web.FeedbackPage{Rating: strconv.Itoa(body.Rating), Comment: f.Comment}, f.Check(), nil
}

func (h Feedback) send(ctx context.Context, req events.APIGatewayV2HTTPRequest, link refund.LinkCode, code string) (events.APIGatewayV2HTTPResponse, error) {
	f, entered, fieldErrs, err := readFeedback(req)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if fieldErrs != nil {
		if apigw.WantsJSON(req) {
			return events.APIGatewayV2HTTPResponse{}, &refund.Error{Code: refund.CodeInvalid, Fields: fieldErrs}
		}
		entered.Errors = fieldErrs
		entered.Action = "/feedback/" + url.PathEscape(code)
		return apigw.Page(http.StatusBadRequest, entered)
	}
	err = h.Store.PutFeedback(ctx, refund.Feedback{RequestID: link.RequestID, Rating: f.Rating, Comment: f.Comment})
	switch refund.ErrorCode(err) {
	case "":
		a := clientAudit(req, "feedback_given")
		a.RequestID = link.RequestID
		a.Detail = "rating " + strconv.Itoa(f.Rating)
		if err := h.Store.AppendAudit(ctx, a); err != nil {
			logger(h.Logger).WarnContext(ctx, "audit feedback", "requestId", link.RequestID, "error", err.Error())
		}
	case refund.CodeConflict:
		// Already given: once is enough, and the first answer stays.
	case refund.CodeInvalid:
		if apigw.WantsJSON(req) {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		_, d := apigw.Describe(req, err)
		entered.Errors = d.Fields
		if len(entered.Errors) == 0 {
			entered.Message = d.Message
		}
		entered.Action = "/feedback/" + url.PathEscape(code)
		return apigw.Page(http.StatusBadRequest, entered)
	default:
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("store feedback of request %s: %w", link.RequestID, err)
	}
	if apigw.WantsJSON(req) {
		return h.answer(ctx, req, link, code, http.StatusOK, web.FeedbackPage{})
	}
	return apigw.Redirect("/feedback/" + url.PathEscape(code)), nil
}
