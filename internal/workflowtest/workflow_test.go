package workflowtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"refundflow/handler"
	"refundflow/infra/local/stepfunctions"
	"refundflow/mail"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

// afterCoolingOff moves an order's purchase two months before T0, with some work done, so the
// policy's partial rules and alternatives apply.
func afterCoolingOff(o *refund.Order) {
	o.PurchaseDate = "2025-01-10"
	switch o.Service.Type {
	case refund.ServiceSubscription:
		o.Service.Subscription = &refund.Subscription{PeriodStart: "2025-03-01", PeriodEnd: "2025-03-31", PricePerPeriod: 31000, TicketsUsed: 1}
		o.Paid = 62000
	case refund.ServiceHours:
		o.Service.Hours.Used = 10
	case refund.ServiceProject:
		o.Service.Project.Milestones[0].Status = refund.MilestoneDelivered
	}
}

// disputed flags the order, which always sends it to staff review.
func disputed(o *refund.Order) { o.Disputed = true }

// choiceOf returns the index of the offer of kind on a consent page.
func choiceOf(t testing.TB, p ConsentPage, kind refund.OfferKind) int {
	t.Helper()
	for i, c := range p.Choices {
		if strings.Contains(c, "-"+string(kind)+"|") {
			return i
		}
	}
	t.Fatalf("no %s offer on the consent page: %v", kind, p.Choices)
	return -1
}

// acceptKind accepts the offer of kind through the latest offers email.
func (h *harness) acceptKind(id string, kind refund.OfferKind) {
	h.T.Helper()
	code := h.ConsentCode(id, mail.KindOffers)
	p := h.OpenConsent(code, "GET")
	if got := h.postConsent(code, p, choiceOf(h.T, p, kind), ""); got != http.StatusSeeOther {
		h.T.Fatalf("accept %s answered %d, want 303", kind, got)
	}
	h.Settle()
}

func TestHappyPathPerServiceType(t *testing.T) {
	for _, tc := range []struct {
		service refund.ServiceType
		paid    int64
	}{
		{refund.ServiceProject, 150000},
		{refund.ServiceSubscription, 30000},
		{refund.ServiceHours, 80000},
	} {
		t.Run(string(tc.service), func(t *testing.T) {
			h := newHarness(t)
			o := h.newOrder(tc.service)
			id := h.submitRequest(o, refund.ReasonChangedMind)

			// Parked on the consent wait; the client got the offers at the order's address, and no
			// separate confirmation (decided automatically, the offers are the first email).
			h.WantStatus(id, refund.StatusAwaitingConsent)
			h.WantExecution(id, sfntypes.ExecutionStatusRunning)
			if got := strings.Join(h.OneMail(mail.KindOffers, id).To, ","); got != o.Email {
				t.Errorf("offers email went to %q, want the order's %q", got, o.Email)
			}
			if n := len(h.Mails(mail.KindReceived, id)); n != 0 {
				t.Errorf("%d received emails on the automatic path, want none", n)
			}
			tok, err := h.Store.GetTaskToken(h.Ctx, id)
			if err != nil || tok.Kind != refund.TokenConsent || tok.Token == "" {
				t.Fatalf("stored token = %+v, %v; want the consent wait's", tok, err)
			}

			h.acceptKind(id, refund.OfferFullRefund)

			h.WantStatus(id, refund.StatusCompleted)
			h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
			if got, want := h.StatesEntered(id), []string{"VerifyConditions", "ProposeResolution",
				"RequestConsent", "Decision", "ExecuteResolution", "NotifyOutcome"}; strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("states = %v\nwant     %v", got, want)
			}
			n, err := h.Eng.StateTransitions(h.ExecutionArn(id))
			if err != nil {
				t.Fatal(err)
			}
			if n > 6 {
				t.Errorf("the happy path used %d billable state transitions, want at most 6", n)
			}
			t.Logf("%s: %d billable state transitions", tc.service, n)

			if r := h.OneProviderRefund(o); r.Refund.Amount.Amount != tc.paid || r.IdempotencyKey != "refund:"+id+":1" {
				t.Fatalf("provider refund = %+v, want one of %d with key refund:%s:1", r, tc.paid, id)
			}
			if got := h.Order(o.Number); got.Refunded != tc.paid || got.Status != refund.OrderFullyRefunded {
				t.Errorf("order after the refund: refunded %d, status %s; want %d, fully_refunded", got.Refunded, got.Status, tc.paid)
			}
			done := h.OneMail(mail.KindCompleted, id)
			if !strings.Contains(done.Text, refund.Money{Amount: tc.paid, Currency: "EUR"}.String()) || !strings.Contains(done.Text, "4242") {
				t.Errorf("completed email does not name the amount and the card:\n%s", done.Text)
			}
			if code := h.LinkCode(done, "/feedback/"); code == "" {
				t.Error("completed email has no feedback link")
			}
		})
	}
}

