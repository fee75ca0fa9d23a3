package refund_test

import (
	"strings"
	"testing"
	"time"

	"refundflow/refund"
)

func TestNormalizeMessage(t *testing.T) {
	long := strings.Repeat("é", refund.MaxMessageRunes)
	tests := []struct {
		name, in, want string
		code           refund.Code
	}{
		{"plain", "  Hello?  ", "Hello?", ""},
		{"line breaks", "a\r\nb\rc", "a\nb\nc", ""},
		{"control characters dropped", "a\x1b[31mb\x00c\td", "a[31mbc\td", ""},
		{"markup kept as text", "<b>hi</b>", "<b>hi</b>", ""},
		{"at the limit", long, long, ""},
		{"over the limit", long + "x", "", refund.CodeInvalid},
		{"empty", " \n\t ", "", refund.CodeInvalid},
		{"not UTF-8", "a\xffb", "", refund.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := refund.NormalizeMessage("message", tt.in)
			if c := refund.ErrorCode(err); c != tt.code {
				t.Fatalf("code = %q, want %q (%v)", c, tt.code, err)
			}
			if got != tt.want {
				t.Errorf("NormalizeMessage = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTooManyQuestionsSaysWhen(t *testing.T) {
	at := time.Date(2026, 12, 6, 21, 30, 0, 0, time.FixedZone("CET", 3600)) // 20:30 UTC
	err := refund.ErrTooManyQuestions(at)
	if got, want := err.Code, refund.CodeTooMany; got != want {
		t.Errorf("code = %s, want %s", got, want)
	}
	if got, want := err.RetryAfter, 3*time.Hour+30*time.Minute; got != want {
		t.Errorf("RetryAfter = %v, want %v", got, want)
	}
	if !strings.Contains(err.Message, "7 December 2026 at 00:00 UTC") {
		t.Errorf("message %q does not say when the client can write again", err.Message)
	}
	if got, want := refund.QuestionDay(at), "2026-12-06"; got != want {
		t.Errorf("QuestionDay = %s, want %s", got, want)
	}
}

func TestSummarize(t *testing.T) {
	c, s := refund.ThreadMessage{From: refund.FromClient}, refund.ThreadMessage{From: refund.FromStaff}
	tests := []struct {
		thread                []refund.ThreadMessage
		questions, unanswered int
	}{
		{nil, 0, 0},
		{[]refund.ThreadMessage{c, c}, 2, 2},
		{[]refund.ThreadMessage{c, s}, 1, 0},
		{[]refund.ThreadMessage{c, s, c}, 2, 1},
		{[]refund.ThreadMessage{s}, 0, 0},
	}
	for i, tt := range tests {
		got := refund.Summarize(tt.thread)
		if got.Questions != tt.questions || got.Unanswered != tt.unanswered {
			t.Errorf("%d: Summarize = %+v, want %d questions, %d unanswered", i, got, tt.questions, tt.unanswered)
		}
	}
}
