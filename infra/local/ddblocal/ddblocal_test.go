package ddblocal_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"refundflow/dynamo"
	"refundflow/dynamo/dynamotest"
)

// These tests pin down DynamoDB's documented behaviour through the real SDK. Each runs on ddblocal
// and, when DYNAMODB_ENDPOINT is set (dynalite in CI), on that endpoint too, so that they check
// DynamoDB's behaviour rather than whatever ddblocal happens to do. Tests that need transactions or
// the TTL API skip on a backend without them.

// run runs f on ddblocal and on the DYNAMODB_ENDPOINT backend.
func run(t *testing.T, f func(t *testing.T, b *dynamotest.Backend)) {
	t.Helper()
	t.Run("local", func(t *testing.T) { f(t, dynamotest.Local(t)) })
	t.Run("endpoint", func(t *testing.T) {
		b, ok := dynamotest.Endpoint(t)
		if !ok {
			dynamotest.Missing(t, dynamotest.EndpointEnv+" is not set; start dynalite with scripts/dynalite.sh")
			return
		}
		f(t, b)
	})
}

var ctx = context.Background()

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"PK": s(pk), "SK": s(sk)}
}

func item(pk, sk string, attrs ...any) map[string]types.AttributeValue {
	it := key(pk, sk)
	for i := 0; i+1 < len(attrs); i += 2 {
		it[attrs[i].(string)] = attrs[i+1].(types.AttributeValue)
	}
	return it
}

func put(t *testing.T, b *dynamotest.Backend, table string, it map[string]types.AttributeValue) {
	t.Helper()
	if _, err := b.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
		t.Fatalf("put %v: %v", it, err)
	}
}

func get(t *testing.T, b *dynamotest.Backend, table, pk, sk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := b.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("get %s/%s: %v", pk, sk, err)
	}
	return out.Item
}

func str(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	case nil:
		return "<none>"
	}
	return fmt.Sprintf("%T", v)
}

// errCode is the DynamoDB error code of err, or "" for none.
func errCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestConditionalWrites(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, b *dynamotest.Backend) {
		table := b.Table(t)
		cond := func(in *dynamodb.PutItemInput) error {
			in.TableName = aws.String(table)
			_, err := b.Client.PutItem(ctx, in)
			return err
		}
		first := item("A", "1", "version", n("1"), "name", s("first"))
		if err := cond(&dynamodb.PutItemInput{Item: first, ConditionExpression: aws.String("attribute_not_exists(PK)")}); err != nil {
			t.Fatalf("first conditional put: %v", err)
		}
		err := cond(&dynamodb.PutItemInput{Item: item("A", "1", "version", n("2")), ConditionExpression: aws.String("attribute_not_exists(PK)"),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			t.Fatalf("second put: err = %v, want ConditionalCheckFailedException", err)
		}
		if b.Name == "local" { // dynalite does not return the item
			if got, want := str(ccf.Item["name"]), "first"; got != want {
				t.Errorf("ReturnValuesOnConditionCheckFailure ALL_OLD: name = %q, want %q", got, want)
			}
		}
		if got, want := str(get(t, b, table, "A", "1")["version"]), "1"; got != want {
			t.Errorf("after the failed put version = %s, want %s", got, want)
		}
		// A version check, as every state-changing write of Refundflow makes.
		up := func(expect string) error {
			_, err := b.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: aws.String(table), Key: key("A", "1"),
				UpdateExpression:          aws.String("SET version = version + :one"),
				ConditionExpression:       aws.String("version = :v"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":one": n("1"), ":v": n(expect)},
			})
			return err
		}
		if err := up("1"); err != nil {
			t.Fatalf("update at version 1: %v", err)
		}
		if err := up("1"); !errors.As(err, &ccf) {
			t.Errorf("stale update: err = %v, want ConditionalCheckFailedException", err)
		}
		// Comparisons with a missing attribute: = and < are false, <> is true.
		for _, c := range []struct {
			expr string
			ok   bool
		}{{"nothere = :v", false}, {"nothere < :v", false}, {"nothere <> :v", true}, {"version <> :v", true}, {"version > :v", true}, {"NOT (version = :v)", true}} {
			_, err := b.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key("none", "x"),
				ConditionExpression: aws.String(c.expr), ExpressionAttributeValues: map[string]types.AttributeValue{":v": n("1")}})
			_ = err
			_, err = b.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("A", "1"),
				UpdateExpression: aws.String("SET touched = :v"), ConditionExpression: aws.String(c.expr),
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": n("1")}})
			if got := err == nil; got != c.ok {
				t.Errorf("condition %q on version 2: passed = %v, want %v (%v)", c.expr, got, c.ok, err)
			}
		}
	})
}

