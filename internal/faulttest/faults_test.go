package faulttest

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"refundflow/handler"
	"refundflow/infra/local/stepfunctions"
	"refundflow/mail"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

// happyPath takes a fresh order from the form to an accepted full refund, and returns the request.
func (h *harness) happyPath() (refund.Order, string) {
	h.T.Helper()
	o := h.newOrder()
	id, _ := h.submitRequest(o)
	h.Settle()
	if st := h.Request(id).Status; st != refund.StatusAwaitingConsent {
		return o, id // the caller checks the outcome; a fault may have sent it to staff
	}
	h.accept(id)
	h.Settle()
	return o, id
}

// wantOneEachEmail checks that the request's client got each email of its path exactly once: offers,
// completed, and received when staff reviewed it (on the automatic path the offers are the first).
func (h *harness) wantOneEachEmail(id string) {
	h.T.Helper()
	kinds := []mail.Kind{mail.KindOffers, mail.KindCompleted}
	if len(h.Mails(mail.KindStaffReview, id)) > 0 {
		kinds = append(kinds, mail.KindReceived)
	} else if n := len(h.Mails(mail.KindReceived, id)); n != 0 {
		h.T.Errorf("request %s: %d received emails without a staff review, want none", id, n)
	}
	for _, k := range kinds {
		if n := len(h.Mails(k, id)); n != 1 {
			h.T.Errorf("request %s: %d %s emails, want 1 (outbox: %s)", id, n, k, h.OutboxSummary())
		}
	}
}

// TestDynamoDBFailing fails a share of every DynamoDB call while requests go from the form to the
// refund, the way DynamoDB answers under an internal error or a partition hiccup (500
// InternalServerError, which the SDK retries up to 4 times).
func TestDynamoDBFailing(t *testing.T) {
	t.Parallel()
	t.Run("a share the SDK's retries absorb", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		// Each call fails at most twice, so the SDK's four attempts get every call through.
		h.completeFourUnder(&Fault{Share: 0.25, PerCall: 2}, 20, "DynamoDB calls failed")
	})
	// An outage longer than the SDK's retries (about 200 ms for DynamoDB) fails a task; its Catch
	// sends the request to MarkNeedsAttention at once, which fails too in the same outage, and the
	// execution ends in AttentionFailed with the request left submitted or executing: nothing will
	// move it on. The state machine must retry MarkNeedsAttention for every error, with a backoff
	// long enough to outlast an outage, e.g. (refund.asl.json, MarkNeedsAttention.Retry):
	//
	//	{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 30, "MaxAttempts": 8, "BackoffRate": 2, "JitterStrategy": "NONE"}
	//
	// (two hours in all; MarkNeedsAttention is safe to repeat). Not "FULL" jitter: it draws each wait
	// below its doubling, and the retries of B then ran out within this scenario's two 12-minute
	// outages about once in 90 runs.
	t.Run("an outage beyond the SDK's retries, then recovery", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		outage := &Fault{Share: 1}
		startOutage := func(task string) {
			var once sync.Once
			h.Intercept(task, func(ctx context.Context, in handler.TaskInput, next func() (handler.TaskOutput, error)) (handler.TaskOutput, error) {
				once.Do(func() { h.ddb.SetFault(outage) })
				return next()
			})
		}

		// A: parked for consent when DynamoDB goes down; the client's accept fails until it is back.
		a := h.newOrder()
		aID, _ := h.submitRequest(a)
		h.Settle()
		// B: DynamoDB goes down as its verification starts.
		b := h.newOrder()
		startOutage("VerifyConditions")
		bID, _ := h.submitRequest(b)
		h.Settle()
		h.Intercept("VerifyConditions", nil)
		if statuses := h.accept(aID); statuses[len(statuses)-1] < 500 {
			t.Fatalf("accepting during the outage answered %v", statuses)
		}
		h.ddb.SetFault(nil)
		h.Settle()
		// C: DynamoDB goes down as its refund starts.
		c := h.newOrder()
		cID, _ := h.submitRequest(c)
		h.Settle()
		startOutage("ExecuteResolution")
		h.accept(cID)
		h.Settle()
		h.Intercept("ExecuteResolution", nil)
		h.ddb.SetFault(nil)
		h.Settle()

		// The client of A tries again once the site works.
		if statuses := h.accept(aID); statuses[len(statuses)-1] != http.StatusSeeOther {
			t.Errorf("accepting after the outage answered %v, want 303", statuses)
		}
		h.Settle()
		h.WantStatus(aID, refund.StatusCompleted)
		h.Advance(15 * 24 * time.Hour)
		// What must hold for B and C is in the invariants: a status that says what happens next
		// (needs attention, with staff told), and no money moved.
		t.Logf("after the outage: A %s, B %s, C %s", h.Request(aID).Status, h.Request(bID).Status, h.Request(cID).Status)
	})
	t.Run("answers lost after the write", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		// The write happens, its answer does not arrive, and the SDK sends the same call again: a
		// conditional write then fails against its own first attempt.
		h.completeFourUnder(&Fault{Share: 0.3, PerCall: 3, Mode: FailAfter, Ops: []string{"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"}},
			5, "write answers lost")
	})
}

