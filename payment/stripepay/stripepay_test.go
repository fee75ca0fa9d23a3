package stripepay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"refundflow/payment"
	"refundflow/refund"
)

func usd(minor int64) refund.Money { return refund.Money{Amount: minor, Currency: "USD"} }

func refundReq(amount refund.Money) payment.RefundRequest {
	return payment.RefundRequest{
		PaymentReference: "pi_3QxYz",
		Amount:           amount,
		IdempotencyKey:   "refund:req-1:1",
		RequestID:        "req-1",
	}
}

// The adapter against stripe-mock: the PaymentIntent is read first, then one refund is created against
// it with the idempotency key, and Stripe's answer is mapped to payment.Refund. stripe-mock validates
// every parameter against Stripe's OpenAPI spec, so an accepted request is a well-formed one.
func TestRefundOnStripeMock(t *testing.T) {
	rec, proxyURL := newRecorder(t, stripeMockURL(t))
	g := New(NewClient(ClientConfig{Key: "sk_test_123", BaseURL: proxyURL}))

	got, err := g.Refund(context.Background(), refundReq(usd(2500)))
	if err != nil {
		t.Fatalf("refund: %v", err)
	}
	if !strings.HasPrefix(got.ID, "re_") {
		t.Errorf("refund id = %q, want a re_ id", got.ID)
	}
	if got, want := got.Status, payment.StatusSucceeded; got != want {
		t.Errorf("status = %q, want %q", got, want)
	}
	if got, want := got.Amount, usd(2500); got != want {
		t.Errorf("amount = %v, want %v", got, want)
	}

	reqs := rec.requests()
	if got, want := len(reqs), 2; got != want {
		t.Fatalf("requests = %d, want %d: %+v", got, want, reqs)
	}
	if got, want := reqs[0].Method+" "+reqs[0].Path, "GET /v1/payment_intents/pi_3QxYz"; got != want {
		t.Errorf("first request = %q, want %q", got, want)
	}
	post := reqs[1]
	if got, want := post.Method+" "+post.Path, "POST /v1/refunds"; got != want {
		t.Errorf("second request = %q, want %q", got, want)
	}
	for _, tt := range []struct{ name, got, want string }{
		{"Idempotency-Key header", post.Header.Get("Idempotency-Key"), "refund:req-1:1"},
		{"Authorization header", post.Header.Get("Authorization"), "Bearer sk_test_123"},
		{"payment_intent", post.Form.Get("payment_intent"), "pi_3QxYz"},
		{"amount", post.Form.Get("amount"), "2500"},
		{"reason", post.Form.Get("reason"), "requested_by_customer"},
		{"metadata[request_id]", post.Form.Get("metadata[request_id]"), "req-1"},
		{"metadata[idempotency_key]", post.Form.Get("metadata[idempotency_key]"), "refund:req-1:1"},
		{"charge (must not be sent)", post.Form.Get("charge"), ""},
		{"currency (must not be sent)", post.Form.Get("currency"), ""},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

// stripe-mock's PaymentIntents are in USD: a EUR refund is refused before any refund is created.
func TestCurrencyMismatchMovesNoMoneyOnStripeMock(t *testing.T) {
	rec, proxyURL := newRecorder(t, stripeMockURL(t))
	g := New(NewClient(ClientConfig{Key: "sk_test_123", BaseURL: proxyURL}))

	_, err := g.Refund(context.Background(), refundReq(refund.Money{Amount: 2500, Currency: "EUR"}))
	var d *payment.PaymentDeclined
	if !errors.As(err, &d) || d.Code != payment.CodeCurrencyMismatch {
		t.Fatalf("err = %v, want PaymentDeclined(%s)", err, payment.CodeCurrencyMismatch)
	}
	for _, r := range rec.requests() {
		if r.Method == http.MethodPost {
			t.Errorf("a %s %s was sent after the currency check failed", r.Method, r.Path)
		}
	}
}

// Real stripe-mock error responses: a missing API key (401 invalid_request_error) says nothing about
// the refund's idempotency key, so it is PaymentOutcomeUnknown, never a refusal that would release the
// reservation; a parameter outside Stripe's enumeration (400) on the refund call is PaymentDeclined.
func TestStripeMockErrors(t *testing.T) {
	base := stripeMockURL(t)

	_, err := New(NewClient(ClientConfig{Key: "", BaseURL: base})).Refund(context.Background(), refundReq(usd(100)))
	var o *payment.PaymentOutcomeUnknown
	if !errors.As(err, &o) || o.Code != string(stripe.ErrorTypeInvalidRequest) || payment.IsDeclined(err) {
		t.Errorf("no API key: err = %v, want PaymentOutcomeUnknown(invalid_request_error)", err)
	}
	var se *stripe.Error
	if !errors.As(err, &se) || se.HTTPStatusCode != http.StatusUnauthorized {
		t.Errorf("no API key: the *stripe.Error (401) is not in the chain of %v", err)
	}

	client := NewClient(ClientConfig{Key: "sk_test_123", BaseURL: base})
	_, raw := client.createRefund(context.Background(), &stripe.RefundCreateParams{
		PaymentIntent: stripe.String("pi_3QxYz"), Reason: stripe.String("bogus"),
	})
	if raw == nil {
		t.Fatal("stripe-mock accepted reason=bogus")
	}
	if got := mapError("create refund", raw); !payment.IsDeclined(got) {
		t.Errorf("bad parameter: mapped to %v, want PaymentDeclined", got)
	}
}

// fakeStripe answers the PaymentIntent read with a USD intent and the refund call with status and
// body, to inject the failures stripe-mock cannot produce.
func fakeStripe(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_fake")
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/payment_intents/") {
			fmt.Fprint(w, `{"id":"pi_3QxYz","object":"payment_intent","currency":"usd","amount":5000,"status":"succeeded"}`)
			return
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func stripeErr(typ, code, msg string) string {
	return fmt.Sprintf(`{"error":{"type":%q,"code":%q,"message":%q}}`, typ, code, msg)
}

const (
	unavailable = "PaymentUnavailable"
	declined    = "PaymentDeclined"
	unknown     = "PaymentOutcomeUnknown"
)

// The refund-create call carries the idempotency key: only Stripe's refusals for good and refunds it
// reports as failed or canceled are PaymentDeclined (which releases the reservation); an error that
// says nothing definite about the key is PaymentOutcomeUnknown, a transient one PaymentUnavailable.
func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		kind   string
		detail string // Reason for unavailable, Code for declined
	}{
		{"500 api_error", 500, stripeErr("api_error", "", "Something went wrong"), unavailable, "server_error"},
		{"503 without a body", 503, ``, unavailable, "network"},
		{"502 api_error", 502, stripeErr("api_error", "", "bad gateway"), unavailable, "server_error"},
		{"429 rate limit", 429, stripeErr("invalid_request_error", "rate_limit", "Too many requests"), unavailable, "rate_limited"},
		{"429 lock timeout", 429, stripeErr("invalid_request_error", "lock_timeout", "lock"), unavailable, "rate_limited"},
		{"409 key in use", 409, stripeErr("idempotency_error", "idempotency_key_in_use", "in use"), unavailable, "conflict"},
		{"402 card error", 402, stripeErr("card_error", "expired_card", "The card has expired"), declined, "expired_card"},
		{"400 already refunded", 400, stripeErr("invalid_request_error", "charge_already_refunded", "already refunded"), declined, "charge_already_refunded"},
		{"400 amount too large", 400, stripeErr("invalid_request_error", "amount_too_large", "too large"), declined, "amount_too_large"},
		{"424 external dependency", 424, stripeErr("api_connection_error", "", "upstream failed"), unavailable, "server_error"},
		{"404 missing intent", 404, stripeErr("invalid_request_error", "resource_missing", "No such payment_intent"), declined, payment.CodePaymentNotFound},
		{"refund failed", 200, `{"id":"re_1","object":"refund","amount":2500,"currency":"usd","status":"failed","failure_reason":"lost_or_stolen_card"}`, declined, "refund_failed"},
		{"refund canceled", 200, `{"id":"re_1","object":"refund","amount":2500,"currency":"usd","status":"canceled"}`, declined, "refund_canceled"},
		// The key was used with other parameters: the refund may exist under it.
		{"400 idempotency error", 400, stripeErr("idempotency_error", "", "Keys for idempotent requests can only be used with the same parameters"), unknown, payment.CodeIdempotencyMismatch},
		// The API key or its permissions were refused (a key rotation): the call never reached the key.
		{"401 bad key", 401, stripeErr("invalid_request_error", "", "Invalid API Key"), unknown, "invalid_request_error"},
		{"401 expired key", 401, stripeErr("invalid_request_error", "api_key_expired", "Expired API Key"), unknown, "api_key_expired"},
		{"403 restricted key", 403, stripeErr("permission_error", "", "The provided key does not have the required permissions"), unknown, "permission_error"},
		// What this mapping does not know is never taken for a refusal.
		{"418 unknown status", 418, stripeErr("invalid_request_error", "", "teapot"), unknown, "invalid_request_error"},
		{"400 unknown error type", 400, stripeErr("temporary_session_expired", "", "?"), unknown, "temporary_session_expired"},
		{"unknown refund status", 200, `{"id":"re_1","object":"refund","amount":2500,"currency":"usd","status":"on_hold"}`, unknown, "refund_status_unknown"},
		{"refund in another currency", 200, `{"id":"re_1","object":"refund","amount":2500,"currency":"eur","status":"succeeded"}`, unknown, "refund_currency_unexpected"},
		{"refund of a negative amount", 200, `{"id":"re_1","object":"refund","amount":-2500,"currency":"usd","status":"succeeded"}`, unknown, "refund_amount_unexpected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := New(NewClient(ClientConfig{Key: "sk_test_123", BaseURL: fakeStripe(t, tt.status, tt.body)}))
			_, err := g.Refund(context.Background(), refundReq(usd(2500)))
			assertKind(t, err, tt.kind, tt.detail)
		})
	}
}

