package dynamo_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"refundflow/dynamo"
	"refundflow/dynamo/dynamotest"
	"refundflow/refund"
)

// seed stores a request item directly (no transaction), for the read paths on every backend.
func (e *env) seed(id, number string, status refund.Status, updated time.Time) refund.Request {
	e.t.Helper()
	req, sub := testRequest(e.t, id, number)
	req.Status, req.UpdatedAt = status, updated
	must(e.t, e.s.SeedRequest(e.ctx, req, sub))
	return req
}

func TestGetRequest(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		req := e.seed("req-1", "RF-1", refund.StatusSubmitted, start)
		got, err := e.s.GetRequest(e.ctx, "req-1")
		must(t, err)
		if !reflect.DeepEqual(got.Request, req) {
			t.Errorf("GetRequest = %+v, want %+v", got.Request, req)
		}
		if want := testSubmission("RF-1").Normalize(); got.Submission != want {
			t.Errorf("submission = %+v, want the normalised form %+v", got.Submission, want)
		}
		if got.Verification != nil || got.OfferSet != 0 || got.TokenKind != "" {
			t.Errorf("new request has verification %v, offer set %d, token kind %q; want none", got.Verification, got.OfferSet, got.TokenKind)
		}

		_, err = e.s.GetRequest(e.ctx, "req-unknown")
		wantCode(t, err, refund.CodeNotFound, "req-unknown")
		_, err = e.s.GetRequest(e.ctx, "")
		wantCode(t, err, refund.CodeInvalid, "")

		v := refund.Verification{OK: true, PolicyVersion: "p1", Findings: []refund.Finding{{Code: refund.FindingOK, Message: "fine", Passed: true}}}
		must(t, e.s.SaveFindings(e.ctx, "req-1", v))
		got, err = e.s.GetRequest(e.ctx, "req-1")
		must(t, err)
		if got.Verification == nil || !reflect.DeepEqual(*got.Verification, v) {
			t.Errorf("verification = %+v, want %+v", got.Verification, v)
		}
		if got.Version != req.Version {
			t.Errorf("SaveFindings changed the version to %d", got.Version)
		}
		wantCode(t, e.s.SaveFindings(e.ctx, "req-unknown", v), refund.CodeNotFound, "")
	})
}

func TestTaskTokens(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		e.seed("req-1", "RF-1", refund.StatusAwaitingConsent, start)

		tok, err := e.s.GetTaskToken(e.ctx, "req-1")
		must(t, err)
		if tok.Token != "" {
			t.Errorf("token before any was stored = %+v, want none", tok)
		}

		err = e.s.SetTaskToken(e.ctx, "req-1", refund.TokenReview, "tok-review", refund.StatusInReview)
		wantCode(t, err, refund.CodeConflict, "awaiting_consent now, not in_review")

		must(t, e.s.SetTaskToken(e.ctx, "req-1", refund.TokenConsent, "tok-1", refund.StatusAwaitingConsent))
		e.clock.Advance(time.Hour)
		// The reminder replaces the token.
		must(t, e.s.SetTaskToken(e.ctx, "req-1", refund.TokenConsent, "tok-2", refund.StatusAwaitingConsent))
		tok, err = e.s.GetTaskToken(e.ctx, "req-1")
		must(t, err)
		if tok.Kind != refund.TokenConsent || tok.Token != "tok-2" || !tok.SetAt.Equal(start.Add(time.Hour)) {
			t.Errorf("token = %+v, want consent tok-2 set at %v", tok, start.Add(time.Hour))
		}
		rec, err := e.s.GetRequest(e.ctx, "req-1")
		must(t, err)
		if rec.TokenKind != refund.TokenConsent || rec.Version != 1 {
			t.Errorf("request after storing a token: kind %q version %d, want consent and the version unchanged", rec.TokenKind, rec.Version)
		}

		wantCode(t, e.s.SetTaskToken(e.ctx, "req-x", refund.TokenConsent, "t", refund.StatusAwaitingConsent), refund.CodeNotFound, "")
		_, err = e.s.GetTaskToken(e.ctx, "req-x")
		wantCode(t, err, refund.CodeNotFound, "")
		if err := e.s.SetTaskToken(e.ctx, "req-1", "other", "t", refund.StatusAwaitingConsent); err == nil {
			t.Error("SetTaskToken accepted an unknown kind")
		}
		if err := e.s.SetTaskToken(e.ctx, "req-1", refund.TokenConsent, strings.Repeat("x", 10000), refund.StatusAwaitingConsent); err == nil {
			t.Error("SetTaskToken accepted a 10 kB token")
		}
	})
}

