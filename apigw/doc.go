// Package apigw turns API Gateway HTTP API (payload format 2.0) events into what handlers need and
// handlers' results back into responses: bodies (base64 form posts included), strict form and JSON
// decoding with size limits, content negotiation, headers, cookies, the one table from refund.Code to
// HTTP status, error responses (JSON or an HTML page from package web), security headers on every
// response, and the cross-origin check of state-changing requests (CrossOrigin), which needs no secret.
//
// A handler stays thin: its Handle method wraps the code that serves the event in Handle,
//
//	func (h RequestStatus) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
//		return apigw.Handle(h.serve)(ctx, req)
//	}
//
//	func (h RequestStatus) serve(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
//		form, err := apigw.Form(req)
//		if err != nil {
//			return events.APIGatewayV2HTTPResponse{}, err // Handle renders it
//		}
//		...
//		return apigw.Redirect("/requests/" + id + "?t=" + code), nil
//	}
//
// and main wires it with lambda.Start(h.Handle), so every error becomes a JSON or HTML error
// response, HEAD requests lose their body, and nothing leaves without the security headers.
//
// Header names in responses are in canonical MIME form ("Content-Type"); API Gateway lower-cases
// request header names, and Header looks them up without regard to case.
package apigw