func TestAlternativesCarriedOut(t *testing.T) {
	t.Run("subscription pause", func(t *testing.T) {
		h := newHarness(t)
		o := h.newOrder(refund.ServiceSubscription, afterCoolingOff)
		id := h.submitRequest(o, refund.ReasonTooExpensive)
		h.acceptKind(id, refund.OfferPause)
		h.WantStatus(id, refund.StatusCompleted)
		if got := h.Order(o.Number); got.Status != refund.OrderActive || got.Refunded != 0 {
			t.Errorf("a pause left the order %s with %d refunded; want active, nothing refunded", got.Status, got.Refunded)
		}
		if len(h.ProviderRefunds(o)) != 0 {
			t.Error("a pause refunded money")
		}
		if !strings.Contains(h.OneMail(mail.KindCompleted, id).Text, "paused") {
			t.Error("completed email does not mention the pause")
		}
	})
	t.Run("hours credit", func(t *testing.T) {
		h := newHarness(t)
		o := h.newOrder(refund.ServiceHours, afterCoolingOff)
		id := h.submitRequest(o, refund.ReasonNoLongerNeeded)
		h.acceptKind(id, refund.OfferServiceCredit)
		h.WantStatus(id, refund.StatusCompleted)
		c, err := h.Store.GetCredit(h.Ctx, o.Number, id)
		if err != nil {
			t.Fatalf("credit: %v", err)
		}
		// 30 unused of 40 hours of EUR 800.00 is EUR 600.00; the credit is 110% of it.
		if got, want := c.Amount, (refund.Money{Amount: 66000, Currency: "EUR"}); got != want {
			t.Errorf("credit = %s, want %s", got, want)
		}
		if got := h.Order(o.Number); got.Status != refund.OrderCancelled || got.Refunded != 0 {
			t.Errorf("order after a credit: %s, %d refunded; want cancelled, nothing refunded", got.Status, got.Refunded)
		}
	})
	t.Run("subscription partial refund", func(t *testing.T) {
		h := newHarness(t)
		o := h.newOrder(refund.ServiceSubscription, afterCoolingOff)
		id := h.submitRequest(o, refund.ReasonTooExpensive)
		h.acceptKind(id, refund.OfferPartialRefund)
		h.WantStatus(id, refund.StatusCompleted)
		// 31 days at EUR 310.00; 10 used (1 to 10 March): 21 unused = EUR 210.00.
		if r := h.OneProviderRefund(o); r.Refund.Amount.Amount != 21000 {
			t.Fatalf("provider refund = %+v, want one of EUR 210.00", r)
		}
		if got := h.Order(o.Number); got.Status != refund.OrderCancelled {
			t.Errorf("order after a partial refund is %s, want cancelled", got.Status)
		}
	})
}

