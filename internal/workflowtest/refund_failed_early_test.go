package workflowtest

import (
	"context"
	"net/http"
	"strings"
	"testing"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"refundflow/handler"
	"refundflow/mail"
	"refundflow/payment"
	"refundflow/refund"
)

// failingEarly is the sandbox provider as ExecuteResolution calls it, with the refund failing at once
// and its events (refund.created, charge.refunded, refund.failed, charge.refund.updated) delivered to
// the webhook before the provider answers: the step is slower than the provider's events. With lost,
// the answer is then lost (a timeout), so the state machine retries the step.
type failingEarly struct {
	payment.Gateway
	h     *harness
	lost  bool
	calls int
}

func (g *failingEarly) Refund(ctx context.Context, req payment.RefundRequest) (payment.Refund, error) {
	g.calls++
	res, err := g.h.Pay.Refund(ctx, req)
	if err != nil || g.calls > 1 {
		return res, err
	}
	if err := g.h.Pay.FailRefund(ctx, req.PaymentReference, res.ID, "expired_or_canceled_card"); err != nil {
		g.h.T.Error(err)
	}
	evs, err := g.h.Pay.Events(ctx, req.PaymentReference)
	if err != nil {
		g.h.T.Error(err)
	}
	for _, e := range evs {
		if a := g.h.DeliverEvent(e.Payload); a.Status != http.StatusOK {
			g.h.T.Errorf("%s delivered before the refund was recorded: %d %s", e.Type, a.Status, a.Body)
		}
	}
	if g.lost {
		return payment.Refund{}, &payment.PaymentUnavailable{Provider: "sandbox", Reason: "timeout", Err: context.DeadlineExceeded}
	}
	return res, nil
}

// A refund that fails at once, reported by the provider's events before ExecuteResolution recorded
// the provider's answer (the step slow, or its answer lost and the step retried by the state
// machine): on the real state machine the request ends in needs attention, parked for staff, with
// the failure applied once (the ledger equals the provider's refunds), the client told it failed and
// never that it was issued; a staff retry then refunds once under attempt 2 and completes it.
func TestRefundFailedBeforeItsRecordEndToEnd(t *testing.T) {
	for _, lost := range []bool{false, true} {
		name := "step slow"
		if lost {
			name = "answer lost, step retried"
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			o := h.newOrder(refund.ServiceProject)
			id := h.submitRequest(o, refund.ReasonChangedMind)
			gw := &failingEarly{Gateway: h.Pay, h: h, lost: lost}
			h.Intercept("ExecuteResolution", func(ctx context.Context, in handler.TaskInput, _ func() (handler.TaskOutput, error)) (handler.TaskOutput, error) {
				return handler.ExecuteResolution{Store: h.Store, Payment: gw}.Handle(ctx, in)
			})
			h.accept(id, 0)
			h.WantStatus(id, refund.StatusNeedsAttention)
			h.WantStaffWait(id)
			if gw.calls != 1 {
				t.Errorf("the provider was called %d times, want once (a retried step finds the request needing attention)", gw.calls)
			}
			if got := len(h.Executions(id)); got != 1 {
				t.Errorf("request %s has %d executions, want its own only (it never completed)", id, got)
			}
			st, err := h.Pay.Payment(h.Ctx, o.Payment.Reference)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := h.Order(o.Number).Refunded, st.Refunded.Amount; got != 0 || want != 0 {
				t.Errorf("the ledger counts %d refunded, the provider %d; want 0 and 0", got, want)
			}
			if n := len(h.Mails(mail.KindCompleted, id)); n != 0 {
				t.Errorf("%d completed emails for a refund that failed", n)
			}
			h.OneMail(mail.KindRefundFailed, id)
			h.OneMail(mail.KindStaffRefundFailed, id)
			h.deliverEvents(o) // every event twice more: nothing changes
			h.WantStatus(id, refund.StatusNeedsAttention)
			h.OneMail(mail.KindRefundFailed, id)

			h.Intercept("ExecuteResolution", nil)
			r := h.staffAct(id, retry, http.StatusOK)
			if got, want := r.IdempotencyKey, refund.RefundIdempotencyKey(id, 2); got != want {
				t.Errorf("retry uses %q, want %q", got, want)
			}
			h.WantStatus(id, refund.StatusCompleted)
			h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
			if got, want := strings.Join(h.providerKeys(o), " "), refund.RefundIdempotencyKey(id, 1)+" "+refund.RefundIdempotencyKey(id, 2); got != want {
				t.Errorf("provider refunds under %q, want the failed attempt 1 and the retry's attempt 2: %q", got, want)
			}
			st, _ = h.Pay.Payment(h.Ctx, o.Payment.Reference)
			if got, want := h.Order(o.Number).Refunded, st.Refunded.Amount; got != want || got == 0 {
				t.Errorf("after the retry the ledger counts %d refunded, the provider %d", got, want)
			}
			h.OneMail(mail.KindCompleted, id)
		})
	}
}
