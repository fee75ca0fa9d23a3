package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"refundflow/refund"
)

// maxOffersPerSet bounds one set of offers (Resolve makes at most a handful).
const maxOffersPerSet = 50

// offerItem is the stored form of an offer. The offer is kept as its JSON text, exactly as encoded
// once, so that what was offered can be compared byte for byte and its agreement hash recomputed.
type offerItem struct {
	PK        string    `json:"PK"`
	SK        string    `json:"SK"`
	RequestID string    `json:"request_id"`
	OfferID   string    `json:"offer_id"`
	Set       int       `json:"set"`
	Position  int       `json:"position"`
	Offer     string    `json:"offer"`
	CreatedAt time.Time `json:"created_at"`
}

// encodeOffer returns the stored JSON of an offer. A nil breakdown is stored as [], as
// refund.CanonicalJSON treats it, so the offer reads back equal for hashing.
func encodeOffer(o refund.Offer) (string, error) {
	if o.Breakdown == nil {
		o.Breakdown = []refund.Line{}
	}
	data, err := json.Marshal(o)
	if err != nil {
		return "", fmt.Errorf("encode offer %s: %w", o.ID, err)
	}
	return string(data), nil
}

// PutOffers stores a set of offers for a request and makes it the request's current set (see
// ListOffers). set numbers start at 1; staff adjustments store a higher set with new offer IDs, and
// the old offers stay. Offers are immutable: storing an offer again with the same content, set and
// position is fine (so a retried step succeeds), but different content under an existing ID is
// CodeConflict. The current set never goes back: storing set 1 after set 2 is CodeConflict. An
// unknown request is CodeNotFound. Each offer's RequestID must be requestID.
//
// No transaction is needed: the offers are written first and the request's pointer to the set last,
// so a reader never sees a set whose offers are missing, and a retry completes an interrupted call.
func (s *Store) PutOffers(ctx context.Context, requestID string, set int, offers []refund.Offer) error {
	if err := validID("request id", requestID); err != nil {
		return err
	}
	if set < 1 {
		return fmt.Errorf("put offers of request %s: set must be 1 or more, not %d", requestID, set)
	}
	if len(offers) == 0 || len(offers) > maxOffersPerSet {
		return fmt.Errorf("put offers of request %s: a set has 1–%d offers, not %d", requestID, maxOffersPerSet, len(offers))
	}
	seen := map[string]bool{}
	for _, o := range offers {
		if err := validID("offer id", o.ID); err != nil {
			return err
		}
		if o.RequestID != requestID {
			return fmt.Errorf("put offers of request %s: offer %s belongs to request %q", requestID, o.ID, o.RequestID)
		}
		if seen[o.ID] {
			return fmt.Errorf("put offers of request %s: offer %s appears twice", requestID, o.ID)
		}
		seen[o.ID] = true
	}
	now := s.now()
	for i, o := range offers {
		body, err := encodeOffer(o)
		if err != nil {
			return err
		}
		it := offerItem{PK: requestPK(requestID), SK: prefixOffer + o.ID, RequestID: requestID, OfferID: o.ID, Set: set, Position: i, Offer: body, CreatedAt: now}
		if err := s.putOffer(ctx, it); err != nil {
			return err
		}
	}
	x := &expr{}
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(s.Table),
		Key:              key(requestPK(requestID), skRequest),
		UpdateExpression: aws.String("SET " + x.n("offer_set") + " = " + x.i(int64(set))),
		ConditionExpression: aws.String("attribute_exists(" + x.n(AttrPK) + ") AND (attribute_not_exists(" + x.n("offer_set") +
			") OR " + x.n("offer_set") + " <= " + x.i(int64(set)) + ")"),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
	})
	if isConditionFailed(err) {
		cur, gerr := s.GetRequest(ctx, requestID)
		if gerr != nil {
			return gerr
		}
		return conflict("Request %s already has a newer set of offers (%d) than set %d.", requestID, cur.OfferSet, set)
	}
	if err != nil {
		return fmt.Errorf("make offer set %d current for request %s: %w", set, requestID, err)
	}
	return nil
}

