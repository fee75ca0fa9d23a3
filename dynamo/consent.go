package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/refund"
)

// consentItem is the stored form of a refund.Consent.
type consentItem struct {
	PK string `json:"PK"`
	SK string `json:"SK"`
	refund.Consent
}

// RecordConsent records the client's decision in one transaction that
//   - puts the consent record (only if none exists: exactly one consent per request),
//   - marks the consent link code used (only if it is this request's unused, unexpired consent code),
//   - moves the request from awaiting_consent at version to executing (accept) or declined (decline;
//     this also releases the order's open-request lock),
//   - appends the audit entry (action consent_accepted/consent_declined, From/To, IP and user agent
//     from the consent unless set),
//   - for accept, checks that the chosen offer is stored, and
//   - puts the resume marker (the decision's Outcome) that the caller clears once the workflow's
//     consent wait took the outcome (see ClearResume), and
//
// An acceptance with a PDFHash first puts the signed agreement's fingerprint (GetSignedAgreement),
// outside the transaction.
//
// Errors a person understands: a second decision (double submit, or a second code after the
// reminder) is CodeConflict "Your decision on this request has already been recorded."; an expired
// link, an expired offer or a withdrawn request is CodeGone; an unknown link or offer is CodeNotFound;
// a request changed meanwhile is CodeConflict. Invalid input is CodeInvalid with field messages.
func (s *Store) RecordConsent(ctx context.Context, c refund.Consent, version int64, audit refund.AuditEntry) error {
	if err := validID("request id", c.RequestID); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if c.OfferID != "" {
		if err := validID("offer id", c.OfferID); err != nil {
			return err
		}
	}
	now := s.now()
	if c.At.IsZero() {
		c.At = now
	}
	c.At = c.At.UTC()
	c.IP, c.UserAgent = refund.Truncate(c.IP, refund.MaxAuditIP), refund.Truncate(c.UserAgent, refund.MaxAuditUserAgent)

	to := refund.StatusExecuting
	action := "consent_accepted"
	if c.Decision == refund.DecisionDecline {
		to, action = refund.StatusDeclined, "consent_declined"
	}
	audit.From, audit.To = refund.StatusAwaitingConsent, to
	if audit.IP == "" && audit.UserAgent == "" {
		audit.IP, audit.UserAgent = c.IP, c.UserAgent
	}
	if audit.At.IsZero() {
		audit.At = c.At
	}
	audit.Version = version + 1
	audit, err := s.prepareAudit(audit, c.RequestID, action)
	if err != nil {
		return err
	}

	consent, err := marshal(consentItem{PK: requestPK(c.RequestID), SK: skConsent, Consent: c})
	if err != nil {
		return fmt.Errorf("encode consent for request %s: %w", c.RequestID, err)
	}
	putConsent := creates(types.Put{TableName: aws.String(s.Table), Item: consent})
	useLink, err := s.useLink(c.LinkHash, c.RequestID, now)
	if err != nil {
		return err
	}
	update, err := s.statusUpdate(c.RequestID, refund.StatusAwaitingConsent, to, version, now, refund.Change{})
	if err != nil {
		return err
	}
	auditPut, err := s.auditPut(audit)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{putConsent, useLink, update, auditPut}
	if c.Decision == refund.DecisionAccept {
		cx := &expr{}
		items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName:                aws.String(s.Table),
			Key:                      key(requestPK(c.RequestID), prefixOffer+c.OfferID),
			ConditionExpression:      aws.String("attribute_exists(" + cx.n(AttrPK) + ")"),
			ExpressionAttributeNames: cx.Names(),
		}})
	} else {
		cur, err := s.mustGetRequestItem(ctx, c.RequestID)
		if err != nil {
			return err
		}
		items = append(items, s.releaseLock(cur.OrderNumber, c.RequestID))
	}
	// Last, so the indexes failedAt reads above stay as they are.
	marker, err := s.resumePut(c.RequestID, c.Decision.Outcome(), now)
	if err != nil {
		return err
	}
	items = append(items, marker)
	if c.PDFHash != "" {
		// Before the transaction and outside it (1 write unit instead of 2): a fingerprint whose
		// consent is never recorded is an orphan that GetSignedAgreement does not accept.
		if err := s.putAgreement(ctx, c); err != nil {
			return err
		}
	}

	err = s.transact(ctx, items)
	switch {
	case err == nil:
		return nil
	case failedAt(err, 0):
		return refund.ErrAlreadyDecided()
	case failedAt(err, 1):
		return s.explainLinkUse(ctx, c.LinkHash, c.RequestID)
	case failedAt(err, 2):
		return s.explainConsentStatus(ctx, c.RequestID, version)
	case failedAt(err, 4) && c.Decision == refund.DecisionAccept:
		return notFound("The offer you chose was not found; please reload the page.")
	default:
		return fmt.Errorf("record %s for request %s: %w", action, c.RequestID, err)
	}
}

