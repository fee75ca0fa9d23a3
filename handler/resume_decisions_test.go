package handler_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"refundflow/handler"
	"refundflow/refund"
)

// sweeper is the ResumeDecisions function of the fixture, its clock an hour after the fixture's
// store clock, so every marker the test wrote is old enough.
func (f *httpFixture) sweeper() handler.ResumeDecisions {
	return handler.ResumeDecisions{Store: f.store, Waits: f.flow, Workflow: f.flow, Clock: func() time.Time { return httpT0.Add(time.Hour) }}
}

// sweep runs one sweep, expects it to deliver `resumed` decisions without a failure, and lets the
// engine run what they woke.
func (f *httpFixture) sweep(t testing.TB, resumed int) handler.ResumeReport {
	t.Helper()
	rep, err := f.sweeper().Handle(context.Background(), events.EventBridgeEvent{DetailType: "Scheduled Event"})
	if err != nil {
		t.Fatalf("sweep: %v (%+v)", err, rep)
	}
	if rep.Resumed != resumed {
		t.Fatalf("sweep resumed %d, want %d (%+v)", rep.Resumed, resumed, rep)
	}
	f.idle()
	return rep
}

// wantMarker checks whether the request's resume marker is pending, and with which outcome.
func (f *httpFixture) wantMarker(t testing.TB, id string, pending bool, outcome string) {
	t.Helper()
	m, got, err := f.store.GetResume(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got != pending || pending && m.Outcome != outcome {
		t.Errorf("resume marker of %s: %+v pending %v, want pending %v with %q", id, m, got, pending, outcome)
	}
}

// TestSweeperDeliversWhatTheHandlersCouldNot records each kind of decision while SendTaskSuccess
// fails: each is recorded with a pending marker and its workflow stays parked, until one sweep
// delivers all of them and clears the markers; the next sweep finds nothing.
func TestSweeperDeliversWhatTheHandlersCouldNot(t *testing.T) {
	f := newHTTPFixture(t)

	consent := f.seed(refund.StatusAwaitingConsent, true)
	page := f.openConsent(consent.consentCode)
	f.sfn.failSends = 1
	wantStatus(t, mustCall(t, f.consentHandler(), consentAccept(t, consent.consentCode, choices(t, page)[0], "Ana López")), http.StatusSeeOther)

	withdrawn := f.seed(refund.StatusInReview, true)
	f.sfn.failSends = 1
	wantStatus(t, mustCall(t, f.statusHandler(), withdrawEvent(t, withdrawn.id, withdrawn.statusCode)), http.StatusSeeOther)

	approved := f.seed(refund.StatusInReview, true)
	f.sfn.failSends = 1
	wantStatus(t, mustCall(t, f.staffHandler(), reviewEvent(t, approved.id, map[string]any{"decision": "approve"})), http.StatusOK)

	rejected := f.seed(refund.StatusInReview, true)
	f.sfn.failSends = 1
	resp := mustCall(t, f.staffHandler(), reviewEvent(t, rejected.id, map[string]any{"decision": "reject", "message": "Delivered as agreed."}))
	wantStatus(t, resp, http.StatusOK)
	var res handler.ReviewResult
	decodeJSON(t, resp, &res)
	if res.Delivered || res.Request.Status != refund.StatusReviewRejected || res.Message == "" {
		t.Errorf("rejection answer %+v", res)
	}

	want := map[string]string{consent.id: "accepted", withdrawn.id: "withdrawn", approved.id: "approved", rejected.id: "rejected"}
	for id, outcome := range want {
		f.wantMarker(t, id, true, outcome)
		if got := f.outcome(id); got != "" {
			t.Errorf("%s took %q before any sweep", outcome, got)
		}
	}

	// Too young: a sweep within a minute of the decisions leaves them to the handlers.
	young := handler.ResumeDecisions{Store: f.store, Waits: f.flow, Clock: func() time.Time { return httpT0.Add(30 * time.Second) }}
	if rep, err := young.Sweep(context.Background()); err != nil || rep.Listed != 0 {
		t.Errorf("sweep 30 s after the decisions: %+v, %v; want nothing listed", rep, err)
	}

	rep := f.sweep(t, 4)
	if rep.Listed != 4 || rep.Settled != 0 || rep.Failed != 0 || rep.More {
		t.Errorf("report %+v", rep)
	}
	for id, outcome := range want {
		if got := f.outcome(id); got != outcome {
			t.Errorf("workflow of the %s request took %q", outcome, got)
		}
		f.wantMarker(t, id, false, "")
	}
	if rep := f.sweep(t, 0); rep.Listed != 0 {
		t.Errorf("second sweep %+v, want nothing left", rep)
	}
}

// TestHandlersClearTheirMarker: a decision whose own SendTaskSuccess succeeds leaves nothing for the
// sweeper, and neither does one whose workflow is not parked.
func TestHandlersClearTheirMarker(t *testing.T) {
	f := newHTTPFixture(t)
	consent := f.seed(refund.StatusAwaitingConsent, true)
	page := f.openConsent(consent.consentCode)
	wantStatus(t, mustCall(t, f.consentHandler(), consentAccept(t, consent.consentCode, choices(t, page)[0], "Ana López")), http.StatusSeeOther)
	notParked := f.seed(refund.StatusInReview, false)
	wantStatus(t, mustCall(t, f.statusHandler(), withdrawEvent(t, notParked.id, notParked.statusCode)), http.StatusSeeOther)

	f.wantMarker(t, consent.id, false, "")
	f.wantMarker(t, notParked.id, false, "")
	if got := f.outcome(consent.id); got != "accepted" {
		t.Errorf("outcome %q", got)
	}
	if rep := f.sweep(t, 0); rep.Listed != 0 {
		t.Errorf("sweep %+v, want nothing listed", rep)
	}
}

// TestSweeperLeavesFailuresForTheNextRun: while Step Functions stays unreachable the marker stays,
// the run reports the failure as a *ResumeIncomplete (the function's Errors alarm), and a later run
// delivers it.
func TestSweeperLeavesFailuresForTheNextRun(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusInReview, true)
	f.sfn.failSends = 3 // the handler's send and two sweeps
	wantStatus(t, mustCall(t, f.staffHandler(), reviewEvent(t, s.id, map[string]any{"decision": "approve"})), http.StatusOK)
	for range 2 {
		rep, err := f.sweeper().Handle(context.Background(), events.EventBridgeEvent{})
		var inc *handler.ResumeIncomplete
		if !errors.As(err, &inc) || rep.Failed != 1 || rep.Resumed != 0 || inc.Report != rep {
			t.Fatalf("sweep while Step Functions fails: %+v, %v", rep, err)
		}
		if strings.Contains(err.Error(), s.id) {
			t.Errorf("the error names the request: %v", err)
		}
		f.wantMarker(t, s.id, true, "approved")
	}
	f.sweep(t, 1)
	if got := f.outcome(s.id); got != "approved" {
		t.Errorf("outcome %q", got)
	}
}

