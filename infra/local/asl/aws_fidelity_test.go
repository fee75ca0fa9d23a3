package asl

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The tests in this file pin behaviour recorded on AWS Step Functions itself
// (executions whose history was read back), word for word, where the local
// engine used to answer differently. The execution-level half — the prefix
// AWS puts before a States.Runtime cause, naming the state and the id of its
// StateEntered event — is tested in package stepfunctions.

// wantCause checks that err is an *Error with the given name and cause.
func wantCause(t *testing.T, err error, name, cause string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want %s: %s", err, name, cause)
	}
	if e.Name != name || e.Cause != cause {
		t.Errorf("error = %s: %q\nwant    %s: %q", e.Name, e.Cause, name, cause)
	}
}

// TestInputOutputPathMissing: a missing path in InputPath or OutputPath is
// reported in Jayway's words, with the path in its bracket form.
func TestInputOutputPathMissing(t *testing.T) {
	tests := []struct {
		name, path, input, cause string
	}{
		// Recorded on AWS: InputPath "$.x" on an input without x.
		{"missing member", "$.x", `{"a": 1}`, `Invalid path '$.x' : No results for path: $['x']`},
		// Recorded on AWS: an OutputPath "$.Payload" on a result without it.
		{"missing Payload", "$.Payload", `{"StatusCode": 200}`, `Invalid path '$.Payload' : No results for path: $['Payload']`},
		{"missing last member", "$.a.b", `{"a": {}}`, `Invalid path '$.a.b' : No results for path: $['a']['b']`},
		{"member missing on the way", "$.no.such.path", `{"a": 1}`, `Invalid path '$.no.such.path' : Missing property in path $['no']`},
		{"index out of range", "$.rows[1]", `{"rows": [0]}`, `Invalid path '$.rows[1]' : No results for path: $['rows'][1]`},
		{"bracket names", "$['a b']['c']", `{"a b": {}}`, `Invalid path '$['a b']['c']' : No results for path: $['a b']['c']`},
		{"member of a scalar", "$.a.b", `{"a": 1}`, `Invalid path '$.a.b' : No results for path: $['a']['b']`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PathOf(tt.path).Apply(dec(t, tt.input))
			wantCause(t, err, ErrRuntime, tt.cause)
		})
	}
}

// TestFieldPathMissing: in ErrorPath, CausePath and payload templates AWS
// names the field and shows the input.
func TestFieldPathMissing(t *testing.T) {
	fail := MustParse(`{"StartAt": "F", "States": {"F": {"Type": "Fail", "ErrorPath": "$.ErrorX", "CausePath": "$.c"}}}`).States["F"]
	_, err := fail.FailError(dec(t, `{"Error": "error-value"}`), nil, Env{})
	wantCause(t, err, ErrRuntime, `The JSONPath '$.ErrorX' specified for the field 'ErrorPath' could not be found in the input '{"Error":"error-value"}'`)

	cause := MustParse(`{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "CausePath": "$.CauseX"}}}`).States["F"]
	_, err = cause.FailError(dec(t, `{"Cause": "c"}`), nil, Env{})
	wantCause(t, err, ErrRuntime, `The JSONPath '$.CauseX' specified for the field 'CausePath' could not be found in the input '{"Cause":"c"}'`)

	_, err = EvalTemplate(dec(t, `{"value.$": "$.no_such_jsonpath"}`), dec(t, `{"a": 1}`), nil)
	wantCause(t, err, ErrRuntime, `The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{"a":1}'`)

	// A path argument of an intrinsic function: the field is the one the
	// call is in.
	_, err = EvalTemplate(dec(t, `{"msg.$": "States.Format('{}', $.nope)"}`), dec(t, `{}`), nil)
	wantCause(t, err, ErrRuntime, `The JSONPath '$.nope' specified for the field 'msg.$' could not be found in the input '{}'`)
}