func TestNumbersAreExactDecimals(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, b *dynamotest.Backend) {
		table := b.Table(t)
		put(t, b, table, item("N", "1", "x", n("0.1"), "big", n("12345678901234567890123456789012345678"), "pretty", n("1.50")))
		_, err := b.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("N", "1"),
			UpdateExpression:          aws.String("SET x = x + :y, big = big - :one"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":y": n("0.2"), ":one": n("1")}})
		if err != nil {
			t.Fatal(err)
		}
		got := get(t, b, table, "N", "1")
		for name, want := range map[string]string{"x": "0.3", "big": "12345678901234567890123456789012345677", "pretty": "1.5"} {
			if str(got[name]) != want {
				t.Errorf("%s = %s, want %s", name, str(got[name]), want)
			}
		}
		// 39 significant digits do not fit a Number.
		_, err = b.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("N", "2", "x", n("123456789012345678901234567890123456789"))})
		if errCode(err) != "ValidationException" {
			t.Errorf("39 digits: err = %v, want ValidationException", err)
		}
	})
}

func TestUpdateExpressions(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, b *dynamotest.Backend) {
		table := b.Table(t)
		put(t, b, table, item("U", "1", "a", s("A"), "b", s("B"), "n", n("5"),
			"tags", &types.AttributeValueMemberSS{Value: []string{"x", "y"}},
			"labels", &types.AttributeValueMemberSS{Value: []string{"p", "q"}},
			"entries", &types.AttributeValueMemberL{Value: []types.AttributeValue{s("one")}},
			"m", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"deep": n("1")}}))
		out, err := b.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("U", "1"),
			// Every value is computed from the item before the update: a and b swap.
			UpdateExpression: aws.String("SET a = b, b = a, entries = list_append(entries, :more), m.deep = m.deep + :one, " +
				"fresh = if_not_exists(fresh, :zero) REMOVE gone ADD n :one, tags :z DELETE labels :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":more": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("two")}},
				":one":  n("1"), ":zero": n("0"),
				":z": &types.AttributeValueMemberSS{Value: []string{"z"}},
				":p": &types.AttributeValueMemberSS{Value: []string{"p"}},
			},
			ReturnValues: types.ReturnValueAllNew,
		})
		if err != nil {
			t.Fatal(err)
		}
		it := out.Attributes
		if got := str(it["a"]) + str(it["b"]) + str(it["n"]) + str(it["fresh"]); got != "BA60" {
			t.Errorf("a, b, n, fresh = %q, want BA60", got)
		}
		if l := it["entries"].(*types.AttributeValueMemberL).Value; len(l) != 2 || str(l[1]) != "two" {
			t.Errorf("entries = %v, want [one two]", l)
		}
		if got := str(it["m"].(*types.AttributeValueMemberM).Value["deep"]); got != "2" {
			t.Errorf("m.deep = %s, want 2", got)
		}
		tags := slices.Sorted(slices.Values(it["tags"].(*types.AttributeValueMemberSS).Value))
		if !slices.Equal(tags, []string{"x", "y", "z"}) {
			t.Errorf("tags = %v, want [x y z]", tags)
		}
		if labels := it["labels"].(*types.AttributeValueMemberSS).Value; !slices.Equal(labels, []string{"q"}) {
			t.Errorf("labels = %v, want [q]", labels)
		}
		// UPDATED_NEW returns only what the update touched.
		out, err = b.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("U", "1"),
			UpdateExpression: aws.String("SET n = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": n("9")},
			ReturnValues: types.ReturnValueUpdatedNew})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(out.Attributes); got != 1 || str(out.Attributes["n"]) != "9" {
			t.Errorf("UPDATED_NEW = %v, want only n = 9", out.Attributes)
		}
		// Errors DynamoDB reports for an update.
		for _, c := range []struct{ expr, why string }{
			{"SET a = :v, a = :v", "two actions on one path"},
			{"SET PK = :v", "a key attribute"},
			{"SET status = :v", "a reserved word"},
			{"SET a = nothere", "an attribute that does not exist"},
			{"SET a = a + :v", "arithmetic on a string"},
			{"SET nope.deeper = :v", "a path into a missing map"},
		} {
			_, err := b.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("U", "1"),
				UpdateExpression: aws.String(c.expr), ExpressionAttributeValues: map[string]types.AttributeValue{":v": n("1")}})
			if errCode(err) != "ValidationException" {
				t.Errorf("%s (%q): err = %v, want ValidationException", c.why, c.expr, err)
			}
		}
		// Placeholders given and not used are refused.
		_, err = b.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("U", "1"),
			UpdateExpression: aws.String("SET a = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": n("1"), ":unused": n("2")}})
		if errCode(err) != "ValidationException" {
			t.Errorf("unused value: err = %v, want ValidationException", err)
		}
	})
}

