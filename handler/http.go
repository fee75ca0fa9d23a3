package handler

// What the HTTP handlers share: routing an event to a route, the answers for paths and methods no
// route serves, the audit entry of a client's action, the pages of links that cannot show their
// form, and the 503 answer apigw's error table leaves out on purpose.

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/refund"
	"refundflow/web"
)

// maxCodeLen bounds a link code from a URL before it is hashed; real codes have 32 characters.
const maxCodeLen = 128

// matchRoute returns which of the path templates ("/requests/{id}") the request is for, and its path
// parameters. API Gateway names the route in routeKey ("GET /requests/{id}") and decodes the
// parameters into pathParameters; an event without a matching routeKey (a $default route, a
// hand-made event) is matched on its path instead, segment by segment. "" means no template matches.
func matchRoute(req events.APIGatewayV2HTTPRequest, templates ...string) (string, map[string]string) {
	if _, path, ok := strings.Cut(req.RouteKey, " "); ok {
		for _, t := range templates {
			if t == path {
				params := req.PathParameters
				if params == nil {
					params = map[string]string{}
				}
				return t, params
			}
		}
	}
	path := req.RawPath
	if path == "" {
		path = req.RequestContext.HTTP.Path
	}
	got := strings.Split(strings.Trim(path, "/"), "/")
	for _, t := range templates {
		want := strings.Split(strings.Trim(t, "/"), "/")
		if len(want) != len(got) {
			continue
		}
		params := map[string]string{}
		ok := true
		for i, seg := range want {
			if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
				v, err := url.PathUnescape(got[i])
				if err != nil || v == "" {
					ok = false
					break
				}
				params[seg[1:len(seg)-1]] = v
				continue
			}
			if seg != got[i] {
				ok = false
				break
			}
		}
		if ok {
			return t, params
		}
	}
	return "", nil
}

// errPageNotFound is the answer for a path no handler serves.
func errPageNotFound() error {
	return refund.Errorf(refund.CodeNotFound, "There is no page at this address.")
}

// errMethod is the answer for a method a route does not take (405): a browser that opens the address
// a form posts to (template.yaml routes GET of those addresses here too, so a browser gets this page
// rather than API Gateway's own JSON 404), or a hand-made event.
func errMethod(method string) error {
	if method == http.MethodGet || method == http.MethodHead {
		return refund.Errorf(apigw.CodeMethodNotAllowed, "This address receives a form when you send it; it has no page of its own. Start from the request form, or open the link in our latest email again.")
	}
	return refund.Errorf(apigw.CodeMethodNotAllowed, "This address does not answer %s requests.", method)
}

// clientAudit starts an audit entry for something the client did, with the connection's address and
// user agent as API Gateway saw them.
func clientAudit(req events.APIGatewayV2HTTPRequest, action string) refund.AuditEntry {
	return refund.AuditEntry{
		Actor:     refund.ActorClient,
		Action:    action,
		IP:        apigw.ClientIP(req),
		UserAgent: apigw.UserAgent(req),
	}
}

// linkResponse renders the page for an emailed link that cannot show its form.
func linkResponse(p web.LinkPage) (events.APIGatewayV2HTTPResponse, error) {
	return apigw.Page(p.HTTPStatus(), p)
}

// linkAnswer answers for an emailed link that cannot show its form: the link page for browsers, and
// for JSON the error body in the page's words, not_found (404) for a link nobody was sent and gone
// (410) with the page's state as reason ("recorded", "expired", "withdrawn", "closed") otherwise.
func linkAnswer(req events.APIGatewayV2HTTPRequest, p web.LinkPage) (events.APIGatewayV2HTTPResponse, error) {
	if !apigw.WantsJSON(req) {
		return linkResponse(p)
	}
	d := apigw.ErrorDetail{Code: refund.CodeGone, Message: p.Message(), Reason: string(p.State), RequestID: apigw.RequestID(req)}
	switch p.State {
	case web.LinkUnknown, "":
		d.Code, d.Reason = refund.CodeNotFound, ""
	case web.LinkAccepted, web.LinkDeclined:
		// Confirmations are pages a browser is redirected to after its own post; a JSON client got
		// its answer with the post, and the link is used.
		d.Reason = string(web.LinkRecorded)
		d.Message = web.LinkPage{State: web.LinkRecorded}.Message()
	}
	if p.Detail != "" {
		d.Message += " " + p.Detail
	}
	return apigw.JSON(apigw.Status(d.Code), apigw.ErrorBody{Error: d}), nil
}

// CodeUnavailable is the error code of a 503 answer: a service the handler depends on did not answer,
// and sending the same thing again later is safe.
const CodeUnavailable refund.Code = "unavailable"

// unavailable answers 503 with a message asking to try again, as JSON or as an error page. apigw's
// error table has no 503 on purpose (no domain error means "try later"), so the few handlers that
// depend on another service build the answer here.
func unavailable(req events.APIGatewayV2HTTPRequest, message string) (events.APIGatewayV2HTTPResponse, error) {
	if apigw.WantsJSON(req) {
		return unavailableJSON(req, message)
	}
	resp, err := apigw.Page(http.StatusServiceUnavailable, web.ErrorPage{
		Status: http.StatusServiceUnavailable, Title: "Please try again in a moment", Message: message,
		Reference: apigw.RequestID(req),
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	resp.Headers["Retry-After"] = "30"
	return resp, nil
}

// unavailableJSON is unavailable for the staff API, whose callers read JSON only (and whose binary
// links no page template: see apigw.HandleJSON).
func unavailableJSON(req events.APIGatewayV2HTTPRequest, message string) (events.APIGatewayV2HTTPResponse, error) {
	resp := apigw.JSON(http.StatusServiceUnavailable, apigw.ErrorBody{Error: apigw.ErrorDetail{
		Code: CodeUnavailable, Message: message, RequestID: apigw.RequestID(req),
	}})
	resp.Headers["Retry-After"] = "30"
	return resp, nil
}

// formatWhen shows an instant the way the pages do: "3 March 2025 at 14:05 UTC".
func formatWhen(t time.Time) string {
	return t.UTC().Format("2 January 2006 at 15:04 UTC")
}
