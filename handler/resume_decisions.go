package handler

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/refund"
)

// ResumeDecisions is the scheduled sweeper (ResumeDecisionsFunction, every five minutes). It does two
// things no request may wait on for days:
//
// It delivers decisions that are recorded in DynamoDB but did not reach their workflow, because the
// SendTaskSuccess right after recording them failed (network, throttling, a Step Functions outage).
// Without it such a workflow would stay parked until its wait times out (7 days for consent, 14 for
// a staff review). Every recorded decision (a consent, a withdrawal, a staff approval or rejection)
// writes a resume marker in its own transaction (refund.ResumeMarker), and the HTTP handler clears
// it once its own SendTaskSuccess was accepted or the wait is gone. Each run lists the markers older
// than MinAge (so it does not race the handler that is still sending), reads each again with the
// request and its stored task token, completes the token with the marker's outcome and clears the
// marker; a marker whose send fails stays for the next run.
//
// And it starts the workflow of requests left submitted for longer than StartMinAge: SubmitRequest
// stores the request and then starts its execution, and if that start failed or the function died in
// between, and the client does not send the form again, nothing else would start it (while the
// request holds the order's one open-request lock). The start is exactly SubmitRequest's (execution
// name = request ID, input {"requestId"}), so it is harmless when the workflow runs: Step Functions
// returns the running execution for the same name and input (a request stays submitted while its
// execution verifies it and works out the offers, until RequestConsent or the review moves it on),
// and answers ExecutionAlreadyExists for one that ended, which counts as started.
//
// Running twice, or two runs at once, is safe: Step Functions accepts one SendTaskSuccess per
// token, and the second finds the token gone, which counts as delivered elsewhere; and one
// execution per request name. The outcome goes only to a token of the wait it belongs to (a consent
// outcome to a consent wait, a review outcome to a review wait) and only while the request's status
// still says that decision, so a stale marker never moves a workflow the wrong way.
type ResumeDecisions struct {
	// Store lists, reads and clears the markers, and lists the requests left submitted.
	Store ResumeDecisionsStore
	// Waits completes the parked waits.
	Waits WaitCompleter
	// Workflow starts the workflow of requests left submitted; nil leaves that part of the sweep out
	// (tests of the markers alone).
	Workflow WorkflowStarter
	// Clock decides which markers are old enough; nil means the wall clock.
	Clock Clock
	// Logger receives one line per run with counts only; nil discards.
	Logger *slog.Logger
	// MinAge leaves markers younger than this to the handler that wrote them; 0 means ResumeMinAge.
	MinAge time.Duration
	// PageSize is the number of markers listed per Query; 0 means 50.
	PageSize int
	// MaxPerRun bounds the markers one run handles; 0 means 500. The rest wait for the next run.
	MaxPerRun int
	// Reserve stops a run before the invocation's deadline (Lambda's timeout) is closer than this;
	// 0 means 5 seconds.
	Reserve time.Duration
	// StartMinAge leaves requests submitted less than this long ago to SubmitRequest and its client's
	// retry; 0 means StartMinAge.
	StartMinAge time.Duration
}

// ResumeDecisionsStore is the table as ResumeDecisions uses it.
type ResumeDecisionsStore interface {
	ResumeLister
	ResumeGetter
	DecisionDelivery
	SubmittedLister
}

// StartMinAge is how long a request stays submitted before the sweeper starts its workflow: one
// sweep interval, far longer than SubmitRequest takes to start it (well under a second) and than a
// client's retry after a 503 ("send it again in a minute"). Starting earlier would be harmless too,
// only useless.
const StartMinAge = 5 * time.Minute

// ResumeMinAge is how old a marker must be before the sweeper delivers it: the HTTP handler that
// recorded the decision sends it within its own request, well under a minute.
const ResumeMinAge = time.Minute

// ResumeGiveUp is how long a staff approval's marker stays pending while its request is in review
// but no review wait takes it (the wait's token is gone and no newer one was stored). The review
// wait's own retries take minutes at most; an approval older than this has no wait left to wake (the
// execution was stopped, say), so the sweeper stops trying.
const ResumeGiveUp = time.Hour

