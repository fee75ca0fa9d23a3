package handler

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/refund"
	"refundflow/web"
)

// Web serves the pages that hold no data: GET / (the request form), GET /assets/{file} (stylesheet,
// script, icon), GET /policy and /policy/{version} (the published refund policy, in force and earlier
// versions), GET /staff (the staff console, whose script loads everything from the staff API with the
// staff member's token) and GET /openapi.yaml (the API's contract). It needs no AWS dependency.
type Web struct {
	// StaffAPIBase is the staff API's path prefix the console calls; "/staff/api" when empty.
	StaffAPIBase string
	// StaffSignIn is what the console needs to sign staff in (the user pool's hosted sign-in).
	StaffSignIn web.StaffSignIn
	// OpenAPI is the contract GET /openapi.yaml answers (docs/openapi.yaml, embedded by the root
	// package); the route is 404 while it is empty.
	OpenAPI []byte
}

// OpenAPIContentType is the media type of GET /openapi.yaml (RFC 9512).
const OpenAPIContentType = "application/yaml"

// openAPICache lets browsers and tools keep the contract for a few minutes: it changes only with a
// deployment, and a cached copy a few minutes old is harmless.
const openAPICache = "public, max-age=300"

// Handle answers one API Gateway event; errors become error pages through apigw.Handle.
func (h Web) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return apigw.Handle(h.serve)(ctx, req)
}

func (h Web) serve(_ context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	route, params := matchRoute(req, "/", "/assets/{file}", "/staff", "/openapi.yaml", "/policy", "/policy/{version}")
	if route == "" {
		return events.APIGatewayV2HTTPResponse{}, errPageNotFound()
	}
	if m := apigw.Method(req); m != http.MethodGet && m != http.MethodHead {
		return events.APIGatewayV2HTTPResponse{}, errMethod(m)
	}
	switch route {
	case "/":
		return apigw.Page(http.StatusOK, web.FormPage{})
	case "/policy":
		return apigw.Page(http.StatusOK, policyPage(refund.DefaultPolicy(), true))
	case "/policy/{version}":
		p, ok := refund.PublishedPolicy(params["version"])
		if !ok {
			return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeNotFound, "We have never published a refund policy of this version. The policy in force today is at /policy.")
		}
		return apigw.Page(http.StatusOK, policyPage(p, p.Version == refund.DefaultPolicy().Version))
	case "/staff":
		resp, err := apigw.Page(http.StatusOK, web.StaffPage{APIBase: h.StaffAPIBase, SignIn: h.StaffSignIn})
		if o := signInOrigin(h.StaffSignIn.URL); err == nil && o != "" {
			// The console exchanges the sign-in's code at the hosted sign-in's token endpoint, another
			// origin: its fetch needs that origin in connect-src (the last directive of the policy).
			resp.Headers["Content-Security-Policy"] += " " + o
		}
		return resp, err
	case "/openapi.yaml":
		if len(h.OpenAPI) == 0 {
			return events.APIGatewayV2HTTPResponse{}, errPageNotFound()
		}
		resp := apigw.Text(http.StatusOK, string(h.OpenAPI))
		resp.Headers["Content-Type"] = OpenAPIContentType
		resp.Headers["Cache-Control"] = openAPICache
		return resp, nil
	default:
		data, contentType, ok := web.Asset(params["file"])
		if !ok {
			return events.APIGatewayV2HTTPResponse{}, errPageNotFound()
		}
		return apigw.Static(data, contentType), nil
	}
}

// signInOrigin is the origin of the hosted sign-in's URL when it is another site's (https, a plain
// host name), "" otherwise: a same-site stand-in (the local stack's, a path) needs nothing more than
// 'self', and a value that is not a plain origin never reaches the Content-Security-Policy.
func signInOrigin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return ""
	}
	for _, c := range u.Host {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':') {
			return ""
		}
	}
	return "https://" + u.Host
}

// policyPage is the policy page of p, with the consent period the workflow gives.
func policyPage(p refund.Policy, current bool) web.PolicyPage {
	return web.PolicyPage{Policy: p, Current: current,
		AnswerDays: int(ConsentPeriod / (24 * time.Hour)), ReminderDays: int(ConsentReminderAfter / (24 * time.Hour))}
}
