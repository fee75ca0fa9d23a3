package ddblocal

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"
)

// Data plane: single-item operations, batches and transactions.

// legacyParams are the parameters DynamoDB kept from before expressions; this engine refuses them
// rather than half-implementing them.
type legacyParams struct {
	Expected            json.RawMessage
	AttributesToGet     json.RawMessage
	KeyConditions       json.RawMessage
	QueryFilter         json.RawMessage
	ScanFilter          json.RawMessage
	AttributeUpdates    json.RawMessage
	ConditionalOperator json.RawMessage
}

func (l *legacyParams) check() error {
	for name, raw := range map[string]json.RawMessage{"Expected": l.Expected, "AttributesToGet": l.AttributesToGet,
		"KeyConditions": l.KeyConditions, "QueryFilter": l.QueryFilter, "ScanFilter": l.ScanFilter,
		"AttributeUpdates": l.AttributeUpdates, "ConditionalOperator": l.ConditionalOperator} {
		if len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
			return validationf("The local DynamoDB does not implement the legacy parameter %s; use the expression parameters", name)
		}
	}
	return nil
}

type getItemInput struct {
	legacyParams
	TableName                string
	Key                      Item
	ProjectionExpression     *string
	ExpressionAttributeNames map[string]string
	ConsistentRead           bool
	ReturnConsumedCapacity   string
}

type itemOutput struct {
	Item Item `json:",omitempty"`
}

