package handler_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/payment"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

// putOrderEvent is the billing system's PUT of the order.
func putOrderEvent(t testing.TB, o refund.Order) events.APIGatewayV2HTTPRequest {
	return staffEvent(t, "staff-put-order.json", "/staff/api/orders/"+o.Number, map[string]string{"number": o.Number}, o)
}

// The order route asks the payment provider about every order's payment: a payment that is unknown,
// not captured, of another amount or currency, not 3-D Secure authenticated, already refunded in full
// or taken at another provider is a 422 naming the field in its fields and its message, and nothing
// is stored; an order naming no payment is a 400, like any other malformed order.
func TestPutOrderChecksThePaymentAtTheProvider(t *testing.T) {
	f := newHTTPFixture(t)
	ctx := context.Background()
	n := 0
	for _, tt := range []struct {
		name     string
		checkout func(*sandbox.Checkout) // nil: no payment at all
		order    func(*refund.Order)
		refund   int64 // refunded at the provider before the order is sent
		field    string
		status   int // 0: 422
	}{
		{name: "unknown payment", field: "payment.reference"},
		{name: "no payment reference", checkout: func(*sandbox.Checkout) {}, order: func(o *refund.Order) { o.Payment.Reference = "" }, field: "payment.reference", status: http.StatusBadRequest},
		{name: "not captured", checkout: func(c *sandbox.Checkout) { c.AuthorizeOnly = true }, field: "payment.captured"},
		{name: "another amount", checkout: func(c *sandbox.Checkout) { c.Amount.Amount = 999_900 }, field: "paid"},
		{name: "another currency", checkout: func(c *sandbox.Checkout) { c.Amount.Currency = "USD" }, field: "currency"},
		{name: "not 3-D Secure authenticated", checkout: func(c *sandbox.Checkout) { c.WithoutThreeDSecure = true }, field: "payment.three_d_secure"},
		{name: "already refunded in full", checkout: func(*sandbox.Checkout) {}, refund: 1_000_000, field: "payment.reference"},
		{name: "partly refunded beyond the order's refunded", checkout: func(*sandbox.Checkout) {}, refund: 200_000,
			order: func(o *refund.Order) { o.Refunded = 100_000 }, field: "payment.reference"},
		{name: "another provider named", checkout: func(*sandbox.Checkout) {}, order: func(o *refund.Order) { o.Payment.Provider = "stripe" }, field: "payment.provider"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n++
			o := projectOrder(fmt.Sprintf("RF-2025-09%02d", n))
			if tt.checkout != nil {
				f.takePayment(o, tt.checkout)
			}
			if tt.refund > 0 {
				_, err := f.pay.Refund(ctx, payment.RefundRequest{PaymentReference: o.Payment.Reference,
					Amount: refund.Money{Amount: tt.refund, Currency: o.Currency}, IdempotencyKey: "dashboard-" + o.Number})
				if err != nil {
					t.Fatal(err)
				}
			}
			if tt.order != nil {
				tt.order(&o)
			}
			resp := mustCall(t, f.staffHandler(), putOrderEvent(t, o))
			status, code := http.StatusUnprocessableEntity, refund.CodeUnprocessable
			if tt.status == http.StatusBadRequest {
				status, code = tt.status, refund.CodeInvalid
			}
			wantStatus(t, resp, status)
			var body apigw.ErrorBody
			decodeJSON(t, resp, &body)
			if body.Error.Code != code || body.Error.Fields[tt.field] == "" {
				t.Errorf("error %+v, want %s naming %s", body.Error, code, tt.field)
			}
			if code == refund.CodeUnprocessable && !strings.Contains(body.Error.Message, o.Payment.Reference) {
				t.Errorf("message %q does not name the payment", body.Error.Message)
			}
			if _, err := f.store.GetOrder(ctx, o.Number); refund.ErrorCode(err) != refund.CodeNotFound {
				t.Errorf("the order was stored anyway (%v)", err)
			}
		})
	}
}

