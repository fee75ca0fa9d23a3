package faulttest

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/awsenv/httpclient"
	"refundflow/dynamo"
	"refundflow/infra/local/ddblocal"
)

// proxyClient starts the local DynamoDB (ddblocal) behind the proxy and returns a production-configured client and a table.
func proxyClient(t *testing.T) (*DynamoDB, *dynamodb.Client, string) {
	t.Helper()
	d := NewDynamoDB(ddblocal.New(ddblocal.Options{}), 7)
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	client := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), DisableValidateResponseChecksum: true,
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""), HTTPClient: httpclient.New(nil),
	})
	const table = "proxy-test"
	if err := dynamo.EnsureTable(context.Background(), client, table); err != nil {
		t.Fatal(err)
	}
	return d, client, table
}

func TestItemSize(t *testing.T) {
	for _, tc := range []struct {
		name string
		item map[string]any
		want int
	}{
		{"string", map[string]any{"PK": map[string]any{"S": "ORDER#1"}}, 2 + 7},
		{"utf-8 counts bytes", map[string]any{"n": map[string]any{"S": "ü"}}, 1 + 2},
		{"number", map[string]any{"amount": map[string]any{"N": "150000"}}, 6 + 2}, // "15" is significant
		{"long number", map[string]any{"n": map[string]any{"N": "-1234.5678"}}, 1 + 5},
		{"bool and null", map[string]any{"a": map[string]any{"BOOL": true}, "b": map[string]any{"NULL": true}}, 2 + 2},
		{"map", map[string]any{"m": map[string]any{"M": map[string]any{"k": map[string]any{"S": "vv"}}}}, 1 + 3 + 1 + 1 + 2},
		{"list", map[string]any{"l": map[string]any{"L": []any{map[string]any{"S": "x"}, map[string]any{"N": "1"}}}}, 1 + 3 + (1 + 1) + (1 + 2)},
	} {
		if got := ItemSize(tc.item); got != tc.want {
			t.Errorf("%s: ItemSize = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestUnits(t *testing.T) {
	d, client, table := proxyClient(t)
	ctx := context.Background()
	key := map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "A"}, "SK": &types.AttributeValueMemberS{Value: "B"}}
	big := strings.Repeat("x", 2500) // a 2.5 KB item: 3 write units, 1 read unit
	item := map[string]types.AttributeValue{"PK": key["PK"], "SK": key["SK"], "v": &types.AttributeValueMemberS{Value: big}}
	before := d.Usage()
	if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key}); err != nil {
		t.Fatal(err)
	}
	_, err := client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(table), Item: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "C"}, "SK": &types.AttributeValueMemberS{Value: "D"},
			"GSI1PK": &types.AttributeValueMemberS{Value: "STATUS#x"}, "GSI1SK": &types.AttributeValueMemberS{Value: "1"}}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	u := d.Usage().Sub(before)
	for _, tc := range []struct {
		op          string
		read, write float64
	}{
		{"PutItem", 0, 3},
		{"GetItem", 1 + 0.5, 0},          // one strongly consistent, one eventually consistent read
		{"TransactWriteItems", 0, 2 + 1}, // a transactional write of a small item, and its index entry
	} {
		if got := u[tc.op]; got.ReadUnits != tc.read || got.WriteUnits != tc.write {
			t.Errorf("%s: %.1f RRU %.1f WRU, want %.1f and %.1f", tc.op, got.ReadUnits, got.WriteUnits, tc.read, tc.write)
		}
	}
}

func TestFaultsAndSDKRetries(t *testing.T) {
	d, client, table := proxyClient(t)
	ctx := context.Background()
	get := func() error {
		_, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table),
			Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "A"}, "SK": &types.AttributeValueMemberS{Value: "B"}}})
		return err
	}
	// The DynamoDB client makes 4 attempts: 3 failures are absorbed, 4 are not.
	d.SetFault(&Fault{Share: 1, Limit: 3})
	if err := get(); err != nil {
		t.Errorf("3 injected failures: %v, want the SDK's retries to absorb them", err)
	}
	d.SetFault(&Fault{Share: 1, Limit: 4})
	var apiErr interface{ ErrorCode() string }
	if err := get(); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InternalServerError" {
		t.Errorf("4 injected failures: %v, want InternalServerError", err)
	}
	d.SetFault(&Fault{Share: 1, PerCall: 3})
	if err := get(); err != nil {
		t.Errorf("PerCall 3: %v, want the call through on its fourth attempt", err)
	}
	if got := d.Injected(); got != 3 {
		t.Errorf("PerCall 3 injected %d failures, want 3", got)
	}
	d.SetFault(&Fault{Share: 1, Ops: []string{"PutItem"}})
	if err := get(); err != nil {
		t.Errorf("a fault on PutItem failed a GetItem: %v", err)
	}
}

func TestLostTransactionAnswerIsIdempotent(t *testing.T) {
	d, client, table := proxyClient(t)
	put := func() error {
		_, err := client.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String(table), ConditionExpression: aws.String("attribute_not_exists(PK)"),
				Item: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "T"}, "SK": &types.AttributeValueMemberS{Value: "1"}}}},
		}})
		return err
	}
	// The write happens, its answer is lost, and the SDK's retry carries the same
	// ClientRequestToken: DynamoDB answers it as a success instead of failing the condition.
	d.SetFault(&Fault{Share: 1, Limit: 1, Mode: FailAfter})
	if err := put(); err != nil {
		t.Fatalf("a transaction whose first answer was lost: %v", err)
	}
	if err := put(); err == nil {
		t.Error("a new transaction (new token) with the same condition succeeded twice")
	}
}
