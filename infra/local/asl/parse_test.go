package asl

import (
	"errors"
	"strings"
	"testing"
)

const lambdaARN = "arn:aws:lambda:us-east-1:123456789012:function:F"

// fullDefinition uses every state type and most fields; it must parse.
const fullDefinition = `{
  "Comment": "every state type", "Version": "1.0", "TimeoutSeconds": 3600, "QueryLanguage": "JSONPath",
  "StartAt": "Prepare",
  "States": {
    "Prepare": {"Type": "Pass", "Comment": "c", "InputPath": "$.in", "Parameters": {"id.$": "$.id", "fixed": [1, {"x.$": "$$.Execution.Id"}],
      "greeting.$": "States.Format('Hello {}', $.name)"}, "ResultPath": "$.prepared", "OutputPath": "$", "Next": "Call"},
    "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:F", "Payload": {"token.$": "$$.Task.Token"}},
      "ResultSelector": {"body.$": "$.Payload"}, "ResultPath": null, "TimeoutSecondsPath": "$.timeout", "HeartbeatSeconds": 60,
      "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 2, "MaxAttempts": 6, "BackoffRate": 2, "MaxDelaySeconds": 30, "JitterStrategy": "FULL"},
                {"ErrorEquals": ["States.ALL"]}],
      "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "Expired"}, {"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
      "Next": "Decide"},
    "Decide": {"Type": "Choice", "Choices": [
        {"Variable": "$.status", "StringEquals": "accepted", "Next": "Fanout"},
        {"And": [{"Variable": "$.n", "IsPresent": true}, {"Not": {"Variable": "$.n", "NumericLessThanPath": "$.min"}}], "Next": "Later"}],
      "Default": "Failed"},
    "Later": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Until"},
    "Until": {"Type": "Wait", "Timestamp": "2030-01-01T00:00:00Z", "Next": "Fanout"},
    "Fanout": {"Type": "Parallel", "Branches": [
        {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": true}}},
        {"StartAt": "B2", "States": {"B2": {"Type": "Wait", "Seconds": 0, "Next": "B3"}, "B3": {"Type": "Succeed"}}}],
      "ResultSelector": {"first.$": "$[0]"}, "ResultPath": "$.parallel", "Retry": [{"ErrorEquals": ["States.BranchFailed"], "MaxAttempts": 1}], "Next": "Each"},
    "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
      "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value"},
      "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": true}}},
      "ResultPath": "$.mapped", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}], "Next": "LegacyMap"},
    "LegacyMap": {"Type": "Map", "Parameters": {"v.$": "$$.Map.Item.Value"}, "Iterator": {"StartAt": "It", "States": {"It": {"Type": "Pass", "End": true}}}, "End": true},
    "Expired": {"Type": "Fail", "Error": "ConsentExpired", "CausePath": "States.Format('token for {} expired', $.id)"},
    "Failed": {"Type": "Fail", "ErrorPath": "$.error.Error", "Cause": "failed"}
  }
}`

