package dynamo_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"refundflow/dynamo"
	"refundflow/dynamo/dynamotest"
)

func TestTableDefinition(t *testing.T) {
	def := dynamo.TableDefinition("refunds")
	if got, want := aws.ToString(def.TableName), "refunds"; got != want {
		t.Errorf("table name = %q, want %q", got, want)
	}
	if got, want := def.BillingMode, types.BillingModePayPerRequest; got != want {
		t.Errorf("billing mode = %q, want %q", got, want)
	}
	keys := func(ks []types.KeySchemaElement) string {
		s := ""
		for _, k := range ks {
			s += aws.ToString(k.AttributeName) + ":" + string(k.KeyType) + " "
		}
		return s
	}
	if got, want := keys(def.KeySchema), "PK:HASH SK:RANGE "; got != want {
		t.Errorf("key schema = %q, want %q", got, want)
	}
	if got, want := len(def.GlobalSecondaryIndexes), 1; got != want {
		t.Fatalf("%d global indexes, want %d", got, want)
	}
	gsi := def.GlobalSecondaryIndexes[0]
	if got, want := aws.ToString(gsi.IndexName)+" "+keys(gsi.KeySchema), "GSI1 GSI1PK:HASH GSI1SK:RANGE "; got != want {
		t.Errorf("GSI = %q, want %q", got, want)
	}
	if got, want := gsi.Projection.ProjectionType, types.ProjectionTypeAll; got != want {
		t.Errorf("GSI projection = %q, want %q", got, want)
	}
	for _, a := range def.AttributeDefinitions {
		if a.AttributeType != types.ScalarAttributeTypeS {
			t.Errorf("attribute %s has type %s, want S", aws.ToString(a.AttributeName), a.AttributeType)
		}
	}
	if got, want := len(def.AttributeDefinitions), 4; got != want {
		t.Errorf("%d attribute definitions, want %d (only key attributes may be declared)", got, want)
	}
}

func TestEnsureTable(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		ctx := context.Background()
		name := b.Table(t) // created through EnsureTable
		// A second call finds the table and changes nothing.
		if err := dynamo.EnsureTable(ctx, b.Client, name); err != nil {
			t.Fatalf("EnsureTable on an existing table: %v", err)
		}
		out, err := b.Client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(out.Table.GlobalSecondaryIndexes); got != 1 || aws.ToString(out.Table.GlobalSecondaryIndexes[0].IndexName) != dynamo.IndexGSI1 {
			t.Errorf("described indexes = %+v, want GSI1", out.Table.GlobalSecondaryIndexes)
		}
		if s := out.Table.TableStatus; s != "" && s != types.TableStatusActive {
			t.Errorf("table status after EnsureTable = %q, want ACTIVE (or none, on minidyn)", s)
		}
	})
}

// TestUnsupportedOperation pins down how the local backends answer an operation they lack, which
// EnsureTable relies on to skip TTL there and only there.
func TestUnsupportedOperation(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		ctx := context.Background()
		name := b.Table(t)
		_, err := b.Client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName:               aws.String(name),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(dynamo.AttrTTL), Enabled: aws.Bool(true)},
		})
		// EnsureTable already enabled TTL where the backend has the API, and DynamoDB refuses to
		// enable it twice.
		var invalid smithy.APIError
		already := errors.As(err, &invalid) && invalid.ErrorCode() == "ValidationException" && strings.Contains(invalid.ErrorMessage(), "already enabled")
		if err != nil && !already && !dynamo.IsUnsupportedOperation(err) {
			t.Fatalf("UpdateTimeToLive failed with an error that is not 'unsupported operation': %v", err)
		}
		t.Logf("%s: UpdateTimeToLive supported: %v", b.Name, err == nil || already)
		// Other failures are never mistaken for a missing operation.
		_, err = b.Client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name + "-missing")})
		if err == nil || dynamo.IsUnsupportedOperation(err) {
			t.Errorf("DescribeTable of a missing table: err = %v, IsUnsupportedOperation = %v; want a not-found error", err, dynamo.IsUnsupportedOperation(err))
		}
	})
}
