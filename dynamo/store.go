// Package dynamo is Refundflow's storage: one DynamoDB table holding orders (with the refund ledger),
// requests, offers, consent records, link codes, refunds, credits, feedback, idempotency records, mail
// markers and the append-only audit trail. The things it stores are package refund's; this package
// only maps them to items and back, and owns the keys, the conditions and the transactions.
//
// # Items
//
// Attribute names are the JSON names of the domain types (snake_case), so an item reads like the API's
// JSON. Every expression aliases every attribute name (#name), because status, version, ttl, number and
// others are DynamoDB reserved words.
//
//	ORDER#<NUMBER>  ORDER                     refund.Order + version; paid/refunded are the ledger;
//	                                          closed_by once a request's execution settled it
//	ORDER#<NUMBER>  REFUND#<requestId>#<n>    refund.RefundRecord (n zero-padded to 4 digits)
//	ORDER#<NUMBER>  CREDIT#<requestId>        refund.Credit
//	REQ#<id>        REQ                       refund.RequestRecord (version, status_version, offer_set,
//	                                          task token); GSI1 = STATUS#<status> / <updated>#<id>
//	REQ#<id>        OFFER#<offerId>           immutable refund.Offer (JSON), offer set, position
//	REQ#<id>        CONSENT                   refund.Consent (one per request)
//	REQ#<id>        AUDIT#<time>#<seq><rand>  refund.AuditEntry (append-only)
//	REQ#<id>        FEEDBACK                  refund.Feedback; GSI1 = FEEDBACK / <time>#<id>
//	REQ#<id>        MAIL#<event>              mail marker: claimed while sending, then sent
//	REQ#<id>        MSG#<time>#<seq><rand>    refund.ThreadMessage: the client's questions, staff replies
//	REQ#<id>        THREAD                    the thread's counts; GSI1 = QUESTIONS / <time>#<id> while a
//	                                          question awaits a reply (thread.go)
//	REQ#<id>        QDAY#<yyyy-mm-dd>         the client's questions that day (the daily limit)
//	REQ#<id>        RESUME                    refund.ResumeMarker; GSI1 = RESUME / <recorded>#<id> while
//	                                          pending
//	LOCK#<NUMBER>   OPEN                      the order's open-request lock {request_id}: its own
//	                                          partition, so that the public functions, which take and
//	                                          release it, hold no write on ORDER# (the ledger)
//	FIND#ORDER#<N>  <created>#<id>            lookup {request_id}: the order's requests (find.go)
//	FIND#EMAIL#<h>  <created>#<id>            lookup {request_id}: requests by the email's keyed hash
//	LINK#<sha256>   LINK                      refund.LinkCode; ttl = expiry + refund.LinkGrace
//	IDEM#<sha256>   IDEM                      refund.IdempotencyRecord; ttl = refund.IdempotencyTTL
//
// Tables written before the lock had its own partition may still hold old locks under ORDER#<NUMBER> /
// OPEN. Nothing writes or deletes them any more; CreateRequest and OpenRequestID honour one while its
// request is still open (legacy.go), and ignore it once that request has ended.
//
// Order numbers are keyed upper-cased (the form normalises them that way); the order keeps the number
// as the billing system sent it.
//
// Times in sort keys use a fixed-width UTC layout with nanoseconds (sortTimeLayout), because
// RFC3339Nano drops trailing zeros and so does not sort as text.
//
// # Errors
//
// Methods return *refund.Error with CodeNotFound, CodeConflict, CodeGone or CodeInvalid and a message
// a person understands when the caller can act on it; every other error is wrapped with context and
// counts as internal.
//
// # Transactions
//
// Whatever must change together is one TransactWriteItems: a request with its open-request lock (when
// its submission named the order), status link and audit entry; every status change with its audit
// entry (and the lock release when the status is terminal); every decision that keeps the status (Decide: a staff approval or adjustment, the
// workflow's offers) with the version check, its audit entry, its resume marker and the new offer set,
// which becomes visible only there; a consent with the link's use, the status change and the audit entry; a refund
// reservation with the ledger update, the check that the request is executing, and the audit entry.
// Which condition failed is read from the CancellationReasons. Transactions cancelled only by
// TransactionConflict (concurrent transactions on the same item, real DynamoDB) are retried a few times.
package dynamo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/refund"
)