// ResumeReport is what one sweep did, in counts: the log and the answer never name a request, a
// token or a person.
type ResumeReport struct {
	// Listed is the number of markers looked at.
	Listed int `json:"listed"`
	// Resumed counts workflows that took their outcome in this run.
	Resumed int `json:"resumed"`
	// Settled counts markers cleared without a send being accepted: the wait had already ended
	// (token gone), no wait of the decision's kind was parked, the request had moved on, or the
	// marker was cleared or replaced meanwhile.
	Settled int `json:"settled"`
	// Kept counts staff approvals left pending because their review wait is between two attempts
	// (its token is gone, no newer one is stored yet): the next attempt takes them.
	Kept int `json:"kept"`
	// Failed counts markers left for the next run because a read, the send or the clear failed,
	// and submissions whose StartExecution failed.
	Failed int `json:"failed"`
	// More reports that the run stopped early (its deadline or MaxPerRun) with work left.
	More bool `json:"more"`
	// Submitted is the number of requests found submitted for longer than StartMinAge.
	Submitted int `json:"submitted"`
	// Started counts those whose StartExecution was accepted: their workflow had never started, or
	// runs (Step Functions returns the running execution).
	Started int `json:"started"`
	// Ended counts those whose execution had already ended (ExecutionAlreadyExists) and left the
	// request submitted: nothing will move them; the workflow's failure alarms tell a person.
	Ended int `json:"ended"`
}

// ResumeIncomplete is the error of a sweep that could not deliver every marker it looked at, so
// that the function's Errors alarm shows a Step Functions or DynamoDB outage that outlasts a run.
// The markers stay; the next run tries them again.
type ResumeIncomplete struct {
	// Report is what the run did.
	Report ResumeReport
	// First is the first failure, for the log.
	First error
}

// Error says how many markers are left.
func (e *ResumeIncomplete) Error() string {
	return fmt.Sprintf("%d of %d recorded decisions and stuck submissions could not be handled this run (first: %v); the next run tries again",
		e.Report.Failed, e.Report.Listed+e.Report.Submitted, e.First)
}

// Unwrap returns the first failure.
func (e *ResumeIncomplete) Unwrap() error { return e.First }

const fnResumeDecisions = "ResumeDecisions"

// Handle runs one sweep. The event (EventBridge's scheduled event) carries nothing the sweep needs.
func (h ResumeDecisions) Handle(ctx context.Context, _ events.EventBridgeEvent) (ResumeReport, error) {
	log := taskLogger(ctx, h.Logger, fnResumeDecisions, TaskInput{})
	rep, err := h.Sweep(ctx)
	attrs := []any{"listed", rep.Listed, "resumed", rep.Resumed, "settled", rep.Settled, "kept", rep.Kept, "failed", rep.Failed, "more", rep.More,
		"submitted", rep.Submitted, "started", rep.Started, "ended", rep.Ended}
	if err != nil {
		log.ErrorContext(ctx, "sweep incomplete", append(attrs, "error", err.Error())...)
		return rep, err
	}
	if rep.Ended > 0 {
		log.WarnContext(ctx, "requests left submitted by an execution that ended", attrs...)
		return rep, nil
	}
	log.InfoContext(ctx, "sweep done", attrs...)
	return rep, nil
}

// sweep is one run's bounds and tally.
type sweep struct {
	rep       ResumeReport
	first     error
	pageSize  int
	maxPerRun int
	reserve   time.Duration
	deadline  time.Time
	bounded   bool
}

// full reports whether the run must stop: its deadline is near, or it handled MaxPerRun items.
func (w *sweep) full() bool {
	if w.rep.Listed+w.rep.Submitted >= w.maxPerRun || w.bounded && time.Until(w.deadline) < w.reserve {
		w.rep.More = true
		return true
	}
	return false
}

// fail counts a failure, keeping the first.
func (w *sweep) fail(err error) {
	w.rep.Failed++
	if w.first == nil {
		w.first = err
	}
}

// Sweep delivers the pending markers older than MinAge, oldest first, then starts the workflow of
// the requests submitted longer than StartMinAge ago, within the run's bounds. The error is a
// *ResumeIncomplete when something is left after a failure, or a listing's error.
func (h ResumeDecisions) Sweep(ctx context.Context) (ResumeReport, error) {
	w := &sweep{pageSize: h.PageSize, maxPerRun: h.MaxPerRun, reserve: h.Reserve}
	if w.pageSize <= 0 {
		w.pageSize = 50
	}
	if w.maxPerRun <= 0 {
		w.maxPerRun = 500
	}
	if w.reserve <= 0 {
		w.reserve = 5 * time.Second
	}
	w.deadline, w.bounded = ctx.Deadline()
	if err := h.sweepMarkers(ctx, w); err != nil {
		return w.rep, err
	}
	if h.Workflow != nil && !w.rep.More {
		if err := h.sweepSubmitted(ctx, w); err != nil {
			return w.rep, err
		}
	}
	return w.rep, incomplete(w.rep, w.first)
}

