package handler

import (
	"context"
	"fmt"
	"log/slog"

	"refundflow/mail"
	"refundflow/refund"
)

// RequestStaffReview parks the workflow until staff decide a review (a .waitForTaskToken task): it
// stores the task token on the request, conditional on the request still being in review, and emails
// staff the request id, the order number, the policy's reasons and the offers (nothing about the
// client). The staff API completes the token with {"outcome":"approved"} (after approving or
// adjusting the offers) or {"outcome":"rejected"} (after moving the request to review_rejected); a
// withdrawal completes it with {"outcome":"withdrawn"}.
//
// If the request was already decided when the step runs (withdrawn, rejected by staff during a retry,
// or approved while no attempt of this wait was parked), the step completes its own token with that
// outcome, so the workflow never waits for a decision that was already made.
type RequestStaffReview struct {
	// Store reads the request, its order with its credits and the offers, parks the token and takes a
	// recorded approval.
	Store RequestStaffReviewStore
	// Waits completes the wait itself when the request was already decided.
	Waits WaitCompleter
	// Emails renders and sends the staff notification.
	Emails Emails
	// Policy recomputes the review reasons for the email; the zero value means refund.DefaultPolicy().
	Policy refund.Policy
	// Logger receives one line per invocation; nil discards.
	Logger *slog.Logger
}

// RequestStaffReviewStore is the table as RequestStaffReview uses it (MailMarkers through Emails).
type RequestStaffReviewStore interface {
	RequestGetter
	OrderGetter
	CreditLister
	OfferLister
	TokenSetter
	ResumeGetter
	ResumeClearer
}

const fnRequestStaffReview = "RequestStaffReview"

// Handle runs the step for in.RequestID with the wait's in.TaskToken.
func (h RequestStaffReview) Handle(ctx context.Context, in TaskInput) (TaskOutput, error) {
	log := taskLogger(ctx, h.Logger, fnRequestStaffReview, in)
	out, err := h.handle(ctx, in)
	if err != nil {
		log.ErrorContext(ctx, "staff review request failed", "error", err.Error())
		return TaskOutput{}, lambdaError(err)
	}
	log.InfoContext(ctx, "staff review requested", "outcome", out.Outcome)
	return out, nil
}

func (h RequestStaffReview) handle(ctx context.Context, in TaskInput) (TaskOutput, error) {
	if in.TaskToken == "" {
		return TaskOutput{}, fmt.Errorf("request staff review of %s: no task token in the input", in.RequestID)
	}
	req, err := h.Store.GetRequest(ctx, in.RequestID)
	if err != nil {
		return TaskOutput{}, fmt.Errorf("request staff review of %s: %w", in.RequestID, err)
	}
	if req.Status != refund.StatusInReview {
		return h.alreadyDecided(ctx, req.ID, req.Status, in.TaskToken)
	}
	err = h.Store.SetTaskToken(ctx, req.ID, refund.TokenReview, in.TaskToken, refund.StatusInReview)
	if refund.ErrorCode(err) == refund.CodeConflict {
		cur, gerr := h.Store.GetRequest(ctx, req.ID)
		if gerr != nil {
			return TaskOutput{}, fmt.Errorf("request staff review of %s: %w", req.ID, gerr)
		}
		return h.alreadyDecided(ctx, req.ID, cur.Status, in.TaskToken)
	}
	if err != nil {
		return TaskOutput{}, fmt.Errorf("request staff review of %s: %w", req.ID, err)
	}
	if out, taken, err := h.takeRecordedApproval(ctx, req, in.TaskToken); taken || err != nil {
		return out, err
	}

	_, err = h.Emails.once(ctx, req.ID, "staff:review", mail.KindStaffReview, func() (mail.Data, error) {
		order, credits, err := orderAndCredits(ctx, h.Store, req.OrderNumber)
		if err != nil {
			return mail.Data{}, err
		}
		offers, _, err := h.Store.ListOffers(ctx, req.ID)
		if err != nil {
			return mail.Data{}, err
		}
		res := resolve(h.Policy, req.Request, order, credits)
		reasons := res.ReviewReasons
		if len(reasons) == 0 {
			reasons = []string{"The request was sent to review."}
		}
		return mail.Data{OrderNumber: order.Number, RequestID: req.ID, RequestKind: req.Kind, Service: order.Service.Type,
			Offers: offers, ReviewReasons: reasons}, nil
	})
	if err != nil {
		return TaskOutput{}, fmt.Errorf("tell staff to review request %s: %w", req.ID, err)
	}
	return TaskOutput{Outcome: OutcomeWaiting}, nil
}

// takeRecordedApproval completes this wait with a staff approval (or adjustment) that was recorded
// while no attempt of the wait was parked: the approval leaves the request in review, so the status
// does not show it, but its resume marker is pending. That happens when staff decided between two
// attempts of this step (the first stored its token and failed; the approval read that token, which
// no longer waited). Only an approval recorded since the request entered review counts. taken
// reports that the wait was completed (or its token was already used by the approval's own delivery).
func (h RequestStaffReview) takeRecordedApproval(ctx context.Context, req refund.RequestRecord, token string) (out TaskOutput, taken bool, err error) {
	m, pending, err := h.Store.GetResume(ctx, req.ID)
	if err != nil {
		return TaskOutput{}, false, fmt.Errorf("request staff review of %s: %w", req.ID, err)
	}
	if !pending || m.Outcome != OutcomeApproved || m.RecordedAt.Before(req.UpdatedAt) {
		return TaskOutput{}, false, nil
	}
	if _, err := completeWait(ctx, h.Waits, token, OutcomeApproved); err != nil {
		return TaskOutput{}, false, fmt.Errorf("complete the review wait of request %s with the recorded approval: %w", req.ID, err)
	}
	if _, err := h.Store.ClearResume(ctx, req.ID, OutcomeApproved); err != nil {
		logger(h.Logger).WarnContext(ctx, "clear resume marker; the sweeper settles it", "requestId", req.ID, "error", err.Error())
	}
	return TaskOutput{Outcome: OutcomeApproved}, true, nil
}

// alreadyDecided completes the review wait itself for a request that left review before the wait
// began. A request that moved on to awaiting consent was approved by an earlier attempt of this wait.
func (h RequestStaffReview) alreadyDecided(ctx context.Context, id string, s refund.Status, token string) (TaskOutput, error) {
	var outcome string
	switch {
	case s == refund.StatusAwaitingConsent:
		outcome = OutcomeApproved
	case s == refund.StatusReviewRejected:
		outcome = OutcomeRejected
	case s.Terminal():
		outcome = string(s) // withdrawn, for example
	default:
		return TaskOutput{}, fmt.Errorf("request staff review of %s: it is %s, not %s", id, s, refund.StatusInReview)
	}
	if _, err := completeWait(ctx, h.Waits, token, outcome); err != nil {
		return TaskOutput{}, fmt.Errorf("complete the review wait of request %s with %q: %w", id, outcome, err)
	}
	return TaskOutput{Outcome: outcome}, nil
}