// checkNoNil refuses attribute values given as JSON null.
func checkNoNil(items ...Item) error {
	for _, it := range items {
		for _, v := range it {
			if v == nil {
				return validationf("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
			}
		}
	}
	return nil
}

// projectionFor parses an optional projection expression in its own context (GetItem, BatchGetItem,
// TransactGetItems: no values allowed).
func projectionFor(expr *string, names map[string]string) ([]docPath, error) {
	ctx := newExprContext(names, nil)
	var paths []docPath
	if expr != nil {
		var err error
		if paths, err = parseProjection(ctx, *expr); err != nil {
			return nil, err
		}
	}
	if err := ctx.check(); err != nil {
		return nil, err
	}
	return paths, nil
}

func (e *Engine) getItem(in *getItemInput) (*itemOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := checkNoNil(in.Key); err != nil {
		return nil, err
	}
	paths, err := projectionFor(in.ProjectionExpression, in.ExpressionAttributeNames)
	if err != nil {
		return nil, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	t, err := e.table(in.TableName)
	if err != nil {
		return nil, err
	}
	hash, rng, err := t.keyOf(in.Key)
	if err != nil {
		return nil, err
	}
	rec := t.get(hash, rng)
	if rec == nil {
		return &itemOutput{}, nil
	}
	return &itemOutput{Item: projectItem(rec.item, paths)}, nil
}

// writeOp is one prepared write: a PutItem, UpdateItem, DeleteItem or a transaction's action.
type writeOp struct {
	t         *table
	hash, rng *Value
	kind      string // Put, Update, Delete, ConditionCheck
	item      Item   // Put
	actions   []updateAction
	cond      cond
	// returnOld asks for the item in a ConditionalCheckFailedException (ReturnValuesOnConditionCheckFailure ALL_OLD).
	returnOld bool
}

// writeParams are the parameters every write shares.
type writeParams struct {
	TableName                           string
	Key                                 Item
	Item                                Item
	ConditionExpression                 *string
	UpdateExpression                    *string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           map[string]*Value
	ReturnValuesOnConditionCheckFailure string
}

// prepare validates a write against its table and parses its expressions. The caller holds the lock.
func (e *Engine) prepare(kind string, p *writeParams) (*writeOp, error) {
	if err := checkNoNil(p.Key, p.Item); err != nil {
		return nil, err
	}
	for _, v := range p.ExpressionAttributeValues {
		if v == nil {
			return nil, validationf("ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
		}
	}
	t, err := e.table(p.TableName)
	if err != nil {
		return nil, err
	}
	op := &writeOp{t: t, kind: kind}
	switch p.ReturnValuesOnConditionCheckFailure {
	case "", "NONE":
	case "ALL_OLD":
		op.returnOld = true
	default:
		return nil, validationf("1 validation error detected: Value '%s' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]", p.ReturnValuesOnConditionCheckFailure)
	}
	if kind == "Put" {
		if p.Item == nil {
			return nil, validationf("1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null")
		}
		if err := t.validateItem(p.Item); err != nil {
			return nil, err
		}
		op.item = p.Item
		op.hash = p.Item[t.keys.hash]
		if t.keys.rng != "" {
			op.rng = p.Item[t.keys.rng]
		}
	} else {
		if op.hash, op.rng, err = t.keyOf(p.Key); err != nil {
			return nil, err
		}
	}
	ctx := newExprContext(p.ExpressionAttributeNames, p.ExpressionAttributeValues)
	if p.ConditionExpression != nil {
		if op.cond, err = parseCondition(ctx, "ConditionExpression", *p.ConditionExpression); err != nil {
			return nil, err
		}
	} else if kind == "ConditionCheck" {
		return nil, validationf("1 validation error detected: Value null at 'transactItems.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null")
	}
	if kind == "Update" && p.UpdateExpression != nil {
		if op.actions, err = parseUpdate(ctx, *p.UpdateExpression); err != nil {
			return nil, err
		}
		for _, a := range op.actions {
			if name := a.path[0].name; name == t.keys.hash || name == t.keys.rng {
				return nil, validationf("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", name)
			}
		}
	}
	if err := ctx.check(); err != nil {
		return nil, err
	}
	return op, nil
}

// evaluate checks the write's condition against the current item (nil: none) and computes the item
// after it (nil with remove for a delete). Nothing is changed.
func (op *writeOp) evaluate(cur Item) (next Item, remove bool, err error) {
	if op.cond != nil {
		base := cur
		if base == nil {
			base = Item{}
		}
		if !match(base, op.cond) {
			var old Item
			if op.returnOld {
				old = cur
			}
			return nil, false, conditionFailed(old)
		}
	}
	switch op.kind {
	case "Put":
		return op.item, false, nil
	case "Delete":
		return nil, true, nil
	case "Update":
		base := cur
		if base == nil {
			base = Item{op.t.keys.hash: op.hash}
			if op.rng != nil {
				base[op.t.keys.rng] = op.rng
			}
		}
		next, err := applyUpdate(base, op.actions)
		if err != nil {
			return nil, false, err
		}
		if err := op.t.validateItem(next); err != nil {
			return nil, false, err
		}
		return next, false, nil
	}
	return cur, false, nil // ConditionCheck
}

// current returns the op's item as stored now, or nil.
func (op *writeOp) current() Item {
	if rec := op.t.get(op.hash, op.rng); rec != nil {
		return rec.item
	}
	return nil
}

// commit applies an evaluated write.
func (op *writeOp) commit(next Item, remove bool) {
	switch {
	case op.kind == "ConditionCheck":
	case remove:
		op.t.remove(op.hash, op.rng)
	default:
		op.t.put(next)
	}
}

type putItemInput struct {
	legacyParams
	writeParams
	ReturnValues                string
	ReturnConsumedCapacity      string
	ReturnItemCollectionMetrics string
}

type writeOutput struct {
	Attributes Item `json:",omitempty"`
}

func checkReturnValues(rv string, allowed ...string) error {
	if rv == "" {
		return nil
	}
	for _, a := range allowed {
		if rv == a {
			return nil
		}
	}
	return validationf("Return values set to invalid value")
}

// single runs one prepared write under the lock.
func (e *Engine) single(kind string, p *writeParams) (old, next Item, op *writeOp, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	op, err = e.prepare(kind, p)
	if err != nil {
		return nil, nil, nil, err
	}
	old = op.current()
	next, remove, err := op.evaluate(old)
	if err != nil {
		return nil, nil, nil, err
	}
	op.commit(next, remove)
	return old, next, op, nil
}

func (e *Engine) putItem(in *putItemInput) (*writeOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := checkReturnValues(in.ReturnValues, "NONE", "ALL_OLD"); err != nil {
		return nil, err
	}
	in.Key = nil
	in.UpdateExpression = nil
	old, _, _, err := e.single("Put", &in.writeParams)
	if err != nil {
		return nil, err
	}
	if in.ReturnValues == "ALL_OLD" {
		return &writeOutput{Attributes: old}, nil
	}
	return &writeOutput{}, nil
}

type deleteItemInput = putItemInput

func (e *Engine) deleteItem(in *deleteItemInput) (*writeOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := checkReturnValues(in.ReturnValues, "NONE", "ALL_OLD"); err != nil {
		return nil, err
	}
	if in.UpdateExpression != nil || in.Item != nil {
		return nil, validationf("DeleteItem takes a Key, not an Item or an UpdateExpression")
	}
	old, _, _, err := e.single("Delete", &in.writeParams)
	if err != nil {
		return nil, err
	}
	if in.ReturnValues == "ALL_OLD" {
		return &writeOutput{Attributes: old}, nil
	}
	return &writeOutput{}, nil
}

type updateItemInput = putItemInput

func (e *Engine) updateItem(in *updateItemInput) (*writeOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := checkReturnValues(in.ReturnValues, "NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"); err != nil {
		return nil, err
	}
	if in.Item != nil {
		return nil, validationf("UpdateItem takes a Key, not an Item")
	}
	old, next, op, err := e.single("Update", &in.writeParams)
	if err != nil {
		return nil, err
	}
	var paths []docPath
	for _, a := range op.actions {
		paths = append(paths, a.path)
	}
	switch in.ReturnValues {
	case "ALL_OLD":
		return &writeOutput{Attributes: old}, nil
	case "ALL_NEW":
		return &writeOutput{Attributes: next}, nil
	case "UPDATED_OLD":
		if old == nil {
			return &writeOutput{}, nil
		}
		return &writeOutput{Attributes: projectItem(old, nonNil(paths))}, nil
	case "UPDATED_NEW":
		return &writeOutput{Attributes: projectItem(next, nonNil(paths))}, nil
	}
	return &writeOutput{}, nil
}

func nonNil(p []docPath) []docPath {
	if p == nil {
		return []docPath{}
	}
	return p
}

type transactAction struct {
	ConditionCheck *writeParams
	Put            *writeParams
	Delete         *writeParams
	Update         *writeParams
}

type transactWriteItemsInput struct {
	TransactItems               []transactAction
	ClientRequestToken          string
	ReturnConsumedCapacity      string
	ReturnItemCollectionMetrics string
}

type emptyOutput struct{}

// maxTransactionSize is DynamoDB's limit on the items of one transaction, 4 MB.
const maxTransactionSize = 4 << 20

// transactWriteItems applies up to 100 actions atomically: every condition is checked and every new
// item computed before anything is written, so either all apply or none does. body is the raw
// request, kept for the ClientRequestToken.
func (e *Engine) transactWriteItems(in *transactWriteItemsInput, body []byte) (*emptyOutput, error) {
	n := len(in.TransactItems)
	if n == 0 || n > 100 {
		return nil, validationf("1 validation error detected: Value '[...]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100, Member must have length greater than or equal to 1")
	}
	if len(in.ClientRequestToken) > 36 {
		return nil, validationf("1 validation error detected: Value '%s' at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36", in.ClientRequestToken)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.opts.Now()
	if in.ClientRequestToken != "" {
		e.dropOldTokens(now)
		if prev, ok := e.tokens[in.ClientRequestToken]; ok {
			// The SDKs write maps in any order: compare the requests' content, not their bytes.
			if !bytes.Equal(prev.request, body) && !bytes.Equal(canonicalJSON(prev.request), canonicalJSON(body)) {
				return nil, &apiError{code: "IdempotentParameterMismatchException", status: http.StatusBadRequest,
					message: "The request uses the same client token as a previous, but non-identical request. Do not reuse a client token with different requests, unless the requests are identical."}
			}
			return &emptyOutput{}, nil // already applied: succeeds without writing again
		}
	}
	ops := make([]*writeOp, n)
	seen := map[string]bool{}
	size := 0
	for i, a := range in.TransactItems {
		var kind string
		var p *writeParams
		count := 0
		for k, x := range map[string]*writeParams{"ConditionCheck": a.ConditionCheck, "Put": a.Put, "Delete": a.Delete, "Update": a.Update} {
			if x != nil {
				kind, p = k, x
				count++
			}
		}
		if count != 1 {
			return nil, validationf("TransactItems can only contain one of Check, Put, Update or Delete")
		}
		if kind == "Update" && p.UpdateExpression == nil {
			return nil, validationf("1 validation error detected: Value null at 'transactItems.%d.member.update.updateExpression' failed to satisfy constraint: Member must not be null", i+1)
		}
		op, err := e.prepare(kind, p)
		if err != nil {
			return nil, err
		}
		id := op.t.name + "\x00" + op.t.keyString(op.hash, op.rng)
		if seen[id] {
			return nil, validationf("Transaction request cannot include multiple operations on one item")
		}
		seen[id] = true
		if op.item != nil {
			size += op.item.size()
		}
		ops[i] = op
	}
	if size > maxTransactionSize {
		return nil, validationf("Transaction request size has exceeded the maximum allowed size of 4 MB")
	}
	type result struct {
		next   Item
		remove bool
	}
	results := make([]result, n)
	reasons := make([]cancellationReason, n)
	failed := false
	for i, op := range ops {
		next, remove, err := op.evaluate(op.current())
		switch ae, _ := err.(*apiError); {
		case err == nil:
			reasons[i] = cancellationReason{Code: "None"}
			results[i] = result{next, remove}
		case ae != nil && ae.code == "ConditionalCheckFailedException":
			reasons[i] = cancellationReason{Code: "ConditionalCheckFailed", Message: conditionFailedMessage, Item: ae.item}
			failed = true
		case ae != nil:
			reasons[i] = cancellationReason{Code: "ValidationError", Message: ae.message}
			failed = true
		default:
			return nil, err
		}
	}
	if failed {
		return nil, transactionCanceled(reasons)
	}
	for i, op := range ops {
		op.commit(results[i].next, results[i].remove)
	}
	if in.ClientRequestToken != "" {
		e.tokens[in.ClientRequestToken] = tokenRecord{request: body, at: now}
		e.tokenOrder = append(e.tokenOrder, in.ClientRequestToken)
	}
	return &emptyOutput{}, nil
}

// canonicalJSON re-encodes a JSON document with its object keys sorted, so that two encodings of the
// same request (the SDKs write maps in any order) compare equal.
func canonicalJSON(body []byte) []byte {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return body
	}
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return out
}

// dropOldTokens forgets the client tokens older than DynamoDB's 10 minutes.
func (e *Engine) dropOldTokens(now time.Time) {
	i := 0
	for ; i < len(e.tokenOrder); i++ {
		tok := e.tokenOrder[i]
		if rec, ok := e.tokens[tok]; ok && now.Sub(rec.at) < tokenWindow {
			break
		}
		delete(e.tokens, tok)
	}
	e.tokenOrder = e.tokenOrder[i:]
}

type transactGetItemsInput struct {
	TransactItems []struct {
		Get *struct {
			TableName                string
			Key                      Item
			ProjectionExpression     *string
			ExpressionAttributeNames map[string]string
		}
	}
	ReturnConsumedCapacity string
}

type transactGetItemsOutput struct {
	Responses []itemOutput
}

func (e *Engine) transactGetItems(in *transactGetItemsInput) (*transactGetItemsOutput, error) {
	n := len(in.TransactItems)
	if n == 0 || n > 100 {
		return nil, validationf("1 validation error detected: Value '[...]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100, Member must have length greater than or equal to 1")
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := &transactGetItemsOutput{Responses: make([]itemOutput, n)}
	seen := map[string]bool{}
	for i, a := range in.TransactItems {
		g := a.Get
		if g == nil {
			return nil, validationf("1 validation error detected: Value null at 'transactItems.%d.member.get' failed to satisfy constraint: Member must not be null", i+1)
		}
		if err := checkNoNil(g.Key); err != nil {
			return nil, err
		}
		paths, err := projectionFor(g.ProjectionExpression, g.ExpressionAttributeNames)
		if err != nil {
			return nil, err
		}
		t, err := e.table(g.TableName)
		if err != nil {
			return nil, err
		}
		hash, rng, err := t.keyOf(g.Key)
		if err != nil {
			return nil, err
		}
		id := t.name + "\x00" + t.keyString(hash, rng)
		if seen[id] {
			return nil, validationf("Transaction request cannot include multiple operations on one item")
		}
		seen[id] = true
		if rec := t.get(hash, rng); rec != nil {
			out.Responses[i] = itemOutput{Item: projectItem(rec.item, paths)}
		}
	}
	return out, nil
}

type batchWriteItemInput struct {
	RequestItems map[string][]struct {
		PutRequest *struct {
			Item Item
		}
		DeleteRequest *struct {
			Key Item
		}
	}
	ReturnConsumedCapacity      string
	ReturnItemCollectionMetrics string
}

type batchWriteItemOutput struct {
	UnprocessedItems map[string]json.RawMessage
}

// batchWriteItem applies up to 25 puts and deletes. DynamoDB does not make a batch atomic, but
// every request is validated before any is applied, and this engine applies all of them (it has no
// throughput to exceed, so UnprocessedItems is always empty).
func (e *Engine) batchWriteItem(in *batchWriteItemInput) (*batchWriteItemOutput, error) {
	total := 0
	for _, reqs := range in.RequestItems {
		total += len(reqs)
		if len(reqs) == 0 {
			return nil, validationf("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
		}
	}
	if total == 0 || total > 25 {
		return nil, validationf("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var ops []*writeOp
	for name, reqs := range in.RequestItems {
		seen := map[string]bool{}
		for _, r := range reqs {
			var op *writeOp
			var err error
			switch {
			case r.PutRequest != nil && r.DeleteRequest == nil:
				op, err = e.prepare("Put", &writeParams{TableName: name, Item: r.PutRequest.Item})
			case r.DeleteRequest != nil && r.PutRequest == nil:
				op, err = e.prepare("Delete", &writeParams{TableName: name, Key: r.DeleteRequest.Key})
			default:
				err = validationf("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
			}
			if err != nil {
				return nil, err
			}
			id := op.t.keyString(op.hash, op.rng)
			if seen[id] {
				return nil, validationf("Provided list of item keys contains duplicates")
			}
			seen[id] = true
			ops = append(ops, op)
		}
	}
	for _, op := range ops {
		next, remove, _ := op.evaluate(nil)
		op.commit(next, remove)
	}
	return &batchWriteItemOutput{UnprocessedItems: map[string]json.RawMessage{}}, nil
}

type batchGetRequest struct {
	Keys                     []Item
	ProjectionExpression     *string
	ExpressionAttributeNames map[string]string
	ConsistentRead           bool
	AttributesToGet          json.RawMessage
}

type batchGetItemInput struct {
	RequestItems           map[string]*batchGetRequest
	ReturnConsumedCapacity string
}

type batchGetItemOutput struct {
	Responses       map[string][]Item
	UnprocessedKeys map[string]*batchGetRequest
}

// maxBatchGetSize is how much BatchGetItem returns at most, 16 MB; the keys past it come back in
// UnprocessedKeys, as DynamoDB does.
const maxBatchGetSize = 16 << 20

func (e *Engine) batchGetItem(in *batchGetItemInput) (*batchGetItemOutput, error) {
	total := 0
	for _, r := range in.RequestItems {
		if r == nil || len(r.Keys) == 0 {
			return nil, validationf("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 100, Member must have length greater than or equal to 1]")
		}
		if len(r.AttributesToGet) > 0 {
			return nil, (&legacyParams{AttributesToGet: r.AttributesToGet}).check()
		}
		total += len(r.Keys)
	}
	if total == 0 {
		return nil, validationf("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if total > 100 {
		return nil, validationf("Too many items requested for the BatchGetItem call")
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := &batchGetItemOutput{Responses: map[string][]Item{}, UnprocessedKeys: map[string]*batchGetRequest{}}
	size := 0
	for name, r := range in.RequestItems {
		t, err := e.table(name)
		if err != nil {
			return nil, err
		}
		paths, err := projectionFor(r.ProjectionExpression, r.ExpressionAttributeNames)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		items := []Item{}
		for _, key := range r.Keys {
			if err := checkNoNil(key); err != nil {
				return nil, err
			}
			hash, rng, err := t.keyOf(key)
			if err != nil {
				return nil, err
			}
			id := t.keyString(hash, rng)
			if seen[id] {
				return nil, validationf("Provided list of item keys contains duplicates")
			}
			seen[id] = true
			if size > maxBatchGetSize {
				u := out.UnprocessedKeys[name]
				if u == nil {
					u = &batchGetRequest{ProjectionExpression: r.ProjectionExpression, ExpressionAttributeNames: r.ExpressionAttributeNames, ConsistentRead: r.ConsistentRead}
					out.UnprocessedKeys[name] = u
				}
				u.Keys = append(u.Keys, key)
				continue
			}
			if rec := t.get(hash, rng); rec != nil {
				items = append(items, projectItem(rec.item, paths))
				size += rec.size
			}
		}
		out.Responses[name] = items
	}
	return out, nil
}
