package handler_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/handler"
	"refundflow/refund"
)

func (f *httpFixture) feedbackHandler() handler.Feedback {
	return handler.Feedback{Store: f.store, CrossOrigin: f.origins}
}

// feedbackLink gives a seeded request a feedback link, as the outcome email does.
func (f *httpFixture) feedbackLink(s *seeded, expires time.Time) {
	f.t.Helper()
	s.feedbackCode = newCode(f.t)
	l := refund.LinkCode{Hash: refund.HashCode(s.feedbackCode), RequestID: s.id, Purpose: refund.LinkFeedback, ExpiresAt: expires}
	if err := f.store.PutLinkCode(context.Background(), l); err != nil {
		f.t.Fatal(err)
	}
}

func feedbackEvent(t testing.TB, name, code string, form url.Values) events.APIGatewayV2HTTPRequest {
	ev := loadEvent(t, name)
	setPath(&ev, "/feedback/"+code, map[string]string{"code": code})
	if form != nil {
		setForm(&ev, form)
	}
	return ev
}

func TestFeedbackOnce(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusSubmitted, false)
	f.feedbackLink(&s, httpT0.Add(30*24*time.Hour))
	h := f.feedbackHandler()

	page := mustCall(t, h, feedbackEvent(t, "get-feedback.json", s.feedbackCode, nil))
	wantStatus(t, page, http.StatusOK)
	if !strings.Contains(page.Body, "How did we do?") {
		t.Fatal("no feedback form")
	}

	resp := mustCall(t, h, feedbackEvent(t, "post-feedback.json", s.feedbackCode, url.Values{
		"rating": {"4"}, "comment": {"Quick and <b>clear</b>.\r\nThanks."},
	}))
	wantStatus(t, resp, http.StatusSeeOther)
	if got, want := resp.Headers["Location"], "/feedback/"+s.feedbackCode; got != want {
		t.Errorf("Location = %q", got)
	}
	fb, err := f.store.GetFeedback(context.Background(), s.id)
	if err != nil || fb.Rating != 4 || fb.Comment != "Quick and <b>clear</b>.\nThanks." {
		t.Fatalf("feedback = %+v, %v", fb, err)
	}

	// A second answer is not stored; both the GET and the POST show the thank-you page.
	resp = mustCall(t, h, feedbackEvent(t, "post-feedback.json", s.feedbackCode, url.Values{"rating": {"1"}}))
	wantStatus(t, resp, http.StatusSeeOther)
	if fb2, _ := f.store.GetFeedback(context.Background(), s.id); fb2.Rating != 4 {
		t.Errorf("second answer replaced the first: %+v", fb2)
	}
	done := mustCall(t, h, feedbackEvent(t, "get-feedback.json", s.feedbackCode, nil))
	wantStatus(t, done, http.StatusOK)
	if !strings.Contains(done.Body, "Thank you for your feedback") {
		t.Error("no thank-you page")
	}
	actions := strings.Join(f.auditActions(s.id), " ")
	if strings.Count(actions, "feedback_given") != 1 || !strings.Contains(actions, "viewed") {
		t.Errorf("audit = %s", actions)
	}
}

func TestFeedbackRefusals(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusSubmitted, false)
	f.feedbackLink(&s, httpT0.Add(30*24*time.Hour))
	h := f.feedbackHandler()

	for _, tc := range []struct {
		name      string
		crossSite bool
		form      url.Values
		status    int
		want      string
	}{
		{"no rating", false, url.Values{"comment": {"<script>x</script>"}}, http.StatusBadRequest, "&lt;script&gt;x&lt;/script&gt;"},
		{"rating 6", false, url.Values{"rating": {"6"}}, http.StatusBadRequest, "Choose a rating from 1 to 5."},
		{"posted from another website", true, url.Values{"rating": {"5"}}, http.StatusForbidden, "sent from another website"},
	} {
		ev := feedbackEvent(t, "post-feedback.json", s.feedbackCode, tc.form)
		if tc.crossSite {
			ev = crossSite(ev)
		}
		resp := mustCall(t, h, ev)
		if resp.StatusCode != tc.status || !strings.Contains(resp.Body, tc.want) {
			t.Errorf("%s: status %d (want %d), body has %q: %v", tc.name, resp.StatusCode, tc.status, tc.want, strings.Contains(resp.Body, tc.want))
		}
		if strings.Contains(resp.Body, "<script>") {
			t.Errorf("%s: raw script in the page", tc.name)
		}
	}
	if _, err := f.store.GetFeedback(context.Background(), s.id); refund.ErrorCode(err) != refund.CodeNotFound {
		t.Errorf("refused posts stored feedback: %v", err)
	}

	wantStatus(t, mustCall(t, h, feedbackEvent(t, "get-feedback.json", newCode(t), nil)), http.StatusNotFound)
	wantStatus(t, mustCall(t, h, feedbackEvent(t, "get-feedback.json", s.statusCode, nil)), http.StatusNotFound)
	old := f.seed(refund.StatusSubmitted, false)
	f.feedbackLink(&old, httpT0.Add(-time.Hour))
	resp := mustCall(t, h, feedbackEvent(t, "get-feedback.json", old.feedbackCode, nil))
	wantStatus(t, resp, http.StatusGone)
	if !strings.Contains(resp.Body, "The time for feedback on this request has passed") {
		t.Error("expired feedback link page")
	}
}
