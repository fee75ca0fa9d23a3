package stripepay

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"refundflow/internal/stripefake"
	"refundflow/payment"
	"refundflow/refund"
)

// The lookup against stripe-mock: one GET of the PaymentIntent with its latest charge expanded,
// decoded from the shape Stripe's OpenAPI spec gives. stripe-mock's PaymentIntent has not succeeded
// (requires_payment_method) and its charge carries no 3-D Secure result, so both are reported as
// missing; the card's last four digits come from the expanded charge.
func TestLookupPaymentOnStripeMock(t *testing.T) {
	rec, proxyURL := newRecorder(t, stripeMockURL(t))
	g := New(NewClient(ClientConfig{Key: "sk_test_123", BaseURL: proxyURL}))
	got, err := g.LookupPayment(context.Background(), "pi_3QxYz")
	if err != nil {
		t.Fatalf("lookup: %v", err)
	}
	want := refund.PaymentFacts{Provider: Provider, Reference: "pi_3QxYz", Amount: usd(1099), CardLast4: "4242"}
	if got != want {
		t.Errorf("facts = %+v, want %+v", got, want)
	}
	reqs := rec.requests()
	if len(reqs) != 1 || reqs[0].Method+" "+reqs[0].Path != "GET /v1/payment_intents/pi_3QxYz" {
		t.Fatalf("requests = %+v, want one GET of the PaymentIntent", reqs)
	}
}

