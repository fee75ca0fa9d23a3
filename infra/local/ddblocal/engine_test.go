package ddblocal

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseNumber(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{"0", "0", ""},
		{"-0.000", "0", ""},
		{"1.50", "1.5", ""},
		{"+15E-1", "1.5", ""},
		{"007", "7", ""},
		{"-12.3400", "-12.34", ""},
		{"1e3", "1000", ""},
		{".5", "0.5", ""},
		{"5.", "5", ""},
		{"0.000123", "0.000123", ""},
		{"12345678901234567890123456789012345678", "12345678901234567890123456789012345678", ""},
		{"123456789012345678901234567890123456789", "", "38 significant digits"},
		{"1E126", "", "overflow"},
		{"1E-131", "", "underflow"},
		{"abc", "", "numeric"},
		{"1.2.3", "", "numeric"},
		{"", "", "numeric"},
		{"1e", "", "numeric"},
		{"0x10", "", "numeric"},
	} {
		got, err := parseNumber(c.in)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("parseNumber(%q) = %q, %v; want an error about %q", c.in, got, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("parseNumber(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestCompareNumbers(t *testing.T) {
	ordered := []string{"-1000", "-2.5", "-2", "-0.001", "0", "0.000001", "0.1", "0.12", "1", "1.01", "9", "10", "100.5", "1000"}
	for i, a := range ordered {
		for j, b := range ordered {
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := compareNumbers(a, b); got != want {
				t.Errorf("compareNumbers(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
	if got, err := addNumbers("0.1", "0.2", false); err != nil || got != "0.3" {
		t.Errorf("0.1 + 0.2 = %s, %v; want 0.3 exactly", got, err)
	}
	if got, err := addNumbers("5", "7.25", true); err != nil || got != "-2.25" {
		t.Errorf("5 - 7.25 = %s, %v; want -2.25", got, err)
	}
}

func TestExpressionErrors(t *testing.T) {
	vals := map[string]*Value{":v": nValue("1"), ":s": sValue("x")}
	names := map[string]string{"#n": "name"}
	for _, c := range []struct{ kind, expr, want string }{
		{"cond", "status = :v", "reserved keyword; reserved keyword: status"},
		{"cond", "#x = :v", "attribute name used in the document path is not defined; attribute name: #x"},
		{"cond", "a = :nope", "attribute value used in expression is not defined; attribute value: :nope"},
		{"cond", "a = = :v", "Syntax error"},
		{"cond", "a = :v AND", "Syntax error"},
		{"cond", "", "can not be empty"},
		{"cond", "unknown_fn(a)", "Invalid function name; function: unknown_fn"},
		{"cond", "size(a)", "not allowed to be used this way"},
		{"cond", "a = a", "first operand must be distinct"},
		{"cond", "a BETWEEN :s AND :v", "same data type"},
		{"cond", "attribute_exists(:v)", "requires a document path"},
		{"update", "SET a = :v SET b = :v", "can only be used once"},
		{"update", "SET a = :v REMOVE a", "overlap"},
		{"update", "ADD a :s", "Incorrect operand type"},
		{"update", "SET a = size(b)", "Invalid function name"},
		{"projection", "a, a.b", "overlap"},
	} {
		ctx := newExprContext(names, vals)
		var err error
		switch c.kind {
		case "cond":
			_, err = parseCondition(ctx, "ConditionExpression", c.expr)
		case "update":
			_, err = parseUpdate(ctx, c.expr)
		case "projection":
			_, err = parseProjection(ctx, c.expr)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %q: err = %v, want one containing %q", c.kind, c.expr, err, c.want)
		}
	}
}

func TestConditionSemantics(t *testing.T) {
	item := Item{
		"s":    sValue("hello"),
		"n":    nValue("10"),
		"ss":   {kind: kindSS, set: []string{"a", "b"}},
		"l":    {kind: kindL, list: []*Value{sValue("x"), nValue("2")}},
		"m":    {kind: kindM, m: map[string]*Value{"k": sValue("v")}},
		"bool": {kind: kindBOOL, boolean: true},
	}
	vals := map[string]*Value{":hel": sValue("hel"), ":ten": mustNumber(t, "10.0"), ":a": sValue("a"), ":x": sValue("x"),
		":two": nValue("2"), ":five": nValue("5"), ":S": sValue("S"), ":M": sValue("M"), ":v": sValue("v")}
	for _, c := range []struct {
		expr string
		want bool
	}{
		{"begins_with(s, :hel)", true},
		{"n = :ten", true}, // numbers compare by value
		{"n BETWEEN :five AND :ten", true},
		{"n IN (:two, :five)", false},
		{"contains(ss, :a)", true},
		{"contains(l, :x)", true},
		{"contains(l, :two)", true},
		{"contains(s, :hel)", true},
		{"size(s) = :five", true},
		{"size(l) = :two", true},
		{"size(n) = :two", false}, // a number has no size
		{"attribute_type(s, :S)", true},
		{"attribute_type(m, :M)", true},
		{"m.k = :v", true},
		{"l[0] = :x", true},
		{"l[5] = :x", false},
		{"s < :ten", false}, // different types are never ordered
		{"s <> :ten", true},
		{"attribute_not_exists(m.absent) AND attribute_exists(m.k)", true},
		{"NOT attribute_exists(s) OR n > :five", true},
	} {
		ctx := newExprContext(nil, vals)
		cnd, err := parseCondition(ctx, "ConditionExpression", c.expr)
		if err != nil {
			t.Errorf("%q: %v", c.expr, err)
			continue
		}
		if got := match(item, cnd); got != c.want {
			t.Errorf("%q = %v, want %v", c.expr, got, c.want)
		}
	}
}

func TestExpireItems(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	e := New(Options{Now: func() time.Time { return now }})
	call := func(op, body string) string {
		t.Helper()
		out, err := e.Do(op, []byte(body))
		if err != nil {
			t.Fatalf("%s %s: %v", op, body, err)
		}
		return string(out)
	}
	call("CreateTable", `{"TableName":"ttl-table","BillingMode":"PAY_PER_REQUEST",
		"AttributeDefinitions":[{"AttributeName":"PK","AttributeType":"S"},{"AttributeName":"G","AttributeType":"S"}],
		"KeySchema":[{"AttributeName":"PK","KeyType":"HASH"}],
		"GlobalSecondaryIndexes":[{"IndexName":"gsi","KeySchema":[{"AttributeName":"G","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}]}`)
	put := func(pk, ttl string) {
		item := map[string]any{"PK": map[string]string{"S": pk}, "G": map[string]string{"S": "all"}}
		if ttl != "" {
			item["ttl"] = json.RawMessage(ttl)
		}
		body, _ := json.Marshal(map[string]any{"TableName": "ttl-table", "Item": item})
		call("PutItem", string(body))
	}
	unix := func(d time.Duration) string { return `{"N":"` + json.Number(itoa(now.Add(d).Unix())).String() + `"}` }
	put("expired", unix(-time.Hour))
	put("due-now", unix(0))
	put("future", unix(time.Hour))
	put("no-ttl", "")
	put("text-ttl", `{"S":"1"}`)
	put("ancient", unix(-6*365*24*time.Hour)) // more than five years ago: DynamoDB leaves it
	if n := e.ExpireItems(now); n != 0 {
		t.Fatalf("before TTL is enabled ExpireItems deleted %d items", n)
	}
	call("UpdateTimeToLive", `{"TableName":"ttl-table","TimeToLiveSpecification":{"AttributeName":"ttl","Enabled":true}}`)
	// Expired items are still read until the background deletion runs.
	if got := call("GetItem", `{"TableName":"ttl-table","Key":{"PK":{"S":"expired"}}}`); !strings.Contains(got, "expired") {
		t.Errorf("expired item before deletion: %s", got)
	}
	if n := e.ExpireItems(now); n != 2 {
		t.Errorf("ExpireItems deleted %d items, want 2 (expired, due-now)", n)
	}
	scan := call("Scan", `{"TableName":"ttl-table"}`)
	for _, pk := range []string{"future", "no-ttl", "text-ttl", "ancient"} {
		if !strings.Contains(scan, `"`+pk+`"`) {
			t.Errorf("%s was deleted: %s", pk, scan)
		}
	}
	if strings.Contains(scan, `"expired"`) || strings.Contains(scan, `"due-now"`) {
		t.Errorf("expired items remain: %s", scan)
	}
	if idx := call("Query", `{"TableName":"ttl-table","IndexName":"gsi","KeyConditionExpression":"G = :g","ExpressionAttributeValues":{":g":{"S":"all"}},"Select":"COUNT"}`); !strings.Contains(idx, `"Count":4`) {
		t.Errorf("the index still counts deleted items: %s", idx)
	}
}

func mustNumber(t *testing.T, s string) *Value {
	t.Helper()
	c, err := parseNumber(s)
	if err != nil {
		t.Fatal(err)
	}
	return nValue(c)
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestNumberSize(t *testing.T) {
	for _, c := range []struct {
		n    string
		want int
	}{{"0", 1}, {"7", 2}, {"-7", 2}, {"12", 2}, {"123", 3}, {"1000", 2}, {"0.001", 2}, {"10.01", 3}, {"-123.45", 4}} {
		if got := numberSize(c.n); got != c.want {
			t.Errorf("numberSize(%s) = %d, want %d", c.n, got, c.want)
		}
	}
}

func TestProjection(t *testing.T) {
	item := Item{
		"a": sValue("A"),
		"m": {kind: kindM, m: map[string]*Value{"x": nValue("1"), "y": nValue("2"), "deep": {kind: kindM, m: map[string]*Value{"z": sValue("Z")}}}},
		"l": {kind: kindL, list: []*Value{sValue("l0"), sValue("l1"), sValue("l2"), sValue("l3")}},
	}
	for _, c := range []struct{ expr, want string }{
		{"a", `{"a":{"S":"A"}}`},
		{"m.y, a", `{"a":{"S":"A"},"m":{"M":{"y":{"N":"2"}}}}`},
		{"m.deep.z", `{"m":{"M":{"deep":{"M":{"z":{"S":"Z"}}}}}}`},
		{"l[3], l[1]", `{"l":{"L":[{"S":"l1"},{"S":"l3"}]}}`}, // in list order, closed up
		{"l[9], nothere, m.nothere", `{}`},
	} {
		ctx := newExprContext(nil, nil)
		paths, err := parseProjection(ctx, c.expr)
		if err != nil {
			t.Fatalf("%q: %v", c.expr, err)
		}
		got, _ := projectItem(item, paths).MarshalJSON()
		if string(got) != c.want {
			t.Errorf("project %q = %s, want %s", c.expr, got, c.want)
		}
	}
	// The stored item is untouched.
	if got, _ := item.MarshalJSON(); !strings.Contains(string(got), `"l3"`) || !strings.Contains(string(got), `"x"`) {
		t.Errorf("projection changed the item: %s", got)
	}
}
