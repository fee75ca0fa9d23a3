package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// mailItem marks that the email for one event of a request was sent.
type mailItem struct {
	PK     string    `json:"PK"`
	SK     string    `json:"SK"`
	Event  string    `json:"event"`
	SentAt time.Time `json:"sent_at"`
}

// validEvent checks a mail event name ("received", "offers", "outcome:completed", ...).
func validEvent(event string) error {
	if event == "" || len(event) > 200 {
		return fmt.Errorf("mail event name %q must be 1–200 bytes", truncate(event, 40))
	}
	return nil
}

// MarkMailSent records that the email for an event of a request was sent (record-then-send-then-mark:
// a step checks MailSent, sends, then marks). Marking again is a no-op that keeps the first time.
func (s *Store) MarkMailSent(ctx context.Context, requestID, event string) error {
	if err := validID("request id", requestID); err != nil {
		return err
	}
	if err := validEvent(event); err != nil {
		return err
	}
	item, err := marshal(mailItem{PK: requestPK(requestID), SK: prefixMail + event, Event: event, SentAt: s.now()})
	if err != nil {
		return fmt.Errorf("encode mail marker: %w", err)
	}
	x := &expr{}
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.Table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(" + x.n(AttrPK) + ")"),
		ExpressionAttributeNames: x.Names(),
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("mark %s mail sent for request %s: %w", event, requestID, err)
	}
	return nil
}

// MailSent reports whether the email for an event of a request was marked sent.
func (s *Store) MailSent(ctx context.Context, requestID, event string) (bool, error) {
	if err := validID("request id", requestID); err != nil {
		return false, err
	}
	if err := validEvent(event); err != nil {
		return false, err
	}
	item, err := s.getItem(ctx, requestPK(requestID), prefixMail+event)
	if err != nil {
		return false, fmt.Errorf("check %s mail of request %s: %w", event, requestID, err)
	}
	return item != nil, nil
}
