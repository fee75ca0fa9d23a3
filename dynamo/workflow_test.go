package dynamo_test

import (
	"strings"
	"testing"
	"time"

	"refundflow/dynamo/dynamotest"
	"refundflow/refund"
)

// actions lists the audit trail of a request as "action:from>to".
func (e *env) actions(id string) string {
	e.t.Helper()
	entries, err := e.s.ListAudit(e.ctx, id)
	must(e.t, err)
	parts := make([]string, len(entries))
	for i, en := range entries {
		parts[i] = en.Action
		if en.From != "" || en.To != "" {
			parts[i] += ":" + string(en.From) + ">" + string(en.To)
		}
	}
	return strings.Join(parts, " ")
}

func TestCreateRequest(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		req, statusCode := e.createSubmitted("req-1", "RF-1")

		got, err := e.s.GetRequest(e.ctx, "req-1")
		must(t, err)
		if got.Status != refund.StatusSubmitted || got.Version != 1 || got.Submission.Email != "ada@example.com" || got.OrderNumber != "RF-1" {
			t.Errorf("stored request = %+v", got)
		}
		link, err := e.s.LookupLinkCode(e.ctx, refund.HashCode(statusCode), refund.LinkStatus)
		must(t, err)
		if link.RequestID != "req-1" {
			t.Errorf("status link belongs to %q", link.RequestID)
		}
		if got, want := e.actions("req-1"), "submitted:>submitted"; got != want {
			t.Errorf("audit = %q, want %q", got, want)
		}
		entries, err := e.s.ListAudit(e.ctx, "req-1")
		must(t, err)
		if entries[0].IP != "203.0.113.7" || entries[0].Actor != refund.ActorClient {
			t.Errorf("audit entry = %+v, want the client's IP", entries[0])
		}
		page, _, err := e.s.ListRequestsByStatus(e.ctx, refund.StatusSubmitted, 0, "")
		must(t, err)
		if len(page) != 1 || page[0].ID != "req-1" {
			t.Errorf("submitted list = %+v", page)
		}

		// One open request per order, whatever the case of the number.
		req2, sub2 := testRequest(t, "req-2", "rf-1")
		_, l2 := linkFor("req-2", refund.LinkStatus, time.Time{})
		err = e.s.CreateRequest(e.ctx, req2, sub2, l2, clientAudit())
		wantCode(t, err, refund.CodeConflict, "already an open request for order RF-1")
		if _, err := e.s.GetRequest(e.ctx, "req-2"); refund.ErrorCode(err) != refund.CodeNotFound {
			t.Errorf("the refused request was stored anyway: %v", err)
		}
		if _, err := e.s.LookupLinkCode(e.ctx, l2.Hash, refund.LinkStatus); refund.ErrorCode(err) != refund.CodeNotFound {
			t.Errorf("the refused request's link was stored anyway: %v", err)
		}

		// The same ID again is refused too.
		_, l3 := linkFor("req-1", refund.LinkStatus, time.Time{})
		req1b, sub1b := testRequest(t, "req-1", "RF-OTHER")
		wantCode(t, e.s.CreateRequest(e.ctx, req1b, sub1b, l3, clientAudit()), refund.CodeConflict, "already exists")

		if open, err := e.s.OpenRequestID(e.ctx, "rf-1"); err != nil || open != "req-1" {
			t.Errorf("OpenRequestID = %q, %v; want req-1", open, err)
		}

		// A terminal status releases the lock: the client may ask again.
		e.clock.Advance(time.Second)
		must(t, e.s.Transition(e.ctx, "req-1", refund.StatusSubmitted, refund.StatusWithdrawn, req.Version, clientAudit()))
		if open, err := e.s.OpenRequestID(e.ctx, "RF-1"); err != nil || open != "" {
			t.Errorf("OpenRequestID after withdrawal = %q, %v; want none", open, err)
		}
		must(t, e.s.CreateRequest(e.ctx, req2, sub2, l2, clientAudit()))

		// Bad input never reaches the table.
		bad, badSub := testRequest(t, "req-3", "RF-3")
		bad.Status = refund.StatusExecuting
		if err := e.s.CreateRequest(e.ctx, bad, badSub, l3, clientAudit()); err == nil {
			t.Error("CreateRequest accepted a request that is not submitted")
		}
		bad, badSub = testRequest(t, "req#3", "RF-3")
		wantCode(t, e.s.CreateRequest(e.ctx, bad, badSub, l3, clientAudit()), refund.CodeInvalid, "")
	})
}

