package samtemplate

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Table is the typed view of an AWS::DynamoDB::Table.
type Table struct {
	// LogicalID is the table's key in Resources.
	LogicalID string
	// TableName is the raw TableName (nil: CloudFormation names it).
	TableName any
	// AttributeDefinitions lists the key attributes and their types.
	AttributeDefinitions []AttributeDefinition
	// KeySchema is the table's primary key.
	KeySchema []KeyElement
	// GlobalSecondaryIndexes lists the GSIs.
	GlobalSecondaryIndexes []SecondaryIndex
	// LocalSecondaryIndexes lists the LSIs.
	LocalSecondaryIndexes []SecondaryIndex
	// BillingMode is PAY_PER_REQUEST or PROVISIONED (CloudFormation's
	// default when unset is PROVISIONED).
	BillingMode string
	// ProvisionedThroughput is the table's capacity in PROVISIONED mode.
	ProvisionedThroughput *Throughput
	// TimeToLive is TimeToLiveSpecification, nil when unset.
	TimeToLive *TimeToLive
	// StreamViewType is StreamSpecification.StreamViewType ("" when no stream).
	StreamViewType string
	// TableClass is STANDARD or STANDARD_INFREQUENT_ACCESS ("" when unset).
	TableClass string
	// PointInTimeRecovery is the raw PointInTimeRecoveryEnabled value.
	PointInTimeRecovery any
	// DeletionProtectionEnabled is the raw value (often !Ref a parameter).
	DeletionProtectionEnabled any
	// Properties holds all properties in long form.
	Properties map[string]any
}

// AttributeDefinition is one key attribute: a name and S, N or B.
type AttributeDefinition struct {
	// Name is the attribute name.
	Name string
	// Type is S, N or B.
	Type string
}

// KeyElement is one element of a key schema.
type KeyElement struct {
	// Name is the attribute name.
	Name string
	// KeyType is HASH or RANGE.
	KeyType string
}

// SecondaryIndex is a global or local secondary index.
type SecondaryIndex struct {
	// Name is the index name.
	Name string
	// KeySchema is the index key.
	KeySchema []KeyElement
	// ProjectionType is ALL, KEYS_ONLY or INCLUDE.
	ProjectionType string
	// NonKeyAttributes lists the projected attributes for INCLUDE.
	NonKeyAttributes []string
	// ProvisionedThroughput is the index capacity in PROVISIONED mode.
	ProvisionedThroughput *Throughput
}

// Throughput is provisioned read and write capacity.
type Throughput struct {
	// Read is ReadCapacityUnits.
	Read int64
	// Write is WriteCapacityUnits.
	Write int64
}

// TimeToLive is a table's TimeToLiveSpecification.
type TimeToLive struct {
	// AttributeName is the epoch-seconds attribute that expires items.
	AttributeName string
	// Enabled turns expiry on.
	Enabled bool
}

// Tables returns every AWS::DynamoDB::Table, sorted by logical ID.
func (t *Template) Tables() ([]Table, error) {
	var out []Table
	for _, r := range t.ResourcesOfType(TypeTable) {
		tb, err := tableView(r)
		if err != nil {
			return nil, err
		}
		out = append(out, tb)
	}
	return out, nil
}

// Table returns the table with the given logical ID.
func (t *Template) Table(id string) (Table, error) {
	r, ok := t.Resources[id]
	if !ok || r.Type != TypeTable {
		return Table{}, fmt.Errorf("no %s named %s", TypeTable, id)
	}
	return tableView(r)
}