// TestSweeperSettlesStaleMarkers: markers whose wait is gone, whose request moved on, or whose
// request has no wait of the decision's kind are cleared without waking anything.
func TestSweeperSettlesStaleMarkers(t *testing.T) {
	f := newHTTPFixture(t)
	ctx := context.Background()

	// The consent wait already took the decision (the handler's send went through, its clear did
	// not): the token is used, so the send answers TaskTimedOut.
	gone := f.seed(refund.StatusAwaitingConsent, true)
	page := f.openConsent(gone.consentCode)
	wantStatus(t, mustCall(t, f.consentHandler(), consentAccept(t, gone.consentCode, choices(t, page)[0], "Ana López")), http.StatusSeeOther)
	rec := f.request(gone.id)
	noErr(t, f.store.Transition(ctx, gone.id, refund.StatusExecuting, refund.StatusNeedsAttention, rec.Version,
		refund.AuditEntry{Actor: refund.SystemActor("test")}))
	noErr(t, f.store.Transition(ctx, gone.id, refund.StatusNeedsAttention, refund.StatusExecuting, rec.Version+1,
		refund.AuditEntry{Actor: refund.SystemActor("test")}, refund.WithResume(handler.OutcomeAccepted)))

	// An approval marker on a request the workflow already moved to awaiting consent.
	moved := f.seed(refund.StatusInReview, true)
	rec = f.request(moved.id)
	noErr(t, f.store.Decide(ctx, moved.id, refund.StatusInReview, rec.Version, refund.AuditEntry{Actor: refund.StaffActor("s"), Action: "review_approved"},
		refund.WithResume(handler.OutcomeApproved)))
	rec = f.request(moved.id)
	noErr(t, f.store.Transition(ctx, moved.id, refund.StatusInReview, refund.StatusAwaitingConsent, rec.Version, refund.AuditEntry{Actor: refund.SystemActor("test")}))

	// A withdrawal while nothing is parked (no token at all).
	idle := f.seed(refund.StatusSubmitted, false)
	noErr(t, f.store.Transition(ctx, idle.id, refund.StatusSubmitted, refund.StatusWithdrawn, 1, refund.AuditEntry{Actor: refund.ActorClient},
		refund.WithResume(handler.OutcomeWithdrawn)))

	sendsBefore := len(f.sfn.sent())
	rep := f.sweep(t, 0)
	if rep.Listed != 3 || rep.Settled != 3 {
		t.Errorf("report %+v, want 3 listed and settled", rep)
	}
	if n := len(f.sfn.sent()) - sendsBefore; n != 0 {
		t.Errorf("%d sends accepted for stale markers", n)
	}
	if got := f.outcome(moved.id); got != "" {
		t.Errorf("a stale approval moved the workflow: %q", got)
	}
	for _, id := range []string{gone.id, moved.id, idle.id} {
		f.wantMarker(t, id, false, "")
	}
}

