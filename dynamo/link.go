package dynamo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// LinkPurpose says what a link code opens. A code only works for its own purpose.
type LinkPurpose string

// The link purposes.
const (
	// LinkStatus opens the request's status page (and allows withdrawing).
	LinkStatus LinkPurpose = "status"
	// LinkConsent opens the offers and records the client's decision.
	LinkConsent LinkPurpose = "consent"
	// LinkFeedback opens the feedback form.
	LinkFeedback LinkPurpose = "feedback"
)

// Valid reports whether p is one of the defined purposes.
func (p LinkPurpose) Valid() bool { return p == LinkStatus || p == LinkConsent || p == LinkFeedback }

// LinkGrace is how long an expired link code is kept before TTL may delete it, so that an old link
// shows "this link has expired" (410) for a while instead of "unknown link" (404).
const LinkGrace = 30 * 24 * time.Hour

// LinkCode is the stored side of a link sent by email. The code itself (>= 128 random bits) is only in
// the email; the table holds its SHA-256.
type LinkCode struct {
	// Hash is the lower-case hex SHA-256 of the code (HashCode).
	Hash string `json:"hash"`
	// RequestID is the request the link belongs to.
	RequestID string `json:"request_id"`
	// Purpose says what the link opens.
	Purpose LinkPurpose `json:"purpose"`
	// CreatedAt is set by PutLinkCode when zero.
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is when the link stops working; zero means never.
	ExpiresAt time.Time `json:"expires_at"`
	// UsedAt is when the link recorded a decision (consent links); zero means unused.
	UsedAt time.Time `json:"used_at"`
}

// Expired reports whether the link has expired at time now.
func (l LinkCode) Expired(now time.Time) bool {
	return !l.ExpiresAt.IsZero() && !now.Before(l.ExpiresAt)
}

// HashCode returns the lower-case hex SHA-256 of a link code, the form the table stores and looks up.
func HashCode(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// validHash reports whether h looks like a lower-case hex SHA-256.
func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// linkItem is the stored form of a LinkCode. Optional times are pointers so that an unused code has
// no used_at attribute (conditions test attribute_not_exists(used_at)); ExpiresNano duplicates
// ExpiresAt as a number (Unix nanoseconds, exact) so that a condition can compare it with "now".
type linkItem struct {
	PK          string      `json:"PK"`
	SK          string      `json:"SK"`
	Hash        string      `json:"hash"`
	RequestID   string      `json:"request_id"`
	Purpose     LinkPurpose `json:"purpose"`
	CreatedAt   time.Time   `json:"created_at"`
	ExpiresAt   *time.Time  `json:"expires_at,omitempty"`
	ExpiresNano int64       `json:"expires_nano,omitempty"`
	TTL         int64       `json:"ttl,omitempty"`
	UsedAt      *time.Time  `json:"used_at,omitempty"`
}

// toLinkCode converts the stored form back.
func (it linkItem) toLinkCode() LinkCode {
	l := LinkCode{Hash: it.Hash, RequestID: it.RequestID, Purpose: it.Purpose, CreatedAt: it.CreatedAt}
	if it.ExpiresAt != nil {
		l.ExpiresAt = it.ExpiresAt.UTC()
	}
	if it.UsedAt != nil {
		l.UsedAt = it.UsedAt.UTC()
	}
	return l
}

// linkPut returns the transaction item that stores l (which must be prepared).
func (s *Store) linkPut(l LinkCode) (types.TransactWriteItem, error) {
	it := linkItem{PK: prefixLink + l.Hash, SK: skLink, Hash: l.Hash, RequestID: l.RequestID, Purpose: l.Purpose, CreatedAt: l.CreatedAt}
	if !l.ExpiresAt.IsZero() {
		exp := l.ExpiresAt
		it.ExpiresAt = &exp
		it.ExpiresNano = l.ExpiresAt.UnixNano()
		it.TTL = l.ExpiresAt.Add(LinkGrace).Unix()
	}
	item, err := marshal(it)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode link code: %w", err)
	}
	x := &expr{}
	return types.TransactWriteItem{Put: &types.Put{
		TableName:                aws.String(s.Table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(" + x.n(AttrPK) + ")"),
		ExpressionAttributeNames: x.Names(),
	}}, nil
}

// prepareLink validates l and fills CreatedAt.
func (s *Store) prepareLink(l LinkCode, requestID string) (LinkCode, error) {
	if requestID != "" {
		l.RequestID = requestID
	}
	if !validHash(l.Hash) {
		return l, fmt.Errorf("link code hash %q is not a lower-case hex SHA-256", truncate(l.Hash, 80))
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
func (s *Store) PutLinkCode(ctx context.Context, l LinkCode) error {
	l, err := s.prepareLink(l, "")
	if err != nil {
		return err
	}
	put, err := s.linkPut(l)
	if err != nil {
		return err
	}
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                put.Put.TableName,
		Item:                     put.Put.Item,
		ConditionExpression:      put.Put.ConditionExpression,
		ExpressionAttributeNames: put.Put.ExpressionAttributeNames,
	})
	if isConditionFailed(err) {
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
func (s *Store) LookupLinkCode(ctx context.Context, hash string, purpose LinkPurpose) (LinkCode, error) {
	if !validHash(hash) || !purpose.Valid() {
		return LinkCode{}, notFound("This link is not valid. Please use the link from your most recent email.")
	}
	l, ok, err := s.getLink(ctx, hash)
	if err != nil {
		return LinkCode{}, err
	}
	if !ok || l.Purpose != purpose {
		return LinkCode{}, notFound("This link is not valid. Please use the link from your most recent email.")
	}
	if l.Expired(s.now()) {
		return l, gone("This link has expired.")
	}
	return l, nil
}

// getLink reads a link code item.
func (s *Store) getLink(ctx context.Context, hash string) (LinkCode, bool, error) {
	item, err := s.getItem(ctx, prefixLink+hash, skLink)
	if err != nil {
		return LinkCode{}, false, fmt.Errorf("look up link code: %w", err)
	}
	if item == nil {
		return LinkCode{}, false, nil
	}
	var it linkItem
	if err := unmarshal(item, &it); err != nil {
		return LinkCode{}, false, fmt.Errorf("decode link code: %w", err)
	}
	return it.toLinkCode(), true, nil
}