// seedPartition writes count items in partition pk with SK "item#000", "item#001", ... and a
// payload of size bytes each.
func seedPartition(t *testing.T, b *dynamotest.Backend, table, pk string, count, size int) {
	t.Helper()
	payload := strings.Repeat("x", size)
	for start := 0; start < count; start += 25 {
		var reqs []types.WriteRequest
		for i := start; i < min(start+25, count); i++ {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item(pk, fmt.Sprintf("item#%03d", i),
				"i", n(fmt.Sprint(i)), "odd", &types.AttributeValueMemberBOOL{Value: i%2 == 1}, "payload", s(payload))}})
		}
		if _, err := b.Client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}}); err != nil {
			t.Fatal(err)
		}
	}
}

// queryAll pages through a query and returns the SKs in order and the number of pages.
func queryAll(t *testing.T, b *dynamotest.Backend, in *dynamodb.QueryInput) (sks []string, pages int) {
	t.Helper()
	for {
		out, err := b.Client.Query(ctx, in)
		if err != nil {
			t.Fatalf("query: %v", err)
		}
		pages++
		for _, it := range out.Items {
			sks = append(sks, str(it["SK"]))
		}
		if out.LastEvaluatedKey == nil || pages > 1000 {
			return sks, pages
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

func TestQueryPagination(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, b *dynamotest.Backend) {
		table := b.Table(t)
		seedPartition(t, b, table, "Q", 30, 10)
		seedPartition(t, b, table, "other", 5, 10)
		want := func(from, to int, forward bool) []string {
			var out []string
			for i := from; i <= to; i++ {
				out = append(out, fmt.Sprintf("item#%03d", i))
			}
			if !forward {
				slices.Reverse(out)
			}
			return out
		}
		for _, c := range []struct {
			name     string
			cond     string
			vals     map[string]types.AttributeValue
			from, to int
		}{
			{"whole partition", "PK = :pk", nil, 0, 29},
			{"between", "PK = :pk AND SK BETWEEN :a AND :b", map[string]types.AttributeValue{":a": s("item#005"), ":b": s("item#012")}, 5, 12},
			{"begins_with", "PK = :pk AND begins_with(SK, :p)", map[string]types.AttributeValue{":p": s("item#01")}, 10, 19},
			{"less than", "PK = :pk AND SK < :a", map[string]types.AttributeValue{":a": s("item#004")}, 0, 3},
			{"greater or equal", "PK = :pk AND SK >= :a", map[string]types.AttributeValue{":a": s("item#027")}, 27, 29},
		} {
			for _, forward := range []bool{true, false} {
				vals := map[string]types.AttributeValue{":pk": s("Q")}
				for k, v := range c.vals {
					vals[k] = v
				}
				got, pages := queryAll(t, b, &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String(c.cond),
					ExpressionAttributeValues: vals, Limit: aws.Int32(4), ScanIndexForward: aws.Bool(forward)})
				if w := want(c.from, c.to, forward); !slices.Equal(got, w) {
					t.Errorf("%s, forward %v, pages of 4: %v, want %v", c.name, forward, got, w)
				}
				if min := (c.to - c.from + 1 + 3) / 4; pages < min {
					t.Errorf("%s: %d pages, want at least %d", c.name, pages, min)
				}
			}
		}
		// Limit counts the items read, before the filter; Count and ScannedCount say so.
		out, err := b.Client.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("PK = :pk"),
			FilterExpression: aws.String("odd = :t"), Limit: aws.Int32(10),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("Q"), ":t": &types.AttributeValueMemberBOOL{Value: true}}})
		if err != nil {
			t.Fatal(err)
		}
		if out.Count != 5 || out.ScannedCount != 10 || out.LastEvaluatedKey == nil {
			t.Errorf("filtered page: Count %d, ScannedCount %d, LastEvaluatedKey %v; want 5, 10 and a key", out.Count, out.ScannedCount, out.LastEvaluatedKey)
		}
		// A filter on a key attribute is refused: it belongs in the key condition.
		_, err = b.Client.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("PK = :pk"),
			FilterExpression: aws.String("SK = :pk"), ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("Q")}})
		if errCode(err) != "ValidationException" {
			t.Errorf("filter on the sort key: err = %v, want ValidationException", err)
		}
	})
}

