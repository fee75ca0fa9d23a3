package dynamo_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/dynamo/dynamotest"
	"refundflow/refund"
)

// An unmatched request (its submission named no order) holds no lock: any number of them coexist
// with the order's one open request, their end releases nothing, and the order's lock stays with the
// request that holds it.
func TestCreateUnmatchedRequest(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		for _, id := range []string{"req-u1", "req-u2"} {
			req, sub := testRequest(t, id, "RF-1")
			_, l := linkFor(id, refund.LinkStatus, time.Time{})
			must(t, e.s.CreateUnmatchedRequest(e.ctx, req, sub, l, clientAudit()))
			got, err := e.s.GetRequest(e.ctx, id)
			must(t, err)
			if !got.Unmatched || got.Status != refund.StatusSubmitted {
				t.Errorf("stored %s = unmatched %v, status %s; want an unmatched submitted request", id, got.Unmatched, got.Status)
			}
			if got, want := e.actions(id), "submitted:>submitted"; got != want {
				t.Errorf("audit of %s = %q, want %q", id, got, want)
			}
		}
		if open, err := e.s.OpenRequestID(e.ctx, "RF-1"); err != nil || open != "" {
			t.Fatalf("OpenRequestID after unmatched requests = %q, %v; want none", open, err)
		}

		// The matching submitter still gets the lock, and a second one the conflict.
		e.createSubmitted("req-m", "RF-1")
		req2, sub2 := testRequest(t, "req-m2", "RF-1")
		_, l2 := linkFor("req-m2", refund.LinkStatus, time.Time{})
		wantCode(t, e.s.CreateRequest(e.ctx, req2, sub2, l2, clientAudit()), refund.CodeConflict, "already an open request")

		// An unmatched request ends without touching the lock another request holds.
		e.clock.Advance(time.Second)
		must(t, e.s.Transition(e.ctx, "req-u1", refund.StatusSubmitted, refund.StatusRejected, 1, systemAudit("VerifyConditions")))
		if open, err := e.s.OpenRequestID(e.ctx, "RF-1"); err != nil || open != "req-m" {
			t.Errorf("OpenRequestID after an unmatched request ended = %q, %v; want req-m", open, err)
		}
		must(t, e.s.Transition(e.ctx, "req-m", refund.StatusSubmitted, refund.StatusWithdrawn, 1, clientAudit()))
		if open, err := e.s.OpenRequestID(e.ctx, "RF-1"); err != nil || open != "" {
			t.Errorf("OpenRequestID after the matching request ended = %q, %v; want none", open, err)
		}
	})
}

// A lock of the old layout (ORDER#<number> / OPEN, written before the lock had its own partition)
// keeps a second request out while its request is open, and holds nothing once that request ended,
// although nothing deletes it.
func TestLegacyOpenRequestLock(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		e := newEnv(t, b)
		// req-old was submitted by the old code: its lock is where that code put it.
		old, oldSub := testRequest(t, "req-old", "RF-7")
		_, l := linkFor("req-old", refund.LinkStatus, time.Time{})
		must(t, e.s.CreateUnmatchedRequest(e.ctx, old, oldSub, l, clientAudit()))
		clearUnmatched(t, b, e, "req-old")
		putLegacyLock(t, b, e, "RF-7", "req-old")

		if open, err := e.s.OpenRequestID(e.ctx, "rf-7"); err != nil || open != "req-old" {
			t.Fatalf("OpenRequestID with an old-layout lock = %q, %v; want req-old", open, err)
		}
		req, sub := testRequest(t, "req-new", "RF-7")
		_, l2 := linkFor("req-new", refund.LinkStatus, time.Time{})
		wantCode(t, e.s.CreateRequest(e.ctx, req, sub, l2, clientAudit()), refund.CodeConflict, "already an open request for order RF-7")

		// The old request ends (the new code releases only a LOCK# lock): the old lock now holds nothing.
		e.clock.Advance(time.Second)
		must(t, e.s.Transition(e.ctx, "req-old", refund.StatusSubmitted, refund.StatusWithdrawn, 1, clientAudit()))
		if open, err := e.s.OpenRequestID(e.ctx, "RF-7"); err != nil || open != "" {
			t.Errorf("OpenRequestID after the old request ended = %q, %v; want none", open, err)
		}
		must(t, e.s.CreateRequest(e.ctx, req, sub, l2, clientAudit()))
		if open, err := e.s.OpenRequestID(e.ctx, "RF-7"); err != nil || open != "req-new" {
			t.Errorf("OpenRequestID = %q, %v; want req-new", open, err)
		}
	})
}

// putLegacyLock writes an open-request lock as the code before issue 15 did.
func putLegacyLock(t *testing.T, b *dynamotest.Backend, e *env, number, requestID string) {
	t.Helper()
	_, err := b.Client.PutItem(e.ctx, &dynamodb.PutItemInput{TableName: aws.String(e.s.Table), Item: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "ORDER#" + number}, "SK": &types.AttributeValueMemberS{Value: "OPEN"},
		"request_id": &types.AttributeValueMemberS{Value: requestID},
		"created_at": &types.AttributeValueMemberS{Value: start.Format(time.RFC3339Nano)},
	}})
	must(t, err)
}

// clearUnmatched removes the unmatched mark, as on every request the code before issue 15 stored.
func clearUnmatched(t *testing.T, b *dynamotest.Backend, e *env, id string) {
	t.Helper()
	_, err := b.Client.UpdateItem(e.ctx, &dynamodb.UpdateItemInput{TableName: aws.String(e.s.Table),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "REQ#" + id}, "SK": &types.AttributeValueMemberS{Value: "REQ"},
		},
		UpdateExpression: aws.String("REMOVE unmatched")})
	must(t, err)
}
