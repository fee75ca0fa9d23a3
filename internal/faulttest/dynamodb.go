// Package faulttest puts Refundflow under pressure: a DynamoDB endpoint that fails a share of calls
// and meters every call (this file, used by the fault tests and by package cost), and, in its tests,
// the fault scenarios themselves: DynamoDB failing, the payment provider timing out after it
// succeeded, a handler crashing after its side effect, the same task run twice, a consent after the
// timeout, SendTaskSuccess failing after the consent was recorded. Every scenario ends with the same
// invariants: no refund lost or doubled, no request stuck without a status that says what happens
// next, an audit entry for every status change.
package faulttest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
)

// targetPrefix is the X-Amz-Target prefix of the DynamoDB JSON API.
const targetPrefix = "DynamoDB_20120810."

// Mode says when an injected failure happens.
type Mode int

const (
	// FailBefore answers the call with an error without passing it on: nothing happened.
	FailBefore Mode = iota
	// FailAfter passes the call on, then replaces its answer with the error: the write happened but
	// its caller does not know (a lost response, the hardest case for a retry).
	FailAfter
)

// Fault is a share of calls DynamoDB fails.
type Fault struct {
	// Share is the probability (0..1) that a matching call fails.
	Share float64
	// Ops limits the fault to these operations ("GetItem", "TransactWriteItems", ...); empty means all.
	Ops []string
	// Mode is FailBefore or FailAfter.
	Mode Mode
	// Limit stops injecting after this many failures; 0 means no limit.
	Limit int
	// PerCall fails one call (the SDK's attempts of it send the same body) at most this many times;
	// 0 means no limit. Below the SDK's 4 attempts it makes a fault the SDK's retries absorb.
	PerCall int
	// Status and Code are the HTTP status and DynamoDB error code of the answer; default 500
	// InternalServerError, which the SDK retries.
	Status int
	Code   string
}

// OpStats is what the proxy saw of one operation.
type OpStats struct {
	// Calls counts the calls that reached the proxy, including the ones it failed.
	Calls int
	// Failed counts the calls the proxy failed on purpose.
	Failed int
	// Errors counts the calls DynamoDB itself answered with an error (conditional check failed,
	// transaction cancelled, ...).
	Errors int
	// ReadUnits and WriteUnits are the request units DynamoDB on-demand would bill for the calls that
	// reached the table, estimated from the items' sizes (see DynamoDB).
	ReadUnits, WriteUnits float64
}

// Usage is the proxy's counters by operation.
type Usage map[string]OpStats

// Total adds up every operation.
func (u Usage) Total() OpStats {
	var t OpStats
	for _, s := range u {
		t.Calls += s.Calls
		t.Failed += s.Failed
		t.Errors += s.Errors
		t.ReadUnits += s.ReadUnits
		t.WriteUnits += s.WriteUnits
	}
	return t
}

// Sub returns u minus an earlier snapshot, for the usage of one stretch of work.
func (u Usage) Sub(earlier Usage) Usage {
	out := Usage{}
	for op, s := range u {
		e := earlier[op]
		d := OpStats{Calls: s.Calls - e.Calls, Failed: s.Failed - e.Failed, Errors: s.Errors - e.Errors,
			ReadUnits: s.ReadUnits - e.ReadUnits, WriteUnits: s.WriteUnits - e.WriteUnits}
		if d != (OpStats{}) {
			out[op] = d
		}
	}
	return out
}

// String lists the operations in name order, for logs and reports.
func (u Usage) String() string {
	ops := make([]string, 0, len(u))
	for op := range u {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var b strings.Builder
	for _, op := range ops {
		s := u[op]
		fmt.Fprintf(&b, "%s: %d calls (%d failed on purpose, %d errors), %.1f RRU, %.1f WRU\n", op, s.Calls, s.Failed, s.Errors, s.ReadUnits, s.WriteUnits)
	}
	return b.String()
}

// DynamoDB is an http.Handler in front of a DynamoDB JSON API (the local ddblocal engine): it can fail a share
// of calls the way DynamoDB does (500 InternalServerError, which the SDK retries), and it counts every
// call by operation with the request units DynamoDB on-demand would bill for it.
//
// Units are estimated from item sizes by DynamoDB's rules: a read costs one unit per 4 KB of item
// (rounded up per item for GetItem and BatchGetItem, over the sum of the items for Query and Scan),
// half of that when eventually consistent, twice that in a transaction; a read of a missing item
// still costs one unit. A write costs one unit per 1 KB of the larger of the item before and after
// (twice in a transaction, where a ConditionCheck is counted as a write of its item), also when its
// condition fails; each write that adds, changes or removes an item of the GSI1 index costs the same
// again for the index (two when the index key changes). The sizes before and after a write are read
// from the backend around the call, so estimates under concurrent writes to one item are approximate.
//
// It also answers a TransactWriteItems that repeats the ClientRequestToken of a call that succeeded,
// as DynamoDB (and ddblocal behind it) does: it succeeds without changing anything, so an SDK retry
// after a lost answer (FailAfter) behaves as on AWS, and is not metered as a second write.
type DynamoDB struct {
	// Classify, when set, names the counter a call is added to (by default its operation). The cost
	// model uses it to keep the sandbox payment provider's own items apart from the application's.
	// Set it before the first call.
	Classify func(op string, body []byte) string

	next http.Handler

	mu    sync.Mutex
	rng   *rand.Rand
	fault *Fault
	hits  int
	calls map[[32]byte]int // failures injected per call body (Fault.PerCall)
	usage Usage
	// tokens holds the answers of TransactWriteItems calls that succeeded, by ClientRequestToken.
	tokens map[string]tokenAnswer
}

// tokenAnswer is a successful TransactWriteItems answer kept for its ClientRequestToken.
type tokenAnswer struct {
	body   []byte // the request, to tell a retry from another call with the same token
	answer []byte
}

// NewDynamoDB returns the proxy in front of next. seed makes the fault decisions repeatable for a
// given order of calls.
func NewDynamoDB(next http.Handler, seed uint64) *DynamoDB {
	return &DynamoDB{next: next, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), usage: Usage{}, tokens: map[string]tokenAnswer{}}
}

