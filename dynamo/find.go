package dynamo

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"refundflow/refund"
)

// Finding requests. The staff console finds a request by its ID (the item's own key), by its order
// number or by its client's email, without a Scan: CreateRequest writes one lookup item per way to
// find it, keyed so that one Query returns the requests of an order or of an email newest first:
//
//	FIND#ORDER#<NUMBER>    <created>#<id>        {request_id}
//	FIND#EMAIL#<hash>      <created>#<id>        {request_id}
//
// Both have partitions of their own, so SubmitRequest (a public function) writes nothing under
// ORDER#<n>, the order and its ledger. The email's key is its keyed hash (refund.EmailLookup, computed by the handler with a secret key
// the table does not hold), so no key holds an email in clear. Requests stored before lookup items
// existed are found by ID only.
//
// The lookup items are written just before the request's transaction, each with a plain PutItem (1
// write unit each; inside the transaction they cost 2): a lookup whose request was then refused (a
// second open request, a crash in between) names a request that does not exist, and FindRequests
// skips it; a retried submission writes the same keys again. Writing them after the transaction
// instead could lose them to a crash in between, and the request would not be found by email.
const (
	prefixFindOrder = "FIND#ORDER#"
	prefixFindEmail = "FIND#EMAIL#"
)

// lookupItem is one way to find a request.
type lookupItem struct {
	PK        string `json:"PK"`
	SK        string `json:"SK"`
	RequestID string `json:"request_id"`
}

// putLookups writes a new request's lookup items (see the comment on finding requests above): by
// order number, and by email when the submission carries its keyed hash. Each item's key is written
// out where it is put, so the IAM test can tell which partitions SubmitRequest writes.
func (s *Store) putLookups(ctx context.Context, req refund.Request, sub refund.Submission) error {
	at := sortTime(req.CreatedAt) + "#" + req.ID
	byOrder, err := marshal(lookupItem{PK: prefixFindOrder + strings.ToUpper(req.OrderNumber), SK: at, RequestID: req.ID})
	if err != nil {
		return fmt.Errorf("encode lookup of request %s: %w", req.ID, err)
	}
	if _, err := s.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: byOrder}); err != nil {
		return fmt.Errorf("store lookup of request %s by order: %w", req.ID, err)
	}
	if sub.EmailLookup == "" {
		return nil
	}
	byEmail, err := marshal(lookupItem{PK: prefixFindEmail + sub.EmailLookup, SK: at, RequestID: req.ID})
	if err != nil {
		return fmt.Errorf("encode lookup of request %s: %w", req.ID, err)
	}
	if _, err := s.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: byEmail}); err != nil {
		return fmt.Errorf("store lookup of request %s by email: %w", req.ID, err)
	}
	return nil
}

// maxFound bounds the requests one search returns (one order or one client rarely has more).
const maxFound = 25

// FindRequests returns the requests a search names, newest first, at most limit (1–25; 0 means 25):
// the request of an ID or of a refund reference, the requests of an order number, or those of an
// email's keyed hash (s.Value must already be refund.EmailLookup's hash for SearchEmail). No match is
// an empty list, not an error.
func (s *Store) FindRequests(ctx context.Context, search refund.Search, limit int) ([]refund.RequestRecord, error) {
	if limit <= 0 || limit > maxFound {
		limit = maxFound
	}
	if err := validID("search", search.Value); err != nil {
		return nil, err
	}
	var pk string
	switch search.Kind {
	case refund.SearchRequest, refund.SearchRefund:
		rec, ok, err := s.getRequestItem(ctx, search.Value)
		if err != nil || !ok {
			return []refund.RequestRecord{}, err
		}
		return []refund.RequestRecord{rec.RequestRecord}, nil
	case refund.SearchOrder:
		pk = prefixFindOrder + strings.ToUpper(search.Value)
	case refund.SearchEmail:
		pk = prefixFindEmail + search.Value
	default:
		return nil, fmt.Errorf("find requests: unknown search kind %q", search.Kind)
	}
	x := &expr{}
	cond := x.n(AttrPK) + " = " + x.s(pk)
	out, err := s.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String(cond),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, fmt.Errorf("find requests by %s: %w", search.Kind, err)
	}
	found := make([]refund.RequestRecord, 0, len(out.Items))
	for _, item := range out.Items {
		var l lookupItem
		if err := unmarshal(item, &l); err != nil {
			return nil, fmt.Errorf("decode lookup by %s: %w", search.Kind, err)
		}
		rec, ok, err := s.getRequestItem(ctx, l.RequestID)
		if err != nil {
			return nil, err
		}
		if ok {
			found = append(found, rec.RequestRecord)
		}
	}
	return found, nil
}
