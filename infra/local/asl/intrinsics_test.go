package asl

import (
	"regexp"
	"strings"
	"testing"
)

// evalField evaluates expr as the value of a "r.$" field and returns r.
func evalField(t *testing.T, expr, input string, env Env) (any, error) {
	t.Helper()
	out, err := EvalTemplateWith(map[string]any{"r.$": expr}, dec(t, input), dec(t, `{"Execution":{"Name":"exec-1"}}`), env)
	if err != nil {
		return nil, err
	}
	return out.(map[string]any)["r"], nil
}

func TestIntrinsics(t *testing.T) {
	nine := `{"inputArray": [1,2,3,4,5,6,7,8,9], "lookingFor": 5, "index": 5}`
	tests := []struct {
		name, expr, input, want, err string
	}{
		// AWS documentation examples, with their documented outputs.
		{"doc Format literal", "States.Format('Hello, my name is {}.', $.name)", `{"name": "Arnav", "template": "Hello, my name is {}."}`, `"Hello, my name is Arnav."`, ""},
		{"doc Format template from path", "States.Format($.template, $.name)", `{"name": "Arnav", "template": "Hello, my name is {}."}`, `"Hello, my name is Arnav."`, ""},
		{"doc StringToJson", "States.StringToJson($.escapedJsonString)", `{"escapedJsonString": "{\"foo\": \"bar\"}"}`, `{"foo":"bar"}`, ""},
		{"doc JsonToString", "States.JsonToString($.unescapedJson)", `{"unescapedJson": {"foo": "bar"}}`, `"{\"foo\":\"bar\"}"`, ""},
		{"doc Array", "States.Array($.Id)", `{"Id": 123456}`, `[123456]`, ""},
		{"doc ArrayPartition", "States.ArrayPartition($.inputArray,4)", nine, `[[1,2,3,4],[5,6,7,8],[9]]`, ""},
		{"doc ArrayContains", "States.ArrayContains($.inputArray, $.lookingFor)", nine, `true`, ""},
		{"doc ArrayRange", "States.ArrayRange(1, 9, 2)", `{}`, `[1,3,5,7,9]`, ""},
		{"doc ArrayGetItem", "States.ArrayGetItem($.inputArray, $.index)", nine, `6`, ""},
		{"doc ArrayLength", "States.ArrayLength($.inputArray)", nine, `9`, ""},
		{"doc ArrayUnique", "States.ArrayUnique($.inputArray)", `{"inputArray": [1,2,3,3,3,3,3,3,4]}`, `[1,2,3,4]`, ""},
		{"doc Base64Encode", "States.Base64Encode($.input)", `{"input": "Data to encode"}`, `"RGF0YSB0byBlbmNvZGU="`, ""},
		{"doc Base64Decode", "States.Base64Decode($.base64)", `{"base64": "RGF0YSB0byBlbmNvZGU="}`, `"Data to encode"`, ""},
		{"doc Hash SHA-1", "States.Hash($.Data, $.Algorithm)", `{"Data": "input data", "Algorithm": "SHA-1"}`, `"aaff4a450a104cd177d28d18d74485e8cae074b7"`, ""},
		{"doc JsonMerge", "States.JsonMerge($.json1, $.json2, false)",
			`{"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}}`,
			`{"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3}`, ""},
		{"doc MathAdd", "States.MathAdd($.value1, $.step)", `{"value1": 111, "step": -1}`, `110`, ""},
		{"doc StringSplit", "States.StringSplit($.inputString, $.splitter)", `{"inputString": "1,2,3,4,5", "splitter": ","}`, `["1","2","3","4","5"]`, ""},
		{"doc StringSplit several delimiters", "States.StringSplit($.inputString, $.splitter)", `{"inputString": "This.is+a,test=string", "splitter": ".+,="}`, `["This","is","a","test","string"]`, ""},

		// States.Format: escapes and value rendering.
		{"Format escaped braces", `States.Format('\{\} is {}', $.a)`, `{"a": "x"}`, `"{} is x"`, ""},
		{"Format escaped quote and backslash", `States.Format('it\'s a \\ {}', $.a)`, `{"a": "x"}`, `"it's a \\ x"`, ""},
		{"Format numbers, booleans, null", "States.Format('{} {} {} {}', $.i, $.f, $.b, $.n)", `{"i": 12345678901234567890, "f": 1.50, "b": true, "n": null}`, `"12345678901234567890 1.50 true null"`, ""},
		{"Format literal arguments", "States.Format('{}-{}-{}', 'a', 2, false)", `{}`, `"a-2-false"`, ""},
		{"Format object Java style", "States.Format('{}', $.o)", `{"o": {"Arg1": 1, "Arg2": []}}`, `"{Arg1=1, Arg2=[]}"`, ""},
		{"Format array Java style", "States.Format('{}', $.a)", `{"a": ["x", 1, {"k": "v"}]}`, `"[x, 1, {k=v}]"`, ""},
		{"Format context object", "States.Format('run {}', $$.Execution.Name)", `{}`, `"run exec-1"`, ""},
		{"Format no placeholders", "States.Format('plain')", `{}`, `"plain"`, ""},
		{"Format too few values from a path template", "States.Format($.t, $.a)", `{"t": "{} {}", "a": 1}`, "", ErrIntrinsicFailure},
		{"Format open escape", `States.Format('bad \n {}', $.a)`, `{"a": 1}`, "", ErrRuntime},
		{"Format template not a string", "States.Format($.t)", `{"t": 5}`, "", ErrIntrinsicFailure},

		// Nesting (AWS documents up to 10 levels).
		{"nested StringSplit/ArrayGetItem", "States.Format('{}.{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 2))",
			`{"ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/my-recipe/1.0.2"}}`, `"1.0.2"`, ""},
		{"nested JsonToString of StringToJson", "States.JsonToString(States.StringToJson($.s))", `{"s": "[1, 2, {\"a\": null}]"}`, `"[1,2,{\"a\":null}]"`, ""},
		{"nested Array of calls", "States.Array(States.MathAdd(1, 2), States.ArrayLength($.a), 'x', null, true)", `{"a": [0]}`, `[3,1,"x",null,true]`, ""},
		{"paths with brackets and filters as arguments", "States.ArrayLength($.a[?(@.v > 1)])", `{"a": [{"v": 1}, {"v": 2}, {"v": 3}]}`, `2`, ""},
		{"bracket path with comma inside quotes", "States.Array($['a,b'], $.c)", `{"a,b": 1, "c": 2}`, `[1,2]`, ""},

		// Arrays.
		{"Array empty", "States.Array()", `{}`, `[]`, ""},
		{"Array keeps values", "States.Array($.o, $.a)", `{"o": {"k": 1}, "a": [1]}`, `[{"k":1},[1]]`, ""},
		{"ArrayPartition larger chunk", "States.ArrayPartition($.a, 10)", `{"a": [1,2]}`, `[[1,2]]`, ""},
		{"ArrayPartition empty", "States.ArrayPartition($.a, 2)", `{"a": []}`, `[]`, ""},
		{"ArrayPartition zero chunk", "States.ArrayPartition($.a, 0)", `{"a": [1]}`, "", ErrIntrinsicFailure},
		{"ArrayPartition not an array", "States.ArrayPartition($.a, 2)", `{"a": "x"}`, "", ErrIntrinsicFailure},
		{"ArrayContains object", "States.ArrayContains($.a, $.v)", `{"a": [{"x": [1, 2.0]}], "v": {"x": [1, 2]}}`, `true`, ""},
		{"ArrayContains absent", "States.ArrayContains($.a, 'z')", `{"a": ["x"]}`, `false`, ""},
		{"ArrayRange negative step", "States.ArrayRange(5, 1, -2)", `{}`, `[5,3,1]`, ""},
		{"ArrayRange empty", "States.ArrayRange(5, 1, 1)", `{}`, `[]`, ""},
		{"ArrayRange 1000 items", "States.ArrayLength(States.ArrayRange(1, 1000, 1))", `{}`, `1000`, ""},
		{"ArrayRange 1001 items", "States.ArrayRange(0, 1000, 1)", `{}`, "", ErrIntrinsicFailure},
		{"ArrayRange zero step", "States.ArrayRange(1, 3, 0)", `{}`, "", ErrIntrinsicFailure},
		{"ArrayRange rounds non-integers", "States.ArrayRange(0.5, 3.4, 1)", `{}`, `[1,2,3]`, ""},
		{"ArrayGetItem object element", "States.ArrayGetItem($.a, 0)", `{"a": [{"k": 1}]}`, `{"k":1}`, ""},
		{"ArrayGetItem out of range", "States.ArrayGetItem($.a, 3)", `{"a": [1]}`, "", ErrIntrinsicFailure},
		{"ArrayGetItem negative", "States.ArrayGetItem($.a, -1)", `{"a": [1]}`, "", ErrIntrinsicFailure},
		{"ArrayLength not an array", "States.ArrayLength($.a)", `{"a": {}}`, "", ErrIntrinsicFailure},
		{"ArrayUnique mixed", "States.ArrayUnique($.a)", `{"a": [1, "1", 1.0, {"a": 1}, {"a": 1}, null, null]}`, `[1,"1",{"a":1},null]`, ""},

		// Encoding and hashing.
		{"Base64 round trip unicode", "States.Base64Decode(States.Base64Encode($.s))", `{"s": "héllo ✓"}`, `"héllo ✓"`, ""},
		{"Base64Decode invalid", "States.Base64Decode($.s)", `{"s": "!!!"}`, "", ErrIntrinsicFailure},
		{"Base64Encode 10000 characters", "States.ArrayLength(States.Array(States.Base64Encode($.s)))", `{"s": "` + strings.Repeat("é", 10000) + `"}`, `1`, ""},
		{"Base64Encode 10001 characters", "States.Base64Encode($.s)", `{"s": "` + strings.Repeat("a", 10001) + `"}`, "", ErrIntrinsicFailure},
		{"Base64Decode 10001 characters", "States.Base64Decode($.s)", `{"s": "` + strings.Repeat("A", 10001) + `"}`, "", ErrIntrinsicFailure},
		{"Base64Encode not a string", "States.Base64Encode($.n)", `{"n": 1}`, "", ErrIntrinsicFailure},
		{"Hash MD5", "States.Hash($.d, 'MD5')", `{"d": "input data"}`, `"812f45842bc6d66ee14572ce20db8e86"`, ""},
		{"Hash SHA-256", "States.Hash($.d, 'SHA-256')", `{"d": "input data"}`, `"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"`, ""},
		{"Hash SHA-384", "States.Hash($.d, 'SHA-384')", `{"d": "input data"}`, `"d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562"`, ""},
		{"Hash SHA-512", "States.Hash($.d, 'SHA-512')", `{"d": "input data"}`, `"6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4"`, ""},
		{"Hash unknown algorithm from a path", "States.Hash($.d, $.alg)", `{"d": "x", "alg": "SHA-3"}`, "", ErrIntrinsicFailure},
		{"Hash too long", "States.Hash($.d, 'MD5')", `{"d": "` + strings.Repeat("a", 10001) + `"}`, "", ErrIntrinsicFailure},

		// JSON.
		{"StringToJson invalid", "States.StringToJson($.s)", `{"s": "{nope"}`, "", ErrIntrinsicFailure},
		{"StringToJson keeps number precision", "States.StringToJson($.s)", `{"s": "{\"n\": 12345678901234567890.5}"}`, `{"n":12345678901234567890.5}`, ""},
		{"StringToJson not a string", "States.StringToJson($.s)", `{"s": 1}`, "", ErrIntrinsicFailure},
		{"JsonToString string", "States.JsonToString($.s)", `{"s": "a<b>"}`, `"\"a<b>\""`, ""},
		{"JsonMerge second wins, shallow", "States.JsonMerge($.a, $.b, false)", `{"a": {"k": {"x": 1}, "y": 1}, "b": {"k": {"z": 2}}}`, `{"k":{"z":2},"y":1}`, ""},
		{"JsonMerge deep flag from a path", "States.JsonMerge($.a, $.b, $.deep)", `{"a": {}, "b": {}, "deep": true}`, "", ErrIntrinsicFailure},
		{"JsonMerge not objects", "States.JsonMerge($.a, $.b, false)", `{"a": [], "b": {}}`, "", ErrIntrinsicFailure},

		// Math.
		{"MathAdd literals", "States.MathAdd(-5, 7)", `{}`, `2`, ""},
		{"MathAdd rounds like Java", "States.MathAdd(1.5, -2.5)", `{}`, `0`, ""},
		{"MathAdd out of int32", "States.MathAdd($.a, 1)", `{"a": 2147483648}`, "", ErrIntrinsicFailure},
		{"MathAdd int32 bounds", "States.MathAdd(2147483647, 2147483647)", `{}`, `4294967294`, ""},
		{"MathAdd not a number", "States.MathAdd($.a, 1)", `{"a": "1"}`, "", ErrIntrinsicFailure},
		{"MathRandom start not below end", "States.MathRandom(5, 5)", `{}`, "", ErrIntrinsicFailure},

		// Strings.
		{"StringSplit drops empty parts", "States.StringSplit($.s, ',')", `{"s": ",a,,b,"}`, `["a","b"]`, ""},
		{"StringSplit no delimiter found", "States.StringSplit($.s, ';')", `{"s": "abc"}`, `["abc"]`, ""},
		{"StringSplit unicode delimiter", "States.StringSplit($.s, '✓')", `{"s": "a✓b"}`, `["a","b"]`, ""},
		{"StringSplit not strings", "States.StringSplit($.s, ',')", `{"s": 1}`, "", ErrIntrinsicFailure},

		// Paths inside calls.
		{"missing path argument", "States.Array($.nope)", `{}`, "", ErrRuntime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := dec(t, tt.input)
			before := enc(t, in)
			got, err := EvalTemplateWith(map[string]any{"r.$": tt.expr}, in, dec(t, `{"Execution":{"Name":"exec-1"}}`), Env{})
			if got, want := errName(err), tt.err; got != want {
				t.Fatalf("%s: error = %v, want name %q", tt.expr, err, want)
			}
			if tt.err == "" {
				if got, want := enc(t, got.(map[string]any)["r"]), canon(t, tt.want); got != want {
					t.Errorf("%s = %s, want %s", tt.expr, got, want)
				}
			}
			if after := enc(t, in); after != before {
				t.Errorf("%s changed its input: %s", tt.expr, after)
			}
		})
	}
}

