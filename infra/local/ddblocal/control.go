package ddblocal

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
)

// Control plane: tables, their indexes and TTL.

type attributeDefinition struct {
	AttributeName string
	AttributeType string
}

type keySchemaElement struct {
	AttributeName string
	KeyType       string
}

type projectionWire struct {
	ProjectionType   string   `json:",omitempty"`
	NonKeyAttributes []string `json:",omitempty"`
}

type provisionedThroughput struct {
	ReadCapacityUnits  int64
	WriteCapacityUnits int64
}

type streamSpecification struct {
	StreamEnabled  bool
	StreamViewType string `json:",omitempty"`
}

type indexDefinition struct {
	IndexName             string
	KeySchema             []keySchemaElement
	Projection            *projectionWire
	ProvisionedThroughput *provisionedThroughput `json:",omitempty"`
}

type createTableInput struct {
	TableName              string
	AttributeDefinitions   []attributeDefinition
	KeySchema              []keySchemaElement
	GlobalSecondaryIndexes []indexDefinition
	LocalSecondaryIndexes  []indexDefinition
	BillingMode            string
	ProvisionedThroughput  *provisionedThroughput
	StreamSpecification    *streamSpecification
}

type tableNameInput struct {
	TableName string
}

type throughputDescription struct {
	ReadCapacityUnits      int64
	WriteCapacityUnits     int64
	NumberOfDecreasesToday int64
}

type indexDescription struct {
	IndexName             string
	KeySchema             []keySchemaElement
	Projection            projectionWire
	IndexStatus           string `json:",omitempty"`
	IndexSizeBytes        int64
	ItemCount             int64
	IndexArn              string
	ProvisionedThroughput *throughputDescription `json:",omitempty"`
}

type billingModeSummary struct {
	BillingMode                       string
	LastUpdateToPayPerRequestDateTime float64 `json:",omitempty"`
}

type tableDescription struct {
	TableName                 string
	TableId                   string
	TableArn                  string
	TableStatus               string
	CreationDateTime          float64
	AttributeDefinitions      []attributeDefinition
	KeySchema                 []keySchemaElement
	ItemCount                 int64
	TableSizeBytes            int64
	ProvisionedThroughput     throughputDescription
	BillingModeSummary        *billingModeSummary  `json:",omitempty"`
	GlobalSecondaryIndexes    []indexDescription   `json:",omitempty"`
	LocalSecondaryIndexes     []indexDescription   `json:",omitempty"`
	StreamSpecification       *streamSpecification `json:",omitempty"`
	DeletionProtectionEnabled bool
}

type tableDescriptionOutput struct {
	TableDescription tableDescription
}

type describeTableOutput struct {
	Table tableDescription
}

var tableNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

