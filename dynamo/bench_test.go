package dynamo_test

import (
	"fmt"
	"testing"
	"time"

	"refundflow/dynamo"
	"refundflow/dynamo/dynamotest"
	"refundflow/refund"
)

// benchStore is a store on a fresh in-process local DynamoDB (ddblocal). The figures measure the SDK
// client, local HTTP and ddblocal as much as this package, and say nothing about DynamoDB's own
// latency. ddblocal's costs do not grow with the table (BenchmarkTableSize in infra/local/ddblocal).
func benchStore(b *testing.B) *dynamo.Store {
	b.Helper()
	backend := dynamotest.Local(b)
	s := dynamo.New(backend.Client, backend.Table(b))
	s.Now = (&clock{t: start}).Now
	return s
}

// BenchmarkCreateRequest measures the submit transaction: request, open-order lock, status link and
// audit entry.
func BenchmarkCreateRequest(b *testing.B) {
	s := benchStore(b)
	sub := testSubmission("RF-1")
	for i := 0; b.Loop(); i++ {
		number := fmt.Sprintf("RF-%d", i)
		id := fmt.Sprintf("req-%d", i)
		sub.OrderNumber = number
		req, err := refund.NewRequest(id, sub, start)
		if err != nil {
			b.Fatal(err)
		}
		_, link := linkFor(id, refund.LinkStatus, time.Time{})
		if err := s.CreateRequest(b.Context(), req, sub, link, clientAudit()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetRequest measures one strongly consistent read of a request.
func BenchmarkGetRequest(b *testing.B) {
	s := benchStore(b)
	sub := testSubmission("RF-1")
	req, err := refund.NewRequest("req-1", sub, start)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.SeedRequest(b.Context(), req, sub); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.GetRequest(b.Context(), "req-1"); err != nil {
			b.Fatal(err)
		}
	}
}
