// Package stripepay is the Stripe adapter of payment.Gateway, built on stripe-go v85. Refunds go
// against the original PaymentIntent (the order's payment reference), so the money can only return to
// the card that paid, and always carry the idempotency key, so a retried step returns Stripe's first
// answer instead of refunding twice.
package stripepay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v85"

	"refundflow/payment"
)

// Provider is the name the adapter reports in errors and expects in refund.Payment.Provider.
const Provider = "stripe"

// Gateway refunds through Stripe. It implements payment.Gateway.
type Gateway struct {
	client Client
}

var _ payment.Gateway = (*Gateway)(nil)

// New returns a Gateway using client, built by NewClient.
func New(client Client) *Gateway { return &Gateway{client: client} }

// Client is the part of Stripe's API the adapter uses: three endpoints, called through stripe-go's
// Backend (which signs, retries with the idempotency key and decodes errors) exactly as stripe-go's
// own services call it. It is not a *stripe.Client on purpose: stripe.NewClient builds every one of
// Stripe's ~200 services, and in a binary that also runs templates (whose reflection keeps every
// exported method of a type that reaches an interface) that linked all of them: StaffApi's
// bootstrap was 21.6 MB against a 12 MB target.
type Client struct {
	backend stripe.Backend
	key     string
}

// retrievePaymentIntent is GET /v1/payment_intents/{id}, as stripe.Client.V1PaymentIntents.Retrieve.
func (c Client) retrievePaymentIntent(ctx context.Context, id string, params *stripe.PaymentIntentRetrieveParams) (*stripe.PaymentIntent, error) {
	if params == nil {
		params = &stripe.PaymentIntentRetrieveParams{}
	}
	params.Context = ctx
	pi := &stripe.PaymentIntent{}
	err := c.backend.Call(http.MethodGet, stripe.FormatURLPath("/v1/payment_intents/%s", id), c.key, params, pi)
	return pi, err
}

// createRefund is POST /v1/refunds, as stripe.Client.V1Refunds.Create.
func (c Client) createRefund(ctx context.Context, params *stripe.RefundCreateParams) (*stripe.Refund, error) {
	params.Context = ctx
	r := &stripe.Refund{}
	err := c.backend.Call(http.MethodPost, "/v1/refunds", c.key, params, r)
	return r, err
}

// retrieveRefund is GET /v1/refunds/{id}, as stripe.Client.V1Refunds.Retrieve.
func (c Client) retrieveRefund(ctx context.Context, id string) (*stripe.Refund, error) {
	params := &stripe.RefundRetrieveParams{}
	params.Context = ctx
	r := &stripe.Refund{}
	err := c.backend.Call(http.MethodGet, stripe.FormatURLPath("/v1/refunds/%s", id), c.key, params, r)
	return r, err
}

// ClientConfig configures NewClient.
type ClientConfig struct {
	// Key is the secret API key (sk_live_..., sk_test_...).
	Key string
	// BaseURL replaces https://api.stripe.com, for stripe-mock; empty means Stripe itself.
	BaseURL string
	// HTTPClient is the HTTP client to use; nil means a plain client with Timeout.
	HTTPClient *http.Client
	// Timeout bounds every call (connection, request and reading the answer) when HTTPClient is nil;
	// zero means stripe-go's default of 80 s. Keep it well below the Lambda function's timeout, so a
	// slow Stripe becomes a PaymentUnavailable that the state machine retries with the same key, not
	// a Lambda timeout.
	Timeout time.Duration
	// MaxNetworkRetries is how often stripe-go retries a failed call within one Refund (same
	// idempotency key, so always safe). Zero leaves retries to the state machine, which retries
	// ExecuteResolution on PaymentUnavailable.
	MaxNetworkRetries int64
}

// NewClient builds a Client from cfg. stripe-go's own logging is switched off: every error is
// returned to the caller, which logs it once and without personal data.
func NewClient(cfg ClientConfig) Client {
	hc := cfg.HTTPClient
	if hc == nil && cfg.Timeout > 0 {
		hc = &http.Client{Timeout: cfg.Timeout}
	}
	bc := &stripe.BackendConfig{
		HTTPClient:        hc,
		MaxNetworkRetries: stripe.Int64(cfg.MaxNetworkRetries),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	}
	if cfg.BaseURL != "" {
		bc.URL = stripe.String(strings.TrimRight(cfg.BaseURL, "/"))
	}
	return Client{backend: stripe.GetBackendWithConfig(stripe.APIBackend, bc), key: cfg.Key}
}