// useLink returns the transaction item that marks a consent link code used, conditional on it being
// this request's unused consent code that has not expired (expiry is checked here too, since TTL
// deletes late).
func (s *Store) useLink(hash, requestID string, now time.Time) (types.TransactWriteItem, error) {
	nowAV, err := marshalValue(now)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode time: %w", err)
	}
	x := &expr{}
	cond := "attribute_exists(" + x.n(AttrPK) + ") AND attribute_not_exists(" + x.n("used_at") + ")" +
		" AND " + x.n("request_id") + " = " + x.s(requestID) +
		" AND " + x.n("purpose") + " = " + x.s(string(refund.LinkConsent)) +
		" AND (attribute_not_exists(" + x.n("expires_nano") + ") OR " + x.n("expires_nano") + " > " + x.i(now.UnixNano()) + ")"
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 aws.String(s.Table),
		Key:                       key(prefixLink+hash, skLink),
		UpdateExpression:          aws.String("SET " + x.n("used_at") + " = " + x.v(nowAV)),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
	}}, nil
}

// explainLinkUse says why a consent link could not be used.
func (s *Store) explainLinkUse(ctx context.Context, hash, requestID string) error {
	l, ok, err := s.getLink(ctx, hash)
	switch {
	case err != nil:
		return err
	case !ok || l.RequestID != requestID || l.Purpose != refund.LinkConsent:
		return refund.ErrLinkNotValid()
	case !l.UsedAt.IsZero():
		return refund.ErrAlreadyDecided()
	case l.Expired(s.now()):
		return gone("This link has expired.")
	default:
		return conflict("This link could not be used; please reload the page.")
	}
}

// explainConsentStatus says why the request could not take a decision.
func (s *Store) explainConsentStatus(ctx context.Context, requestID string, version int64) error {
	cur, err := s.GetRequest(ctx, requestID)
	if err != nil {
		return err
	}
	switch cur.Status {
	case refund.StatusAwaitingConsent:
		if cur.Version != version {
			return conflict("The request changed while you were deciding; please reload the page and decide again.")
		}
		return conflict("Your decision could not be recorded; please reload the page.")
	case refund.StatusExpired:
		return gone("The offer expired before your decision arrived.")
	case refund.StatusWithdrawn:
		return gone("This request was withdrawn, so there is nothing left to decide.")
	case refund.StatusExecuting, refund.StatusCompleted, refund.StatusDeclined:
		return refund.ErrAlreadyDecided()
	default:
		return conflict("This request is %s, so a decision cannot be recorded now.", cur.Status)
	}
}

// GetConsent returns the consent recorded for the request, or CodeNotFound when there is none.
func (s *Store) GetConsent(ctx context.Context, requestID string) (refund.Consent, error) {
	if err := validID("request id", requestID); err != nil {
		return refund.Consent{}, err
	}
	it, ok, err := getOne[consentItem](ctx, s, requestPK(requestID), skConsent, "consent of request "+requestID)
	if err == nil && !ok {
		err = notFound("No decision has been recorded for request %s.", requestID)
	}
	return it.Consent, err
}
