package handler

import (
	"context"
	"fmt"
	"log/slog"

	"refundflow/refund"
)

// VerifyConditions is the workflow's first step: it checks the request against the order on record
// and the policy (refund.Verify) and records the findings.
//
// Outcomes: "verified" (the status stays submitted; the findings are saved), "rejected" (the request
// moves to rejected with the findings), or the status of a request that was already closed, such as
// "withdrawn". Only "verified" is returned as the task's result (on to ProposeResolution); the others
// are returned as *RequestClosed, which the state machine catches to go straight to NotifyOutcome.
// A request that already needs attention (a completed request reopened because its refund failed
// later at the provider, whose new execution starts here) ends it with *RequestNeedsAttention, caught
// and sent to MarkNeedsAttention and the staff-action wait.
// Running it again gives the same outcome: a saved successful verification is not repeated, and a
// rejected request stays rejected. The rules run as of the request's submission time,
// not the time the step runs, so a retry days later decides the same way.
type VerifyConditions struct {
	// Store reads the request and its order, and records the findings.
	Store VerifyConditionsStore
	// Policy is the refund policy; the zero value means refund.DefaultPolicy().
	Policy refund.Policy
	// Logger receives one line per invocation; nil discards.
	Logger *slog.Logger
}

// VerifyConditionsStore is the table as VerifyConditions uses it.
type VerifyConditionsStore interface {
	RequestGetter
	OrderGetter
	FindingsSaver
	Transitioner
}

const fnVerifyConditions = "VerifyConditions"

// Handle runs the step for in.RequestID.
func (h VerifyConditions) Handle(ctx context.Context, in TaskInput) (TaskOutput, error) {
	log := taskLogger(ctx, h.Logger, fnVerifyConditions, in)
	out, err := h.handle(ctx, in)
	if err != nil {
		log.ErrorContext(ctx, "verification failed", "error", err.Error())
		return TaskOutput{}, err
	}
	return route(ctx, log, "verification done", in.RequestID, out, OutcomeVerified)
}

func (h VerifyConditions) handle(ctx context.Context, in TaskInput) (TaskOutput, error) {
	for attempt := 1; ; attempt++ {
		req, err := h.Store.GetRequest(ctx, in.RequestID)
		if err != nil {
			return TaskOutput{}, fmt.Errorf("verify request %s: %w", in.RequestID, err)
		}
		switch {
		case req.Status.Terminal():
			return TaskOutput{Outcome: string(req.Status)}, nil
		case req.Status == refund.StatusNeedsAttention:
			return TaskOutput{Outcome: OutcomeNeedsAttention}, nil
		case req.Verification != nil && req.Verification.OK:
			return TaskOutput{Outcome: OutcomeVerified}, nil
		case req.Status != refund.StatusSubmitted:
			return TaskOutput{}, fmt.Errorf("verify request %s: it is %s without a successful verification", req.ID, req.Status)
		}

		// A submission that named no order when it was sent is decided as naming none, whatever the
		// table holds now: it took no lock, so it must never get further than an unknown order does.
		var order *refund.Order
		if !req.Unmatched {
			o, err := h.Store.GetOrder(ctx, req.OrderNumber)
			switch {
			case err == nil:
				order = &o
			case refund.ErrorCode(err) == refund.CodeNotFound:
			default:
				return TaskOutput{}, fmt.Errorf("verify request %s: %w", req.ID, err)
			}
		}
		// The day the client asked decides, not the day this step happens to run.
		v := refund.Verify(policyOrDefault(h.Policy), req.Submission, order, req.CreatedAt)
		if v.OK {
			if err := h.Store.SaveFindings(ctx, req.ID, v); err != nil {
				return TaskOutput{}, fmt.Errorf("save findings of request %s: %w", req.ID, err)
			}
			return TaskOutput{Outcome: OutcomeVerified}, nil
		}
		failed := v.Findings[len(v.Findings)-1].Code
		err = h.Store.Transition(ctx, req.ID, refund.StatusSubmitted, refund.StatusRejected, req.Version,
			refund.AuditEntry{Actor: system(fnVerifyConditions), Detail: "verification failed: " + failed},
			refund.WithVerification(v), refund.WithPolicyVersion(v.PolicyVersion))
		switch {
		case err == nil:
			return TaskOutput{Outcome: OutcomeRejected}, nil
		case refund.ErrorCode(err) == refund.CodeConflict && attempt < maxConflictRetries:
			continue // withdrawn or changed meanwhile: decide on what it is now
		default:
			return TaskOutput{}, fmt.Errorf("reject request %s: %w", req.ID, err)
		}
	}
}
