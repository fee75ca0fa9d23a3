package ddblocal

import (
	"hash/fnv"
	"strings"

	"github.com/google/btree"
)

// Query and Scan.

type readInput struct {
	legacyParams
	TableName                 string
	IndexName                 string
	KeyConditionExpression    *string
	FilterExpression          *string
	ProjectionExpression      *string
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues map[string]*Value
	Limit                     *int
	ExclusiveStartKey         Item
	ScanIndexForward          *bool
	ConsistentRead            bool
	Select                    string
	Segment                   *int
	TotalSegments             *int
	ReturnConsumedCapacity    string
}

type readOutput struct {
	Items            *[]Item `json:",omitempty"`
	Count            int
	ScannedCount     int
	LastEvaluatedKey Item `json:",omitempty"`
}

// maxPageSize is the most a Query or Scan reads before it stops with a LastEvaluatedKey, 1 MB.
const maxPageSize = 1 << 20

// keyRange is a query's key condition: the partition key's value and the sort key condition.
type keyRange struct {
	hash   *Value
	op     string // "" (none), =, <, <=, >, >=, BETWEEN, begins_with
	v1, v2 *Value
}

// position tells where a sort key value lies relative to the condition: -1 before the values it
// accepts, 0 among them, +1 after them (in ascending order).
func (k keyRange) position(v *Value) int {
	if k.op == "" {
		return 0
	}
	c := compareScalars(v, k.v1)
	switch k.op {
	case "=":
		return sign(c)
	case "<":
		if c < 0 {
			return 0
		}
		return 1
	case "<=":
		if c <= 0 {
			return 0
		}
		return 1
	case ">":
		if c > 0 {
			return 0
		}
		return -1
	case ">=":
		if c >= 0 {
			return 0
		}
		return -1
	case "BETWEEN":
		if c < 0 {
			return -1
		}
		if compareScalars(v, k.v2) > 0 {
			return 1
		}
		return 0
	case "begins_with":
		if strings.HasPrefix(v.str, k.v1.str) {
			return 0
		}
		return sign(c)
	}
	return 0
}

func sign(c int) int {
	switch {
	case c < 0:
		return -1
	case c > 0:
		return 1
	}
	return 0
}

// analyzeKeyCondition checks a key condition expression's shape as DynamoDB does: an equality on the
// partition key, and at most one condition on the sort key.
func analyzeKeyCondition(c cond, ks keySchema, types map[string]string) (keyRange, error) {
	var parts []cond
	var flatten func(c cond) error
	flatten = func(c cond) error {
		switch c := c.(type) {
		case andCond:
			if err := flatten(c.a); err != nil {
				return err
			}
			return flatten(c.b)
		case orCond:
			return validationf("Invalid operator used in KeyConditionExpression: OR")
		case notCond:
			return validationf("Invalid operator used in KeyConditionExpression: NOT")
		case inCond:
			return validationf("Invalid operator used in KeyConditionExpression: IN")
		}
		parts = append(parts, c)
		return nil
	}
	var kr keyRange
	if err := flatten(c); err != nil {
		return kr, err
	}
	if len(parts) > 2 {
		return kr, validationf("Conditions can be of length 1 or 2 only")
	}
	seen := map[string]bool{}
	for _, p := range parts {
		var name, op string
		var vals []*Value
		keyName := func(o operand) (string, bool) {
			po, ok := o.(pathOperand)
			if !ok || len(po.path) != 1 {
				return "", false
			}
			return po.path[0].name, true
		}
		value := func(o operand) (*Value, bool) {
			vo, ok := o.(valueOperand)
			return vo.v, ok
		}
		ok := true
		switch p := p.(type) {
		case cmpCond:
			if p.op == "<>" {
				return kr, validationf("Unsupported operator on KeyConditionExpression: operator: <>")
			}
			op = p.op
			var v *Value
			var ok1, ok2 bool
			name, ok1 = keyName(p.a)
			v, ok2 = value(p.b)
			ok = ok1 && ok2
			vals = []*Value{v}
		case betweenCond:
			op = "BETWEEN"
			var lo, hi *Value
			var ok1, ok2, ok3 bool
			name, ok1 = keyName(p.x)
			lo, ok2 = value(p.lo)
			hi, ok3 = value(p.hi)
			ok = ok1 && ok2 && ok3
			vals = []*Value{lo, hi}
		case funcCond:
			if p.name != "begins_with" {
				return kr, validationf("Invalid condition in KeyConditionExpression: %s operator not supported", p.name)
			}
			op = "begins_with"
			var v *Value
			var ok1, ok2 bool
			name, ok1 = keyName(p.args[0])
			v, ok2 = value(p.args[1])
			ok = ok1 && ok2
			vals = []*Value{v}
		default:
			ok = false
		}
		if !ok {
			return kr, validationf("Invalid KeyConditionExpression: Query key condition not supported")
		}
		if name != ks.hash && name != ks.rng {
			return kr, validationf("Query condition missed key schema element: %s", missingKey(seen, ks, name))
		}
		if seen[name] {
			return kr, validationf("KeyConditionExpressions must only contain one condition per key")
		}
		seen[name] = true
		for _, v := range vals {
			if v.kind.String() != types[name] {
				return kr, validationf("One or more parameter values were invalid: Condition parameter type does not match schema type")
			}
		}
		if name == ks.hash {
			if op != "=" {
				return kr, validationf("Query key condition not supported")
			}
			kr.hash = vals[0]
			continue
		}
		if op == "begins_with" && types[name] == "N" {
			return kr, validationf("Query key condition not supported")
		}
		kr.op, kr.v1 = op, vals[0]
		if len(vals) == 2 {
			kr.v2 = vals[1]
		}
	}
	if kr.hash == nil {
		return kr, validationf("Query condition missed key schema element: %s", ks.hash)
	}
	return kr, nil
}