// Store reads and writes Refundflow's items in one DynamoDB table. Its zero value is not usable; set
// Client and Table (New does). A Store is safe for concurrent use.
type Store struct {
	// Client talks to DynamoDB (or a local stand-in through BaseEndpoint).
	Client *dynamodb.Client
	// Table is the table's name (env TABLE_NAME in the functions).
	Table string
	// Now returns the current time; nil means time.Now. Tests set it to move time (link expiry).
	Now func() time.Time

	// oneByOne makes transact send each transaction item as its own request. Only tests set it (see
	// export_test.go), to have backends without TransactWriteItems (dynalite) validate every item's
	// expressions, names, values and sizes.
	oneByOne bool
}

// New returns a Store for the table, using the wall clock.
func New(client *dynamodb.Client, table string) *Store {
	return &Store{Client: client, Table: table}
}

// sortTimeLayout formats times inside sort keys: UTC, fixed width, nanoseconds, so that text order is
// time order.
const sortTimeLayout = "2006-01-02T15:04:05.000000000Z"

// sortTime formats t for a sort key.
func sortTime(t time.Time) string { return t.UTC().Format(sortTimeLayout) }

// now returns the store's clock reading in UTC.
func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Key prefixes and fixed sort keys.
const (
	prefixOrder    = "ORDER#"
	prefixLock     = "LOCK#"
	prefixRequest  = "REQ#"
	prefixLink     = "LINK#"
	prefixIdem     = "IDEM#"
	prefixStatus   = "STATUS#"
	prefixOffer    = "OFFER#"
	prefixAudit    = "AUDIT#"
	prefixRefund   = "REFUND#"
	prefixCredit   = "CREDIT#"
	prefixMail     = "MAIL#"
	skOrder        = "ORDER"
	skOpen         = "OPEN"
	skRequest      = "REQ"
	skConsent      = "CONSENT"
	skFeedback     = "FEEDBACK"
	skLink         = "LINK"
	skIdem         = "IDEM"
	gsi1Feedback   = "FEEDBACK"
	maxKeyPartLen  = 512 // far below DynamoDB's 2048/1024-byte key limits, far above any real id
	condFailedCode = "ConditionalCheckFailed"
)

// key builds a primary key.
func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: str(pk), AttrSK: str(sk)}
}

func orderPK(number string) string { return prefixOrder + strings.ToUpper(number) }
func lockPK(number string) string  { return prefixLock + strings.ToUpper(number) }
func requestPK(id string) string   { return prefixRequest + id }

// str and num build attribute values.
func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// validID checks an identifier that becomes part of a key: non-empty, bounded, printable, and free of
// the "#" separator so that it cannot reach into another item's key space.
func validID(what, id string) error {
	if id == "" || len(id) > maxKeyPartLen || !utf8.ValidString(id) || strings.ContainsAny(id, "#\x00") {
		return &refund.Error{Code: refund.CodeInvalid, Message: fmt.Sprintf("The %s %q is not valid.", what, refund.Truncate(id, 80))}
	}
	for _, r := range id {
		if r < ' ' || r == 0x7f {
			return &refund.Error{Code: refund.CodeInvalid, Message: fmt.Sprintf("The %s is not valid.", what)}
		}
	}
	return nil
}

// expr collects the aliases of one request's expressions. Every attribute name goes through n, so
// reserved words never reach an expression, and only names and values actually used are sent
// (DynamoDB rejects unused ones).
type expr struct {
	names  map[string]string
	values map[string]types.AttributeValue
}

// n returns the alias of an attribute name.
func (e *expr) n(attr string) string {
	if e.names == nil {
		e.names = map[string]string{}
	}
	alias := "#" + attr
	e.names[alias] = attr
	return alias
}

// v returns a placeholder for a value.
func (e *expr) v(av types.AttributeValue) string {
	if e.values == nil {
		e.values = map[string]types.AttributeValue{}
	}
	p := ":v" + strconv.Itoa(len(e.values))
	e.values[p] = av
	return p
}

func (e *expr) s(s string) string { return e.v(str(s)) }
func (e *expr) i(n int64) string  { return e.v(num(n)) }

// Names returns the name aliases, or nil when there are none.
func (e *expr) Names() map[string]string {
	if len(e.names) == 0 {
		return nil
	}
	return e.names
}

// Values returns the value placeholders, or nil when there are none.
func (e *expr) Values() map[string]types.AttributeValue {
	if len(e.values) == 0 {
		return nil
	}
	return e.values
}