func TestPagesStopAtOneMegabyte(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, b *dynamotest.Backend) {
		table := b.Table(t)
		seedPartition(t, b, table, "BIG", 25, 100*1024) // 2.5 MB in all
		got, pages := queryAll(t, b, &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("BIG")}, ProjectionExpression: aws.String("SK")})
		if len(got) != 25 {
			t.Errorf("%d items over all pages, want 25", len(got))
		}
		if pages < 3 {
			t.Errorf("2.5 MB came in %d pages, want at least 3 (1 MB each)", pages)
		}
		// Scan pages the same way.
		var scanned int
		var start map[string]types.AttributeValue
		for scans := 0; ; scans++ {
			out, err := b.Client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), ExclusiveStartKey: start, ProjectionExpression: aws.String("PK")})
			if err != nil {
				t.Fatal(err)
			}
			scanned += len(out.Items)
			if start = out.LastEvaluatedKey; start == nil {
				if scans < 2 {
					t.Errorf("the scan took %d pages, want at least 3", scans+1)
				}
				break
			}
		}
		if scanned != 25 {
			t.Errorf("scan returned %d items, want 25", scanned)
		}
	})
}

func TestGlobalSecondaryIndex(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, b *dynamotest.Backend) {
		table := b.Table(t)
		gsi := func(pk, sk string) []any {
			return []any{dynamo.AttrGSI1PK, s(pk), dynamo.AttrGSI1SK, s(sk)}
		}
		put(t, b, table, item("R#1", "REQ", gsi("STATUS#open", "2026-01-01#1")...))
		put(t, b, table, item("R#2", "REQ", gsi("STATUS#open", "2026-01-02#2")...))
		put(t, b, table, item("R#3", "REQ", gsi("STATUS#done", "2026-01-03#3")...))
		put(t, b, table, item("R#4", "REQ")) // not in the index (sparse)
		byStatus := func(status string) []string {
			out, err := b.Client.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String(dynamo.IndexGSI1),
				KeyConditionExpression: aws.String("GSI1PK = :s"), ExpressionAttributeValues: map[string]types.AttributeValue{":s": s("STATUS#" + status)},
				ScanIndexForward: aws.Bool(false)})
			if err != nil {
				t.Fatal(err)
			}
			var pks []string
			for _, it := range out.Items {
				pks = append(pks, str(it["PK"]))
			}
			return pks
		}
		if got := byStatus("open"); !slices.Equal(got, []string{"R#2", "R#1"}) {
			t.Errorf("open, newest first = %v, want [R#2 R#1]", got)
		}
		// Moving an item's index key moves it in the index.
		_, err := b.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("R#1", "REQ"),
			UpdateExpression: aws.String("SET GSI1PK = :s"), ExpressionAttributeValues: map[string]types.AttributeValue{":s": s("STATUS#done")}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key("R#3", "REQ")}); err != nil {
			t.Fatal(err)
		}
		if got := byStatus("open"); !slices.Equal(got, []string{"R#2"}) {
			t.Errorf("open after the move = %v, want [R#2]", got)
		}
		if got := byStatus("done"); !slices.Equal(got, []string{"R#1"}) {
			t.Errorf("done after the move and the delete = %v, want [R#1]", got)
		}
		// An index key of the wrong type is refused; strongly consistent reads of a GSI are refused.
		_, err = b.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("R#5", "REQ", dynamo.AttrGSI1PK, n("5"))})
		if errCode(err) != "ValidationException" {
			t.Errorf("numeric GSI1PK: err = %v, want ValidationException", err)
		}
		_, err = b.Client.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String(dynamo.IndexGSI1), ConsistentRead: aws.Bool(true),
			KeyConditionExpression: aws.String("GSI1PK = :s"), ExpressionAttributeValues: map[string]types.AttributeValue{":s": s("STATUS#open")}})
		if errCode(err) != "ValidationException" {
			t.Errorf("consistent read of a GSI: err = %v, want ValidationException", err)
		}
	})
}

