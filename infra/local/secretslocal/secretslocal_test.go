package secretslocal_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"refundflow/awsenv/httpclient"
	"refundflow/infra/local/secretslocal"
)

// TestGetSecretValueThroughTheSDK drives the stand-in with the real client, by ARN and by name, and
// checks that an unknown secret is the SDK's typed ResourceNotFoundException.
func TestGetSecretValueThroughTheSDK(t *testing.T) {
	store := secretslocal.New()
	store.Put("arn:aws:secretsmanager:us-east-1:123456789012:secret:CsrfSecret", "CsrfSecret", "s3cr3t")
	srv := httptest.NewServer(store)
	defer srv.Close()
	client := secretsmanager.New(secretsmanager.Options{
		BaseEndpoint: aws.String(srv.URL), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("x", "y", ""), HTTPClient: httpclient.New(nil),
	})
	for _, id := range []string{"arn:aws:secretsmanager:us-east-1:123456789012:secret:CsrfSecret", "CsrfSecret"} {
		out, err := client.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			t.Fatalf("GetSecretValue(%s): %v", id, err)
		}
		if got, want := aws.ToString(out.SecretString), "s3cr3t"; got != want {
			t.Errorf("GetSecretValue(%s) = %q, want %q", id, got, want)
		}
	}
	_, err := client.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("unknown secret: got %v, want ResourceNotFoundException", err)
	}
}
