package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"refundflow/refund"
)

// TaskInput is what the state machine passes to every task (statemachine/refund.asl.json): IDs and
// small words only, never personal data.
type TaskInput struct {
	// RequestID is the refund request the execution is about (the execution's name).
	RequestID string `json:"requestId"`
	// ExecutionArn is the execution's ARN ($$.Execution.Id), for logs.
	ExecutionArn string `json:"executionArn,omitempty"`
	// TaskToken is the Step Functions task token of a .waitForTaskToken task ($$.Task.Token). It is
	// stored in DynamoDB and never logged or sent to a client.
	TaskToken string `json:"taskToken,omitempty"`
	// Phase is RequestConsent's phase (PhaseOffer, PhaseRemind or PhaseExpire), or MarkNeedsAttention's
	// PhaseStaff: park the request for a staff action.
	Phase string `json:"phase,omitempty"`
	// Event is Notify's event: EventReceived or EventOutcome.
	Event string `json:"event,omitempty"`
	// Error is the name of the error MarkNeedsAttention was called for ($.error.Error).
	Error string `json:"error,omitempty"`
}

// TaskOutput is what every task returns, and what a decision completes a parked wait with; the
// Choice states after the waits (AfterReview, Decision) route on Outcome. VerifyConditions and
// ProposeResolution return it only for the outcome their Next goes on with, and route the others by
// error: RequestClosed and StaffReviewNeeded.
type TaskOutput struct {
	Outcome string `json:"outcome"`
}

// RequestClosed is how VerifyConditions and ProposeResolution end for a request that has reached a
// final status (rejected by the verification; withdrawn, or closed otherwise, before its offers went
// out). It is a route, not a failure: the state machine catches its name, "RequestClosed" (the
// errorType aws-lambda-go reports for it), and goes straight to NotifyOutcome. A Choice state on the
// task's outcome would route the same way for one more billable state transition on every path, the
// happy path included (issue 16). The handlers log it as an outcome (level INFO, routed=true), never
// at level ERROR. Lambda counts it in the function's Errors metric like any error a function returns;
// TaskFunctionErrorsAlarm leaves it out again (template.yaml counts the routed=true lines).
type RequestClosed struct {
	// RequestID is the request.
	RequestID string
	// Outcome is the status the request closed with: "rejected", "withdrawn", ...
	Outcome string
}

// Error says what the route is about; it becomes the failure's cause in the execution history, so
// it names only the request and its status.
func (e *RequestClosed) Error() string {
	return fmt.Sprintf("request %s is %s: on to the outcome email", e.RequestID, e.Outcome)
}

// StaffReviewNeeded is how ProposeResolution ends for a request whose offers staff must review
// before the client sees them (the request moved to in_review). Like RequestClosed it is a route:
// the state machine catches "StaffReviewNeeded" and goes on to NotifyReceived and the review wait.
type StaffReviewNeeded struct {
	// RequestID is the request.
	RequestID string
}

// Error says what the route is about (the failure's cause in the execution history).
func (e *StaffReviewNeeded) Error() string {
	return fmt.Sprintf("request %s is in review: on to staff", e.RequestID)
}

// RequestNeedsAttention is how VerifyConditions ends for a request that already needs attention when
// its execution starts: a completed request whose refund failed later at the provider, reopened by
// StripeWebhook, which starts a new execution for it (refund.WorkflowInput's Reopened), since the one
// that completed it has ended. Like RequestClosed it is a route: the state machine catches
// "RequestNeedsAttention" and goes on to MarkNeedsAttention (which leaves the status as it is), the
// staff and client emails and the staff-action wait, so the request has the same ways out as any other
// that needs attention, and its money moves again only by a staff retry, in this one execution.
type RequestNeedsAttention struct {
	// RequestID is the request.
	RequestID string
}

// Error says what the route is about (the failure's cause in the execution history).
func (e *RequestNeedsAttention) Error() string {
	return fmt.Sprintf("request %s needs attention: on to the staff-action wait", e.RequestID)
}

// route returns a task's outcome as the state machine takes it: next, the outcome the task's Next
// goes on with, as the task's result; OutcomeReview as *StaffReviewNeeded; OutcomeNeedsAttention as
// *RequestNeedsAttention; any other outcome (a final
// status) as *RequestClosed. It logs the outcome with msg, at level INFO, and routed=true when it
// returns a routing error: template.yaml counts those lines and TaskFunctionErrorsAlarm subtracts
// them from the functions' Errors.
func route(ctx context.Context, log *slog.Logger, msg, id string, out TaskOutput, next string) (TaskOutput, error) {
	var err error
	switch out.Outcome {
	case next:
	case OutcomeReview:
		err = &StaffReviewNeeded{RequestID: id}
	case OutcomeNeedsAttention:
		err = &RequestNeedsAttention{RequestID: id}
	default:
		err = &RequestClosed{RequestID: id, Outcome: out.Outcome}
	}
	log.InfoContext(ctx, msg, "outcome", out.Outcome, "routed", err != nil)
	if err != nil {
		return TaskOutput{}, err
	}
	return out, nil
}

