package apigw

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/refund"
	"refundflow/web"
)

// Codes that exist only at the HTTP edge: the domain never produces them, but the body and content-type
// checks here do, and they need their own statuses.
const (
	// CodeTooLarge means the request body is over the size limit.
	CodeTooLarge refund.Code = "too_large"
	// CodeUnsupportedMediaType means the body's Content-Type is not what the route accepts.
	CodeUnsupportedMediaType refund.Code = "unsupported_media_type"
	// CodeMethodNotAllowed means the path exists but does not take the method (a browser opening
	// the address a form posts to).
	CodeMethodNotAllowed refund.Code = "method_not_allowed"
)

// statusByCode is the one table from error code to HTTP status. A code missing here is answered as
// internal: an error nobody classified is never blamed on the caller.
var statusByCode = map[refund.Code]int{
	refund.CodeInvalid:       http.StatusBadRequest,
	refund.CodeUnauthorized:  http.StatusUnauthorized,
	refund.CodeForbidden:     http.StatusForbidden,
	refund.CodeNotFound:      http.StatusNotFound,
	refund.CodeConflict:      http.StatusConflict,
	refund.CodeGone:          http.StatusGone,
	refund.CodeUnprocessable: http.StatusUnprocessableEntity,
	refund.CodeTooMany:       http.StatusTooManyRequests,
	CodeTooLarge:             http.StatusRequestEntityTooLarge,
	CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	refund.CodeInternal:      http.StatusInternalServerError,
}

// defaultMessages say something useful when an error carries no message of its own. The internal one
// is the only message ever shown for internal errors.
var defaultMessages = map[refund.Code]string{
	refund.CodeInvalid:       "Some of the information sent was not valid.",
	refund.CodeUnauthorized:  "Please sign in to continue.",
	refund.CodeForbidden:     "You are not allowed to do this.",
	refund.CodeNotFound:      "We could not find what you were looking for. Please check the link.",
	refund.CodeConflict:      "This was changed in the meantime. Please reload the page and try again.",
	refund.CodeGone:          "This link is no longer valid.",
	refund.CodeUnprocessable: "What was sent disagrees with our records.",
	refund.CodeTooMany:       "You have done this too often for now. Please try again later.",
	CodeTooLarge:             "What you sent is too large.",
	CodeUnsupportedMediaType: "This kind of content is not accepted here.",
	CodeMethodNotAllowed:     "This address receives a form when you send it; it has no page of its own.",
	refund.CodeInternal:      "Something went wrong on our side. Please try again in a few minutes; if it keeps happening, contact us and quote the reference below.",
}

// titles head the HTML error page.
var titles = map[refund.Code]string{
	refund.CodeInvalid:       "Please check what you sent",
	refund.CodeUnauthorized:  "Sign in needed",
	refund.CodeForbidden:     "Not allowed",
	refund.CodeNotFound:      "Page not found",
	refund.CodeConflict:      "Something changed in the meantime",
	refund.CodeGone:          "This link is no longer valid",
	refund.CodeUnprocessable: "What you sent disagrees with our records",
	refund.CodeTooMany:       "Please wait before sending more",
	CodeTooLarge:             "Too large",
	CodeUnsupportedMediaType: "Not accepted",
	CodeMethodNotAllowed:     "This address has no page of its own",
	refund.CodeInternal:      "Sorry, something went wrong",
}

