package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// IdempotencyTTL is how long an idempotency record answers retries.
const IdempotencyTTL = 24 * time.Hour

// maxIdempotencyBody bounds a stored answer, far below DynamoDB's 400 KB item limit.
const maxIdempotencyBody = 64 << 10

// IdempotencyRecord is the first answer given to a request that carried an Idempotency-Key, so a
// retry with the same key gets the same answer.
type IdempotencyRecord struct {
	// Key is the client's key, scoped by the caller (e.g. "POST /requests:" + header). Only its
	// SHA-256 is part of the table key; the key itself is not stored.
	Key string `json:"-"`
	// Fingerprint identifies the request the key was first used with (e.g. a hash of the body), so a
	// key reused for a different request can be refused.
	Fingerprint string `json:"fingerprint,omitempty"`
	// StatusCode, ContentType and Body are the answer.
	StatusCode  int    `json:"status_code"`
	ContentType string `json:"content_type,omitempty"`
	Body        string `json:"body,omitempty"`
	// RequestID is the refund request the answer created, if any.
	RequestID string `json:"request_id,omitempty"`
	// CreatedAt is set by PutIdempotency; the record answers until CreatedAt + IdempotencyTTL.
	CreatedAt time.Time `json:"created_at"`
}

// idempotencyItem is the stored form of an IdempotencyRecord.
type idempotencyItem struct {
	PK  string `json:"PK"`
	SK  string `json:"SK"`
	TTL int64  `json:"ttl"`
	IdempotencyRecord
}

// PutIdempotency stores the first answer for a key. If a live record for the key exists it is
// CodeConflict (another request with the key got there first: read it with GetIdempotency); a record
// past IdempotencyTTL that TTL has not deleted yet is replaced.
func (s *Store) PutIdempotency(ctx context.Context, r IdempotencyRecord) error {
	if r.Key == "" || len(r.Key) > 1024 {
		return fmt.Errorf("put idempotency record: the key must be 1–1024 bytes")
	}
	if len(r.Body) > maxIdempotencyBody {
		return fmt.Errorf("put idempotency record: answer of %d bytes is larger than %d", len(r.Body), maxIdempotencyBody)
	}
	now := s.now()
	r.CreatedAt = now
	item, err := marshal(idempotencyItem{PK: prefixIdem + HashCode(r.Key), SK: skIdem, TTL: now.Add(IdempotencyTTL).Unix(), IdempotencyRecord: r})
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
// than IdempotencyTTL (TTL deletes late).
func (s *Store) GetIdempotency(ctx context.Context, key string) (IdempotencyRecord, error) {
	if key == "" || len(key) > 1024 {
		return IdempotencyRecord{}, notFound("No answer is stored for this idempotency key.")
	}
	item, err := s.getItem(ctx, prefixIdem+HashCode(key), skIdem)
	if err != nil {
		return IdempotencyRecord{}, fmt.Errorf("get idempotency record: %w", err)
	}
	if item == nil {
		return IdempotencyRecord{}, notFound("No answer is stored for this idempotency key.")
	}
	var it idempotencyItem
	if err := unmarshal(item, &it); err != nil {
		return IdempotencyRecord{}, fmt.Errorf("decode idempotency record: %w", err)
	}
	if it.TTL <= s.now().Unix() {
		return IdempotencyRecord{}, notFound("No answer is stored for this idempotency key.")
	}
	it.IdempotencyRecord.Key = key
	return it.IdempotencyRecord, nil
}