func TestOffers(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		if !b.Transactions {
			// Each item on its own: dynalite validates every expression. Only the cases whose first
			// item fails (nothing written) run there; the atomic ones run on the in-process backends.
			e.s.SendTransactionsOneByOne()
		}
		e.seed("req-1", "RF-1", refund.StatusSubmitted, start)
		propose := refund.AuditEntry{Actor: refund.SystemActor("ProposeResolution"), Action: "offers_proposed"}

		offers, set, err := e.s.ListOffers(e.ctx, "req-1")
		must(t, err)
		if len(offers) != 0 || set != 0 {
			t.Errorf("offers before any = %d in set %d, want none", len(offers), set)
		}

		// 12 offers: their order must survive even though "-10-" sorts before "-2-" as text.
		first := testOffers("req-1", "RF-1", 12, "partial")
		first[3].Breakdown = nil // stored as [], as the canonical JSON treats it
		must(t, e.s.Decide(e.ctx, "req-1", refund.StatusSubmitted, 1, propose, refund.WithOffers(1, first)))
		// The same decision again, made on the version it read, is refused: exactly one is stored.
		err = e.s.Decide(e.ctx, "req-1", refund.StatusSubmitted, 1, propose, refund.WithOffers(1, first))
		wantCode(t, err, refund.CodeConflict, "version 2, not 1")
		if last, ok, err := e.s.LastChange(e.ctx, "req-1"); err != nil || !ok || last.Action != "offers_proposed" || last.Version != 2 {
			t.Errorf("LastChange = %+v, %v, %v; want the proposal at version 2", last, ok, err)
		}

		got, set, err := e.s.ListOffers(e.ctx, "req-1")
		must(t, err)
		if set != 1 || len(got) != len(first) {
			t.Fatalf("ListOffers = %d offers in set %d, want %d in set 1", len(got), set, len(first))
		}
		for i := range first {
			if got[i].ID != first[i].ID {
				t.Fatalf("offer %d is %s, want %s (stored order)", i, got[i].ID, first[i].ID)
			}
			text := "agreement " + first[i].ID
			if h1, h2 := refund.AgreementHash(first[i], text), refund.AgreementHash(got[i], text); h1 != h2 {
				t.Errorf("offer %s hash changed across storage: %s != %s", first[i].ID, h1, h2)
			}
		}
		rec, err := e.s.GetRequest(e.ctx, "req-1")
		must(t, err)
		if rec.Version != 2 || rec.Status != refund.StatusSubmitted || !rec.UpdatedAt.Equal(start) {
			t.Errorf("after the decision: version %d, %s, updated %s; want version 2, still submitted, updated_at unchanged", rec.Version, rec.Status, rec.UpdatedAt)
		}

		// A new set must be the next number.
		second := testOffers("req-1", "RF-1", 2, "adjusted")
		err = e.s.Decide(e.ctx, "req-1", refund.StatusSubmitted, 2, propose, refund.WithOffers(3, second))
		wantCode(t, err, refund.CodeConflict, "offer set 1 now")
		if b.Transactions {
			// Offers never change: a set that reuses a stored offer ID is refused as a whole.
			err = e.s.Decide(e.ctx, "req-1", refund.StatusSubmitted, 2, propose, refund.WithOffers(2, append(second[:1:1], first[0])))
			wantCode(t, err, refund.CodeConflict, "offers never change")
			if _, err := e.s.GetOffer(e.ctx, "req-1", second[0].ID); code(err) != refund.CodeNotFound {
				t.Errorf("an offer of the refused set was stored: %v", err)
			}
		}
		must(t, e.s.Decide(e.ctx, "req-1", refund.StatusSubmitted, 2, propose, refund.WithOffers(2, second)))
		got, set, err = e.s.ListOffers(e.ctx, "req-1")
		must(t, err)
		if set != 2 || len(got) != 2 || got[0].ID != second[0].ID {
			t.Errorf("after set 2: %d offers in set %d, want set 2's 2 offers", len(got), set)
		}

		old, err := e.s.GetOffer(e.ctx, "req-1", first[5].ID)
		must(t, err)
		if !reflect.DeepEqual(old, first[5]) {
			t.Errorf("GetOffer of an old set = %+v, want %+v", old, first[5])
		}
		_, err = e.s.GetOffer(e.ctx, "req-1", "nope")
		wantCode(t, err, refund.CodeNotFound, "")

		// An empty set withdraws the offers.
		must(t, e.s.Decide(e.ctx, "req-1", refund.StatusSubmitted, 3, propose, refund.WithOffers(3, nil)))
		got, set, err = e.s.ListOffers(e.ctx, "req-1")
		must(t, err)
		if set != 3 || len(got) != 0 {
			t.Errorf("after the empty set: %d offers in set %d, want none in set 3", len(got), set)
		}

		wantCode(t, e.s.Decide(e.ctx, "req-unknown", refund.StatusSubmitted, 1, propose,
			refund.WithOffers(1, testOffers("req-unknown", "RF-1", 1, "x"))), refund.CodeNotFound, "")
		_, _, err = e.s.ListOffers(e.ctx, "req-unknown")
		wantCode(t, err, refund.CodeNotFound, "")
		if err := e.s.Decide(e.ctx, "req-1", refund.StatusSubmitted, 4, propose, refund.WithOffers(4, testOffers("req-other", "RF-1", 1, "x"))); err == nil {
			t.Error("Decide stored an offer of another request")
		}
		if err := e.s.Decide(e.ctx, "req-1", refund.StatusSubmitted, 4, refund.AuditEntry{Actor: "x"}); err == nil {
			t.Error("Decide accepted an audit entry without an action")
		}
	})
}

