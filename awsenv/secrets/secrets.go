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

// LookupKey requires LOOKUP_KEY_SECRET_ARN and reads the email lookup key now (at cold start), so a
// missing or unreadable secret stops the function from starting instead of storing requests nobody
// can find by email (SubmitRequest) or refusing every email search (StaffApi). The value is never
// logged or put in an error.
func LookupKey(ctx context.Context, env *lambdaenv.Env) ([]byte, error) {
	arn := env.Require(lambdaenv.VarLookupKeySecretARN)
	if arn == "" {
		return nil, nil // reported by Missing
	}
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
