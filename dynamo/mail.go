package dynamo

import (
	"context"
	"fmt"
	"refundflow/refund"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// The mail marker of one request and event (PK=REQ#<id>, SK=MAIL#<event>) is claimed before the
// email is sent and marked sent after, so two runs of one workflow step at the same instant (Step
// Functions retrying an invocation that still runs) send one email, not two:
//
//	event        the event name
//	claim_id     the run that claimed it (random, one per run)
//	claim_until  Unix milliseconds until which that run is sending; 0 once released
//	sent_at      when the email went out; once set, the marker is final
//	kind         the email's kind, set with sent_at when an email went out (absent on a marker marked
//	             without sending: an email held back for good)
//	subject      its subject line, likewise; never the recipient
const (
	attrMailEvent   = "event"
	attrClaimID     = "claim_id"
	attrClaimedTo   = "claim_until"
	attrMailSent    = "sent_at"
	attrMailKind    = "kind"
	attrMailSubject = "subject"
)

// maxMailMarkers bounds the mail markers read for one request (a request sends a few dozen emails
// at most: one per event).
const maxMailMarkers = 1000

// mailItem is a mail marker as ListSentEmails reads it.
type mailItem struct {
	Kind    string    `json:"kind"`
	Subject string    `json:"subject"`
	SentAt  time.Time `json:"sent_at"`
}

// validEvent checks a mail event name ("received", "offers:1", "outcome:completed", ...).
func validEvent(event string) error {
	if event == "" || len(event) > 200 {
		return fmt.Errorf("mail event name %q must be 1–200 bytes", refund.Truncate(event, 40))
	}
	return nil
}

// ClaimMail claims the email for an event of a request for the run claimID (a random id the run
// keeps) for lease, with one conditional write: it succeeds when no marker exists, when the marker is
// not sent and its claim expired (the run that held it crashed or gave up), or when the claim is this
// run's own already (the SDK retried a write whose answer was lost, or the run asks again). The lease
// must be longer than a sending run can live (the Lambda function's timeout), so two live runs never
// both hold it; a run that dies after sending but before MarkMailSent makes the email go out again
// after the lease (at least once, never lost).
func (s *Store) ClaimMail(ctx context.Context, requestID, event, claimID string, lease time.Duration) (refund.MailClaim, error) {
	if err := validID("request id", requestID); err != nil {
		return 0, err
	}
	if err := validEvent(event); err != nil {
		return 0, err
	}
	if claimID == "" {
		return 0, fmt.Errorf("claim %s mail of request %s: no claim id", event, requestID)
	}
	if lease <= 0 {
		return 0, fmt.Errorf("claim %s mail of request %s: lease %v must be positive", event, requestID, lease)
	}
	now := s.now()
	x := &expr{}
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table),
		Key:       key(requestPK(requestID), prefixMail+event),
		UpdateExpression: aws.String("SET " + x.n(attrMailEvent) + " = " + x.s(event) + ", " +
			x.n(attrClaimID) + " = " + x.s(claimID) + ", " + x.n(attrClaimedTo) + " = " + x.i(now.Add(lease).UnixMilli())),
		ConditionExpression: aws.String("attribute_not_exists(" + x.n(AttrPK) + ") OR (attribute_not_exists(" +
			x.n(attrMailSent) + ") AND (" + x.n(attrClaimedTo) + " < " + x.i(now.UnixMilli()) + " OR " +
			x.n(attrClaimID) + " = " + x.s(claimID) + "))"),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
	})
	if err == nil {
		return refund.MailClaimed, nil
	}
	if !isConditionFailed(err) {
		return 0, fmt.Errorf("claim %s mail of request %s: %w", event, requestID, err)
	}
	item, err := s.getItem(ctx, requestPK(requestID), prefixMail+event)
	if err != nil {
		return 0, fmt.Errorf("check %s mail of request %s: %w", event, requestID, err)
	}
	if item != nil && item[attrMailSent] != nil {
		return refund.MailAlreadySent, nil
	}
	// Claimed by another run (or, if it vanished meanwhile, the next attempt claims it).
	return refund.MailInProgress, nil
}

