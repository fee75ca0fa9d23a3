package handler

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"refundflow/dynamo"
	"refundflow/payment"
	"refundflow/refund"
)

// ProposeResolution is the workflow's second step: it works out the offers under the policy
// (refund.Resolve, with refunds rounded down to what the order's payment provider can refund), stores
// them, and decides whether staff must review them first.
//
// Outcomes: "consent" (the offers go to the client; the status stays submitted until RequestConsent
// sends them), "review" (the request moves to in_review), or the status of a request that was closed
// meanwhile, such as "withdrawn". Offer IDs are deterministic and the rules run as of the request's
// submission time, so running the step again stores the same offers and gives the same outcome.
type ProposeResolution struct {
	// Store is the table.
	Store *dynamo.Store
	// Policy is the refund policy; the zero value means refund.DefaultPolicy().
	Policy refund.Policy
	// Logger receives one line per invocation; nil discards.
	Logger *slog.Logger
}

const fnProposeResolution = "ProposeResolution"

// Handle runs the step for in.RequestID.
func (h *ProposeResolution) Handle(ctx context.Context, in TaskInput) (TaskOutput, error) {
	log := taskLogger(ctx, h.Logger, fnProposeResolution, in)
	out, err := h.handle(ctx, in)
	if err != nil {
		log.ErrorContext(ctx, "resolution failed", "error", err.Error())
		return TaskOutput{}, err
	}
	log.InfoContext(ctx, "resolution done", "outcome", out.Outcome)
	return out, nil
}

func (h *ProposeResolution) handle(ctx context.Context, in TaskInput) (TaskOutput, error) {
	for attempt := 1; ; attempt++ {
		req, err := h.Store.GetRequest(ctx, in.RequestID)
		if err != nil {
			return TaskOutput{}, fmt.Errorf("resolve request %s: %w", in.RequestID, err)
		}
		switch req.Status {
		case refund.StatusSubmitted:
		case refund.StatusInReview:
			return TaskOutput{Outcome: OutcomeReview}, nil // a retry after the move
		default:
			if req.Status.Terminal() {
				return TaskOutput{Outcome: string(req.Status)}, nil
			}
			return TaskOutput{}, fmt.Errorf("resolve request %s: it is %s, not %s", req.ID, req.Status, refund.StatusSubmitted)
		}
		if req.Verification == nil || !req.Verification.OK {
			return TaskOutput{}, fmt.Errorf("resolve request %s: it has no successful verification", req.ID)
		}
		order, err := h.Store.GetOrder(ctx, req.OrderNumber)
		if err != nil {
			return TaskOutput{}, fmt.Errorf("resolve request %s: %w", req.ID, err)
		}
		res := resolve(h.Policy, req.Request, order)
		if len(res.Offers) > 0 && req.OfferSet == 0 {
			if err := h.Store.PutOffers(ctx, req.ID, 1, res.Offers); err != nil {
				return TaskOutput{}, fmt.Errorf("store offers of request %s: %w", req.ID, err)
			}
		}
		if !res.NeedsReview {
			return TaskOutput{Outcome: OutcomeConsent}, nil
		}
		// The reasons are about amounts and policy rules, never about the client, so the audit trail
		// (which staff read) may carry them.
		err = h.Store.Transition(ctx, req.ID, refund.StatusSubmitted, refund.StatusInReview, req.Version,
			dynamo.AuditEntry{Actor: system(fnProposeResolution), Detail: "review needed: " + strings.Join(res.ReviewReasons, "\n")},
			dynamo.WithPolicyVersion(res.PolicyVersion))
		switch {
		case err == nil:
			return TaskOutput{Outcome: OutcomeReview}, nil
		case isCode(err, refund.CodeConflict) && attempt < maxConflictRetries:
			continue
		default:
			return TaskOutput{}, fmt.Errorf("send request %s to review: %w", req.ID, err)
		}
	}
}

// resolve applies the policy (the zero value: the default) to a request and its order as of the
// request's submission, with the refundable increment of the order's payment provider, so that every
// refund offered is an amount the provider can refund.
func resolve(p refund.Policy, req refund.Request, order refund.Order) refund.Resolution {
	step := payment.RefundIncrement(order.Payment.Provider, order.Currency)
	return refund.Resolve(policyOrDefault(p), req, order, req.CreatedAt, refund.WithRefundIncrement(step))
}
