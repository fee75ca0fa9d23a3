package workflowtest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"refundflow/handler"
	"refundflow/internal/stripefake"
	"refundflow/mail"
	"refundflow/payment"
	"refundflow/payment/sandbox"
	"refundflow/payment/stripepay"
	"refundflow/refund"
)

// stripeExecution makes ExecuteResolution refund through the Stripe adapter against fake, and runs
// before (if not nil) ahead of the n-th invocation (from 1).
func (h *harness) stripeExecution(fake *stripefake.Server, before func(n int)) {
	g := stripepay.New(stripepay.NewClient(stripepay.ClientConfig{Key: "sk_test_123", BaseURL: fake.URL}))
	n := 0
	h.Intercept("ExecuteResolution", func(ctx context.Context, in handler.TaskInput, _ func() (handler.TaskOutput, error)) (handler.TaskOutput, error) {
		n++
		if before != nil {
			before(n)
		}
		return (&handler.ExecuteResolution{Store: h.Store, Payment: g}).Handle(ctx, in)
	})
}

// A refund that happened must never be released as failed. Attempt 1 makes the refund at Stripe,
// but its answer is lost (PaymentUnavailable, retried); the retry's PaymentIntent read is refused with
// 401, as during a key rotation. That is no answer for the refund's idempotency key, so the
// reservation stays in the ledger and the request needs a person.
func TestLostAnswerThenAuthFailureKeepsTheReservation(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	fake := stripefake.New(t, o.Currency, o.Paid)
	h.stripeExecution(fake, func(n int) {
		if n == 2 {
			fake.FailNextRead(http.StatusUnauthorized, "invalid_request_error", "Invalid API Key provided: rk_live_****")
		}
	})
	fake.LoseNextAnswer()
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.accept(id, 0)

	h.WantStaffWait(id)
	if got := h.Invoked("ExecuteResolution"); got != 2 {
		t.Errorf("ExecuteResolution ran %d times, want 2 (the lost answer, then the refused read)", got)
	}
	made := fake.Refunds()
	if len(made) != 1 {
		t.Fatalf("Stripe made %d refunds, want 1", len(made))
	}
	rec, err := h.Store.GetRefund(h.Ctx, o.Number, id, 1)
	if err != nil || rec.State != refund.RefundReserved {
		t.Errorf("refund record = %+v, %v; want still reserved (Stripe holds refund %s under %s)", rec, err, made[0].ID, made[0].IdempotencyKey)
	}
	if got, want := h.Order(o.Number).Refunded, made[0].Amount; got != want {
		t.Errorf("the ledger counts %d refunded, Stripe refunded %d", got, want)
	}
	if !strings.Contains(h.OneMail(mail.KindStaffNeedsAttention, id).Text, "PaymentOutcomeUnknown") {
		t.Error("staff were not told the error's name")
	}
}

// The same on the sandbox, which the local stack and staging use: a refund recorded under the key
// whose answer was lost, then an API key the provider refuses.
func TestSandboxLostAnswerThenUnauthorizedKeepsTheReservation(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceSubscription)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.Pay.FailNext(1, sandbox.FaultTimeoutAfterSuccess)
	h.Pay.FailNext(1, sandbox.FaultUnauthorized)
	h.accept(id, 0)

	h.WantStatus(id, refund.StatusNeedsAttention)
	if got := h.Invoked("ExecuteResolution"); got != 2 {
		t.Errorf("ExecuteResolution ran %d times, want 2", got)
	}
	made := h.OneProviderRefund(o)
	rec, err := h.Store.GetRefund(h.Ctx, o.Number, id, 1)
	if err != nil || rec.State != refund.RefundReserved {
		t.Errorf("refund record = %+v, %v; want still reserved", rec, err)
	}
	if got, want := h.Order(o.Number).Refunded, made.Refund.Amount.Amount; got != want {
		t.Errorf("the ledger counts %d refunded, the provider refunded %d", got, want)
	}
}

// stallingGateway makes the refund at the sandbox on its first call and then, like a provider that
// is too slow, holds the answer until the caller gives up: it answers what the Stripe adapter answers
// when its context ends, a PaymentUnavailable "timeout". Later calls go straight to the sandbox.
type stallingGateway struct {
	inner   payment.Gateway
	mu      sync.Mutex
	stalled bool
}

func (g *stallingGateway) Refund(ctx context.Context, req payment.RefundRequest) (payment.Refund, error) {
	g.mu.Lock()
	stall := !g.stalled
	g.stalled = true
	g.mu.Unlock()
	if !stall {
		return g.inner.Refund(ctx, req)
	}
	if _, err := g.inner.Refund(context.WithoutCancel(ctx), req); err != nil {
		return payment.Refund{}, err
	}
	<-ctx.Done()
	return payment.Refund{}, &payment.PaymentUnavailable{Provider: "slow", Reason: "timeout", Err: ctx.Err()}
}

