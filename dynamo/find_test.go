package dynamo_test

import (
	"strings"
	"testing"
	"time"

	"refundflow/dynamo/dynamotest"
	"refundflow/refund"
)

// TestFindRequests finds requests by ID, refund reference, order number and the email's keyed hash,
// newest first, on every backend, and never writes the email in clear into a key.
func TestFindRequests(t *testing.T) {
	t.Parallel()
	key := []byte("test lookup key, 32 bytes long!!")
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		if !b.Transactions {
			// dynalite has no TransactWriteItems: each item on its own, so it validates them all.
			e.s.SendTransactionsOneByOne()
		}
		create := func(id, number, email string, created time.Time) {
			t.Helper()
			if _, err := e.s.GetOrder(e.ctx, number); code(err) == refund.CodeNotFound {
				_, err := e.s.PutOrder(e.ctx, testOrder(number))
				must(t, err)
			}
			req, sub := testRequest(t, id, number)
			req.CreatedAt, req.UpdatedAt = created, created
			sub.Email = email
			sub.EmailLookup = refund.EmailLookup(key, email)
			_, link := linkFor(id, refund.LinkStatus, time.Time{})
			must(t, e.s.CreateRequest(e.ctx, req, sub, link, clientAudit()))
		}
		create("req-find-1", "RF-F1", "ada@example.com", start)
		create("req-find-2", "RF-F2", "Ada@Example.com", start.Add(time.Hour))
		create("req-find-3", "RF-F3", "grace@example.com", start.Add(2*time.Hour))

		ids := func(s refund.Search) string {
			t.Helper()
			recs, err := e.s.FindRequests(e.ctx, s, 0)
			must(t, err)
			var out []string
			for _, r := range recs {
				out = append(out, r.ID)
			}
			return strings.Join(out, ",")
		}
		tests := []struct {
			name   string
			search refund.Search
			want   string
		}{
			{"request id", refund.Search{Kind: refund.SearchRequest, Value: "req-find-2"}, "req-find-2"},
			{"unknown request id", refund.Search{Kind: refund.SearchRequest, Value: "req-none"}, ""},
			{"refund reference", refund.Search{Kind: refund.SearchRefund, Value: "req-find-3"}, "req-find-3"},
			{"order number", refund.Search{Kind: refund.SearchOrder, Value: "RF-F1"}, "req-find-1"},
			{"order without requests", refund.Search{Kind: refund.SearchOrder, Value: "RF-NONE"}, ""},
			{"email, any case, newest first", refund.Search{Kind: refund.SearchEmail, Value: refund.EmailLookup(key, "ADA@example.COM")}, "req-find-2,req-find-1"},
			{"another email", refund.Search{Kind: refund.SearchEmail, Value: refund.EmailLookup(key, "grace@example.com")}, "req-find-3"},
			{"email hashed with another key", refund.Search{Kind: refund.SearchEmail, Value: refund.EmailLookup([]byte("other"), "ada@example.com")}, ""},
		}
		for _, tt := range tests {
			if got := ids(tt.search); got != tt.want {
				t.Errorf("%s: found %q, want %q", tt.name, got, tt.want)
			}
		}
	})
}
