package stack

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestTTLFollowsTheStackClock checks that the embedded DynamoDB has TTL enabled from the template and
// that its background deletion goes by the stack's clock: an item whose ttl is a day ahead is kept,
// and deleted once time travel has passed it; the deletion counts as a change for the data directory.
func TestTTLFollowsTheStackClock(t *testing.T) {
	s := startDataStack(t, t.TempDir())
	ctx := context.Background()
	desc, err := s.DynamoDB.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(s.TableName)})
	if err != nil {
		t.Fatal(err)
	}
	if got := desc.TimeToLiveDescription.TimeToLiveStatus; got != ddbtypes.TimeToLiveStatusEnabled {
		t.Errorf("TTL on the embedded table is %s, want ENABLED (template.yaml enables it)", got)
	}
	key := map[string]ddbtypes.AttributeValue{"PK": &ddbtypes.AttributeValueMemberS{Value: "TTLTEST"}, "SK": &ddbtypes.AttributeValueMemberS{Value: "x"}}
	item := map[string]ddbtypes.AttributeValue{"PK": key["PK"], "SK": key["SK"],
		"ttl": &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(s.Clock.Now().Add(24*time.Hour).Unix(), 10)}}
	if _, err := s.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.TableName), Item: item}); err != nil {
		t.Fatal(err)
	}
	exists := func() bool {
		out, err := s.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.TableName), Key: key, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item != nil
	}
	if n := s.expireItems(); n != 0 || !exists() {
		t.Fatalf("before its time: %d items deleted, item exists %v; want 0 and true", n, exists())
	}
	writes := s.persist.tableWrites.get()
	s.Clock.Advance(25 * time.Hour)
	if n := s.expireItems(); n != 1 || exists() {
		t.Errorf("a day later: %d items deleted, item exists %v; want 1 and false", n, exists())
	}
	if s.persist.tableWrites.get() == writes {
		t.Error("the TTL deletion did not count as a change to save")
	}
}