// completeFourUnder takes four requests from the form to the refund while DynamoDB has the fault,
// then checks that the fault fired at least least times (what names the injected failures) and that
// each request completed with each email once: the SDK's retries absorb the fault.
func (h *harness) completeFourUnder(fault *Fault, least int, what string) {
	h.T.Helper()
	h.ddb.SetFault(fault)
	var ids []string
	for i := 0; i < 4; i++ {
		_, id := h.happyPath()
		ids = append(ids, id)
	}
	injected := h.ddb.Injected()
	h.ddb.SetFault(nil)
	h.Settle()
	if injected < least {
		h.T.Fatalf("only %d %s; the scenario did not exercise the retries", injected, what)
	}
	for _, id := range ids {
		if st := h.Request(id).Status; st != refund.StatusCompleted {
			h.T.Errorf("request %s ended %s with %s, want completed; states: %s", id, st, what, h.History(id))
		} else {
			h.wantOneEachEmail(id)
		}
	}
	h.T.Logf("%d %s on purpose; outcomes: %v", injected, what, h.outcomes(ids))
}

// outcomes counts the requests' statuses, for logs.
func (h *harness) outcomes(ids []string) map[refund.Status]int {
	out := map[refund.Status]int{}
	for _, id := range ids {
		out[h.Request(id).Status]++
	}
	return out
}

// TestPaymentTimesOutAfterSuccess has the provider make the refund and then fail to answer in time.
func TestPaymentTimesOutAfterSuccess(t *testing.T) {
	t.Parallel()
	t.Run("once: the retry replays the key and finds the refund", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.Pay.FailNext(1, sandbox.FaultTimeoutAfterSuccess)
		o, id := h.happyPath()
		h.WantStatus(id, refund.StatusCompleted)
		if got := h.Invoked("ExecuteResolution"); got != 2 {
			t.Errorf("ExecuteResolution ran %d times, want 2", got)
		}
		if r := h.OneProviderRefund(o); r.Refund.Amount.Amount != o.Paid {
			t.Errorf("provider refund %+v, want one of %d", r, o.Paid)
		}
		h.wantOneEachEmail(id)
	})
	t.Run("every time: needs attention with the refund on record", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.Pay.FailNext(10, sandbox.FaultTimeoutAfterSuccess)
		o, id := h.happyPath()
		h.WantStatus(id, refund.StatusNeedsAttention)
		if got := h.Invoked("ExecuteResolution"); got != 5 {
			t.Errorf("ExecuteResolution ran %d times, want 5 (PaymentUnavailable is retried 4 times)", got)
		}
		h.OneProviderRefund(o)
		if n := len(h.Mails(mail.KindStaffNeedsAttention, id)); n != 1 {
			t.Errorf("%d staff emails, want 1", n)
		}
	})
}

// crashAfter returns an interceptor that runs the handler and then, the first time only, reports a
// failure of the Lambda service, as if the function's answer was lost after its side effects; the
// state machine retries it.
func crashAfter() interceptor {
	var once sync.Once
	return func(ctx context.Context, in handler.TaskInput, next func() (handler.TaskOutput, error)) (handler.TaskOutput, error) {
		out, err := next()
		crash := false
		once.Do(func() { crash = true })
		if crash {
			return handler.TaskOutput{}, &stepfunctions.ServiceError{Name: "Lambda.ServiceException", Cause: "the function's answer was lost (injected)"}
		}
		return out, err
	}
}

// twice returns an interceptor that runs the handler twice for one invocation, one after the other
// or at the same time, as Step Functions' at-least-once delivery may.
func twice(concurrent bool) interceptor {
	return func(ctx context.Context, in handler.TaskInput, next func() (handler.TaskOutput, error)) (handler.TaskOutput, error) {
		if !concurrent {
			next()
			return next()
		}
		var wg sync.WaitGroup
		var out [2]handler.TaskOutput
		var errs [2]error
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i], errs[i] = next()
			}()
		}
		wg.Wait()
		if errs[0] != nil {
			return out[1], errs[1]
		}
		return out[0], errs[0]
	}
}

