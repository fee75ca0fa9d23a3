// Package secrets reads secret values from AWS Secrets Manager for the builders that need one (the
// Stripe key of ExecuteResolution and the staff API, the email lookup key of SubmitRequest and the
// staff API, the webhook signing secret of StripeWebhook and SandboxEvents). It is a package of its
// own so that only those functions link (and initialise, at every cold start) the Secrets Manager
// client.
package secrets

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"refundflow/awsenv/lambdaenv"
)

// Client returns a Secrets Manager client on env's configuration and endpoint override.
func Client(env *lambdaenv.Env) *secretsmanager.Client {
	ep := env.Endpoints.SecretsManager
	return secretsmanager.NewFromConfig(env.AWS, func(o *secretsmanager.Options) {
		if ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
}

// String returns the SecretString of the secret arn. what names the secret's use for the error
// ("the payment secret"); the value is never put in an error.
func String(ctx context.Context, env *lambdaenv.Env, what, arn string) (string, error) {
	out, err := Client(env).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return "", fmt.Errorf("read %s %s: %w", what, arn, err)
	}
	return aws.ToString(out.SecretString), nil
}

// minLookupKeyBytes is the least lookup key accepted: template.yaml generates 64 letters and digits.
const minLookupKeyBytes = 32

// LookupKey requires LOOKUP_KEY_SECRET_ARN and reads the email lookup key, so a missing, unreadable
// or too short secret stops the function at start instead of storing requests nobody can find by
// email (SubmitRequest) or refusing every email search (StaffApi). The value is never logged or put
// in an error. function names the function for the reason it stops with.
//
// In a Lambda function (env.Background set) the read runs in the background from now, and the
// function goes on starting: the read overlaps the rest of the cold start and the first invocation,
// which waits for the key only where it needs it (Key.Key), and ends before that invocation does
// (lambdaenv.Settled). A read that fails stops the function with the reason, as a failure at init
// would. Without env.Background (the local stack, tests) the key is read before LookupKey returns,
// and a failure is its error. It returns nil, nil when the variable is missing (reported by
// Missing).
func LookupKey(ctx context.Context, env *lambdaenv.Env, function string) (*Key, error) {
	arn := env.Require(lambdaenv.VarLookupKeySecretARN)
	if arn == "" {
		return nil, nil
	}
	read := func(ctx context.Context) ([]byte, error) {
		value, err := String(ctx, env, "the email lookup key", arn)
		if err != nil {
			return nil, err
		}
		key := []byte(strings.TrimSpace(value))
		if len(key) < minLookupKeyBytes {
			return nil, fmt.Errorf("email lookup key secret %s: its value has %d bytes, need at least %d random bytes", arn, len(key), minLookupKeyBytes)
		}
		return key, nil
	}
	k := &Key{done: make(chan struct{})}
	if env.Background == nil {
		k.key, k.err = read(ctx)
		close(k.done)
		return k, k.err
	}
	env.Background.Go(function, func() error {
		defer close(k.done)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), keyReadTimeout)
		defer cancel()
		k.key, k.err = read(ctx)
		return k.err
	})
	return k, nil
}

// keyReadTimeout bounds a background read of the lookup key (the SDK retries within it); a read
// that has not ended by then stops the function like one that failed.
const keyReadTimeout = 10 * time.Second

// Key is the email lookup key as LookupKey reads it; it is a handler.LookupKey.
type Key struct {
	done chan struct{} // closed once the read has ended
	key  []byte
	err  error
}

// Key waits for the read to end, or for ctx, and returns the key.
func (k *Key) Key(ctx context.Context) ([]byte, error) {
	select {
	case <-k.done:
		return k.key, k.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// WebhookSecret requires STRIPE_WEBHOOK_SECRET_ARN and reads the payment provider's webhook signing
// secret now (at cold start): the "whsec_..." value Stripe shows for the endpoint (docs/deploy.md),
// or, with the sandbox provider, the value the template generated. StripeWebhook verifies events
// with it and, in a sandbox deployment, SandboxEvents signs them with it. The value is never logged
// or put in an error.
func WebhookSecret(ctx context.Context, env *lambdaenv.Env) (string, error) {
	arn := env.Require(lambdaenv.VarStripeWebhookSecretARN)
	if arn == "" {
		return "", nil // reported by Done
	}
	value, err := String(ctx, env, "the Stripe webhook signing secret", arn)
	if err != nil {
		return "", err
	}
	value = strings.TrimSpace(value)
	if value == "" {
		return "", fmt.Errorf("the Stripe webhook signing secret %s is empty; set it to the endpoint's signing secret (whsec_...)", arn)
	}
	return value, nil
}
