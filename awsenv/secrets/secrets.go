// Package secrets reads secret values from AWS Secrets Manager for the builders that need one (the
// Stripe key of ExecuteResolution). It is a package of its own so that only those functions link (and
// initialise, at every cold start) the Secrets Manager client.
package secrets

import (
	"context"
	"fmt"

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
