package web

import (
	"strings"
	"testing"
	"time"

	"refundflow/refund"
)

// The status page's questions: the thread in order, every message as text, and the form with the
// status code and the limits.
func TestStatusPageQuestions(t *testing.T) {
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	at := time.Date(2025, 3, 3, 14, 5, 0, 0, time.UTC)
	p := StatusPage{Request: refund.Request{ID: "REQ-1", Status: refund.StatusInReview}, Questions: Questions{
		Thread: []ThreadEntry{{At: at, Text: "first " + evil}, {At: at.Add(time.Hour), FromStaff: true, Text: "answer\nline two"}},
		Action: "/requests/REQ-1/questions", StatusCode: "code-123", Sent: true, MaxRunes: 2000, PerDay: 5,
	}}
	out, doc := render(t, p)
	if strings.Contains(out, "<script>alert") || strings.Contains(out, "<img src=x") {
		t.Fatalf("a message reached the page as markup:\n%s", out)
	}
	items := elements(byID(doc, "questions"), "li")
	if len(items) != 2 || !strings.Contains(text(items[0]), "You") || !strings.Contains(text(items[0]), "first "+evil) ||
		!strings.Contains(text(items[1]), "Our team") || !strings.Contains(text(items[1]), "answer\nline two") {
		t.Fatalf("thread = %d items: %q", len(items), func() []string {
			var s []string
			for _, it := range items {
				s = append(s, text(it))
			}
			return s
		}())
	}
	var form = elements(byID(doc, "questions"), "form")
	if len(form) != 1 {
		t.Fatalf("%d question forms, want 1", len(form))
	}
	if act, _ := attr(form[0], "action"); act != "/requests/REQ-1/questions" {
		t.Errorf("form action = %q", act)
	}
	fields := map[string]string{}
	for _, in := range elements(form[0], "input") {
		n, _ := attr(in, "name")
		v, _ := attr(in, "value")
		fields[n] = v
	}
	if fields["t"] != "code-123" {
		t.Errorf("hidden fields = %v, want t", fields)
	}
	ta := byID(doc, "question-message")
	if ml, _ := attr(ta, "maxlength"); ml != "2000" {
		t.Errorf("textarea maxlength = %q", ml)
	}
	if !strings.Contains(text(byID(doc, "questions")), "Your message was sent.") || !strings.Contains(text(byID(doc, "question-hint")), "up to 5 messages a day") {
		t.Errorf("questions section = %q", text(byID(doc, "questions")))
	}
}