// The PaymentIntent read carries no idempotency key: its errors never release a reservation. Transient
// ones are retried like the create call's; every other one is PaymentOutcomeUnknown, a 404 included
// (a key of another account or mode sees no PaymentIntent, while an earlier attempt's refund may exist).
func TestReadErrorsAreNeverDeclined(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		kind   string
		detail string
	}{
		{"401 bad key", 401, stripeErr("invalid_request_error", "", "Invalid API Key provided"), unknown, "invalid_request_error"},
		{"403 restricted key", 403, stripeErr("permission_error", "", "no permission"), unknown, "permission_error"},
		{"404 missing intent", 404, stripeErr("invalid_request_error", "resource_missing", "No such payment_intent"), unknown, payment.CodePaymentNotFound},
		{"400 livemode mismatch", 400, stripeErr("invalid_request_error", "livemode_mismatch", "test key, live object"), unknown, "livemode_mismatch"},
		{"500 api_error", 500, stripeErr("api_error", "", "Something went wrong"), unavailable, "server_error"},
		{"429 rate limit", 429, stripeErr("invalid_request_error", "rate_limit", "Too many requests"), unavailable, "rate_limited"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			t.Cleanup(srv.Close)
			g := New(NewClient(ClientConfig{Key: "sk_test_123", BaseURL: srv.URL}))
			_, err := g.Refund(context.Background(), refundReq(usd(2500)))
			assertKind(t, err, tt.kind, tt.detail)
		})
	}
}