func missingKey(seen map[string]bool, ks keySchema, _ string) string {
	if !seen[ks.hash] {
		return ks.hash
	}
	return ks.rng
}

// condPaths calls f with every document path a condition uses.
func condPaths(c cond, f func(docPath)) {
	ops := func(os ...operand) {
		for _, o := range os {
			switch o := o.(type) {
			case pathOperand:
				f(o.path)
			case sizeOperand:
				f(o.path)
			}
		}
	}
	switch c := c.(type) {
	case andCond:
		condPaths(c.a, f)
		condPaths(c.b, f)
	case orCond:
		condPaths(c.a, f)
		condPaths(c.b, f)
	case notCond:
		condPaths(c.c, f)
	case cmpCond:
		ops(c.a, c.b)
	case betweenCond:
		ops(c.x, c.lo, c.hi)
	case inCond:
		ops(c.x)
		ops(c.list...)
	case funcCond:
		ops(c.args...)
	}
}

// readPlan is a validated Query or Scan.
type readPlan struct {
	t        *table
	ix       *index // nil: the table
	keys     keySchema
	kr       *keyRange // nil: a Scan
	filter   cond
	paths    []docPath
	count    bool // Select COUNT
	limit    int
	forward  bool
	start    *entry // ExclusiveStartKey's position, or nil
	segment  int
	segments int
}

func (e *Engine) query(in *readInput) (*readOutput, error) { return e.read(in, true) }
func (e *Engine) scan(in *readInput) (*readOutput, error)  { return e.read(in, false) }

