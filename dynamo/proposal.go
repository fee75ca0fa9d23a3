package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/refund"
)

// ProposeReview records a staff decision that needs a second member of staff (the four-eyes rule) on
// the request, in one transaction with its audit entry (action "review_proposed"). It requires the
// request to be in review at version (the version the proposal is made on) and to have no proposal
// that still applies, so of two proposals made at once exactly one is stored. The version does not
// move: a proposal changes nothing the workflow or the client sees, and the confirmation (a Decide at
// the same version) is what must happen exactly once. Any later change of the request makes the
// proposal stale (refund.RequestRecord.PendingProposal).
func (s *Store) ProposeReview(ctx context.Context, id string, version int64, p refund.Proposal, audit refund.AuditEntry) error {
	if err := validID("request id", id); err != nil {
		return err
	}
	p.Version = version
	if p.At.IsZero() {
		p.At = s.now()
	}
	p.At = p.At.UTC()
	av, err := marshalValue(p)
	if err != nil {
		return fmt.Errorf("encode proposal on request %s: %w", id, err)
	}
	audit.Version = 0 // the proposal changes no version
	audit, err = s.prepareAudit(audit, id, "review_proposed")
	if err != nil {
		return err
	}
	auditPut, err := s.auditPut(audit)
	if err != nil {
		return err
	}
	x := &expr{}
	cond := x.n("status") + " = " + x.s(string(refund.StatusInReview)) + " AND " + x.n("version") + " = " + x.i(version) +
		" AND (attribute_not_exists(" + x.n("proposal") + ") OR " + x.n("proposal") + "." + x.n("version") + " <> " + x.i(version) + ")"
	update := types.TransactWriteItem{Update: &types.Update{
		TableName:                 aws.String(s.Table),
		Key:                       key(requestPK(id), skRequest),
		UpdateExpression:          aws.String("SET " + x.n("proposal") + " = " + x.v(av)),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
	}}
	err = s.transact(ctx, []types.TransactWriteItem{update, auditPut})
	if !failedAt(err, 0) {
		if err != nil {
			return fmt.Errorf("record proposal on request %s: %w", id, err)
		}
		return nil
	}
	cur, gerr := s.GetRequest(ctx, id)
	if gerr != nil {
		return gerr
	}
	if other, ok := cur.PendingProposal(); ok {
		return conflict("Request %s already has a proposal waiting for a second member of staff (%s by %s); confirm or reject it.",
			id, other.Decision, other.Actor)
	}
	return s.explainChange(ctx, id, refund.StatusInReview, refund.StatusInReview, version, refund.Change{})
}
