// Package paymentfuncs builds the functions that talk to the payment provider: ExecuteResolution, the
// one function that moves money, and StaffApi, whose order route reads every order's payment at the
// provider. Beside the table they link the payment gateways (the sandbox, Stripe) and, for Stripe's
// key, Secrets Manager.
package paymentfuncs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/secrets"
	"refundflow/handler"
	"refundflow/payment"
	"refundflow/payment/sandbox"
	"refundflow/payment/stripepay"
	"refundflow/refund"
)

// FunctionExecuteResolution is the logical ID of the function that moves money, as template.yaml
// names it.
const FunctionExecuteResolution = "ExecuteResolutionFunction"

// The payment providers PAYMENT_PROVIDER selects.
const (
	// ProviderSandbox keeps refunds in the table (payment/sandbox): staging and the local stack.
	ProviderSandbox = "sandbox"
	// ProviderStripe refunds through Stripe with the key from PAYMENT_SECRET_ARN.
	ProviderStripe = "stripe"
)

// StripeTimeout bounds each call to Stripe (connecting, sending, reading the answer). stripe-go's
// default of 80 s is longer than ExecuteResolutionFunction's 30 s timeout: a slow Stripe would stop the
// function, which the state machine does not retry, instead of failing the call with a
// PaymentUnavailable that it retries with the same idempotency key. The handler also ends the call
// 5 s before the invocation's deadline; this bound holds wherever the context has no deadline.
const StripeTimeout = 20 * time.Second

// ExecuteResolution builds the ExecuteResolutionFunction handler (TABLE_NAME, PAYMENT_PROVIDER,
// PAYMENT_SECRET_ARN; for Stripe the key is read from Secrets Manager now).
func ExecuteResolution(ctx context.Context, env lambdaenv.Env) (handler.ExecuteResolution, error) {
	s := env.Store()
	store := lambdaenv.StoreOps{
		GetRequestOp: s.GetRequest, GetConsentOp: s.GetConsent, GetOfferOp: s.GetOffer,
		GetOrderOp: s.GetOrder, ReserveRefundOp: s.ReserveRefund, ApplyProviderRefundOp: s.ApplyProviderRefund,
		FailRefundOp: s.FailRefund, PutCreditOp: s.PutCredit, CloseOrderOp: s.CloseOrder,
		TransitionOp: s.Transition,
	}
	gw, err := Gateway(ctx, &env)
	h := handler.ExecuteResolution{Store: store, Payment: gw, Logger: env.Log()}
	return lambdaenv.Built(h, env.Done(FunctionExecuteResolution, err))
}

// Gateway requires PAYMENT_PROVIDER (and TABLE_NAME for the sandbox, PAYMENT_SECRET_ARN for Stripe)
// and returns the gateway it names. PAYMENT_SECRET_ARN is always read, because template.yaml always
// sets it; only Stripe needs a value. For Stripe the secret is fetched now, at cold start, so a missing
// or unreadable key fails the function's start instead of the first refund.
//
// The secret's value is the Stripe secret key itself ("sk_live_..." or a restricted "rk_live_..."), or
// a JSON object with the key under "key", "api_key" or "secret_key".
func Gateway(ctx context.Context, env *lambdaenv.Env) (payment.Gateway, error) {
	provider := refund.NormalizeProvider(env.Require(lambdaenv.VarPaymentProvider))
	secretARN := env.Optional(lambdaenv.VarPaymentSecretARN)
	switch provider {
	case "":
		return nil, nil // reported by Missing
	case ProviderSandbox:
		return sandbox.New(env.DynamoDB(), env.Require(lambdaenv.VarTableName)), nil
	case ProviderStripe:
		if secretARN == "" {
			env.Require(lambdaenv.VarPaymentSecretARN) // record it as missing
			return nil, nil
		}
		key, err := stripeKey(ctx, env, secretARN)
		if err != nil {
			return nil, err
		}
		return stripepay.New(stripepay.NewClient(stripepay.ClientConfig{Key: key, Timeout: StripeTimeout})), nil
	default:
		return nil, fmt.Errorf("%s must be %q or %q, got %q", lambdaenv.VarPaymentProvider, ProviderSandbox, ProviderStripe, provider)
	}
}

// stripeKey reads the Stripe key from Secrets Manager. The key is never logged or put in an error.
func stripeKey(ctx context.Context, env *lambdaenv.Env, secretARN string) (string, error) {
	value, err := secrets.String(ctx, env, "the payment secret", secretARN)
	if err != nil {
		return "", err
	}
	key, err := parseStripeSecret(value)
	if err != nil {
		return "", fmt.Errorf("payment secret %s: %w", secretARN, err)
	}
	return key, nil
}

// parseStripeSecret extracts the API key from a secret value: the key itself, or a JSON object with
// it under "key", "api_key" or "secret_key".
func parseStripeSecret(value string) (string, error) {
	value = strings.TrimSpace(value)
	if strings.HasPrefix(value, "{") {
		var fields map[string]any
		if err := json.Unmarshal([]byte(value), &fields); err != nil {
			return "", fmt.Errorf("the secret looks like JSON but does not parse")
		}
		for _, name := range []string{"key", "api_key", "secret_key"} {
			if s, ok := fields[name].(string); ok && strings.TrimSpace(s) != "" {
				value = strings.TrimSpace(s)
				break
			}
		}
		if strings.HasPrefix(value, "{") {
			return "", fmt.Errorf("the secret's JSON has no \"key\", \"api_key\" or \"secret_key\" string")
		}
	}
	if value == "" {
		return "", fmt.Errorf("the secret is empty; set its value to the Stripe API key")
	}
	if !strings.HasPrefix(value, "sk_") && !strings.HasPrefix(value, "rk_") {
		return "", fmt.Errorf("the secret does not hold a Stripe secret or restricted key (sk_... or rk_...)")
	}
	return value, nil
}
