package asl

import (
	"strings"
	"testing"
)

// The input of the AWS "Paths" documentation page.
const pathsDocInput = `{"foo": 123, "bar": ["a", "b", "c"], "car": {"cdr": true},
  "jar": [{"a": 1}, {"a": 5}, {"a": 2}, {"a": 7}, {"a": 3}]}`

func TestGet(t *testing.T) {
	store := `{"store": {"book": [
	    {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
	    {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
	    {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553", "price": 8.99}],
	  "bicycle": {"color": "red", "price": 19.95}},
	  "odd key": {"a.b": 1, "it's": 2, "it\\'s": 3}, "arr": [[1, 2], [3, 4]], "n": null, "big": 12345678901234567890}`
	tests := []struct {
		name, input, path, want, err string
	}{
		// AWS documentation, "Paths": reference paths and the filter example.
		{"doc foo", pathsDocInput, "$.foo", `123`, ""},
		{"doc bar", pathsDocInput, "$.bar", `["a","b","c"]`, ""},
		{"doc car.cdr", pathsDocInput, "$.car.cdr", `true`, ""},
		{"doc filter", pathsDocInput, "$.jar[?(@.a >= 5)]", `[{"a":5},{"a":7}]`, ""},

		{"root", `{"a":1}`, "$", `{"a":1}`, ""},
		{"index", store, "$.store.book[1].author", `"Evelyn Waugh"`, ""},
		{"negative index", store, "$.store.book[-1].title", `"Moby Dick"`, ""},
		{"bracket name", store, "$['store']['bicycle']['color']", `"red"`, ""},
		{"bracket double quotes", store, `$["store"].bicycle.color`, `"red"`, ""},
		{"dot then bracket (AWS doc form)", store, "$.store.['bicycle'].color", `"red"`, ""},
		{"bracket with dot and quote", store, `$['odd key']['a.b']`, `1`, ""},
		// A backslash protects the quote from ending the name but stays
		// part of it, as on AWS: the key is it\'s, not it's.
		{"backslash before a quote stays in the name", store, `$['odd key']['it\'s']`, `3`, ""},
		{"double-quoted name with a single quote", store, `$['odd key']["it's"]`, `2`, ""},
		{"null value", store, "$.n", `null`, ""},
		{"big integer keeps precision", store, "$.big", `12345678901234567890`, ""},
		{"nested arrays", store, "$.arr[1][0]", `3`, ""},
		{"wildcard", store, "$.store.book[*].author", `["Nigel Rees","Evelyn Waugh","Herman Melville"]`, ""},
		{"dot wildcard on object (sorted keys)", store, "$.store.bicycle.*", `["red",19.95]`, ""},
		{"deep scan", store, "$..price", `[19.95,8.95,12.99,8.99]`, ""},
		{"deep scan filtered", store, "$..book[?(@.isbn)].title", `["Moby Dick"]`, ""},
		{"slice", store, "$.store.book[0:2].price", `[8.95,12.99]`, ""},
		{"slice from end", store, "$.store.book[-2:].price", `[12.99,8.99]`, ""},
		{"slice step", `{"a":[0,1,2,3,4,5]}`, "$.a[::2]", `[0,2,4]`, ""},
		{"index union", store, "$.store.book[0,2].price", `[8.95,8.99]`, ""},
		{"name union merges (Jayway)", store, "$.store.bicycle['color','price']", `{"color":"red","price":19.95}`, ""},
		{"name union skips missing", store, "$.store.bicycle['color','size']", `{"color":"red"}`, ""},
		{"name union per node", store, "$.store.book[*]['title','isbn']", `[{"title":"Sayings"},{"title":"Sword"},{"title":"Moby Dick","isbn":"0-553"}]`, ""},
		{"name union then member", `{"a":{"x":1},"b":{"x":2}}`, "$['a','b'].x", `[1,2]`, ""},
		{"filter number", store, "$.store.book[?(@.price < 10)].title", `["Sayings","Moby Dick"]`, ""},
		{"filter string", store, "$.store.book[?(@.category == 'fiction')].price", `[12.99,8.99]`, ""},
		{"filter and", store, "$.store.book[?(@.category == 'fiction' && @.price < 10)].title", `["Moby Dick"]`, ""},
		{"filter or", store, "$.store.book[?(@.price > 12 || @.price < 9)].title", `["Sayings","Sword","Moby Dick"]`, ""},
		{"filter not equal", store, "$.store.book[?(@.category != 'fiction')].title", `["Sayings"]`, ""},
		{"filter skips scalars", `{"a":[1,{"v":1},"x"]}`, "$.a[?(@.v == 1)]", `[{"v":1}]`, ""},
		{"indefinite missing gives empty", store, "$.store.book[*].isbnx", `[]`, ""},
		{"indefinite partly missing", store, "$.store.book[*].isbn", `["0-553"]`, ""},

		{"missing member", store, "$.store.car", "", ErrRuntime},
		{"index out of range", store, "$.store.book[5]", "", ErrRuntime},
		{"member of array", store, "$.store.book.author", "", ErrRuntime},
		{"index of object", store, "$.store[0]", "", ErrRuntime},
		{"no dollar", store, "store", "", ErrRuntime},
		{"function", store, "$.store.book.length()", "", ErrRuntime},
		{"regex filter", store, "$.store.book[?(@.author =~ /.*Rees/)]", "", ErrRuntime},
		{"in filter", store, "$.store.book[?(@.category in ['x'])]", "", ErrRuntime},
		{"filter referencing the root", store, "$.store.book[?(@.price < $.max)]", "", ErrRuntime},
		{"trailing dot", store, "$.store.", "", ErrRuntime},
		{"unterminated bracket", store, "$.store['a'", "", ErrRuntime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := dec(t, tt.input)
			before := enc(t, in)
			got, err := Get(in, tt.path)
			if got, want := errName(err), tt.err; got != want {
				t.Fatalf("Get(%s) error = %v, want name %q", tt.path, err, want)
			}
			if tt.err != "" {
				return
			}
			if got, want := enc(t, got), canon(t, tt.want); got != want {
				t.Errorf("Get(%s) = %s, want %s", tt.path, got, want)
			}
			if after := enc(t, in); after != before {
				t.Errorf("Get changed its input: %s", after)
			}
		})
	}
}