func TestStaffReview(t *testing.T) {
	park := func(t *testing.T) (*harness, refund.Order, string) {
		h := newHarness(t)
		o := h.newOrder(refund.ServiceProject, disputed)
		id := h.submitRequest(o, refund.ReasonChangedMind)
		h.WantStatus(id, refund.StatusInReview)
		h.WantExecution(id, sfntypes.ExecutionStatusRunning)
		staff := h.OneMail(mail.KindStaffReview, id)
		if got := strings.Join(staff.To, ","); got != StaffEmail {
			t.Errorf("review email went to %q, want %q", got, StaffEmail)
		}
		if strings.Contains(staff.Text, o.Email) || strings.Contains(staff.Text, o.CustomerName) {
			t.Error("the staff review email carries the client's personal data")
		}
		if len(h.Mails(mail.KindOffers, id)) != 0 {
			t.Fatal("offers went to the client before the review")
		}
		// The client is told the request was received and is with staff (a review takes days).
		received := h.OneMail(mail.KindReceived, id)
		if got := strings.Join(received.To, ","); got != o.Email {
			t.Errorf("received email went to %q, want the order's %q", got, o.Email)
		}
		if !strings.Contains(received.Text, "reviewing it") {
			t.Errorf("received email does not say staff review the request:\n%s", received.Text)
		}
		return h, o, id
	}

	t.Run("approve", func(t *testing.T) {
		h, o, id := park(t)
		if code, body := h.review(id, handler.ReviewDecision{Decision: handler.ReviewApprove, Message: "Fine."}); code != http.StatusOK {
			t.Fatalf("approve answered %d: %s", code, body)
		}
		h.WantStatus(id, refund.StatusAwaitingConsent)
		h.acceptKind(id, refund.OfferFullRefund)
		h.WantStatus(id, refund.StatusCompleted)
		if r := h.OneProviderRefund(o); r.Refund.Amount.Amount != o.Paid {
			t.Fatalf("provider refund = %+v, want the full %d", r, o.Paid)
		}
		if got := h.StatesEntered(id); !contains(got, "RequestStaffReview") || !contains(got, "AfterReview") {
			t.Errorf("states = %v, want the review", got)
		}
	})

	t.Run("adjust", func(t *testing.T) {
		h, o, id := park(t)
		offers, _, err := h.Store.ListOffers(h.Ctx, id)
		if err != nil || len(offers) == 0 {
			t.Fatalf("offers: %v %v", offers, err)
		}
		code, body := h.review(id, handler.ReviewDecision{Decision: handler.ReviewAdjust, Message: "Goodwill, minus the setup.",
			Offers: []refund.OfferAdjustment{{ID: offers[0].ID, Kind: refund.OfferPartialRefund, Amount: "1000.00"}}})
		if code != http.StatusOK {
			t.Fatalf("adjust answered %d: %s", code, body)
		}
		h.WantStatus(id, refund.StatusAwaitingConsent)
		if !strings.Contains(h.OneMail(mail.KindOffers, id).Text, "EUR 1,000.00") {
			t.Error("the offers email does not show the adjusted amount")
		}
		h.acceptKind(id, refund.OfferPartialRefund)
		h.WantStatus(id, refund.StatusCompleted)
		if r := h.OneProviderRefund(o); r.Refund.Amount.Amount != 100000 {
			t.Fatalf("provider refund = %+v, want one of EUR 1,000.00", r)
		}
		if got := h.Order(o.Number); got.Status != refund.OrderCancelled || got.Refunded != 100000 {
			t.Errorf("order: %s with %d refunded; want cancelled with 100000", got.Status, got.Refunded)
		}
	})

	t.Run("reject", func(t *testing.T) {
		h, o, id := park(t)
		msg := "The project was delivered as agreed; we cannot refund it."
		if code, body := h.review(id, handler.ReviewDecision{Decision: handler.ReviewReject, Message: msg}); code != http.StatusOK {
			t.Fatalf("reject answered %d: %s", code, body)
		}
		h.WantStatus(id, refund.StatusReviewRejected)
		h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
		if !strings.Contains(h.OneMail(mail.KindReviewRejected, id).Text, msg) {
			t.Error("the client's email does not carry the staff's message")
		}
		if len(h.ProviderRefunds(o)) != 0 {
			t.Error("money moved after a rejection")
		}
	})

	t.Run("no decision in 14 days", func(t *testing.T) {
		h, _, id := park(t)
		h.Advance(14*24*time.Hour + time.Minute)
		h.WantStaffWait(id)
		if !strings.Contains(h.OneMail(mail.KindStaffNeedsAttention, id).Text, "States.Timeout") {
			t.Error("the staff email does not name the timeout")
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestDecline(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceHours)
	id := h.submitRequest(o, refund.ReasonOther)
	code := h.ConsentCode(id, mail.KindOffers)
	p := h.OpenConsent(code, "GET")
	reason := "I found a better offer elsewhere."
	if got := h.postConsent(code, p, -1, reason); got != http.StatusSeeOther {
		t.Fatalf("decline answered %d", got)
	}
	h.Settle()
	h.WantStatus(id, refund.StatusDeclined)
	h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
	h.OneMail(mail.KindDeclined, id)
	if !strings.Contains(h.OneMail(mail.KindStaffDeclined, id).Text, reason) {
		t.Error("staff were not told the client's reason")
	}
	if len(h.ProviderRefunds(o)) != 0 {
		t.Error("money moved after a decline")
	}
	if h.Invoked("ExecuteResolution") != 0 {
		t.Error("ExecuteResolution ran after a decline")
	}
}

func TestWithdraw(t *testing.T) {
	t.Run("while waiting for consent", func(t *testing.T) {
		h := newHarness(t)
		o := h.newOrder(refund.ServiceProject)
		id := h.submitRequest(o, refund.ReasonChangedMind)
		if got := h.withdraw(id, h.statusCode(id)); got != http.StatusSeeOther {
			t.Fatalf("withdraw answered %d", got)
		}
		h.WantStatus(id, refund.StatusWithdrawn)
		h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
		h.OneMail(mail.KindWithdrawn, id)
		// The consent link now says the request was withdrawn.
		if p := h.OpenConsent(h.ConsentCode(id, mail.KindOffers), "GET"); p.Status != http.StatusGone {
			t.Errorf("consent link after withdrawal answered %d, want 410", p.Status)
		}
	})

	t.Run("while in review", func(t *testing.T) {
		h := newHarness(t)
		o := h.newOrder(refund.ServiceProject, disputed)
		id := h.submitRequest(o, refund.ReasonChangedMind)
		h.WantStatus(id, refund.StatusInReview)
		h.withdraw(id, h.statusCode(id))
		h.WantStatus(id, refund.StatusWithdrawn)
		h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
		h.OneMail(mail.KindWithdrawn, id)
	})

	t.Run("before the consent wait parks", func(t *testing.T) {
		// The client withdraws while RequestConsent is starting: the step finds the withdrawal and
		// completes its own token, instead of parking a withdrawn request.
		h := newHarness(t)
		o := h.newOrder(refund.ServiceSubscription)
		var werr error
		// The client withdraws with the status link of the submit answer. The workflow starts inside
		// the submission and may reach RequestConsent before that answer has reached the client (and
		// the harness has recorded its link), so the step waits for the answer first.
		answered := make(chan struct{})
		h.Intercept("RequestConsent", func(ctx context.Context, in handler.TaskInput, next func() (handler.TaskOutput, error)) (handler.TaskOutput, error) {
			if in.Phase == handler.PhaseOffer {
				select {
				case <-answered:
				case <-ctx.Done():
					return handler.TaskOutput{}, ctx.Err()
				}
				if a := h.Withdraw(in.RequestID, h.StatusCode(in.RequestID)); a.Err != nil {
					werr = a.Err
				}
			}
			return next()
		})
		id, _ := h.SubmitRequest(o, refund.ReasonChangedMind, "")
		close(answered)
		h.Settle()
		if werr != nil {
			t.Fatal(werr)
		}
		h.WantStatus(id, refund.StatusWithdrawn)
		h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
		if len(h.Mails(mail.KindOffers, id)) != 0 {
			t.Error("offers were sent for a withdrawn request")
		}
		h.OneMail(mail.KindWithdrawn, id)
	})

	t.Run("before verification", func(t *testing.T) {
		h := newHarness(t)
		o := h.newOrder(refund.ServiceHours)
		h.Intercept("VerifyConditions", func(ctx context.Context, in handler.TaskInput, next func() (handler.TaskOutput, error)) (handler.TaskOutput, error) {
			// What the withdraw form does, before the status code reached the test.
			req, err := h.Store.GetRequest(ctx, in.RequestID)
			if err == nil {
				err = h.Store.Transition(ctx, in.RequestID, req.Status, refund.StatusWithdrawn, req.Version,
					refund.AuditEntry{Actor: refund.ActorClient, Action: "withdrawn"})
			}
			if err != nil {
				return handler.TaskOutput{}, err
			}
			return next()
		})
		id := h.submitRequest(o, refund.ReasonChangedMind)
		h.WantStatus(id, refund.StatusWithdrawn)
		h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
		if got := h.StatesEntered(id); strings.Join(got, ",") != "VerifyConditions,NotifyOutcome" {
			t.Errorf("states = %v", got)
		}
		// Nothing verified the order, so nothing is sent to its address.
		if len(h.Box.Messages()) != 0 {
			t.Errorf("emails sent for an unverified withdrawn request: %s", h.OutboxSummary())
		}
	})
}

func TestReminderThenConsent(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	first := h.ConsentCode(id, mail.KindOffers)
	firstToken, _ := h.Store.GetTaskToken(h.Ctx, id)

	h.Advance(7*24*time.Hour + time.Minute)
	h.WantStatus(id, refund.StatusAwaitingConsent)
	reminder := h.OneMail(mail.KindReminder, id)
	second := h.LinkCode(reminder, "/consent/")
	if second == first {
		t.Error("the reminder reuses the first link code")
	}
	if tok, _ := h.Store.GetTaskToken(h.Ctx, id); tok.Token == firstToken.Token || tok.Token == "" {
		t.Error("the reminder did not store the new wait's token")
	}
	// Both links work; the client uses the first email's.
	if p := h.OpenConsent(second, "GET"); p.Status != http.StatusOK {
		t.Errorf("the reminder's link answered %d", p.Status)
	}
	p := h.OpenConsent(first, "GET")
	if p.Status != http.StatusOK {
		t.Fatalf("the first link answered %d after the reminder", p.Status)
	}
	if got := h.postConsent(first, p, 0, ""); got != http.StatusSeeOther {
		t.Fatalf("accept answered %d", got)
	}
	h.Settle()
	h.WantStatus(id, refund.StatusCompleted)
	h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
	if got := h.StatesEntered(id); !contains(got, "RemindConsent") || contains(got, "ExpireConsent") {
		t.Errorf("states = %v", got)
	}
	h.OneProviderRefund(o)
}

func TestExpiry(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceSubscription)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	code := h.ConsentCode(id, mail.KindOffers)
	page := h.OpenConsent(code, "GET")

	h.Advance(7*24*time.Hour + time.Minute)
	h.OneMail(mail.KindReminder, id)
	h.Advance(7*24*time.Hour + time.Minute)

	h.WantStatus(id, refund.StatusExpired)
	h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
	h.OneMail(mail.KindExpired, id)
	// A decision arriving after the expiry is refused with a clear page, and moves nothing.
	if got := h.postConsent(code, page, 0, ""); got != http.StatusGone {
		t.Errorf("a late acceptance answered %d, want 410", got)
	}
	if p := h.OpenConsent(code, "GET"); p.Status != http.StatusGone {
		t.Errorf("the link after expiry answered %d, want 410", p.Status)
	}
	h.Settle()
	h.WantStatus(id, refund.StatusExpired)
	if len(h.ProviderRefunds(o)) != 0 {
		t.Error("money moved after the expiry")
	}
}

// lostSFN is a Step Functions client whose SendTaskSuccess never arrives, like a network failure after
// the consent was recorded.
type lostSFN struct {
	StepFunctions
	mu   sync.Mutex
	lost int
}

func (l *lostSFN) SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, opts ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	l.mu.Lock()
	l.lost++
	l.mu.Unlock()
	return nil, errors.New("connection reset by peer")
}

func TestConsentWhoseWakeUpWasLost(t *testing.T) {
	// The consent is recorded, but completing the wait fails. The workflow learns of it at its next
	// phase (the reminder, a week later): it completes its own token with the recorded decision and
	// sends no reminder.
	h := newHarness(t)
	lost := &lostSFN{StepFunctions: h.SFN}
	h.HTTP.Consent.Waits = h.Workflow(lost)
	o := h.newOrder(refund.ServiceProject)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.accept(id, 0)
	if lost.lost != 1 {
		t.Fatalf("%d lost wake-ups, want 1", lost.lost)
	}
	h.WantStatus(id, refund.StatusExecuting)
	h.WantExecution(id, sfntypes.ExecutionStatusRunning)

	h.Advance(7*24*time.Hour + time.Minute)
	h.WantStatus(id, refund.StatusCompleted)
	h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
	if len(h.Mails(mail.KindReminder, id)) != 0 {
		t.Error("a reminder went out for a decided request")
	}
	h.OneProviderRefund(o)
}

func TestConsentAtTheLastMoment(t *testing.T) {
	// The consent arrives after the reminder wait timed out but before ExpireConsent ran: the
	// decision is recorded, its wake-up finds a closed token, and ExpireConsent returns the recorded
	// acceptance instead of expiring the offer.
	h := newHarness(t)
	o := h.newOrder(refund.ServiceHours)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	code := h.ConsentCode(id, mail.KindOffers)
	var perr error
	h.Intercept("RequestConsent", func(ctx context.Context, in handler.TaskInput, next func() (handler.TaskOutput, error)) (handler.TaskOutput, error) {
		if in.Phase == handler.PhaseExpire {
			p := h.OpenConsent(code, "GET")
			if status, err := h.tryPostConsent(code, p, 0, ""); err != nil || status != http.StatusSeeOther {
				perr = fmt.Errorf("late accept: %d %v", status, err)
			}
		}
		return next()
	})
	h.Advance(14*24*time.Hour + 2*time.Minute)
	if perr != nil {
		t.Fatal(perr)
	}
	h.WantStatus(id, refund.StatusCompleted)
	h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
	if len(h.Mails(mail.KindExpired, id)) != 0 {
		t.Error("an expiry email went out for an accepted offer")
	}
	h.OneProviderRefund(o)
}

func TestPaymentUnavailableThenRetry(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.Pay.FailNext(2, sandbox.FaultUnavailable)
	h.accept(id, 0)

	h.WantStatus(id, refund.StatusCompleted)
	h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
	if got := h.Invoked("ExecuteResolution"); got != 3 {
		t.Errorf("ExecuteResolution ran %d times, want 3 (two failures, then success)", got)
	}
	if !strings.Contains(h.History(id), "!PaymentUnavailable") {
		t.Errorf("history shows no PaymentUnavailable: %s", h.History(id))
	}
	h.OneProviderRefund(o)
}

func TestPaymentUnavailableForGood(t *testing.T) {
	// The provider stays down through every retry: the request needs attention, and the reservation
	// stays in the ledger, because the refund's outcome is unknown.
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.Pay.FailNext(20, sandbox.FaultUnavailable)
	h.accept(id, 0)

	h.WantStaffWait(id)
	if got := h.Invoked("ExecuteResolution"); got != 5 {
		t.Errorf("ExecuteResolution ran %d times, want 5 (the first try and 4 retries)", got)
	}
	if !strings.Contains(h.OneMail(mail.KindStaffNeedsAttention, id).Text, "PaymentUnavailable") {
		t.Error("staff were not told the error's name")
	}
	h.OneMail(mail.KindNeedsAttention, id)
	rec, err := h.Store.GetRefund(h.Ctx, o.Number, id, 1)
	if err != nil || rec.State != refund.RefundReserved {
		t.Errorf("refund record = %+v, %v; want still reserved", rec, err)
	}
}

func TestTimeoutAfterProviderSuccess(t *testing.T) {
	t.Run("provider answer lost", func(t *testing.T) {
		h := newHarness(t)
		o := h.newOrder(refund.ServiceSubscription)
		id := h.submitRequest(o, refund.ReasonChangedMind)
		h.Pay.FailNext(1, sandbox.FaultTimeoutAfterSuccess)
		h.accept(id, 0)
		h.WantStatus(id, refund.StatusCompleted)
		if got := h.Invoked("ExecuteResolution"); got != 2 {
			t.Errorf("ExecuteResolution ran %d times, want 2", got)
		}
		if r := h.OneProviderRefund(o); r.Refund.Amount.Amount != o.Paid {
			t.Fatalf("provider refund = %+v, want one of %d", r, o.Paid)
		}
	})
	t.Run("Lambda answer lost after the step finished", func(t *testing.T) {
		h := newHarness(t)
		o := h.newOrder(refund.ServiceHours)
		id := h.submitRequest(o, refund.ReasonChangedMind)
		once := sync.Once{}
		h.Intercept("ExecuteResolution", func(ctx context.Context, in handler.TaskInput, next func() (handler.TaskOutput, error)) (handler.TaskOutput, error) {
			out, err := next()
			lost := false
			once.Do(func() { lost = true })
			if lost {
				return handler.TaskOutput{}, &stepfunctions.ServiceError{Name: "Lambda.ServiceException", Cause: "response lost"}
			}
			return out, err
		})
		h.accept(id, 0)
		h.WantStatus(id, refund.StatusCompleted)
		h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
		if got := h.Invoked("ExecuteResolution"); got != 2 {
			t.Errorf("ExecuteResolution ran %d times, want 2", got)
		}
		h.OneProviderRefund(o)
	})
}

func TestPaymentDeclined(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.Pay.FailNext(1, sandbox.FaultDeclined)
	h.accept(id, 0)

	h.WantStaffWait(id)
	if got := h.Invoked("ExecuteResolution"); got != 1 {
		t.Errorf("ExecuteResolution ran %d times, want 1 (a refusal is not retried)", got)
	}
	rec, err := h.Store.GetRefund(h.Ctx, o.Number, id, 1)
	if err != nil || rec.State != refund.RefundFailed {
		t.Errorf("refund record = %+v, %v; want failed", rec, err)
	}
	if got := h.Order(o.Number); got.Refunded != 0 || got.Status != refund.OrderActive {
		t.Errorf("order after a refusal: %d refunded, %s; want the reservation released and the order active", got.Refunded, got.Status)
	}
	if !strings.Contains(h.OneMail(mail.KindStaffNeedsAttention, id).Text, "PaymentDeclined") {
		t.Error("staff were not told the error's name")
	}
}

func TestDuplicateConsent(t *testing.T) {
	t.Run("double submit", func(t *testing.T) {
		h := newHarness(t)
		o := h.newOrder(refund.ServiceProject)
		id := h.submitRequest(o, refund.ReasonChangedMind)
		code := h.ConsentCode(id, mail.KindOffers)
		p := h.OpenConsent(code, "GET")
		if got := h.postConsent(code, p, 0, ""); got != http.StatusSeeOther {
			t.Fatalf("first POST answered %d", got)
		}
		second := h.postConsent(code, p, 0, "")
		third := h.postConsent(code, p, -1, "changed my mind")
		h.Settle()
		if second == http.StatusSeeOther || third == http.StatusSeeOther {
			t.Errorf("later POSTs answered %d and %d; they must not record anything", second, third)
		}
		h.WantStatus(id, refund.StatusCompleted)
		h.OneProviderRefund(o)
	})
	t.Run("50 at once", func(t *testing.T) {
		h := newHarness(t)
		o := h.newOrder(refund.ServiceHours)
		id := h.submitRequest(o, refund.ReasonChangedMind)
		code := h.ConsentCode(id, mail.KindOffers)
		p := h.OpenConsent(code, "GET")
		var wg sync.WaitGroup
		statuses := make([]int, 50)
		errs := make([]error, 50)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i], errs[i] = h.tryPostConsent(code, p, 0, "")
			}()
		}
		wg.Wait()
		recorded := 0
		for i, s := range statuses {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if s == http.StatusSeeOther {
				recorded++
			}
		}
		if recorded != 1 {
			t.Errorf("%d POSTs were recorded, want exactly 1 (statuses %v)", recorded, statuses)
		}
		h.Settle()
		h.WantStatus(id, refund.StatusCompleted)
		h.OneProviderRefund(o)
	})
}

