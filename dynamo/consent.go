package dynamo

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/refund"
)

// Decision is the client's answer to the offers.
type Decision string

// The decisions.
const (
	// DecisionAccept accepts one offer; the request moves to executing.
	DecisionAccept Decision = "accept"
	// DecisionDecline declines all offers; the request moves to declined (terminal).
	DecisionDecline Decision = "decline"
)

// Valid reports whether d is one of the defined decisions.
func (d Decision) Valid() bool { return d == DecisionAccept || d == DecisionDecline }

// Consent is the record of the client's decision: exactly one per request, never changed.
type Consent struct {
	// RequestID is the request decided on.
	RequestID string `json:"request_id"`
	// Decision is accept or decline.
	Decision Decision `json:"decision"`
	// OfferID, OfferHash and AgreementText say exactly what was accepted: the offer, the hex SHA-256
	// of its canonical JSON with the agreement text (refund.AgreementHash), and the text itself.
	// Required for accept; optional for decline (the offer the client was looking at).
	OfferID       string `json:"offer_id,omitempty"`
	OfferHash     string `json:"offer_hash,omitempty"`
	AgreementText string `json:"agreement_text,omitempty"`
	// TypedName is the full name the client typed as signature; required for accept.
	TypedName string `json:"typed_name,omitempty"`
	// DeclineReason is the client's reason for declining, if given.
	DeclineReason string `json:"decline_reason,omitempty"`
	// IP and UserAgent identify the client's browser.
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
	// LinkHash is the hash of the consent link code the decision came through; it is marked used.
	LinkHash string `json:"link_hash"`
	// At is when the decision was recorded; zero means now.
	At time.Time `json:"at"`
}

// maxAgreementText bounds the stored agreement text, far above any real agreement and far below
// DynamoDB's 400 KB item limit.
const maxAgreementText = 100_000

// consentItem is the stored form of a Consent.
type consentItem struct {
	PK string `json:"PK"`
	SK string `json:"SK"`
	Consent
}

// validateConsent checks a consent before it is written.
func validateConsent(c Consent) error {
	if !c.Decision.Valid() {
		return invalid("decision", "Choose whether you accept an offer or decline.")
	}
	if !validHash(c.LinkHash) {
		return notFound("This link is not valid. Please use the link from your most recent email.")
	}
	if c.Decision == DecisionAccept {
		switch {
		case c.OfferID == "":
			return invalid("offer_id", "Choose the offer you accept.")
		case !validHash(c.OfferHash):
			return invalid("offer_hash", "The offer you accepted could not be identified; please reload the page.")
		case c.AgreementText == "":
			return fmt.Errorf("record consent for request %s: the agreement text is required", c.RequestID)
		case utf8.RuneCountInString(c.TypedName) == 0:
			return invalid("typed_name", "Type your full name to sign.")
		}
	}
	if c.OfferID != "" {
		if err := validID("offer id", c.OfferID); err != nil {
			return err
		}
	}
	if utf8.RuneCountInString(c.TypedName) > refund.MaxNameRunes {
		return invalid("typed_name", fmt.Sprintf("Please shorten the name to at most %d characters.", refund.MaxNameRunes))
	}
	if utf8.RuneCountInString(c.DeclineReason) > refund.MaxDetailsRunes {
		return invalid("decline_reason", fmt.Sprintf("Please shorten your reason to at most %d characters.", refund.MaxDetailsRunes))
	}
	if len(c.AgreementText) > maxAgreementText {
		return fmt.Errorf("record consent for request %s: agreement text of %d bytes is too long", c.RequestID, len(c.AgreementText))
	}
	return nil
}

