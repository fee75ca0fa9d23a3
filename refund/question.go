package refund

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// A request's thread: the client's questions, sent from the status page with the status link's code,
// and the staff's replies, emailed to the order's email on record and shown on the status page. Every
// message is also an audit entry, written in the same transaction.

// MessageFrom says who wrote a thread message.
type MessageFrom string

// The writers of thread messages.
const (
	// FromClient is a question or message the client sent from the status page.
	FromClient MessageFrom = "client"
	// FromStaff is a staff member's reply.
	FromStaff MessageFrom = "staff"
)

// ThreadMessage is one message of a request's thread. Text is plain text: every page and email shows
// it escaped, never as markup.
type ThreadMessage struct {
	// RequestID is the request the thread belongs to.
	RequestID string `json:"request_id"`
	// ID identifies the message within the request (the store sets it).
	ID string `json:"id"`
	// At is when it was written; zero means now (the store's clock).
	At time.Time `json:"at"`
	// From says whether the client or staff wrote it.
	From MessageFrom `json:"from"`
	// Actor is the audit actor: ActorClient, or StaffActor(sub) for a reply.
	Actor string `json:"actor"`
	// Text is the message, normalised (NormalizeMessage).
	Text string `json:"text"`
}

// ThreadSummary counts a request's thread: how many questions the client sent and how many of them
// were followed by a staff reply.
type ThreadSummary struct {
	// RequestID is the request the thread belongs to.
	RequestID string `json:"request_id,omitempty"`
	// Questions is the number of client messages.
	Questions int `json:"questions"`
	// Unanswered is the number of client messages sent after the latest staff reply.
	Unanswered int `json:"unanswered"`
	// LastQuestionAt is when the client last wrote; zero if never.
	LastQuestionAt time.Time `json:"last_question_at,omitzero"`
}

// MaxMessageRunes is the longest thread message accepted, in characters.
const MaxMessageRunes = 2000

// QuestionsPerDay is how many questions a client may send about one request per day (UTC).
const QuestionsPerDay = 5

// NormalizeMessage returns text as a thread stores it: line breaks as "\n", surrounding space
// removed, and every control character other than line breaks and tabs dropped (they have no meaning
// in plain text and some terminals and mail clients act on them). An empty, unreadable or too long
// text is CodeInvalid with a message for the named field.
func NormalizeMessage(field, text string) (string, error) {
	if !utf8.ValidString(text) {
		return "", InvalidField(field, "The message contains characters we cannot read. Please type it again.")
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	text = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, text)
	text = strings.TrimSpace(text)
	if text == "" {
		return "", InvalidField(field, "Please write your message.")
	}
	if n := utf8.RuneCountInString(text); n > MaxMessageRunes {
		return "", InvalidField(field, fmt.Sprintf("Please shorten your message to at most %d characters (it has %d).", MaxMessageRunes, n))
	}
	return text, nil
}

// QuestionDay names the day (UTC, "2006-01-02") whose limit a question sent at t counts against.
func QuestionDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// NextQuestionDay returns when a client who reached the day's limit at t can write again: the next
// midnight UTC.
func NextQuestionDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// ErrTooManyQuestions is the answer to a question over the day's limit at t: CodeTooMany, with when
// the client can write again in the message and in RetryAfter.
func ErrTooManyQuestions(t time.Time) *Error {
	next := NextQuestionDay(t)
	return &Error{
		Code: CodeTooMany,
		Message: fmt.Sprintf("You have sent %d messages about this request today, the most we accept in one day. You can write again from %s; our team will answer the messages you sent.",
			QuestionsPerDay, next.Format("2 January 2006 at 15:04 UTC")),
		RetryAfter: next.Sub(t),
	}
}

// Summarize counts a thread given oldest first.
func Summarize(thread []ThreadMessage) ThreadSummary {
	var s ThreadSummary
	for _, m := range thread {
		switch m.From {
		case FromClient:
			s.Questions++
			s.Unanswered++
			s.LastQuestionAt = m.At
		case FromStaff:
			s.Unanswered = 0
		}
	}
	return s
}

// Audit actions of the thread.
const (
	// ActionQuestion records a client's message; its detail is the message.
	ActionQuestion = "question"
	// ActionReply records a staff reply; its detail is the reply, then the staff's note.
	ActionReply = "reply"
)
