package apigw

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/aws/aws-lambda-go/events"
)

// HandlerFunc is the shape of every HTTP Lambda handler: one payload 2.0 event in, one response out.
type HandlerFunc func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Handle wraps a handler so that it never fails as a Lambda invocation: a returned error becomes the
// error response for its code (see Error), a panic becomes a logged internal error, and every response
// goes through Finish (security headers, HEAD without body). A Lambda error would otherwise reach the
// client as API Gateway's bare {"message":"Internal Server Error"}, with nothing for staff to trace.
func Handle(h HandlerFunc) HandlerFunc { return handle(h, Error) }

// HandleJSON is Handle for an API whose callers read JSON only (the staff API): every error is the
// JSON ErrorBody (ErrorJSON), and the binary links no page template.
func HandleJSON(h HandlerFunc) HandlerFunc { return handle(h, ErrorJSON) }

func handle(h HandlerFunc, errorResponse func(events.APIGatewayV2HTTPRequest, error) events.APIGatewayV2HTTPResponse) HandlerFunc {
	return func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (resp events.APIGatewayV2HTTPResponse, err error) {
		defer func() {
			if r := recover(); r != nil {
				resp = Finish(req, errorResponse(req, fmt.Errorf("panic: %v\n%s", r, debug.Stack())))
				err = nil
			}
		}()
		resp, err = h(ctx, req)
		if err != nil {
			resp = errorResponse(req, err)
		}
		return Finish(req, resp), nil
	}
}
