package dynamo_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/dynamo"
	"refundflow/dynamo/dynamotest"
	"refundflow/refund"
)

func TestLinkCodes(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		expires := start.Add(7 * 24 * time.Hour)
		code, link := linkFor("req-1", refund.LinkConsent, expires)
		must(t, e.s.PutLinkCode(e.ctx, link))
		must(t, e.s.PutLinkCode(e.ctx, link)) // an SDK retry of the same write
		other := link
		other.RequestID = "req-2"
		wantCode(t, e.s.PutLinkCode(e.ctx, other), refund.CodeConflict, "")

		got, err := e.s.LookupLinkCode(e.ctx, refund.HashCode(code), refund.LinkConsent)
		must(t, err)
		if got.RequestID != "req-1" || got.Purpose != refund.LinkConsent || !got.ExpiresAt.Equal(expires) || !got.CreatedAt.Equal(start) || !got.UsedAt.IsZero() {
			t.Errorf("LookupLinkCode = %+v", got)
		}

		_, err = e.s.LookupLinkCode(e.ctx, refund.HashCode(code), refund.LinkFeedback)
		wantCode(t, err, refund.CodeNotFound, "not valid")
		_, err = e.s.LookupLinkCode(e.ctx, refund.HashCode("never issued"), refund.LinkConsent)
		wantCode(t, err, refund.CodeNotFound, "not valid")
		_, err = e.s.LookupLinkCode(e.ctx, "../../etc/passwd", refund.LinkConsent)
		wantCode(t, err, refund.CodeNotFound, "not valid")

		// TTL deletes late: the expiry is checked in code, to the nanosecond.
		e.clock.Advance(7*24*time.Hour - time.Nanosecond)
		_, err = e.s.LookupLinkCode(e.ctx, refund.HashCode(code), refund.LinkConsent)
		must(t, err)
		e.clock.Advance(time.Nanosecond)
		got, err = e.s.LookupLinkCode(e.ctx, refund.HashCode(code), refund.LinkConsent)
		wantCode(t, err, refund.CodeGone, "expired")
		if got.RequestID != "req-1" {
			t.Errorf("an expired link should still name its request, got %+v", got)
		}

		// The TTL attribute lets DynamoDB delete the item LinkGrace after expiry.
		item, err := b.Client.GetItem(e.ctx, &dynamodb.GetItemInput{
			TableName: aws.String(e.s.Table),
			Key: map[string]types.AttributeValue{
				"PK": &types.AttributeValueMemberS{Value: "LINK#" + refund.HashCode(code)},
				"SK": &types.AttributeValueMemberS{Value: "LINK"},
			},
		})
		must(t, err)
		ttl, ok := item.Item[dynamo.AttrTTL].(*types.AttributeValueMemberN)
		if !ok {
			t.Fatalf("link item has no numeric ttl: %v", item.Item[dynamo.AttrTTL])
		}
		if got, want := ttl.Value, strconv.FormatInt(expires.Add(refund.LinkGrace).Unix(), 10); got != want {
			t.Errorf("ttl = %s, want %s", got, want)
		}
		if _, ok := item.Item["used_at"]; ok {
			t.Error("an unused link has a used_at attribute")
		}

		// A link that never expires has no TTL.
		code2, forever := linkFor("req-1", refund.LinkStatus, time.Time{})
		must(t, e.s.PutLinkCode(e.ctx, forever))
		e.clock.Advance(1000 * 24 * time.Hour)
		_, err = e.s.LookupLinkCode(e.ctx, refund.HashCode(code2), refund.LinkStatus)
		must(t, err)

		bad := forever
		bad.Hash = "ABC"
		if err := e.s.PutLinkCode(e.ctx, bad); err == nil {
			t.Error("PutLinkCode accepted a malformed hash")
		}
	})
}

