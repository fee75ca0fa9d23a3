package httpclient_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/awsenv/httpclient"
)

// TestSDKLargeResponses runs the race of the package comment through the real SDK: many calls with
// large responses against a fast local server. With the SDK's default client they failed now and
// then with "use of closed network connection" (under -race, as CI runs it, within the first few
// hundred calls in 4 of 4 runs on this machine; without -race more rarely). SDK retries are off, so
// any such failure fails the test. TestEarlyCloseIsTheEndOfTheBody shows the same deterministically.
func TestSDKLargeResponses(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("d", 4000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = io.WriteString(w, `{"Item":{"D":{"S":"`+big+`"}}}`+"\n")
	}))
	defer srv.Close()
	client := dynamodb.New(dynamodb.Options{
		BaseEndpoint:                    aws.String(srv.URL),
		Region:                          "us-east-1",
		Credentials:                     credentials.NewStaticCredentialsProvider("test", "test", ""),
		DisableValidateResponseChecksum: true,
		HTTPClient:                      httpclient.New(nil),
		RetryMaxAttempts:                1,
	})
	key := map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "a"},
		"SK": &types.AttributeValueMemberS{Value: "b"},
	}
	for i := 0; i < 3000; i++ {
		out, err := client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("t"), Key: key})
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if d, ok := out.Item["D"].(*types.AttributeValueMemberS); !ok || len(d.Value) != len(big) {
			t.Fatalf("call %d: response body cut short", i)
		}
	}
}
