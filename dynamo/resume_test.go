package dynamo_test

import (
	"testing"
	"time"

	"refundflow/dynamo/dynamotest"
	"refundflow/refund"
)

// pending lists the ids and outcomes of the markers recorded before `before`, page by page.
func (e *env) pending(before time.Time, limit int) []string {
	e.t.Helper()
	var out []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			e.t.Fatal("more than 100 pages of resume markers")
		}
		page, next, err := e.s.PendingResumes(e.ctx, before, limit, cursor)
		must(e.t, err)
		for _, m := range page {
			out = append(out, m.RequestID+"="+m.Outcome)
		}
		if next == "" {
			return out
		}
		cursor = next
	}
}

func TestResumeMarkers(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)

		// A consent records its marker in its own transaction.
		req, offers, consentCode := e.awaitingConsent("req-1", "RF-1")
		recorded := e.clock.Now()
		must(t, e.s.RecordConsent(e.ctx, acceptance(req, offers[0], consentCode), req.Version, clientAudit()))
		m, pending, err := e.s.GetResume(e.ctx, "req-1")
		must(t, err)
		if !pending || m.Outcome != "accepted" || m.RequestID != "req-1" || !m.RecordedAt.Equal(recorded) {
			t.Fatalf("marker after consent = %+v (pending %v), want accepted at %s", m, pending, recorded)
		}

		// A withdrawal and a staff approval record theirs; the approval requires in_review.
		e.clock.Advance(time.Minute)
		e.createSubmitted("req-2", "RF-2")
		must(t, e.s.Transition(e.ctx, "req-2", refund.StatusSubmitted, refund.StatusWithdrawn, 1, clientAudit(), refund.WithResume("withdrawn")))
		e.clock.Advance(time.Minute)
		e.createSubmitted("req-3", "RF-3")
		approval := refund.AuditEntry{Actor: refund.StaffActor("s-1"), Action: "review_approved"}
		err = e.s.Decide(e.ctx, "req-3", refund.StatusInReview, 1, approval, refund.WithResume("approved"))
		wantCode(t, err, refund.CodeConflict, "submitted now")
		must(t, e.s.Transition(e.ctx, "req-3", refund.StatusSubmitted, refund.StatusInReview, 1, systemAudit("ProposeResolution")))
		must(t, e.s.Decide(e.ctx, "req-3", refund.StatusInReview, 2, approval, refund.WithResume("approved")))
		if got, want := e.actions("req-3"), "submitted:>submitted status_changed:submitted>in_review review_approved"; got != want {
			t.Errorf("audit = %q, want %q (the refused approval wrote nothing)", got, want)
		}
		if err := e.s.Decide(e.ctx, "req-3", refund.StatusInReview, 3, approval, refund.WithResume("Approved!")); err == nil {
			t.Error("an outcome that is no word was stored")
		}

		// The sweeper's listing: oldest first, only before the cutoff, in pages.
		now := e.clock.Now()
		for _, tc := range []struct {
			before time.Time
			limit  int
			want   string
		}{
			{now.Add(time.Nanosecond), 0, "req-1=accepted req-2=withdrawn req-3=approved"},
			{now.Add(time.Nanosecond), 1, "req-1=accepted req-2=withdrawn req-3=approved"},
			{now, 2, "req-1=accepted req-2=withdrawn"},
			{recorded, 0, ""},
		} {
			if got := join(e.pending(tc.before, tc.limit)); got != tc.want {
				t.Errorf("pending before %s (limit %d) = %q, want %q", tc.before.Format(time.TimeOnly), tc.limit, got, tc.want)
			}
		}
		if _, _, err := e.s.PendingResumes(e.ctx, now, 1001, ""); code(err) != refund.CodeInvalid {
			t.Errorf("limit 1001: %v, want invalid", err)
		}
		if _, _, err := e.s.PendingResumes(e.ctx, now, 1, b64(`{"GSI1PK":"STATUS#submitted","GSI1SK":"x","PK":"x","SK":"x"}`)); code(err) != refund.CodeInvalid {
			t.Errorf("a cursor of another listing: %v, want invalid", err)
		}

		// Clearing: only the pending marker with that outcome, once.
		for _, tc := range []struct {
			id, outcome string
			want        bool
		}{
			{"req-1", "declined", false},
			{"req-1", "accepted", true},
			{"req-1", "accepted", false},
			{"req-9", "accepted", false},
		} {
			got, err := e.s.ClearResume(e.ctx, tc.id, tc.outcome)
			must(t, err)
			if got != tc.want {
				t.Errorf("ClearResume(%s, %s) = %v, want %v", tc.id, tc.outcome, got, tc.want)
			}
		}
		if _, pending, err := e.s.GetResume(e.ctx, "req-1"); err != nil || pending {
			t.Errorf("req-1 still pending (%v) after clearing", err)
		}
		if _, pending, err := e.s.GetResume(e.ctx, "req-9"); err != nil || pending {
			t.Errorf("ClearResume made a marker for an unknown request (%v)", err)
		}
		if got, want := join(e.pending(now.Add(time.Hour), 0)), "req-2=withdrawn req-3=approved"; got != want {
			t.Errorf("pending after clearing req-1 = %q, want %q", got, want)
		}

		// A newer decision replaces the marker; clearing the older outcome leaves the newer pending.
		e.clock.Advance(time.Minute)
		rec, _ := e.s.GetRequest(e.ctx, "req-3")
		must(t, e.s.Transition(e.ctx, "req-3", refund.StatusInReview, refund.StatusReviewRejected, rec.Version,
			refund.AuditEntry{Actor: refund.StaffActor("s-1")}, refund.WithResume("rejected")))
		if cleared, err := e.s.ClearResume(e.ctx, "req-3", "approved"); err != nil || cleared {
			t.Errorf("clearing the replaced approval: %v, %v", cleared, err)
		}
		if m, pending, err := e.s.GetResume(e.ctx, "req-3"); err != nil || !pending || m.Outcome != "rejected" {
			t.Errorf("req-3 marker = %+v pending %v (%v), want rejected pending", m, pending, err)
		}

		// The combined read.
		must(t, e.s.SetTaskToken(e.ctx, "req-1", refund.TokenConsent, "tok-1", refund.StatusExecuting))
		got, tok, err := e.s.GetRequestAndToken(e.ctx, "req-1")
		must(t, err)
		if got.Status != refund.StatusExecuting || tok.Token != "tok-1" || tok.Kind != refund.TokenConsent {
			t.Errorf("GetRequestAndToken = %s %+v", got.Status, tok)
		}
		_, _, err = e.s.GetRequestAndToken(e.ctx, "req-9")
		wantCode(t, err, refund.CodeNotFound, "")
	})
}

// join joins with spaces.
func join(parts []string) string {
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += " "
		}
		out += p
	}
	return out
}