func TestScannerVisitsChangeNothing(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceSubscription)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	code := h.ConsentCode(id, mail.KindOffers)
	before := h.Request(id)
	for _, m := range []string{"GET", "HEAD", "GET", "HEAD", "GET"} {
		if p := h.OpenConsent(code, m); p.Status != http.StatusOK {
			t.Fatalf("%s answered %d", m, p.Status)
		}
	}
	h.Settle()
	after := h.Request(id)
	if after.Status != refund.StatusAwaitingConsent || after.Version != before.Version {
		t.Errorf("link visits changed the request: %s v%d → %s v%d", before.Status, before.Version, after.Status, after.Version)
	}
	if _, err := h.Store.GetConsent(h.Ctx, id); refund.ErrorCode(err) != refund.CodeNotFound {
		t.Errorf("a consent exists after GET/HEAD visits: %v", err)
	}
	audit, _ := h.Store.ListAudit(h.Ctx, id)
	viewed := 0
	for _, e := range audit {
		if e.Action == "viewed" {
			viewed++
		}
	}
	if viewed != 5 {
		t.Errorf("%d viewed entries, want 5", viewed)
	}
	// The request stays parked until the client decides; then it completes normally.
	h.acceptKind(id, refund.OfferFullRefund)
	h.WantStatus(id, refund.StatusCompleted)
}