// MarkMailSent records that the email for an event of a request was sent, which makes the marker
// final, with the email's kind and subject for the case's timeline (ListSentEmails) in the same
// write. An empty kind marks the event without an email (one held back for good): final too, but
// not listed. Marking again is a no-op that keeps the first time, kind and subject.
func (s *Store) MarkMailSent(ctx context.Context, requestID, event, kind, subject string) error {
	if err := validID("request id", requestID); err != nil {
		return err
	}
	if err := validEvent(event); err != nil {
		return err
	}
	sentAt, err := marshalValue(s.now())
	if err != nil {
		return fmt.Errorf("encode mail marker time: %w", err)
	}
	if kind == "" && subject != "" {
		return fmt.Errorf("mark %s mail sent for request %s: a subject without a kind", event, requestID)
	}
	x := &expr{}
	set := "SET " + x.n(attrMailEvent) + " = " + x.s(event) + ", " +
		x.n(attrMailSent) + " = if_not_exists(" + x.n(attrMailSent) + ", " + x.v(sentAt) + ")"
	if kind != "" {
		// Kept like sent_at: a retried write keeps what the first recorded.
		set += ", " + x.n(attrMailKind) + " = if_not_exists(" + x.n(attrMailKind) + ", " + x.s(kind) + "), " +
			x.n(attrMailSubject) + " = if_not_exists(" + x.n(attrMailSubject) + ", " + x.s(subject) + ")"
	}
	_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.Table),
		Key:                       key(requestPK(requestID), prefixMail+event),
		UpdateExpression:          aws.String(set + " REMOVE " + x.n(attrClaimedTo) + ", " + x.n(attrClaimID)),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
	})
	if err != nil {
		return fmt.Errorf("mark %s mail sent for request %s: %w", event, requestID, err)
	}
	return nil
}

// ListSentEmails returns the emails that went out about a request, oldest first: the mail markers
// marked sent with a kind (one Query on the request's partition). Markers marked without an email
// (held back for good) and markers from before kinds were recorded are not listed.
func (s *Store) ListSentEmails(ctx context.Context, requestID string) ([]refund.SentEmail, error) {
	if err := validID("request id", requestID); err != nil {
		return nil, err
	}
	items, err := s.queryAll(ctx, requestPK(requestID), prefixMail, maxMailMarkers)
	if err != nil {
		return nil, fmt.Errorf("list emails of request %s: %w", requestID, err)
	}
	all, err := decodeItems(items, "mail marker of request "+requestID, func(it mailItem) mailItem { return it })
	if err != nil {
		return nil, err
	}
	out := []refund.SentEmail{}
	for _, m := range all {
		if m.Kind != "" && !m.SentAt.IsZero() {
			out = append(out, refund.SentEmail{Kind: m.Kind, Subject: m.Subject, SentAt: m.SentAt})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].SentAt.Before(out[j].SentAt) })
	return out, nil
}

// ReleaseMail gives up the run claimID's claim whose email could not be sent, so the step's retry can
// claim it at once instead of waiting for the lease. It never touches a marker that was sent or that
// another run claimed.
func (s *Store) ReleaseMail(ctx context.Context, requestID, event, claimID string) error {
	if err := validID("request id", requestID); err != nil {
		return err
	}
	if err := validEvent(event); err != nil {
		return err
	}
	x := &expr{}
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(s.Table),
		Key:              key(requestPK(requestID), prefixMail+event),
		UpdateExpression: aws.String("SET " + x.n(attrClaimedTo) + " = " + x.i(0)),
		ConditionExpression: aws.String("attribute_not_exists(" + x.n(attrMailSent) + ") AND " +
			x.n(attrClaimID) + " = " + x.s(claimID)),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("release %s mail claim of request %s: %w", event, requestID, err)
	}
	return nil
}