// LookupPayment reads the payment at the sandbox without delay.
func (g *stallingGateway) LookupPayment(ctx context.Context, ref string) (refund.PaymentFacts, error) {
	return g.inner.LookupPayment(ctx, ref)
}

// RefundRequestID reads the refund at the sandbox without delay.
func (g *stallingGateway) RefundRequestID(ctx context.Context, refundID string) (string, error) {
	return g.inner.RefundRequestID(ctx, refundID)
}

// A slow provider must become a PaymentUnavailable the state machine retries with the same key, not a
// Lambda timeout: the provider call ends early enough before the invocation's deadline for the
// handler to answer, the reservation stays, and the retry completes exactly one refund.
func TestSlowProviderIsRetriedInTime(t *testing.T) {
	const lambdaTimeout = 6 * time.Second // enough for the default reserve of 5 s to leave a call
	h := newHarness(t)
	o := h.newOrder(refund.ServiceHours)
	g := &stallingGateway{inner: h.Pay}
	type attempt struct {
		err  error
		left time.Duration // until the invocation's deadline when the handler returned
		rec  refund.RefundRecord
	}
	var attempts []attempt
	h.Intercept("ExecuteResolution", func(ctx context.Context, in handler.TaskInput, _ func() (handler.TaskOutput, error)) (handler.TaskOutput, error) {
		ctx, cancel := context.WithTimeout(ctx, lambdaTimeout) // what Lambda gives the handler
		defer cancel()
		out, err := (&handler.ExecuteResolution{Store: h.Store, Payment: g}).Handle(ctx, in)
		deadline, _ := ctx.Deadline()
		a := attempt{err: err, left: time.Until(deadline)}
		a.rec, _ = h.Store.GetRefund(h.Ctx, o.Number, in.RequestID, 1)
		attempts = append(attempts, a)
		return out, err
	})
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.accept(id, 0)

	h.WantStatus(id, refund.StatusCompleted)
	if len(attempts) != 2 {
		t.Fatalf("ExecuteResolution ran %d times, want 2 (the slow call, then the retry)", len(attempts))
	}
	first := attempts[0]
	var u *payment.PaymentUnavailable
	if !errors.As(first.err, &u) || u.Reason != "timeout" {
		t.Errorf("the slow call ended with %v, want PaymentUnavailable (timeout)", first.err)
	}
	if first.left < time.Second {
		t.Errorf("the slow call returned %v before the invocation's deadline; want room to record the outcome", first.left)
	}
	if first.rec.State != refund.RefundReserved {
		t.Errorf("after the slow call the refund record is %q, want reserved", first.rec.State)
	}
	h.OneProviderRefund(o)
}

// Offers are rounded down to amounts the payment's provider can refund: the sandbox takes Stripe's
// rules, so a partial refund of prepaid hours in KWD ends in a whole 10 fils and one in MGA in whole
// ariary, the breakdown says so and still adds up, and the refund goes through. Credits are not
// provider money and keep the policy's amount.
func TestPartialRefundsRoundedToWhatTheProviderRefunds(t *testing.T) {
	for _, tc := range []struct {
		currency string
		step     int64
	}{{"KWD", 10}, {"MGA", 100}, {"EUR", 1}} {
		t.Run(tc.currency, func(t *testing.T) {
			h := newHarness(t)
			o := h.newOrder(refund.ServiceHours, func(o *refund.Order) {
				o.Currency = tc.currency
				o.PurchaseDate = "2025-01-10" // after cooling-off
				o.Paid = 80000
				o.Service.Hours = &refund.Hours{Purchased: 30, Used: 10, TotalPrice: 80000}
			})
			id := h.submitRequest(o, refund.ReasonChangedMind)
			offers, _, err := h.Store.ListOffers(h.Ctx, id)
			if err != nil || len(offers) == 0 {
				t.Fatalf("offers = %+v, %v", offers, err)
			}
			const exact = 80000 * 20 / 30 // 53,333 minor units of unused hours, rounded down
			for _, of := range offers {
				if got := of.BreakdownTotal(); got != of.Amount {
					t.Errorf("offer %s: breakdown adds up to %s, amount %s", of.ID, got, of.Amount)
				}
				switch {
				case of.IsRefund():
					if want := exact - exact%tc.step; of.Amount.Amount != want {
						t.Errorf("refund offer = %s, want %s", of.Amount, refund.Money{Amount: want, Currency: tc.currency})
					}
				case of.IsCredit():
					if want := int64(exact * 110 / 100); of.Amount.Amount != want {
						t.Errorf("credit offer = %s, want %s (credits are not rounded to the provider's step)", of.Amount, refund.Money{Amount: want, Currency: tc.currency})
					}
				}
			}
			h.acceptKind(id, refund.OfferPartialRefund)
			h.WantStatus(id, refund.StatusCompleted)
			if r := h.OneProviderRefund(o); r.Refund.Amount.Amount%tc.step != 0 {
				t.Errorf("provider refund = %+v, want one in steps of %d", r, tc.step)
			}
		})
	}
}
