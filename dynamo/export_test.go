package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"refundflow/refund"
)

// SeedRequest writes a request item with a plain PutItem, exactly as CreateRequest's first
// transaction item does but without the lock, link and audit, so that the read paths (GetRequest,
// ListRequestsByStatus, offers, tokens) can be tested on backends without TransactWriteItems
// (dynalite). It exists in test builds only.
func (s *Store) SeedRequest(ctx context.Context, req refund.Request, sub refund.Submission) error {
	item, err := marshal(newRequestItem(req, sub))
	if err != nil {
		return fmt.Errorf("encode request %s: %w", req.ID, err)
	}
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item})
	return err
}

// DecodeCursor exposes decodeCursor to the tests.
var DecodeCursor = decodeCursor

// SendTransactionsOneByOne makes the store send each transaction item as its own request, so that a
// backend without TransactWriteItems (dynalite) checks every item's expressions, names, values and
// sizes. Not atomic: use it for single-threaded happy paths only.
func (s *Store) SendTransactionsOneByOne() { s.oneByOne = true }
