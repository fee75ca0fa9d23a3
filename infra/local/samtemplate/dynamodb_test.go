package samtemplate

import (
	"context"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/awsenv/httpclient"
	"refundflow/infra/local/ddblocal"
)

func TestCreateTableInput(t *testing.T) {
	tpl := load(t)
	tables, err := tpl.Tables()
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 1 {
		t.Fatalf("got %d tables", len(tables))
	}
	tb := tables[0]
	env := localEnv(tpl)
	in, err := tb.CreateTableInput(env)
	if err != nil {
		t.Fatal(err)
	}
	s := aws.String
	want := &dynamodb.CreateTableInput{
		TableName:   s("refundflow-dev"),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: s("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: s("sk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: s("gsi1pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: s("gsi1sk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: s("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: s("sk"), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: s("gsi1"),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: s("gsi1pk"), KeyType: types.KeyTypeHash},
				{AttributeName: s("gsi1sk"), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{"status", "createdAt"}},
		}},
		DeletionProtectionEnabled: aws.Bool(true),
	}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("CreateTableInput:\n got %+v\nwant %+v", in, want)
	}
	if got, want := tb.PointInTimeRecovery, any(true); got != want {
		t.Errorf("PointInTimeRecovery = %v", got)
	}

	ttl, err := tb.UpdateTimeToLiveInput(env)
	if err != nil {
		t.Fatal(err)
	}
	if ttl == nil || *ttl.TableName != "refundflow-dev" || *ttl.TimeToLiveSpecification.AttributeName != "expiresAt" || !*ttl.TimeToLiveSpecification.Enabled {
		t.Errorf("UpdateTimeToLiveInput = %+v", ttl)
	}

	env.Parameters["Stage"] = "prod"
	env.Parameters["DeletionProtection"] = "false"
	in, err = tb.CreateTableInput(env)
	if err != nil {
		t.Fatal(err)
	}
	if *in.TableName != "refundflow-prod" || *in.DeletionProtectionEnabled {
		t.Errorf("prod table = %s, protection %v", *in.TableName, *in.DeletionProtectionEnabled)
	}
}

// TestCreateTableOnMinidyn sends the converted request through the real
// DynamoDB client to the in-process DynamoDB the local stack uses, and reads
// the table back.
func TestCreateTableOnMinidyn(t *testing.T) {
	srv := httptest.NewServer(ddblocal.New(ddblocal.Options{}))
	defer srv.Close()
	client := dynamodb.New(dynamodb.Options{
		Region:                          "us-east-1",
		BaseEndpoint:                    aws.String(srv.URL),
		Credentials:                     credentials.NewStaticCredentialsProvider("local", "local", ""),
		DisableValidateResponseChecksum: true,
		HTTPClient:                      httpclient.New(nil),
	})
	tpl := load(t)
	tb, err := tpl.Table("RefundTable")
	if err != nil {
		t.Fatal(err)
	}
	in, err := tb.CreateTableInput(localEnv(tpl))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := client.CreateTable(ctx, in); err != nil {
		t.Fatal(err)
	}
	out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: in.TableName})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out.Table.KeySchema, in.KeySchema; !reflect.DeepEqual(got, want) {
		t.Errorf("key schema = %+v, want %+v", got, want)
	}
	if got := len(out.Table.GlobalSecondaryIndexes); got != 1 || *out.Table.GlobalSecondaryIndexes[0].IndexName != "gsi1" {
		t.Errorf("GSIs = %+v", out.Table.GlobalSecondaryIndexes)
	}
}

func TestCreateTableInputErrors(t *testing.T) {
	base := `
Resources:
  T:
    Type: AWS::DynamoDB::Table
    Properties:
%s`
	tests := []struct{ name, props, want string }{
		{"key without definition", `
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]`, "table T: KeySchema: key attribute id has no AttributeDefinition"},
		{"unused definition", `
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}, {AttributeName: extra, AttributeType: N}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]`, "AttributeDefinitions: extra is not used by any key"},
		{"provisioned without capacity", `
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]`, "ProvisionedThroughput is required with BillingMode PROVISIONED"},
		{"on demand with capacity", `
      BillingMode: PAY_PER_REQUEST
      ProvisionedThroughput: {ReadCapacityUnits: 1, WriteCapacityUnits: 1}
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]`, "ProvisionedThroughput is not allowed with BillingMode PAY_PER_REQUEST"},
		{"range first", `
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: RANGE}]`, "KeySchema: want a HASH key"},
		{"bad type", `
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: X}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]`, `AttributeType "X" is not S, N or B`},
		{"include without attributes", `
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}, {AttributeName: g, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      GlobalSecondaryIndexes: [{IndexName: i, KeySchema: [{AttributeName: g, KeyType: HASH}], Projection: {ProjectionType: INCLUDE}}]`, "index i: ProjectionType INCLUDE needs NonKeyAttributes"},
		{"attribute name not literal", `
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: !Ref X, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]`, "table T: AttributeDefinitions[0]: AttributeName: want a literal string, got Ref"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse([]byte(strings.Replace(base, "%s", tt.props, 1)))
			if err != nil {
				t.Fatal(err)
			}
			tables, err := tpl.Tables()
			if err == nil {
				_, err = tables[0].CreateTableInput(Resolver{Template: tpl})
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// Without TableName, the local name is <stack>-<LogicalID>.
	tpl, _ := Parse([]byte(strings.Replace(base, "%s", `
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]`, 1)))
	tb, _ := tpl.Table("T")
	if name, err := tb.Name(Resolver{Template: tpl, StackName: "rf"}); err != nil || name != "rf-T" {
		t.Errorf("Name = %q, %v; want rf-T", name, err)
	}
}