// What the billing system claims about the payment is replaced by what the provider reports, and the
// provider that verified the payment is the one recorded, however the body spells it (or leaves it
// out): the offers' rounding is chosen by that name (issue 17's review).
func TestPutOrderStoresTheProvidersFacts(t *testing.T) {
	f := newHTTPFixture(t)
	for i, name := range []string{"Sandbox", "", " SANDBOX ", "sandbox"} {
		o := projectOrder(fmt.Sprintf("RF-2025-08%02d", i))
		f.takePayment(o, func(c *sandbox.Checkout) { c.CardLast4 = "1117" })
		o.Payment = refund.Payment{Provider: name, Reference: o.Payment.Reference, CardHint: "9999", ThreeDSecure: false, Captured: false}
		resp := mustCall(t, f.staffHandler(), putOrderEvent(t, o))
		wantStatus(t, resp, http.StatusCreated)
		var stored refund.Order
		decodeJSON(t, resp, &stored)
		want := refund.Payment{Provider: sandbox.Provider, Reference: o.Payment.Reference, CardHint: "1117", ThreeDSecure: true, Captured: true}
		if stored.Payment != want {
			t.Errorf("provider %q: stored payment %+v, want the provider's facts %+v", name, stored.Payment, want)
		}
		if got, err := f.store.GetOrder(context.Background(), o.Number); err != nil || got.Payment != want {
			t.Errorf("provider %q: the table holds %+v (%v), want %+v", name, got.Payment, err, want)
		}
	}
}

// An update is checked against the stored ledger, not the body's refunded (which an update never
// writes): what was refunded of the payment and is in the ledger is no reason to refuse the billing
// system's next version of the order; a refund at the provider the ledger does not know is.
func TestPutOrderUpdateComparesTheLedger(t *testing.T) {
	f := newHTTPFixture(t)
	ctx := context.Background()
	o := projectOrder("RF-2025-0701")
	o.Refunded = 450_000 // refunded before the order came to Refundflow
	f.takePayment(o)
	refundAtProvider := func(key string, amount int64) {
		t.Helper()
		if _, err := f.pay.Refund(ctx, payment.RefundRequest{PaymentReference: o.Payment.Reference,
			Amount: refund.Money{Amount: amount, Currency: "EUR"}, IdempotencyKey: key}); err != nil {
			t.Fatal(err)
		}
	}
	refundAtProvider("before-1", 450_000)
	wantStatus(t, mustCall(t, f.staffHandler(), putOrderEvent(t, o)), http.StatusCreated)

	o.Version, o.Refunded, o.Disputed = 1, 0, true
	wantStatus(t, mustCall(t, f.staffHandler(), putOrderEvent(t, o)), http.StatusOK)

	refundAtProvider("dashboard-1", 100_000) // from the provider's dashboard, unknown to the ledger
	o.Version = 2
	resp := mustCall(t, f.staffHandler(), putOrderEvent(t, o))
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	var body apigw.ErrorBody
	decodeJSON(t, resp, &body)
	if msg := body.Error.Fields["payment.reference"]; !strings.Contains(msg, "EUR 5,500.00") || !strings.Contains(msg, "EUR 4,500.00") {
		t.Errorf("payment.reference: %q, want what the provider refunded and what the ledger records", msg)
	}
	if got, err := f.store.GetOrder(ctx, o.Number); err != nil || got.Version != 2 {
		t.Errorf("order at version %d (%v), want 2: the refused update was stored", got.Version, err)
	}
}