func TestRejected(t *testing.T) {
	t.Run("order not matched", func(t *testing.T) {
		h := newHarness(t)
		o := h.newOrder(refund.ServiceProject)
		id := h.submitRequest(o, refund.ReasonChangedMind, func(s *refund.Submission) { s.Email = "someone.else@example.com" })
		h.WantStatus(id, refund.StatusRejected)
		h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
		// Neither the order's owner nor the typed address hears from us: the status page shows it.
		if n := len(h.Box.Messages()); n != 0 {
			t.Errorf("%d emails for an unmatched request: %s", n, h.OutboxSummary())
		}
		v := h.Request(id).Verification
		if v == nil || v.OK || v.Findings[len(v.Findings)-1].Code != refund.FindingOrderNotMatched {
			t.Errorf("verification = %+v", v)
		}
	})
	t.Run("too old", func(t *testing.T) {
		h := newHarness(t)
		o := h.newOrder(refund.ServiceHours, func(o *refund.Order) { o.PurchaseDate = "2023-12-01" })
		id := h.submitRequest(o, refund.ReasonChangedMind)
		h.WantStatus(id, refund.StatusRejected)
		h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
		m := h.OneMail(mail.KindRejected, id)
		if got := strings.Join(m.To, ","); got != o.Email {
			t.Errorf("rejected email to %q, want %q", got, o.Email)
		}
		if !strings.Contains(m.Text, "365 days") {
			t.Errorf("rejected email does not explain the finding:\n%s", m.Text)
		}
		if len(h.Mails(mail.KindReceived, id)) != 0 {
			t.Error("a received email went out for a rejected request")
		}
	})
}

