package handler

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"refundflow/payment"
	"refundflow/refund"
)

// ProposeResolution is the workflow's second step: it works out the offers under the policy
// (refund.Resolve, with refunds rounded down to what the order's payment provider can refund, and the
// credits earlier requests granted on the order subtracted like earlier refunds), stores them, and
// decides whether staff must review them first.
//
// Outcomes: "consent" (the offers go to the client; the status stays submitted until RequestConsent
// sends them), "review" (the request moves to in_review), or the status of a request that was closed
// meanwhile, such as "withdrawn". Only "consent" is returned as the task's result (on to
// RequestConsent); "review" is returned as *StaffReviewNeeded (the state machine catches it to go to
// NotifyReceived and the staff review) and a closed request as *RequestClosed (to NotifyOutcome).
//
// The offers become the request's current set in the same transaction that checks and moves the
// request's version (and, for "review", moves its status), so two attempts of the step (a retry
// racing one that timed out) store one set. The rules run as of
// the request's submission time, so an attempt that finds the same offers stored changes nothing;
// one that finds different offers stored (the billing system changed the order after an earlier
// attempt, whose answer was lost) replaces them with a new set, so only offers that fit the order
// as it is now are live. Nothing has been shown to the client before this step has answered.
type ProposeResolution struct {
	// Store reads the request, its order with its credits and the offers, and records the resolution.
	Store ProposeResolutionStore
	// Policy is the refund policy; the zero value means refund.DefaultPolicy().
	Policy refund.Policy
	// Logger receives one line per invocation; nil discards.
	Logger *slog.Logger
}

// ProposeResolutionStore is the table as ProposeResolution uses it.
type ProposeResolutionStore interface {
	RequestGetter
	OrderGetter
	CreditLister
	OfferLister
	Decider
	Transitioner
}

const fnProposeResolution = "ProposeResolution"

// Handle runs the step for in.RequestID.
func (h ProposeResolution) Handle(ctx context.Context, in TaskInput) (TaskOutput, error) {
	log := taskLogger(ctx, h.Logger, fnProposeResolution, in)
	out, err := h.handle(ctx, in)
	if err != nil {
		log.ErrorContext(ctx, "resolution failed", "error", err.Error())
		return TaskOutput{}, err
	}
	return route(ctx, log, "resolution done", in.RequestID, out, OutcomeConsent)
}

func (h ProposeResolution) handle(ctx context.Context, in TaskInput) (TaskOutput, error) {
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
		order, credits, err := orderAndCredits(ctx, h.Store, req.OrderNumber)
		if err != nil {
			return TaskOutput{}, fmt.Errorf("resolve request %s: %w", req.ID, err)
		}
		res := resolve(h.Policy, req.Request, order, credits)
		var opts []refund.ChangeOption
		var stored []refund.Offer
		set := req.OfferSet
		if set > 0 { // an earlier attempt stored offers: the same ones again change nothing
			if stored, set, err = h.Store.ListOffers(ctx, req.ID); err != nil {
				return TaskOutput{}, fmt.Errorf("resolve request %s: %w", req.ID, err)
			}
		}
		if set == 0 && len(res.Offers) > 0 || set > 0 && !sameOffers(stored, res.Offers) {
			opts = append(opts, refund.WithOffers(set+1, offersForSet(res.Offers, set+1)))
		}
		if !res.NeedsReview {
			if len(opts) == 0 {
				return TaskOutput{Outcome: OutcomeConsent}, nil // stored by an earlier attempt
			}
			err = h.Store.Decide(ctx, req.ID, refund.StatusSubmitted, req.Version,
				refund.AuditEntry{Actor: system(fnProposeResolution), Action: "offers_proposed", Detail: proposalSummary(res.Offers, set+1)}, opts...)
		} else {
			// The reasons are about amounts and policy rules, never about the client, so the audit
			// trail (which staff read) may carry them.
			err = h.Store.Transition(ctx, req.ID, refund.StatusSubmitted, refund.StatusInReview, req.Version,
				refund.AuditEntry{Actor: system(fnProposeResolution), Detail: "review needed: " + strings.Join(res.ReviewReasons, "\n")},
				append(opts, refund.WithPolicyVersion(res.PolicyVersion))...)
		}
		switch {
		case err == nil && res.NeedsReview:
			return TaskOutput{Outcome: OutcomeReview}, nil
		case err == nil:
			return TaskOutput{Outcome: OutcomeConsent}, nil
		case refund.ErrorCode(err) == refund.CodeConflict && attempt < maxConflictRetries:
			continue // another attempt or a withdrawal moved it: read again
		default:
			return TaskOutput{}, fmt.Errorf("store the resolution of request %s: %w", req.ID, err)
		}
	}
}

// sameOffers reports whether the stored set holds exactly the offers worked out now, whatever their
// IDs (a later set's IDs carry its number).
func sameOffers(stored, fresh []refund.Offer) bool {
	if len(stored) != len(fresh) {
		return false
	}
	for i := range stored {
		a, b := stored[i], fresh[i]
		a.ID, b.ID = "", ""
		if string(refund.CanonicalJSON(a, "")) != string(refund.CanonicalJSON(b, "")) {
			return false
		}
	}
	return true
}

// offersForSet gives the offers of a set after the first new IDs (refund.OfferIDInSet, as staff
// adjustments name theirs), because the offers of earlier sets stay stored under theirs.
func offersForSet(offers []refund.Offer, set int) []refund.Offer {
	if set == 1 {
		return offers
	}
	out := make([]refund.Offer, len(offers))
	for i, o := range offers {
		o.ID = refund.OfferIDInSet(o.RequestID, set, i+1, o.Kind)
		out[i] = o
	}
	return out
}

// proposalSummary is the audit detail of a proposal: the set and its offers' kinds and amounts.
func proposalSummary(offers []refund.Offer, set int) string {
	parts := make([]string, len(offers))
	for i, o := range offers {
		parts[i] = string(o.Kind) + " " + o.Amount.String()
	}
	return fmt.Sprintf("offer set %d: %s", set, strings.Join(parts, "; "))
}

// resolve applies the policy (the zero value: the default) to a request and its order as of the
// request's submission, with the refundable increment of the order's payment provider, so that every
// refund offered is an amount the provider can refund, and with the credits granted on the order, so
// that what an earlier request gave as credit is not offered again.
func resolve(p refund.Policy, req refund.Request, order refund.Order, credits []refund.Credit) refund.Resolution {
	step := payment.RefundIncrement(order.Payment.Provider, order.Currency)
	return refund.Resolve(policyOrDefault(p), req, order, req.CreatedAt, refund.WithRefundIncrement(step), refund.WithCredits(credits))
}

// orderCredits is what orderAndCredits reads.
type orderCredits interface {
	OrderGetter
	CreditLister
}

// orderAndCredits reads an order and the credits granted on it, which the rules need together.
func orderAndCredits(ctx context.Context, s orderCredits, number string) (refund.Order, []refund.Credit, error) {
	order, err := s.GetOrder(ctx, number)
	if err != nil {
		return refund.Order{}, nil, err
	}
	credits, err := s.ListOrderCredits(ctx, number)
	if err != nil {
		return refund.Order{}, nil, err
	}
	return order, credits, nil
}
