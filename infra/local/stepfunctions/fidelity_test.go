package stepfunctions

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// The tests in this file pin what executions recorded on AWS Step Functions
// show, where the engine used to differ; the language half of each case is
// tested in package asl.

// wantRuntimeError checks that an execution failed with States.Runtime and the
// cause, in DescribeExecution and in its ExecutionFailed event, and returns
// its history.
func (v *testEnv) wantRuntimeError(execArn, cause string) []types.HistoryEvent {
	v.t.Helper()
	d := v.wantStatus(execArn, types.ExecutionStatusFailed)
	if got, want := aws.ToString(d.Error), "States.Runtime"; got != want {
		v.t.Errorf("error = %q, want %q", got, want)
	}
	if got := aws.ToString(d.Cause); got != cause {
		v.t.Errorf("cause = %q\nwant    %q", got, cause)
	}
	evs := v.history(execArn)
	failed := eventsOf(evs, types.HistoryEventTypeExecutionFailed)
	if len(failed) != 1 {
		v.t.Fatalf("ExecutionFailed events: %v", eventTypes(evs))
	}
	if got := aws.ToString(failed[0].ExecutionFailedEventDetails.Cause); got != cause {
		v.t.Errorf("ExecutionFailed cause = %q\nwant %q", got, cause)
	}
	return evs
}

