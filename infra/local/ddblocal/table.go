package ddblocal

import (
	"strconv"
	"time"

	"github.com/google/btree"
)

// A table keeps its items in a B-tree ordered by primary key, and each secondary index in a B-tree
// of its own ordered by the index key and then the primary key, so that a GetItem, a Query and a
// write each cost O(log n) plus the items they touch, whatever the table's size. Items are never
// changed in place: a write replaces the record's item, so a reader holding an item sees it whole.

// bound places a search key below or above every value of a key part.
type bound int8

const (
	exact bound = iota
	below
	above
)

// keyPart is one part of a B-tree key: a key attribute's value, or a bound.
type keyPart struct {
	v *Value
	b bound
}

func compareKeyParts(a, b keyPart) int {
	if a.b != exact || b.b != exact {
		rank := func(k keyPart) int {
			switch k.b {
			case below:
				return -1
			case above:
				return 1
			}
			return 0
		}
		if a.b == b.b {
			return 0
		}
		if a.b == exact {
			return -rank(b)
		}
		if b.b == exact {
			return rank(a)
		}
		return rank(a) - rank(b)
	}
	if a.v == nil || b.v == nil {
		switch {
		case a.v == b.v:
			return 0
		case a.v == nil:
			return -1
		}
		return 1
	}
	return compareScalars(a.v, b.v)
}

// entry is a B-tree element: the key parts (table: hash, range; index: index hash, index range,
// table hash, table range) and the record.
type entry struct {
	key [4]keyPart
	rec *record
}

func lessEntry(a, b *entry) bool {
	for i := range a.key {
		if c := compareKeyParts(a.key[i], b.key[i]); c != 0 {
			return c < 0
		}
	}
	return false
}

// record is one stored item.
type record struct {
	item Item
	size int
	// hash and rng are the primary key's values (rng nil without a sort key).
	hash, rng *Value
}

// keySchema names a table's or an index's key attributes.
type keySchema struct {
	hash, rng string
}

// projection is a secondary index's projection.
type projection struct {
	typ     string // ALL, KEYS_ONLY, INCLUDE
	nonKeys []string
}

// index is a secondary index.
type index struct {
	name  string
	local bool
	keys  keySchema
	proj  projection
	tree  *btree.BTreeG[*entry]
	bytes int64
	// tableKeys are the table's key attributes, which every index holds.
	tableKeys keySchema
	// raw is the index's definition as CreateTable received it, for DescribeTable.
	raw indexDefinition
}

// table is one table.
type table struct {
	name       string
	created    time.Time
	keys       keySchema
	attrTypes  map[string]string // key attribute name -> S, N or B
	attrDefs   []attributeDefinition
	billing    string
	throughput *provisionedThroughput
	indexes    []*index
	tree       *btree.BTreeG[*entry]
	bytes      int64
	// ttlAttr is the TTL attribute while TTL is enabled; ttl orders the items that have one.
	ttlAttr string
	ttl     *btree.BTreeG[*entry]
	streams *streamSpecification
}

const btreeDegree = 32

func newTree() *btree.BTreeG[*entry] { return btree.NewG(btreeDegree, lessEntry) }

// primaryEntry is the table B-tree's key for a record.
func primaryEntry(rec *record) *entry {
	return &entry{key: [4]keyPart{{v: rec.hash}, {v: rec.rng}}, rec: rec}
}

// indexEntry is the index B-tree's entry for an item, or nil when the item is not in the index
// (sparse indexes: an item without the index's key attributes is left out).
func (ix *index) entryFor(rec *record) *entry {
	h := rec.item[ix.keys.hash]
	if h == nil {
		return nil
	}
	var r *Value
	if ix.keys.rng != "" {
		if r = rec.item[ix.keys.rng]; r == nil {
			return nil
		}
	}
	return &entry{key: [4]keyPart{{v: h}, {v: r}, {v: rec.hash}, {v: rec.rng}}, rec: rec}
}

// ttlEntry is the TTL B-tree's entry for an item whose TTL attribute is a number.
func (t *table) ttlEntry(rec *record) *entry {
	if t.ttlAttr == "" {
		return nil
	}
	v := rec.item[t.ttlAttr]
	if v == nil || v.kind != kindN {
		return nil
	}
	return &entry{key: [4]keyPart{{v: v}, {v: rec.hash}, {v: rec.rng}}, rec: rec}
}

// get returns the record with the primary key, or nil.
func (t *table) get(hash, rng *Value) *record {
	e, ok := t.tree.Get(&entry{key: [4]keyPart{{v: hash}, {v: rng}}})
	if !ok {
		return nil
	}
	return e.rec
}

// put stores item under its primary key, replacing what was there, and keeps the indexes in step.
// The item must have been validated (validateItem).
func (t *table) put(item Item) {
	rec := &record{item: item, size: item.size(), hash: item[t.keys.hash]}
	if t.keys.rng != "" {
		rec.rng = item[t.keys.rng]
	}
	if old := t.get(rec.hash, rec.rng); old != nil {
		t.unlink(old)
	}
	t.tree.ReplaceOrInsert(primaryEntry(rec))
	t.bytes += int64(rec.size)
	for _, ix := range t.indexes {
		if e := ix.entryFor(rec); e != nil {
			ix.tree.ReplaceOrInsert(e)
			ix.bytes += int64(ix.projectedSize(rec))
		}
	}
	if e := t.ttlEntry(rec); e != nil {
		t.ttl.ReplaceOrInsert(e)
	}
}

