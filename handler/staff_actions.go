package handler

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/refund"
)

// StaffActionRequest is the body of POST /staff/api/requests/{id}/actions: a staff member's way out
// of "needs attention" (refund.StaffAction).
type StaffActionRequest struct {
	// Action is retry, settled_outside or close.
	Action refund.StaffAction `json:"action"`
	// Note is required: why, for the audit trail (never sent to the client).
	Note string `json:"note"`
	// Message is emailed to the client; required for close, refused otherwise.
	Message string `json:"message,omitempty"`
	// Settlement is what went back outside the provider; required for settled_outside only.
	Settlement *refund.Settlement `json:"settlement,omitempty"`
}

// StaffActionResult is the answer to a staff action.
type StaffActionResult struct {
	// Request is the request after the action.
	Request refund.Request `json:"request"`
	// Action echoes the action.
	Action refund.StaffAction `json:"action"`
	// RefundAttempt and IdempotencyKey name the refund attempt a retry of a refund uses: the same
	// attempt as before unless the provider refused it for certain.
	RefundAttempt  int    `json:"refund_attempt,omitempty"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Settlement is the ledger record of a settlement outside the provider.
	Settlement *refund.RefundRecord `json:"settlement,omitempty"`
	// Delivered says whether the parked workflow took the action now; when false, the action is
	// recorded and the workflow takes it within minutes (Message says so).
	Delivered bool   `json:"delivered"`
	Message   string `json:"message,omitempty"`
}

// staffActionOutcome is the outcome each action completes the staff-action wait with.
var staffActionOutcome = map[refund.StaffAction]string{
	refund.StaffActionRetry: OutcomeRetry, refund.StaffActionSettledOutside: OutcomeSettled, refund.StaffActionClose: OutcomeClosed,
}

// act records a staff action on a request that needs attention and hands it to the workflow parked
// on the request's staff-action wait. Every action is one conditional write on the version the
// request has in needs_attention, so of two staff members acting at once exactly one action stands
// and the other gets a 409 naming it; the write carries a resume marker, so the action reaches the
// workflow even if telling it fails now.
func (h StaffApi) act(ctx context.Context, req events.APIGatewayV2HTTPRequest, actor, id string) (events.APIGatewayV2HTTPResponse, error) {
	var body StaffActionRequest
	if err := apigw.DecodeJSON(req, &body); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	body.Note = strings.TrimSpace(strings.ReplaceAll(body.Note, "\r\n", "\n"))
	body.Message = strings.TrimSpace(strings.ReplaceAll(body.Message, "\r\n", "\n"))
	if err := validateStaffAction(body); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	rec, err := h.Store.GetRequest(ctx, id)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if rec.Status != refund.StatusNeedsAttention {
		return events.APIGatewayV2HTTPResponse{}, h.whatChanged(ctx, id, refund.Errorf(refund.CodeConflict,
			"Request %s is %s, not waiting for a staff action; reload it.", id, rec.Status))
	}
	// The workflow must be parked on this round's staff-action wait: it carries the action out, and
	// only it, so no second execution can ever move money for the request.
	tok, err := h.Store.GetTaskToken(ctx, id)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if tok.Token == "" || tok.Kind != refund.TokenAttention || tok.SetAt.Before(rec.UpdatedAt) {
		return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeConflict,
			"The workflow of request %s is not waiting for a staff action yet; try again in a minute.", id)
	}
	outcome := staffActionOutcome[body.Action]
	result := StaffActionResult{Action: body.Action}
	audit := refund.AuditEntry{RequestID: id, Actor: actor, Action: string(body.Action), Detail: body.Note}
	mine, err := h.requestRefunds(ctx, rec)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	switch body.Action {
	case refund.StaffActionRetry:
		opts, err := h.retryOptions(ctx, rec, mine, &result)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		if result.IdempotencyKey != "" {
			audit.Detail += fmt.Sprintf("\nrefund attempt %d (%s)", result.RefundAttempt, result.IdempotencyKey)
		}
		err = h.Store.Transition(ctx, id, refund.StatusNeedsAttention, refund.StatusExecuting, rec.Version, audit,
			append(opts, refund.WithResume(outcome))...)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, h.whatChanged(ctx, id, err)
		}
	case refund.StaffActionSettledOutside:
		s := *body.Settlement
		n := refund.NextAttempt(mine)
		audit.Detail += fmt.Sprintf("\nsettled outside: %s by %s, reference %s", s.Amount, strings.TrimSpace(s.Method), strings.TrimSpace(s.Reference))
		r, err := h.Store.SettleOutside(ctx, id, rec.Version, s, n, audit, refund.WithRefundAttempt(n), refund.WithResume(outcome))
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, h.whatChanged(ctx, id, err)
		}
		result.Settlement = &r
	case refund.StaffActionClose:
		err := h.Store.Transition(ctx, id, refund.StatusNeedsAttention, refund.StatusClosed, rec.Version, audit,
			refund.WithReviewMessage(body.Message), refund.WithResume(outcome))
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, h.whatChanged(ctx, id, err)
		}
	}
	done, err := deliverDecision(ctx, h.Store, h.Waits, h.Logger, id, outcome, tok, false)
	result.Delivered = done == delivered
	if err != nil {
		logger(h.Logger).WarnContext(ctx, "send staff action; the sweeper delivers it", "requestId", id, "error", err.Error())
	}
	if !result.Delivered {
		// The wait took it already (from the status, on a retried attempt) or takes it soon: the
		// status records the action, which the staff-action wait reads when it parks again.
		result.Message = "The action is recorded; the workflow carries it out within minutes."
	}
	cur, err := h.Store.GetRequest(ctx, id)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	result.Request = cur.Request
	return apigw.JSON(http.StatusOK, result), nil
}

// requestRefunds returns the request's refund records on its order.
func (h StaffApi) requestRefunds(ctx context.Context, rec refund.RequestRecord) ([]refund.RefundRecord, error) {
	all, err := h.Store.ListOrderRefunds(ctx, rec.OrderNumber)
	if err != nil {
		return nil, err
	}
	var mine []refund.RefundRecord
	for _, r := range all {
		if r.RequestID == rec.ID {
			mine = append(mine, r)
		}
	}
	return mine, nil
}

// retryOptions checks that a retry can run (the client accepted an offer: a retry runs its execution
// again) and, for a refund, picks the attempt: the same idempotency key unless the provider refused
// the latest attempt for certain (refund.RetryAttempt).
func (h StaffApi) retryOptions(ctx context.Context, rec refund.RequestRecord, mine []refund.RefundRecord, result *StaffActionResult) ([]refund.ChangeOption, error) {
	consent, err := h.Store.GetConsent(ctx, rec.ID)
	if err != nil && refund.ErrorCode(err) != refund.CodeNotFound {
		return nil, err
	}
	if err != nil || !consent.AcceptsOffer() {
		return nil, refund.Errorf(refund.CodeConflict,
			"Retry runs the execution of the offer the client accepted again, and request %s has no accepted offer. Settle it outside or close it with a message to the client.", rec.ID)
	}
	offer, err := h.Store.GetOffer(ctx, rec.ID, consent.OfferID)
	if err != nil {
		return nil, err
	}
	if !offer.IsRefund() {
		return nil, nil
	}
	n := refund.RetryAttempt(mine)
	result.RefundAttempt, result.IdempotencyKey = n, refund.RefundIdempotencyKey(rec.ID, n)
	return []refund.ChangeOption{refund.WithRefundAttempt(n)}, nil
}

// validateStaffAction checks the shape of a staff action.
func validateStaffAction(b StaffActionRequest) error {
	errs := refund.FieldErrors{}
	if !b.Action.Valid() {
		errs["action"] = "must be retry, settled_outside or close"
	}
	if msg := staffText(b.Note, true); msg != "" {
		errs["note"] = msg
	}
	switch {
	case b.Action == refund.StaffActionClose:
		if msg := staffText(b.Message, true); msg != "" {
			errs["message"] = msg + " (it is emailed to the client)"
		}
	case b.Message != "":
		errs["message"] = "is only sent with the action close"
	}
	switch {
	case b.Action == refund.StaffActionSettledOutside && b.Settlement == nil:
		errs["settlement"] = "give the amount (minor units and currency), the method and the reference"
	case b.Action != refund.StaffActionSettledOutside && b.Settlement != nil:
		errs["settlement"] = "is only sent with the action settled_outside"
	}
	return errs.Err()
}

// staffText checks a staff member's free text: required (if so), readable, at most
// refund.MaxStaffNoteRunes characters. It returns "" when fine, else the message.
func staffText(s string, required bool) string {
	switch {
	case required && s == "":
		return "is required"
	case !readableText(s):
		return "must be readable text without control characters"
	case utf8.RuneCountInString(s) > refund.MaxStaffNoteRunes:
		return fmt.Sprintf("must be at most %d characters", refund.MaxStaffNoteRunes)
	}
	return ""
}

// readableText reports whether s is valid UTF-8 whose only control characters are line breaks and
// tabs, and which has no bidirectional overrides.
func readableText(s string) bool {
	for _, line := range strings.Split(strings.ReplaceAll(s, "\t", " "), "\n") {
		if !refund.ReadableLine(line) {
			return false
		}
	}
	return true
}