// RoutedOutcome returns the outcome a routing error stands for (the closed request's status, or
// OutcomeReview); ok is false for any other error, a failure.
func RoutedOutcome(err error) (outcome string, ok bool) {
	var closed *RequestClosed
	var review *StaffReviewNeeded
	var attention *RequestNeedsAttention
	switch {
	case errors.As(err, &closed):
		return closed.Outcome, true
	case errors.As(err, &review):
		return OutcomeReview, true
	case errors.As(err, &attention):
		return OutcomeNeedsAttention, true
	}
	return "", false
}

// The RequestConsent phases.
const (
	PhaseOffer  = "offer"
	PhaseRemind = "remind"
	PhaseExpire = "expire"
	// PhaseStaff is MarkNeedsAttention's wait for a staff action (AwaitStaffAction).
	PhaseStaff = "staff"
)

// The Notify events.
const (
	EventReceived = "received"
	EventOutcome  = "outcome"
)

// The outcomes the state machine routes on (statemachine/refund.asl.json). Terminal statuses are
// reported by their status name (rejected, withdrawn, expired, declined, ...). A client's decision
// completes the consent wait with refund.Decision's Outcome, which is OutcomeAccepted or
// OutcomeDeclined.
const (
	OutcomeVerified       = "verified"
	OutcomeConsent        = "consent"
	OutcomeReview         = "review"
	OutcomeApproved       = "approved"
	OutcomeRejected       = "rejected"
	OutcomeAccepted       = "accepted"
	OutcomeDeclined       = "declined"
	OutcomeWithdrawn      = "withdrawn"
	OutcomeExpired        = "expired"
	OutcomeCompleted      = "completed"
	OutcomeNeedsAttention = "needs_attention"
	// OutcomeRetry, OutcomeSettled and OutcomeClosed complete the staff-action wait of a request that
	// needs attention (AfterStaffAction): a retry runs the execution again; the others go to the
	// outcome email.
	OutcomeRetry   = "retry"
	OutcomeSettled = "settled"
	OutcomeClosed  = "closed"
	// OutcomeWaiting is returned by a .waitForTaskToken task after it parked; Step Functions ignores
	// it and waits for the token.
	OutcomeWaiting = "waiting"
	// OutcomeSkipped is Notify's answer when no email was due.
	OutcomeSkipped = "skipped"
)

// WorkflowStarter starts a request's workflow execution. sfnworkflow.Client implements it on Step
// Functions.
type WorkflowStarter interface {
	// Start starts the execution of in's request, named after it, with in as its only input. existed
	// reports, without an error, that an execution of that name ran and ended already; starting one
	// that runs returns it.
	Start(ctx context.Context, in refund.WorkflowInput) (existed bool, err error)
}

// WaitCompleter completes a workflow wait parked on a task token. sfnworkflow.Client implements it on
// Step Functions.
type WaitCompleter interface {
	// Complete completes the wait of token with output (encoded as JSON). taken is false, without an
	// error, when the token no longer waits (its task timed out, was completed already, or its
	// execution ended) or is "".
	Complete(ctx context.Context, token string, output any) (taken bool, err error)
}

// completeWait completes a parked wait with {"outcome": outcome}. The HTTP handlers (consent,
// withdraw, staff review) and the workflow's own late-decision paths use it, so they send the same
// document. A token that no longer waits is ok=false and no error: the decision is recorded in the
// table and the workflow's next phase picks it up. Any other error leaves the decision's resume
// marker pending, and ResumeDecisions sends it again.
func completeWait(ctx context.Context, w WaitCompleter, token, outcome string) (ok bool, err error) {
	return w.Complete(ctx, token, TaskOutput{Outcome: outcome})
}

// decidedOutcome returns the outcome a parked consent wait should end with, for a request whose
// status already records a decision; ok is false while the request is still undecided (submitted,
// awaiting consent). A request in review while its consent wait runs was taken back to staff review
// by a dispute at the payment provider (StripeWebhook): that wait ends with "review".
func decidedOutcome(s refund.Status) (string, bool) {
	switch s {
	case refund.StatusExecuting, refund.StatusCompleted:
		return OutcomeAccepted, true
	case refund.StatusReviewRejected:
		return OutcomeRejected, true
	case refund.StatusInReview:
		return OutcomeReview, true
	case refund.StatusSubmitted, refund.StatusAwaitingConsent:
		return "", false
	}
	return string(s), true // declined, withdrawn, expired, rejected, needs_attention
}

