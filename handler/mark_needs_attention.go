package handler

import (
	"context"
	"fmt"
	"log/slog"

	"refundflow/refund"
)

// MarkNeedsAttention is where every unexpected failure of the workflow ends: the request moves to
// needs_attention (unless it already reached a final status, which stands) and NotifyOutcome then
// tells staff. The audit entry records only the error's name (such as "PaymentDeclined" or
// "States.Timeout"), never its cause, which may quote data.
//
// Outcome: "needs_attention", or the final status the request already had.
//
// Its phase "staff" (the state machine's AwaitStaffAction, a .waitForTaskToken task after the staff
// and client emails) parks the workflow until a member of staff acts on the request (StaffApi's
// actions: retry, settled outside, close): it stores the task token on the request (kind attention),
// conditional on the request still needing attention. The staff action completes it with
// {"outcome":"retry"|"settled"|"closed"}; on "retry" the workflow runs ExecuteResolution again, in the
// same execution, so a request never has two executions that could move money. A request already
// acted on when the phase runs (between MarkNeedsAttention and the wait) completes the wait itself
// with the outcome its status records.
type MarkNeedsAttention struct {
	// Store reads and moves the request and parks the staff-action token.
	Store MarkNeedsAttentionStore
	// Waits completes the staff-action wait itself when the request was already acted on.
	Waits WaitCompleter
	// Logger receives one line per invocation; nil discards.
	Logger *slog.Logger
}

// MarkNeedsAttentionStore is the table as MarkNeedsAttention uses it.
type MarkNeedsAttentionStore interface {
	RequestGetter
	Transitioner
	TokenSetter
}

const fnMarkNeedsAttention = "MarkNeedsAttention"

// attentionDetailPrefix starts the audit detail of a move to needs_attention; the error name follows,
// and Notify reads it back for the staff email.
const attentionDetailPrefix = "workflow error: "

// Handle runs the step for in.RequestID; in.Error names the failure.
//
// Its line "request needs attention" says with moved=true that this run moved the request (a retry
// of the step, or a request already there, logs moved=false): template.yaml's NeedsAttentionMetricFilter
// counts the moves for NeedsAttentionAlarm.
func (h MarkNeedsAttention) Handle(ctx context.Context, in TaskInput) (TaskOutput, error) {
	log := taskLogger(ctx, h.Logger, fnMarkNeedsAttention, in)
	if in.Phase == PhaseStaff {
		out, err := h.park(ctx, in)
		if err != nil {
			log.ErrorContext(ctx, "waiting for a staff action failed", "error", err.Error())
			return TaskOutput{}, lambdaError(err)
		}
		log.InfoContext(ctx, "waiting for a staff action", "outcome", out.Outcome)
		return out, nil
	}
	out, moved, err := h.handle(ctx, in)
	if err != nil {
		log.ErrorContext(ctx, "marking needs attention failed", "error", err.Error(), "failure", errorName(in.Error))
		return TaskOutput{}, err
	}
	log.WarnContext(ctx, "request needs attention", "outcome", out.Outcome, "moved", moved, "failure", errorName(in.Error))
	return out, nil
}

// errorName bounds an error name for the audit trail and logs.
func errorName(name string) string {
	if name == "" {
		return "unknown error"
	}
	return refund.Truncate(name, 120)
}

// handle moves the request; moved reports that this call did (and not an earlier one).
func (h MarkNeedsAttention) handle(ctx context.Context, in TaskInput) (out TaskOutput, moved bool, err error) {
	for attempt := 1; ; attempt++ {
		req, err := h.Store.GetRequest(ctx, in.RequestID)
		if err != nil {
			return TaskOutput{}, false, fmt.Errorf("mark request %s as needing attention: %w", in.RequestID, err)
		}
		switch {
		case req.Status.Terminal():
			return TaskOutput{Outcome: string(req.Status)}, false, nil
		case req.Status == refund.StatusNeedsAttention:
			return TaskOutput{Outcome: OutcomeNeedsAttention}, false, nil
		}
		err = h.Store.Transition(ctx, req.ID, req.Status, refund.StatusNeedsAttention, req.Version,
			refund.AuditEntry{Actor: system(fnMarkNeedsAttention), Detail: attentionDetailPrefix + errorName(in.Error)})
		switch {
		case err == nil:
			return TaskOutput{Outcome: OutcomeNeedsAttention}, true, nil
		case refund.ErrorCode(err) == refund.CodeConflict && attempt < maxConflictRetries:
			continue
		default:
			return TaskOutput{}, false, fmt.Errorf("mark request %s as needing attention: %w", req.ID, err)
		}
	}
}

// park stores the staff-action wait's token on a request that needs attention, or completes the wait
// with the outcome of a staff action that was recorded before it parked.
func (h MarkNeedsAttention) park(ctx context.Context, in TaskInput) (TaskOutput, error) {
	if in.TaskToken == "" {
		return TaskOutput{}, fmt.Errorf("wait for a staff action on %s: no task token in the input", in.RequestID)
	}
	req, err := h.Store.GetRequest(ctx, in.RequestID)
	if err != nil {
		return TaskOutput{}, fmt.Errorf("wait for a staff action on %s: %w", in.RequestID, err)
	}
	status := req.Status
	if status == refund.StatusNeedsAttention {
		err = h.Store.SetTaskToken(ctx, req.ID, refund.TokenAttention, in.TaskToken, refund.StatusNeedsAttention)
		if err == nil {
			return TaskOutput{Outcome: OutcomeWaiting}, nil
		}
		if refund.ErrorCode(err) != refund.CodeConflict {
			return TaskOutput{}, fmt.Errorf("wait for a staff action on %s: %w", req.ID, err)
		}
		cur, gerr := h.Store.GetRequest(ctx, req.ID)
		if gerr != nil {
			return TaskOutput{}, fmt.Errorf("wait for a staff action on %s: %w", req.ID, gerr)
		}
		status = cur.Status
	}
	outcome, ok := actedOutcome(status)
	if !ok {
		return TaskOutput{}, fmt.Errorf("wait for a staff action on %s: it is %s, not %s", req.ID, status, refund.StatusNeedsAttention)
	}
	if _, err := completeWait(ctx, h.Waits, in.TaskToken, outcome); err != nil {
		return TaskOutput{}, fmt.Errorf("complete the staff-action wait of request %s with %q: %w", req.ID, outcome, err)
	}
	return TaskOutput{Outcome: outcome}, nil
}

// actedOutcome returns the staff-action outcome a request's status records after it left
// needs_attention: executing (and anything after it) is a retry; a final status goes to the outcome
// email.
func actedOutcome(s refund.Status) (string, bool) {
	switch {
	case s == refund.StatusExecuting:
		return OutcomeRetry, true
	case s == refund.StatusClosed:
		return OutcomeClosed, true
	case s == refund.StatusCompleted:
		return OutcomeSettled, true
	case s.Terminal():
		return string(s), true
	}
	return "", false
}
