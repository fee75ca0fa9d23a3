package stripepay

import (
	"context"
	"net/http"
	"testing"
	"time"

	"refundflow/internal/stripefake"
	"refundflow/payment"
)

// Attempt 1 makes the refund but its answer is lost; the retry's PaymentIntent read is refused with
// 401 (a key rotation). That must not be a PaymentDeclined, which would release a reservation for a
// refund Stripe holds. Once the key works again, the same idempotency key returns Stripe's refund.
func TestLostAnswerThenUnauthorizedRead(t *testing.T) {
	fake := stripefake.New(t, "USD", 5000)
	g := New(NewClient(ClientConfig{Key: "sk_test_123", BaseURL: fake.URL}))
	req := refundReq(usd(2500))

	fake.LoseNextAnswer()
	_, err := g.Refund(context.Background(), req)
	assertKind(t, err, unavailable, "network")

	fake.FailNextRead(http.StatusUnauthorized, "invalid_request_error", "Invalid API Key provided")
	_, err = g.Refund(context.Background(), req)
	assertKind(t, err, unknown, "invalid_request_error")
	if payment.IsDeclined(err) {
		t.Errorf("a refused read is reported as a refusal of the refund: %v", err)
	}

	got, err := g.Refund(context.Background(), req)
	if err != nil {
		t.Fatalf("third attempt: %v", err)
	}
	made := fake.Refunds()
	if len(made) != 1 || got.ID != made[0].ID || got.Amount != req.Amount {
		t.Errorf("refund = %+v, Stripe made %+v; want its one refund of %s", got, made, req.Amount)
	}
}

// A Stripe that does not answer ends the call when the caller's context ends, as PaymentUnavailable
// (timeout), and the retry with the same key returns the refund Stripe made meanwhile.
func TestSlowStripeIsUnavailableThenReplayed(t *testing.T) {
	fake := stripefake.New(t, "USD", 5000)
	g := New(NewClient(ClientConfig{Key: "sk_test_123", BaseURL: fake.URL}))
	req := refundReq(usd(2500))

	fake.StallNextCreate()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := g.Refund(ctx, req)
	assertKind(t, err, unavailable, "timeout")

	got, err := g.Refund(context.Background(), req)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	posts := fake.Posts()
	if len(posts) != 2 || posts[0] != req.IdempotencyKey || posts[1] != req.IdempotencyKey {
		t.Errorf("refund calls = %q, want two with key %q", posts, req.IdempotencyKey)
	}
	if made := fake.Refunds(); len(made) != 1 || got.ID != made[0].ID {
		t.Errorf("refund = %+v, Stripe made %+v; want exactly one", got, made)
	}
}

// ClientConfig.Timeout bounds a call even when the caller's context has no deadline.
func TestClientTimeout(t *testing.T) {
	fake := stripefake.New(t, "USD", 5000)
	g := New(NewClient(ClientConfig{Key: "sk_test_123", BaseURL: fake.URL, Timeout: 300 * time.Millisecond}))
	fake.StallNextCreate()
	_, err := g.Refund(context.Background(), refundReq(usd(2500)))
	assertKind(t, err, unavailable, "timeout")
}