func TestIntrinsicRandomness(t *testing.T) {
	// MathRandom takes its randomness from Env; both bounds are inclusive.
	for _, tc := range []struct {
		r    float64
		want string
	}{{0, "1"}, {0.5, "500"}, {0.999999999, "999"}} {
		got, err := evalField(t, "States.MathRandom($.start, $.end)", `{"start": 1, "end": 999}`, Env{Rand: func() float64 { return tc.r }})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := enc(t, got), tc.want; got != want {
			t.Errorf("MathRandom with rand %v = %s, want %s", tc.r, got, want)
		}
	}
	// A seed makes the value repeatable and independent of Env.
	a, err := evalField(t, "States.MathRandom(1, 1000000, 42)", `{}`, Env{Rand: func() float64 { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	b, err := evalField(t, "States.MathRandom(1, 1000000, 42)", `{}`, Env{Rand: func() float64 { return 0.9 }})
	if err != nil {
		t.Fatal(err)
	}
	if enc(t, a) != enc(t, b) {
		t.Errorf("seeded MathRandom differs: %v vs %v", a, b)
	}
	// Without an Env source, values stay in range.
	for i := 0; i < 200; i++ {
		v, err := evalField(t, "States.MathRandom(-3, 3)", `{}`, Env{})
		if err != nil {
			t.Fatal(err)
		}
		n, _ := intArg(v)
		if n < -3 || n > 3 {
			t.Fatalf("MathRandom(-3, 3) = %d", n)
		}
	}
	// UUID: injectable, and version 4 by default.
	u, err := evalField(t, "States.UUID()", `{}`, Env{UUID: func() string { return "fixed" }})
	if err != nil || u != "fixed" {
		t.Errorf("UUID with Env = %v, %v", u, err)
	}
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	u, err = evalField(t, "States.UUID()", `{}`, Env{})
	if s, _ := u.(string); err != nil || !v4.MatchString(s) {
		t.Errorf("UUID = %v, %v; want a version 4 UUID", u, err)
	}
}

func TestIntrinsicSyntax(t *testing.T) {
	valid := []string{
		"States.UUID()",
		"States.Format('{}', $.a)",
		"States.Format( '{}' , $.a )",
		`States.Format('\{\}')`,
		"States.Array(1, -2.5e3, 'x', true, false, null, $.a, $$.b)",
		"States.MathRandom(1, 2, 3)",
		"States.JsonMerge($.a, $.b, false)",
		"States.Hash($.a, 'SHA-256')",
		`States.Format('bad \n')`, // an open escape fails when it runs, as in AWS
		"States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array())))))))))",
	}
	for _, s := range valid {
		if _, err := parseIntrinsic(s); err != nil {
			t.Errorf("parseIntrinsic(%q) = %v, want ok", s, err)
		}
	}
	invalid := map[string]string{
		"States.Nope()":                    "unknown intrinsic",
		"States.Format()":                  "at least 1",
		"States.UUID(1)":                   "0 arguments",
		"States.ArrayRange(1, 2)":          "3 arguments",
		"States.MathRandom(1)":             "2 to 3",
		"States.Format('{}')":              "1 placeholders {} but 0 values",
		"States.Format('{} {}', 1)":        "2 placeholders {} but 1 values",
		"States.Format('a { b')":           "unescaped '{'",
		"States.Format('a } b')":           "unescaped '}'",
		"States.Format(1)":                 "must be a string",
		"States.JsonMerge($.a, $.b, true)": "deep merge",
		"States.Hash($.a, 'SHA-3')":        "algorithm",
		"States.Array(":                    "unexpected",
		"States.Array(1":                   "missing ')'",
		"States.Array('x)":                 "unterminated",
		"States.Array(x)":                  "unexpected",
		"States.Array() extra":             "after the call",
		"States.Array($.a[)":               "invalid path",
		"States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array()))))))))))": "nested",
	}
	for s, want := range invalid {
		_, err := parseIntrinsic(s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseIntrinsic(%q) = %v, want an error containing %q", s, err, want)
		}
	}
}
