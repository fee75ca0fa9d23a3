package asl

import (
	"strings"
	"testing"
	"time"
)

func TestEvalTemplate(t *testing.T) {
	ctx := Context{
		ExecutionID:        "arn:aws:states:us-east-1:123456789012:execution:stateMachineName:executionName",
		ExecutionName:      "executionName",
		ExecutionInput:     map[string]any{"key": "value"},
		ExecutionStartTime: time.Date(2019, 3, 26, 20, 14, 13, 192_000_000, time.UTC),
		StateName:          "Test",
		StateEnteredTime:   time.Date(2019, 3, 26, 20, 14, 13, 192_000_000, time.UTC),
		RetryCount:         3,
		HasRetryCount:      true,
		StateMachineID:     "arn:aws:states:us-east-1:123456789012:stateMachine:stateMachineName",
		StateMachineName:   "name",
		TaskToken:          "h7XRiCdLtd/83p1E0dMccoxlzFhglsdkzpK9mBVKZsp7d9yrT1W",
	}.Value()
	tests := []struct {
		name, tmpl, input, want, err string
	}{
		// AWS documentation, "Parameters".
		{"doc Parameters",
			`{"comment": "Selecting what I care about.", "MyDetails": {"size.$": "$.product.details.size", "exists.$": "$.product.availability", "StaticValue": "foo"}}`,
			`{"comment": "Example for Parameters.", "product": {"details": {"color": "blue", "size": "small", "material": "cotton"}, "availability": "in stock", "sku": "2317", "cost": "$23"}}`,
			`{"comment": "Selecting what I care about.", "MyDetails": {"size": "small", "exists": "in stock", "StaticValue": "foo"}}`, ""},
		// AWS documentation, "The Context Object": the execution ARN into an SQS message.
		{"doc context object",
			`{"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/flight-purchase", "MessageBody": {"From": "YVR", "To": "SEA", "Execution.$": "$$.Execution.Id"}}`,
			`{}`,
			`{"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/flight-purchase", "MessageBody": {"From": "YVR", "To": "SEA", "Execution": "arn:aws:states:us-east-1:123456789012:execution:stateMachineName:executionName"}}`, ""},
		{"context fields",
			`{"token.$": "$$.Task.Token", "name.$": "$$.Execution.Name", "input.$": "$$.Execution.Input.key", "retry.$": "$$.State.RetryCount", "entered.$": "$$.State.EnteredTime", "sm.$": "$$.StateMachine.Name", "whole.$": "$$.State"}`,
			`{}`,
			`{"token": "h7XRiCdLtd/83p1E0dMccoxlzFhglsdkzpK9mBVKZsp7d9yrT1W", "name": "executionName", "input": "value", "retry": 3, "entered": "2019-03-26T20:14:13.192Z", "sm": "name",
			  "whole": {"EnteredTime": "2019-03-26T20:14:13.192Z", "Name": "Test", "RetryCount": 3}}`, ""},
		{"whole input", `{"all.$": "$"}`, `{"a": [1, 2]}`, `{"all": {"a": [1, 2]}}`, ""},
		{"static values copied", `{"n": 1.50, "b": false, "z": null, "s": "$.not.a.path", "a": [1, {"k": "v"}]}`, `{}`, `{"n": 1.50, "b": false, "z": null, "s": "$.not.a.path", "a": [1, {"k": "v"}]}`, ""},
		{"arrays of templates", `[{"x.$": "$.a"}, [{"y.$": "$.b"}], 3]`, `{"a": 1, "b": 2}`, `[{"x": 1}, [{"y": 2}], 3]`, ""},
		{"scalar template", `"just a string"`, `{}`, `"just a string"`, ""},
		{"key named .$ alone is static", `{".$": "$.a"}`, `{"a": 1}`, `{".$": "$.a"}`, ""},
		{"filter in Parameters", `{"big.$": "$.items[?(@.n > 1)].id"}`, `{"items": [{"id": "a", "n": 1}, {"id": "b", "n": 2}]}`, `{"big": ["b"]}`, ""},
		{"intrinsic", `{"msg.$": "States.Format('{} items', States.ArrayLength($.items))"}`, `{"items": [1, 2, 3]}`, `{"msg": "3 items"}`, ""},
		{"null selected", `{"v.$": "$.n"}`, `{"n": null}`, `{"v": null}`, ""},

		{"missing path", `{"size.$": "$.product.size"}`, `{"product": {}}`, "", ErrRuntime},
		{"missing context path", `{"m.$": "$$.Map.Item.Value"}`, `{}`, "", ErrRuntime},
		{"not a path or intrinsic", `{"x.$": "hello"}`, `{}`, "", ErrRuntime},
		{"non-string expression", `{"x.$": 1}`, `{}`, "", ErrRuntime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := dec(t, tt.input)
			tmpl := dec(t, tt.tmpl)
			inBefore, tmplBefore := enc(t, in), enc(t, tmpl)
			got, err := EvalTemplate(tmpl, in, ctx)
			if got, want := errName(err), tt.err; got != want {
				t.Fatalf("error = %v, want name %q", err, want)
			}
			if tt.err == "" {
				if got, want := enc(t, got), canon(t, tt.want); got != want {
					t.Errorf("got %s\nwant %s", got, want)
				}
			}
			if enc(t, in) != inBefore || enc(t, tmpl) != tmplBefore {
				t.Error("EvalTemplate changed its input or template")
			}
		})
	}
}