// TestSecondsPathValues: a Wait state's SecondsPath must select a
// non-negative integer; AWS names the path and the value it found.
func TestSecondsPathValues(t *testing.T) {
	st := MustParse(`{"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.input.waitSeconds", "End": true}}}`).States["W"]
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		wait, cause string
	}{
		// Both recorded on AWS.
		{`-1`, `The SecondsPath parameter references a negative value: $.input.waitSeconds == -1`},
		{`1.5`, `The SecondsPath parameter cannot be parsed as a long value: $.input.waitSeconds == 1.5`},
		// Not an integer literal, so not a long either.
		{`5.0`, `The SecondsPath parameter cannot be parsed as a long value: $.input.waitSeconds == 5.0`},
		{`"10"`, `The SecondsPath parameter cannot be parsed as a long value: $.input.waitSeconds == 10`},
		{`99999999999999999999`, `The SecondsPath parameter cannot be parsed as a long value: $.input.waitSeconds == 99999999999999999999`},
	}
	for _, tt := range tests {
		t.Run(tt.wait, func(t *testing.T) {
			_, err := st.WaitUntil(dec(t, `{"input": {"waitSeconds": `+tt.wait+`}}`), now)
			wantCause(t, err, ErrRuntime, tt.cause)
		})
	}
	_, err := st.WaitUntil(dec(t, `{"input": {}}`), now)
	wantCause(t, err, ErrRuntime, `The SecondsPath parameter does not reference an input value: $.input.waitSeconds`)
	if got, err := st.WaitUntil(dec(t, `{"input": {"waitSeconds": 0}}`), now); err != nil || !got.Equal(now) {
		t.Errorf("WaitUntil(0) = %v, %v; want now", got, err)
	}

	// Recorded on AWS: a timestamp without an offset is not accepted, and
	// the value is shown as the string it is, without quotes.
	ts := MustParse(`{"StartAt": "W", "States": {"W": {"Type": "Wait", "TimestampPath": "$.start_at", "End": true}}}`).States["W"]
	_, err = ts.WaitUntil(dec(t, `{"start_at": "2023-12-11T22:00:00"}`), now)
	wantCause(t, err, ErrRuntime, `The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.start_at == 2023-12-11T22:00:00`)
}

// TestTimeoutSecondsPathMissing: TimeoutSecondsPath and HeartbeatSecondsPath
// that select nothing are reported like InputPath.
func TestTimeoutSecondsPathMissing(t *testing.T) {
	st := MustParse(fmt.Sprintf(`{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "%s",
	  "TimeoutSecondsPath": "$.NoSuchTimeoutSecondsPath", "HeartbeatSecondsPath": "$.NoSuchHeartbeatSecondsPath", "End": true}}}`, lambdaARN)).States["T"]
	_, err := st.Timeout(dec(t, `{}`))
	wantCause(t, err, ErrRuntime, `Invalid path '$.NoSuchTimeoutSecondsPath' : No results for path: $['NoSuchTimeoutSecondsPath']`)
	_, err = st.Heartbeat(dec(t, `{}`))
	wantCause(t, err, ErrRuntime, `Invalid path '$.NoSuchHeartbeatSecondsPath' : No results for path: $['NoSuchHeartbeatSecondsPath']`)
}

// TestMapConcurrency: MaxConcurrencyPath takes an integer, as a number or
// as a string of digits.
func TestMapConcurrency(t *testing.T) {
	st := MustParse(`{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.Values", "MaxConcurrencyPath": "$.MaxConcurrencyValue",
	  "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "End": true}}}`).States["M"]
	tests := []struct {
		value string
		want  int
		cause string
	}{
		{`1`, 1, ""},
		{`0`, 0, ""},
		{`"3"`, 3, ""},
		// Recorded on AWS.
		{`"NoNumber"`, 0, `The MaxConcurrencyPath field refers to value "NoNumber" which is not a valid integer: $.MaxConcurrencyValue`},
		{`1.5`, 0, `The MaxConcurrencyPath field refers to value "1.5" which is not a valid integer: $.MaxConcurrencyValue`},
		{`2147483648`, 0, `The MaxConcurrencyPath field refers to value "2147483648" which is not a valid integer: $.MaxConcurrencyValue`},
		{`-1`, 0, `Expected non-negative integer for MaxConcurrency, got '-1' instead.`},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			n, err := st.Concurrency(dec(t, `{"Values": [1], "MaxConcurrencyValue": `+tt.value+`}`))
			if tt.cause != "" {
				wantCause(t, err, ErrRuntime, tt.cause)
				return
			}
			if err != nil || n != tt.want {
				t.Errorf("Concurrency = %d, %v; want %d", n, err, tt.want)
			}
		})
	}
	_, err := st.Concurrency(dec(t, `{"Values": [1]}`))
	wantCause(t, err, ErrRuntime, `The JSONPath '$.MaxConcurrencyValue' specified for the field 'MaxConcurrencyPath' could not be found in the input '{"Values":[1]}'`)

	items, err := st.Items(dec(t, `{"Values": [1, 2]}`))
	if err != nil || len(items) != 2 {
		t.Errorf("Items = %v, %v", items, err)
	}
	_, err = st.Items(dec(t, `{}`))
	wantCause(t, err, ErrRuntime, `The JSONPath '$.Values' specified for the field 'ItemsPath' could not be found in the input '{}'`)
}