func TestTransactionsAreAllOrNothing(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		table := b.Table(t)
		put(t, b, table, item("T", "order", "refunded", n("0"), "paid", n("100")))
		tx := func(token string, items ...types.TransactWriteItem) error {
			in := &dynamodb.TransactWriteItemsInput{TransactItems: items}
			if token != "" {
				in.ClientRequestToken = aws.String(token)
			}
			_, err := b.Client.TransactWriteItems(ctx, in)
			return err
		}
		reserve := func(amount, max string) []types.TransactWriteItem {
			return []types.TransactWriteItem{
				{Put: &types.Put{TableName: aws.String(table), Item: item("T", "refund#"+amount), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
				{Update: &types.Update{TableName: aws.String(table), Key: key("T", "order"),
					UpdateExpression:                    aws.String("SET refunded = refunded + :a"),
					ConditionExpression:                 aws.String("refunded <= :max"),
					ExpressionAttributeValues:           map[string]types.AttributeValue{":a": n(amount), ":max": n(max)},
					ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
			}
		}
		if err := tx("", reserve("60", "40")...); err != nil {
			t.Fatalf("first refund: %v", err)
		}
		// 60 more would exceed what was paid: the order's condition fails, and the refund item of the
		// same transaction is not written either.
		err := tx("", reserve("61", "39")...)
		var canceled *types.TransactionCanceledException
		if !errors.As(err, &canceled) {
			t.Fatalf("second refund: err = %v, want TransactionCanceledException", err)
		}
		var codes []string
		for _, r := range canceled.CancellationReasons {
			codes = append(codes, aws.ToString(r.Code))
		}
		if !slices.Equal(codes, []string{"None", "ConditionalCheckFailed"}) {
			t.Errorf("cancellation reasons = %v, want [None ConditionalCheckFailed]", codes)
		}
		if len(canceled.CancellationReasons) == 2 && str(canceled.CancellationReasons[1].Item["refunded"]) != "60" {
			t.Errorf("reason's item (ALL_OLD) = %v, want the order with refunded 60", canceled.CancellationReasons[1].Item)
		}
		if it := get(t, b, table, "T", "refund#61"); it != nil {
			t.Errorf("the cancelled transaction's put was written: %v", it)
		}
		if got := str(get(t, b, table, "T", "order")["refunded"]); got != "60" {
			t.Errorf("refunded = %s, want 60", got)
		}
		// Two actions on one item are refused.
		err = tx("", types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(table), Key: key("T", "order"), ConditionExpression: aws.String("attribute_exists(PK)")}},
			types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(table), Key: key("T", "order")}})
		if errCode(err) != "ValidationException" {
			t.Errorf("two actions on one item: err = %v, want ValidationException", err)
		}
		// A repeated ClientRequestToken (an SDK retry after a lost answer) succeeds without writing
		// again; the same token with other parameters is refused.
		add := func(token, amount string) error {
			return tx(token, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(table), Key: key("T", "counter"),
				UpdateExpression: aws.String("ADD hits :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":a": n(amount)}}})
		}
		for range 2 {
			if err := add("token-1", "1"); err != nil {
				t.Fatalf("transaction with a token: %v", err)
			}
		}
		if got := str(get(t, b, table, "T", "counter")["hits"]); got != "1" {
			t.Errorf("after a repeated token hits = %s, want 1", got)
		}
		if err := add("token-1", "2"); errCode(err) != "IdempotentParameterMismatchException" {
			t.Errorf("same token, other parameters: err = %v, want IdempotentParameterMismatchException", err)
		}
	})
}

