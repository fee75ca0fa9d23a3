package dynamo

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Feedback is a client's rating of how their request was handled.
type Feedback struct {
	// RequestID is the request rated.
	RequestID string `json:"request_id"`
	// Rating is 1 (poor) to 5 (excellent).
	Rating int `json:"rating"`
	// Comment is optional free text, at most MaxFeedbackCommentRunes characters.
	Comment string `json:"comment,omitempty"`
	// At is when it was given; zero means now.
	At time.Time `json:"at"`
}

// MaxFeedbackCommentRunes is the longest feedback comment accepted, in characters.
const MaxFeedbackCommentRunes = 2000

// feedbackItem is the stored form of Feedback, listed on GSI1 under FEEDBACK, newest first.
type feedbackItem struct {
	PK     string `json:"PK"`
	SK     string `json:"SK"`
	GSI1PK string `json:"GSI1PK"`
	GSI1SK string `json:"GSI1SK"`
	Feedback
}

// PutFeedback stores a request's feedback, once: a second feedback for the same request is
// CodeConflict "We already have your feedback ...". A rating outside 1–5 or a comment that is too long
// or unreadable is CodeInvalid with a field message.
func (s *Store) PutFeedback(ctx context.Context, f Feedback) error {
	if err := validID("request id", f.RequestID); err != nil {
		return err
	}
	if f.Rating < 1 || f.Rating > 5 {
		return invalid("rating", "Choose a rating from 1 to 5.")
	}
	f.Comment = strings.TrimSpace(f.Comment)
	if !utf8.ValidString(f.Comment) {
		return invalid("comment", "The comment contains characters we cannot read. Please type it again.")
	}
	if utf8.RuneCountInString(f.Comment) > MaxFeedbackCommentRunes {
		return invalid("comment", fmt.Sprintf("Please shorten your comment to at most %d characters.", MaxFeedbackCommentRunes))
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
	x := &expr{}
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.Table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(" + x.n(AttrPK) + ")"),
		ExpressionAttributeNames: x.Names(),
	})
	if isConditionFailed(err) {
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
func (s *Store) GetFeedback(ctx context.Context, requestID string) (Feedback, error) {
	if err := validID("request id", requestID); err != nil {
		return Feedback{}, err
	}
	item, err := s.getItem(ctx, requestPK(requestID), skFeedback)
	if err != nil {
		return Feedback{}, fmt.Errorf("get feedback of request %s: %w", requestID, err)
	}
	if item == nil {
		return Feedback{}, notFound("No feedback was given for request %s.", requestID)
	}
	var it feedbackItem
	if err := unmarshal(item, &it); err != nil {
		return Feedback{}, fmt.Errorf("decode feedback of request %s: %w", requestID, err)
	}
	return it.Feedback, nil
}

// ListFeedback returns one page of all feedback, newest first, for staff. limit and cursor work as in
// ListRequestsByStatus (cursors of one listing are refused by the other).
func (s *Store) ListFeedback(ctx context.Context, limit int, cursor string) (feedback []Feedback, next string, err error) {
	items, next, err := s.queryGSI1(ctx, gsi1Feedback, "", limit, cursor, false)
	if err != nil {
		return nil, "", fmt.Errorf("list feedback: %w", err)
	}
	feedback = make([]Feedback, 0, len(items))
	for _, item := range items {
		var it feedbackItem
		if err := unmarshal(item, &it); err != nil {
			return nil, "", fmt.Errorf("decode feedback: %w", err)
		}
		feedback = append(feedback, it.Feedback)
	}
	return feedback, next, nil
}