// SetFault starts injecting f (replacing any fault set before); nil stops.
func (d *DynamoDB) SetFault(f *Fault) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if f != nil {
		c := *f
		f = &c
	}
	d.fault = f
	d.hits = 0
	d.calls = map[[32]byte]int{}
}

// Injected returns how many failures the current fault has injected.
func (d *DynamoDB) Injected() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.hits
}

// Usage returns a copy of the counters.
func (d *DynamoDB) Usage() Usage {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(Usage, len(d.usage))
	for k, v := range d.usage {
		out[k] = v
	}
	return out
}

// decide reports whether this call of op fails, and how.
func (d *DynamoDB) decide(op, counter string, body []byte) (*Fault, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.usage[counter]
	s.Calls++
	d.usage[counter] = s
	f := d.fault
	if f == nil || f.Limit > 0 && d.hits >= f.Limit {
		return nil, false
	}
	if len(f.Ops) > 0 && !contains(f.Ops, op) {
		return nil, false
	}
	if d.rng.Float64() >= f.Share {
		return nil, false
	}
	if f.PerCall > 0 {
		sum := sha256.Sum256(append([]byte(op), body...))
		if d.calls[sum] >= f.PerCall {
			return nil, false
		}
		d.calls[sum]++
	}
	d.hits++
	s.Failed++
	d.usage[counter] = s
	return f, true
}

func (d *DynamoDB) add(op string, status int, read, write float64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.usage[op]
	if status >= 300 {
		s.Errors++
	}
	s.ReadUnits += read
	s.WriteUnits += write
	d.usage[op] = s
}

// ServeHTTP implements http.Handler.
func (d *DynamoDB) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeDynamoError(w, http.StatusBadRequest, "SerializationException", "could not read the request body")
		return
	}
	counter := op
	if d.Classify != nil {
		counter = d.Classify(op, body)
	}
	f, fail := d.decide(op, counter, body)
	if fail && f.Mode == FailBefore {
		writeFault(w, f)
		return
	}
	var req map[string]any
	_ = json.Unmarshal(body, &req) // a body that does not parse is the backend's to refuse
	token, _ := req["ClientRequestToken"].(string)
	if op == "TransactWriteItems" && token != "" {
		if done, ok := d.replay(token, body); ok {
			// DynamoDB: a TransactWriteItems with the token of a call that succeeded (within 10
			// minutes) succeeds again without changing anything; the SDK sets one token for all
			// attempts of a call. The proxy answers it itself so that the retry is not metered.
			d.add(counter, http.StatusOK, 0, 0)
			if fail {
				writeFault(w, f)
				return
			}
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.Write(done)
			return
		}
	}
	before := d.sizesBefore(op, req)

	rec := httptest.NewRecorder()
	inner := r.Clone(r.Context())
	inner.Body = io.NopCloser(bytes.NewReader(body))
	inner.ContentLength = int64(len(body))
	d.next.ServeHTTP(rec, inner)

	read, write := d.units(op, req, rec.Body.Bytes(), rec.Code, before)
	d.add(counter, rec.Code, read, write)
	if op == "TransactWriteItems" && token != "" && rec.Code == http.StatusOK {
		d.mu.Lock()
		d.tokens[token] = tokenAnswer{body: body, answer: rec.Body.Bytes()}
		d.mu.Unlock()
	}
	if fail {
		writeFault(w, f)
		return
	}
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// replay returns the kept answer of a successful TransactWriteItems with the token, if body is the
// same call.
func (d *DynamoDB) replay(token string, body []byte) ([]byte, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.tokens[token]
	if !ok || !bytes.Equal(t.body, body) {
		return nil, false
	}
	return t.answer, true
}