func TestParseReferencePath(t *testing.T) {
	for _, p := range []string{"$", "$.a", "$.a.b[0]", "$['a b'].c", "$$.Execution.Id", "$.a[-1]"} {
		if _, err := ParseReferencePath(p); err != nil {
			t.Errorf("ParseReferencePath(%q) = %v, want ok", p, err)
		}
	}
	for _, p := range []string{"$.a[*]", "$..a", "$.a[0:1]", "$.a[0,1]", "$.a[?(@.b)]", "$.a.*", "a", "", "$.a['x','y']"} {
		if _, err := ParseReferencePath(p); err == nil {
			t.Errorf("ParseReferencePath(%q) = ok, want an error", p)
		}
	}
}

func TestOptPathApply(t *testing.T) {
	// AWS documentation, "InputPath": select dataset2.
	docInput := `{"comment": "Example for InputPath.", "dataset1": {"val1": 1, "val2": 2, "val3": 3},
	  "dataset2": {"val1": "a", "val2": "b", "val3": "c"}}`
	ctx := dec(t, `{"Execution":{"Id":"arn:x"}}`)
	tests := []struct {
		name  string
		p     OptPath
		input string
		want  string
		err   string
	}{
		{"doc InputPath", PathOf("$.dataset2"), docInput, `{"val1":"a","val2":"b","val3":"c"}`, ""},
		{"absent is $", OptPath{}, `{"a":1}`, `{"a":1}`, ""},
		{"explicit $", PathOf("$"), `[1,2]`, `[1,2]`, ""},
		{"null gives empty object", NullPath(), `{"a":1}`, `{}`, ""},
		{"scalar selected", PathOf("$.a"), `{"a":"x"}`, `"x"`, ""},
		{"indefinite path gives array", PathOf("$.a[*].b"), `{"a":[{"b":1},{"b":2}]}`, `[1,2]`, ""},
		{"context path", PathOf("$$.Execution.Id"), `{}`, `"arn:x"`, ""},
		{"missing", PathOf("$.nope"), `{"a":1}`, "", ErrRuntime},
		{"path on a scalar input", PathOf("$.a"), `"text"`, "", ErrRuntime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.p.ApplyWithContext(dec(t, tt.input), ctx)
			if got, want := errName(err), tt.err; got != want {
				t.Fatalf("error = %v, want name %q", err, want)
			}
			if tt.err == "" {
				if got, want := enc(t, got), canon(t, tt.want); got != want {
					t.Errorf("got %s, want %s", got, want)
				}
			}
		})
	}
	if _, err := PathOf("$.a").Apply(dec(t, `{}`)); errName(err) != ErrRuntime {
		t.Errorf("Apply on missing path: %v", err)
	}
}