// approvedInReview reports whether staff decided a request in review since it entered review (an
// approval or an adjustment moves the version without moving the status), so its offers may go to the
// client. A request a dispute took back to review, or one that just entered review, was not. Requests
// stored before StatusVersion existed (0) count as decided, as they always did.
func approvedInReview(req refund.RequestRecord) bool {
	return req.Status == refund.StatusInReview && (req.StatusVersion == 0 || req.Version > req.StatusVersion)
}

// taskLogger returns the logger for one task invocation: every line carries the function, the Lambda
// request id, the refund request id and the execution ARN when known. Never add personal data, link
// codes or task tokens to it.
func taskLogger(ctx context.Context, base *slog.Logger, function string, in TaskInput) *slog.Logger {
	attrs := []any{"task", function, "requestId", in.RequestID}
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		attrs = append(attrs, "awsRequestId", lc.AwsRequestID)
	}
	if in.ExecutionArn != "" {
		attrs = append(attrs, "executionArn", in.ExecutionArn)
	}
	return logger(base).With(attrs...)
}

// system returns the audit actor of a workflow function.
func system(function string) string { return refund.SystemActor(function) }

// waitFor returns the kind of wait an outcome completes, or "" when it completes either (a
// withdrawal ends a review wait or a consent wait). "review" ends a consent wait only: a dispute
// takes a request waiting for consent back to staff review.
func waitFor(outcome string) refund.TokenKind {
	switch outcome {
	case OutcomeAccepted, OutcomeDeclined, OutcomeReview:
		return refund.TokenConsent
	case OutcomeApproved, OutcomeRejected:
		return refund.TokenReview
	case OutcomeRetry, OutcomeSettled, OutcomeClosed:
		return refund.TokenAttention
	}
	return ""
}

// maxTokenRereads bounds how often deliverDecision follows a newer token after the one it sent to
// no longer waited: each retry of a wait stores a fresh token, and a wait is retried a few times at
// most.
const maxTokenRereads = 3

// delivery is what deliverDecision did with a recorded decision.
type delivery int

const (
	// settled: no send was accepted, and the marker was cleared because nothing is left to deliver.
	settled delivery = iota
	// delivered: the parked wait took the outcome; the marker was cleared.
	delivered
	// kept: a staff approval whose wait is between two attempts; the marker stays pending for the
	// review wait that parks next (or a later sweep).
	kept
)

// deliverDecision completes the request's parked wait with outcome and settles the request's resume
// marker for outcome. tok is the token the caller read. When that token no longer waits, the stored
// token is read again, and if a newer wait of the outcome's kind parked meanwhile (a retried
// RequestStaffReview or RequestConsent stores a fresh token) the outcome goes to it.
//
// The marker is cleared once nothing is left to deliver: the send was accepted, or no wait of the
// outcome's kind is parked now and the request's status records the decision, so the step that
// parks next reads it from the status. A staff approval is not a status, though: while the request
// is still in review and no newer wait has taken it, its marker stays pending, for the review wait
// that parks next (RequestStaffReview takes a pending approval) or the sweeper, and is never cleared
// because an old token is gone. Only giveUp (the sweeper, for a marker far older than any retry of
// the wait) clears it then. A failed send or read returns the error and leaves the marker, which the
// sweeper delivers later. A failure to clear is only logged: the sweeper then settles it.
func deliverDecision(ctx context.Context, store DecisionDelivery, w WaitCompleter, log *slog.Logger, id, outcome string, tok refund.TaskToken, giveUp bool) (delivery, error) {
	done := settled
	for range maxTokenRereads {
		if tok.Token == "" || waitFor(outcome) != "" && waitFor(outcome) != tok.Kind {
			break // nothing of the outcome's kind is parked
		}
		ok, err := completeWait(ctx, w, tok.Token, outcome)
		if err != nil {
			return settled, err
		}
		if ok {
			done = delivered
			break
		}
		req, cur, err := store.GetRequestAndToken(ctx, id)
		if err != nil {
			return settled, fmt.Errorf("read the task token of request %s again: %w", id, err)
		}
		if cur.Token == tok.Token {
			if outcome == OutcomeApproved && req.Status == refund.StatusInReview && !giveUp {
				return kept, nil // the next review wait takes it
			}
			break
		}
		tok = cur
	}
	if _, err := store.ClearResume(ctx, id, outcome); err != nil {
		logger(log).WarnContext(ctx, "clear resume marker", "requestId", id, "outcome", outcome, "error", err.Error())
	}
	return done, nil
}
