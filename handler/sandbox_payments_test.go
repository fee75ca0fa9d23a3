package handler

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/payment/checkout"
	"refundflow/refund"
)

// fakeCheckout is the sandbox's checkout as SandboxPayments sees it, answering with err when set.
type fakeCheckout struct {
	err   error
	taken []checkout.Checkout
}

func (f *fakeCheckout) TakePayment(_ context.Context, c checkout.Checkout) (refund.PaymentFacts, error) {
	if f.err != nil {
		return refund.PaymentFacts{}, f.err
	}
	f.taken = append(f.taken, c)
	return refund.PaymentFacts{Provider: "sandbox", Reference: "pi_sbx_1", Captured: true, Amount: c.Amount, ThreeDSecure: !c.WithoutThreeDSecure, CardLast4: "4242"}, nil
}

func (f *fakeCheckout) View(context.Context, string) (checkout.PaymentView, error) {
	return checkout.PaymentView{Reference: "pi_sbx_1"}, f.err
}

func (f *fakeCheckout) Act(context.Context, string, checkout.Action) (string, error) {
	return "done", f.err
}

// sandboxEvent is a request to the checkout with the claims API Gateway passes on: the billing
// system's scope, or a staff member's groups.
func sandboxEvent(method, path, body string, scopes ...string) events.APIGatewayV2HTTPRequest {
	route := method + " " + path
	if strings.Count(path, "/") > 2 {
		route = method + " " + SandboxPaymentsPath + "/{reference}"
	}
	req := events.APIGatewayV2HTTPRequest{RouteKey: route, RawPath: path, Body: body,
		PathParameters: map[string]string{"reference": "pi_sbx_1"},
		Headers:        map[string]string{"content-type": "application/json"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path}}}
	claims := map[string]string{"sub": "client-1", "client_id": "client-1", "cognito:groups": "[staff]"}
	req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims, Scopes: scopes}}
	return req
}

func TestSandboxPaymentsAnswers(t *testing.T) {
	for _, c := range []struct {
		name       string
		req        events.APIGatewayV2HTTPRequest
		err        error
		wantStatus int
		wantTaken  int
	}{
		{"billing token takes a payment", sandboxEvent(http.MethodPost, SandboxPaymentsPath, `{"amount":5000,"currency":"EUR"}`, OrdersWriteScope), nil, http.StatusCreated, 1},
		{"a staff member's token", sandboxEvent(http.MethodPost, SandboxPaymentsPath, `{"amount":5000,"currency":"EUR"}`), nil, http.StatusForbidden, 0},
		{"not a checkout", sandboxEvent(http.MethodPost, SandboxPaymentsPath, `{"amount":"5000"}`, OrdersWriteScope), nil, http.StatusBadRequest, 0},
		{"refused by the sandbox", sandboxEvent(http.MethodPost, SandboxPaymentsPath, `{"amount":5000,"currency":"EUR"}`, OrdersWriteScope),
			&checkout.InvalidError{Err: errors.New("no")}, http.StatusBadRequest, 0},
		{"the table is down", sandboxEvent(http.MethodPost, SandboxPaymentsPath, `{"amount":5000,"currency":"EUR"}`, OrdersWriteScope),
			errors.New("dynamodb: timeout"), http.StatusServiceUnavailable, 0},
		{"the page is open", sandboxEvent(http.MethodGet, SandboxPaymentsPath, ""), nil, http.StatusOK, 0},
		{"an action on a refund that failed already", sandboxEvent(http.MethodPost, SandboxPaymentsPath+"/pi_sbx_1/actions", `{"action":"fail_refund","refund":"re_1"}`, OrdersWriteScope),
			checkout.ErrRefundFinal, http.StatusConflict, 0},
		{"an action on an unknown refund", sandboxEvent(http.MethodPost, SandboxPaymentsPath+"/pi_sbx_1/actions", `{"action":"fail_refund","refund":"re_1"}`, OrdersWriteScope),
			checkout.ErrNoRefund, http.StatusNotFound, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if strings.HasSuffix(c.req.RawPath, "/actions") {
				c.req.RouteKey = "POST " + SandboxPaymentsPath + "/{reference}/actions"
			}
			co := &fakeCheckout{err: c.err}
			resp, err := SandboxPayments{Checkout: co}.Handle(context.Background(), c.req)
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.StatusCode; got != c.wantStatus {
				t.Errorf("status %d, want %d: %s", got, c.wantStatus, resp.Body)
			}
			if got := len(co.taken); got != c.wantTaken {
				t.Errorf("%d payments taken, want %d", got, c.wantTaken)
			}
		})
	}
}
