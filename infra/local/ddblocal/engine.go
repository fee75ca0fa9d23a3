// Package ddblocal is the local stack's DynamoDB: an in-process implementation of the DynamoDB JSON
// API (the protocol the AWS SDKs and CLI speak), served as an http.Handler. It replaces minidyn, which
// evaluated every Query against every item and copied the whole table for every transaction, so the
// local stack slowed down as its data grew.
//
// Tables keep their items in B-trees by primary key and each secondary index in a B-tree of its own
// (table.go), so GetItem, Query and every write cost O(log n) plus the items they return, whatever
// the table's size. Writes and transactions are serialised by one lock and are all-or-nothing: every
// action of a TransactWriteItems is checked and computed before any is applied.
//
// What it implements, with DynamoDB's documented behaviour and error wording:
//
//   - CreateTable (global and local secondary indexes, projections ALL, KEYS_ONLY and INCLUDE),
//     DescribeTable, DeleteTable, ListTables, UpdateTimeToLive, DescribeTimeToLive. Tables and indexes
//     are ACTIVE at once.
//   - GetItem, PutItem, UpdateItem, DeleteItem, BatchGetItem, BatchWriteItem, Query, Scan (with
//     parallel-scan segments), TransactWriteItems, TransactGetItems.
//   - Condition, key condition, filter, update and projection expressions (expr.go, eval.go), with
//     reserved words, unused or undefined placeholders and overlapping paths refused; numbers are exact
//     decimals of up to 38 digits (number.go).
//   - ReturnValues, ReturnValuesOnConditionCheckFailure (on ConditionalCheckFailedException and in
//     TransactionCanceledException's CancellationReasons), pagination by Limit and by the 1 MB page
//     size with LastEvaluatedKey/ExclusiveStartKey, the 400 KB item size limit, the transaction and
//     batch limits, and TransactWriteItems' ClientRequestToken (a repeated call within 10 minutes
//     succeeds without writing again).
//   - TTL: items whose TTL attribute (epoch seconds) has passed stay readable until ExpireItems, which
//     the embedder calls as DynamoDB's background deletion runs, removes them.
//
// What it does not: the legacy parameters (Expected, AttributesToGet, KeyConditions, QueryFilter,
// ScanFilter, AttributeUpdates, ConditionalOperator) are refused with a ValidationException saying so;
// ReturnConsumedCapacity and ReturnItemCollectionMetrics are accepted and answered with nothing;
// UpdateTable, streams, backups, PartiQL and tags answer UnknownOperationException, as DynamoDB does
// for an operation it does not know; throughput is never exceeded and transactions never conflict
// (everything is serialised).
package ddblocal

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure an Engine.
type Options struct {
	// Now is the engine's clock, for ClientRequestToken expiry (default time.Now).
	Now func() time.Time
	// Region and AccountID appear in table ARNs (default us-east-1 and 000000000000).
	Region, AccountID string
}

// Engine is an in-memory DynamoDB. It is an http.Handler speaking the DynamoDB JSON API; it is safe
// for concurrent use.
type Engine struct {
	opts Options

	mu     sync.RWMutex
	tables map[string]*table
	// tokens holds the successful TransactWriteItems calls by ClientRequestToken.
	tokens map[string]tokenRecord
	// tokenOrder lists the tokens oldest first, to forget them after tokenWindow.
	tokenOrder []string
}

// tokenRecord is a successful TransactWriteItems, kept 10 minutes for its ClientRequestToken.
type tokenRecord struct {
	request []byte // the request, to tell a retry from a different call with the same token
	at      time.Time
}

// tokenWindow is how long DynamoDB honours a ClientRequestToken.
const tokenWindow = 10 * time.Minute

// New returns an empty engine.
func New(opts Options) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	return &Engine{opts: opts, tables: map[string]*table{}, tokens: map[string]tokenRecord{}}
}

// maxRequestBody bounds a request body; DynamoDB's largest requests (a 100-action transaction of
// 400 KB items) stay under it.
const maxRequestBody = 64 << 20