// putOffer writes one offer if it is new, and accepts it if the same offer is already stored.
func (s *Store) putOffer(ctx context.Context, it offerItem) error {
	item, err := marshal(it)
	if err != nil {
		return fmt.Errorf("encode offer %s: %w", it.OfferID, err)
	}
	x := &expr{}
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.Table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(" + x.n(AttrPK) + ")"),
		ExpressionAttributeNames: x.Names(),
	})
	if err == nil {
		return nil
	}
	if !isConditionFailed(err) {
		return fmt.Errorf("put offer %s: %w", it.OfferID, err)
	}
	existing, ok, gerr := s.getOfferItem(ctx, it.RequestID, it.OfferID)
	if gerr != nil {
		return gerr
	}
	if ok && existing.Offer == it.Offer && existing.Set == it.Set && existing.Position == it.Position {
		return nil // the same offer again: a retry
	}
	return conflict("Offer %s already exists with different content; offers never change, so an adjusted offer needs a new ID.", it.OfferID)
}

// getOfferItem reads one stored offer.
func (s *Store) getOfferItem(ctx context.Context, requestID, offerID string) (offerItem, bool, error) {
	item, err := s.getItem(ctx, requestPK(requestID), prefixOffer+offerID)
	if err != nil {
		return offerItem{}, false, fmt.Errorf("get offer %s: %w", offerID, err)
	}
	if item == nil {
		return offerItem{}, false, nil
	}
	var it offerItem
	if err := unmarshal(item, &it); err != nil {
		return offerItem{}, false, fmt.Errorf("decode offer %s: %w", offerID, err)
	}
	return it, true, nil
}

// decode returns the stored offer.
func (it offerItem) decode() (refund.Offer, error) {
	var o refund.Offer
	if err := json.Unmarshal([]byte(it.Offer), &o); err != nil {
		return refund.Offer{}, fmt.Errorf("decode offer %s: %w", it.OfferID, err)
	}
	return o, nil
}

// GetOffer returns one offer of the request, from any set (consent and execution look up the offer the
// client chose and re-check its hash). An unknown offer is CodeNotFound.
func (s *Store) GetOffer(ctx context.Context, requestID, offerID string) (refund.Offer, error) {
	if err := validID("request id", requestID); err != nil {
		return refund.Offer{}, err
	}
	if err := validID("offer id", offerID); err != nil {
		return refund.Offer{}, notFound("This offer was not found.")
	}
	it, ok, err := s.getOfferItem(ctx, requestID, offerID)
	if err != nil {
		return refund.Offer{}, err
	}
	if !ok {
		return refund.Offer{}, notFound("This offer was not found.")
	}
	return it.decode()
}

// ListOffers returns the request's current set of offers in the order they were stored (the
// recommended one first), and the set's number. A request without offers gives an empty list and set
// 0; an unknown request is CodeNotFound.
func (s *Store) ListOffers(ctx context.Context, requestID string) ([]refund.Offer, int, error) {
	req, err := s.GetRequest(ctx, requestID)
	if err != nil {
		return nil, 0, err
	}
	if req.OfferSet == 0 {
		return []refund.Offer{}, 0, nil
	}
	items, err := s.queryAll(ctx, requestPK(requestID), prefixOffer, 100*maxOffersPerSet)
	if err != nil {
		return nil, 0, fmt.Errorf("list offers of request %s: %w", requestID, err)
	}
	var current []offerItem
	for _, item := range items {
		var it offerItem
		if err := unmarshal(item, &it); err != nil {
			return nil, 0, fmt.Errorf("decode offer of request %s: %w", requestID, err)
		}
		if it.Set == req.OfferSet {
			current = append(current, it)
		}
	}
	sort.Slice(current, func(i, j int) bool { return current[i].Position < current[j].Position })
	offers := make([]refund.Offer, 0, len(current))
	for _, it := range current {
		o, err := it.decode()
		if err != nil {
			return nil, 0, err
		}
		offers = append(offers, o)
	}
	return offers, req.OfferSet, nil
}
