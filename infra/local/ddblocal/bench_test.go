package ddblocal_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	miniserver "github.com/truora/minidyn/server"

	"refundflow/dynamo"
	"refundflow/dynamo/dynamotest"
	"refundflow/infra/local/ddblocal"
)

// BenchmarkTableSize measures GetItem, Query (a request's partition, and the newest ten of a status
// through GSI1) and a TransactWriteItems shaped like Refundflow's (a conditional put, a versioned
// update, a condition check) on tables of 100 to 100,000 items, through the SDK over local HTTP as
// the local stack serves them: on ddblocal, and on minidyn (the local stack's DynamoDB before it)
// for comparison. The figure to read is how each operation's time changes with the table's size.
//
//	go test -run '^$' -bench BenchmarkTableSize -benchtime 2000x ./infra/local/ddblocal
//
// minidyn is measured up to 10,000 items by default: its Query and TransactWriteItems take about a
// second each at 100,000 items, too long for thousands of calls. DDBLOCAL_BENCH_MINIDYN_MAX raises
// (or lowers) that ceiling; use a small -benchtime with it.
func BenchmarkTableSize(b *testing.B) {
	minidynMax := 10000
	if v, err := strconv.Atoi(os.Getenv("DDBLOCAL_BENCH_MINIDYN_MAX")); err == nil {
		minidynMax = v
	}
	backends := []struct {
		name string
		new  func() http.Handler
		max  int
	}{
		{"ddblocal", func() http.Handler { return ddblocal.New(ddblocal.Options{}) }, 100000},
		{"minidyn", func() http.Handler { return miniserver.NewServer() }, minidynMax},
	}
	for _, be := range backends {
		for _, size := range []int{100, 1000, 10000, 100000} {
			if size > be.max {
				continue
			}
			b.Run(fmt.Sprintf("%s/items=%d", be.name, size), func(b *testing.B) {
				srv := httptest.NewServer(be.new())
				defer srv.Close()
				client := dynamotest.NewClient(srv.URL)
				table := "bench"
				if err := dynamo.EnsureTable(b.Context(), client, table); err != nil {
					b.Fatal(err)
				}
				requests := fill(b, client, table, size)
				benchOps(b, client, table, requests)
			})
		}
	}
}

// The benchmark table: per request, its request item (in GSI1 under one of four statuses), an order
// item and two audit entries, about 300 bytes each, as Refundflow's table holds.
const itemsPerRequest = 4

var statuses = []string{"submitted", "waiting_consent", "completed", "withdrawn"}

func reqPK(i int) string { return fmt.Sprintf("REQ#%08d", i) }

func fill(b *testing.B, client *dynamodb.Client, table string, size int) (requests int) {
	b.Helper()
	requests = size / itemsPerRequest
	pad := strings.Repeat("p", 200)
	var batch []types.WriteRequest
	flush := func() {
		if len(batch) == 0 {
			return
		}
		pending := map[string][]types.WriteRequest{table: batch}
		for len(pending) > 0 {
			out, err := client.BatchWriteItem(b.Context(), &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				b.Fatal(err)
			}
			pending = out.UnprocessedItems
		}
		batch = nil
	}
	add := func(it map[string]types.AttributeValue) {
		batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		if len(batch) == 25 {
			flush()
		}
	}
	for i := range requests {
		pk := reqPK(i)
		add(map[string]types.AttributeValue{"PK": s(pk), "SK": s("REQUEST"), "version": n("1"), "status": s(statuses[i%4]), "pad": s(pad),
			dynamo.AttrGSI1PK: s("STATUS#" + statuses[i%4]), dynamo.AttrGSI1SK: s(fmt.Sprintf("2026-11-%02dT00:00:00Z#%s", 1+i%28, pk))})
		add(map[string]types.AttributeValue{"PK": s(pk), "SK": s("ORDER"), "paid": n("10000"), "refunded": n("0"), "pad": s(pad)})
		for a := range 2 {
			add(map[string]types.AttributeValue{"PK": s(pk), "SK": s(fmt.Sprintf("AUDIT#%d", a)), "event": s("status"), "pad": s(pad)})
		}
	}
	flush()
	return requests
}

func benchOps(b *testing.B, client *dynamodb.Client, table string, requests int) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return reqPK(rng.IntN(requests)) }
	b.Run("GetItem", func(b *testing.B) {
		for b.Loop() {
			out, err := client.GetItem(b.Context(), &dynamodb.GetItemInput{TableName: aws.String(table),
				Key: key(pick(), "REQUEST"), ConsistentRead: aws.Bool(true)})
			if err != nil || out.Item == nil {
				b.Fatalf("GetItem: %v, item %v", err, out.Item)
			}
		}
	})
	b.Run("Query", func(b *testing.B) {
		for b.Loop() {
			out, err := client.Query(b.Context(), &dynamodb.QueryInput{TableName: aws.String(table),
				KeyConditionExpression:    aws.String("PK = :pk"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(pick())}})
			if err != nil || len(out.Items) != itemsPerRequest {
				b.Fatalf("Query: %v, %d items", err, len(out.Items))
			}
		}
	})
	b.Run("QueryGSI", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			inStatus := (requests + 3 - i%4) / 4 // requests i%4, i%4+4, ... have statuses[i%4]
			out, err := client.Query(b.Context(), &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String(dynamo.IndexGSI1),
				KeyConditionExpression:    aws.String("GSI1PK = :s"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":s": s("STATUS#" + statuses[i%4])},
				ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(10)})
			if err != nil || len(out.Items) != min(10, inStatus) {
				b.Fatalf("Query GSI1: %v, %d items", err, len(out.Items))
			}
		}
	})
	b.Run("TransactWriteItems", func(b *testing.B) {
		for b.Loop() {
			pk := pick()
			// Overwrites and updates keep the table's size as it is.
			_, err := client.TransactWriteItems(b.Context(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{ConditionCheck: &types.ConditionCheck{TableName: aws.String(table), Key: key(pk, "REQUEST"), ConditionExpression: aws.String("attribute_exists(PK)")}},
				{Update: &types.Update{TableName: aws.String(table), Key: key(pk, "ORDER"),
					UpdateExpression:          aws.String("SET refunded = refunded + :a"),
					ConditionExpression:       aws.String("refunded <= :max"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":a": n("0"), ":max": n("10000")}}},
				{Put: &types.Put{TableName: aws.String(table), Item: map[string]types.AttributeValue{"PK": s(pk), "SK": s("AUDIT#1"), "event": s("refund")},
					ConditionExpression: aws.String("attribute_exists(PK)")}},
			}})
			if err != nil {
				b.Fatalf("TransactWriteItems: %v", err)
			}
		}
	})
}