func TestEvalTemplateMissingPathMessage(t *testing.T) {
	_, err := EvalTemplate(dec(t, `{"size.$": "$.size"}`), dec(t, `{"a":1}`), nil)
	if got, want := err.Error(), `States.Runtime: The JSONPath '$.size' specified for the field 'size.$' could not be found in the input '{"a":1}'`; got != want {
		t.Errorf("error = %s\nwant    %s", got, want)
	}
}

// TestEvalTemplateNoAliasing checks that changing an output never changes the
// input it was copied from: templates build new documents.
func TestEvalTemplateNoAliasing(t *testing.T) {
	in := dec(t, `{"obj": {"k": [1, 2]}}`)
	out, err := EvalTemplate(dec(t, `{"o.$": "$.obj", "a.$": "States.Array($.obj)"}`), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := out.(map[string]any)
	o["o"].(map[string]any)["k"].([]any)[0] = "changed"
	o["a"].([]any)[0].(map[string]any)["new"] = true
	if got, want := enc(t, in), `{"obj":{"k":[1,2]}}`; got != want {
		t.Errorf("input changed through the output: %s", got)
	}
}

// TestMapContextDocExample evaluates the AWS documentation's Map context
// example: an ItemSelector of $$.Map.Item.Index and $$.Map.Item.Value.
func TestMapContextDocExample(t *testing.T) {
	sm := MustParse(`{"StartAt": "ExampleMapState", "States": {"ExampleMapState": {"Type": "Map",
	  "Parameters": {"ContextIndex.$": "$$.Map.Item.Index", "ContextValue.$": "$$.Map.Item.Value"},
	  "Iterator": {"StartAt": "TestPass", "States": {"TestPass": {"Type": "Pass", "End": true}}}, "End": true}}}`)
	st := sm.States["ExampleMapState"]
	input := dec(t, `[{"who": "bob"}, {"who": "meg"}, {"who": "joe"}]`)
	items, err := Get(input, st.ItemsPath)
	if err != nil {
		t.Fatal(err)
	}
	var outs []any
	for i, item := range items.([]any) {
		ctx := Context{MapItem: true, MapItemIndex: i, MapItemValue: item}.Value()
		v, err := EvalTemplate(st.ItemSelector, input, ctx)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, v)
	}
	want := `[{"ContextValue": {"who": "bob"}, "ContextIndex": 0}, {"ContextValue": {"who": "meg"}, "ContextIndex": 1}, {"ContextValue": {"who": "joe"}, "ContextIndex": 2}]`
	if got, want := enc(t, outs), canon(t, want); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

func TestContextValue(t *testing.T) {
	v := Context{ExecutionName: "e"}.Value()
	if _, ok := v["Task"]; ok {
		t.Error("Task must be absent without a token")
	}
	if _, ok := v["Map"]; ok {
		t.Error("Map must be absent outside a Map item")
	}
	if got := FormatTimestamp(time.Date(2024, 1, 2, 3, 4, 5, 6_789_000, time.FixedZone("x", 3600))); got != "2024-01-02T02:04:05.006Z" {
		t.Errorf("FormatTimestamp = %s", got)
	}
	if strings.Contains(enc(t, v), `RetryCount`) {
		t.Errorf("context without HasRetryCount has a RetryCount: %s", enc(t, v))
	}
	if v := (Context{HasRetryCount: true}).Value(); !strings.Contains(enc(t, v), `"RetryCount":0`) {
		t.Errorf("context with HasRetryCount = %s, want RetryCount 0", enc(t, v))
	}
}

// TestStateRetries checks which states have $$.State.RetryCount. The AWS
// context object reference lists RetryCount under State, and executions
// recorded on AWS show it only for the states that can retry: a Pass
// state's $$ ends with "State": {"Name": "TestState", "EnteredTime": ...}.
func TestStateRetries(t *testing.T) {
	sm := MustParse(`{"StartAt": "P", "States": {
	  "P": {"Type": "Pass", "Next": "T"},
	  "T": {"Type": "Task", "Resource": "` + lambdaARN + `", "Next": "Par"},
	  "Par": {"Type": "Parallel", "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}], "Next": "M"},
	  "M": {"Type": "Map", "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "Next": "W"},
	  "W": {"Type": "Wait", "Seconds": 1, "Next": "C"},
	  "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "S"}], "Default": "F"},
	  "S": {"Type": "Succeed"},
	  "F": {"Type": "Fail"}}}`)
	for name, want := range map[string]bool{"P": false, "T": true, "Par": true, "M": true, "W": false, "C": false, "S": false, "F": false} {
		if got := sm.States[name].Retries(); got != want {
			t.Errorf("%s (%s): Retries = %v, want %v", name, sm.States[name].Type, got, want)
		}
	}
}