func TestParseFullDefinition(t *testing.T) {
	sm, err := Parse([]byte(fullDefinition))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(sm.Order, ","), "Prepare,Call,Decide,Later,Until,Fanout,Each,LegacyMap,Expired,Failed"; got != want {
		t.Errorf("Order = %s, want %s", got, want)
	}
	if sm.TimeoutSeconds != 3600 || sm.Version != "1.0" || sm.StartAt != "Prepare" {
		t.Errorf("top-level fields: %+v", sm)
	}
	p := sm.States["Prepare"]
	if p.InputPath != PathOf("$.in") || p.ResultPath != PathOf("$.prepared") || !p.HasParameters || p.Next != "Call" {
		t.Errorf("Prepare = %+v", p)
	}
	c := sm.States["Call"]
	if c.ResultPath != NullPath() || c.OutputPath.Set || !c.HasResultSelector || c.HeartbeatSeconds != 60 || c.TimeoutSecondsPath != "$.timeout" {
		t.Errorf("Call = %+v", c)
	}
	if len(c.Retry) != 2 || c.Retry[1].MaxAttempts != 3 || c.Catch[0].ResultPath != PathOf("$.error") || c.Catch[1].ResultPath.Set {
		t.Errorf("Call retry/catch = %+v %+v", c.Retry, c.Catch)
	}
	d := sm.States["Decide"]
	if len(d.Choices) != 2 || d.Choices[0].Operator != "StringEquals" || d.Choices[1].And[1].Not.Operator != "NumericLessThanPath" || d.Default != "Failed" {
		t.Errorf("Decide = %+v", d)
	}
	if f := sm.States["Fanout"]; len(f.Branches) != 2 || f.Branches[1].StartAt != "B2" || len(f.Branches[1].States) != 2 {
		t.Errorf("Fanout = %+v", f)
	}
	e := sm.States["Each"]
	if e.ItemsPath != "$.items" || e.MaxConcurrency != 2 || !e.HasItemSelector || e.ItemProcessor.ProcessorMode != "INLINE" || e.ItemProcessor.StartAt != "Item" {
		t.Errorf("Each = %+v", e)
	}
	l := sm.States["LegacyMap"]
	if l.HasParameters || !l.HasItemSelector || l.ItemsPath != "$" || l.ItemProcessor == nil || l.ItemProcessor.StartAt != "It" {
		t.Errorf("LegacyMap: Map's Parameters must become ItemSelector and Iterator the ItemProcessor: %+v", l)
	}
	if w := sm.States["Until"]; w.Timestamp != "2030-01-01T00:00:00Z" || w.Seconds != nil {
		t.Errorf("Until = %+v", w)
	}
	if f := sm.States["Failed"]; f.ErrorPath != "$.error.Error" || f.Cause != "failed" {
		t.Errorf("Failed = %+v", f)
	}
	if MustParse(fullDefinition).StartAt != "Prepare" {
		t.Error("MustParse")
	}
}