func (e *Engine) read(in *readInput, isQuery bool) (*readOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	for _, v := range in.ExpressionAttributeValues {
		if v == nil {
			return nil, validationf("ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
		}
	}
	if err := checkNoNil(in.ExclusiveStartKey); err != nil {
		return nil, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	plan, err := e.plan(in, isQuery)
	if err != nil {
		return nil, err
	}
	return plan.run(), nil
}

func (e *Engine) plan(in *readInput, isQuery bool) (*readPlan, error) {
	t, err := e.table(in.TableName)
	if err != nil {
		return nil, err
	}
	p := &readPlan{t: t, keys: t.keys, limit: -1, forward: true}
	if in.IndexName != "" {
		for _, ix := range t.indexes {
			if ix.name == in.IndexName {
				p.ix = ix
			}
		}
		if p.ix == nil {
			return nil, validationf("The table does not have the specified index: %s", in.IndexName)
		}
		p.keys = p.ix.keys
		if in.ConsistentRead && !p.ix.local {
			return nil, validationf("Consistent reads are not supported on global secondary indexes")
		}
	}
	if in.Limit != nil {
		if *in.Limit < 1 {
			return nil, validationf("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", *in.Limit)
		}
		p.limit = *in.Limit
	}
	if in.ScanIndexForward != nil {
		if !isQuery {
			return nil, validationf("ScanIndexForward is a Query parameter")
		}
		p.forward = *in.ScanIndexForward
	}
	ctx := newExprContext(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if isQuery {
		if in.KeyConditionExpression == nil {
			return nil, validationf("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
		}
		c, err := parseCondition(ctx, "KeyConditionExpression", *in.KeyConditionExpression)
		if err != nil {
			return nil, err
		}
		kr, err := analyzeKeyCondition(c, p.keys, t.attrTypes)
		if err != nil {
			return nil, err
		}
		p.kr = &kr
	} else if in.KeyConditionExpression != nil {
		return nil, validationf("KeyConditionExpression is a Query parameter")
	}
	if in.FilterExpression != nil {
		if p.filter, err = parseCondition(ctx, "FilterExpression", *in.FilterExpression); err != nil {
			return nil, err
		}
		if isQuery {
			var bad string
			condPaths(p.filter, func(path docPath) {
				if name := path[0].name; bad == "" && (name == p.keys.hash || name == p.keys.rng) {
					bad = name
				}
			})
			if bad != "" {
				return nil, validationf("Filter Expression can only contain non-primary key attributes: Primary key attribute: %s", bad)
			}
		}
	}
	if in.ProjectionExpression != nil {
		if p.paths, err = parseProjection(ctx, *in.ProjectionExpression); err != nil {
			return nil, err
		}
	}
	if err := ctx.check(); err != nil {
		return nil, err
	}
	switch in.Select {
	case "":
	case "ALL_ATTRIBUTES":
		if p.ix != nil && p.ix.proj.typ != "ALL" {
			return nil, validationf("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index %s because its projection type is not ALL", p.ix.name)
		}
	case "ALL_PROJECTED_ATTRIBUTES":
		if p.ix == nil {
			return nil, validationf("One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is supported only for index queries")
		}
	case "SPECIFIC_ATTRIBUTES":
		if p.paths == nil {
			return nil, validationf("One or more parameter values were invalid: Select type SPECIFIC_ATTRIBUTES requires a ProjectionExpression")
		}
	case "COUNT":
		p.count = true
	default:
		return nil, validationf("1 validation error detected: Value '%s' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]", in.Select)
	}
	if in.Select != "" && in.Select != "SPECIFIC_ATTRIBUTES" && p.paths != nil {
		return nil, validationf("One or more parameter values were invalid: Cannot specify the ProjectionExpression when choosing to get %s", in.Select)
	}
	if in.Segment != nil || in.TotalSegments != nil {
		switch {
		case isQuery:
			return nil, validationf("Segment and TotalSegments are Scan parameters")
		case in.TotalSegments == nil:
			return nil, validationf("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
		case in.Segment == nil:
			return nil, validationf("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
		case *in.TotalSegments < 1 || *in.TotalSegments > 1000000:
			return nil, validationf("1 validation error detected: Value '%d' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000", *in.TotalSegments)
		case *in.Segment < 0 || *in.Segment >= *in.TotalSegments:
			return nil, validationf("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is not less than TotalSegments: %d", *in.Segment, *in.TotalSegments)
		}
		p.segment, p.segments = *in.Segment, *in.TotalSegments
	}
	if in.ExclusiveStartKey != nil {
		start, err := p.startEntry(in.ExclusiveStartKey)
		if err != nil {
			return nil, err
		}
		p.start = start
	}
	return p, nil
}

// startEntry checks an ExclusiveStartKey (the table's key, plus the index's for an index) and
// returns its position.
func (p *readPlan) startEntry(k Item) (*entry, error) {
	t := p.t
	bad := validationf("The provided starting key is invalid: The provided key element does not match the schema")
	names := map[string]bool{t.keys.hash: true}
	if t.keys.rng != "" {
		names[t.keys.rng] = true
	}
	if p.ix != nil {
		names[p.ix.keys.hash] = true
		if p.ix.keys.rng != "" {
			names[p.ix.keys.rng] = true
		}
	}
	if len(k) != len(names) {
		return nil, bad
	}
	for name := range names {
		v := k[name]
		if v == nil || v.kind.String() != t.attrTypes[name] {
			return nil, bad
		}
	}
	e := &entry{}
	if p.ix == nil {
		e.key = [4]keyPart{{v: k[t.keys.hash]}, {v: k[t.keys.rng]}}
	} else {
		var r *Value
		if p.ix.keys.rng != "" {
			r = k[p.ix.keys.rng]
		}
		e.key = [4]keyPart{{v: k[p.ix.keys.hash]}, {v: r}, {v: k[t.keys.hash]}, {v: k[t.keys.rng]}}
	}
	if p.kr != nil {
		if !equal(e.key[0].v, p.kr.hash) {
			return nil, validationf("The provided starting key is outside query boundaries based on provided conditions")
		}
		if e.key[1].v != nil && p.kr.position(e.key[1].v) != 0 {
			return nil, validationf("The provided starting key does not match the range key predicate")
		}
	}
	return e, nil
}

func (p *readPlan) tree() *btree.BTreeG[*entry] {
	if p.ix != nil {
		return p.ix.tree
	}
	return p.t.tree
}

// run reads one page: up to Limit items evaluated and up to 1 MB read, then the filter and the
// projection; LastEvaluatedKey is set whenever the page stopped at a limit.
func (p *readPlan) run() *readOutput {
	out := &readOutput{}
	items := []Item{}
	size := 0
	var last *entry
	stopped := false
	visit := func(x *entry) bool {
		if p.start != nil && !lessEntry(x, p.start) && !lessEntry(p.start, x) {
			return true // the ExclusiveStartKey itself
		}
		if p.kr != nil {
			if compareKeyParts(x.key[0], keyPart{v: p.kr.hash}) != 0 {
				return false // past the partition
			}
			pos := 0
			if x.key[1].v != nil {
				pos = p.kr.position(x.key[1].v)
			}
			switch {
			case pos != 0 && (pos < 0) == p.forward:
				return true // before the range: keep going towards it
			case pos != 0:
				return false // past the range
			}
		}
		if p.segments > 0 && segmentOf(x.rec.hash, p.segments) != p.segment {
			return true
		}
		item, itemSize := x.rec.item, x.rec.size
		if p.ix != nil && p.ix.proj.typ != "ALL" {
			item = p.ix.projected(item, p.t.keys)
			itemSize = item.size()
		}
		out.ScannedCount++
		size += itemSize
		last = x
		if p.filter == nil || match(item, p.filter) {
			out.Count++
			if !p.count {
				items = append(items, projectItem(item, p.paths))
			}
		}
		if out.ScannedCount == p.limit || size >= maxPageSize {
			stopped = true
			return false
		}
		return true
	}
	tree := p.tree()
	switch {
	case p.start != nil && p.forward:
		tree.AscendGreaterOrEqual(p.start, visit)
	case p.start != nil:
		tree.DescendLessOrEqual(p.start, visit)
	case p.kr == nil:
		tree.Ascend(visit)
	case p.forward:
		lo := keyPart{b: below}
		switch p.kr.op {
		case "=", ">", ">=", "BETWEEN", "begins_with":
			lo = keyPart{v: p.kr.v1}
		}
		tree.AscendGreaterOrEqual(&entry{key: [4]keyPart{{v: p.kr.hash}, lo, {b: below}, {b: below}}}, visit)
	default:
		hi := keyPart{b: above}
		switch p.kr.op {
		case "=", "<", "<=":
			hi = keyPart{v: p.kr.v1}
		case "BETWEEN":
			hi = keyPart{v: p.kr.v2}
		case "begins_with":
			if p.kr.v1.kind == kindS {
				// No valid UTF-8 string contains the byte 0xFF, so every string with the prefix
				// sorts before prefix+"\xff".
				hi = keyPart{v: sValue(p.kr.v1.str + "\xff")}
			}
		}
		tree.DescendLessOrEqual(&entry{key: [4]keyPart{{v: p.kr.hash}, hi, {b: above}, {b: above}}}, visit)
	}
	if !p.count {
		out.Items = &items
	}
	if stopped && last != nil {
		out.LastEvaluatedKey = p.t.keyItem(last.rec.item)
		if p.ix != nil {
			out.LastEvaluatedKey[p.ix.keys.hash] = last.rec.item[p.ix.keys.hash]
			if p.ix.keys.rng != "" {
				out.LastEvaluatedKey[p.ix.keys.rng] = last.rec.item[p.ix.keys.rng]
			}
		}
	}
	return out
}

// segmentOf assigns an item to a parallel-scan segment by its partition key, as DynamoDB does (all
// items of a partition key are in one segment).
func segmentOf(hash *Value, segments int) int {
	h := fnv.New32a()
	h.Write([]byte(hash.kind.String()))
	h.Write([]byte(hash.str))
	return int(h.Sum32() % uint32(segments))
}