func TestTransition(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		e.createSubmitted("req-1", "RF-1")

		v := refund.Verification{OK: true, PolicyVersion: "p1", Findings: []refund.Finding{{Code: refund.FindingOK, Passed: true}}}
		e.clock.Advance(time.Minute)
		must(t, e.s.Transition(e.ctx, "req-1", refund.StatusSubmitted, refund.StatusInReview, 1, systemAudit("ProposeResolution"),
			refund.WithVerification(v), refund.WithPolicyVersion("p1")))
		got, err := e.s.GetRequest(e.ctx, "req-1")
		must(t, err)
		if got.Status != refund.StatusInReview || got.Version != 2 || got.PolicyVersion != "p1" || got.Verification == nil || !got.UpdatedAt.Equal(start.Add(time.Minute)) {
			t.Errorf("after transition: %+v", got)
		}
		for status, want := range map[refund.Status]int{refund.StatusSubmitted: 0, refund.StatusInReview: 1} {
			page, _, err := e.s.ListRequestsByStatus(e.ctx, status, 0, "")
			must(t, err)
			if len(page) != want {
				t.Errorf("%d requests listed as %s, want %d", len(page), status, want)
			}
		}

		// Stale version, wrong status, disallowed move, unknown request.
		err = e.s.Transition(e.ctx, "req-1", refund.StatusInReview, refund.StatusAwaitingConsent, 1, systemAudit("StaffApi"))
		wantCode(t, err, refund.CodeConflict, "version 2, not 1")
		err = e.s.Transition(e.ctx, "req-1", refund.StatusSubmitted, refund.StatusRejected, 2, systemAudit("VerifyConditions"))
		wantCode(t, err, refund.CodeConflict, "in_review now")
		err = e.s.Transition(e.ctx, "req-1", refund.StatusInReview, refund.StatusCompleted, 2, systemAudit("x"))
		wantCode(t, err, refund.CodeConflict, "cannot become completed")
		err = e.s.Transition(e.ctx, "req-x", refund.StatusSubmitted, refund.StatusInReview, 1, systemAudit("x"))
		wantCode(t, err, refund.CodeNotFound, "")
		err = e.s.Transition(e.ctx, "req-x", refund.StatusSubmitted, refund.StatusWithdrawn, 1, systemAudit("x"))
		wantCode(t, err, refund.CodeNotFound, "")
		err = e.s.Transition(e.ctx, "req-1", refund.StatusInReview, refund.StatusReviewRejected, 2, systemAudit("x"),
			refund.WithReviewMessage(strings.Repeat("m", refund.MaxDetailsRunes+1)))
		wantCode(t, err, refund.CodeInvalid, "")

		// Staff reject with a message: terminal, lock released, message stored.
		e.clock.Advance(time.Minute)
		must(t, e.s.Transition(e.ctx, "req-1", refund.StatusInReview, refund.StatusReviewRejected, 2,
			refund.AuditEntry{Actor: refund.StaffActor("s-1"), Detail: "outside policy"}, refund.WithReviewMessage("We cannot offer a refund.")))
		got, err = e.s.GetRequest(e.ctx, "req-1")
		must(t, err)
		if got.Status != refund.StatusReviewRejected || got.ReviewMessage != "We cannot offer a refund." || got.Version != 3 {
			t.Errorf("after review rejection: %+v", got)
		}
		// Terminal states are final.
		err = e.s.Transition(e.ctx, "req-1", refund.StatusReviewRejected, refund.StatusInReview, 3, systemAudit("x"))
		wantCode(t, err, refund.CodeConflict, "")

		if got, want := e.actions("req-1"), "submitted:>submitted status_changed:submitted>in_review status_changed:in_review>review_rejected"; got != want {
			t.Errorf("audit = %q, want %q", got, want)
		}
		// The lock is gone: a new request for the order is accepted.
		e.createSubmitted("req-2", "RF-1")
	})
}

