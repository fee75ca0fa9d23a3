package sandbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"refundflow/payment"
)

// A sandbox refund id carries its idempotency key, so RefundRequestID finds the refund's request
// with one read and no item of its own; an id whose key names another refund, or no key, is unknown.
func TestRefundRequestID(t *testing.T) {
	ctx := context.Background()
	g := newGateway(t)
	r, err := g.Refund(ctx, payment.RefundRequest{PaymentReference: "pi_1", Amount: eur(100), IdempotencyKey: "refund:req-a1:1", RequestID: "req-a1"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := g.RefundRequestID(ctx, r.ID); err != nil || got != "req-a1" {
		t.Errorf("RefundRequestID(%s) = %q, %v; want req-a1", r.ID, got, err)
	}
	// The same key under other random digits is another refund, not this one.
	forged := "re_sbx_" + strings.Repeat("0", 24) + r.ID[len("re_sbx_")+24:]
	for _, id := range []string{forged, "re_sbx_" + strings.Repeat("0", 24), "re_sbx_x", "re_123", r.ID + "zz"} {
		if got, err := g.RefundRequestID(ctx, id); !errors.Is(err, payment.ErrRefundNotFound) {
			t.Errorf("RefundRequestID(%s) = %q, %v; want ErrRefundNotFound", id, got, err)
		}
	}
}
