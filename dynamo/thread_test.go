package dynamo_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"refundflow/dynamo/dynamotest"
	"refundflow/refund"
)

func TestThreadQuestionsAndReplies(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		if !b.Transactions {
			// Each item on its own: dynalite validates every expression, name, value and size.
			e.s.SendTransactionsOneByOne()
		}
		e.createSubmitted("req-1", "RF-1")

		thread, err := e.s.ListThread(e.ctx, "req-1")
		must(t, err)
		sum, err := e.threadSummary("req-1")
		must(t, err)
		if len(thread) != 0 || sum.Questions != 0 || sum.Unanswered != 0 {
			t.Fatalf("before any message: thread %v, summary %+v; want none", thread, sum)
		}

		script := `<script>alert("x")</script> When does my refund arrive?`
		q1, err := e.s.AddQuestion(e.ctx, "req-1", script, clientAudit())
		must(t, err)
		e.clock.Advance(time.Minute)
		_, err = e.s.AddQuestion(e.ctx, "req-1", "And the invoice?", clientAudit())
		must(t, err)
		sum, err = e.threadSummary("req-1")
		must(t, err)
		if got, want := sum.Unanswered, 2; got != want {
			t.Errorf("unanswered after two questions = %d, want %d", got, want)
		}
		if got, want := sum.LastQuestionAt, start.Add(time.Minute); !got.Equal(want) {
			t.Errorf("last question at %v, want %v", got, want)
		}
		// minidyn answers no item to a GSI1 query once an order indexed by its payment (GSI1 =
		// PAYMENT#...) is in the table, whichever partition is asked for; the local DynamoDB and
		// dynalite answer as DynamoDB does, so the queue is checked on those.
		if b.Name != "minidyn" {
			queue, _, err := e.s.ListUnansweredThreads(e.ctx, 0, "")
			must(t, err)
			if len(queue) != 1 || queue[0].RequestID != "req-1" || queue[0].Unanswered != 2 {
				t.Errorf("queue = %+v, want req-1 with 2 unanswered", queue)
			}
		}

		e.clock.Advance(time.Minute)
		staff := refund.AuditEntry{Actor: refund.StaffActor("sub-1"), Detail: "reply: It arrives in 5 days.\nnote: checked the ledger"}
		_, err = e.s.AddReply(e.ctx, "req-1", "It arrives in 5 days.", staff)
		must(t, err)
		e.clock.Advance(time.Minute)
		_, err = e.s.AddQuestion(e.ctx, "req-1", "Thanks!", clientAudit())
		must(t, err)

		thread, err = e.s.ListThread(e.ctx, "req-1")
		must(t, err)
		var got []string
		for _, m := range thread {
			got = append(got, string(m.From)+":"+m.Text)
		}
		want := []string{"client:" + script, "client:And the invoice?", "staff:It arrives in 5 days.", "client:Thanks!"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("thread = %q, want %q", got, want)
		}
		if thread[0].ID != q1.ID || thread[2].Actor != refund.StaffActor("sub-1") {
			t.Errorf("stored messages %+v do not match what was written", thread)
		}
		sum, err = e.threadSummary("req-1")
		must(t, err)
		if sum.Questions != 3 || sum.Unanswered != 1 {
			t.Errorf("summary after a reply and one more question = %+v, want 3 questions, 1 unanswered", sum)
		}
		if got, want := refund.Summarize(thread), sum; got.Questions != want.Questions || got.Unanswered != want.Unanswered {
			t.Errorf("Summarize(thread) = %+v, store's summary %+v", got, want)
		}

		audit, err := e.s.ListAudit(e.ctx, "req-1")
		must(t, err)
		var actions []string
		for _, a := range audit {
			if a.Action == refund.ActionQuestion || a.Action == refund.ActionReply {
				actions = append(actions, a.Action)
			}
		}
		if got, want := strings.Join(actions, ","), "question,question,reply,question"; got != want {
			t.Errorf("audit actions = %s, want %s", got, want)
		}
	})
}