// A provider that cannot be reached is a 503 the billing system retries; nothing is stored.
func TestPutOrderProviderUnavailable(t *testing.T) {
	f := newHTTPFixture(t)
	h := f.staffHandler()
	h.Payments = lookupFunc(func(context.Context, string) (refund.PaymentFacts, error) {
		return refund.PaymentFacts{}, &payment.PaymentUnavailable{Provider: "stripe", Reason: "timeout", Err: errors.New("deadline")}
	})
	o := projectOrder("RF-2025-0601")
	resp := mustCall(t, h, putOrderEvent(t, o))
	wantStatus(t, resp, http.StatusServiceUnavailable)
	if !strings.Contains(resp.Body, "payment provider could not be reached") {
		t.Errorf("503 body: %s", resp.Body)
	}
	if _, err := f.store.GetOrder(context.Background(), o.Number); refund.ErrorCode(err) != refund.CodeNotFound {
		t.Errorf("stored anyway: %v", err)
	}
	// Any other failure of the lookup is the server's, and says nothing of the provider's key.
	h.Payments = lookupFunc(func(context.Context, string) (refund.PaymentFacts, error) {
		return refund.PaymentFacts{}, &payment.PaymentOutcomeUnknown{Provider: "stripe", Code: "authentication_error", Message: "Invalid API Key provided: sk_live_****1234"}
	})
	resp = mustCall(t, h, putOrderEvent(t, o))
	wantStatus(t, resp, http.StatusInternalServerError)
	if strings.Contains(resp.Body, "sk_live") || strings.Contains(resp.Body, "authentication_error") {
		t.Errorf("500 body leaks the provider's error: %s", resp.Body)
	}
}

// The provider is asked with a deadline before the invocation's, so a slow provider is the route's
// 503 and not a function stopped by Lambda.
func TestPutOrderLookupEndsBeforeTheDeadline(t *testing.T) {
	f := newHTTPFixture(t)
	h := f.staffHandler()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	invocation, _ := ctx.Deadline()
	var asked time.Time
	h.Payments = lookupFunc(func(ctx context.Context, _ string) (refund.PaymentFacts, error) {
		asked, _ = ctx.Deadline()
		return refund.PaymentFacts{}, &payment.PaymentUnavailable{Provider: "stripe", Reason: "timeout", Err: context.DeadlineExceeded}
	})
	resp, err := h.Handle(ctx, putOrderEvent(t, projectOrder("RF-2025-0602")))
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, resp, http.StatusServiceUnavailable)
	if asked.IsZero() || !asked.Before(invocation.Add(-2*time.Second)) {
		t.Errorf("the lookup's deadline %v, want well before the invocation's %v", asked, invocation)
	}
}

// lookupFunc is a PaymentLookup made of a function.
type lookupFunc func(ctx context.Context, ref string) (refund.PaymentFacts, error)

func (f lookupFunc) LookupPayment(ctx context.Context, ref string) (refund.PaymentFacts, error) {
	return f(ctx, ref)
}

// An order naming no payment is refused before the provider is asked, in the same 400 as every other
// field that is wrong.
func TestPutOrderWithoutAPaymentReference(t *testing.T) {
	f := newHTTPFixture(t)
	h := f.staffHandler()
	asked := 0
	h.Payments = lookupFunc(func(context.Context, string) (refund.PaymentFacts, error) {
		asked++
		return refund.PaymentFacts{}, errors.New("not to be asked")
	})
	for _, tt := range []struct {
		name   string
		edit   func(*refund.Order)
		fields []string
	}{
		{"no reference", func(o *refund.Order) { o.Payment.Reference = " " }, []string{"payment.reference"}},
		{"no reference, a negative amount", func(o *refund.Order) { o.Payment.Reference, o.Paid = "", -1 }, []string{"payment.reference", "paid"}},
		{"a reference, a negative amount", func(o *refund.Order) { o.Paid = -1 }, []string{"paid"}},
	} {
		o := projectOrder("RF-2025-0501")
		tt.edit(&o)
		resp := mustCall(t, h, putOrderEvent(t, o))
		wantStatus(t, resp, http.StatusBadRequest)
		var body apigw.ErrorBody
		decodeJSON(t, resp, &body)
		for _, field := range tt.fields {
			if body.Error.Code != refund.CodeInvalid || body.Error.Fields[field] == "" {
				t.Errorf("%s: %+v, want %s named", tt.name, body.Error, field)
			}
		}
	}
	if asked != 0 {
		t.Errorf("the provider was asked %d times about orders refused anyway", asked)
	}
}