// TestSweepsRacingTheHandler: the consent handler's own send and two sweeps running at the same
// time (MinAge zero, so the sweeps see the marker at once) deliver the decision exactly once.
func TestSweepsRacingTheHandler(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusAwaitingConsent, true)
	page := f.openConsent(s.consentCode)
	choice := choices(t, page)[0]
	sweeper := handler.ResumeDecisions{Store: f.store, Waits: f.flow, MinAge: time.Nanosecond,
		Clock: func() time.Time { return httpT0.Add(time.Hour) }}

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	stop := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if _, err := sweeper.Sweep(context.Background()); err != nil {
					errs <- err
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
	}
	resp := mustCall(t, f.consentHandler(), consentAccept(t, s.consentCode, choice, "Ana López"))
	for i := 0; i < 3; i++ { // a few more rounds after the decision
		if _, err := sweeper.Sweep(context.Background()); err != nil {
			errs <- err
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("sweep: %v", err)
	}
	wantStatus(t, resp, http.StatusSeeOther)
	if got := f.outcome(s.id); got != "accepted" {
		t.Errorf("outcome %q", got)
	}
	accepted := 0
	for _, out := range f.sfn.sent() {
		if strings.Contains(out, `"accepted"`) {
			accepted++
		}
	}
	if accepted != 1 {
		t.Errorf("%d accepted sends went through, want exactly 1", accepted)
	}
	f.wantMarker(t, s.id, false, "")
}

// noErr fails the test on an error.
func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkSweepIdle is what the sweeper does on almost every run: one Query of an empty RESUME
// partition and one of the submitted requests older than StartMinAge, none (the fixed cost in
// BENCHMARKS.md assumes an idle run stays well under 50 ms in Lambda).
func BenchmarkSweepIdle(b *testing.B) {
	f := newHTTPFixture(b)
	sw := f.sweeper()
	ctx := context.Background()
	for b.Loop() {
		if rep, err := sw.Sweep(ctx); err != nil || rep.Listed != 0 || rep.Submitted != 0 {
			b.Fatalf("%+v, %v", rep, err)
		}
	}
}

// BenchmarkSweepDeliver is a sweep that delivers one recorded decision (a withdrawal of a parked
// request): the listing, three reads, SendTaskSuccess to the local engine and the clear.
func BenchmarkSweepDeliver(b *testing.B) {
	f := newHTTPFixture(b)
	sw := f.sweeper()
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		s := f.seed(refund.StatusInReview, true)
		if err := f.store.Transition(ctx, s.id, refund.StatusInReview, refund.StatusWithdrawn, 2, refund.AuditEntry{Actor: refund.ActorClient},
			refund.WithResume(handler.OutcomeWithdrawn)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if rep, err := sw.Sweep(ctx); err != nil || rep.Resumed != 1 {
			b.Fatalf("%+v, %v", rep, err)
		}
	}
}