func TestAudit(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		// Entries in the same instant must not overwrite each other.
		for i := 0; i < 3; i++ {
			must(t, e.s.AppendAudit(e.ctx, refund.AuditEntry{RequestID: "req-1", Actor: refund.ActorClient, Action: fmt.Sprintf("viewed-%d", i)}))
		}
		e.clock.Advance(time.Second)
		// Client-controlled fields are cut to their bounds, never refused, and stay valid UTF-8.
		huge := strings.Repeat("€", 400_000) // 1.2 MB, three times DynamoDB's item limit
		must(t, e.s.AppendAudit(e.ctx, refund.AuditEntry{RequestID: "req-1", Actor: refund.StaffActor("sub-1"), Action: "note", UserAgent: huge, Detail: huge, IP: huge}))

		entries, err := e.s.ListAudit(e.ctx, "req-1")
		must(t, err)
		if len(entries) != 4 {
			t.Fatalf("%d entries, want 4", len(entries))
		}
		seen := map[string]bool{}
		for _, en := range entries[:3] {
			seen[en.Action] = true
			if !en.At.Equal(start) || en.Actor != "client" {
				t.Errorf("entry %+v, want client at %v", en, start)
			}
		}
		if len(seen) != 3 {
			t.Errorf("same-instant entries = %v, want 3 distinct", seen)
		}
		last := entries[3]
		if last.Actor != "staff:sub-1" || len(last.Detail) > 4000 || len(last.UserAgent) > 512 || len(last.IP) > 64 ||
			!utf8.ValidString(last.Detail) || !utf8.ValidString(last.UserAgent) || last.Detail == "" {
			t.Errorf("long fields not cut to bounds: detail %d bytes, user agent %d, ip %d", len(last.Detail), len(last.UserAgent), len(last.IP))
		}

		none, err := e.s.ListAudit(e.ctx, "req-unknown")
		must(t, err)
		if len(none) != 0 {
			t.Errorf("unknown request has %d audit entries", len(none))
		}
		if err := e.s.AppendAudit(e.ctx, refund.AuditEntry{RequestID: "req-1", Action: "x"}); err == nil {
			t.Error("AppendAudit accepted an entry without an actor")
		}
	})
}

func TestFeedback(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		for i := 0; i < 5; i++ {
			must(t, e.s.PutFeedback(e.ctx, refund.Feedback{RequestID: fmt.Sprintf("req-%d", i), Rating: i + 1, Comment: fmt.Sprintf("comment %d", i)}))
			e.clock.Advance(time.Minute)
		}
		wantCode(t, e.s.PutFeedback(e.ctx, refund.Feedback{RequestID: "req-2", Rating: 1}), refund.CodeConflict, "already have your feedback")
		// An SDK retry of a write that succeeded sends the same feedback with the same time.
		must(t, e.s.PutFeedback(e.ctx, refund.Feedback{RequestID: "req-2", Rating: 3, Comment: "comment 2", At: start.Add(2 * time.Minute)}))
		wantCode(t, e.s.PutFeedback(e.ctx, refund.Feedback{RequestID: "req-9", Rating: 6}), refund.CodeInvalid, "")
		wantCode(t, e.s.PutFeedback(e.ctx, refund.Feedback{RequestID: "req-9", Rating: 0}), refund.CodeInvalid, "")
		wantCode(t, e.s.PutFeedback(e.ctx, refund.Feedback{RequestID: "req-9", Rating: 3, Comment: strings.Repeat("a", 2001)}), refund.CodeInvalid, "")

		got, err := e.s.GetFeedback(e.ctx, "req-2")
		must(t, err)
		if got.Rating != 3 || got.Comment != "comment 2" || !got.At.Equal(start.Add(2*time.Minute)) {
			t.Errorf("GetFeedback = %+v", got)
		}
		_, err = e.s.GetFeedback(e.ctx, "req-9")
		wantCode(t, err, refund.CodeNotFound, "")

		var order []string
		cursor := ""
		for i := 0; ; i++ {
			page, next, err := e.s.ListFeedback(e.ctx, 2, cursor)
			must(t, err)
			for _, f := range page {
				order = append(order, f.RequestID)
			}
			if next == "" || i > 10 {
				break
			}
			cursor = next
		}
		if got, want := strings.Join(order, ","), "req-4,req-3,req-2,req-1,req-0"; got != want {
			t.Errorf("feedback = %s, want %s (newest first)", got, want)
		}
		_, _, err = e.s.ListFeedback(e.ctx, 2, "garbage!")
		wantCode(t, err, refund.CodeInvalid, "")
	})
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		key := "POST /requests:6f1c-retry-key"
		_, err := e.s.GetIdempotency(e.ctx, key)
		wantCode(t, err, refund.CodeNotFound, "")

		rec := refund.IdempotencyRecord{Key: key, Fingerprint: "body-sha", StatusCode: 202, ContentType: "application/json", Body: `{"requestId":"r1"}`, RequestID: "r1"}
		must(t, e.s.PutIdempotency(e.ctx, rec))
		must(t, e.s.PutIdempotency(e.ctx, rec)) // an SDK retry of the same write
		e.clock.Advance(time.Second)
		wantCode(t, e.s.PutIdempotency(e.ctx, rec), refund.CodeConflict, "already processed")

		got, err := e.s.GetIdempotency(e.ctx, key)
		must(t, err)
		rec.CreatedAt = start
		if got != rec {
			t.Errorf("GetIdempotency = %+v, want %+v", got, rec)
		}

		// After 24 hours the record no longer answers, even before TTL deletes it, and can be replaced.
		e.clock.Advance(refund.IdempotencyTTL - time.Second)
		_, err = e.s.GetIdempotency(e.ctx, key)
		wantCode(t, err, refund.CodeNotFound, "")
		rec.Body = `{"requestId":"r2"}`
		must(t, e.s.PutIdempotency(e.ctx, rec))
		got, err = e.s.GetIdempotency(e.ctx, key)
		must(t, err)
		if got.Body != rec.Body {
			t.Errorf("replaced record body = %q, want %q", got.Body, rec.Body)
		}
		if err := e.s.PutIdempotency(e.ctx, refund.IdempotencyRecord{Key: "k", Body: strings.Repeat("x", 65<<10)}); err == nil {
			t.Error("PutIdempotency accepted a 65 kB answer")
		}
	})
}