// marshal encodes an item struct using its json tags, so items use the domain's JSON names.
func marshal(v any) (map[string]types.AttributeValue, error) {
	return attributevalue.MarshalMapWithOptions(v, func(o *attributevalue.EncoderOptions) { o.TagKey = "json" })
}

// marshalValue encodes one value (for SET :v) using json tags.
func marshalValue(v any) (types.AttributeValue, error) {
	return attributevalue.MarshalWithOptions(v, func(o *attributevalue.EncoderOptions) { o.TagKey = "json" })
}

// unmarshal decodes an item into a struct using its json tags.
func unmarshal(m map[string]types.AttributeValue, v any) error {
	return attributevalue.UnmarshalMapWithOptions(m, v, func(o *attributevalue.DecoderOptions) { o.TagKey = "json" })
}

// getItem reads one item with a strongly consistent read; nil when it does not exist.
func (s *Store) getItem(ctx context.Context, pk, sk string) (map[string]types.AttributeValue, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.Table),
		Key:            key(pk, sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

// getOne reads one item and decodes it into a T; ok is false when it does not exist. what names
// the item in errors ("request req-1").
func getOne[T any](ctx context.Context, s *Store, pk, sk, what string) (it T, ok bool, err error) {
	item, err := s.getItem(ctx, pk, sk)
	if err != nil {
		return it, false, fmt.Errorf("get %s: %w", what, err)
	}
	if item == nil {
		return it, false, nil
	}
	if err := unmarshal(item, &it); err != nil {
		return it, false, fmt.Errorf("decode %s: %w", what, err)
	}
	return it, true, nil
}

// decodeItems decodes items into their stored form T and returns what out takes from each (the
// domain value inside it). what names the items in errors ("audit entry of request req-1").
func decodeItems[T, D any](items []map[string]types.AttributeValue, what string, out func(T) D) ([]D, error) {
	list := make([]D, 0, len(items))
	for _, item := range items {
		var it T
		if err := unmarshal(item, &it); err != nil {
			return nil, fmt.Errorf("decode %s: %w", what, err)
		}
		list = append(list, out(it))
	}
	return list, nil
}

// creates makes put create its item: it is conditional on no item having the item's key yet, so a
// put that creates something never replaces what is there (an offer, an audit entry, a consent).
// The Put literal stays with the caller, so the IAM test reads the item's partition where it is
// built (internal/awscalls).
func creates(put types.Put) types.TransactWriteItem {
	x := &expr{}
	put.ConditionExpression = aws.String("attribute_not_exists(" + x.n(AttrPK) + ")")
	put.ExpressionAttributeNames = x.Names()
	return types.TransactWriteItem{Put: &put}
}

// create writes a put that creates its item (creates) on its own, outside a transaction. exists
// reports, without an error, that an item with the key was there already: the caller reads it to
// tell an SDK retry of its own write that succeeded from someone else's item.
func (s *Store) create(ctx context.Context, put types.TransactWriteItem) (exists bool, err error) {
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                put.Put.TableName,
		Item:                     put.Put.Item,
		ConditionExpression:      put.Put.ConditionExpression,
		ExpressionAttributeNames: put.Put.ExpressionAttributeNames,
	})
	if isConditionFailed(err) {
		return true, nil
	}
	return false, err
}

// queryAll reads every item of a partition whose sort key starts with prefix, following
// LastEvaluatedKey across DynamoDB's 1 MB pages. maxItems bounds the result as a guard against a
// runaway partition; more items than that is an error.
func (s *Store) queryAll(ctx context.Context, pk, skPrefix string, maxItems int) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	var start map[string]types.AttributeValue
	for {
		e := &expr{}
		cond := e.n(AttrPK) + " = " + e.s(pk) + " AND begins_with(" + e.n(AttrSK) + ", " + e.s(skPrefix) + ")"
		out, err := s.Client.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(s.Table),
			KeyConditionExpression:    aws.String(cond),
			ExpressionAttributeNames:  e.Names(),
			ExpressionAttributeValues: e.Values(),
			ExclusiveStartKey:         start,
			ConsistentRead:            aws.Bool(true),
		})
		if err != nil {
			return nil, fmt.Errorf("query %s %s*: %w", pk, skPrefix, err)
		}
		items = append(items, out.Items...)
		if len(items) > maxItems {
			return nil, fmt.Errorf("query %s %s*: more than %d items", pk, skPrefix, maxItems)
		}
		if len(out.LastEvaluatedKey) == 0 {
			return items, nil
		}
		start = out.LastEvaluatedKey
	}
}