func TestApplyResultPath(t *testing.T) {
	docInput := `{"comment": "This is a test of the input and output of a Task state.",
	  "details": "Default example", "who": "AWS Step Functions"}`
	docResult := `"Hello, AWS Step Functions!"`
	tests := []struct {
		name                string
		rp                  OptPath
		input, result, want string
		err                 string
	}{
		// AWS documentation, "ResultPath" examples.
		{"doc replace (absent)", OptPath{}, docInput, docResult, docResult, ""},
		{"doc replace ($)", PathOf("$"), docInput, docResult, docResult, ""},
		{"doc include", PathOf("$.taskresult"), docInput, docResult,
			`{"comment": "This is a test of the input and output of a Task state.", "details": "Default example",
			  "who": "AWS Step Functions", "taskresult": "Hello, AWS Step Functions!"}`, ""},
		{"doc child node", PathOf("$.strings.lambdaresult"),
			`{"comment": "An input comment.", "strings": {"string1": "foo", "string2": "bar", "string3": "baz"}, "who": "AWS Step Functions"}`,
			docResult,
			`{"comment": "An input comment.", "strings": {"string1": "foo", "string2": "bar", "string3": "baz",
			  "lambdaresult": "Hello, AWS Step Functions!"}, "who": "AWS Step Functions"}`, ""},
		{"doc update node", PathOf("$.comment"), docInput, docResult,
			`{"comment": "Hello, AWS Step Functions!", "details": "Default example", "who": "AWS Step Functions"}`, ""},
		{"doc catch error", PathOf("$.error"), `{"foo": "bar"}`, `{"Error": "Error here"}`,
			`{"foo": "bar", "error": {"Error": "Error here"}}`, ""},

		{"null keeps input", NullPath(), `{"a":1}`, `{"b":2}`, `{"a":1}`, ""},
		{"creates nested objects", PathOf("$.a.b.c"), `{"x":1}`, `5`, `{"x":1,"a":{"b":{"c":5}}}`, ""},
		{"into array element", PathOf("$.a[1].r"), `{"a":[{},{"k":1}]}`, `true`, `{"a":[{},{"k":1,"r":true}]}`, ""},
		{"replace array element", PathOf("$.a[0]"), `{"a":[1,2]}`, `9`, `{"a":[9,2]}`, ""},
		{"bracket notation", PathOf("$['my key']"), `{}`, `1`, `{"my key":1}`, ""},
		{"through a string", PathOf("$.a.b"), `{"a":"text"}`, `1`, "", ErrResultPathMatchFailure},
		{"on a scalar input", PathOf("$.a"), `42`, `1`, "", ErrResultPathMatchFailure},
		{"through null", PathOf("$.a.b"), `{"a":null}`, `1`, "", ErrResultPathMatchFailure},
		{"index out of range", PathOf("$.a[3]"), `{"a":[1]}`, `1`, "", ErrResultPathMatchFailure},
		{"not a reference path", PathOf("$.a[*]"), `{"a":[1]}`, `1`, "", ErrRuntime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := dec(t, tt.input)
			before := enc(t, in)
			got, err := ApplyResultPath(tt.rp, in, dec(t, tt.result))
			if got, want := errName(err), tt.err; got != want {
				t.Fatalf("error = %v, want name %q", err, want)
			}
			if tt.err == "" {
				if got, want := enc(t, got), canon(t, tt.want); got != want {
					t.Errorf("got %s, want %s", got, want)
				}
			}
			if after := enc(t, in); after != before {
				t.Errorf("ApplyResultPath changed its input: %s", after)
			}
		})
	}
}

// TestInputResultOutputDocExample runs the AWS documentation's combined
// InputPath/ResultPath/OutputPath example through the three steps.
func TestInputResultOutputDocExample(t *testing.T) {
	sm, err := Parse([]byte(`{
	  "Comment": "A Hello World example of the Amazon States Language using an AWS Lambda function",
	  "StartAt": "HelloWorld",
	  "States": {"HelloWorld": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:HelloFunction",
	    "InputPath": "$.lambda", "ResultPath": "$.data.lambdaresult", "OutputPath": "$.data", "End": true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	st := sm.States["HelloWorld"]
	input := dec(t, `{"comment": "An input comment.", "data": {"val1": 23, "val2": 17}, "extra": "foo",
	  "lambda": {"who": "AWS Step Functions"}}`)
	effective, err := st.InputPath.Apply(input)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := enc(t, effective), `{"who":"AWS Step Functions"}`; got != want {
		t.Errorf("task input = %s, want %s", got, want)
	}
	combined, err := ApplyResultPath(st.ResultPath, input, "Hello, AWS Step Functions!")
	if err != nil {
		t.Fatal(err)
	}
	out, err := st.OutputPath.Apply(combined)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := enc(t, out), canon(t, `{"val1": 23, "val2": 17, "lambdaresult": "Hello, AWS Step Functions!"}`); got != want {
		t.Errorf("output = %s, want %s", got, want)
	}
}

func TestCompareUTF16(t *testing.T) {
	// U+FF61 sorts after U+1F600 in UTF-16 (surrogates are 0xD83D...), though
	// not in code point order; Java's compareTo, and so AWS, use UTF-16.
	if got := compareUTF16("\U0001F600", "\uFF61"); got >= 0 {
		t.Errorf("compareUTF16(emoji, U+FF61) = %d, want < 0", got)
	}
	if got := compareUTF16("\U0001F600", "\U0001F601"); got >= 0 {
		t.Errorf("compareUTF16 of two supplementary characters = %d, want < 0", got)
	}
	if got := compareUTF16("ab", "a"); got <= 0 {
		t.Errorf("compareUTF16(ab, a) = %d", got)
	}
	if !strings.HasPrefix("x", "") || compareUTF16("", "") != 0 {
		t.Error("empty strings must compare equal")
	}
}