func TestMailMarkers(t *testing.T) {
	t.Parallel()
	const lease = time.Minute
	claim := func(e *env, event, run string, want refund.MailClaim) {
		t.Helper()
		got, err := e.s.ClaimMail(e.ctx, "req-1", event, run, lease)
		must(t, err)
		if got != want {
			t.Errorf("ClaimMail(%s) by %s = %v, want %v", event, run, got, want)
		}
	}
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		claim(e, "received", "run-a", refund.MailClaimed)
		claim(e, "received", "run-a", refund.MailClaimed)    // the same run again (a retried write): still its own
		claim(e, "received", "run-b", refund.MailInProgress) // a second run while the first sends
		e.clock.Advance(lease - time.Second)
		claim(e, "received", "run-b", refund.MailInProgress)
		e.clock.Advance(2 * time.Second) // the first run died without sending: the lease ran out
		claim(e, "received", "run-b", refund.MailClaimed)
		must(t, e.s.ReleaseMail(e.ctx, "req-1", "received", "run-a")) // the dead run's release: not its claim now
		claim(e, "received", "run-c", refund.MailInProgress)
		must(t, e.s.MarkMailSent(e.ctx, "req-1", "received", "received", "We received your refund"))
		must(t, e.s.MarkMailSent(e.ctx, "req-1", "received", "received", "We received your refund")) // a retried step
		claim(e, "received", "run-c", refund.MailAlreadySent)
		claim(e, "received", "run-b", refund.MailAlreadySent) // sent is final, even for its sender
		e.clock.Advance(24 * time.Hour)
		claim(e, "received", "run-d", refund.MailAlreadySent)
		must(t, e.s.ReleaseMail(e.ctx, "req-1", "received", "run-b"))
		claim(e, "received", "run-d", refund.MailAlreadySent) // releasing a sent marker changes nothing

		// A run whose send failed releases its claim: the retry claims at once.
		claim(e, "outcome:completed", "run-a", refund.MailClaimed)
		must(t, e.s.ReleaseMail(e.ctx, "req-1", "outcome:completed", "run-a"))
		claim(e, "outcome:completed", "run-b", refund.MailClaimed)
		must(t, e.s.ReleaseMail(e.ctx, "req-1", "never-claimed", "run-a")) // no marker: nothing to release

		// Marking without a claim (a marker from before claims existed) is final too.
		must(t, e.s.MarkMailSent(e.ctx, "req-1", "offers:1", "", ""))
		claim(e, "offers:1", "run-a", refund.MailAlreadySent)

		if err := e.s.MarkMailSent(e.ctx, "req-1", "", "received", "x"); err == nil {
			t.Error("MarkMailSent accepted an empty event")
		}
		if _, err := e.s.ClaimMail(e.ctx, "req-1", "x", "run-a", 0); err == nil {
			t.Error("ClaimMail accepted a zero lease")
		}
		if _, err := e.s.ClaimMail(e.ctx, "req-1", "x", "", lease); err == nil {
			t.Error("ClaimMail accepted an empty claim id")
		}
	})
}