// TestSweeperStartsStuckSubmissions: a request left submitted without a workflow gets its execution,
// with exactly SubmitRequest's name and input; one whose execution ended is counted, not restarted;
// a failed start is left for the next run and fails the run (the Errors alarm).
func TestSweeperStartsStuckSubmissions(t *testing.T) {
	t.Run("never started", func(t *testing.T) {
		f := newHTTPFixture(t)
		s := f.seed(refund.StatusSubmitted, false)
		rep := f.sweep(t, 0)
		if rep.Submitted != 1 || rep.Started != 1 || rep.Ended != 0 {
			t.Fatalf("report %+v, want one started", rep)
		}
		if x := f.execution(s.id); x == nil || x.Status != "RUNNING" {
			t.Fatalf("execution of %s = %+v, want it running", s.id, x)
		}
		f.sfn.mu.Lock()
		starts := append([]string(nil), f.sfn.starts...)
		f.sfn.mu.Unlock()
		if want := s.id + ` {"requestId":"` + s.id + `"}`; len(starts) != 1 || starts[0] != want {
			t.Errorf("starts = %q, want %q (SubmitRequest's name and input)", starts, want)
		}
		// Again while it runs: Step Functions returns the running execution; nothing new.
		if rep := f.sweep(t, 0); rep.Started != 1 {
			t.Errorf("second sweep %+v", rep)
		}
		if x := f.execution(s.id); x == nil || x.Status != "RUNNING" {
			t.Errorf("execution after the second sweep = %+v", x)
		}
	})
	t.Run("execution ended", func(t *testing.T) {
		f := newHTTPFixture(t)
		s := f.seed(refund.StatusSubmitted, true)
		if _, err := f.client.StopExecution(context.Background(), &sfn.StopExecutionInput{
			ExecutionArn: aws.String(strings.Replace(f.machine, ":stateMachine:", ":execution:", 1) + ":" + s.id)}); err != nil {
			t.Fatal(err)
		}
		if rep := f.sweep(t, 0); rep.Submitted != 1 || rep.Ended != 1 || rep.Started != 0 {
			t.Errorf("report %+v, want the ended execution counted", rep)
		}
	})
	t.Run("start fails", func(t *testing.T) {
		f := newHTTPFixture(t)
		s := f.seed(refund.StatusSubmitted, false)
		f.sfn.failStarts = 1
		rep, err := f.sweeper().Sweep(context.Background())
		var inc *handler.ResumeIncomplete
		if !errors.As(err, &inc) || rep.Failed != 1 || rep.Started != 0 {
			t.Fatalf("sweep with Step Functions down: %+v, %v; want the failure reported", rep, err)
		}
		if rep := f.sweep(t, 0); rep.Started != 1 {
			t.Errorf("next sweep %+v, want it started", rep)
		}
		if f.execution(s.id) == nil {
			t.Error("no execution after the next sweep")
		}
	})
	t.Run("young submissions are left alone", func(t *testing.T) {
		f := newHTTPFixture(t)
		f.seed(refund.StatusSubmitted, false)
		sw := f.sweeper()
		sw.Clock = func() time.Time { return httpT0 } // the seed is an hour old by its own clock
		sw.StartMinAge = 2 * time.Hour
		if rep, err := sw.Sweep(context.Background()); err != nil || rep.Submitted != 0 {
			t.Errorf("report %+v, %v; want nothing looked at", rep, err)
		}
	})
}

// TestSweeperKeepsAnApprovalForTheNextReviewWait: an approval whose review wait's token is gone while
// the request is still in review (the wait is between two attempts) stays pending for the wait that
// parks next; the sweeper gives it up only after ResumeGiveUp.
func TestSweeperKeepsAnApprovalForTheNextReviewWait(t *testing.T) {
	f := newHTTPFixture(t)
	ctx := context.Background()
	s := f.seed(refund.StatusInReview, true)
	tok, err := f.store.GetTaskToken(ctx, s.id)
	noErr(t, err)
	// The wait's attempt ends (its answer lost) without taking a decision: its token is gone.
	_, err = f.client.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(tok.Token), Error: aws.String("Lambda.ServiceException")})
	noErr(t, err)
	f.idle()
	rec := f.request(s.id)
	noErr(t, f.store.Decide(ctx, s.id, refund.StatusInReview, rec.Version, refund.AuditEntry{Actor: refund.StaffActor("s"), Action: "review_approved"},
		refund.WithResume(handler.OutcomeApproved)))

	rep := f.sweep(t, 0)
	if rep.Kept != 1 || rep.Settled != 0 {
		t.Fatalf("report %+v, want the approval kept", rep)
	}
	f.wantMarker(t, s.id, true, handler.OutcomeApproved)

	late := f.sweeper()
	late.Clock = func() time.Time { return httpT0.Add(handler.ResumeGiveUp + time.Hour) }
	if rep, err := late.Sweep(ctx); err != nil || rep.Settled != 1 {
		t.Fatalf("sweep after ResumeGiveUp: %+v, %v; want the approval given up", rep, err)
	}
	f.wantMarker(t, s.id, false, "")
}