// TestStringToJSONBlank: States.StringToJson of an empty or blank string is
// null on AWS, not an error.
func TestStringToJSONBlank(t *testing.T) {
	for _, s := range []string{``, ` `, "\t\n "} {
		v, err := EvalTemplate(dec(t, `{"v.$": "States.StringToJson($.s)"}`), map[string]any{"s": s}, nil)
		if err != nil {
			t.Fatalf("StringToJson(%q): %v", s, err)
		}
		if got, want := enc(t, v), `{"v":null}`; got != want {
			t.Errorf("StringToJson(%q) = %s, want %s", s, got, want)
		}
	}
	// A blank string around a value is that value; anything else that is
	// not JSON stays an error.
	v, err := EvalTemplate(dec(t, `{"v.$": "States.StringToJson($.s)"}`), map[string]any{"s": " [1] "}, nil)
	if err != nil || enc(t, v) != `{"v":[1]}` {
		t.Errorf("StringToJson(\" [1] \") = %v, %v", v, err)
	}
	if _, err := EvalTemplate(dec(t, `{"v.$": "States.StringToJson($.s)"}`), map[string]any{"s": "x"}, nil); errName(err) != ErrIntrinsicFailure {
		t.Errorf("StringToJson(\"x\") = %v, want %s", err, ErrIntrinsicFailure)
	}
}

// TestBracketNameBackslash: in a quoted JSONPath name a backslash is not an
// escape; AWS selects the key with the backslash in it.
func TestBracketNameBackslash(t *testing.T) {
	// The definition of the execution recorded on AWS, as JSON:
	// "value.$": "$['Test\\\"\"Name\"']" is the path $['Test\""Name"'].
	sm := MustParse(`{"StartAt": "JsonPathEscapeTest", "States": {"JsonPathEscapeTest": {"Type": "Pass",
	  "Parameters": {"value.$": "$['Test\\\"\"Name\"']"}, "End": true}}}`)
	st := sm.States["JsonPathEscapeTest"]
	in := dec(t, `{"Test\\\"\"Name\"": "Value", "Test\"\"Name\"": "Wrong"}`)
	got, err := EvalTemplate(st.Parameters, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := enc(t, got), `{"value":"Value"}`; got != want {
		t.Errorf("Parameters = %s, want %s", got, want)
	}
	// The path in messages keeps the name as written.
	_, err = PathOf(`$['a\'b'].c`).Apply(dec(t, `{}`))
	wantCause(t, err, ErrRuntime, `Invalid path '$['a\'b'].c' : Missing property in path $['a\'b']`)
}

// TestLegacyIteratorProcessorConfig: AWS accepts ProcessorConfig in a Map
// state's legacy Iterator, as in its ItemProcessor.
func TestLegacyIteratorProcessorConfig(t *testing.T) {
	sm, err := Parse([]byte(`{"StartAt": "MapState", "States": {
	  "MapState": {"Type": "Map", "MaxConcurrency": 1,
	    "Iterator": {"StartAt": "IteratorInner", "States": {"IteratorInner": {"Type": "Pass", "End": true}},
	      "ProcessorConfig": {"Mode": "INLINE"}},
	    "Next": "Finish"},
	  "Finish": {"Type": "Succeed"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := sm.States["MapState"].ItemProcessor.ProcessorMode; got != "INLINE" {
		t.Errorf("ProcessorMode = %q, want INLINE", got)
	}
	dist, err := Parse([]byte(`{"StartAt": "M", "States": {"M": {"Type": "Map",
	  "Iterator": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "End": true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := dist.States["M"].ItemProcessor.ProcessorMode; got != "DISTRIBUTED" {
		t.Errorf("ProcessorMode = %q, want DISTRIBUTED", got)
	}
	// Fields an Iterator does not have are still refused, naming it.
	_, err = Parse([]byte(`{"StartAt": "M", "States": {"M": {"Type": "Map",
	  "Iterator": {"TimeoutSeconds": 5, "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "End": true}}}`))
	if err == nil || !strings.Contains(err.Error(), "Field 'TimeoutSeconds' is not supported by a Map Iterator at /States/M/Iterator/TimeoutSeconds") {
		t.Errorf("Parse = %v", err)
	}
}