// TestSentEmails marks emails sent, held back and merely claimed, and reads back only those that went
// out, oldest first, each with the kind and subject of its first marking.
func TestSentEmails(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		got, err := e.s.ListSentEmails(e.ctx, "req-1")
		must(t, err)
		if got == nil || len(got) != 0 {
			t.Fatalf("ListSentEmails of a request without mail = %#v, want an empty list", got)
		}
		first := e.clock.Now()
		must(t, e.s.MarkMailSent(e.ctx, "req-1", "received", "received", "We received your refund for order 1001"))
		e.clock.Advance(time.Minute)
		must(t, e.s.MarkMailSent(e.ctx, "req-1", "received", "offers", "a retry's other subject")) // keeps the first
		must(t, e.s.MarkMailSent(e.ctx, "req-1", "outcome:completed", "", ""))                     // held back
		_, err = e.s.ClaimMail(e.ctx, "req-1", "offers:2", "run-a", time.Minute)                   // sending now
		must(t, err)
		must(t, e.s.MarkMailSent(e.ctx, "req-2", "received", "received", "another request's"))
		second := e.clock.Now()
		must(t, e.s.MarkMailSent(e.ctx, "req-1", "offers:1", "offers", "Your options for order 1001"))
		if err := e.s.MarkMailSent(e.ctx, "req-1", "x", "", "a subject alone"); err == nil {
			t.Error("MarkMailSent accepted a subject without a kind")
		}

		got, err = e.s.ListSentEmails(e.ctx, "req-1")
		must(t, err)
		want := []refund.SentEmail{
			{Kind: "received", Subject: "We received your refund for order 1001", SentAt: first},
			{Kind: "offers", Subject: "Your options for order 1001", SentAt: second},
		}
		if len(got) != len(want) {
			t.Fatalf("ListSentEmails = %#v, want %#v", got, want)
		}
		for i := range want {
			if got[i].Kind != want[i].Kind || got[i].Subject != want[i].Subject || !got[i].SentAt.Equal(want[i].SentAt) {
				t.Errorf("email %d = %#v, want %#v", i, got[i], want[i])
			}
		}
		if _, err := e.s.ListSentEmails(e.ctx, ""); err == nil {
			t.Error("ListSentEmails accepted an empty request id")
		}
	})
}

// TestMailClaimRace claims one marker from many goroutines at once: exactly one run may send.
func TestMailClaimRace(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		const runs = 16
		var wg sync.WaitGroup
		results := make(chan refund.MailClaim, runs)
		for i := range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := e.s.ClaimMail(e.ctx, "req-1", "offers:1", fmt.Sprintf("run-%d", i), time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				results <- c
			}()
		}
		wg.Wait()
		close(results)
		counts := map[refund.MailClaim]int{}
		for c := range results {
			counts[c]++
		}
		if counts[refund.MailClaimed] != 1 || counts[refund.MailInProgress] != runs-1 {
			t.Errorf("claims = %v, want exactly one claimed and %d in progress", counts, runs-1)
		}
	})
}

func TestCredits(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		c := refund.Credit{OrderNumber: "RF-1", RequestID: "req-1", OfferID: "req-1-2-service_credit", Amount: refund.Money{Amount: 11000, Currency: "EUR"}, ValidUntil: "2026-03-10"}
		must(t, e.s.PutCredit(e.ctx, c))
		e.clock.Advance(time.Minute)
		must(t, e.s.PutCredit(e.ctx, c)) // a retried step
		got, err := e.s.GetCredit(e.ctx, "rf-1", "req-1")
		must(t, err)
		c.CreatedAt = start
		if got != c {
			t.Errorf("GetCredit = %+v, want %+v (first write kept)", got, c)
		}
		other := c
		other.Amount.Amount = 1
		wantCode(t, e.s.PutCredit(e.ctx, other), refund.CodeConflict, "different credit")
		_, err = e.s.GetCredit(e.ctx, "RF-1", "req-2")
		wantCode(t, err, refund.CodeNotFound, "")
		bad := c
		bad.ValidUntil = "soon"
		if err := e.s.PutCredit(e.ctx, bad); err == nil {
			t.Error("PutCredit accepted a credit without an end date")
		}

		// Every credit of the order, for the rules of later requests; none of another order.
		second := refund.Credit{OrderNumber: "RF-1", RequestID: "req-3", OfferID: "req-3-s2-1-switch_service", Amount: refund.Money{Amount: 500, Currency: "EUR"}, ValidUntil: "2026-05-01"}
		must(t, e.s.PutCredit(e.ctx, second))
		must(t, e.s.PutCredit(e.ctx, refund.Credit{OrderNumber: "RF-10", RequestID: "req-4", OfferID: "req-4-2-service_credit", Amount: refund.Money{Amount: 700, Currency: "EUR"}, ValidUntil: "2026-05-01"}))
		list, err := e.s.ListOrderCredits(e.ctx, "rf-1")
		must(t, err)
		var ids []string
		for _, l := range list {
			ids = append(ids, l.RequestID+":"+l.Amount.String())
		}
		if got, want := strings.Join(ids, " "), "req-1:EUR 110.00 req-3:EUR 5.00"; got != want {
			t.Errorf("ListOrderCredits = %s, want %s", got, want)
		}
		none, err := e.s.ListOrderCredits(e.ctx, "RF-2")
		if err != nil || len(none) != 0 {
			t.Errorf("credits of an order without any = %v, %v", none, err)
		}
	})
}