func TestParseProblems(t *testing.T) {
	// def wraps states into a definition starting at "A".
	def := func(states string) string { return `{"StartAt": "A", "States": {` + states + `}}` }
	task := `"Type": "Task", "Resource": "` + lambdaARN + `"`
	tests := []struct {
		name string
		def  string
		want []string // substrings; every one must appear in some problem
	}{
		{"not JSON", `{"StartAt":`, []string{"INVALID_JSON_DESCRIPTION"}},
		{"not an object", `[]`, []string{"must be a JSON object"}},
		{"duplicate key", `{"StartAt": "A", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}}`, []string{"Duplicate field at /StartAt"}},
		{"missing StartAt", `{"States": {"A": {"Type": "Succeed"}}}`, []string{"required: [StartAt] at /"}},
		{"missing States", `{"StartAt": "A"}`, []string{"required: [States]"}},
		{"empty States", `{"StartAt": "A", "States": {}}`, []string{"at least one state", "Missing 'StartAt' target: A"}},
		{"StartAt to nowhere", `{"StartAt": "X", "States": {"A": {"Type": "Succeed"}}}`, []string{"MISSING_TRANSITION_TARGET: Missing 'StartAt' target: X at /StartAt"}},
		{"unknown top-level field", `{"StartAt": "A", "Foo": 1, "States": {"A": {"Type": "Succeed"}}}`, []string{"Field 'Foo' is not supported by the state machine at /Foo"}},
		{"bad Version", `{"StartAt": "A", "Version": "2.0", "States": {"A": {"Type": "Succeed"}}}`, []string{"Version must be"}},
		{"bad TimeoutSeconds", `{"StartAt": "A", "TimeoutSeconds": 0, "States": {"A": {"Type": "Succeed"}}}`, []string{"TimeoutSeconds must be an integer from 1"}},
		{"JSONata", `{"StartAt": "A", "QueryLanguage": "JSONata", "States": {"A": {"Type": "Succeed"}}}`, []string{"QueryLanguage' must be \"JSONPath\""}},

		{"missing Type", def(`"A": {"End": true}`), []string{"required: [Type] at /States/A"}},
		{"unknown type", def(`"A": {"Type": "Sleep", "End": true}`), []string{`"Sleep" is not a valid state type: use Task, Pass, Choice, Wait, Succeed, Fail, Parallel or Map at /States/A/Type`}},
		{"state not an object", def(`"A": 5`), []string{"A state must be a JSON object at /States/A"}},
		{"long state name", `{"StartAt": "` + strings.Repeat("x", 81) + `", "States": {"` + strings.Repeat("x", 81) + `": {"Type": "Succeed"}}}`, []string{"1 to 80 characters"}},
		{"missing Next and End", def(`"A": {"Type": "Pass"}`), []string{"One of the fields [Next, End] is required at /States/A"}},
		{"End false without Next", def(`"A": {"Type": "Pass", "End": false}`), []string{"One of the fields [Next, End] is required"}},
		{"both Next and End", def(`"A": {"Type": "Pass", "Next": "B", "End": true}, "B": {"Type": "Succeed"}`), []string{"Only one of the fields [Next, End] can be set at /States/A"}},
		{"Next to nowhere", def(`"A": {"Type": "Pass", "Next": "Nope"}`), []string{"MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /States/A/Next"}},
		{"unreachable state", def(`"A": {"Type": "Succeed"}, "B": {"Type": "Succeed"}`), []string{`MISSING_TRANSITION_TARGET: State "B" is not reachable. at /States/B`}},
		{"unreachable cycle", def(`"A": {"Type": "Succeed"}, "B": {"Type": "Pass", "Next": "C"}, "C": {"Type": "Pass", "Next": "B"}`), []string{`State "B" is not reachable`, `State "C" is not reachable`}},
		{"End must be boolean", def(`"A": {"Type": "Pass", "End": "yes"}`), []string{"End must be a boolean"}},
		{"field for another type", def(`"A": {"Type": "Pass", "Resource": "` + lambdaARN + `", "End": true}`), []string{"Field 'Resource' is not supported by state type 'Pass' at /States/A/Resource"}},
		{"Succeed with Next", def(`"A": {"Type": "Succeed", "Next": "A"}`), []string{"Field 'Next' is not supported by state type 'Succeed'"}},
		{"Fail with InputPath", def(`"A": {"Type": "Fail", "InputPath": "$"}`), []string{"Field 'InputPath' is not supported by state type 'Fail'"}},
		{"Choice with End", def(`"A": {"Type": "Choice", "End": true, "Choices": [{"Variable": "$.a", "IsNull": true, "Next": "A"}]}`), []string{"Field 'End' is not supported by state type 'Choice'"}},
		{"Assign unsupported", def(`"A": {"Type": "Pass", "Assign": {"x": 1}, "End": true}`), []string{"Field 'Assign' (variables) is not supported by the local engine"}},

		{"Retry on Pass", def(`"A": {"Type": "Pass", "Retry": [{"ErrorEquals": ["States.ALL"]}], "End": true}`), []string{"Field 'Retry' is not supported by state type 'Pass'"}},
		{"Catch on Wait", def(`"A": {"Type": "Wait", "Seconds": 1, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "A"}], "End": true}`), []string{"Field 'Catch' is not supported by state type 'Wait'"}},
		{"Retry on Choice", def(`"A": {"Type": "Choice", "Retry": [], "Choices": [{"Variable": "$.a", "IsNull": true, "Next": "B"}]}, "B": {"Type": "Succeed"}`), []string{"Field 'Retry' is not supported by state type 'Choice'"}},
		{"States.ALL not last in Retry", def(`"A": {` + task + `, "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}], "End": true}`), []string{"States.ALL must appear in the last retrier or catcher at /States/A/Retry/0/ErrorEquals"}},
		{"States.ALL not alone", def(`"A": {` + task + `, "Catch": [{"ErrorEquals": ["X", "States.ALL"], "Next": "A"}], "End": true}`), []string{"States.ALL must appear alone in ErrorEquals at /States/A/Catch/0/ErrorEquals"}},
		{"empty ErrorEquals", def(`"A": {` + task + `, "Retry": [{"ErrorEquals": []}], "End": true}`), []string{"ErrorEquals must be a non-empty array"}},
		{"missing ErrorEquals", def(`"A": {` + task + `, "Retry": [{"MaxAttempts": 1}], "End": true}`), []string{"required: [ErrorEquals] at /States/A/Retry/0"}},
		{"bad retrier fields", def(`"A": {` + task + `, "Retry": [{"ErrorEquals": ["X"], "IntervalSeconds": 0, "MaxAttempts": -1, "BackoffRate": 0.5, "MaxDelaySeconds": 0, "JitterStrategy": "HALF", "Foo": 1}], "End": true}`),
			[]string{"IntervalSeconds must be an integer from 1", "MaxAttempts must be an integer from 0", "BackoffRate must be a number greater than or equal to 1.0", "MaxDelaySeconds must be an integer from 1", "JitterStrategy must be FULL or NONE", "Field 'Foo' is not supported by a retrier"}},
		{"catcher without Next", def(`"A": {` + task + `, "Catch": [{"ErrorEquals": ["X"]}], "End": true}`), []string{"required: [Next] at /States/A/Catch/0"}},
		{"catcher Next to nowhere", def(`"A": {` + task + `, "Catch": [{"ErrorEquals": ["X"], "Next": "Nope"}], "End": true}`), []string{"Missing 'Next' target: Nope at /States/A/Catch/0/Next"}},
		{"catcher ResultPath not a reference path", def(`"A": {` + task + `, "Catch": [{"ErrorEquals": ["X"], "Next": "A", "ResultPath": "$.a[*]"}], "End": true}`), []string{"must be a valid reference path: $.a[*] at /States/A/Catch/0/ResultPath"}},

		{"Task without Resource", def(`"A": {"Type": "Task", "End": true}`), []string{"required: [Resource] at /States/A"}},
		{"Resource not an ARN", def(`"A": {"Type": "Task", "Resource": "my-function", "End": true}`), []string{"Value is not a valid resource ARN"}},
		{"unsubstituted Resource", def(`"A": {"Type": "Task", "Resource": "${FnArn}", "End": true}`), []string{"Value is not a valid resource ARN"}},
		{"TimeoutSeconds and Path", def(`"A": {` + task + `, "TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t", "End": true}`), []string{"Only one of the fields [TimeoutSeconds, TimeoutSecondsPath]"}},
		{"HeartbeatSeconds and Path", def(`"A": {` + task + `, "HeartbeatSeconds": 5, "HeartbeatSecondsPath": "$.t", "End": true}`), []string{"Only one of the fields [HeartbeatSeconds, HeartbeatSecondsPath]"}},
		{"heartbeat not below timeout", def(`"A": {` + task + `, "TimeoutSeconds": 5, "HeartbeatSeconds": 5, "End": true}`), []string{"HeartbeatSeconds must be smaller than TimeoutSeconds"}},
		{"TimeoutSeconds zero", def(`"A": {` + task + `, "TimeoutSeconds": 0, "End": true}`), []string{"TimeoutSeconds must be an integer from 1 to 99999999"}},
		{"TimeoutSeconds decimal", def(`"A": {` + task + `, "TimeoutSeconds": 1.5, "End": true}`), []string{"TimeoutSeconds must be an integer"}},
		{"TimeoutSecondsPath not a reference path", def(`"A": {` + task + `, "TimeoutSecondsPath": "$..t", "End": true}`), []string{"'TimeoutSecondsPath' must be a valid reference path"}},

		{"bad InputPath", def(`"A": {"Type": "Pass", "InputPath": "a.b", "End": true}`), []string{"The value for the field 'InputPath' must be a valid JSONPath: a.b at /States/A/InputPath"}},
		{"InputPath not a string", def(`"A": {"Type": "Pass", "InputPath": 5, "End": true}`), []string{"InputPath must be a path string or null"}},
		{"bad OutputPath", def(`"A": {"Type": "Pass", "OutputPath": "$.a.length()", "End": true}`), []string{"'OutputPath' must be a valid JSONPath"}},
		{"ResultPath with wildcard", def(`"A": {"Type": "Pass", "ResultPath": "$.a[*]", "End": true}`), []string{"'ResultPath' must be a valid reference path: $.a[*]"}},
		{"ResultPath into the context", def(`"A": {"Type": "Pass", "ResultPath": "$$.a", "End": true}`), []string{"'ResultPath' must be a valid reference path: $$.a"}},
		{"Parameters path not a string", def(`"A": {"Type": "Pass", "Parameters": {"x.$": 5}, "End": true}`), []string{"The value for the field 'x.$' must be a STRING that contains a JSONPath or an intrinsic function at /States/A/Parameters/x.$"}},
		{"Parameters bad path", def(`"A": {"Type": "Pass", "Parameters": {"deep": [{"x.$": "x"}]}, "End": true}`), []string{"'x.$' must be a valid JSONPath or a valid intrinsic function call", "at /States/A/Parameters/deep/0/x.$"}},
		{"Parameters bad intrinsic", def(`"A": {"Type": "Pass", "Parameters": {"x.$": "States.Nope($.a)"}, "End": true}`), []string{"unknown intrinsic function States.Nope"}},
		{"Parameters intrinsic arity", def(`"A": {"Type": "Pass", "Parameters": {"x.$": "States.ArrayGetItem($.a)"}, "End": true}`), []string{"States.ArrayGetItem takes 2 arguments, got 1"}},
		{"ResultSelector bad path", def(`"A": {` + task + `, "ResultSelector": {"x.$": "$["}, "End": true}`), []string{"at /States/A/ResultSelector/x.$"}},

		{"Choice without Choices", def(`"A": {"Type": "Choice", "Default": "B"}, "B": {"Type": "Succeed"}`), []string{"required: [Choices] at /States/A"}},
		{"Choice with empty Choices", def(`"A": {"Type": "Choice", "Choices": [], "Default": "B"}, "B": {"Type": "Succeed"}`), []string{"Choices must be a non-empty array"}},
		{"Choice rule without Next", def(`"A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": true}], "Default": "B"}, "B": {"Type": "Succeed"}`), []string{"required: [Next] at /States/A/Choices/0"}},
		{"Choice Next to nowhere", def(`"A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": true, "Next": "Nope"}], "Default": "B"}, "B": {"Type": "Succeed"}`), []string{"Missing 'Next' target: Nope at /States/A/Choices/0/Next"}},
		{"Choice Default to nowhere", def(`"A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": true, "Next": "B"}], "Default": "Nope"}, "B": {"Type": "Succeed"}`), []string{"Missing 'Next' target: Nope at /States/A/Default"}},
		{"Choice rule with two operators", def(`"A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": true, "IsString": true, "Next": "B"}]}, "B": {"Type": "Succeed"}`), []string{"exactly one comparison operator or And, Or, Not (found 2)"}},
		{"Choice rule without operator", def(`"A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "Next": "B"}]}, "B": {"Type": "Succeed"}`), []string{"(found 0)"}},
		{"Choice rule unknown operator", def(`"A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "StringContains": "x", "Next": "B"}]}, "B": {"Type": "Succeed"}`), []string{"Field 'StringContains' is not supported by a choice rule"}},
		{"Choice rule without Variable", def(`"A": {"Type": "Choice", "Choices": [{"StringEquals": "x", "Next": "B"}]}, "B": {"Type": "Succeed"}`), []string{"required: [Variable] at /States/A/Choices/0"}},
		{"Choice rule bad Variable", def(`"A": {"Type": "Choice", "Choices": [{"Variable": "a", "StringEquals": "x", "Next": "B"}]}, "B": {"Type": "Succeed"}`), []string{"'Variable' must be a valid JSONPath"}},
		{"Choice nested Next", def(`"A": {"Type": "Choice", "Choices": [{"Not": {"Variable": "$.a", "IsNull": true, "Next": "B"}, "Next": "B"}]}, "B": {"Type": "Succeed"}`), []string{"Nested choice rules must not have Next at /States/A/Choices/0/Not/Next"}},
		{"Choice empty And", def(`"A": {"Type": "Choice", "Choices": [{"And": [], "Next": "B"}]}, "B": {"Type": "Succeed"}`), []string{"And must be a non-empty array of choice rules"}},
		{"Choice And with Variable", def(`"A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "Or": [{"Variable": "$.a", "IsNull": true}], "Next": "B"}]}, "B": {"Type": "Succeed"}`), []string{"Variable is not allowed with Or"}},
		{"Choice wrong literal types", def(`"A": {"Type": "Choice", "Choices": [
			{"Variable": "$.a", "NumericEquals": "5", "Next": "B"}, {"Variable": "$.a", "StringEquals": 5, "Next": "B"},
			{"Variable": "$.a", "BooleanEquals": "true", "Next": "B"}, {"Variable": "$.a", "IsNull": 1, "Next": "B"},
			{"Variable": "$.a", "TimestampEquals": "yesterday", "Next": "B"}, {"Variable": "$.a", "StringEqualsPath": "$.b[*]", "Next": "B"}]},
			"B": {"Type": "Succeed"}`),
			[]string{"NumericEquals must be a number", "StringEquals must be a string", "BooleanEquals must be a boolean", "IsNull must be a boolean",
				"TimestampEquals must be a valid timestamp", "'StringEqualsPath' must be a valid reference path"}},

		{"Wait without duration", def(`"A": {"Type": "Wait", "End": true}`), []string{"Exactly one of the fields [Seconds, Timestamp, SecondsPath, TimestampPath] is required"}},
		{"Wait with two durations", def(`"A": {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": true}`), []string{"Exactly one of the fields"}},
		{"Wait negative seconds", def(`"A": {"Type": "Wait", "Seconds": -1, "End": true}`), []string{"Seconds must be an integer from 0"}},
		{"Wait bad timestamp", def(`"A": {"Type": "Wait", "Timestamp": "2030-01-01 00:00:00", "End": true}`), []string{"Value is not a valid timestamp"}},
		{"Wait bad SecondsPath", def(`"A": {"Type": "Wait", "SecondsPath": "$.s[*]", "End": true}`), []string{"'SecondsPath' must be a valid reference path"}},

		{"Fail with Error and ErrorPath", def(`"A": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}`), []string{"Only one of the fields [Error, ErrorPath] can be set at /States/A"}},
		{"Fail with Cause and CausePath", def(`"A": {"Type": "Fail", "Cause": "C", "CausePath": "$.c"}`), []string{"Only one of the fields [Cause, CausePath] can be set"}},
		{"Fail CausePath intrinsic not returning a string", def(`"A": {"Type": "Fail", "CausePath": "States.ArrayLength($.a)"}`), []string{"States.ArrayLength cannot be used in 'CausePath'"}},
		{"empty Next", def(`"A": {"Type": "Pass", "Next": ""}`), []string{"Next must name a state at /States/A/Next"}},
		{"empty Default", def(`"A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": true, "Next": "B"}], "Default": ""}, "B": {"Type": "Succeed"}`), []string{"Default must name a state"}},
		{"SecondsPath from the context object", def(`"A": {"Type": "Wait", "SecondsPath": "$$.Execution.Input.s", "End": true}`), []string{"'SecondsPath' must be a valid reference path: $$.Execution.Input.s"}},
		{"Fail bad CausePath", def(`"A": {"Type": "Fail", "CausePath": "cause"}`), []string{"'CausePath' must be a valid JSONPath or a valid intrinsic function call"}},

		{"Parallel without Branches", def(`"A": {"Type": "Parallel", "End": true}`), []string{"required: [Branches] at /States/A"}},
		{"Parallel empty Branches", def(`"A": {"Type": "Parallel", "Branches": [], "End": true}`), []string{"Branches must be a non-empty array"}},
		{"Parallel branch problems", def(`"A": {"Type": "Parallel", "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass"}, "Y": {"Type": "Succeed"}}}, {"States": {}}], "End": true}`),
			[]string{"One of the fields [Next, End] is required at /States/A/Branches/0/States/X", `State "Y" is not reachable. at /States/A/Branches/0/States/Y`, "required: [StartAt] at /States/A/Branches/1"}},
		{"branch Next leaves the branch", def(`"A": {"Type": "Parallel", "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "B"}}}], "Next": "B"}, "B": {"Type": "Succeed"}`),
			[]string{"Missing 'Next' target: B at /States/A/Branches/0/States/X/Next"}},
		{"branch with TimeoutSeconds", def(`"A": {"Type": "Parallel", "Branches": [{"StartAt": "X", "TimeoutSeconds": 5, "States": {"X": {"Type": "Succeed"}}}], "End": true}`),
			[]string{"Field 'TimeoutSeconds' is not supported by a Parallel branch"}},
		{"duplicate state names across branches", def(`"A": {"Type": "Parallel", "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}], "End": true}`),
			[]string{"DUPLICATE_STATE_NAME: Duplicate State name: A"}},

		{"Map without ItemProcessor", def(`"A": {"Type": "Map", "End": true}`), []string{"required: [ItemProcessor] at /States/A"}},
		{"Map with ItemProcessor and Iterator", def(`"A": {"Type": "Map", "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}, "Iterator": {"StartAt": "Y", "States": {"Y": {"Type": "Succeed"}}}, "End": true}`),
			[]string{"Only one of the fields [ItemProcessor, Iterator] can be set"}},
		{"Map with ItemSelector and Parameters", def(`"A": {"Type": "Map", "ItemSelector": {}, "Parameters": {}, "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}, "End": true}`),
			[]string{"Only one of the fields [ItemSelector, Parameters] can be set"}},
		{"Map processor problems", def(`"A": {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "FAST"}, "StartAt": "X", "States": {"X": {"Type": "Task", "End": true}}}, "End": true}`),
			[]string{"Mode must be INLINE or DISTRIBUTED", "required: [Resource] at /States/A/ItemProcessor/States/X"}},
		{"Map bad ItemsPath", def(`"A": {"Type": "Map", "ItemsPath": "$.a[*]", "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}, "End": true}`),
			[]string{"'ItemsPath' must be a valid reference path"}},
		{"Map negative MaxConcurrency", def(`"A": {"Type": "Map", "MaxConcurrency": -1, "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}, "End": true}`),
			[]string{"MaxConcurrency must be an integer from 0"}},
		{"Map ItemReader unsupported", def(`"A": {"Type": "Map", "ItemReader": {}, "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}, "End": true}`),
			[]string{"Field 'ItemReader' (Distributed Map) is not supported by the local engine"}},
		{"Map ResultSelector on Pass is refused", def(`"A": {"Type": "Pass", "ResultSelector": {}, "End": true}`), []string{"Field 'ResultSelector' is not supported by state type 'Pass'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sm, err := Parse([]byte(tt.def))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse = %v, %v; want a *ValidationError", sm, err)
			}
			all := strings.Join(ve.Problems, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("problems do not mention %q:\n%s", w, all)
				}
			}
			if !strings.HasPrefix(err.Error(), "Invalid State Machine Definition: '") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

// TestParseReportsEveryProblem checks that one Parse call lists all problems,
// as CreateStateMachine does, instead of stopping at the first.
func TestParseReportsEveryProblem(t *testing.T) {
	_, err := Parse([]byte(`{"StartAt": "A", "States": {
	  "A": {"Type": "Pass", "Next": "Nope"},
	  "B": {"Type": "Pass"},
	  "C": {"Type": "Wait", "End": true}}}`))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Parse = %v", err)
	}
	want := []string{
		"MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /States/A/Next",
		`MISSING_TRANSITION_TARGET: State "B" is not reachable. at /States/B`,
		`MISSING_TRANSITION_TARGET: State "C" is not reachable. at /States/C`,
		"SCHEMA_VALIDATION_FAILED: Exactly one of the fields [Seconds, Timestamp, SecondsPath, TimestampPath] is required at /States/C",
		"SCHEMA_VALIDATION_FAILED: One of the fields [Next, End] is required at /States/B",
	}
	got := sortProblems(ve.Problems)
	if strings.Join(got, "\n") != strings.Join(sortProblems(want), "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(sortProblems(want), "\n"))
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParse of an invalid definition did not panic")
		}
	}()
	MustParse(`{}`)
}
