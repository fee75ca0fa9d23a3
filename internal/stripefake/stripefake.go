// Package stripefake is a small, stateful stand-in for the two Stripe endpoints the Stripe adapter
// calls (GET /v1/payment_intents/{id} and POST /v1/refunds), for tests that need what stripe-mock
// cannot do: replay a refund by its idempotency key as Stripe does, lose an answer after the refund
// was made, answer too slowly, fail the PaymentIntent read, or report on the payment's charge what
// was refunded of it. Everything else about Stripe (parameter
// validation, the shape of every object) is stripe-mock's job; keep this fake that small.
//
// Amounts are in Stripe's unit, as on the wire. The server binds 127.0.0.1 on a free port and stops
// when the test ends.
package stripefake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Refund is one refund the fake made.
type Refund struct {
	ID             string `json:"id"`
	PaymentIntent  string `json:"payment_intent"`
	Amount         int64  `json:"amount"`
	Currency       string `json:"currency"`
	IdempotencyKey string `json:"-"`
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL to give stripepay.ClientConfig.BaseURL.
	URL string

	currency string
	captured int64

	mu        sync.Mutex
	refunds   []Refund
	byKey     map[string]int // index into refunds
	posts     []string       // idempotency key of every POST /v1/refunds, in order
	reads     int
	readFails []failure
	lose      int // creates whose answer is lost after the refund was made
	stall     int // creates that are made and then not answered until the client gives up
}

type failure struct {
	status int
	body   string
}

// New starts a fake whose every PaymentIntent is a succeeded payment of captured (in Stripe's unit)
// in currency (ISO code, any case).
func New(t testing.TB, currency string, captured int64) *Server {
	t.Helper()
	s := &Server{currency: strings.ToLower(currency), captured: captured, byKey: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// FailNextRead makes the next PaymentIntent read answer status with a Stripe error of type typ and
// message msg, e.g. 401 "invalid_request_error" "Invalid API Key provided", as Stripe does while a
// rotated key is not yet valid.
func (s *Server) FailNextRead(status int, typ, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readFails = append(s.readFails, failure{status, fmt.Sprintf(`{"error":{"type":%q,"message":%q}}`, typ, msg)})
}

// LoseNextAnswer makes the next refund creation happen and then cuts the answer short, like a
// response lost on the way back.
func (s *Server) LoseNextAnswer() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lose++
}

// StallNextCreate makes the next refund creation happen and then holds the answer until the client
// gives up (its context ends), like a provider that is too slow.
func (s *Server) StallNextCreate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stall++
}

// Refunds returns the refunds made, in order.
func (s *Server) Refunds() []Refund {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Refund(nil), s.refunds...)
}

// Posts returns the idempotency key of every refund creation request received, in order.
func (s *Server) Posts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.posts...)
}

// Reads returns how many PaymentIntent reads were received.
func (s *Server) Reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", "req_fake")
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/payment_intents/"):
		s.readIntent(w, r, strings.TrimPrefix(r.URL.Path, "/v1/payment_intents/"))
	case r.Method == http.MethodPost && r.URL.Path == "/v1/refunds":
		s.createRefund(w, r)
	default:
		writeError(w, http.StatusNotFound, "invalid_request_error", "resource_missing", "Unrecognized request URL.")
	}
}

// readIntent answers a PaymentIntent read: a succeeded card payment whose latest charge is captured,
// 3-D Secure authenticated, with the card ending 4242, and has refunded what the fake's refunds of
// this PaymentIntent add up to. The charge is an object when the read expands latest_charge, its id
// otherwise, as at Stripe.
func (s *Server) readIntent(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	s.reads++
	var fail *failure
	if len(s.readFails) > 0 {
		fail = &s.readFails[0]
		s.readFails = s.readFails[1:]
	}
	var refunded int64
	for _, rf := range s.refunds {
		if rf.PaymentIntent == id {
			refunded += rf.Amount
		}
	}
	s.mu.Unlock()
	if fail != nil {
		w.WriteHeader(fail.status)
		fmt.Fprint(w, fail.body)
		return
	}
	var charge any = "ch_fake_" + id
	q := r.URL.Query()
	if q.Get("expand[]") == "latest_charge" || q.Get("expand[0]") == "latest_charge" {
		charge = map[string]any{"id": "ch_fake_" + id, "object": "charge", "amount": s.captured, "amount_captured": s.captured,
			"amount_refunded": refunded, "refunded": refunded >= s.captured, "captured": true, "paid": true, "status": "succeeded",
			"currency": s.currency, "payment_intent": id,
			"payment_method_details": map[string]any{"type": "card", "card": map[string]any{"brand": "visa", "last4": "4242",
				"three_d_secure": map[string]any{"result": "authenticated", "version": "2.2.0"}}}}
	}
	writeJSON(w, map[string]any{"id": id, "object": "payment_intent", "amount": s.captured,
		"amount_received": s.captured, "currency": s.currency, "status": "succeeded", "latest_charge": charge})
}

// createRefund makes a refund like Stripe: the same idempotency key with the same parameters replays
// the first answer, with other parameters it is an idempotency_error, and refunds never exceed the
// captured amount.
func (s *Server) createRefund(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "parameter_invalid", "unreadable form")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	pi := r.PostForm.Get("payment_intent")
	amount, err := strconv.ParseInt(r.PostForm.Get("amount"), 10, 64)
	if err != nil || amount <= 0 || pi == "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "parameter_invalid_integer", "amount and payment_intent are required")
		return
	}

	s.mu.Lock()
	s.posts = append(s.posts, key)
	var out Refund
	i, seen := s.byKey[key]
	switch {
	case seen && (s.refunds[i].Amount != amount || s.refunds[i].PaymentIntent != pi):
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, "idempotency_error", "",
			"Keys for idempotent requests can only be used with the same parameters they were first used with.")
		return
	case seen:
		out = s.refunds[i]
	default:
		var total int64
		for _, rf := range s.refunds {
			if rf.PaymentIntent == pi {
				total += rf.Amount
			}
		}
		if total+amount > s.captured {
			s.mu.Unlock()
			writeError(w, http.StatusBadRequest, "invalid_request_error", "amount_too_large",
				"Refund amount is greater than unrefunded amount on charge.")
			return
		}
		out = Refund{ID: fmt.Sprintf("re_fake_%d", len(s.refunds)+1), PaymentIntent: pi, Amount: amount, Currency: s.currency, IdempotencyKey: key}
		s.byKey[key] = len(s.refunds)
		s.refunds = append(s.refunds, out)
	}
	lose, stall := s.lose > 0, s.stall > 0
	switch {
	case lose:
		s.lose--
	case stall:
		s.stall--
	}
	s.mu.Unlock()

	switch {
	case lose:
		// Start the answer, then cut it: a connection closed before any byte of the answer would be
		// retried by net/http itself (a POST with an Idempotency-Key counts as idempotent).
		if conn, buf, err := w.(http.Hijacker).Hijack(); err == nil {
			_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"id\":")
			_ = buf.Flush()
			_ = conn.Close()
		}
		return
	case stall:
		<-r.Context().Done() // the client hung up, or the server is closing
		return
	}
	writeJSON(w, map[string]any{"id": out.ID, "object": "refund", "amount": out.Amount, "currency": out.Currency,
		"payment_intent": out.PaymentIntent, "status": "succeeded"})
}

func writeJSON(w http.ResponseWriter, v any) {
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	w.WriteHeader(status)
	writeJSON(w, map[string]any{"error": map[string]string{"type": typ, "code": code, "message": msg}})
}