// ServeHTTP implements the DynamoDB JSON API: POST with X-Amz-Target "DynamoDB_20120810.<Operation>".
func (e *Engine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, &apiError{code: "UnknownOperationException", status: http.StatusBadRequest, message: "DynamoDB answers POST requests only"})
		return
	}
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "DynamoDB_20120810.")
	handler := operations[op]
	if !ok || handler == nil {
		writeError(w, &apiError{code: "UnknownOperationException", status: http.StatusBadRequest})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil || len(body) > maxRequestBody {
		writeError(w, &apiError{code: "SerializationException", status: http.StatusBadRequest, message: "The request body could not be read"})
		return
	}
	out, err := handler(e, body)
	if err != nil {
		writeError(w, err)
		return
	}
	resp, err := json.Marshal(out)
	if err != nil {
		writeError(w, &apiError{code: "InternalServerError", status: http.StatusInternalServerError, message: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// Do runs one operation as ServeHTTP would, without HTTP: body is the request's JSON, and the answer
// is the response's JSON, or the error as DynamoDB would send it (code and message).
func (e *Engine) Do(op string, body []byte) ([]byte, error) {
	handler := operations[op]
	if handler == nil {
		return nil, &apiError{code: "UnknownOperationException", status: http.StatusBadRequest}
	}
	out, err := handler(e, body)
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("X-Amzn-Requestid", requestID())
	// The CRC32 of the body, which the SDKs check by default.
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	w.WriteHeader(status)
	w.Write(body)
}

func requestID() string {
	var b [16]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// writeError answers with an error in DynamoDB's form.
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn) || errors.As(err, &typ) || errors.Is(err, io.ErrUnexpectedEOF):
			ae = &apiError{code: "SerializationException", status: http.StatusBadRequest, message: err.Error()}
		default:
			ae = &apiError{code: "InternalServerError", status: http.StatusInternalServerError, message: err.Error()}
		}
	}
	var buf bytes.Buffer
	buf.WriteString(`{"__type":`)
	buf.Write(appendString(nil, ae.typeName()))
	if ae.message != "" {
		key := `"message"`
		if ae.code == "TransactionCanceledException" {
			key = `"Message"`
		}
		buf.WriteString("," + key + ":")
		buf.Write(appendString(nil, ae.message))
	}
	if len(ae.item) > 0 {
		buf.WriteString(`,"Item":`)
		buf.Write(appendItem(nil, ae.item))
	}
	if ae.reasons != nil {
		reasons, _ := json.Marshal(ae.reasons)
		buf.WriteString(`,"CancellationReasons":`)
		buf.Write(reasons)
	}
	buf.WriteByte('}')
	writeJSON(w, ae.status, buf.Bytes())
}

// operation runs one API operation on a JSON request body.
type operation func(e *Engine, body []byte) (any, error)

var operations map[string]operation

func init() {
	operations = map[string]operation{
		"CreateTable":        decoded((*Engine).createTable),
		"DescribeTable":      decoded((*Engine).describeTable),
		"DeleteTable":        decoded((*Engine).deleteTable),
		"ListTables":         decoded((*Engine).listTables),
		"UpdateTimeToLive":   decoded((*Engine).updateTimeToLive),
		"DescribeTimeToLive": decoded((*Engine).describeTimeToLive),
		"GetItem":            decoded((*Engine).getItem),
		"PutItem":            decoded((*Engine).putItem),
		"UpdateItem":         decoded((*Engine).updateItem),
		"DeleteItem":         decoded((*Engine).deleteItem),
		"BatchGetItem":       decoded((*Engine).batchGetItem),
		"BatchWriteItem":     decoded((*Engine).batchWriteItem),
		"Query":              decoded((*Engine).query),
		"Scan":               decoded((*Engine).scan),
		"TransactGetItems":   decoded((*Engine).transactGetItems),
		"TransactWriteItems": func(e *Engine, body []byte) (any, error) {
			var in transactWriteItemsInput
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			return e.transactWriteItems(&in, body)
		},
	}
}

// decoded adapts an operation on a typed input.
func decoded[In any, Out any](f func(*Engine, *In) (Out, error)) operation {
	return func(e *Engine, body []byte) (any, error) {
		var in In
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		return f(e, &in)
	}
}

func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			return ae
		}
		return &apiError{code: "SerializationException", status: http.StatusBadRequest, message: oneLine(err.Error())}
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// table returns a table by name, or DynamoDB's ResourceNotFoundException.
func (e *Engine) table(name string) (*table, error) {
	if name == "" {
		return nil, validationf("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null")
	}
	t := e.tables[name]
	if t == nil {
		return nil, notFound("Requested resource not found")
	}
	return t, nil
}

// ExpireItems deletes the items of TTL-enabled tables whose TTL attribute, in epoch seconds, is at or
// before now, as DynamoDB's TTL process does in the background (DynamoDB leaves alone items whose
// TTL is more than five years in the past, and so does this). It returns how many it deleted.
func (e *Engine) ExpireItems(now time.Time) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	limit := nValue(strconv.FormatInt(now.Unix(), 10))
	oldest := nValue(strconv.FormatInt(now.AddDate(-5, 0, 0).Unix(), 10))
	n := 0
	for _, t := range e.tables {
		if t.ttlAttr == "" {
			continue
		}
		var expired []*record
		t.ttl.AscendGreaterOrEqual(&entry{key: [4]keyPart{{v: oldest}, {b: below}, {b: below}}}, func(x *entry) bool {
			if compareScalars(x.key[0].v, limit) > 0 {
				return false
			}
			expired = append(expired, x.rec)
			return true
		})
		for _, rec := range expired {
			t.unlink(rec)
		}
		n += len(expired)
	}
	return n
}