// Refund refunds req.Amount of the PaymentIntent req.PaymentReference with req.IdempotencyKey.
//
// The amount is converted to Stripe's unit for the currency (payment.UnitFor): an amount Stripe
// cannot represent exactly is refused (CodeInvalidRequest) before any call. Refund then reads the
// PaymentIntent and refuses (CodeCurrencyMismatch) if its currency is not the refund's: Stripe refunds
// in the payment's currency, so a mismatch means the amount would be wrong, and no money must move.
// Stripe's answer is converted back, so the caller compares what Stripe refunded with what it
// reserved, in the same unit.
//
// Errors follow one rule: only a definite answer for the idempotency key is a *payment.PaymentDeclined
// (which lets the caller release its reservation). See mapError for the mapping of Stripe's errors;
// any error of the PaymentIntent read is at best a *payment.PaymentUnavailable, never a refusal,
// because a refund made under the key by an earlier attempt is not visible there.
func (g *Gateway) Refund(ctx context.Context, req payment.RefundRequest) (payment.Refund, error) {
	if err := req.Validate(); err != nil {
		return payment.Refund{}, &payment.PaymentDeclined{Provider: Provider, Code: payment.CodeInvalidRequest, Message: err.Error()}
	}
	unit := payment.UnitFor(Provider, req.Amount.Currency)
	amount, err := unit.ToProvider(req.Amount)
	if err != nil {
		// The same request is refused the same way on every attempt, so no attempt ever sent it.
		return payment.Refund{}, &payment.PaymentDeclined{Provider: Provider, Code: payment.CodeInvalidRequest, Message: err.Error()}
	}

	pi, err := g.client.retrievePaymentIntent(ctx, req.PaymentReference, nil)
	if err != nil {
		return payment.Refund{}, mapReadError("retrieve payment intent", err)
	}
	if !strings.EqualFold(string(pi.Currency), req.Amount.Currency) {
		// A PaymentIntent's currency never changes, so no attempt with this key got past this check.
		return payment.Refund{}, &payment.PaymentDeclined{Provider: Provider, Code: payment.CodeCurrencyMismatch,
			Message: fmt.Sprintf("The payment is in %s, the refund asks for %s.", strings.ToUpper(string(pi.Currency)), req.Amount.Currency)}
	}

	params := &stripe.RefundCreateParams{
		PaymentIntent: stripe.String(req.PaymentReference),
		Amount:        stripe.Int64(amount),
		Reason:        stripe.String(string(stripe.RefundReasonRequestedByCustomer)),
	}
	params.SetIdempotencyKey(req.IdempotencyKey)
	// Metadata lets support find the request from Stripe's dashboard; ids only, no personal data.
	params.AddMetadata("idempotency_key", req.IdempotencyKey)
	if req.RequestID != "" {
		params.AddMetadata("request_id", req.RequestID)
	}
	r, err := g.client.createRefund(ctx, params)
	if err != nil {
		return payment.Refund{}, mapError("create refund", err)
	}

	var status payment.RefundStatus
	switch r.Status {
	case stripe.RefundStatusSucceeded:
		status = payment.StatusSucceeded
	case stripe.RefundStatusPending, stripe.RefundStatusRequiresAction:
		status = payment.StatusPending
	case stripe.RefundStatusFailed, stripe.RefundStatusCanceled:
		// Stripe's own word that the refund made under this key did not happen.
		return payment.Refund{}, &payment.PaymentDeclined{Provider: Provider, Code: "refund_" + string(r.Status),
			Message: fmt.Sprintf("Stripe reports refund %s as %s (%s).", r.ID, r.Status, r.FailureReason)}
	default:
		return payment.Refund{}, &payment.PaymentOutcomeUnknown{Provider: Provider, Code: "refund_status_unknown",
			Message: fmt.Sprintf("Stripe reports refund %s with status %q, which this adapter does not know.", r.ID, r.Status)}
	}
	if !strings.EqualFold(string(r.Currency), req.Amount.Currency) {
		return payment.Refund{}, &payment.PaymentOutcomeUnknown{Provider: Provider, Code: "refund_currency_unexpected",
			Message: fmt.Sprintf("Stripe made refund %s in %s, not %s.", r.ID, strings.ToUpper(string(r.Currency)), req.Amount.Currency)}
	}
	refunded, err := unit.FromProvider(r.Amount)
	if err != nil {
		return payment.Refund{}, &payment.PaymentOutcomeUnknown{Provider: Provider, Code: "refund_amount_unexpected",
			Message: fmt.Sprintf("Stripe made refund %s: %v.", r.ID, err)}
	}
	return payment.Refund{ID: r.ID, Status: status, Amount: refunded}, nil
}

