package dynamo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// Attribute and index names of the table. template.yaml declares the same table; keep them in step.
const (
	// AttrPK and AttrSK are the table's partition and sort key (strings).
	AttrPK = "PK"
	AttrSK = "SK"
	// IndexGSI1 is the one global secondary index (projection ALL), keyed on AttrGSI1PK/AttrGSI1SK.
	// It serves "requests by status" (GSI1PK = STATUS#<status>), "all feedback" (GSI1PK = FEEDBACK)
	// and "decisions not yet delivered to their workflow" (GSI1PK = RESUME, see resume.go).
	IndexGSI1  = "GSI1"
	AttrGSI1PK = "GSI1PK"
	AttrGSI1SK = "GSI1SK"
	// AttrTTL is the TTL attribute: epoch seconds after which DynamoDB may delete the item. TTL deletes
	// late (typically within days), so code always checks expiry itself.
	AttrTTL = "ttl"
)

// TableDefinition returns the CreateTable input for the Refundflow table: string keys PK and SK, the
// GSI1 index (GSI1PK, GSI1SK, projection ALL) and on-demand billing. TTL is not part of CreateTable;
// EnsureTable enables it on AttrTTL.
func TableDefinition(tableName string) *dynamodb.CreateTableInput {
	str := func(name string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: types.ScalarAttributeTypeS}
	}
	return &dynamodb.CreateTableInput{
		TableName:            aws.String(tableName),
		AttributeDefinitions: []types.AttributeDefinition{str(AttrPK), str(AttrSK), str(AttrGSI1PK), str(AttrGSI1SK)},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(AttrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(AttrSK), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(IndexGSI1),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(AttrGSI1PK), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(AttrGSI1SK), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
		BillingMode: types.BillingModePayPerRequest,
	}
}

// EnsureTable creates the table from TableDefinition if it does not exist, waits until it (and its
// index) is ACTIVE, and enables TTL on AttrTTL.
//
// Local backends differ from DynamoDB here, and EnsureTable allows exactly these differences:
//   - minidyn's DescribeTable reports no TableStatus; a missing status counts as ready.
//   - minidyn and dynalite do not implement the TTL API (UpdateTimeToLive); when the backend answers
//     that the operation does not exist (IsUnsupportedOperation), TTL is skipped. Any other error
//     from the TTL API is returned. Nothing depends on TTL for correctness: expiry is checked in code.
func EnsureTable(ctx context.Context, client *dynamodb.Client, name string) error {
	_, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	var notFound *types.ResourceNotFoundException
	switch {
	case err == nil:
	case errors.As(err, &notFound):
		_, err = client.CreateTable(ctx, TableDefinition(name))
		var inUse *types.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) { // in use: someone else created it meanwhile
			return fmt.Errorf("create table %s: %w", name, err)
		}
	default:
		return fmt.Errorf("describe table %s: %w", name, err)
	}
	if err := waitActive(ctx, client, name); err != nil {
		return err
	}
	return enableTTL(ctx, client, name)
}

// waitActive polls DescribeTable until the table and all its indexes are ACTIVE. A missing status
// (minidyn) counts as ACTIVE. The SDK's TableExistsWaiter is not used because it treats a missing
// status as "not yet" and starts with a 20 s delay, both wrong for local backends. The wait is bounded
// by ctx and by a five-minute ceiling.
func waitActive(ctx context.Context, client *dynamodb.Client, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	delay := 50 * time.Millisecond
	for {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("wait for table %s: %w", name, err)
		}
		if tableReady(out.Table) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for table %s to become ACTIVE: %w", name, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, 2*time.Second)
	}
}

// tableReady reports whether a described table and its global indexes are usable.
func tableReady(t *types.TableDescription) bool {
	if t == nil {
		return true
	}
	if t.TableStatus != "" && t.TableStatus != types.TableStatusActive {
		return false
	}
	for _, g := range t.GlobalSecondaryIndexes {
		if g.IndexStatus != "" && g.IndexStatus != types.IndexStatusActive {
			return false
		}
	}
	return true
}

// enableTTL turns TTL on for AttrTTL unless it already is. UpdateTimeToLive on a table whose TTL is
// already enabled is a ValidationException on DynamoDB, so the current state is read first.
func enableTTL(ctx context.Context, client *dynamodb.Client, name string) error {
	desc, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		if IsUnsupportedOperation(err) {
			return nil
		}
		return fmt.Errorf("describe TTL of table %s: %w", name, err)
	}
	if d := desc.TimeToLiveDescription; d != nil && aws.ToString(d.AttributeName) == AttrTTL &&
		(d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		return nil
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(AttrTTL),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil && !IsUnsupportedOperation(err) {
		return fmt.Errorf("enable TTL on %s.%s: %w", name, AttrTTL, err)
	}
	return nil
}

// IsUnsupportedOperation reports whether err says that the backend does not implement the API
// operation at all, as local stand-ins answer: dynalite returns UnknownOperationException (as
// DynamoDB itself does for an unknown X-Amz-Target); minidyn's HTTP server answers 400 with the plain
// text body "unsupported operation", which the SDK cannot decode and reports as a deserialization
// error whose snapshot is that body. Real DynamoDB implements every operation this package calls, so
// this never hides a real failure.
func IsUnsupportedOperation(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "UnknownOperationException" {
		return true
	}
	var respErr *awshttp.ResponseError
	var deserErr *smithy.DeserializationError
	return errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusBadRequest &&
		errors.As(err, &deserErr) && strings.TrimSpace(string(deserErr.Snapshot)) == "unsupported operation"
}