func TestSubmittedBefore(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		for i := 0; i < 5; i++ {
			e.seed(fmt.Sprintf("sub-%d", i), fmt.Sprintf("RF-%d", i), refund.StatusSubmitted, start.Add(time.Duration(i)*time.Minute))
		}
		e.seed("rev-1", "RF-9", refund.StatusInReview, start)
		list := func(before time.Time, limit int) string {
			var ids []string
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatal("more than 10 pages")
				}
				page, next, err := e.s.SubmittedBefore(e.ctx, before, limit, cursor)
				must(t, err)
				ids = append(ids, page...)
				if next == "" {
					return strings.Join(ids, ",")
				}
				cursor = next
			}
		}
		for _, tc := range []struct {
			before time.Time
			limit  int
			want   string
		}{
			{start.Add(time.Hour), 0, "sub-0,sub-1,sub-2,sub-3,sub-4"},
			{start.Add(time.Hour), 2, "sub-0,sub-1,sub-2,sub-3,sub-4"},
			{start.Add(2 * time.Minute), 0, "sub-0,sub-1"},
			{start, 0, ""},
		} {
			if got := list(tc.before, tc.limit); got != tc.want {
				t.Errorf("submitted before %s (limit %d) = %q, want %q", tc.before.Format(time.TimeOnly), tc.limit, got, tc.want)
			}
		}
	})
}