// fixtureIntent is stripe-mock's PaymentIntent with its latest charge expanded (GET
// /v1/payment_intents/pi_3QxTest?expand[]=latest_charge, saved from stripe-mock v0.203.0), as a JSON
// tree the tests edit into the payments Stripe reports.
func fixtureIntent(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/payment_intent_expanded.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// succeeded edits the fixture into a captured card payment of amount (Stripe's unit) in currency
// with a 3-D Secure result.
func succeeded(m map[string]any, currency string, amount int64, threeDS any) map[string]any {
	m["status"], m["currency"], m["amount"], m["amount_received"] = "succeeded", currency, amount, amount
	ch := m["latest_charge"].(map[string]any)
	ch["status"], ch["captured"], ch["paid"], ch["currency"] = "succeeded", true, true, currency
	ch["amount"], ch["amount_captured"], ch["amount_refunded"], ch["refunded"] = amount, amount, 0, false
	card := ch["payment_method_details"].(map[string]any)["card"].(map[string]any)
	card["three_d_secure"].(map[string]any)["result"] = threeDS
	return m
}

// serveIntent answers every PaymentIntent read with status and body.
func serveIntent(t *testing.T, status int, body any) *Gateway {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("expand[]") != "latest_charge" && r.URL.Query().Get("expand[0]") != "latest_charge" {
			t.Errorf("query %q does not expand latest_charge", r.URL.RawQuery)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_lookup")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return New(NewClient(ClientConfig{Key: "sk_test_123", BaseURL: srv.URL}))
}

func TestLookupPaymentFacts(t *testing.T) {
	charge := func(m map[string]any) map[string]any { return m["latest_charge"].(map[string]any) }
	for _, tt := range []struct {
		name  string
		edit  func(map[string]any) map[string]any
		want  refund.PaymentFacts
		check string // a field of the order CheckPayment names, for an order of EUR 1,800.00
	}{
		{"captured, 3-D Secure authenticated", func(m map[string]any) map[string]any { return succeeded(m, "eur", 180000, "authenticated") },
			refund.PaymentFacts{Captured: true, Amount: refund.Money{Amount: 180000, Currency: "EUR"}, ThreeDSecure: true, CardLast4: "4242"}, ""},
		{"3-D Secure attempted, not authenticated", func(m map[string]any) map[string]any { return succeeded(m, "eur", 180000, "attempt_acknowledged") },
			refund.PaymentFacts{Captured: true, Amount: refund.Money{Amount: 180000, Currency: "EUR"}, CardLast4: "4242"}, "payment.three_d_secure"},
		{"exempted from 3-D Secure", func(m map[string]any) map[string]any { return succeeded(m, "eur", 180000, "exempted") },
			refund.PaymentFacts{Captured: true, Amount: refund.Money{Amount: 180000, Currency: "EUR"}, CardLast4: "4242"}, "payment.three_d_secure"},
		{"no 3-D Secure at all", func(m map[string]any) map[string]any {
			m = succeeded(m, "eur", 180000, nil)
			charge(m)["payment_method_details"].(map[string]any)["card"].(map[string]any)["three_d_secure"] = nil
			return m
		}, refund.PaymentFacts{Captured: true, Amount: refund.Money{Amount: 180000, Currency: "EUR"}, CardLast4: "4242"}, "payment.three_d_secure"},
		{"authorised, not captured", func(m map[string]any) map[string]any {
			m = succeeded(m, "eur", 180000, "authenticated")
			m["status"], charge(m)["captured"], charge(m)["amount_captured"] = "requires_capture", false, 0
			return m
		}, refund.PaymentFacts{Amount: refund.Money{Amount: 180000, Currency: "EUR"}, ThreeDSecure: true, CardLast4: "4242"}, "payment.captured"},
		{"captured in part", func(m map[string]any) map[string]any {
			m = succeeded(m, "eur", 180000, "authenticated")
			charge(m)["amount_captured"] = 150000
			return m
		}, refund.PaymentFacts{Captured: true, Amount: refund.Money{Amount: 150000, Currency: "EUR"}, ThreeDSecure: true, CardLast4: "4242"}, "paid"},
		{"refunded in full", func(m map[string]any) map[string]any {
			m = succeeded(m, "eur", 180000, "authenticated")
			charge(m)["amount_refunded"], charge(m)["refunded"] = 180000, true
			return m
		}, refund.PaymentFacts{Captured: true, Amount: refund.Money{Amount: 180000, Currency: "EUR"}, Refunded: 180000, ThreeDSecure: true, CardLast4: "4242"}, "payment.reference"},
		{"Stripe counts ISK in hundredths", func(m map[string]any) map[string]any { return succeeded(m, "isk", 1800000, "authenticated") },
			refund.PaymentFacts{Captured: true, Amount: refund.Money{Amount: 18000, Currency: "ISK"}, ThreeDSecure: true, CardLast4: "4242"}, "currency"},
		{"another currency", func(m map[string]any) map[string]any { return succeeded(m, "usd", 180000, "authenticated") },
			refund.PaymentFacts{Captured: true, Amount: refund.Money{Amount: 180000, Currency: "USD"}, ThreeDSecure: true, CardLast4: "4242"}, "currency"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := serveIntent(t, http.StatusOK, tt.edit(fixtureIntent(t)))
			got, err := g.LookupPayment(context.Background(), "pi_3QxTest")
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.Provider, want.Reference = Provider, "pi_3QxTest"
			if got != want {
				t.Errorf("facts = %+v\nwant    %+v", got, want)
			}
			order := refund.Order{Currency: "EUR", Paid: 180000, Payment: refund.Payment{Provider: "Stripe"}}
			err = order.CheckPayment(got, 0)
			var e *refund.Error
			switch {
			case tt.check == "" && err != nil:
				t.Errorf("CheckPayment: %v, want none", err)
			case tt.check != "" && (!errors.As(err, &e) || e.Fields[tt.check] == ""):
				t.Errorf("CheckPayment: %v, want %s named", err, tt.check)
			}
		})
	}
}

func TestLookupPaymentErrors(t *testing.T) {
	stripeErr := func(typ, code, msg string) map[string]any {
		return map[string]any{"error": map[string]any{"type": typ, "code": code, "message": msg}}
	}
	for _, tt := range []struct {
		name   string
		status int
		body   any
		check  func(error) bool
	}{
		{"unknown PaymentIntent", 404, stripeErr("invalid_request_error", "resource_missing", "No such payment_intent: 'pi_x'"),
			func(err error) bool { return errors.Is(err, payment.ErrPaymentNotFound) }},
		{"Stripe is down", 500, stripeErr("api_error", "", "An unknown error occurred"), payment.IsUnavailable},
		{"rate limited", 429, stripeErr("invalid_request_error", "rate_limit", "Too many requests"), payment.IsUnavailable},
		{"refused API key", 401, stripeErr("invalid_request_error", "", "Invalid API Key provided: sk_live_****abcd"),
			func(err error) bool {
				return !payment.IsUnavailable(err) && !errors.Is(err, payment.ErrPaymentNotFound)
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := serveIntent(t, tt.status, tt.body).LookupPayment(context.Background(), "pi_x")
			if err == nil || !tt.check(err) {
				t.Errorf("error %v does not sort as expected", err)
			}
		})
	}
	g := New(NewClient(ClientConfig{Key: "sk_test_123", BaseURL: "http://127.0.0.1:1"}))
	for _, ref := range []string{"", "pi/../../v1/refunds", "pi x", strings.Repeat("p", 300)} {
		if _, err := g.LookupPayment(context.Background(), ref); !errors.Is(err, payment.ErrPaymentNotFound) {
			t.Errorf("LookupPayment(%q) = %v, want ErrPaymentNotFound without a call", ref, err)
		}
	}
}

// Against the stateful fake: the lookup reports what Refundflow's own refunds took back from the
// payment (the charge's amount_refunded), so the order route sees a payment refunded at Stripe that
// the ledger does not record; ISK goes through Stripe's unit both ways.
func TestLookupPaymentSeesRefunds(t *testing.T) {
	for _, paid := range []refund.Money{usd(5000), {Amount: 18000, Currency: "ISK"}} {
		t.Run(paid.Currency, func(t *testing.T) {
			wire, err := payment.UnitFor(Provider, paid.Currency).ToProvider(paid)
			if err != nil {
				t.Fatal(err)
			}
			fake := stripefake.New(t, paid.Currency, wire)
			g := New(NewClient(ClientConfig{Key: "sk_test_123", BaseURL: fake.URL}))
			ctx := context.Background()
			want := refund.PaymentFacts{Provider: Provider, Reference: "pi_1", Captured: true, Amount: paid, ThreeDSecure: true, CardLast4: "4242"}
			if got, err := g.LookupPayment(ctx, "pi_1"); err != nil || got != want {
				t.Fatalf("before any refund: %+v, %v; want %+v", got, err, want)
			}
			part := refund.Money{Amount: paid.Amount / 2, Currency: paid.Currency}
			req := refundReq(part)
			req.PaymentReference = "pi_1"
			if _, err := g.Refund(ctx, req); err != nil {
				t.Fatal(err)
			}
			got, err := g.LookupPayment(ctx, "pi_1")
			if want.Refunded = part.Amount; err != nil || got != want {
				t.Fatalf("after a refund of %s: %+v, %v; want %+v", part, got, err, want)
			}
			order := refund.Order{Currency: paid.Currency, Paid: paid.Amount, Payment: refund.Payment{Reference: "pi_1"}}
			if err := order.CheckPayment(got, part.Amount); err != nil {
				t.Errorf("an order whose ledger has the refund: %v", err)
			}
			var e *refund.Error
			if err := order.CheckPayment(got, 0); !errors.As(err, &e) || e.Fields["payment.reference"] == "" {
				t.Errorf("an order whose ledger lacks the refund: %v, want payment.reference named", err)
			}
		})
	}
}