// sweepMarkers delivers the pending markers older than MinAge, oldest first.
func (h ResumeDecisions) sweepMarkers(ctx context.Context, w *sweep) error {
	minAge := h.MinAge
	if minAge <= 0 {
		minAge = ResumeMinAge
	}
	before := h.Clock.now().Add(-minAge)
	cursor := ""
	for {
		markers, next, err := h.Store.PendingResumes(ctx, before, w.pageSize, cursor)
		if err != nil {
			return fmt.Errorf("sweep recorded decisions: %w", err)
		}
		for _, m := range markers {
			if w.full() {
				return nil
			}
			w.rep.Listed++
			done, err := h.resume(ctx, m)
			switch {
			case err != nil:
				w.fail(err)
			case done == delivered:
				w.rep.Resumed++
			case done == kept:
				w.rep.Kept++
			default:
				w.rep.Settled++
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

// sweepSubmitted starts the workflow of the requests submitted longer than StartMinAge ago, the
// longest-waiting first.
func (h ResumeDecisions) sweepSubmitted(ctx context.Context, w *sweep) error {
	minAge := h.StartMinAge
	if minAge <= 0 {
		minAge = StartMinAge
	}
	before := h.Clock.now().Add(-minAge)
	cursor := ""
	for {
		ids, next, err := h.Store.SubmittedBefore(ctx, before, w.pageSize, cursor)
		if err != nil {
			return fmt.Errorf("sweep submitted requests: %w", err)
		}
		for _, id := range ids {
			if w.full() {
				return nil
			}
			w.rep.Submitted++
			existed, err := h.Workflow.Start(ctx, refund.WorkflowInput{RequestID: id})
			switch {
			case err != nil:
				w.fail(err)
			case existed:
				w.rep.Ended++
			default:
				w.rep.Started++
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

// incomplete returns the run's error: nil when nothing failed.
func incomplete(rep ResumeReport, first error) error {
	if rep.Failed == 0 {
		return nil
	}
	return &ResumeIncomplete{Report: rep, First: first}
}

// resume delivers one listed marker: it reads the marker again (the index is eventually
// consistent, and a newer decision may have replaced it), then the request with its token, and
// completes the token with the marker's outcome when the request still records that decision.
func (h ResumeDecisions) resume(ctx context.Context, listed refund.ResumeMarker) (delivery, error) {
	m, pending, err := h.Store.GetResume(ctx, listed.RequestID)
	if err != nil || !pending {
		return settled, err
	}
	req, tok, err := h.Store.GetRequestAndToken(ctx, m.RequestID)
	if refund.ErrorCode(err) == refund.CodeNotFound {
		_, err = h.Store.ClearResume(ctx, m.RequestID, m.Outcome)
		return settled, err
	}
	if err != nil {
		return settled, err
	}
	if !recordsOutcome(req.Status, m.Outcome) {
		// The request moved on (the workflow took the decision and went further): nothing to wake.
		_, err = h.Store.ClearResume(ctx, m.RequestID, m.Outcome)
		return settled, err
	}
	giveUp := h.Clock.now().Sub(m.RecordedAt) > ResumeGiveUp
	return deliverDecision(ctx, h.Store, h.Waits, h.Logger, m.RequestID, m.Outcome, tok, giveUp)
}

// recordsOutcome reports whether a request's status still says the decision outcome: a staff
// approval leaves the request in review until the workflow moves it on, a staff action on a request
// that needed attention is the status it moved to (actedOutcome), every other decision is a status
// of its own.
func recordsOutcome(s refund.Status, outcome string) bool {
	switch outcome {
	case OutcomeApproved:
		return s == refund.StatusInReview
	case OutcomeRetry, OutcomeSettled, OutcomeClosed:
		got, ok := actedOutcome(s)
		return ok && got == outcome
	}
	got, ok := decidedOutcome(s)
	return ok && got == outcome
}
