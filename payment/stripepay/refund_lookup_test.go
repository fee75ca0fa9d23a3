package stripepay

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"refundflow/payment"
)

// The refund lookup against stripe-mock: one GET of the refund, decoded from the shape Stripe's
// OpenAPI spec gives; stripe-mock's refund carries no metadata, so no request ID.
func TestRefundRequestIDOnStripeMock(t *testing.T) {
	rec, proxyURL := newRecorder(t, stripeMockURL(t))
	g := New(NewClient(ClientConfig{Key: "sk_test_123", BaseURL: proxyURL}))
	got, err := g.RefundRequestID(context.Background(), "re_3QxYz")
	if err != nil {
		t.Fatalf("lookup: %v", err)
	}
	if got != "" {
		t.Errorf("request id = %q, want none from stripe-mock's refund", got)
	}
	reqs := rec.requests()
	if len(reqs) != 1 || reqs[0].Method+" "+reqs[0].Path != "GET /v1/refunds/re_3QxYz" {
		t.Fatalf("requests = %+v, want one GET of the refund", reqs)
	}
}

// TestRefundRequestID sorts Stripe's answers to the refund read: the metadata's request_id, an
// unknown refund, a server error, a refused key; a malformed id is never sent.
func TestRefundRequestID(t *testing.T) {
	for _, tt := range []struct {
		name     string
		id       string
		status   int
		body     any
		want     string
		notFound bool
		down     bool
		calls    int
	}{
		{name: "ours", id: "re_1", status: 200, body: map[string]any{"id": "re_1", "object": "refund", "metadata": map[string]string{"request_id": "req-abc", "idempotency_key": "refund:req-abc:1"}}, want: "req-abc", calls: 1},
		{name: "dashboard", id: "re_2", status: 200, body: map[string]any{"id": "re_2", "object": "refund", "metadata": map[string]string{}}, calls: 1},
		{name: "unknown", id: "re_3", status: 404, body: map[string]any{"error": map[string]any{"type": "invalid_request_error", "code": "resource_missing"}}, notFound: true, calls: 1},
		{name: "server error", id: "re_4", status: 500, body: map[string]any{"error": map[string]any{"type": "api_error"}}, down: true, calls: 1},
		{name: "malformed", id: "re_5/../x", notFound: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				if got, want := r.URL.Path, "/v1/refunds/"+tt.id; got != want {
					t.Errorf("path %q, want %q", got, want)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_ = json.NewEncoder(w).Encode(tt.body)
			}))
			t.Cleanup(srv.Close)
			g := New(NewClient(ClientConfig{Key: "sk_test_123", BaseURL: srv.URL}))
			got, err := g.RefundRequestID(context.Background(), tt.id)
			if got != tt.want {
				t.Errorf("request id = %q, want %q", got, tt.want)
			}
			if a, b := errors.Is(err, payment.ErrRefundNotFound), tt.notFound; a != b {
				t.Errorf("err %v: not found = %v, want %v", err, a, b)
			}
			if a, b := payment.IsUnavailable(err), tt.down; a != b {
				t.Errorf("err %v: unavailable = %v, want %v", err, a, b)
			}
			if calls != tt.calls {
				t.Errorf("calls = %d, want %d", calls, tt.calls)
			}
		})
	}
}
