package asl

import (
	"encoding/json"
	"testing"
)

func TestFilterExpressions(t *testing.T) {
	in := `{"a": [{"n": 1, "s": "x", "b": true, "z": null}, {"n": 2, "s": "y", "b": false}, {"n": 3, "s": "z"}, 4, "s"]}`
	tests := []struct{ path, want string }{
		{"$.a[?(!(@.n == 2))].n", `[1,3]`},
		{"$.a[?(!@.b)].n", `[3]`},
		{"$.a[?((@.n == 1 || @.n == 3) && @.s != 'x')].n", `[3]`},
		{"$.a[?(@.s < 'y')].n", `[1]`},
		{"$.a[?(@.s >= \"y\")].n", `[2,3]`},
		{"$.a[?(@.b == true)].n", `[1]`},
		{"$.a[?(@.b == false)].n", `[2]`},
		{"$.a[?(@.z == null)].n", `[1]`},
		{"$.a[?(@.n <= 2.0)].n", `[1,2]`},
		{"$.a[?(@.n > -1e3)].n", `[1,2,3]`},
		{"$.a[?(2 < @.n)].n", `[3]`},
		{"$.a[?(@.n == '1')].n", `[]`}, // no type coercion
		{"$.a[?(@.s > 1)].n", `[]`},    // mixed types never order
		{"$.a[?(@ == 4)]", `[]`},       // '@' does not match scalars
		{"$.a[3:0:-1]", `[4,{"n":3,"s":"z"},{"b":false,"n":2,"s":"y"}]`},
		{"$.a[:-3].n", `[1,2]`},
		{"$.a[10:]", `[]`},
	}
	for _, tt := range tests {
		got, err := Get(dec(t, in), tt.path)
		if err != nil {
			t.Errorf("Get(%s): %v", tt.path, err)
			continue
		}
		if got, want := enc(t, got), canon(t, tt.want); got != want {
			t.Errorf("Get(%s) = %s, want %s", tt.path, got, want)
		}
	}
	for _, bad := range []string{"$.a[?(@.n ==)]", "$.a[?(@.n == 1]", "$.a[?@.n]", "$.a[?(1)]", "$.a[?(@.n == 1 &&)]", "$.a[?(@.n size 2)]", "$.a[?(@..n)]", "$.a[?(@.n == 1e)]", "$.a[1:2:3:4]", "$.a[x]"} {
		if IsPath(bad) {
			t.Errorf("IsPath(%q) = true, want false", bad)
		}
	}
	if !IsPath("$.a[?(@.n == 1)]") || !IsIntrinsic("States.UUID()") || IsIntrinsic("States.UUID(") {
		t.Error("IsPath/IsIntrinsic")
	}
}

func TestNumbers(t *testing.T) {
	tests := []struct {
		a, b any
		want int
	}{
		{json.Number("1"), json.Number("1.0"), 0},
		{json.Number("1e400"), json.Number("1e399"), 1},
		{json.Number("1e99999"), json.Number("1e99998"), 1}, // beyond exact rationals
		{json.Number("-1e99999"), json.Number("1"), -1},
		{json.Number("0.1"), 0.1, 0}, // a Go float64 counts as the shortest decimal that prints it
		{3, json.Number("3"), 0},
		{int64(-2), float32(-2), 0},
		{uint8(7), json.Number("6.999999999999999999999"), 1},
	}
	for _, tt := range tests {
		got, err := compareNumbers(tt.a, tt.b)
		if err != nil || got != tt.want {
			t.Errorf("compareNumbers(%v, %v) = %d, %v; want %d", tt.a, tt.b, got, err, tt.want)
		}
	}
	if !Equal(map[string]any{"a": []any{json.Number("1"), nil, true, "s"}}, map[string]any{"a": []any{1.0, nil, true, "s"}}) {
		t.Error("Equal must compare numbers by value")
	}
	for _, pair := range [][2]any{{nil, false}, {"1", json.Number("1")}, {[]any{1}, []any{1, 2}}, {map[string]any{"a": 1}, map[string]any{"b": 1}}, {true, false}} {
		if Equal(pair[0], pair[1]) {
			t.Errorf("Equal(%v, %v) = true", pair[0], pair[1])
		}
	}
	if _, ok := numberInt(json.Number("1e5000")); ok {
		t.Error("numberInt of a huge number")
	}
	if n, ok := intArg(json.Number("-2.5")); !ok || n != -2 {
		t.Errorf("intArg(-2.5) = %d, %v; want -2 (Java Math.round)", n, ok)
	}
	for v, want := range map[any]string{nil: "null", true: "boolean", "s": "string", 1.5: "number", json.Number("2"): "number"} {
		if got := typeName(v); got != want {
			t.Errorf("typeName(%v) = %s, want %s", v, got, want)
		}
	}
	if typeName([]any{}) != "array" || typeName(map[string]any{}) != "object" {
		t.Error("typeName of containers")
	}
}