func TestThreadDailyLimit(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		if !b.Transactions {
			// The day's counter is the transaction's first item: a refused question fails there,
			// before anything is written, also when the items go one by one.
			e.s.SendTransactionsOneByOne()
		}
		e.createSubmitted("req-1", "RF-1")
		for i := range refund.QuestionsPerDay {
			_, err := e.s.AddQuestion(e.ctx, "req-1", fmt.Sprintf("question %d", i), clientAudit())
			must(t, err)
		}
		_, err := e.s.AddQuestion(e.ctx, "req-1", "one too many", clientAudit())
		wantCode(t, err, refund.CodeTooMany, "write again from 11 March 2025 at 00:00 UTC")
		if got, want := retryAfter(err), 12*time.Hour; got != want {
			t.Errorf("retry after %v, want %v (until midnight UTC)", got, want)
		}
		thread, err := e.s.ListThread(e.ctx, "req-1")
		must(t, err)
		if got, want := len(thread), refund.QuestionsPerDay; got != want {
			t.Errorf("%d messages stored, want %d", got, want)
		}
		// A staff reply does not count, and the next day the client can write again.
		_, err = e.s.AddReply(e.ctx, "req-1", "We are on it.", refund.AuditEntry{Actor: refund.StaffActor("s")})
		must(t, err)
		e.clock.Advance(12 * time.Hour)
		_, err = e.s.AddQuestion(e.ctx, "req-1", "next day", clientAudit())
		must(t, err)
		// Another request has its own limit.
		e.createSubmitted("req-2", "RF-2")
		_, err = e.s.AddQuestion(e.ctx, "req-2", "hello", clientAudit())
		must(t, err)
	})
}

func TestConcurrentQuestionsKeepTheLimit(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		e.createSubmitted("req-1", "RF-1")
		const n = 10
		errs := race(n, func(i int) error {
			_, err := e.s.AddQuestion(e.ctx, "req-1", fmt.Sprintf("question %d", i), clientAudit())
			return err
		})
		ok, codes := tally(errs)
		if ok != refund.QuestionsPerDay || codes[refund.CodeTooMany] != n-refund.QuestionsPerDay {
			t.Fatalf("%d stored, failures by code %v; want %d stored and %d too_many_requests", ok, codes, refund.QuestionsPerDay, n-refund.QuestionsPerDay)
		}
		thread, err := e.s.ListThread(e.ctx, "req-1")
		must(t, err)
		sum, err := e.threadSummary("req-1")
		must(t, err)
		if len(thread) != refund.QuestionsPerDay || sum.Unanswered != refund.QuestionsPerDay {
			t.Errorf("%d messages stored, %d counted unanswered; want %d", len(thread), sum.Unanswered, refund.QuestionsPerDay)
		}
	})
}

// retryAfter returns the RetryAfter of a *refund.Error in err.
func retryAfter(err error) time.Duration {
	if e, ok := err.(*refund.Error); ok {
		return e.RetryAfter
	}
	return 0
}

// TestThreadSummariesInBatches: the staff queue reads the thread counts of a page of requests at once
// (BatchGetItem, 100 keys a call): every request with a thread has its counts, one without has none,
// a key asked twice is answered once, and a page of more than 100 requests takes more than one call.
func TestThreadSummariesInBatches(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		if !b.Transactions {
			e.s.SendTransactionsOneByOne()
		}
		e.createSubmitted("req-1", "RF-1")
		e.createSubmitted("req-2", "RF-2")
		e.createSubmitted("req-3", "RF-3")
		for _, q := range []struct{ id, text string }{{"req-1", "Where is my refund?"}, {"req-3", "Is it sent?"}, {"req-3", "And the invoice?"}} {
			_, err := e.s.AddQuestion(e.ctx, q.id, q.text, clientAudit())
			must(t, err)
		}
		_, err := e.s.AddReply(e.ctx, "req-1", "It is on its way.", refund.AuditEntry{Actor: refund.StaffActor("sub-1"), Detail: "reply"})
		must(t, err)

		ids := []string{"req-1", "req-2", "req-3", "req-3"}
		for i := range 120 {
			ids = append(ids, fmt.Sprintf("req-none-%03d", i)) // no such request: more than one batch
		}
		got, err := e.s.ThreadSummaries(e.ctx, ids)
		must(t, err)
		if len(got) != 2 {
			t.Errorf("summaries of %d requests = %+v, want req-1 and req-3 only", len(ids), got)
		}
		if s := got["req-1"]; s.RequestID != "req-1" || s.Questions != 1 || s.Unanswered != 0 {
			t.Errorf("req-1 = %+v, want 1 question, answered", s)
		}
		if s := got["req-3"]; s.RequestID != "req-3" || s.Questions != 2 || s.Unanswered != 2 {
			t.Errorf("req-3 = %+v, want 2 questions, both unanswered", s)
		}
		if got, err := e.s.ThreadSummaries(e.ctx, nil); err != nil || len(got) != 0 {
			t.Errorf("no requests: %v, %v; want none", got, err)
		}
		if _, err := e.s.ThreadSummaries(e.ctx, []string{"req-1", ""}); code(err) != refund.CodeInvalid {
			t.Errorf("an empty id: %v, want invalid", err)
		}
	})
}

// threadSummary is the counts of one request's thread, read as the staff queue reads a page's
// (ThreadSummaries); zero for a request without a thread.
func (e *env) threadSummary(id string) (refund.ThreadSummary, error) {
	sums, err := e.s.ThreadSummaries(e.ctx, []string{id})
	return sums[id], err
}