func TestUnexpectedFailures(t *testing.T) {
	t.Run("transient Lambda error is retried", func(t *testing.T) {
		h := newHarness(t)
		o := h.newOrder(refund.ServiceProject)
		h.FailNextInvocation("VerifyConditions", &stepfunctions.ServiceError{Name: "Lambda.TooManyRequestsException", Cause: "Rate exceeded"})
		h.FailNextInvocation("ProposeResolution", &stepfunctions.ServiceError{Name: "Lambda.ServiceException", Cause: "oops"})
		id := h.submitRequest(o, refund.ReasonChangedMind)
		h.WantStatus(id, refund.StatusAwaitingConsent)
		h.accept(id, 0)
		h.WantStatus(id, refund.StatusCompleted)
		if got := h.Invoked("VerifyConditions") + h.Invoked("ProposeResolution"); got != 4 {
			t.Errorf("verify and resolve ran %d times, want 4", got)
		}
	})
	t.Run("unexpected error ends in needs attention", func(t *testing.T) {
		h := newHarness(t)
		o := h.newOrder(refund.ServiceProject)
		h.FailNextInvocation("ProposeResolution", errors.New("disk on fire"))
		id := h.submitRequest(o, refund.ReasonChangedMind)
		h.WantStaffWait(id)
		staff := h.OneMail(mail.KindStaffNeedsAttention, id)
		if strings.Contains(staff.Text, "disk on fire") {
			t.Error("the staff email quotes the error's cause; only its name belongs there")
		}
		audit, _ := h.Store.ListAudit(h.Ctx, id)
		last := audit[len(audit)-1]
		for _, e := range audit {
			if e.To == refund.StatusNeedsAttention {
				last = e
			}
		}
		if last.Detail != "workflow error: errorString" {
			t.Errorf("audit detail = %q, want the error's name only", last.Detail)
		}
	})
}

