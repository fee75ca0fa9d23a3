package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"refundflow/dynamo"
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
	// Phase is RequestConsent's phase: PhaseOffer, PhaseRemind or PhaseExpire.
	Phase string `json:"phase,omitempty"`
	// Event is Notify's event: EventReceived or EventOutcome.
	Event string `json:"event,omitempty"`
	// Error is the name of the error MarkNeedsAttention was called for ($.error.Error).
	Error string `json:"error,omitempty"`
}

// TaskOutput is what every task returns; the state machine's Choice states route on Outcome.
type TaskOutput struct {
	Outcome string `json:"outcome"`
}

// The RequestConsent phases.
const (
	PhaseOffer  = "offer"
	PhaseRemind = "remind"
	PhaseExpire = "expire"
)

// The Notify events.
const (
	EventReceived = "received"
	EventOutcome  = "outcome"
)

// The outcomes the state machine routes on (statemachine/refund.asl.json). Terminal statuses are
// reported by their status name (rejected, withdrawn, expired, declined, ...).
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
	// OutcomeWaiting is returned by a .waitForTaskToken task after it parked; Step Functions ignores
	// it and waits for the token.
	OutcomeWaiting = "waiting"
	// OutcomeSkipped is Notify's answer when no email was due.
	OutcomeSkipped = "skipped"
)

// ReviewOutput and ConsentOutput build the output a staff decision or a client decision sends with
// SendTaskSuccess; the state machine reads its "outcome".
func outcomeJSON(outcome string) string { return `{"outcome":"` + outcome + `"}` }

// SendOutcome completes a parked task with {"outcome": outcome}. The HTTP handlers (consent, withdraw,
// staff review) and the workflow's own late-decision paths use it, so they send the same document.
// A token that is no longer waiting (TaskTimedOut, TaskDoesNotExist, InvalidToken) is reported with
// ok=false and no error: the decision is recorded in DynamoDB and the workflow's next phase picks it up.
// Any other error leaves the decision's resume marker pending, and ResumeDecisions sends it again.
func SendOutcome(ctx context.Context, sf StepFunctions, token, outcome string) (ok bool, err error) {
	if token == "" {
		return false, nil
	}
	_, err = sf.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(outcomeJSON(outcome))})
	if err == nil {
		return true, nil
	}
	if TokenGone(err) {
		return false, nil
	}
	return false, fmt.Errorf("send task success %q: %w", outcome, err)
}

// TokenGone reports whether err says the task token no longer waits: its task timed out, was
// completed already, or its execution ended.
func TokenGone(err error) bool {
	var timedOut *sfntypes.TaskTimedOut
	var missing *sfntypes.TaskDoesNotExist
	var invalid *sfntypes.InvalidToken
	return errors.As(err, &timedOut) || errors.As(err, &missing) || errors.As(err, &invalid)
}

// decidedOutcome returns the outcome a parked consent or review wait should end with, for a request
// whose status already records a decision; ok is false while the request is still undecided
// (submitted, in review, awaiting consent).
func decidedOutcome(s refund.Status) (string, bool) {
	switch s {
	case refund.StatusExecuting, refund.StatusCompleted:
		return OutcomeAccepted, true
	case refund.StatusReviewRejected:
		return OutcomeRejected, true
	case refund.StatusSubmitted, refund.StatusInReview, refund.StatusAwaitingConsent:
		return "", false
	}
	return string(s), true // declined, withdrawn, expired, rejected, needs_attention
}

// taskLogger returns the logger for one task invocation: every line carries the function, the Lambda
// request id, the refund request id and the execution ARN when known. Never add personal data, link
// codes or task tokens to it.
func taskLogger(ctx context.Context, base *slog.Logger, function string, in TaskInput) *slog.Logger {
	if base == nil {
		base = slog.New(slog.DiscardHandler)
	}
	attrs := []any{"task", function, "requestId", in.RequestID}
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		attrs = append(attrs, "awsRequestId", lc.AwsRequestID)
	}
	if in.ExecutionArn != "" {
		attrs = append(attrs, "executionArn", in.ExecutionArn)
	}
	return base.With(attrs...)
}

// system returns the audit actor of a workflow function.
func system(function string) string { return dynamo.SystemActor(function) }

// isCode reports whether err is a *refund.Error with code c.
func isCode(err error, c refund.Code) bool {
	var e *refund.Error
	return errors.As(err, &e) && e.Code == c
}

// policyOrDefault returns p, or the embedded default policy when p is the zero value.
func policyOrDefault(p refund.Policy) refund.Policy {
	if p.Version == "" {
		return refund.DefaultPolicy()
	}
	return p
}

// maxConflictRetries bounds how often a task re-reads a request after a conflicting write before it
// gives up; a conflict means another actor moved the request, so one or two re-reads settle it.
const maxConflictRetries = 3

// count words a number of things for audit details and messages people read: "1 offer",
// "3 offers". plural is used for every number but 1, including 0.
func count(n int, singular, plural string) string {
	if n == 1 {
		return "1 " + singular
	}
	return strconv.Itoa(n) + " " + plural
}