// Status returns the HTTP status for an error code: invalid 400, unauthorized 401, forbidden 403,
// not_found 404, method_not_allowed 405, conflict 409, gone 410, too_large 413, unsupported_media_type
// 415, unprocessable 422, too_many_requests 429, anything else 500.
func Status(code refund.Code) int {
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON shape of every error response:
// {"error":{"code":"invalid","message":"...","fields":{"email":"..."},"requestId":"..."}}
// ("reason" instead of "fields" for a link that is gone).
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the content of an error response.
type ErrorDetail struct {
	// Code is the refund.Code (or one of this package's edge codes).
	Code refund.Code `json:"code"`
	// Message is a sentence for a person; generic for internal errors.
	Message string `json:"message"`
	// Fields has one message per invalid field, for code "invalid", or per field whose stored value
	// refuses the change, for code "conflict" (an order's status Refundflow settled), or per field that
	// disagrees with the record held elsewhere, for code "unprocessable" (an order's payment at the
	// payment provider).
	Fields refund.FieldErrors `json:"fields,omitempty"`
	// Reason says, for code "gone", why an emailed link can no longer be used: "recorded" (the
	// answer is already recorded), "expired", "withdrawn" or "closed" (the request ended another way).
	Reason string `json:"reason,omitempty"`
	// RetryAfter is, for code "too_many_requests", how many seconds to wait before trying again (also
	// sent as the Retry-After header); the message says when in words.
	RetryAfter int64 `json:"retry_after,omitempty"`
	// RequestID is API Gateway's request id, to quote when asking for help.
	RequestID string `json:"requestId,omitempty"`
}

// Describe classifies err the way Error does and returns what may be shown: the HTTP status and the
// error detail. Internal (and unclassified) errors get the generic message and never their own text.
func Describe(req events.APIGatewayV2HTTPRequest, err error) (int, ErrorDetail) {
	code := refund.ErrorCode(err)
	if _, known := statusByCode[code]; !known {
		code = refund.CodeInternal
	}
	d := ErrorDetail{Code: code, Message: defaultMessages[code], RequestID: RequestID(req)}
	var e *refund.Error
	if code != refund.CodeInternal && errors.As(err, &e) {
		if e.Message != "" {
			d.Message = e.Message
		}
		if code == refund.CodeTooMany && e.RetryAfter > 0 {
			// Whole seconds, rounded up: a client that waits exactly this long is allowed again.
			d.RetryAfter = int64((e.RetryAfter + time.Second - 1) / time.Second)
		}
		if (code == refund.CodeInvalid || code == refund.CodeConflict || code == refund.CodeUnprocessable) && len(e.Fields) > 0 {
			d.Fields = e.Fields
		}
	}
	return Status(code), d
}

// Error renders err as a response: JSON ErrorBody for clients that want JSON (see WantsJSON), the HTML
// error page otherwise. Internal errors are logged with the request id and route (the raw error goes
// to the log only) and shown with a generic message and the request id. A nil err is treated as an
// internal error, since a handler that asks for an error response without one has a bug.
func Error(req events.APIGatewayV2HTTPRequest, err error) events.APIGatewayV2HTTPResponse {
	status, d := describeAndLog(req, err)
	if WantsJSON(req) {
		return errorHeaders(JSON(status, ErrorBody{Error: d}), d)
	}
	page := web.ErrorPage{Status: status, Title: titles[d.Code], Message: d.Message, Fields: d.Fields}
	if d.Code == refund.CodeInternal {
		page.Reference = d.RequestID
	}
	resp, perr := Page(status, page)
	if perr != nil {
		slog.Error("render error page", "requestId", RequestID(req), "error", perr.Error())
		resp = Text(status, d.Message+"\n")
	}
	return errorHeaders(resp, d)
}

// ErrorJSON is Error for an API whose callers read JSON only: always the JSON ErrorBody, whatever
// the request accepts. A function that answers only through it links no page template (the
// templates' reflection is what keeps a binary's bootstrap large; see HandleJSON).
func ErrorJSON(req events.APIGatewayV2HTTPRequest, err error) events.APIGatewayV2HTTPResponse {
	status, d := describeAndLog(req, err)
	return errorHeaders(JSON(status, ErrorBody{Error: d}), d)
}

// describeAndLog describes err (Describe) and logs it when it is a server error.
func describeAndLog(req events.APIGatewayV2HTTPRequest, err error) (int, ErrorDetail) {
	if err == nil {
		err = errors.New("apigw.Error called with a nil error")
	}
	status, d := Describe(req, err)
	if status >= 500 {
		slog.Error("request failed", "requestId", RequestID(req), "route", req.RouteKey, "error", err.Error())
	}
	return status, d
}

// errorHeaders adds the headers an error's detail calls for: Retry-After, WWW-Authenticate.
func errorHeaders(resp events.APIGatewayV2HTTPResponse, d ErrorDetail) events.APIGatewayV2HTTPResponse {
	if d.RetryAfter > 0 {
		resp.Headers["Retry-After"] = strconv.FormatInt(d.RetryAfter, 10)
	}
	if d.Code == refund.CodeUnauthorized {
		resp.Headers["Www-Authenticate"] = `Bearer realm="refundflow"`
	}
	return resp
}