// RecordConsent records the client's decision in one transaction that
//   - puts the consent record (only if none exists: exactly one consent per request),
//   - marks the consent link code used (only if it is this request's unused, unexpired consent code),
//   - moves the request from awaiting_consent at version to executing (accept) or declined (decline;
//     this also releases the order's open-request lock),
//   - appends the audit entry (action consent_accepted/consent_declined, From/To, IP and user agent
//     from the consent unless set),
//   - for accept, checks that the chosen offer is stored, and
//   - puts the resume marker (ConsentOutcome of the decision) that the caller clears once the
//     workflow's consent wait took the outcome (see ClearResume).
//
// Errors a person understands: a second decision (double submit, or a second code after the
// reminder) is CodeConflict "Your decision on this request has already been recorded."; an expired
// link, an expired offer or a withdrawn request is CodeGone; an unknown link or offer is CodeNotFound;
// a request changed meanwhile is CodeConflict. Invalid input is CodeInvalid with field messages.
func (s *Store) RecordConsent(ctx context.Context, c Consent, version int64, audit AuditEntry) error {
	if err := validID("request id", c.RequestID); err != nil {
		return err
	}
	if err := validateConsent(c); err != nil {
		return err
	}
	now := s.now()
	if c.At.IsZero() {
		c.At = now
	}
	c.At = c.At.UTC()
	c.IP, c.UserAgent = truncate(c.IP, maxAuditIP), truncate(c.UserAgent, maxAuditUserAgent)

	to := refund.StatusExecuting
	action := "consent_accepted"
	if c.Decision == DecisionDecline {
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
	px := &expr{}
	putConsent := types.TransactWriteItem{Put: &types.Put{
		TableName:                aws.String(s.Table),
		Item:                     consent,
		ConditionExpression:      aws.String("attribute_not_exists(" + px.n(AttrPK) + ")"),
		ExpressionAttributeNames: px.Names(),
	}}
	useLink, err := s.useLink(c.LinkHash, c.RequestID, now)
	if err != nil {
		return err
	}
	update, err := s.statusUpdate(c.RequestID, refund.StatusAwaitingConsent, to, version, now, transitionChanges{})
	if err != nil {
		return err
	}
	auditPut, err := s.auditPut(audit)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{putConsent, useLink, update, auditPut}
	if c.Decision == DecisionAccept {
		cx := &expr{}
		items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName:                aws.String(s.Table),
			Key:                      key(requestPK(c.RequestID), prefixOffer+c.OfferID),
			ConditionExpression:      aws.String("attribute_exists(" + cx.n(AttrPK) + ")"),
			ExpressionAttributeNames: cx.Names(),
		}})
	} else {
		cur, ok, err := s.getRequestItem(ctx, c.RequestID)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("Request %s was not found.", c.RequestID)
		}
		items = append(items, s.releaseLock(cur.OrderNumber, c.RequestID))
	}
	// Last, so the indexes failedAt reads above stay as they are.
	marker, err := s.resumePut(c.RequestID, ConsentOutcome(c.Decision), now)
	if err != nil {
		return err
	}
	items = append(items, marker)

	err = s.transact(ctx, items)
	switch {
	case err == nil:
		return nil
	case failedAt(err, 0):
		return errAlreadyDecided()
	case failedAt(err, 1):
		return s.explainLinkUse(ctx, c.LinkHash, c.RequestID)
	case failedAt(err, 2):
		return s.explainConsentStatus(ctx, c.RequestID, version)
	case failedAt(err, 4) && c.Decision == DecisionAccept:
		return notFound("The offer you chose was not found; please reload the page.")
	default:
		return fmt.Errorf("record %s for request %s: %w", action, c.RequestID, err)
	}
}

// errAlreadyDecided is the answer to every second decision. It is built fresh each time because
// callers may annotate the error they get.
func errAlreadyDecided() error {
	return conflict("Your decision on this request has already been recorded.")
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
		" AND " + x.n("purpose") + " = " + x.s(string(LinkConsent)) +
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
	case !ok || l.RequestID != requestID || l.Purpose != LinkConsent:
		return notFound("This link is not valid. Please use the link from your most recent email.")
	case !l.UsedAt.IsZero():
		return errAlreadyDecided()
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
		return errAlreadyDecided()
	default:
		return conflict("This request is %s, so a decision cannot be recorded now.", cur.Status)
	}
}

// GetConsent returns the consent recorded for the request, or CodeNotFound when there is none.
func (s *Store) GetConsent(ctx context.Context, requestID string) (Consent, error) {
	if err := validID("request id", requestID); err != nil {
		return Consent{}, err
	}
	item, err := s.getItem(ctx, requestPK(requestID), skConsent)
	if err != nil {
		return Consent{}, fmt.Errorf("get consent of request %s: %w", requestID, err)
	}
	if item == nil {
		return Consent{}, notFound("No decision has been recorded for request %s.", requestID)
	}
	var it consentItem
	if err := unmarshal(item, &it); err != nil {
		return Consent{}, fmt.Errorf("decode consent of request %s: %w", requestID, err)
	}
	return it.Consent, nil
}
