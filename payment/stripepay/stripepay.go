// Package stripepay is the Stripe adapter of payment.Gateway, built on stripe-go v85. Refunds go
// against the original PaymentIntent (the order's payment reference), so the money can only return to
// the card that paid, and always carry the idempotency key, so a retried step returns Stripe's first
// answer instead of refunding twice.
package stripepay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/stripe/stripe-go/v85"

	"refundflow/payment"
	"refundflow/refund"
)

// Provider is the name the adapter reports in errors and expects in refund.Payment.Provider.
const Provider = "stripe"

// Gateway refunds through Stripe. It implements payment.Gateway.
type Gateway struct {
	client *stripe.Client
}

var _ payment.Gateway = (*Gateway)(nil)

// New returns a Gateway using client, built by NewClient or stripe.NewClient.
func New(client *stripe.Client) *Gateway { return &Gateway{client: client} }

// ClientConfig configures NewClient.
type ClientConfig struct {
	// Key is the secret API key (sk_live_..., sk_test_...).
	Key string
	// BaseURL replaces https://api.stripe.com, for stripe-mock; empty means Stripe itself.
	BaseURL string
	// HTTPClient is the HTTP client to use; nil means stripe-go's default (80 s timeout).
	HTTPClient *http.Client
	// MaxNetworkRetries is how often stripe-go retries a failed call within one Refund (same
	// idempotency key, so always safe). Zero leaves retries to the state machine, which retries
	// ExecuteResolution on PaymentUnavailable.
	MaxNetworkRetries int64
}

// NewClient builds a *stripe.Client from cfg. stripe-go's own logging is switched off: every error is
// returned to the caller, which logs it once and without personal data.
func NewClient(cfg ClientConfig) *stripe.Client {
	bc := &stripe.BackendConfig{
		HTTPClient:        cfg.HTTPClient,
		MaxNetworkRetries: stripe.Int64(cfg.MaxNetworkRetries),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	}
	if cfg.BaseURL != "" {
		bc.URL = stripe.String(strings.TrimRight(cfg.BaseURL, "/"))
	}
	return stripe.NewClient(cfg.Key, stripe.WithBackends(stripe.NewBackendsWithConfig(bc)))
}

// Refund refunds req.Amount of the PaymentIntent req.PaymentReference with req.IdempotencyKey.
//
// It first reads the PaymentIntent and refuses (CodeCurrencyMismatch) if its currency is not the
// refund's: Stripe refunds in the payment's currency, so a mismatch means the amount would be wrong,
// and no money must move. Errors are *payment.PaymentUnavailable (network, timeouts, 5xx, rate limits,
// concurrent use of the key: retry with the same key) or *payment.PaymentDeclined (card and
// invalid-request errors, reused keys, refunds Stripe reports as failed or canceled).
func (g *Gateway) Refund(ctx context.Context, req payment.RefundRequest) (payment.Refund, error) {
	if err := req.Validate(); err != nil {
		return payment.Refund{}, &payment.PaymentDeclined{Provider: Provider, Code: payment.CodeInvalidRequest, Message: err.Error()}
	}

	pi, err := g.client.V1PaymentIntents.Retrieve(ctx, req.PaymentReference, nil)
	if err != nil {
		return payment.Refund{}, mapError("retrieve payment intent", err)
	}
	if !strings.EqualFold(string(pi.Currency), req.Amount.Currency) {
		return payment.Refund{}, &payment.PaymentDeclined{Provider: Provider, Code: payment.CodeCurrencyMismatch,
			Message: fmt.Sprintf("The payment is in %s, the refund asks for %s.", strings.ToUpper(string(pi.Currency)), req.Amount.Currency)}
	}

	params := &stripe.RefundCreateParams{
		PaymentIntent: stripe.String(req.PaymentReference),
		Amount:        stripe.Int64(req.Amount.Amount),
		Reason:        stripe.String(string(stripe.RefundReasonRequestedByCustomer)),
	}
	params.SetIdempotencyKey(req.IdempotencyKey)
	// Metadata lets support find the request from Stripe's dashboard; ids only, no personal data.
	params.AddMetadata("idempotency_key", req.IdempotencyKey)
	if req.RequestID != "" {
		params.AddMetadata("request_id", req.RequestID)
	}
	r, err := g.client.V1Refunds.Create(ctx, params)
	if err != nil {
		return payment.Refund{}, mapError("create refund", err)
	}

	out := payment.Refund{
		ID:     r.ID,
		Amount: refund.Money{Amount: r.Amount, Currency: strings.ToUpper(string(r.Currency))},
	}
	switch r.Status {
	case stripe.RefundStatusSucceeded:
		out.Status = payment.StatusSucceeded
	case stripe.RefundStatusPending, stripe.RefundStatusRequiresAction:
		out.Status = payment.StatusPending
	default: // failed, canceled
		return payment.Refund{}, &payment.PaymentDeclined{Provider: Provider, Code: "refund_" + string(r.Status),
			Message: fmt.Sprintf("Stripe reports refund %s as %s (%s).", r.ID, r.Status, r.FailureReason)}
	}
	return out, nil
}

