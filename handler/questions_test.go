package handler_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/handler"
	"refundflow/mail"
	"refundflow/refund"
)

// questionEvent is a post of the status page's question form (or, with asJSON, the same as JSON).
func questionEvent(t testing.TB, id, code, message string, asJSON bool) events.APIGatewayV2HTTPRequest {
	ev := loadEvent(t, "post-withdraw.json")
	setPath(&ev, "/requests/"+id+"/questions", map[string]string{"id": id})
	ev.RouteKey = "POST /requests/{id}/questions"
	ev.RequestContext.RouteKey = ev.RouteKey
	if asJSON {
		setJSON(t, &ev, handler.QuestionBody{T: code, Message: message})
		ev.Headers["accept"] = "application/json"
	} else {
		setForm(&ev, url.Values{"t": {code}, "message": {message}})
	}
	return ev
}

func replyEvent(t testing.TB, id string, body handler.ReplyBody) events.APIGatewayV2HTTPRequest {
	ev := staffEvent(t, "staff-review.json", "/staff/api/requests/"+id+"/replies", map[string]string{"id": id}, body)
	ev.RouteKey = "POST /staff/api/requests/{id}/replies"
	ev.RequestContext.RouteKey = ev.RouteKey
	return ev
}

// staffWithMail is the staff API with an outbox for its reply emails.
func (f *httpFixture) staffWithMail() (handler.StaffApi, *fakeSender) {
	h := f.staffHandler()
	sender := &fakeSender{}
	links, _ := mail.NewLinks("https://refunds.example.com")
	h.Emails = handler.Emails{Store: f.store, Delivery: handler.RenderAndSend{Renderer: &mail.Renderer{Links: links, Company: "Northwind"}, Sender: sender}}
	return h, sender
}

const scriptQuestion = `<script>alert("x")</script> When does my money arrive?`