// TestRefundReads covers the ledger reads and the non-transactional ledger write on every backend.
func TestRefundReads(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		refunds, err := e.s.ListOrderRefunds(e.ctx, "RF-1")
		must(t, err)
		if len(refunds) != 0 {
			t.Errorf("%d refunds on a new order", len(refunds))
		}
		_, err = e.s.GetRefund(e.ctx, "RF-1", "req-1", 1)
		wantCode(t, err, refund.CodeNotFound, "")
		_, err = e.s.CompleteRefund(e.ctx, "RF-1", "req-1", 1, "re_1")
		wantCode(t, err, refund.CodeNotFound, "never reserved")
		wantCode(t, e.s.FailRefund(e.ctx, "RF-1", "req-1", 1, "declined"), refund.CodeNotFound, "never reserved")
		if got, want := refund.RefundIdempotencyKey("req-1", 2), "refund:req-1:2"; got != want {
			t.Errorf("idempotency key = %q, want %q", got, want)
		}
	})
}

// TestPagesOverOneMegabyte stores more than 1 MB in each listing. DynamoDB (and dynalite) cut a
// Query page at 1 MB whatever the Limit, so the listings must follow LastEvaluatedKey.
func TestPagesOverOneMegabyte(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		ctx := context.Background()
		// ASCII on purpose: dynalite measures strings in UTF-16 code units where DynamoDB counts UTF-8
		// bytes, so only ASCII sizes mean the same on both.
		long := strings.Repeat("x", refund.MaxDetailsRunes) // stored twice per request: ~4.5 kB each

		const requests = 250 // ~1.1 MB
		for i := 0; i < requests; i++ {
			req, sub := testRequest(t, fmt.Sprintf("big-%03d", i), "RF-1")
			req.Details, sub.Details = long, long
			req.UpdatedAt = start.Add(time.Duration(i) * time.Second)
			must(t, e.s.SeedRequest(ctx, req, sub))
		}
		seen := map[string]bool{}
		pages, cursor := 0, ""
		for {
			page, next, err := e.s.ListRequestsByStatus(ctx, refund.StatusSubmitted, 1000, cursor)
			must(t, err)
			pages++
			for _, r := range page {
				if seen[r.ID] {
					t.Fatalf("request %s listed twice", r.ID)
				}
				seen[r.ID] = true
			}
			if next == "" || pages > requests {
				break
			}
			cursor = next
		}
		if len(seen) != requests {
			t.Errorf("listed %d requests in %d pages, want %d", len(seen), pages, requests)
		}
		t.Logf("%s: %d requests (~1.1 MB) came in %d pages", b.Name, requests, pages)
		if b.Name != "minidyn" && pages < 2 {
			t.Errorf("%s returned more than 1 MB in one page", b.Name)
		}

		const entries = 300 // ~1.2 MB of audit trail for one request
		detail := strings.Repeat("d", 4000)
		for i := 0; i < entries; i++ {
			must(t, e.s.AppendAudit(ctx, refund.AuditEntry{RequestID: "big-000", Actor: refund.ActorClient, Action: "viewed", Detail: detail}))
		}
		trail, err := e.s.ListAudit(ctx, "big-000")
		must(t, err)
		if len(trail) != entries {
			t.Errorf("ListAudit returned %d entries, want all %d", len(trail), entries)
		}

		const feedback = 520 // ~1.1 MB
		comment := strings.Repeat("c", refund.MaxFeedbackCommentRunes)
		for i := 0; i < feedback; i++ {
			must(t, e.s.PutFeedback(ctx, refund.Feedback{RequestID: fmt.Sprintf("fb-%03d", i), Rating: 5, Comment: comment}))
		}
		got, pages, cursor := 0, 0, ""
		for {
			page, next, err := e.s.ListFeedback(ctx, 1000, cursor)
			must(t, err)
			got += len(page)
			pages++
			if next == "" || pages > feedback {
				break
			}
			cursor = next
		}
		if got != feedback {
			t.Errorf("ListFeedback returned %d over %d pages, want %d", got, pages, feedback)
		}
		if b.Name != "minidyn" && pages < 2 {
			t.Errorf("%s returned more than 1 MB of feedback in one page", b.Name)
		}
	})
}