// mapError sorts the stripe-go error of the refund-create call op (which carries the idempotency key)
// into the three payment errors.
//
// Unavailable: anything that did not produce a Stripe API error (connection refused or reset, DNS,
// timeouts, a cancelled context, an unreadable response), 5xx and api_error, 424 (a dependency
// outside Stripe failed), 429 (rate limits and lock timeouts) and 409 (the same idempotency key is in
// use by a concurrent request). In every one of these the refund may or may not exist, and repeating
// the call with the same key gives the definitive answer.
//
// Declined, a definite refusal for the key: card_error or invalid_request_error with 400, 402 or 404
// (for example charge_already_refunded, amount_too_large, resource_missing). Stripe replays the saved
// answer of a key, so a refusal now means no refund was ever made under it.
//
// Outcome unknown, everything else: 401 and 403 (the API key or its permissions were refused, as
// during a key rotation: the call never reached the idempotency layer), idempotency_error (the key
// was used with other parameters: a refund may exist under it), and any status or error type this
// mapping does not know. Repeating cannot help and the refund may exist, so a person must look.
func mapError(op string, err error) error {
	var se *stripe.Error
	if !errors.As(err, &se) {
		err = fmt.Errorf("%s: %w", op, err)
		reason := "network"
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
			reason = "timeout"
		}
		return &payment.PaymentUnavailable{Provider: Provider, Reason: reason, Err: err}
	}
	cause := &apiError{op: op, err: se}
	code := string(se.Code)
	if code == "" {
		code = string(se.Type)
	}
	if code == "" {
		code = fmt.Sprintf("http_%d", se.HTTPStatusCode)
	}
	switch {
	case se.HTTPStatusCode >= 500 || se.Type == stripe.ErrorTypeAPI:
		return &payment.PaymentUnavailable{Provider: Provider, Reason: "server_error", Err: cause}
	case se.HTTPStatusCode == http.StatusTooManyRequests:
		return &payment.PaymentUnavailable{Provider: Provider, Reason: "rate_limited", Err: cause}
	case se.HTTPStatusCode == http.StatusConflict:
		return &payment.PaymentUnavailable{Provider: Provider, Reason: "conflict", Err: cause}
	case se.HTTPStatusCode == http.StatusFailedDependency:
		return &payment.PaymentUnavailable{Provider: Provider, Reason: "server_error", Err: cause}
	case se.Type == stripe.ErrorTypeIdempotency:
		return &payment.PaymentOutcomeUnknown{Provider: Provider, Code: payment.CodeIdempotencyMismatch, Message: se.Msg, Err: cause}
	case se.HTTPStatusCode == http.StatusUnauthorized || se.HTTPStatusCode == http.StatusForbidden:
		return &payment.PaymentOutcomeUnknown{Provider: Provider, Code: code, Message: se.Msg, Err: cause}
	case definiteStatus[se.HTTPStatusCode] && (se.Type == stripe.ErrorTypeCard || se.Type == stripe.ErrorTypeInvalidRequest):
		if se.Code == stripe.ErrorCodeResourceMissing {
			code = payment.CodePaymentNotFound
		}
		return &payment.PaymentDeclined{Provider: Provider, Code: code, Message: se.Msg, Err: cause}
	default:
		return &payment.PaymentOutcomeUnknown{Provider: Provider, Code: code, Message: se.Msg, Err: cause}
	}
}

// definiteStatus are the HTTP statuses of Stripe's refusals for good: 400 Bad Request, 402 Request
// Failed, 404 Not Found.
var definiteStatus = map[int]bool{http.StatusBadRequest: true, http.StatusPaymentRequired: true, http.StatusNotFound: true}

// mapReadError maps an error of the PaymentIntent read. The read carries no idempotency key, so no
// answer to it says anything about a refund made under the key by an earlier attempt: what mapError
// would call a refusal (a 404 for a key of the wrong account or mode, say) is an unknown outcome here.
func mapReadError(op string, err error) error {
	err = mapError(op, err)
	var d *payment.PaymentDeclined
	if errors.As(err, &d) {
		return &payment.PaymentOutcomeUnknown{Provider: d.Provider, Code: d.Code, Message: d.Message, Err: d.Err}
	}
	return err
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
