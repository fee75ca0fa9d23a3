package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

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

// maxOfferSetBytes bounds the encoded offers of one set, so that a set with its request update, audit
// entry and resume marker stays far below DynamoDB's 4 MB per transaction (each offer is also far
// below the 400 KB item limit: Resolve's breakdowns have at most a few hundred lines).
const maxOfferSetBytes = 2 << 20

// offerPuts validates a set of offers (refund.WithOffers) and returns the transaction items that
// store them, each only if its ID is new.
func (s *Store) offerPuts(requestID string, set refund.OfferSet, now time.Time) ([]types.TransactWriteItem, error) {
	if set.Number < 1 {
		return nil, fmt.Errorf("put offers of request %s: set must be 1 or more, not %d", requestID, set.Number)
	}
	if len(set.Offers) > maxOffersPerSet {
		return nil, fmt.Errorf("put offers of request %s: a set has at most %d offers, not %d", requestID, maxOffersPerSet, len(set.Offers))
	}
	seen := map[string]bool{}
	items := make([]types.TransactWriteItem, 0, len(set.Offers))
	size := 0
	for i, o := range set.Offers {
		if err := validID("offer id", o.ID); err != nil {
			return nil, err
		}
		if o.RequestID != requestID {
			return nil, fmt.Errorf("put offers of request %s: offer %s belongs to request %q", requestID, o.ID, o.RequestID)
		}
		if seen[o.ID] {
			return nil, fmt.Errorf("put offers of request %s: offer %s appears twice", requestID, o.ID)
		}
		seen[o.ID] = true
		body, err := encodeOffer(o)
		if err != nil {
			return nil, err
		}
		if size += len(body); size > maxOfferSetBytes {
			return nil, fmt.Errorf("put offers of request %s: the set's offers exceed %d bytes", requestID, maxOfferSetBytes)
		}
		item, err := marshal(offerItem{PK: requestPK(requestID), SK: prefixOffer + o.ID, RequestID: requestID, OfferID: o.ID,
			Set: set.Number, Position: i, Offer: body, CreatedAt: now})
		if err != nil {
			return nil, fmt.Errorf("encode offer %s: %w", o.ID, err)
		}
		items = append(items, creates(types.Put{TableName: aws.String(s.Table), Item: item}))
	}
	return items, nil
}

// getOfferItem reads one stored offer.
func (s *Store) getOfferItem(ctx context.Context, requestID, offerID string) (offerItem, bool, error) {
	return getOne[offerItem](ctx, s, requestPK(requestID), prefixOffer+offerID, "offer "+offerID)
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