func TestConcurrentTransactionsSerialise(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, b *dynamotest.Backend) {
		b.RequireTransactions(t)
		table := b.Table(t)
		put(t, b, table, item("C", "order", "refunded", n("0")))
		// 20 clients each try to reserve 10 of 100 with a condition: exactly 10 succeed.
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for i := range 20 {
			wg.Go(func() {
				_, err := b.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
					{Put: &types.Put{TableName: aws.String(table), Item: item("C", fmt.Sprintf("refund#%02d", i))}},
					{Update: &types.Update{TableName: aws.String(table), Key: key("C", "order"), UpdateExpression: aws.String("SET refunded = refunded + :a"),
						ConditionExpression: aws.String("refunded <= :max"), ExpressionAttributeValues: map[string]types.AttributeValue{":a": n("10"), ":max": n("90")}}},
				}})
				if err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if got := str(get(t, b, table, "C", "order")["refunded"]); ok != 10 || got != "100" {
			t.Errorf("%d transactions succeeded and refunded = %s; want 10 and 100", ok, got)
		}
	})
}

func TestLimits(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, b *dynamotest.Backend) {
		table := b.Table(t)
		_, err := b.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("L", "1", "big", s(strings.Repeat("x", 400*1024)))})
		if errCode(err) != "ValidationException" {
			t.Errorf("item over 400 KB: err = %v, want ValidationException", err)
		}
		_, err = b.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("L", "")})
		if errCode(err) != "ValidationException" {
			t.Errorf("empty sort key: err = %v, want ValidationException", err)
		}
		_, err = b.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item(strings.Repeat("k", 2049), "1")})
		if errCode(err) != "ValidationException" {
			t.Errorf("partition key over 2048 bytes: err = %v, want ValidationException", err)
		}
		_, err = b.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("L", strings.Repeat("k", 1025))})
		if errCode(err) != "ValidationException" {
			t.Errorf("sort key over 1024 bytes: err = %v, want ValidationException", err)
		}
		_, err = b.Client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: {
			{PutRequest: &types.PutRequest{Item: item("L", "1")}}, {PutRequest: &types.PutRequest{Item: item("L", "1")}}}}})
		if errCode(err) != "ValidationException" {
			t.Errorf("duplicate keys in a batch: err = %v, want ValidationException", err)
		}
		_, err = b.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{"PK": s("L")}})
		if errCode(err) != "ValidationException" {
			t.Errorf("key without its sort key: err = %v, want ValidationException", err)
		}
		_, err = b.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table + "-missing"), Key: key("L", "1")})
		if errCode(err) != "ResourceNotFoundException" {
			t.Errorf("missing table: err = %v, want ResourceNotFoundException", err)
		}
	})
}

func TestScanSegmentsCoverTheTable(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, b *dynamotest.Backend) {
		table := b.Table(t)
		for p := range 8 {
			seedPartition(t, b, table, fmt.Sprintf("P%d", p), 5, 1)
		}
		seen := map[string]int{}
		for seg := range 3 {
			var start map[string]types.AttributeValue
			for {
				out, err := b.Client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(3),
					Limit: aws.Int32(4), ExclusiveStartKey: start})
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range out.Items {
					seen[str(it["PK"])+"/"+str(it["SK"])]++
				}
				if start = out.LastEvaluatedKey; start == nil {
					break
				}
			}
		}
		if len(seen) != 40 {
			t.Errorf("segments returned %d distinct items, want 40", len(seen))
		}
		for k, c := range seen {
			if c != 1 {
				t.Errorf("%s returned %d times", k, c)
			}
		}
	})
}

func TestTimeToLive(t *testing.T) {
	t.Parallel()
	// The TTL API on the backends that have it; the deletion itself on ddblocal (ExpireItems).
	run(t, func(t *testing.T, b *dynamotest.Backend) {
		table := b.Table(t) // EnsureTable enables TTL on dynamo.AttrTTL where the API exists
		out, err := b.Client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
		if dynamo.IsUnsupportedOperation(err) {
			t.Skipf("%s has no TTL API", b.Name)
		}
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.Client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(table),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(dynamo.AttrTTL), Enabled: aws.Bool(true)}})
		if dynamo.IsUnsupportedOperation(err) {
			t.Skipf("%s describes TTL but cannot enable it", b.Name)
		}
		if errCode(err) != "ValidationException" {
			t.Errorf("enabling TTL twice: err = %v, want ValidationException (already enabled)", err)
		}
		if d := out.TimeToLiveDescription; d.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != dynamo.AttrTTL {
			t.Errorf("TTL = %s on %q, want ENABLED on %q", d.TimeToLiveStatus, aws.ToString(d.AttributeName), dynamo.AttrTTL)
		}
	})
}