// TestRuntimeErrorCauses: AWS starts every States.Runtime cause with the
// state it happened in and the id of that state's StateEntered event, then
// words the problem its own way. The causes below are as recorded on AWS.
func TestRuntimeErrorCauses(t *testing.T) {
	v := newTestEnv(t)
	v.eng.RegisterFunction("id", lambda.NewHandler(func(ctx context.Context, in map[string]any) (map[string]any, error) {
		return map[string]any{"StatusCode": 200}, nil
	}))
	tests := []struct {
		name, definition, input, cause string
	}{
		{"Wait SecondsPath negative",
			`{"StartAt": "WaitState", "States": {"WaitState": {"Type": "Wait", "SecondsPath": "$.input.waitSeconds", "End": true}}}`,
			`{"input": {"waitSeconds": -1}}`,
			"An error occurred while executing the state 'WaitState' (entered at the event id #2). The SecondsPath parameter references a negative value: $.input.waitSeconds == -1"},
		{"Wait SecondsPath not a long, after another state",
			`{"StartAt": "Start", "States": {"Start": {"Type": "Pass", "Next": "WaitState"},
			  "WaitState": {"Type": "Wait", "SecondsPath": "$.input.waitSeconds", "End": true}}}`,
			`{"input": {"waitSeconds": 1.5}}`,
			"An error occurred while executing the state 'WaitState' (entered at the event id #4). The SecondsPath parameter cannot be parsed as a long value: $.input.waitSeconds == 1.5"},
		{"Map MaxConcurrencyPath not an integer",
			`{"StartAt": "MapState", "States": {"MapState": {"Type": "Map", "ItemsPath": "$.Values", "MaxConcurrencyPath": "$.MaxConcurrencyValue",
			  "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "HandleItem", "States": {"HandleItem": {"Type": "Pass", "End": true}}},
			  "Next": "Final"}, "Final": {"Type": "Pass", "End": true}}}`,
			`{"Values": ["HelloWorld"], "MaxConcurrencyValue": "NoNumber"}`,
			`An error occurred while executing the state 'MapState' (entered at the event id #2). The MaxConcurrencyPath field refers to value "NoNumber" which is not a valid integer: $.MaxConcurrencyValue`},
		{"InputPath missing",
			`{"StartAt": "pass", "States": {"pass": {"Type": "Pass", "InputPath": "$.NoSuchInputPath", "End": true}}}`,
			`{"a": 1}`,
			"An error occurred while executing the state 'pass' (entered at the event id #2). Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']"},
		{"OutputPath missing",
			`{"StartAt": "pass", "States": {"pass": {"Type": "Pass", "OutputPath": "$.NoSuchOutputPath", "End": true}}}`,
			`{}`,
			"An error occurred while executing the state 'pass' (entered at the event id #2). Invalid path '$.NoSuchOutputPath' : No results for path: $['NoSuchOutputPath']"},
		// The id is the state's entry, also when the path fails after its
		// task ran (events 3 to 5).
		{"OutputPath missing after a task",
			`{"StartAt": "Invoke", "States": {"Invoke": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:id",
			  "OutputPath": "$.Payload", "End": true}}}`,
			`{}`,
			"An error occurred while executing the state 'Invoke' (entered at the event id #2). Invalid path '$.Payload' : No results for path: $['Payload']"},
		{"ErrorPath missing",
			`{"StartAt": "pass", "States": {"pass": {"Type": "Pass", "Next": "fail", "Parameters": {"Error": "error-value"}},
			  "fail": {"Type": "Fail", "ErrorPath": "$.ErrorX"}}}`,
			`{}`,
			`An error occurred while executing the state 'fail' (entered at the event id #4). The JSONPath '$.ErrorX' specified for the field 'ErrorPath' could not be found in the input '{"Error":"error-value"}'`},
		{"CausePath missing",
			`{"StartAt": "fail", "States": {"fail": {"Type": "Fail", "Error": "E", "CausePath": "$.CauseX"}}}`,
			`{"Cause": "c"}`,
			`An error occurred while executing the state 'fail' (entered at the event id #2). The JSONPath '$.CauseX' specified for the field 'CausePath' could not be found in the input '{"Cause":"c"}'`},
		{"Parameters path missing",
			`{"StartAt": "pass", "States": {"pass": {"Type": "Pass", "Parameters": {"value.$": "$.no_such_jsonpath"}, "End": true}}}`,
			`{"a": 1}`,
			`An error occurred while executing the state 'pass' (entered at the event id #2). The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{"a":1}'`},
		{"TimeoutSecondsPath missing",
			`{"StartAt": "Invoke", "States": {"Invoke": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:id",
			  "TimeoutSecondsPath": "$.NoSuchTimeoutSecondsPath", "End": true}}}`,
			`{}`,
			"An error occurred while executing the state 'Invoke' (entered at the event id #2). Invalid path '$.NoSuchTimeoutSecondsPath' : No results for path: $['NoSuchTimeoutSecondsPath']"},
		// Not caught by States.ALL, and still prefixed.
		{"Catch does not see it",
			`{"StartAt": "Invoke", "States": {"Invoke": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:id",
			  "OutputPath": "$.no.such.result.path", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": true},
			  "Caught": {"Type": "Pass", "End": true}}}`,
			`{}`,
			"An error occurred while executing the state 'Invoke' (entered at the event id #2). Invalid path '$.no.such.result.path' : Missing property in path $['no']"},
		// In a branch, the cause names the state inside it, as AWS does
		// (ParallelStateEntered #2, ParallelStateStarted #3, Fast #4).
		{"inside a Parallel branch",
			`{"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
			  {"StartAt": "Fast", "States": {"Fast": {"Type": "Pass", "Parameters": {"m.$": "$.nope"}, "End": true}}}]}}}`,
			`{"x": "a"}`,
			`An error occurred while executing the state 'Fast' (entered at the event id #4). The JSONPath '$.nope' specified for the field 'm.$' could not be found in the input '{"x":"a"}'`},
		// MapStateEntered #2, MapStateStarted #3, then per item
		// MapIterationStarted, the inner state and its exit: the second
		// item's Item state is entered at #9.
		{"inside a Map iteration",
			`{"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": 1, "End": true,
			  "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "InputPath": "$.v", "End": true}}}}}}`,
			`[{"v": 1}, {}]`,
			"An error occurred while executing the state 'Item' (entered at the event id #9). Invalid path '$.v' : No results for path: $['v']"},
		{"Map ItemSelector",
			`{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemSelector": {"x.$": "$.nope"}, "End": true,
			  "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": true}}}}}}`,
			`[1]`,
			`An error occurred while executing the state 'M' (entered at the event id #2). The JSONPath '$.nope' specified for the field 'x.$' could not be found in the input '[1]'`},
	}
	defer func(outer *testing.T) { v.t = outer }(v.t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v.t = t
			sm := v.create("runtime-"+string(rune('a'+i)), tt.definition)
			v.wantRuntimeError(v.start(sm, "", tt.input), tt.cause)
		})
	}
}

// TestRuntimeErrorOfATaskKeepsItsEventBare: a task the engine cannot run
// with its parameters fails with States.Runtime; its TaskFailed event has
// the cause alone, and the execution's cause the prefix.
func TestRuntimeErrorOfATaskKeepsItsEventBare(t *testing.T) {
	v := newTestEnv(t)
	sm := v.create("bad-invoke", `{"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
	  "Parameters": {"FunctionName.$": "$.fn"}, "End": true}}}`)
	evs := v.wantRuntimeError(v.start(sm, "", `{"fn": 7}`),
		"An error occurred while executing the state 'Call' (entered at the event id #2). The field 'FunctionName' must be a non-empty string")
	failed := eventsOf(evs, types.HistoryEventTypeTaskFailed)
	if len(failed) != 1 || aws.ToString(failed[0].TaskFailedEventDetails.Cause) != "The field 'FunctionName' must be a non-empty string" {
		t.Errorf("TaskFailed events: %+v", failed)
	}
}