func writeFault(w http.ResponseWriter, f *Fault) {
	status, code := f.Status, f.Code
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if code == "" {
		code = "InternalServerError"
	}
	writeDynamoError(w, status, code, "injected by faulttest")
}

// writeDynamoError answers like DynamoDB: awsJson1_0 with the error's shape in __type.
func writeDynamoError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Requestid", "faulttest")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.dynamodb.v20120810#" + code, "message": msg})
}

// itemRef is one item a write touches.
type itemRef struct {
	table string
	key   map[string]any
	// put is the full new item of a Put (nil for updates, deletes and checks).
	put      map[string]any
	kind     string // "put", "update", "delete", "check"
	sizeWas  int    // -1: the item did not exist
	indexWas bool
	gsiWas   string
}

// writeRefs lists the items a write operation touches.
func writeRefs(op string, req map[string]any) []*itemRef {
	one := func(kind string, m map[string]any) *itemRef {
		ref := &itemRef{table: str(m["TableName"]), kind: kind}
		if kind == "put" {
			ref.put, _ = m["Item"].(map[string]any)
			ref.key = keyOf(ref.put)
		} else {
			ref.key, _ = m["Key"].(map[string]any)
		}
		return ref
	}
	switch op {
	case "PutItem":
		return []*itemRef{one("put", req)}
	case "UpdateItem":
		return []*itemRef{one("update", req)}
	case "DeleteItem":
		return []*itemRef{one("delete", req)}
	case "TransactWriteItems":
		var refs []*itemRef
		items, _ := req["TransactItems"].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			for kind, name := range map[string]string{"put": "Put", "update": "Update", "delete": "Delete", "check": "ConditionCheck"} {
				if a, ok := m[name].(map[string]any); ok {
					refs = append(refs, one(kind, a))
				}
			}
		}
		return refs
	case "BatchWriteItem":
		var refs []*itemRef
		tables, _ := req["RequestItems"].(map[string]any)
		for table, list := range tables {
			reqs, _ := list.([]any)
			for _, wr := range reqs {
				m, _ := wr.(map[string]any)
				if p, ok := m["PutRequest"].(map[string]any); ok {
					item, _ := p["Item"].(map[string]any)
					refs = append(refs, &itemRef{table: table, kind: "put", put: item, key: keyOf(item)})
				}
				if dr, ok := m["DeleteRequest"].(map[string]any); ok {
					key, _ := dr["Key"].(map[string]any)
					refs = append(refs, &itemRef{table: table, kind: "delete", key: key})
				}
			}
		}
		return refs
	}
	return nil
}

// keyOf extracts the table key (PK, SK) of a full item.
func keyOf(item map[string]any) map[string]any {
	key := map[string]any{}
	for _, k := range []string{"PK", "SK"} {
		if v, ok := item[k]; ok {
			key[k] = v
		}
	}
	return key
}

// sizesBefore reads, for a write, the items it is about to touch.
func (d *DynamoDB) sizesBefore(op string, req map[string]any) []*itemRef {
	refs := writeRefs(op, req)
	for _, ref := range refs {
		item := d.lookup(ref.table, ref.key)
		ref.sizeWas = -1
		if item != nil {
			ref.sizeWas = ItemSize(item)
			ref.gsiWas, ref.indexWas = gsiKey(item)
		}
	}
	return refs
}

// lookup reads an item straight from the backend (not counted, never failed).
func (d *DynamoDB) lookup(table string, key map[string]any) map[string]any {
	if table == "" || len(key) == 0 {
		return nil
	}
	body, _ := json.Marshal(map[string]any{"TableName": table, "Key": key, "ConsistentRead": true})
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("X-Amz-Target", targetPrefix+"GetItem")
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	rec := httptest.NewRecorder()
	d.next.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		return nil
	}
	var out struct {
		Item map[string]any
	}
	if json.Unmarshal(rec.Body.Bytes(), &out) != nil {
		return nil
	}
	return out.Item
}

// gsiKey returns the GSI1 key of an item and whether it has one (is in the index).
func gsiKey(item map[string]any) (string, bool) {
	pk, ok := item["GSI1PK"]
	if !ok {
		return "", false
	}
	b, _ := json.Marshal([]any{pk, item["GSI1SK"]})
	return string(b), true
}