func TestRecordConsent(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		req, offers, consentCode := e.awaitingConsent("req-1", "RF-1")

		_, err := e.s.GetConsent(e.ctx, "req-1")
		wantCode(t, err, refund.CodeNotFound, "")

		// Unknown offer, wrong link, stale version: nothing is recorded.
		unknown := acceptance(req, offers[0], consentCode)
		unknown.OfferID = "req-1-9-nope"
		wantCode(t, e.s.RecordConsent(e.ctx, unknown, req.Version, clientAudit()), refund.CodeNotFound, "offer you chose")
		wrongLink := acceptance(req, offers[0], "not-a-code-we-sent")
		wantCode(t, e.s.RecordConsent(e.ctx, wrongLink, req.Version, clientAudit()), refund.CodeNotFound, "link is not valid")
		wantCode(t, e.s.RecordConsent(e.ctx, acceptance(req, offers[0], consentCode), req.Version-1, clientAudit()), refund.CodeConflict, "changed while you were deciding")
		noName := acceptance(req, offers[0], consentCode)
		noName.TypedName = ""
		wantCode(t, e.s.RecordConsent(e.ctx, noName, req.Version, clientAudit()), refund.CodeInvalid, "")

		e.clock.Advance(time.Hour)
		c := acceptance(req, offers[1], consentCode)
		must(t, e.s.RecordConsent(e.ctx, c, req.Version, clientAudit()))

		got, err := e.s.GetConsent(e.ctx, "req-1")
		must(t, err)
		c.At = start.Add(time.Hour)
		if got != c {
			t.Errorf("GetConsent = %+v, want %+v", got, c)
		}
		if got.OfferHash != refund.AgreementHash(offers[1], c.AgreementText) {
			t.Error("stored hash does not match the offer and text")
		}
		rec, err := e.s.GetRequest(e.ctx, "req-1")
		must(t, err)
		if rec.Status != refund.StatusExecuting || rec.Version != 3 {
			t.Errorf("request after consent: %s v%d, want executing v3", rec.Status, rec.Version)
		}
		link, err := e.s.LookupLinkCode(e.ctx, refund.HashCode(consentCode), refund.LinkConsent)
		must(t, err)
		if !link.UsedAt.Equal(start.Add(time.Hour)) {
			t.Errorf("link used at %v, want %v", link.UsedAt, start.Add(time.Hour))
		}
		if got, want := e.actions("req-1"), "submitted:>submitted status_changed:submitted>awaiting_consent consent_accepted:awaiting_consent>executing"; got != want {
			t.Errorf("audit = %q, want %q", got, want)
		}

		// A double submit, and a decision through a second (reminder) code, are both "already recorded".
		wantCode(t, e.s.RecordConsent(e.ctx, c, req.Version, clientAudit()), refund.CodeConflict, "already been recorded")
		second, link2 := linkFor("req-1", refund.LinkConsent, start.Add(14*24*time.Hour))
		must(t, e.s.PutLinkCode(e.ctx, link2))
		decline := refund.Consent{RequestID: "req-1", Decision: refund.DecisionDecline, LinkHash: refund.HashCode(second)}
		wantCode(t, e.s.RecordConsent(e.ctx, decline, 3, clientAudit()), refund.CodeConflict, "already been recorded")
	})
}

func TestDeclineAndExpiry(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)

		// Decline: terminal, lock released, reason kept.
		req, _, code1 := e.awaitingConsent("req-1", "RF-1")
		decline := refund.Consent{RequestID: "req-1", Decision: refund.DecisionDecline, DeclineReason: "Too little.", LinkHash: refund.HashCode(code1)}
		must(t, e.s.RecordConsent(e.ctx, decline, req.Version, clientAudit()))
		rec, err := e.s.GetRequest(e.ctx, "req-1")
		must(t, err)
		if rec.Status != refund.StatusDeclined {
			t.Errorf("status after decline = %s", rec.Status)
		}
		got, err := e.s.GetConsent(e.ctx, "req-1")
		must(t, err)
		if got.Decision != refund.DecisionDecline || got.DeclineReason != "Too little." {
			t.Errorf("consent = %+v", got)
		}
		e.createSubmitted("req-1b", "RF-1") // lock released

		// An expired link is Gone, even though TTL has not deleted it.
		req2, offers2, code2 := e.awaitingConsent("req-2", "RF-2")
		e.clock.Advance(7 * 24 * time.Hour)
		wantCode(t, e.s.RecordConsent(e.ctx, acceptance(req2, offers2[0], code2), req2.Version, clientAudit()), refund.CodeGone, "expired")

		// An expired request is Gone; a withdrawn one too.
		req3, offers3, code3 := e.awaitingConsent("req-3", "RF-3")
		must(t, e.s.Transition(e.ctx, "req-3", refund.StatusAwaitingConsent, refund.StatusExpired, req3.Version, systemAudit("RequestConsent")))
		wantCode(t, e.s.RecordConsent(e.ctx, acceptance(req3, offers3[0], code3), req3.Version, clientAudit()), refund.CodeGone, "offer expired")
		req4, offers4, code4 := e.awaitingConsent("req-4", "RF-4")
		must(t, e.s.Transition(e.ctx, "req-4", refund.StatusAwaitingConsent, refund.StatusWithdrawn, req4.Version, clientAudit()))
		wantCode(t, e.s.RecordConsent(e.ctx, acceptance(req4, offers4[0], code4), req4.Version, clientAudit()), refund.CodeGone, "withdrawn")

		// A consent code of another request, or a status code, does not work.
		req5, offers5, _ := e.awaitingConsent("req-5", "RF-5")
		_, code6 := e.createSubmitted("req-6", "RF-6")
		wantCode(t, e.s.RecordConsent(e.ctx, acceptance(req5, offers5[0], code4), req5.Version, clientAudit()), refund.CodeNotFound, "")
		wantCode(t, e.s.RecordConsent(e.ctx, acceptance(req5, offers5[0], code6), req5.Version, clientAudit()), refund.CodeNotFound, "")
	})
}