// TestLegacyIteratorWithProcessorConfig: AWS accepts a Map state's legacy
// Iterator with ProcessorConfig, as it accepts ItemProcessor.
func TestLegacyIteratorWithProcessorConfig(t *testing.T) {
	v := newTestEnv(t)
	sm := v.create("legacy-iterator", `{"StartAt": "MapState", "States": {
	  "MapState": {"Type": "Map", "MaxConcurrency": 1,
	    "Iterator": {"StartAt": "IteratorInner", "States": {"IteratorInner": {"Type": "Pass", "End": true}},
	      "ProcessorConfig": {"Mode": "INLINE"}},
	    "Next": "Finish"},
	  "Finish": {"Type": "Succeed"}}}`)
	d := v.wantStatus(v.start(sm, "", `["a", "b"]`), types.ExecutionStatusSucceeded)
	jsonEqual(t, aws.ToString(d.Output), `["a", "b"]`)

	// Distributed Map stays refused, at the field that asks for it.
	_, err := v.client.CreateStateMachine(v.ctx(), &sfn.CreateStateMachineInput{
		Name: aws.String("legacy-distributed"), RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		Definition: aws.String(`{"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
		  "Iterator": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}}}`)})
	e := wantAPIError[*types.InvalidDefinition](t, err)
	if !strings.Contains(e.ErrorMessage(), "Distributed Map is not supported by the local Step Functions engine at /States/M/Iterator/ProcessorConfig") {
		t.Errorf("message = %s", e.ErrorMessage())
	}
}

// TestJSONPathBackslashInName runs the definition recorded on AWS: the
// backslash in $['Test\""Name"'] is part of the key.
func TestJSONPathBackslashInName(t *testing.T) {
	v := newTestEnv(t)
	sm := v.create("escape", `{"StartAt": "JsonPathEscapeTest", "States": {"JsonPathEscapeTest": {"Type": "Pass",
	  "Parameters": {"value.$": "$['Test\\\"\"Name\"']"}, "End": true}}}`)
	d := v.wantStatus(v.start(sm, "", `{"Test\\\"\"Name\"": "HelloWorld"}`), types.ExecutionStatusSucceeded)
	jsonEqual(t, aws.ToString(d.Output), `{"value": "HelloWorld"}`)
}

// TestContextStateRetryCount: $$.State has RetryCount in the states that
// can retry (Task, Parallel, Map) and not in the others, as on AWS, where a
// Pass state's $$.State is {"Name", "EnteredTime"}.
func TestContextStateRetryCount(t *testing.T) {
	v := newTestEnv(t)
	calls := 0
	v.eng.RegisterFunction("flaky", lambda.NewHandler(func(ctx context.Context, in map[string]any) (map[string]any, error) {
		calls++
		if calls == 1 {
			return nil, &TransientError{N: calls}
		}
		return in, nil
	}))
	sm := v.create("context-state", `{"StartAt": "Pass", "States": {
	  "Pass": {"Type": "Pass", "Parameters": {"state.$": "$$.State"}, "ResultPath": "$.pass", "Next": "Task"},
	  "Task": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:flaky",
	    "Parameters": {"state.$": "$$.State"}, "ResultPath": "$.task",
	    "Retry": [{"ErrorEquals": ["TransientError"], "IntervalSeconds": 1}], "Next": "Map"},
	  "Map": {"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"state.$": "$$.State"}, "ResultPath": "$.map",
	    "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": true}}}, "Next": "Parallel"},
	  "Parallel": {"Type": "Parallel", "Parameters": {"state.$": "$$.State"}, "ResultPath": "$.parallel", "End": true,
	    "Branches": [{"StartAt": "Branch", "States": {"Branch": {"Type": "Pass", "End": true}}}]}}}`)
	exec := v.start(sm, "", `{"items": [1]}`)
	v.clock.Advance(time.Second)
	v.settle()
	d := v.wantStatus(exec, types.ExecutionStatusSucceeded)
	entered := t0.Format("2006-01-02T15:04:05.000Z")
	retried := t0.Format("2006-01-02T15:04:05.000Z") // the Task state was entered before its retry
	jsonEqual(t, aws.ToString(d.Output), `{"items": [1],
	  "pass": {"state": {"Name": "Pass", "EnteredTime": "`+entered+`"}},
	  "task": {"state": {"Name": "Task", "EnteredTime": "`+retried+`", "RetryCount": 1}},
	  "map": [{"state": {"Name": "Map", "EnteredTime": "`+t0.Add(time.Second).Format("2006-01-02T15:04:05.000Z")+`", "RetryCount": 0}}],
	  "parallel": [{"state": {"Name": "Parallel", "EnteredTime": "`+t0.Add(time.Second).Format("2006-01-02T15:04:05.000Z")+`", "RetryCount": 0}}]}`)
}
