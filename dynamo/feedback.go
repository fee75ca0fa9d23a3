package dynamo

import (
	"context"
	"fmt"
	"refundflow/refund"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// feedbackItem is the stored form of refund.Feedback, listed on GSI1 under FEEDBACK, newest first.
type feedbackItem struct {
	PK     string `json:"PK"`
	SK     string `json:"SK"`
	GSI1PK string `json:"GSI1PK"`
	GSI1SK string `json:"GSI1SK"`
	refund.Feedback
}

// PutFeedback stores a request's feedback, once: a second feedback for the same request is
// CodeConflict "We already have your feedback ...". Feedback that is not valid
// (refund.Feedback.Validate) is CodeInvalid with a field message; the comment is stored normalised.
func (s *Store) PutFeedback(ctx context.Context, f refund.Feedback) error {
	if err := validID("request id", f.RequestID); err != nil {
		return err
	}
	f = f.Normalize()
	if err := f.Validate(); err != nil {
		return err
	}
	if f.At.IsZero() {
		f.At = s.now()
	}
	f.At = f.At.UTC()
	item, err := marshal(feedbackItem{
		PK: requestPK(f.RequestID), SK: skFeedback,
		GSI1PK: gsi1Feedback, GSI1SK: sortTime(f.At) + "#" + f.RequestID,
		Feedback: f,
	})
	if err != nil {
		return fmt.Errorf("encode feedback for request %s: %w", f.RequestID, err)
	}
	exists, err := s.create(ctx, creates(types.Put{TableName: aws.String(s.Table), Item: item}))
	if exists {
		// An SDK retry of a write that succeeded finds its own item: that is not a second feedback.
		if cur, gerr := s.GetFeedback(ctx, f.RequestID); gerr == nil && cur == f {
			return nil
		}
		return conflict("We already have your feedback for this request. Thank you!")
	}
	if err != nil {
		return fmt.Errorf("put feedback for request %s: %w", f.RequestID, err)
	}
	return nil
}

// GetFeedback returns the feedback of a request, or CodeNotFound.
func (s *Store) GetFeedback(ctx context.Context, requestID string) (refund.Feedback, error) {
	if err := validID("request id", requestID); err != nil {
		return refund.Feedback{}, err
	}
	it, ok, err := getOne[feedbackItem](ctx, s, requestPK(requestID), skFeedback, "feedback of request "+requestID)
	if err == nil && !ok {
		err = notFound("No feedback was given for request %s.", requestID)
	}
	return it.Feedback, err
}

// ListFeedback returns one page of all feedback, newest first, for staff. limit and cursor work as in
// ListRequestsByStatus (cursors of one listing are refused by the other).
func (s *Store) ListFeedback(ctx context.Context, limit int, cursor string) (feedback []refund.Feedback, next string, err error) {
	items, next, err := s.queryGSI1(ctx, gsi1Feedback, "", limit, cursor, false)
	if err != nil {
		return nil, "", fmt.Errorf("list feedback: %w", err)
	}
	feedback, err = decodeItems(items, "feedback", func(it feedbackItem) refund.Feedback { return it.Feedback })
	if err != nil {
		return nil, "", err
	}
	return feedback, next, nil
}
