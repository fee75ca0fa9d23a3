package workflowtest

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"refundflow/handler"
	"refundflow/infra/local/stepfunctions"
	"refundflow/mail"
	"refundflow/refund"
)

// loseFirstAnswer makes the first invocation of a .waitForTaskToken function run (it stores its task
// token and sends its email) and then lose its answer, as a Lambda service error would: Step
// Functions retries the task with a new token after its retry interval, and the first token no
// longer waits.
func (h *harness) loseFirstAnswer(function string) {
	var once sync.Once
	h.Intercept(function, func(ctx context.Context, in handler.TaskInput, next func() (handler.TaskOutput, error)) (handler.TaskOutput, error) {
		out, err := next()
		lost := false
		once.Do(func() { lost = true })
		if lost {
			return handler.TaskOutput{}, &stepfunctions.ServiceError{Name: "Lambda.ServiceException", Cause: "response lost"}
		}
		return out, err
	})
}

// idle waits for the engine to run what is runnable, without moving the clock (so a retry's timer
// does not fire).
func (h *harness) idle() {
	h.T.Helper()
	ctx, cancel := context.WithTimeout(h.Ctx, 20*time.Second)
	defer cancel()
	if err := h.Eng.WaitIdle(ctx); err != nil {
		h.T.Fatalf("engine did not settle: %v", err)
	}
}

// A retried RequestStaffReview stores a new task token. An approval sent in the moment between the
// two attempts reads the first attempt's token, which no longer waits: the approval must still reach
// the wait that parks next, not be answered 409 while the workflow waits 14 days for it.
func TestApprovalBetweenTwoAttemptsOfTheReviewWait(t *testing.T) {
	for _, decision := range []handler.ReviewDecision{
		{Decision: handler.ReviewApprove},
		{Decision: handler.ReviewAdjust, Offers: []refund.OfferAdjustment{{Amount: "1000.00"}}},
	} {
		t.Run(decision.Decision, func(t *testing.T) {
			h := newHarness(t)
			o := h.newOrder(refund.ServiceProject, disputed)
			h.loseFirstAnswer("RequestStaffReview")
			id, _ := h.SubmitRequest(o, refund.ReasonChangedMind, "")
			h.idle() // the first attempt stored its token and failed; the retry waits for its timer
			h.WantStatus(id, refund.StatusInReview)
			if got := h.Invoked("RequestStaffReview"); got != 1 {
				t.Fatalf("RequestStaffReview ran %d times before the decision, want 1", got)
			}
			if decision.Decision == handler.ReviewAdjust {
				offers, _, err := h.Store.ListOffers(h.Ctx, id)
				if err != nil || len(offers) == 0 {
					t.Fatalf("offers: %v, %v", offers, err)
				}
				decision.Offers[0].ID = offers[0].ID
			}
			a := h.Review(id, decision)
			if a.Err != nil || a.Status != http.StatusOK {
				t.Fatalf("%s answered %d %v: %s", decision.Decision, a.Status, a.Err, a.Body)
			}
			h.Settle() // the retry parks with a new token and must take the decision
			h.WantStatus(id, refund.StatusAwaitingConsent)
			if got := h.Invoked("RequestStaffReview"); got != 2 {
				t.Errorf("RequestStaffReview ran %d times, want 2", got)
			}
			if decision.Decision == handler.ReviewAdjust {
				h.acceptKind(id, refund.OfferPartialRefund)
			} else {
				h.acceptKind(id, refund.OfferFullRefund)
			}
			h.WantStatus(id, refund.StatusCompleted)
			_, pending, err := h.Store.GetResume(h.Ctx, id)
			if err != nil || pending {
				t.Errorf("resume marker pending = %v (%v) after the decision reached the workflow", pending, err)
			}
		})
	}
}

// The same moment in the consent wait: the reminder's first attempt stores its token and loses its
// answer; the client accepts before the retry parks. The retry must complete its own wait with the
// acceptance (the status records it), so the refund happens without waiting another week.
func TestConsentBetweenTwoAttemptsOfTheReminder(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceHours)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.WantStatus(id, refund.StatusAwaitingConsent)
	h.loseFirstAnswer("RequestConsent")
	h.Clock.Advance(7*24*time.Hour + time.Second) // the offer wait times out; the reminder runs
	h.idle()
	if got := len(h.Mails(mail.KindReminder, id)); got != 1 {
		t.Fatalf("%d reminders before the decision, want 1", got)
	}
	code := h.ConsentCode(id, mail.KindReminder)
	p := h.OpenConsent(code, "GET")
	if got := h.postConsent(code, p, 0, ""); got != http.StatusSeeOther {
		t.Fatalf("accept answered %d", got)
	}
	h.Settle()
	h.WantStatus(id, refund.StatusCompleted)
	h.OneProviderRefund(o)
}
