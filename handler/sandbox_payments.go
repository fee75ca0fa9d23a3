package handler

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/payment"
	"refundflow/payment/checkout"
	"refundflow/refund"
	"refundflow/web"
)

// SandboxPayments is a sandbox deployment's checkout (SandboxPaymentsFunction, which template.yaml
// creates only with PaymentProvider=sandbox): it takes card payments at the sandbox provider as a
// checkout with 3-D Secure would, so an integrator can register an order against a payment through
// PUT /staff/api/orders/{number} (which asks the provider about it) and see it refunded, exactly as
// on the local stack's /_local/payments, with the same JSON (checkout.Request and
// checkout.PaymentView):
//
//	GET  /sandbox/payments              the page (open: it holds no data; its script sends the token)
//	POST /sandbox/payments              {"amount":180000,"currency":"EUR"} → 201 the payment
//	GET  /sandbox/payments/{reference}  the payment as the provider reports it, with its refunds
//	POST /sandbox/payments/{reference}/actions
//	                                    what a person does at the provider (checkout.Action: a refund
//	                                    failing later, a dashboard refund, a dispute opened or closed),
//	                                    as on the local stack's /_local/provider/; the events it makes
//	                                    reach the webhook with SandboxEvents' next run
//
// The JSON routes take the billing system's token only (the route requires the scope
// refundflow/orders.write at the authorizer, and the handler checks it again, as the order route
// does): a payment exists to have an order registered against it, which only the billing system
// may do, so no one else needs to make one; and an open route would let anyone on the internet write
// to the table.
type SandboxPayments struct {
	// Checkout is the sandbox provider on the deployment's table.
	Checkout SandboxCheckout
	// Logger receives one line per payment taken; nil discards.
	Logger *slog.Logger
}

// SandboxCheckout is the sandbox provider as SandboxPayments uses it: take a payment, read one back.
type SandboxCheckout interface {
	TakePayment(ctx context.Context, c checkout.Checkout) (refund.PaymentFacts, error)
	View(ctx context.Context, ref string) (checkout.PaymentView, error)
	Act(ctx context.Context, ref string, a checkout.Action) (string, error)
}

// SandboxActionAnswer is the answer to an action at the sandbox provider: what happened, and the
// payment as it is now.
type SandboxActionAnswer struct {
	Message string               `json:"message"`
	Payment checkout.PaymentView `json:"payment"`
}

// SandboxPaymentsPath is the sandbox checkout's route.
const SandboxPaymentsPath = "/sandbox/payments"

const fnSandboxPayments = "SandboxPayments"

// maxCheckoutBody bounds a checkout's JSON body: a few short fields.
const maxCheckoutBody = 4 << 10

// Handle answers one API Gateway event; errors become JSON errors through apigw.Handle.
func (h SandboxPayments) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return apigw.Handle(h.serve)(ctx, req)
}

func (h SandboxPayments) serve(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	route, params := matchRoute(req, SandboxPaymentsPath, SandboxPaymentsPath+"/{reference}", SandboxPaymentsPath+"/{reference}/actions")
	method := apigw.Method(req)
	if route == SandboxPaymentsPath && (method == http.MethodGet || method == http.MethodHead) {
		return apigw.Page(http.StatusOK, web.SandboxPaymentsPage{Path: SandboxPaymentsPath})
	}
	// Everything else answers JSON, also errors, whatever the Accept header says.
	if req.Headers == nil {
		req.Headers = map[string]string{}
	}
	req.Headers["accept"] = "application/json"
	if route == "" {
		return events.APIGatewayV2HTTPResponse{}, errPageNotFound()
	}
	if !slices.Contains(tokenScopes(req), OrdersWriteScope) {
		// API Gateway refuses such a token already (the routes require the scope); this holds
		// should a route lose its authorizer.
		return events.APIGatewayV2HTTPResponse{}, &refund.Error{Code: refund.CodeForbidden,
			Message: "Sandbox payments are taken with the billing system's token (scope " + OrdersWriteScope + "), as orders are sent."}
	}
	actor, err := callerActor(req, true)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	switch {
	case route == SandboxPaymentsPath && method == http.MethodPost:
		return h.take(ctx, req, actor)
	case route == SandboxPaymentsPath+"/{reference}" && method == http.MethodGet:
		return h.show(ctx, params["reference"])
	case route == SandboxPaymentsPath+"/{reference}/actions" && method == http.MethodPost:
		return h.act(ctx, req, actor, params["reference"])
	default:
		return events.APIGatewayV2HTTPResponse{}, errMethod(method)
	}
}