// units estimates the request units of one call from its request, its answer and the items it
// touched before.
func (d *DynamoDB) units(op string, req map[string]any, resp []byte, status int, before []*itemRef) (read, write float64) {
	var out map[string]any
	_ = json.Unmarshal(resp, &out)
	consistent := func(m map[string]any) float64 {
		if b, _ := m["ConsistentRead"].(bool); b {
			return 1
		}
		return 0.5
	}
	switch op {
	case "GetItem":
		item, _ := out["Item"].(map[string]any)
		return consistent(req) * readUnits(ItemSize(item)), 0
	case "Query", "Scan":
		if status != http.StatusOK {
			return 0, 0
		}
		items, _ := out["Items"].([]any)
		total := 0
		for _, it := range items {
			m, _ := it.(map[string]any)
			total += ItemSize(m)
		}
		// Items a filter dropped were read too: count them at the average size of the ones returned.
		if scanned, ok := out["ScannedCount"].(float64); ok && int(scanned) > len(items) && len(items) > 0 {
			total += (int(scanned) - len(items)) * total / len(items)
		}
		return consistent(req) * readUnits(total), 0
	case "BatchGetItem":
		resps, _ := out["Responses"].(map[string]any)
		tables, _ := req["RequestItems"].(map[string]any)
		for table, list := range resps {
			items, _ := list.([]any)
			c := 0.5
			if t, ok := tables[table].(map[string]any); ok {
				c = consistent(t)
			}
			for _, it := range items {
				m, _ := it.(map[string]any)
				read += c * readUnits(ItemSize(m))
			}
		}
		return read, 0
	case "TransactGetItems":
		resps, _ := out["Responses"].([]any)
		for _, r := range resps {
			m, _ := r.(map[string]any)
			item, _ := m["Item"].(map[string]any)
			read += 2 * readUnits(ItemSize(item))
		}
		return read, 0
	}
	if len(before) == 0 {
		return 0, 0
	}
	factor := 1.0
	if op == "TransactWriteItems" {
		factor = 2
	}
	for _, ref := range before {
		after := d.lookup(ref.table, ref.key)
		sizeNow := -1
		gsiNow, inIndexNow := "", false
		if after != nil {
			sizeNow = ItemSize(after)
			gsiNow, inIndexNow = gsiKey(after)
		}
		size := max(ref.sizeWas, sizeNow)
		if ref.kind == "put" && ref.put != nil {
			size = max(size, ItemSize(ref.put))
		}
		u := writeUnits(size)
		write += factor * u
		if ref.kind == "check" {
			continue
		}
		// The index: an item entering, leaving or changing in GSI1 is written there too; a changed
		// index key is a delete and a put.
		switch {
		case ref.indexWas && inIndexNow && ref.gsiWas != gsiNow:
			write += 2 * u
		case ref.indexWas || inIndexNow:
			if sizeNow != ref.sizeWas || ref.gsiWas != gsiNow {
				write += u
			}
		}
	}
	return 0, write
}

// readUnits is the strongly consistent read units for size bytes: one per 4 KB, at least one.
func readUnits(size int) float64 {
	return math.Max(1, math.Ceil(float64(size)/4096))
}

// writeUnits is the write units for an item of size bytes: one per 1 KB, at least one.
func writeUnits(size int) float64 {
	return math.Max(1, math.Ceil(float64(size)/1024))
}

// ItemSize is an item's size by DynamoDB's rules, from its JSON wire form: each attribute's name plus
// its value, a string counting its UTF-8 bytes, a number about one byte per two significant digits
// plus one, binary its bytes, a boolean or null one byte, a list or map three bytes plus one per
// element plus its elements.
func ItemSize(item map[string]any) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v any) int {
	m, ok := v.(map[string]any)
	if !ok {
		return 0
	}
	for typ, x := range m {
		switch typ {
		case "S":
			return len(str(x))
		case "N":
			return numberSize(str(x))
		case "B":
			return len(str(x)) * 3 / 4 // base64 on the wire
		case "BOOL", "NULL":
			return 1
		case "SS", "BS", "NS":
			list, _ := x.([]any)
			total := 0
			for _, e := range list {
				switch typ {
				case "SS":
					total += len(str(e))
				case "BS":
					total += len(str(e)) * 3 / 4
				default:
					total += numberSize(str(e))
				}
			}
			return total
		case "L":
			list, _ := x.([]any)
			total := 3
			for _, e := range list {
				total += 1 + valueSize(e)
			}
			return total
		case "M":
			mm, _ := x.(map[string]any)
			total := 3
			for k, e := range mm {
				total += 1 + len(k) + valueSize(e)
			}
			return total
		}
	}
	return 0
}

// numberSize approximates a number's stored size: one byte per two significant digits, plus one.
// Leading and trailing zeros are not significant.
func numberSize(s string) int {
	mantissa, _, _ := strings.Cut(strings.ToLower(s), "e")
	digits := strings.Map(func(c rune) rune {
		if c >= '0' && c <= '9' {
			return c
		}
		return -1
	}, mantissa)
	digits = strings.Trim(digits, "0")
	return (len(digits)+1)/2 + 1
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
