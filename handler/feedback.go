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
// thank-you page like the first. GET changes nothing but a "viewed" audit entry.
type Feedback struct {
	// Store reads the link and stores the feedback.
	Store FeedbackStore
	// CSRF issues and checks the form's token.
	CSRF apigw.CSRF
	// Logger receives problems that do not fail the request; nil discards.
	Logger *slog.Logger
}

// FeedbackStore is the table as Feedback uses it.
type FeedbackStore interface {
	LinkLookup
	FeedbackGetter
	FeedbackPutter
	AuditAppender
}

// Handle answers one API Gateway event; errors become error pages through apigw.Handle.
func (h Feedback) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return apigw.Handle(h.serve)(ctx, req)
}

func (h Feedback) serve(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	route, params := matchRoute(req, "/feedback/{code}")
	if route == "" {
		return events.APIGatewayV2HTTPResponse{}, errPageNotFound()
	}
	code := params["code"]
	link, closed, err := h.lookup(ctx, code)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if closed != nil {
		return linkResponse(*closed)
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

// feedbackBinding ties the form's CSRF token to the link.
func feedbackBinding(link refund.LinkCode) string { return "feedback:" + link.Hash }

// given reports whether the request already has feedback.
func (h Feedback) given(ctx context.Context, requestID string) (bool, error) {
	_, err := h.Store.GetFeedback(ctx, requestID)
	switch refund.ErrorCode(err) {
	case "":
		return true, nil
	case refund.CodeNotFound:
		return false, nil
	default:
		return false, fmt.Errorf("read feedback of request %s: %w", requestID, err)
	}
}

// form renders the feedback form with a fresh CSRF token.
func (h Feedback) form(req events.APIGatewayV2HTTPRequest, link refund.LinkCode, code string, status int, p web.FeedbackPage) (events.APIGatewayV2HTTPResponse, error) {
	p.Action = "/feedback/" + url.PathEscape(code)
	token, cookie := h.CSRF.Issue(req, feedbackBinding(link))
	p.CSRFToken = token
	resp, err := apigw.Page(status, p)
	if err != nil {
		return resp, err
	}
	return apigw.WithCookie(resp, cookie), nil
}

func (h Feedback) show(ctx context.Context, req events.APIGatewayV2HTTPRequest, link refund.LinkCode, code string) (events.APIGatewayV2HTTPResponse, error) {
	a := clientAudit(req, "viewed")
	a.RequestID = link.RequestID
	a.Detail = "feedback link opened (" + apigw.Method(req) + ")"
	if err := h.Store.AppendAudit(ctx, a); err != nil {
		logger(h.Logger).WarnContext(ctx, "audit feedback view", "requestId", link.RequestID, "error", err.Error())
	}
	done, err := h.given(ctx, link.RequestID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if done {
		return apigw.Page(http.StatusOK, web.FeedbackPage{Done: true})
	}
	return h.form(req, link, code, http.StatusOK, web.FeedbackPage{})
}

func (h Feedback) send(ctx context.Context, req events.APIGatewayV2HTTPRequest, link refund.LinkCode, code string) (events.APIGatewayV2HTTPResponse, error) {
	values, err := apigw.Form(req)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	f, fieldErrs := web.ParseFeedbackForm(values)
	entered := web.FeedbackPage{Rating: values.Get("rating"), Comment: f.Comment}
	if err := h.CSRF.Verify(req, feedbackBinding(link), f.CSRFToken); err != nil {
		_, d := apigw.Describe(req, err)
		entered.Message = d.Message
		return h.form(req, link, code, http.StatusForbidden, entered)
	}
	if fieldErrs != nil {
		entered.Errors = fieldErrs
		return h.form(req, link, code, http.StatusBadRequest, entered)
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
		_, d := apigw.Describe(req, err)
		entered.Errors = d.Fields
		if len(entered.Errors) == 0 {
			entered.Message = d.Message
		}
		return h.form(req, link, code, http.StatusBadRequest, entered)
	default:
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("store feedback of request %s: %w", link.RequestID, err)
	}
	return apigw.Redirect("/feedback/" + url.PathEscape(code)), nil
}