func (e *Engine) createTable(in *createTableInput) (*tableDescriptionOutput, error) {
	if !tableNamePattern.MatchString(in.TableName) {
		return nil, validationf("1 validation error detected: Value '%s' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and length between 3 and 255", in.TableName)
	}
	t := &table{name: in.TableName, attrTypes: map[string]string{}, attrDefs: in.AttributeDefinitions, tree: newTree(), ttl: newTree()}
	for _, d := range in.AttributeDefinitions {
		switch d.AttributeType {
		case "S", "N", "B":
		default:
			return nil, validationf("1 validation error detected: Value '%s' at 'attributeDefinitions.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]", d.AttributeType)
		}
		if _, dup := t.attrTypes[d.AttributeName]; dup {
			return nil, validationf("Cannot have two attributes with the same name")
		}
		t.attrTypes[d.AttributeName] = d.AttributeType
	}
	keys, err := parseKeySchema(in.KeySchema, "")
	if err != nil {
		return nil, err
	}
	t.keys = keys
	switch in.BillingMode {
	case "PAY_PER_REQUEST":
		if in.ProvisionedThroughput != nil {
			return nil, validationf("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
	case "", "PROVISIONED":
		if in.ProvisionedThroughput == nil {
			return nil, validationf("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
		}
		in.BillingMode = "PROVISIONED"
	default:
		return nil, validationf("1 validation error detected: Value '%s' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]", in.BillingMode)
	}
	t.billing = in.BillingMode
	t.throughput = in.ProvisionedThroughput
	t.streams = in.StreamSpecification
	used := map[string]bool{keys.hash: true}
	if keys.rng != "" {
		used[keys.rng] = true
	}
	if in.GlobalSecondaryIndexes != nil && len(in.GlobalSecondaryIndexes) == 0 {
		return nil, validationf("One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty")
	}
	if len(in.GlobalSecondaryIndexes) > 20 {
		return nil, validationf("One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20")
	}
	if len(in.LocalSecondaryIndexes) > 5 {
		return nil, validationf("One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of 5")
	}
	for i, defs := range [][]indexDefinition{in.GlobalSecondaryIndexes, in.LocalSecondaryIndexes} {
		local := i == 1
		for _, d := range defs {
			ix, err := t.newIndex(d, local, in.BillingMode)
			if err != nil {
				return nil, err
			}
			used[ix.keys.hash] = true
			if ix.keys.rng != "" {
				used[ix.keys.rng] = true
			}
		}
	}
	for name := range used {
		if _, ok := t.attrTypes[name]; !ok {
			return nil, validationf("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]", name, attrNames(in.AttributeDefinitions))
		}
	}
	if len(used) != len(t.attrTypes) {
		var keysUsed []string
		for name := range used {
			keysUsed = append(keysUsed, name)
		}
		return nil, validationf("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions; AttributeDefinitions: [%s], keys used: [%s]", attrNames(in.AttributeDefinitions), joinSorted(keysUsed))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tables[in.TableName] != nil {
		return nil, inUse("Table already exists: %s", in.TableName)
	}
	t.created = e.opts.Now()
	e.tables[in.TableName] = t
	d := e.describe(t)
	d.TableStatus = "ACTIVE"
	return &tableDescriptionOutput{TableDescription: d}, nil
}

func attrNames(defs []attributeDefinition) string {
	var names []string
	for _, d := range defs {
		names = append(names, d.AttributeName)
	}
	return joinSorted(names)
}

func joinSorted(s []string) string {
	s = sortedStrings(s)
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

func sortedStrings(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

func parseKeySchema(elems []keySchemaElement, indexName string) (keySchema, error) {
	var ks keySchema
	where := ""
	if indexName != "" {
		where = " for index " + indexName
	}
	if len(elems) == 0 || len(elems) > 2 {
		return ks, validationf("1 validation error detected: Value '%d' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2 and greater than or equal to 1", len(elems))
	}
	if elems[0].KeyType != "HASH" {
		return ks, validationf("Invalid KeySchema: The first KeySchemaElement is not a HASH key type%s", where)
	}
	ks.hash = elems[0].AttributeName
	if len(elems) == 2 {
		if elems[1].KeyType != "RANGE" {
			return ks, validationf("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type%s", where)
		}
		if elems[1].AttributeName == ks.hash {
			return ks, validationf("Both the Hash Key and the Range Key element in the KeySchema have the same name")
		}
		ks.rng = elems[1].AttributeName
	}
	return ks, nil
}

func (t *table) newIndex(d indexDefinition, local bool, billing string) (*index, error) {
	kind := "GlobalSecondaryIndex"
	if local {
		kind = "LocalSecondaryIndex"
	}
	if len(d.IndexName) < 3 || len(d.IndexName) > 255 || !tableNamePattern.MatchString(d.IndexName) {
		return nil, validationf("One or more parameter values were invalid: Invalid index name %q", d.IndexName)
	}
	for _, ix := range t.indexes {
		if ix.name == d.IndexName {
			return nil, validationf("One or more parameter values were invalid: Duplicate index name: %s", d.IndexName)
		}
	}
	keys, err := parseKeySchema(d.KeySchema, d.IndexName)
	if err != nil {
		return nil, err
	}
	if local && (keys.hash != t.keys.hash || keys.rng == "") {
		return nil, validationf("One or more parameter values were invalid: Index KeySchema does not have a range key for index: %s", d.IndexName)
	}
	if d.Projection == nil || d.Projection.ProjectionType == "" {
		return nil, validationf("One or more parameter values were invalid: Unknown ProjectionType: null")
	}
	p := projection{typ: d.Projection.ProjectionType, nonKeys: d.Projection.NonKeyAttributes}
	switch p.typ {
	case "ALL", "KEYS_ONLY":
		if len(p.nonKeys) > 0 {
			return nil, validationf("One or more parameter values were invalid: ProjectionType is %s, but NonKeyAttributes is specified", p.typ)
		}
	case "INCLUDE":
		if len(p.nonKeys) == 0 {
			return nil, validationf("One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
		}
	default:
		return nil, validationf("One or more parameter values were invalid: Unknown ProjectionType: %s", p.typ)
	}
	if !local {
		switch {
		case billing == "PAY_PER_REQUEST" && d.ProvisionedThroughput != nil:
			return nil, validationf("One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: %s when BillingMode is PAY_PER_REQUEST", d.IndexName)
		case billing != "PAY_PER_REQUEST" && d.ProvisionedThroughput == nil:
			return nil, validationf("One or more parameter values were invalid: ProvisionedThroughput must be specified for index: %s", d.IndexName)
		}
	}
	_ = kind
	ix := &index{name: d.IndexName, local: local, keys: keys, proj: p, tree: newTree(), tableKeys: t.keys, raw: d}
	t.indexes = append(t.indexes, ix)
	return ix, nil
}

func (e *Engine) arn(t *table) string {
	return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", e.opts.Region, e.opts.AccountID, t.name)
}

// describe builds a table's description; the caller holds the lock.
func (e *Engine) describe(t *table) tableDescription {
	d := tableDescription{
		TableName:            t.name,
		TableId:              tableID(t),
		TableArn:             e.arn(t),
		TableStatus:          "ACTIVE",
		CreationDateTime:     float64(t.created.UnixMilli()) / 1000,
		AttributeDefinitions: t.attrDefs,
		KeySchema:            keyElements(t.keys),
		ItemCount:            int64(t.tree.Len()),
		TableSizeBytes:       t.bytes,
		StreamSpecification:  t.streams,
	}
	if t.throughput != nil {
		d.ProvisionedThroughput = throughputDescription{ReadCapacityUnits: t.throughput.ReadCapacityUnits, WriteCapacityUnits: t.throughput.WriteCapacityUnits}
	}
	if t.billing == "PAY_PER_REQUEST" {
		d.BillingModeSummary = &billingModeSummary{BillingMode: t.billing, LastUpdateToPayPerRequestDateTime: d.CreationDateTime}
	}
	for _, ix := range t.indexes {
		id := indexDescription{
			IndexName:      ix.name,
			KeySchema:      keyElements(ix.keys),
			Projection:     projectionWire{ProjectionType: ix.proj.typ, NonKeyAttributes: ix.proj.nonKeys},
			IndexSizeBytes: ix.bytes,
			ItemCount:      int64(ix.tree.Len()),
			IndexArn:       e.arn(t) + "/index/" + ix.name,
		}
		if ix.local {
			d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, id)
			continue
		}
		id.IndexStatus = "ACTIVE"
		id.ProvisionedThroughput = &throughputDescription{}
		if p := ix.raw.ProvisionedThroughput; p != nil {
			id.ProvisionedThroughput = &throughputDescription{ReadCapacityUnits: p.ReadCapacityUnits, WriteCapacityUnits: p.WriteCapacityUnits}
		}
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, id)
	}
	return d
}

func tableID(t *table) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", uint32(t.created.Unix()), t.created.UnixNano()&0xffffffffffff)
}

func keyElements(ks keySchema) []keySchemaElement {
	out := []keySchemaElement{{AttributeName: ks.hash, KeyType: "HASH"}}
	if ks.rng != "" {
		out = append(out, keySchemaElement{AttributeName: ks.rng, KeyType: "RANGE"})
	}
	return out
}

func (e *Engine) describeTable(in *tableNameInput) (*describeTableOutput, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	t, err := e.table(in.TableName)
	if err != nil {
		if in.TableName != "" {
			return nil, notFound("Requested resource not found: Table: %s not found", in.TableName)
		}
		return nil, err
	}
	return &describeTableOutput{Table: e.describe(t)}, nil
}

func (e *Engine) deleteTable(in *tableNameInput) (*tableDescriptionOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.table(in.TableName)
	if err != nil {
		return nil, err
	}
	d := e.describe(t)
	d.TableStatus = "DELETING"
	delete(e.tables, t.name)
	return &tableDescriptionOutput{TableDescription: d}, nil
}

type listTablesInput struct {
	ExclusiveStartTableName string
	Limit                   *int
}

type listTablesOutput struct {
	TableNames             []string
	LastEvaluatedTableName string `json:",omitempty"`
}

func (e *Engine) listTables(in *listTablesInput) (*listTablesOutput, error) {
	limit := 100
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 100 {
			return nil, validationf("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100", *in.Limit)
		}
		limit = *in.Limit
	}
	e.mu.RLock()
	names := make([]string, 0, len(e.tables))
	for name := range e.tables {
		if name > in.ExclusiveStartTableName {
			names = append(names, name)
		}
	}
	e.mu.RUnlock()
	sort.Strings(names)
	out := &listTablesOutput{TableNames: names}
	if len(names) > limit {
		out.TableNames = names[:limit]
		out.LastEvaluatedTableName = names[limit-1]
	}
	return out, nil
}

type timeToLiveSpecification struct {
	AttributeName string
	Enabled       bool
}

type updateTimeToLiveInput struct {
	TableName               string
	TimeToLiveSpecification *timeToLiveSpecification
}

type updateTimeToLiveOutput struct {
	TimeToLiveSpecification timeToLiveSpecification
}

func (e *Engine) updateTimeToLive(in *updateTimeToLiveInput) (*updateTimeToLiveOutput, error) {
	spec := in.TimeToLiveSpecification
	if spec == nil || spec.AttributeName == "" {
		return nil, validationf("1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.table(in.TableName)
	if err != nil {
		return nil, err
	}
	switch {
	case spec.Enabled && t.ttlAttr != "":
		return nil, validationf("TimeToLive is already enabled")
	case !spec.Enabled && t.ttlAttr == "":
		return nil, validationf("TimeToLive is already disabled")
	case !spec.Enabled && t.ttlAttr != spec.AttributeName:
		return nil, validationf("TimeToLive is active on a different AttributeName: current AttributeName is %s", t.ttlAttr)
	}
	if spec.Enabled {
		t.setTTL(spec.AttributeName)
	} else {
		t.setTTL("")
	}
	return &updateTimeToLiveOutput{TimeToLiveSpecification: *spec}, nil
}

type timeToLiveDescription struct {
	TimeToLiveStatus string
	AttributeName    string `json:",omitempty"`
}

type describeTimeToLiveOutput struct {
	TimeToLiveDescription timeToLiveDescription
}

func (e *Engine) describeTimeToLive(in *tableNameInput) (*describeTimeToLiveOutput, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	t, err := e.table(in.TableName)
	if err != nil {
		return nil, err
	}
	if t.ttlAttr == "" {
		return &describeTimeToLiveOutput{TimeToLiveDescription: timeToLiveDescription{TimeToLiveStatus: "DISABLED"}}, nil
	}
	return &describeTimeToLiveOutput{TimeToLiveDescription: timeToLiveDescription{TimeToLiveStatus: "ENABLED", AttributeName: t.ttlAttr}}, nil
}