// mapError sorts the stripe-go error of operation op into PaymentUnavailable or PaymentDeclined.
//
// Unavailable: anything that did not produce a Stripe API error (connection refused or reset, DNS,
// timeouts, a cancelled context, an unreadable response), 5xx and api_error, 429 (rate limits and lock
// timeouts) and 409 (the same idempotency key is in use by a concurrent request). In every one of these
// the refund may or may not exist, and repeating the call with the same key gives the definitive answer.
//
// Declined: every other 4xx — card_error, invalid_request_error (for example charge_already_refunded,
// amount_too_large, resource_missing, or a bad API key), idempotency_error (the key was used with other
// parameters). Repeating those calls cannot succeed.
func mapError(op string, err error) error {
	var se *stripe.Error
	if !errors.As(err, &se) {
		err = fmt.Errorf("%s: %w", op, err)
		reason := "network"
		if errors.Is(err, context.DeadlineExceeded) {
			reason = "timeout"
		}
		return &payment.PaymentUnavailable{Provider: Provider, Reason: reason, Err: err}
	}
	cause := &apiError{op: op, err: se}
	switch {
	case se.HTTPStatusCode >= 500 || se.Type == stripe.ErrorTypeAPI:
		return &payment.PaymentUnavailable{Provider: Provider, Reason: "server_error", Err: cause}
	case se.HTTPStatusCode == http.StatusTooManyRequests:
		return &payment.PaymentUnavailable{Provider: Provider, Reason: "rate_limited", Err: cause}
	case se.HTTPStatusCode == http.StatusConflict:
		return &payment.PaymentUnavailable{Provider: Provider, Reason: "conflict", Err: cause}
	case se.Type == stripe.ErrorTypeIdempotency:
		return &payment.PaymentDeclined{Provider: Provider, Code: payment.CodeIdempotencyMismatch, Message: se.Msg, Err: cause}
	case se.Code == stripe.ErrorCodeResourceMissing:
		return &payment.PaymentDeclined{Provider: Provider, Code: payment.CodePaymentNotFound, Message: se.Msg, Err: cause}
	default:
		code := string(se.Code)
		if code == "" {
			code = string(se.Type)
		}
		if code == "" {
			code = fmt.Sprintf("http_%d", se.HTTPStatusCode)
		}
		return &payment.PaymentDeclined{Provider: Provider, Code: code, Message: se.Msg, Err: cause}
	}
}

// apiError keeps a *stripe.Error in the chain (for errors.As) but prints one compact line: the
// stripe.Error's own Error() is a JSON dump that can include whole API objects.
type apiError struct {
	op  string
	err *stripe.Error
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s: stripe %s %s (HTTP %d, request %s)", e.op, e.err.Type, e.err.Code, e.err.HTTPStatusCode, e.err.RequestID)
}

func (e *apiError) Unwrap() error { return e.err }