// TestTaskFaults runs the happy path (and the staff review path for its task) with each task
// function crashing after its side effects, and run twice in a row and at the same time.
func TestTaskFaults(t *testing.T) {
	t.Parallel()
	for _, task := range taskFunctions {
		for _, fault := range []struct {
			name string
			icpt func() interceptor
		}{
			{"crashes after its side effect", crashAfter},
			{"runs twice", func() interceptor { return twice(false) }},
			// Two runs at the same instant send each email once: the mail marker is claimed
			// before sending (dynamo.Store.ClaimMail).
			{"runs twice at once", func() interceptor { return twice(true) }},
		} {
			t.Run(task+" "+fault.name, func(t *testing.T) {
				t.Parallel()
				h := newHarness(t)
				var opts []func(*refund.Order)
				switch task {
				case "RequestStaffReview":
					opts = append(opts, disputed)
				case "MarkNeedsAttention":
					h.Pay.FailNext(1, sandbox.FaultDeclined) // the refusal ends in needs attention
				}
				h.Intercept(task, fault.icpt())
				o := h.newOrder(opts...)
				id, _ := h.submitRequest(o)
				h.Settle()
				if task == "RequestStaffReview" {
					h.WantStatus(id, refund.StatusInReview)
					if a := h.Review(id, handler.ReviewDecision{Decision: handler.ReviewApprove}); a.Status != http.StatusOK {
						t.Fatalf("approve: %d %s", a.Status, a.Body)
					}
					h.Settle()
				}
				h.WantStatus(id, refund.StatusAwaitingConsent)
				h.accept(id)
				h.Settle()
				want := refund.StatusCompleted
				if task == "MarkNeedsAttention" {
					want = refund.StatusNeedsAttention
				}
				h.WantStatus(id, want)
				if want == refund.StatusCompleted {
					h.wantOneEachEmail(id)
					h.OneProviderRefund(o)
				}
			})
		}
	}
}

// TestConsentAfterTheTimeout answers after the consent waits have timed out.
func TestConsentAfterTheTimeout(t *testing.T) {
	t.Parallel()
	t.Run("after the reminder: the first link still works", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		o := h.newOrder()
		id, _ := h.submitRequest(o)
		h.Settle()
		first := h.consentCode(id)
		h.Advance(7*24*time.Hour + time.Minute)
		if n := len(h.Mails(mail.KindReminder, id)); n != 1 {
			t.Fatalf("%d reminders after 7 days, want 1", n)
		}
		p := h.openConsent(first)
		if a := h.postAccept(first, p); a.Status != http.StatusSeeOther {
			t.Fatalf("accept through the first link after the reminder: %d", a.Status)
		}
		h.Settle()
		h.WantStatus(id, refund.StatusCompleted)
	})
	t.Run("after expiry: refused, nothing refunded", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		o := h.newOrder()
		id, _ := h.submitRequest(o)
		h.Settle()
		code := h.consentCode(id)
		h.Advance(14*24*time.Hour - 30*time.Minute) // settling moves the clock 12 minutes more
		p := h.openConsent(code)                    // opened in time, sent too late
		if p.Status != http.StatusOK {
			t.Fatalf("the consent page minutes before expiry answered %d", p.Status)
		}
		h.Advance(30 * time.Minute)
		h.WantStatus(id, refund.StatusExpired)
		if a := h.postAccept(code, p); a.Status != http.StatusGone {
			t.Errorf("a consent after expiry answered %d, want 410", a.Status)
		}
		h.Settle()
		h.WantStatus(id, refund.StatusExpired)
		if r := h.ProviderRefunds(o); len(r) != 0 {
			t.Errorf("an expired offer was refunded: %+v", r)
		}
	})
	t.Run("while the expiry runs: one of them wins", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		o := h.newOrder()
		id, _ := h.submitRequest(o)
		h.Settle()
		code := h.consentCode(id)
		var posted int
		h.Intercept("RequestConsent", func(ctx context.Context, in handler.TaskInput, next func() (handler.TaskOutput, error)) (handler.TaskOutput, error) {
			if in.Phase == handler.PhaseExpire && posted == 0 {
				// The client clicks as the offer expires.
				posted = h.postAccept(code, h.openConsent(code)).Status
			}
			return next()
		})
		h.Advance(14*24*time.Hour + time.Minute)
		if posted != http.StatusSeeOther {
			t.Fatalf("the last-moment consent answered %d", posted)
		}
		h.WantStatus(id, refund.StatusCompleted)
		h.OneProviderRefund(o)
	})
}