// remove deletes the record with the primary key, if there is one, and returns its item.
func (t *table) remove(hash, rng *Value) Item {
	old := t.get(hash, rng)
	if old == nil {
		return nil
	}
	t.unlink(old)
	return old.item
}

// unlink takes a record out of the table, its indexes and the TTL order.
func (t *table) unlink(rec *record) {
	t.tree.Delete(primaryEntry(rec))
	t.bytes -= int64(rec.size)
	for _, ix := range t.indexes {
		if e := ix.entryFor(rec); e != nil {
			ix.tree.Delete(e)
			ix.bytes -= int64(ix.projectedSize(rec))
		}
	}
	if e := t.ttlEntry(rec); e != nil {
		t.ttl.Delete(e)
	}
}

// setTTL turns TTL on for attr (or off with ""), rebuilding the TTL order.
func (t *table) setTTL(attr string) {
	t.ttlAttr = attr
	t.ttl = newTree()
	if attr == "" {
		return
	}
	t.tree.Ascend(func(e *entry) bool {
		if te := t.ttlEntry(e.rec); te != nil {
			t.ttl.ReplaceOrInsert(te)
		}
		return true
	})
}

// projected returns the attributes of an item that the index holds.
func (ix *index) projected(item Item, tableKeys keySchema) Item {
	if ix.proj.typ == "ALL" {
		return item
	}
	out := Item{}
	for _, name := range []string{tableKeys.hash, tableKeys.rng, ix.keys.hash, ix.keys.rng} {
		if v := item[name]; name != "" && v != nil {
			out[name] = v
		}
	}
	if ix.proj.typ == "INCLUDE" {
		for _, name := range ix.proj.nonKeys {
			if v := item[name]; v != nil {
				out[name] = v
			}
		}
	}
	return out
}

func (ix *index) projectedSize(rec *record) int {
	if ix.proj.typ == "ALL" {
		return rec.size
	}
	return ix.projected(rec.item, ix.tableKeys).size()
}

// keyOf checks a Key parameter against the table's schema and returns the key's values.
func (t *table) keyOf(key Item) (hash, rng *Value, err error) {
	want := 1
	if t.keys.rng != "" {
		want = 2
	}
	if len(key) != want {
		return nil, nil, validationf("The provided key element does not match the schema")
	}
	hash, err = t.keyValue(key, t.keys.hash)
	if err != nil {
		return nil, nil, err
	}
	if t.keys.rng != "" {
		if rng, err = t.keyValue(key, t.keys.rng); err != nil {
			return nil, nil, err
		}
	}
	return hash, rng, nil
}

func (t *table) keyValue(item Item, name string) (*Value, error) {
	v := item[name]
	if v == nil || v.kind.String() != t.attrTypes[name] {
		return nil, validationf("The provided key element does not match the schema")
	}
	if v.str == "" {
		return nil, validationf("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty %s value. Key: %s", emptyNoun(v.kind), name)
	}
	if err := t.checkKeySize(name, v); err != nil {
		return nil, err
	}
	return v, nil
}

// checkKeySize applies DynamoDB's key size limits: 2048 bytes for a partition key, 1024 for a sort
// key (numbers are always within them).
func (t *table) checkKeySize(name string, v *Value) error {
	switch {
	case v.kind == kindN:
	case name == t.keys.hash && len(v.str) > 2048:
		return validationf("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")
	case name == t.keys.rng && len(v.str) > 1024:
		return validationf("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
	}
	return nil
}

func emptyNoun(k kind) string {
	if k == kindB {
		return "binary"
	}
	return "string"
}

// maxItemSize is DynamoDB's item size limit, 400 KB.
const maxItemSize = 400 * 1024

// validateItem checks an item about to be stored: its primary key, the types of its index keys,
// and its size.
func (t *table) validateItem(item Item) error {
	for _, name := range []string{t.keys.hash, t.keys.rng} {
		if name == "" {
			continue
		}
		v := item[name]
		if v == nil {
			return validationf("One or more parameter values were invalid: Missing the key %s in the item", name)
		}
		if v.kind.String() != t.attrTypes[name] {
			return validationf("One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s", name, t.attrTypes[name], v.kind)
		}
		if v.str == "" {
			return validationf("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty %s value. Key: %s", emptyNoun(v.kind), name)
		}
		if err := t.checkKeySize(name, v); err != nil {
			return err
		}
	}
	for _, ix := range t.indexes {
		for _, name := range []string{ix.keys.hash, ix.keys.rng} {
			v := item[name]
			if name == "" || v == nil {
				continue
			}
			if v.kind.String() != t.attrTypes[name] {
				return validationf("One or more parameter values were invalid: Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s", name, t.attrTypes[name], v.kind, ix.name)
			}
			if v.str == "" {
				return validationf("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty %s value. IndexName: %s, IndexKey: %s", emptyNoun(v.kind), ix.name, name)
			}
		}
	}
	if item.size() > maxItemSize {
		return validationf("Item size has exceeded the maximum allowed size")
	}
	return nil
}

// keyItem returns the primary key attributes of an item.
func (t *table) keyItem(item Item) Item {
	k := Item{t.keys.hash: item[t.keys.hash]}
	if t.keys.rng != "" {
		k[t.keys.rng] = item[t.keys.rng]
	}
	return k
}

// keyString identifies an item's primary key within the table, for duplicate checks.
func (t *table) keyString(hash, rng *Value) string {
	s := hash.kind.String() + strconv.Itoa(len(hash.str)) + ":" + hash.str
	if rng != nil {
		s += "/" + rng.kind.String() + ":" + rng.str
	}
	return s
}