func tableView(r Resource) (Table, error) {
	p := props{where: "table " + r.LogicalID, m: r.Properties}
	tb := Table{
		LogicalID:                 r.LogicalID,
		Properties:                r.Properties,
		TableName:                 r.Properties["TableName"],
		DeletionProtectionEnabled: r.Properties["DeletionProtectionEnabled"],
	}
	var err error
	if tb.BillingMode, err = p.str("BillingMode"); err != nil {
		return tb, err
	}
	if tb.TableClass, err = p.str("TableClass"); err != nil {
		return tb, err
	}
	defs, err := p.list("AttributeDefinitions")
	if err != nil {
		return tb, err
	}
	for _, d := range defs {
		var a AttributeDefinition
		if a.Name, err = d.str("AttributeName"); err != nil {
			return tb, err
		}
		if a.Type, err = d.str("AttributeType"); err != nil {
			return tb, err
		}
		tb.AttributeDefinitions = append(tb.AttributeDefinitions, a)
	}
	if tb.KeySchema, err = keySchema(p, "KeySchema"); err != nil {
		return tb, err
	}
	if tb.ProvisionedThroughput, err = throughput(p); err != nil {
		return tb, err
	}
	for _, kind := range []string{"GlobalSecondaryIndexes", "LocalSecondaryIndexes"} {
		idxs, err := p.list(kind)
		if err != nil {
			return tb, err
		}
		for _, ip := range idxs {
			var ix SecondaryIndex
			if ix.Name, err = ip.str("IndexName"); err != nil {
				return tb, err
			}
			ip.where = fmt.Sprintf("table %s: %s %s", r.LogicalID, kind, ix.Name)
			if ix.KeySchema, err = keySchema(ip, "KeySchema"); err != nil {
				return tb, err
			}
			proj, err := ip.sub("Projection")
			if err != nil {
				return tb, err
			}
			if ix.ProjectionType, err = proj.str("ProjectionType"); err != nil {
				return tb, err
			}
			if ix.NonKeyAttributes, err = proj.strList("NonKeyAttributes"); err != nil {
				return tb, err
			}
			if ix.ProvisionedThroughput, err = throughput(ip); err != nil {
				return tb, err
			}
			if kind == "GlobalSecondaryIndexes" {
				tb.GlobalSecondaryIndexes = append(tb.GlobalSecondaryIndexes, ix)
			} else {
				tb.LocalSecondaryIndexes = append(tb.LocalSecondaryIndexes, ix)
			}
		}
	}
	ttl, err := p.sub("TimeToLiveSpecification")
	if err != nil {
		return tb, err
	}
	if ttl.m != nil {
		tb.TimeToLive = &TimeToLive{}
		if tb.TimeToLive.AttributeName, err = ttl.str("AttributeName"); err != nil {
			return tb, err
		}
		if tb.TimeToLive.Enabled, err = ttl.boolean("Enabled"); err != nil {
			return tb, err
		}
	}
	stream, err := p.sub("StreamSpecification")
	if err != nil {
		return tb, err
	}
	if tb.StreamViewType, err = stream.str("StreamViewType"); err != nil {
		return tb, err
	}
	pitr, err := p.sub("PointInTimeRecoverySpecification")
	if err != nil {
		return tb, err
	}
	tb.PointInTimeRecovery = pitr.m["PointInTimeRecoveryEnabled"]
	return tb, nil
}

// list reads a list of mappings.
func (p props) list(field string) ([]props, error) {
	v, ok := p.m[field]
	if !ok || v == nil {
		return nil, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, p.errorf(field, "want a list, got %s", describe(v))
	}
	out := make([]props, 0, len(l))
	for i, x := range l {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, p.errorf(fmt.Sprintf("%s[%d]", field, i), "want a mapping, got %s", describe(x))
		}
		out = append(out, props{where: fmt.Sprintf("%s: %s[%d]", p.where, field, i), m: m})
	}
	return out, nil
}