// TestSendTaskSuccessFails records decisions while Step Functions cannot be reached, from the HTTP
// functions and from the sweeper alike: the decision is stored with its resume marker and the client
// or staff member is answered; the sweep during the outage keeps the marker (and reports it), and the
// first sweep after Step Functions recovers delivers it, so the workflow goes on within minutes of
// virtual time instead of when its wait times out (7 days for consent, 14 for a review).
func TestSendTaskSuccessFails(t *testing.T) {
	t.Parallel()
	t.Run("consent", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		o := h.newOrder()
		id, _ := h.submitRequest(o)
		h.Settle()
		h.Flaky.FailSend.Store(100)
		decided := h.Clock.Now()
		statuses := h.accept(id)
		if statuses[0] != http.StatusSeeOther {
			t.Fatalf("accept answered %v, want 303: the decision is recorded even if the workflow cannot be told", statuses)
		}
		if h.Flaky.SendFailed.Load() == 0 {
			t.Fatal("SendTaskSuccess was not called")
		}
		h.wantSweepFails(id)
		h.WantStatus(id, refund.StatusExecuting) // parked on the consent wait
		if r := h.ProviderRefunds(o); len(r) != 0 {
			t.Fatalf("refunded before the workflow was told: %+v", r)
		}
		h.checkInvariants() // switches the outage off
		h.wantSweepResumes(1)
		h.Settle()
		h.WantStatus(id, refund.StatusCompleted)
		withinMinutes(t, "completed", decided, h.reachedAt(id, refund.StatusCompleted))
		h.wantPendingResume(id, false)
		if n := len(h.Mails(mail.KindReminder, id)); n != 0 {
			t.Errorf("a client who accepted got %d reminders", n)
		}
		h.OneProviderRefund(o)
	})
	t.Run("withdraw", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		o := h.newOrder()
		id, statusCode := h.submitRequest(o)
		h.Settle()
		h.Flaky.FailSend.Store(100)
		decided := h.Clock.Now()
		if a := h.Withdraw(id, statusCode); a.Status != http.StatusSeeOther {
			t.Fatalf("withdraw answered %d: %s", a.Status, a.Body)
		}
		h.wantSweepFails(id)
		h.WantStatus(id, refund.StatusWithdrawn)
		if n := len(h.Mails(mail.KindWithdrawn, id)); n != 0 {
			t.Errorf("%d withdrawn emails before the workflow was told", n)
		}
		h.Flaky.FailSend.Store(0)
		h.wantSweepResumes(1)
		h.Settle()
		withdrawn := h.Mails(mail.KindWithdrawn, id)
		if len(withdrawn) != 1 {
			t.Fatalf("%d withdrawn emails, want 1", len(withdrawn))
		}
		withinMinutes(t, "the withdrawn email went out", decided, withdrawn[0].SentAt)
		h.wantPendingResume(id, false)
	})
	t.Run("staff approval", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		o := h.newOrder(disputed)
		id, _ := h.submitRequest(o)
		h.Settle()
		h.WantStatus(id, refund.StatusInReview)
		h.Flaky.FailSend.Store(100)
		decided := h.Clock.Now()
		a := h.Review(id, handler.ReviewDecision{Decision: handler.ReviewApprove})
		var res handler.ReviewResult
		if err := json.Unmarshal([]byte(a.Body), &res); a.Status != http.StatusOK || err != nil || res.Delivered || res.Message == "" {
			t.Fatalf("approval while Step Functions fails answered %d %s, want 200: recorded, resumes within minutes", a.Status, a.Body)
		}
		h.wantSweepFails(id)
		h.WantStatus(id, refund.StatusInReview)
		h.Flaky.FailSend.Store(0)
		// Staff do nothing more: the sweeper delivers the approval.
		h.wantSweepResumes(1)
		h.Settle()
		h.WantStatus(id, refund.StatusAwaitingConsent)
		withinMinutes(t, "the offers went out", decided, h.reachedAt(id, refund.StatusAwaitingConsent))
		h.wantPendingResume(id, false)
		h.accept(id)
		h.Settle()
		h.WantStatus(id, refund.StatusCompleted)
	})
	t.Run("staff rejection", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		o := h.newOrder(disputed)
		id, _ := h.submitRequest(o)
		h.Settle()
		h.Flaky.FailSend.Store(100)
		decided := h.Clock.Now()
		if a := h.Review(id, handler.ReviewDecision{Decision: handler.ReviewReject, Message: "The project was delivered as agreed."}); a.Status != http.StatusOK {
			t.Fatalf("rejection while Step Functions fails answered %d %s", a.Status, a.Body)
		}
		h.wantSweepFails(id)
		h.Flaky.FailSend.Store(0)
		h.wantSweepResumes(1)
		h.Settle()
		h.WantStatus(id, refund.StatusReviewRejected)
		rejected := h.Mails(mail.KindReviewRejected, id)
		if len(rejected) != 1 {
			t.Fatalf("%d rejection emails, want 1 (outbox: %s)", len(rejected), h.OutboxSummary())
		}
		withinMinutes(t, "the rejection email went out", decided, rejected[0].SentAt)
		h.wantPendingResume(id, false)
	})
}