func TestQuestionsAndReplyOverHTTP(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusAwaitingConsent, false)
	status := f.statusHandler()

	// The form: back to the status page, at the thread, which shows the question as text.
	resp := mustCall(t, status, questionEvent(t, s.id, s.statusCode, scriptQuestion, false))
	wantStatus(t, resp, http.StatusSeeOther)
	loc, err := url.Parse(resp.Headers["Location"])
	if err != nil || loc.Path != "/requests/"+s.id || loc.Query().Get("t") != s.statusCode || loc.Fragment != "questions" {
		t.Fatalf("redirect to %q, want the status page at #questions", resp.Headers["Location"])
	}
	ev := statusEvent(t, s.id, s.statusCode, false)
	setQuery(&ev, loc.Query())
	page := mustCall(t, status, ev)
	wantStatus(t, page, http.StatusOK)
	if strings.Contains(page.Body, `<script>alert`) || !strings.Contains(page.Body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; When does my money arrive?`) {
		t.Errorf("status page does not show the question escaped:\n%s", page.Body)
	}
	if !strings.Contains(page.Body, "Your message was sent.") {
		t.Error("status page does not confirm the message after the redirect")
	}

	// JSON: 201 with the thread; the day's limit is five, the sixth is 429 saying when.
	for i := 2; i <= refund.QuestionsPerDay; i++ {
		resp := mustCall(t, status, questionEvent(t, s.id, s.statusCode, "question "+string(rune('0'+i)), true))
		wantStatus(t, resp, http.StatusCreated)
		var v handler.StatusView
		if err := json.Unmarshal([]byte(resp.Body), &v); err != nil {
			t.Fatal(err)
		}
		if got, want := len(v.Thread), i; got != want {
			t.Fatalf("thread after question %d has %d messages, want %d", i, got, want)
		}
		if v.Thread[0].Text != scriptQuestion || v.Thread[0].From != refund.FromClient {
			t.Errorf("thread starts with %+v, want the first question as sent", v.Thread[0])
		}
	}
	resp = mustCall(t, status, questionEvent(t, s.id, s.statusCode, "one too many", true))
	wantStatus(t, resp, http.StatusTooManyRequests)
	if resp.Headers["Retry-After"] == "" || !strings.Contains(resp.Body, "You can write again from") || !strings.Contains(resp.Body, `"code":"too_many_requests"`) {
		t.Errorf("429 without Retry-After or without saying when: %v %s", resp.Headers, resp.Body)
	}
	resp = mustCall(t, status, questionEvent(t, s.id, s.statusCode, "one too many", false))
	wantStatus(t, resp, http.StatusTooManyRequests)
	if !strings.Contains(resp.Body, "You can write again from") {
		t.Errorf("the 429 page does not say when:\n%s", resp.Body)
	}

	// Staff see the thread and the count, in the detail and in the queue.
	staff, sender := f.staffWithMail()
	var d handler.RequestDetail
	resp = mustCall(t, staff, staffEvent(t, "staff-get-request.json", "/staff/api/requests/"+s.id, map[string]string{"id": s.id}, nil))
	wantStatus(t, resp, http.StatusOK)
	if err := json.Unmarshal([]byte(resp.Body), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Thread) != refund.QuestionsPerDay || d.Questions.Unanswered != refund.QuestionsPerDay {
		t.Errorf("staff detail: %d messages, %d unanswered; want %d of each", len(d.Thread), d.Questions.Unanswered, refund.QuestionsPerDay)
	}
	list := func() handler.RequestList {
		t.Helper()
		ev := staffEvent(t, "staff-list-requests.json", "/staff/api/requests", nil, nil)
		setQuery(&ev, url.Values{"status": {string(refund.StatusAwaitingConsent)}})
		resp := mustCall(t, staff, ev)
		wantStatus(t, resp, http.StatusOK)
		var l handler.RequestList
		if err := json.Unmarshal([]byte(resp.Body), &l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	if got, want := list().Unanswered[s.id], refund.QuestionsPerDay; got != want {
		t.Errorf("queue counts %d unanswered for the request, want %d", got, want)
	}

	// A reply needs a note; with one it is stored, emailed to the order's email and shown.
	resp = mustCall(t, staff, replyEvent(t, s.id, handler.ReplyBody{Message: "Within 5 days."}))
	wantStatus(t, resp, http.StatusBadRequest)
	resp = mustCall(t, staff, replyEvent(t, s.id, handler.ReplyBody{Message: "Within 5 days.\n<b>Promise</b>", Note: "checked the ledger"}))
	wantStatus(t, resp, http.StatusCreated)
	var r handler.ReplyResult
	if err := json.Unmarshal([]byte(resp.Body), &r); err != nil {
		t.Fatal(err)
	}
	if !r.Emailed || len(r.Thread) != refund.QuestionsPerDay+1 || r.Thread[len(r.Thread)-1].From != refund.FromStaff {
		t.Errorf("reply result %+v, want emailed and last in the thread", r)
	}
	if len(sender.msgs) != 1 {
		t.Fatalf("%d emails sent, want the reply", len(sender.msgs))
	}
	m := sender.msgs[0]
	if m.Kind != mail.KindReply || len(m.To) != 1 || m.To[0] != s.order.Email || !strings.Contains(m.Text, "<b>Promise</b>") ||
		strings.Contains(m.HTML, "<b>Promise") || !strings.Contains(m.HTML, "&lt;b&gt;Promise") {
		t.Errorf("reply email to %v (%s):\n%s\n%s", m.To, m.Kind, m.Text, m.HTML)
	}
	if _, ok := list().Unanswered[s.id]; ok {
		t.Error("the queue still counts the request's questions after the reply")
	}
	// The case page lists the reply email: its kind and subject as sent, never its recipient.
	resp = mustCall(t, staff, staffEvent(t, "staff-get-request.json", "/staff/api/requests/"+s.id, map[string]string{"id": s.id}, nil))
	wantStatus(t, resp, http.StatusOK)
	var emails struct {
		Emails []map[string]any `json:"emails"`
	}
	decodeJSON(t, resp, &emails)
	if len(emails.Emails) != 1 || emails.Emails[0]["kind"] != string(mail.KindReply) || emails.Emails[0]["subject"] != m.Subject ||
		emails.Emails[0]["sent_at"] == "" || len(emails.Emails[0]) != 3 {
		t.Errorf("detail emails = %v, want the reply (kind, subject %q, sent_at)", emails.Emails, m.Subject)
	}
	page = mustCall(t, status, statusEvent(t, s.id, s.statusCode, false))
	if !strings.Contains(page.Body, "Our team") || !strings.Contains(page.Body, "&lt;b&gt;Promise&lt;/b&gt;") {
		t.Errorf("status page does not show the reply as text:\n%s", page.Body)
	}
	var replyAudit int
	for _, a := range f.auditActions(s.id) {
		if a == refund.ActionReply {
			replyAudit++
		}
	}
	if replyAudit != 1 {
		t.Errorf("audit has %d reply entries, want 1: %v", replyAudit, f.auditActions(s.id))
	}
}

func TestQuestionRefusals(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusAwaitingConsent, false)
	status := f.statusHandler()
	for _, tc := range []struct {
		name string
		ev   events.APIGatewayV2HTTPRequest
		want int
	}{
		{"wrong code", questionEvent(t, s.id, otherCode(s.statusCode), "hello", true), http.StatusNotFound},
		{"no code", questionEvent(t, s.id, "", "hello", true), http.StatusNotFound},
		{"empty", questionEvent(t, s.id, s.statusCode, "  \n ", true), http.StatusBadRequest},
		{"too long", questionEvent(t, s.id, s.statusCode, strings.Repeat("a", refund.MaxMessageRunes+1), true), http.StatusBadRequest},
		{"from another website", crossSite(questionEvent(t, s.id, s.statusCode, "hello", false)), http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantStatus(t, mustCall(t, status, tc.ev), tc.want)
		})
	}
	thread, err := f.store.ListThread(t.Context(), s.id)
	if err != nil || len(thread) != 0 {
		t.Errorf("refused questions stored %d messages (%v)", len(thread), err)
	}
}

// otherCode returns a code that differs from code in its first character (a random code may already
// start with any letter, so a fixed replacement could give the same code back).
func otherCode(code string) string {
	if strings.HasPrefix(code, "x") {
		return "y" + code[1:]
	}
	return "x" + code[1:]
}