// take takes a payment from a JSON checkout.Request.
func (h SandboxPayments) take(ctx context.Context, req events.APIGatewayV2HTTPRequest, actor string) (events.APIGatewayV2HTTPResponse, error) {
	body, err := apigw.BodyLimit(req, maxCheckoutBody)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	c, err := checkout.Parse(body)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, &refund.Error{Code: refund.CodeInvalid, Message: err.Error()}
	}
	facts, err := h.Checkout.TakePayment(ctx, c)
	var invalid *checkout.InvalidError
	switch {
	case errors.As(err, &invalid):
		return events.APIGatewayV2HTTPResponse{}, &refund.Error{Code: refund.CodeInvalid, Message: "The sandbox did not take the payment: " + invalid.Error()}
	case err != nil:
		logger(h.Logger).ErrorContext(ctx, "sandbox payment failed", "function", fnSandboxPayments, "requestId", apigw.RequestID(req), "error", err.Error())
		return unavailable(req, "The sandbox payment provider could not record the payment just now. Send it again in a minute.")
	}
	logger(h.Logger).InfoContext(ctx, "sandbox payment taken", "function", fnSandboxPayments, "requestId", apigw.RequestID(req),
		"caller", actor, "payment", facts.Reference, "currency", facts.Amount.Currency)
	resp := apigw.JSON(http.StatusCreated, checkout.ViewOf(facts))
	resp.Headers["Location"] = SandboxPaymentsPath + "/" + url.PathEscape(facts.Reference)
	return resp, nil
}

// show answers a payment as the provider reports it, with its refunds.
func (h SandboxPayments) show(ctx context.Context, ref string) (events.APIGatewayV2HTTPResponse, error) {
	v, err := h.Checkout.View(ctx, ref)
	switch {
	case errors.Is(err, payment.ErrPaymentNotFound):
		return events.APIGatewayV2HTTPResponse{}, &refund.Error{Code: refund.CodeNotFound, Message: "The sandbox has no payment with this reference."}
	case err != nil:
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, v), nil
}

// act does what a person does at the provider to the payment, from a JSON checkout.Action.
func (h SandboxPayments) act(ctx context.Context, req events.APIGatewayV2HTTPRequest, actor, ref string) (events.APIGatewayV2HTTPResponse, error) {
	var a checkout.Action
	if err := apigw.DecodeJSONLimit(req, &a, maxCheckoutBody); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	msg, err := h.Checkout.Act(ctx, ref, a)
	var invalid *checkout.InvalidError
	var declined *payment.PaymentDeclined
	switch {
	case errors.As(err, &invalid):
		return events.APIGatewayV2HTTPResponse{}, &refund.Error{Code: refund.CodeInvalid, Message: "The sandbox did not do it: " + invalid.Error() +
			`. Send {"action":"fail_refund","refund":"re_..."}, or succeed_refund, dashboard_refund with "amount":"150.00", open_dispute, win_dispute, lose_dispute.`}
	case errors.Is(err, checkout.ErrNoPayment), errors.Is(err, checkout.ErrNoRefund), errors.Is(err, payment.ErrPaymentNotFound):
		return events.APIGatewayV2HTTPResponse{}, &refund.Error{Code: refund.CodeNotFound, Message: "The sandbox has no such payment or refund: " + err.Error() + "."}
	case errors.Is(err, checkout.ErrRefundFinal), errors.Is(err, checkout.ErrDisputeState), errors.As(err, &declined):
		return events.APIGatewayV2HTTPResponse{}, &refund.Error{Code: refund.CodeConflict, Message: "The sandbox did not do it: " + err.Error() + "."}
	case err != nil:
		logger(h.Logger).ErrorContext(ctx, "sandbox action failed", "function", fnSandboxPayments, "requestId", apigw.RequestID(req), "error", err.Error())
		return unavailable(req, "The sandbox payment provider could not record that just now. Send it again in a minute.")
	}
	logger(h.Logger).InfoContext(ctx, "sandbox action", "function", fnSandboxPayments, "requestId", apigw.RequestID(req),
		"caller", actor, "payment", ref, "action", a.Action)
	v, err := h.Checkout.View(ctx, ref)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, SandboxActionAnswer{Message: msg, Payment: v}), nil
}
