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
func Handle(h HandlerFunc) HandlerFunc {
	return func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (resp events.APIGatewayV2HTTPResponse, err error) {
		defer func() {
			if r := recover(); r != nil {
				resp = Finish(req, Error(req, fmt.Errorf("panic: %v\n%s", r, debug.Stack())))
				err = nil
			}
		}()
		resp, err = h(ctx, req)
		if err != nil {
			resp = Error(req, err)
		}
		return Finish(req, resp), nil
	}
}