func TestDecodeEncode(t *testing.T) {
	if _, err := Decode([]byte(`{"a":1} {"b":2}`)); err == nil {
		t.Error("Decode must refuse trailing data")
	}
	if _, err := Decode([]byte(`{"a":`)); err == nil {
		t.Error("Decode must refuse truncated JSON")
	}
	v, err := Decode([]byte(` {"n": 12345678901234567890123, "h": "<&>"} `))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := enc(t, v), `{"h":"<&>","n":12345678901234567890123}`; got != want {
		t.Errorf("round trip = %s, want %s", got, want)
	}
	c := DeepCopy(v).(map[string]any)
	c["h"] = "changed"
	if v.(map[string]any)["h"] != "<&>" {
		t.Error("DeepCopy shares its map")
	}
}

func TestMiscAPI(t *testing.T) {
	if got := (OptPath{}).String() + " " + NullPath().String() + " " + PathOf("$.a").String(); got != "$ null $.a" {
		t.Errorf("OptPath.String = %q", got)
	}
	if got := (&Error{Name: "E"}).Error(); got != "E" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&Error{Name: "E", Cause: "c"}).Error(); got != "E: c" {
		t.Errorf("Error() = %q", got)
	}
	r := parseRule(t, `{"Variable":"$.a","NumericEquals":1}`)
	if ok, err := r.Match(dec(t, `{"a": 1}`)); !ok || err != nil {
		t.Errorf("Match = %v, %v", ok, err)
	}
	// Paths built in Go (not through Parse) work too.
	manual := &ChoiceRule{Variable: "$.a", Operator: "StringEqualsPath", Value: "$.b"}
	if ok, err := manual.Match(dec(t, `{"a": "x", "b": "x"}`)); !ok || err != nil {
		t.Errorf("Match of a hand-built rule = %v, %v", ok, err)
	}
	if _, err := (&ChoiceRule{Variable: "$.a", Operator: "Bogus"}).Match(dec(t, `{"a": 1}`)); errName(err) != ErrRuntime {
		t.Errorf("unknown operator: %v", err)
	}
	p, _ := ParsePath("$$.Execution.Id")
	if !p.Context() || p.String() != "$$.Execution.Id" || p.Root() {
		t.Error("Path accessors")
	}
}

func TestDistributedMapConfig(t *testing.T) {
	sm := MustParse(`{"StartAt": "M", "States": {"M": {"Type": "Map", "Label": "Each", "ToleratedFailurePercentage": 10, "ToleratedFailureCount": 2,
	  "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}}`)
	m := sm.States["M"]
	if m.ItemProcessor.ProcessorMode != "DISTRIBUTED" || m.ToleratedFailurePercentage != 10 || m.ToleratedFailureCount != 2 {
		t.Errorf("Map = %+v", m)
	}
	_, err := Parse([]byte(`{"StartAt": "M", "States": {"M": {"Type": "Map", "ToleratedFailurePercentage": 101, "Label": 5,
	  "ItemProcessor": {"ProcessorConfig": {"ExecutionType": "EXPRESS"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}}`))
	if err == nil {
		t.Fatal("want problems")
	}
	for _, w := range []string{"ToleratedFailurePercentage must be a number from 0 to 100", "Label must be a string", "ExecutionType is only allowed with Mode DISTRIBUTED"} {
		if !containsProblem(err, w) {
			t.Errorf("problems do not mention %q: %v", w, err)
		}
	}
}

func containsProblem(err error, s string) bool {
	ve, ok := err.(*ValidationError)
	if !ok {
		return false
	}
	for _, p := range ve.Problems {
		if len(p) >= len(s) && contains(p, s) {
			return true
		}
	}
	return false
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