func TestListRequestsByStatus(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		for i := 0; i < 5; i++ {
			e.seed(fmt.Sprintf("sub-%d", i), fmt.Sprintf("RF-%d", i), refund.StatusSubmitted, start.Add(time.Duration(i)*time.Minute))
		}
		e.seed("rev-1", "RF-9", refund.StatusInReview, start)

		var ids []string
		cursor := ""
		pages := 0
		for {
			page, next, err := e.s.ListRequestsByStatus(e.ctx, refund.StatusSubmitted, 2, cursor)
			must(t, err)
			pages++
			for _, r := range page {
				ids = append(ids, r.ID)
			}
			if next == "" {
				break
			}
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			cursor = next
		}
		if got, want := strings.Join(ids, ","), "sub-0,sub-1,sub-2,sub-3,sub-4"; got != want {
			t.Errorf("submitted requests = %s, want %s (longest unchanged first)", got, want)
		}
		if pages < 3 {
			t.Errorf("%d pages of at most 2, want at least 3", pages)
		}

		page, _, err := e.s.ListRequestsByStatus(e.ctx, refund.StatusInReview, 0, "")
		must(t, err)
		if len(page) != 1 || page[0].ID != "rev-1" || page[0].Submission.Email != "ada@example.com" {
			t.Errorf("in_review page = %+v, want rev-1 with its submission", page)
		}
		page, next, err := e.s.ListRequestsByStatus(e.ctx, refund.StatusCompleted, 0, "")
		must(t, err)
		if len(page) != 0 || next != "" {
			t.Errorf("completed page = %d items, next %q; want empty", len(page), next)
		}

		_, _, err = e.s.ListRequestsByStatus(e.ctx, "bogus", 0, "")
		wantCode(t, err, refund.CodeInvalid, "")
		_, _, err = e.s.ListRequestsByStatus(e.ctx, refund.StatusSubmitted, 1001, "")
		wantCode(t, err, refund.CodeInvalid, "")

		// A cursor of one listing does not work on another.
		_, next, err = e.s.ListRequestsByStatus(e.ctx, refund.StatusSubmitted, 1, "")
		must(t, err)
		_, _, err = e.s.ListRequestsByStatus(e.ctx, refund.StatusInReview, 1, next)
		wantCode(t, err, refund.CodeInvalid, "")
		_, _, err = e.s.ListFeedback(e.ctx, 1, next)
		wantCode(t, err, refund.CodeInvalid, "")
	})
}

func TestCursorValidation(t *testing.T) {
	const pk = "STATUS#submitted"
	good := `{"GSI1PK":"STATUS#submitted","GSI1SK":"2025#r","PK":"REQ#r","SK":"REQ"}`
	enc := func(s string) string { return b64(s) }
	if _, err := dynamo.DecodeCursor(enc(good), pk); err != nil {
		t.Fatalf("a well-formed cursor was refused: %v", err)
	}
	for name, c := range map[string]string{
		"not base64":      "%%%",
		"not JSON":        enc("hello"),
		"JSON array":      enc(`["a"]`),
		"missing key":     enc(`{"GSI1PK":"STATUS#submitted","GSI1SK":"x","PK":"REQ#r"}`),
		"extra key":       enc(`{"GSI1PK":"STATUS#submitted","GSI1SK":"x","PK":"REQ#r","SK":"REQ","X":"y"}`),
		"other partition": enc(`{"GSI1PK":"STATUS#completed","GSI1SK":"x","PK":"REQ#r","SK":"REQ"}`),
		"empty value":     enc(`{"GSI1PK":"STATUS#submitted","GSI1SK":"","PK":"REQ#r","SK":"REQ"}`),
		"number value":    enc(`{"GSI1PK":"STATUS#submitted","GSI1SK":1,"PK":"REQ#r","SK":"REQ"}`),
		"huge":            strings.Repeat("A", 5000),
	} {
		if _, err := dynamo.DecodeCursor(c, pk); refund.ErrorCode(err) != refund.CodeInvalid {
			t.Errorf("%s: err = %v, want CodeInvalid", name, err)
		}
	}
}
