package refund

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
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

// Normalize returns the feedback with the comment's surrounding spaces removed.
func (f Feedback) Normalize() Feedback {
	f.Comment = strings.TrimSpace(f.Comment)
	return f
}

// Validate checks normalised feedback: a rating outside 1–5, or a comment that is unreadable or too
// long, is CodeInvalid with a field message.
func (f Feedback) Validate() error {
	if f.Rating < 1 || f.Rating > 5 {
		return InvalidField("rating", "Choose a rating from 1 to 5.")
	}
	if !utf8.ValidString(f.Comment) {
		return InvalidField("comment", "The comment contains characters we cannot read. Please type it again.")
	}
	if utf8.RuneCountInString(f.Comment) > MaxFeedbackCommentRunes {
		return InvalidField("comment", fmt.Sprintf("Please shorten your comment to at most %d characters.", MaxFeedbackCommentRunes))
	}
	return nil
}
