package dynamo

import (
	"context"
	"fmt"
	"refundflow/refund"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// maxIdempotencyBody bounds a stored answer, far below DynamoDB's 400 KB item limit.
const maxIdempotencyBody = 64 << 10

// idempotencyItem is the stored form of a refund.IdempotencyRecord.
type idempotencyItem struct {
	PK  string `json:"PK"`
	SK  string `json:"SK"`
	TTL int64  `json:"ttl"`
	refund.IdempotencyRecord
}

// PutIdempotency stores the first answer for a key. If a live record for the key exists it is
// CodeConflict (another request with the key got there first: read it with GetIdempotency); a record
// past refund.IdempotencyTTL that TTL has not deleted yet is replaced.
func (s *Store) PutIdempotency(ctx context.Context, r refund.IdempotencyRecord) error {
	if r.Key == "" || len(r.Key) > 1024 {
		return fmt.Errorf("put idempotency record: the key must be 1–1024 bytes")
	}
	if len(r.Body) > maxIdempotencyBody {
		return fmt.Errorf("put idempotency record: answer of %d bytes is larger than %d", len(r.Body), maxIdempotencyBody)
	}
	now := s.now()
	r.CreatedAt = now
	item, err := marshal(idempotencyItem{PK: prefixIdem + refund.HashCode(r.Key), SK: skIdem, TTL: now.Add(refund.IdempotencyTTL).Unix(), IdempotencyRecord: r})
	if err != nil {
		return fmt.Errorf("encode idempotency record: %w", err)
	}
	x := &expr{}
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.Table),
		Item:                      item,
		ConditionExpression:       aws.String("attribute_not_exists(" + x.n(AttrPK) + ") OR " + x.n(AttrTTL) + " <= " + x.i(now.Unix())),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
	})
	if isConditionFailed(err) {
		// An SDK retry of a write that succeeded finds its own record: accept exactly that.
		if cur, gerr := s.GetIdempotency(ctx, r.Key); gerr == nil && cur == r {
			return nil
		}
		return conflict("A request with this idempotency key was already processed.")
	}
	if err != nil {
		return fmt.Errorf("put idempotency record: %w", err)
	}
	return nil
}

// GetIdempotency returns the live record for a key, or CodeNotFound if there is none or it is older
// than refund.IdempotencyTTL (TTL deletes late).
func (s *Store) GetIdempotency(ctx context.Context, key string) (refund.IdempotencyRecord, error) {
	none := notFound("No answer is stored for this idempotency key.")
	if key == "" || len(key) > 1024 {
		return refund.IdempotencyRecord{}, none
	}
	it, ok, err := getOne[idempotencyItem](ctx, s, prefixIdem+refund.HashCode(key), skIdem, "idempotency record")
	if err != nil {
		return refund.IdempotencyRecord{}, err
	}
	if !ok || it.TTL <= s.now().Unix() {
		return refund.IdempotencyRecord{}, none
	}
	it.IdempotencyRecord.Key = key
	return it.IdempotencyRecord, nil
}