func keySchema(p props, field string) ([]KeyElement, error) {
	l, err := p.list(field)
	if err != nil {
		return nil, err
	}
	var out []KeyElement
	for _, kp := range l {
		var k KeyElement
		if k.Name, err = kp.str("AttributeName"); err != nil {
			return nil, err
		}
		if k.KeyType, err = kp.str("KeyType"); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

func throughput(p props) (*Throughput, error) {
	tp, err := p.sub("ProvisionedThroughput")
	if err != nil || tp.m == nil {
		return nil, err
	}
	r, err := tp.integer("ReadCapacityUnits")
	if err != nil {
		return nil, err
	}
	w, err := tp.integer("WriteCapacityUnits")
	if err != nil {
		return nil, err
	}
	return &Throughput{Read: int64(r), Write: int64(w)}, nil
}

// Name resolves the table's name. Without a TableName, CloudFormation
// generates "<stack>-<LogicalID>-<random suffix>"; locally the name is
// "<stack>-<LogicalID>", stable across restarts.
func (tb Table) Name(env Resolver) (string, error) {
	if tb.TableName == nil {
		stack, _ := env.pseudo("AWS::StackName")
		return stack.(string) + "-" + tb.LogicalID, nil
	}
	name, err := Resolve(tb.TableName, env)
	if err != nil {
		return "", fmt.Errorf("table %s: TableName: %w", tb.LogicalID, err)
	}
	return name, nil
}

// CreateTableInput converts the table to the DynamoDB CreateTable request
// that creates exactly this table. It checks what DynamoDB would reject
// (key attributes without a definition, definitions no key uses, a HASH key
// missing, capacity given or missing for the billing mode) so a template
// mistake shows up locally with the table and field named.
func (tb Table) CreateTableInput(env Resolver) (*dynamodb.CreateTableInput, error) {
	name, err := tb.Name(env)
	if err != nil {
		return nil, err
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("table %s: %s", tb.LogicalID, fmt.Sprintf(format, args...))
	}
	in := &dynamodb.CreateTableInput{TableName: aws.String(name)}
	defined := map[string]bool{}
	for _, a := range tb.AttributeDefinitions {
		switch a.Type {
		case "S", "N", "B":
		default:
			return nil, fail("AttributeDefinitions: %s: AttributeType %q is not S, N or B", a.Name, a.Type)
		}
		if defined[a.Name] {
			return nil, fail("AttributeDefinitions: %s is defined twice", a.Name)
		}
		defined[a.Name] = true
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a.Name), AttributeType: types.ScalarAttributeType(a.Type),
		})
	}
	used := map[string]bool{}
	convKeys := func(where string, ks []KeyElement) ([]types.KeySchemaElement, error) {
		if len(ks) == 0 || len(ks) > 2 || ks[0].KeyType != "HASH" || (len(ks) == 2 && ks[1].KeyType != "RANGE") {
			return nil, fail("%s: want a HASH key, optionally followed by a RANGE key", where)
		}
		var out []types.KeySchemaElement
		for _, k := range ks {
			if !defined[k.Name] {
				return nil, fail("%s: key attribute %s has no AttributeDefinition", where, k.Name)
			}
			used[k.Name] = true
			out = append(out, types.KeySchemaElement{AttributeName: aws.String(k.Name), KeyType: types.KeyType(k.KeyType)})
		}
		return out, nil
	}
	if in.KeySchema, err = convKeys("KeySchema", tb.KeySchema); err != nil {
		return nil, err
	}
	mode := tb.BillingMode
	if mode == "" {
		mode = "PROVISIONED"
	}
	convThroughput := func(where string, tp *Throughput) (*types.ProvisionedThroughput, error) {
		switch {
		case mode == "PAY_PER_REQUEST" && tp != nil:
			return nil, fail("%s: ProvisionedThroughput is not allowed with BillingMode PAY_PER_REQUEST", where)
		case mode == "PROVISIONED" && tp == nil:
			return nil, fail("%s: ProvisionedThroughput is required with BillingMode PROVISIONED", where)
		case tp == nil:
			return nil, nil
		}
		return &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(tp.Read), WriteCapacityUnits: aws.Int64(tp.Write)}, nil
	}
	switch mode {
	case "PAY_PER_REQUEST", "PROVISIONED":
		in.BillingMode = types.BillingMode(mode)
	default:
		return nil, fail("BillingMode %q is not PAY_PER_REQUEST or PROVISIONED", tb.BillingMode)
	}
	if in.ProvisionedThroughput, err = convThroughput("table", tb.ProvisionedThroughput); err != nil {
		return nil, err
	}
	projection := func(ix SecondaryIndex) (*types.Projection, error) {
		switch ix.ProjectionType {
		case "ALL", "KEYS_ONLY":
			if len(ix.NonKeyAttributes) > 0 {
				return nil, fail("index %s: NonKeyAttributes need ProjectionType INCLUDE", ix.Name)
			}
		case "INCLUDE":
			if len(ix.NonKeyAttributes) == 0 {
				return nil, fail("index %s: ProjectionType INCLUDE needs NonKeyAttributes", ix.Name)
			}
		default:
			return nil, fail("index %s: ProjectionType %q is not ALL, KEYS_ONLY or INCLUDE", ix.Name, ix.ProjectionType)
		}
		return &types.Projection{ProjectionType: types.ProjectionType(ix.ProjectionType), NonKeyAttributes: ix.NonKeyAttributes}, nil
	}
	seen := map[string]bool{}
	for _, ix := range tb.GlobalSecondaryIndexes {
		if ix.Name == "" || seen[ix.Name] {
			return nil, fail("GlobalSecondaryIndexes: index names must be non-empty and unique (%q)", ix.Name)
		}
		seen[ix.Name] = true
		g := types.GlobalSecondaryIndex{IndexName: aws.String(ix.Name)}
		if g.KeySchema, err = convKeys("index "+ix.Name, ix.KeySchema); err != nil {
			return nil, err
		}
		if g.Projection, err = projection(ix); err != nil {
			return nil, err
		}
		if g.ProvisionedThroughput, err = convThroughput("index "+ix.Name, ix.ProvisionedThroughput); err != nil {
			return nil, err
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, g)
	}
	for _, ix := range tb.LocalSecondaryIndexes {
		if ix.Name == "" || seen[ix.Name] {
			return nil, fail("LocalSecondaryIndexes: index names must be non-empty and unique (%q)", ix.Name)
		}
		seen[ix.Name] = true
		l := types.LocalSecondaryIndex{IndexName: aws.String(ix.Name)}
		if l.KeySchema, err = convKeys("index "+ix.Name, ix.KeySchema); err != nil {
			return nil, err
		}
		if *l.KeySchema[0].AttributeName != *in.KeySchema[0].AttributeName || len(l.KeySchema) != 2 {
			return nil, fail("index %s: a local index needs the table's HASH key and a RANGE key", ix.Name)
		}
		if l.Projection, err = projection(ix); err != nil {
			return nil, err
		}
		in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, l)
	}
	for _, a := range tb.AttributeDefinitions {
		if !used[a.Name] {
			return nil, fail("AttributeDefinitions: %s is not used by any key (DynamoDB rejects it)", a.Name)
		}
	}
	if tb.StreamViewType != "" {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewType(tb.StreamViewType)}
	}
	if tb.TableClass != "" {
		in.TableClass = types.TableClass(tb.TableClass)
	}
	if tb.DeletionProtectionEnabled != nil {
		s, err := Resolve(tb.DeletionProtectionEnabled, env)
		if err != nil && !errors.Is(err, ErrNoValue) {
			return nil, fail("DeletionProtectionEnabled: %v", err)
		}
		if err == nil {
			b, err := strconv.ParseBool(s)
			if err != nil {
				return nil, fail("DeletionProtectionEnabled: want true or false, got %q", s)
			}
			in.DeletionProtectionEnabled = aws.Bool(b)
		}
	}
	return in, nil
}

// UpdateTimeToLiveInput returns the request that turns on the table's TTL,
// or nil when the template enables none. CreateTable cannot set TTL, so the
// local stack sends this right after creating the table.
func (tb Table) UpdateTimeToLiveInput(env Resolver) (*dynamodb.UpdateTimeToLiveInput, error) {
	if tb.TimeToLive == nil || !tb.TimeToLive.Enabled {
		return nil, nil
	}
	if tb.TimeToLive.AttributeName == "" {
		return nil, fmt.Errorf("table %s: TimeToLiveSpecification: AttributeName is required", tb.LogicalID)
	}
	name, err := tb.Name(env)
	if err != nil {
		return nil, err
	}
	return &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(tb.TimeToLive.AttributeName),
			Enabled:       aws.Bool(true),
		},
	}, nil
}