func assertKind(t *testing.T, err error, kind, detail string) {
	t.Helper()
	var u *payment.PaymentUnavailable
	var d *payment.PaymentDeclined
	var o *payment.PaymentOutcomeUnknown
	switch {
	case errors.As(err, &o):
		if kind != unknown || o.Code != detail {
			t.Errorf("got PaymentOutcomeUnknown(%s), want %s(%s): %v", o.Code, kind, detail, err)
		}
	case errors.As(err, &u):
		if kind != "PaymentUnavailable" || u.Reason != detail {
			t.Errorf("got PaymentUnavailable(%s), want %s(%s): %v", u.Reason, kind, detail, err)
		}
	case errors.As(err, &d):
		if kind != "PaymentDeclined" || d.Code != detail {
			t.Errorf("got PaymentDeclined(%s), want %s(%s): %v", d.Code, kind, detail, err)
		}
	default:
		t.Errorf("got %v, want %s(%s)", err, kind, detail)
	}
}

func TestPendingRefunds(t *testing.T) {
	for _, status := range []string{"pending", "requires_action"} {
		t.Run(status, func(t *testing.T) {
			body := fmt.Sprintf(`{"id":"re_2","object":"refund","amount":2500,"currency":"usd","status":%q}`, status)
			g := New(NewClient(ClientConfig{Key: "sk_test_123", BaseURL: fakeStripe(t, 200, body)}))
			got, err := g.Refund(context.Background(), refundReq(usd(2500)))
			if err != nil {
				t.Fatal(err)
			}
			if want := (payment.Refund{ID: "re_2", Status: payment.StatusPending, Amount: usd(2500)}); got != want {
				t.Errorf("refund = %+v, want %+v", got, want)
			}
		})
	}
}

func TestNetworkFailuresAreUnavailable(t *testing.T) {
	t.Run("connection reset", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		}))
		t.Cleanup(srv.Close)
		g := New(NewClient(ClientConfig{Key: "sk_test_123", BaseURL: srv.URL}))
		_, err := g.Refund(context.Background(), refundReq(usd(2500)))
		assertKind(t, err, "PaymentUnavailable", "network")
	})

	t.Run("nothing listening", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		_ = l.Close()
		g := New(NewClient(ClientConfig{Key: "sk_test_123", BaseURL: "http://" + addr}))
		_, err = g.Refund(context.Background(), refundReq(usd(2500)))
		assertKind(t, err, "PaymentUnavailable", "network")
	})

	t.Run("deadline passed", func(t *testing.T) {
		g := New(NewClient(ClientConfig{Key: "sk_test_123", BaseURL: fakeStripe(t, 200, `{}`)}))
		ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
		defer cancel()
		_, err := g.Refund(ctx, refundReq(usd(2500)))
		assertKind(t, err, "PaymentUnavailable", "timeout")
	})
}

func TestInvalidRequestIsDeclinedWithoutCallingStripe(t *testing.T) {
	called := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true }))
	t.Cleanup(srv.Close)
	g := New(NewClient(ClientConfig{Key: "sk_test_123", BaseURL: srv.URL}))
	for _, r := range []payment.RefundRequest{
		{PaymentReference: "pi_1", Amount: usd(0), IdempotencyKey: "k"},
		{PaymentReference: "", Amount: usd(1), IdempotencyKey: "k"},
		{PaymentReference: "pi_1", Amount: usd(1), IdempotencyKey: ""},
		{PaymentReference: "pi 1", Amount: usd(1), IdempotencyKey: "k"},
	} {
		_, err := g.Refund(context.Background(), r)
		assertKind(t, err, "PaymentDeclined", payment.CodeInvalidRequest)
	}
	if called {
		t.Error("an invalid request reached Stripe")
	}
}
