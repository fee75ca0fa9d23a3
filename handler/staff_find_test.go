package handler_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"refundflow/handler"
	"refundflow/payment"
	"refundflow/refund"
)

// refundLookupFunc answers RefundRequestID with a function, for the provider's failures.
type refundLookupFunc func(ctx context.Context, id string) (string, error)

func (f refundLookupFunc) RefundRequestID(ctx context.Context, id string) (string, error) {
	return f(ctx, id)
}

// TestFindByProviderRefundID searches by the provider's refund id (the outcome email's refund
// reference): the sandbox's refund metadata names the request, which is found; a refund the provider
// does not know, one made for no request, or one naming a request that is not ours finds nothing;
// a provider that cannot be reached is a 503.
func TestFindByProviderRefundID(t *testing.T) {
	f := newHTTPFixture(t)
	ctx := context.Background()
	s := f.seed(refund.StatusInReview, false)
	f.takePayment(s.order)
	amount := refund.Money{Amount: 100, Currency: s.order.Currency}
	mine, err := f.pay.Refund(ctx, payment.RefundRequest{PaymentReference: s.order.Payment.Reference, Amount: amount,
		IdempotencyKey: refund.RefundIdempotencyKey(s.id, 1), RequestID: s.id})
	if err != nil {
		t.Fatalf("refund: %v", err)
	}
	dashboard, err := f.pay.DashboardRefund(ctx, s.order.Payment.Reference, amount)
	if err != nil {
		t.Fatalf("dashboard refund: %v", err)
	}
	stranger, err := f.pay.Refund(ctx, payment.RefundRequest{PaymentReference: s.order.Payment.Reference, Amount: amount,
		IdempotencyKey: "refund:req-nobody-here:1", RequestID: "req-nobody-here"})
	if err != nil {
		t.Fatalf("refund of another request: %v", err)
	}
	search := func(h handler.StaffApi, q string) (int, handler.RequestList) {
		t.Helper()
		ev := loadEvent(t, "staff-list-requests.json")
		setQuery(&ev, url.Values{"q": {q}})
		resp := mustCall(t, h, ev)
		var out handler.RequestList
		if resp.StatusCode == http.StatusOK {
			decodeJSON(t, resp, &out)
		}
		return resp.StatusCode, out
	}
	h := f.staffHandler()
	h.Refunds = f.pay
	for _, tt := range []struct {
		name, q string
		want    []string
	}{
		{"our refund", mine.ID, []string{s.id}},
		{"a dashboard refund", dashboard.ID, nil},
		{"a refund for a request that is not ours", stranger.ID, nil},
		{"an unknown refund", "re_sbx_000000000000000000000000_" + "c9i6cpbkd5h0", nil},
		{"an id without a key", "re_3QxYzAbCdEf", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out := search(h, tt.q)
			if code != http.StatusOK {
				t.Fatalf("status %d, want 200", code)
			}
			if got, want := out.Found, "provider_refund"; got != want {
				t.Errorf("found = %q, want %q", got, want)
			}
			var got []string
			for _, r := range out.Requests {
				got = append(got, r.ID)
			}
			if len(got) != len(tt.want) || len(got) == 1 && got[0] != tt.want[0] {
				t.Errorf("requests = %v, want %v", got, tt.want)
			}
		})
	}

	down := h
	down.Refunds = refundLookupFunc(func(context.Context, string) (string, error) {
		return "", &payment.PaymentUnavailable{Provider: "stripe", Reason: "timeout", Err: errors.New("slow")}
	})
	if code, _ := search(down, mine.ID); code != http.StatusServiceUnavailable {
		t.Errorf("provider down: status %d, want 503", code)
	}
	if code, _ := search(h, "re_bad-id"); code != http.StatusBadRequest {
		t.Errorf("malformed refund id: status %d, want 400", code)
	}
}
