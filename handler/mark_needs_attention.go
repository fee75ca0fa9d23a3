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
type MarkNeedsAttention struct {
	// Store reads and moves the request.
	Store MarkNeedsAttentionStore
	// Logger receives one line per invocation; nil discards.
	Logger *slog.Logger
}

// MarkNeedsAttentionStore is the table as MarkNeedsAttention uses it.
type MarkNeedsAttentionStore interface {
	RequestGetter
	Transitioner
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