// isConditionFailed reports whether err is a single-item write's failed condition.
func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// transact runs a transaction. Cancellations caused only by TransactionConflict (another transaction
// on one of the items; real DynamoDB) are retried with jittered backoff; any other cancellation is
// returned for the caller to decode with failedAt.
func (s *Store) transact(ctx context.Context, items []types.TransactWriteItem) error {
	if s.oneByOne {
		return s.transactOneByOne(ctx, items)
	}
	delay := 20 * time.Millisecond
	for attempt := 1; ; attempt++ {
		_, err := s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		var tce *types.TransactionCanceledException
		if err == nil || !errors.As(err, &tce) || !onlyConflicts(tce) || attempt == 5 {
			return err
		}
		jitter, _ := rand.Int(rand.Reader, big.NewInt(int64(delay)))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay/2 + time.Duration(jitter.Int64())):
		}
		delay *= 2
	}
}

// transactOneByOne sends each item of a transaction as a single-item request, in order, and reports a
// failed condition as a TransactionCanceledException for that item, as a transaction would. It is not
// atomic (items before a failure stay written), so only tests use it, for the expressions' sake.
func (s *Store) transactOneByOne(ctx context.Context, items []types.TransactWriteItem) error {
	for i, it := range items {
		var err error
		switch {
		case it.Put != nil:
			p := it.Put
			_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: p.TableName, Item: p.Item,
				ConditionExpression: p.ConditionExpression, ExpressionAttributeNames: p.ExpressionAttributeNames,
				ExpressionAttributeValues: p.ExpressionAttributeValues})
		case it.Update != nil:
			u := it.Update
			_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: u.TableName, Key: u.Key,
				UpdateExpression: u.UpdateExpression, ConditionExpression: u.ConditionExpression,
				ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues})
		case it.Delete != nil:
			d := it.Delete
			_, err = s.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: d.TableName, Key: d.Key,
				ConditionExpression: d.ConditionExpression, ExpressionAttributeNames: d.ExpressionAttributeNames,
				ExpressionAttributeValues: d.ExpressionAttributeValues})
		case it.ConditionCheck != nil:
			// The same condition on an update that changes nothing (removing an attribute no item has).
			c := it.ConditionCheck
			names := map[string]string{"#probe": "condition_check_probe"}
			for k, v := range c.ExpressionAttributeNames {
				names[k] = v
			}
			_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: c.TableName, Key: c.Key,
				UpdateExpression:    aws.String("REMOVE #probe"),
				ConditionExpression: c.ConditionExpression, ExpressionAttributeNames: names,
				ExpressionAttributeValues: c.ExpressionAttributeValues})
		}
		if isConditionFailed(err) {
			reasons := make([]types.CancellationReason, len(items))
			for j := range reasons {
				reasons[j].Code = aws.String("None")
			}
			reasons[i].Code = aws.String(condFailedCode)
			return &types.TransactionCanceledException{Message: aws.String("one by one: condition failed"), CancellationReasons: reasons}
		}
		if err != nil {
			return fmt.Errorf("transaction item %d: %w", i, err)
		}
	}
	return nil
}

// onlyConflicts reports whether a cancellation was caused by transaction conflicts alone.
func onlyConflicts(tce *types.TransactionCanceledException) bool {
	seen := false
	for _, r := range tce.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "", "None":
		case "TransactionConflict":
			seen = true
		default:
			return false
		}
	}
	return seen
}

// failedAt reports whether err is a cancelled transaction whose item i failed its condition.
func failedAt(err error, i int) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || i >= len(tce.CancellationReasons) {
		return false
	}
	return aws.ToString(tce.CancellationReasons[i].Code) == condFailedCode
}

// notFound and conflict build the domain errors callers map to 404 and 409.
func notFound(format string, args ...any) error {
	return refund.Errorf(refund.CodeNotFound, format, args...)
}
func conflict(format string, args ...any) error {
	return refund.Errorf(refund.CodeConflict, format, args...)
}
func gone(format string, args ...any) error { return refund.Errorf(refund.CodeGone, format, args...) }
func invalid(field, msg string) error       { return refund.InvalidField(field, msg) }

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("dynamo: crypto/rand failed: %v", err)) // the runtime guarantees it does not
	}
	return hex.EncodeToString(b)
}
