package dynamo

import (
	"context"
	"fmt"
	"refundflow/refund"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// linkItem is the stored form of a refund.LinkCode. Optional times are pointers so that an unused code has
// no used_at attribute (conditions test attribute_not_exists(used_at)); ExpiresNano duplicates
// ExpiresAt as a number (Unix nanoseconds, exact) so that a condition can compare it with "now".
type linkItem struct {
	PK          string             `json:"PK"`
	SK          string             `json:"SK"`
	Hash        string             `json:"hash"`
	RequestID   string             `json:"request_id"`
	Purpose     refund.LinkPurpose `json:"purpose"`
	CreatedAt   time.Time          `json:"created_at"`
	ExpiresAt   *time.Time         `json:"expires_at,omitempty"`
	ExpiresNano int64              `json:"expires_nano,omitempty"`
	TTL         int64              `json:"ttl,omitempty"`
	UsedAt      *time.Time         `json:"used_at,omitempty"`
}

// toLinkCode converts the stored form back.
func (it linkItem) toLinkCode() refund.LinkCode {
	l := refund.LinkCode{Hash: it.Hash, RequestID: it.RequestID, Purpose: it.Purpose, CreatedAt: it.CreatedAt}
	if it.ExpiresAt != nil {
		l.ExpiresAt = it.ExpiresAt.UTC()
	}
	if it.UsedAt != nil {
		l.UsedAt = it.UsedAt.UTC()
	}
	return l
}

// linkPut returns the transaction item that stores l (which must be prepared).
func (s *Store) linkPut(l refund.LinkCode) (types.TransactWriteItem, error) {
	it := linkItem{PK: prefixLink + l.Hash, SK: skLink, Hash: l.Hash, RequestID: l.RequestID, Purpose: l.Purpose, CreatedAt: l.CreatedAt}
	if !l.ExpiresAt.IsZero() {
		exp := l.ExpiresAt
		it.ExpiresAt = &exp
		it.ExpiresNano = l.ExpiresAt.UnixNano()
		it.TTL = l.ExpiresAt.Add(refund.LinkGrace).Unix()
	}
	item, err := marshal(it)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode link code: %w", err)
	}
	return creates(types.Put{TableName: aws.String(s.Table), Item: item}), nil
}

// prepareLink validates l and fills CreatedAt.
func (s *Store) prepareLink(l refund.LinkCode, requestID string) (refund.LinkCode, error) {
	if requestID != "" {
		l.RequestID = requestID
	}
	if !refund.ValidHash(l.Hash) {
		return l, fmt.Errorf("link code hash %q is not a lower-case hex SHA-256", refund.Truncate(l.Hash, 80))
	}
	if err := validID("request id", l.RequestID); err != nil {
		return l, err
	}
	if !l.Purpose.Valid() {
		return l, fmt.Errorf("link code purpose %q is not valid", l.Purpose)
	}
	if l.CreatedAt.IsZero() {
		l.CreatedAt = s.now()
	}
	l.CreatedAt, l.ExpiresAt, l.UsedAt = l.CreatedAt.UTC(), l.ExpiresAt.UTC(), time.Time{}
	return l, nil
}

// PutLinkCode stores a new link code. A hash that is already stored is a CodeConflict (with 128
// random bits this means the same code was stored twice). UsedAt is ignored: new codes are unused.
func (s *Store) PutLinkCode(ctx context.Context, l refund.LinkCode) error {
	l, err := s.prepareLink(l, "")
	if err != nil {
		return err
	}
	put, err := s.linkPut(l)
	if err != nil {
		return err
	}
	exists, err := s.create(ctx, put)
	if exists {
		// An SDK retry of a write that succeeded finds its own item: accept that, refuse anything else.
		if cur, ok, gerr := s.getLink(ctx, l.Hash); gerr == nil && ok && cur.RequestID == l.RequestID &&
			cur.Purpose == l.Purpose && cur.CreatedAt.Equal(l.CreatedAt) && cur.ExpiresAt.Equal(l.ExpiresAt) && cur.UsedAt.IsZero() {
			return nil
		}
		return conflict("This link code already exists.")
	}
	if err != nil {
		return fmt.Errorf("put %s link code for request %s: %w", l.Purpose, l.RequestID, err)
	}
	return nil
}

// LookupLinkCode finds a link code by its hash for one purpose. An unknown hash, a malformed one, or
// a code of another purpose is CodeNotFound ("This link is not valid."). An expired code returns the
// LinkCode together with a CodeGone error, whether or not TTL has deleted the item yet, so the page
// can still name the request. A used code is returned without error; UsedAt says it was used.
func (s *Store) LookupLinkCode(ctx context.Context, hash string, purpose refund.LinkPurpose) (refund.LinkCode, error) {
	if !refund.ValidHash(hash) || !purpose.Valid() {
		return refund.LinkCode{}, refund.ErrLinkNotValid()
	}
	l, ok, err := s.getLink(ctx, hash)
	if err != nil {
		return refund.LinkCode{}, err
	}
	if !ok || l.Purpose != purpose {
		return refund.LinkCode{}, refund.ErrLinkNotValid()
	}
	if l.Expired(s.now()) {
		return l, gone("This link has expired.")
	}
	return l, nil
}

// getLink reads a link code item.
func (s *Store) getLink(ctx context.Context, hash string) (refund.LinkCode, bool, error) {
	it, ok, err := getOne[linkItem](ctx, s, prefixLink+hash, skLink, "link code")
	return it.toLinkCode(), ok, err
}