func TestHandlersAreSafeToRunTwice(t *testing.T) {
	// Every task, run again on a finished request, gives the same outcome and changes nothing.
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.accept(id, 0)
	h.WantStatus(id, refund.StatusCompleted)
	before := h.Request(id)
	mails := len(h.Box.Messages())

	in := handler.TaskInput{RequestID: id}
	for _, tc := range []struct {
		name string
		run  func() (handler.TaskOutput, error)
		want string
	}{
		{"VerifyConditions", func() (handler.TaskOutput, error) {
			return (&handler.VerifyConditions{Store: h.Store}).Handle(h.Ctx, in)
		}, "completed"},
		{"ExecuteResolution", func() (handler.TaskOutput, error) {
			return (&handler.ExecuteResolution{Store: h.Store, Payment: h.Pay}).Handle(h.Ctx, in)
		}, "completed"},
		{"MarkNeedsAttention", func() (handler.TaskOutput, error) {
			return (&handler.MarkNeedsAttention{Store: h.Store}).Handle(h.Ctx, in)
		}, "completed"},
		{"RequestConsent expire", func() (handler.TaskOutput, error) {
			return (&handler.RequestConsent{Store: h.Store}).Handle(h.Ctx, handler.TaskInput{RequestID: id, Phase: handler.PhaseExpire})
		}, "accepted"},
	} {
		out, err := tc.run()
		got := out.Outcome
		if routed, ok := handler.RoutedOutcome(err); ok {
			got, err = routed, nil // VerifyConditions routes a closed request by error
		}
		if err != nil || got != tc.want {
			t.Errorf("%s again = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	after := h.Request(id)
	if after.Version != before.Version || after.Status != before.Status {
		t.Errorf("running the tasks again changed the request: v%d %s → v%d %s", before.Version, before.Status, after.Version, after.Status)
	}
	if got := len(h.Box.Messages()); got != mails {
		t.Errorf("running the tasks again sent %d emails", got-mails)
	}
	h.OneProviderRefund(o)
}

func TestAgreementChangedAfterConsent(t *testing.T) {
	// The billing system records more used hours after the client accepted: the agreement the
	// client signed no longer matches the order, so execution refuses and nothing is refunded.
	h := newHarness(t)
	o := h.newOrder(refund.ServiceHours, afterCoolingOff)
	id := h.submitRequest(o, refund.ReasonNoLongerNeeded)
	h.Intercept("ExecuteResolution", func(ctx context.Context, in handler.TaskInput, next func() (handler.TaskOutput, error)) (handler.TaskOutput, error) {
		cur, err := h.Store.GetOrder(ctx, o.Number)
		if err != nil {
			return handler.TaskOutput{}, err
		}
		if cur.Service.Hours.Used == 10 {
			cur.Service.Hours.Used = 30
			if _, err := h.Store.PutOrder(ctx, cur); err != nil {
				return handler.TaskOutput{}, err
			}
		}
		return next()
	})
	h.acceptKind(id, refund.OfferPartialRefund)
	h.WantStaffWait(id)
	if !strings.Contains(h.OneMail(mail.KindStaffNeedsAttention, id).Text, "ExecutionRefused") {
		t.Error("staff were not told why")
	}
	if len(h.ProviderRefunds(o)) != 0 {
		t.Error("money moved for an agreement that no longer matches the order")
	}
	if refunds, _ := h.Store.ListOrderRefunds(h.Ctx, o.Number); len(refunds) != 0 {
		t.Errorf("refund records %+v, want none", refunds)
	}
}

func TestLogsCarryIDsButNoSecretsOrPersonalData(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject, func(o *refund.Order) {
		o.CustomerName = "Zoë Quartermaine"
		o.Email = "zoe.quartermaine@example.org"
	})
	id := h.submitRequest(o, refund.ReasonChangedMind)
	consentCode := h.ConsentCode(id, mail.KindOffers)
	tok, _ := h.Store.GetTaskToken(h.Ctx, id)
	h.Pay.FailNext(1, sandbox.FaultUnavailable) // an error line too
	h.accept(id, 0)
	h.WantStatus(id, refund.StatusCompleted)

	logs := h.Logs.String()
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if len(lines) < 6 {
		t.Fatalf("only %d log lines:\n%s", len(lines), logs)
	}
	for _, secret := range []string{o.Email, o.CustomerName, "Quartermaine", consentCode, h.StatusCode(id), tok.Token} {
		if secret != "" && strings.Contains(logs, secret) {
			t.Errorf("the logs contain %q", secret)
		}
	}
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if rec["requestId"] != id || rec["executionArn"] != h.ExecutionArn(id) || rec["task"] == nil || rec["awsRequestId"] == nil {
			t.Errorf("log line without the ids: %s", line)
		}
	}
}

// BenchmarkRequestToRefund measures one request from the form to the refund: submission, the
// workflow up to the consent wait, the consent page and POST, execution and the outcome email, all
// through the real handlers, engine, ddblocal, sandbox and outbox.
func BenchmarkRequestToRefund(b *testing.B) {
	h := newHarness(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o := h.newOrder(refund.ServiceProject)
		id := h.submitRequest(o, refund.ReasonChangedMind)
		h.accept(id, 0)
		if h.Request(id).Status != refund.StatusCompleted {
			b.Fatalf("request %s did not complete", id)
		}
	}
}

func TestFiftyParallelSubmissionsStartOneWorkflow(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceHours)
	body, _ := json.Marshal(refund.Submission{OrderNumber: o.Number, PurchaseDate: o.PurchaseDate, Email: o.Email,
		Kind: string(refund.KindRefund), Reason: string(refund.ReasonChangedMind), Name: o.CustomerName})
	var wg sync.WaitGroup
	statuses := make([]int, 50)
	ids := make([]string, 50)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := h.HTTP.Submit.Handle(h.Ctx, Event("POST", "/requests", "/requests", "", nil,
				map[string]string{"content-type": "application/json", "accept": "application/json"}, string(body)))
			if err != nil {
				t.Error(err)
				return
			}
			statuses[i] = resp.StatusCode
			var ans handler.SubmitAnswer
			if json.Unmarshal([]byte(resp.Body), &ans) == nil {
				ids[i] = ans.RequestID
			}
		}()
	}
	wg.Wait()
	var accepted []string
	for i, s := range statuses {
		switch s {
		case http.StatusAccepted:
			accepted = append(accepted, ids[i])
		case http.StatusConflict:
		default:
			t.Errorf("submission answered %d", s)
		}
	}
	if len(accepted) != 1 {
		t.Fatalf("%d submissions accepted, want exactly 1 (statuses %v)", len(accepted), statuses)
	}
	id := accepted[0]
	h.Track(id)
	h.Settle()
	out, err := h.SFN.ListExecutions(h.Ctx, &sfn.ListExecutionsInput{StateMachineArn: &h.Machine})
	if err != nil || len(out.Executions) != 1 {
		t.Fatalf("executions = %d, %v; want exactly one", len(out.Executions), err)
	}
	h.accept(id, 0)
	h.WantStatus(id, refund.StatusCompleted)
	h.OneProviderRefund(o)
}
