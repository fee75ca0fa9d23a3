// Package apigw turns API Gateway HTTP API (payload format 2.0) events into what handlers need and
// handlers' results back into responses: bodies (base64 form posts included), strict form and JSON
// decoding with size limits, content negotiation, headers, cookies, the one table from refund.Code to
// HTTP status, error responses (JSON or an HTML page from package web), security headers on every
// response, and the cross-origin check of state-changing requests (CrossOrigin), which needs no secret.
//
// A handler stays thin: its Handle method wraps the method that serves the event in Handle, and that
// method routes and returns a response or an error. handler.RequestStatus, for example:
//
//	func (h RequestStatus) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
//		return apigw.Handle(h.serve)(ctx, req)
//	}
//
//	func (h RequestStatus) serve(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
//		route, params := matchRoute(req, "/requests/{id}", "/requests/{id}/withdraw")
//		method := apigw.Method(req)
//		switch {
//		case route == "/requests/{id}" && (method == http.MethodGet || method == http.MethodHead):
//			return h.show(ctx, req, params["id"])
//		case route == "/requests/{id}/withdraw" && method == http.MethodPost:
//			return h.withdraw(ctx, req, params["id"])
//		case route == "":
//			return events.APIGatewayV2HTTPResponse{}, errPageNotFound() // Handle renders it
//		default:
//			return events.APIGatewayV2HTTPResponse{}, errMethod(method)
//		}
//	}
//
// and its main (functions/request-status) starts the handler its builder made with
// lambda.Start(h.Handle). So every error becomes a JSON or HTML error response, a panic an internal
// error, HEAD requests lose their body, and nothing leaves without the security headers (ExampleHandle
// runs this).
//
// Header names in responses are in canonical MIME form ("Content-Type"); API Gateway lower-cases
// request header names, and Header looks them up without regard to case.
package apigw
