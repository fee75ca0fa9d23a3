package handler

import (
	"context"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/refund"
)

// ReviewConfirm is the decision of the second member of staff who confirms a proposal above the
// four-eyes limit (see fourEyes).
const ReviewConfirm = "confirm"

// The four-eyes rule: a review decision (approve or adjust) that lets the client receive more money
// than the limit of its currency (a refund or a credit; StaffApi.FourEyesLimits, by default the
// policy's review thresholds) is only proposed by the member of staff who makes it. It is stored on
// the request (Store.ProposeReview) with an audit entry, the request stays in review and nothing
// reaches the client. A different member of staff (by the token's subject) confirms it with the
// decision "confirm": that is the decision recorded with Decide at the version the proposal was made
// on, so of two confirmations exactly one stands, and a proposal on a request that changed since is a
// 409. The proposer cannot confirm (403); anyone may reject instead.

// fourEyesLimits returns the configured limits, or the policy's review thresholds.
func (h StaffApi) fourEyesLimits() map[string]int64 {
	if h.FourEyesLimits != nil {
		return h.FourEyesLimits
	}
	return policyOrDefault(h.Policy).FourEyesLimits()
}

// FourEyesLimit returns the limit for currency; ok is false when none is set (then every decision
// that moves money in it needs two people).
func (h StaffApi) FourEyesLimit(currency string) (limit refund.Money, ok bool) {
	n, ok := h.fourEyesLimits()[currency]
	return refund.Money{Amount: n, Currency: currency}, ok
}

// proposeIfAboveLimit records the decision as a proposal when the offers it would send move more
// money than the limit; proposed says whether it did (then answer is the response).
func (h StaffApi) proposeIfAboveLimit(ctx context.Context, rec refund.RequestRecord, version int64, actor string, body ReviewDecision,
	offers []refund.Offer, set int) (answer events.APIGatewayV2HTTPResponse, proposed bool, err error) {
	currency := ""
	if len(offers) > 0 {
		currency = offers[0].Amount.Currency
	}
	amount := refund.MoneyMoved(offers, currency)
	if amount.Amount == 0 || !refund.NeedsSecondStaff(amount, h.fourEyesLimits()) {
		return answer, false, nil
	}
	p := refund.Proposal{Actor: actor, Decision: body.Decision, Amount: amount, Message: body.Message}
	if set > 0 {
		p.Offers, p.OfferSet = offers, set
	}
	audit := refund.AuditEntry{RequestID: rec.ID, Actor: actor, Action: "review_proposed",
		Detail: staffProposalSummary(p)}
	if err := h.Store.ProposeReview(ctx, rec.ID, version, p, audit); err != nil {
		return answer, true, h.whatChanged(ctx, rec.ID, err)
	}
	cur, err := h.Store.GetRequest(ctx, rec.ID)
	if err != nil {
		return answer, true, err
	}
	pending, _ := cur.PendingProposal()
	limit, _ := h.FourEyesLimit(amount.Currency)
	return apigw.JSON(http.StatusOK, ReviewResult{
		Request: cur.Request, Decision: body.Decision, Offers: p.Offers, AwaitingConfirmation: &pending,
		Message: "The decision lets the client receive " + amount.String() + ", above the " + limit.String() +
			" one member of staff may decide alone: it is proposed, and goes to the client once a second member of staff confirms it.",
	}), true, nil
}

// confirmable returns the request's pending proposal if actor may confirm it.
func (h StaffApi) confirmable(ctx context.Context, rec refund.RequestRecord, actor string) (refund.Proposal, error) {
	p, ok := rec.PendingProposal()
	switch {
	case !ok && rec.Proposal != nil:
		return p, refund.Errorf(refund.CodeConflict,
			"The proposal by %s on request %s no longer applies: the request changed after it was made. Reload it and decide again.", rec.Proposal.Actor, rec.ID)
	case !ok:
		return p, refund.Errorf(refund.CodeConflict, "Request %s has no proposal waiting for confirmation; reload it.", rec.ID)
	case p.Actor == actor:
		return p, &refund.Error{Code: refund.CodeForbidden,
			Message: "You proposed this decision, so a different member of staff must confirm it (four-eyes rule)."}
	}
	return p, nil
}

// staffProposalSummary is the audit detail of a staff proposal: what it decides, and the offers of an adjustment.
func staffProposalSummary(p refund.Proposal) string {
	s := p.Decision + " moving up to " + p.Amount.String() + ", waiting for a second member of staff"
	if len(p.Offers) > 0 {
		s += "\n" + adjustmentSummary(p.Offers, "")
	}
	if p.Message != "" {
		s += "\n" + p.Message
	}
	return s
}

// confirmationSummary is the audit detail of a confirmation: whose proposal, and what it was.
func confirmationSummary(p refund.Proposal, message string) string {
	lines := []string{"confirms the " + p.Decision + " proposed by " + p.Actor + " at " +
		p.At.UTC().Format("2006-01-02 15:04:05 MST") + " (up to " + p.Amount.String() + ")"}
	if len(p.Offers) > 0 {
		lines = append(lines, adjustmentSummary(p.Offers, ""))
	}
	if message != "" {
		lines = append(lines, message)
	}
	return strings.Join(lines, "\n")
}
