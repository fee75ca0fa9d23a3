package stepfunctions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// PaymentError is a handler error type the state machine catches by name.
type PaymentError struct{ Reason string }

func (e *PaymentError) Error() string { return "payment failed: " + e.Reason }

// ValueError is an error type used as a value, not a pointer.
type ValueError struct{}

func (ValueError) Error() string { return "value error" }

// TransientError is retried by the test definitions.
type TransientError struct{ N int }

func (e *TransientError) Error() string { return fmt.Sprintf("transient failure %d", e.N) }

func TestLambdaErrorType(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"pointer type", &PaymentError{"declined"}, "PaymentError"},
		{"value type", ValueError{}, "ValueError"},
		{"errors.New", errors.New("x"), "errorString"},
		{"fmt.Errorf with %w", fmt.Errorf("wrap: %w", &PaymentError{}), "wrapError"},
		{"fmt.Errorf without %w", fmt.Errorf("plain"), "errorString"},
		{"InvokeResponse_Error value keeps its type", messages.InvokeResponse_Error{Type: "Custom.Name", Message: "m"}, "Custom.Name"},
		{"InvokeResponse_Error pointer is a type name", &messages.InvokeResponse_Error{Type: "Custom.Name"}, "InvokeResponse_Error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LambdaErrorType(tt.err); got != tt.want {
				t.Errorf("LambdaErrorType = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLambdaResultsAndErrors(t *testing.T) {
	v := newTestEnv(t)
	v.eng.RegisterFunction("arn:aws:lambda:eu-west-1:123456789012:function:charge", lambda.NewHandler(
		func(ctx context.Context, in struct{ Amount int }) (map[string]int, error) {
			if in.Amount > 100 {
				return nil, &PaymentError{Reason: "card <declined>"}
			}
			return map[string]int{"charged": in.Amount}, nil
		}))
	v.eng.RegisterFunction("boom", lambda.NewHandler(func() error { panic("boom") }))

	sm := v.create("lambdas", `{
	  "StartAt": "Bare",
	  "States": {
	    "Bare": {"Type": "Task", "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:charge",
	             "ResultPath": "$.bare", "Next": "Invoke"},
	    "Invoke": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
	               "Parameters": {"FunctionName": "charge:$LATEST", "Payload.$": "$"},
	               "ResultSelector": {"payload.$": "$.Payload", "status.$": "$.StatusCode", "version.$": "$.ExecutedVersion"},
	               "ResultPath": "$.invoke",
	               "Catch": [{"ErrorEquals": ["PaymentError"], "ResultPath": "$.failure", "Next": "Declined"}],
	               "End": true},
	    "Declined": {"Type": "Pass", "End": true}
	  }
	}`)

	ok := v.start(sm, "small", `{"Amount": 40}`)
	d := v.wantStatus(ok, types.ExecutionStatusSucceeded)
	jsonEqual(t, aws.ToString(d.Output),
		`{"Amount":40,"bare":{"charged":40},"invoke":{"payload":{"charged":40},"status":200,"version":"$LATEST"}}`)
	evs := v.history(ok)
	for _, typ := range []types.HistoryEventType{"LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskScheduled", "TaskSucceeded"} {
		if len(eventsOf(evs, typ)) != 1 {
			t.Errorf("want one %s event in %v", typ, eventTypes(evs))
		}
	}
	full := eventsOf(evs, types.HistoryEventTypeTaskSucceeded)[0].TaskSucceededEventDetails.Output
	for _, k := range []string{"ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"} {
		if !strings.Contains(aws.ToString(full), `"`+k+`"`) {
			t.Errorf("lambda:invoke result lacks %s: %s", k, aws.ToString(full))
		}
	}

	// A bare ARN task has no Catch: the PaymentError fails the execution.
	bad := v.start(sm, "big", `{"Amount": 500}`)
	d = v.wantStatus(bad, types.ExecutionStatusFailed)
	if got, want := aws.ToString(d.Error), "PaymentError"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	jsonEqual(t, aws.ToString(d.Cause), `{"errorMessage":"payment failed: card \u003cdeclined\u003e","errorType":"PaymentError"}`)
	lf := eventsOf(v.history(bad), types.HistoryEventTypeLambdaFunctionFailed)
	if len(lf) != 1 || aws.ToString(lf[0].LambdaFunctionFailedEventDetails.Error) != "PaymentError" {
		t.Fatalf("LambdaFunctionFailed = %+v", lf)
	}

	// A panicking handler is reported like the Go runtime reports it.
	smBoom := v.create("boom", `{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"boom"},"End":true}}}`)
	d = v.wantStatus(v.start(smBoom, "", `{}`), types.ExecutionStatusFailed)
	if got, want := aws.ToString(d.Error), "string"; got != want {
		t.Errorf("panic error = %q, want %q", got, want)
	}
	jsonEqual(t, aws.ToString(d.Cause), `{"errorMessage":"boom","errorType":"string"}`)

	// An unknown function fails like Lambda's ResourceNotFoundException.
	smMissing := v.create("missing", `{"StartAt":"M","States":{"M":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"nope"},"End":true}}}`)
	d = v.wantStatus(v.start(smMissing, "", `{}`), types.ExecutionStatusFailed)
	if got, want := aws.ToString(d.Error), "Lambda.ResourceNotFoundException"; got != want {
		t.Errorf("missing function error = %q, want %q", got, want)
	}
}

func TestCatchWithResultPath(t *testing.T) {
	v := newTestEnv(t)
	v.eng.RegisterFunction("refund", lambda.NewHandler(func(ctx context.Context) error {
		return &PaymentError{Reason: "insufficient funds"}
	}))
	sm := v.create("catch", `{
	  "StartAt": "Refund",
	  "States": {
	    "Refund": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
	               "Parameters": {"FunctionName": "refund", "Payload.$": "$"},
	               "Catch": [
	                 {"ErrorEquals": ["States.Timeout"], "Next": "Unreachable"},
	                 {"ErrorEquals": ["PaymentError", "Other"], "ResultPath": "$.failure", "Next": "Report"}
	               ],
	               "End": true},
	    "Unreachable": {"Type": "Fail", "Error": "Wrong"},
	    "Report": {"Type": "Pass", "Parameters": {"id.$": "$.id", "error.$": "$.failure.Error",
	               "cause.$": "States.StringToJson($.failure.Cause)"}, "End": true}
	  }
	}`)
	exec := v.start(sm, "", `{"id":"r-9"}`)
	d := v.wantStatus(exec, types.ExecutionStatusSucceeded)
	jsonEqual(t, aws.ToString(d.Output),
		`{"id":"r-9","error":"PaymentError","cause":{"errorMessage":"payment failed: insufficient funds","errorType":"PaymentError"}}`)
	exited := eventsOf(v.history(exec), types.HistoryEventTypeTaskStateExited)
	if len(exited) != 1 {
		t.Fatalf("TaskStateExited events: %d", len(exited))
	}
	if !strings.Contains(aws.ToString(exited[0].StateExitedEventDetails.Output), `"failure"`) {
		t.Errorf("caught state's exit output lacks the error: %s", aws.ToString(exited[0].StateExitedEventDetails.Output))
	}
}

func TestRetryBackoffOnVirtualClock(t *testing.T) {
	v := newTestEnv(t)
	var calls atomic.Int32
	v.eng.RegisterFunction("flaky", lambda.NewHandler(func(ctx context.Context) (string, error) {
		n := int(calls.Add(1))
		switch {
		case n == 1:
			return "", &ServiceError{Name: "Lambda.ServiceException", Cause: "Rate exceeded"}
		case n <= 4:
			return "", &TransientError{N: n}
		}
		return "done", nil
	}))
	sm := v.create("retry", `{
	  "StartAt": "Call",
	  "States": {
	    "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
	             "Parameters": {"FunctionName": "flaky"},
	             "OutputPath": "$.Payload",
	             "Retry": [
	               {"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 1, "MaxAttempts": 1},
	               {"ErrorEquals": ["TransientError"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 3},
	               {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 100}
	             ],
	             "End": true}
	  }
	}`)
	exec := v.start(sm, "", `{}`)
	v.wantStatus(exec, types.ExecutionStatusRunning)
	v.clock.Advance(time.Hour)
	d := v.wantStatus(exec, types.ExecutionStatusSucceeded)
	jsonEqual(t, aws.ToString(d.Output), `"done"`)

	evs := v.history(exec)
	sched := eventsOf(evs, types.HistoryEventTypeTaskScheduled)
	// Attempt times: t0, +1 (ServiceException retry), then +2, +6, +18.
	wantAt := []time.Duration{0, 1 * time.Second, 3 * time.Second, 9 * time.Second, 27 * time.Second}
	if len(sched) != len(wantAt) {
		t.Fatalf("%d attempts, want %d: %v", len(sched), len(wantAt), eventTypes(evs))
	}
	for i, e := range sched {
		if got := e.Timestamp.Sub(t0); got != wantAt[i] {
			t.Errorf("attempt %d at +%v, want +%v", i+1, got, wantAt[i])
		}
	}
	if got := d.StopDate.Sub(t0); got != 27*time.Second {
		t.Errorf("stopped at +%v, want +27s", got)
	}
	// 1 state entered + 4 retries.
	if got, want := BillableTransitions(evs), 5; got != want {
		t.Errorf("BillableTransitions = %d, want %d", got, want)
	}
	if got, _ := v.eng.StateTransitions(exec); got != 5 {
		t.Errorf("StateTransitions = %d, want 5", got)
	}
	failed := eventsOf(evs, types.HistoryEventTypeTaskFailed)
	if got, want := aws.ToString(failed[0].TaskFailedEventDetails.Error), "Lambda.ServiceException"; got != want {
		t.Errorf("first failure = %q, want %q", got, want)
	}
	if got, want := aws.ToString(failed[0].TaskFailedEventDetails.Cause), "Rate exceeded"; got != want {
		t.Errorf("first failure cause = %q, want %q", got, want)
	}
}

func TestRetriesExhaustedThenCaught(t *testing.T) {
	v := newTestEnv(t)
	var calls atomic.Int32
	v.eng.RegisterFunction("always", lambda.NewHandler(func(ctx context.Context) error {
		return &TransientError{N: int(calls.Add(1))}
	}))
	sm := v.create("exhaust", `{
	  "StartAt": "Call",
	  "States": {
	    "Call": {"Type": "Task", "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:always",
	             "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 5, "MaxAttempts": 2, "BackoffRate": 1}],
	             "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Done"}],
	             "End": true},
	    "Done": {"Type": "Succeed"}
	  }
	}`)
	exec := v.start(sm, "", `{"k":1}`)
	v.clock.Advance(time.Minute)
	d := v.wantStatus(exec, types.ExecutionStatusSucceeded)
	jsonEqual(t, aws.ToString(d.Output),
		`{"k":1,"err":{"Error":"TransientError","Cause":"{\"errorMessage\":\"transient failure 3\",\"errorType\":\"TransientError\"}"}}`)
	if got := calls.Load(); got != 3 {
		t.Errorf("calls = %d, want 3", got)
	}
	evs := v.history(exec)
	if got, want := BillableTransitions(evs), 4; got != want { // Call, Done, 2 retries
		t.Errorf("BillableTransitions = %d, want %d", got, want)
	}
	if got, _ := v.eng.StateTransitions(exec); got != 4 {
		t.Errorf("StateTransitions = %d, want 4", got)
	}
}

func TestWaitStates(t *testing.T) {
	v := newTestEnv(t)
	sm := v.create("waits", `{
	  "StartAt": "Fixed",
	  "States": {
	    "Fixed": {"Type": "Wait", "Seconds": 30, "Next": "FromPath"},
	    "FromPath": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Until"},
	    "Until": {"Type": "Wait", "TimestampPath": "$.until", "Next": "Past"},
	    "Past": {"Type": "Wait", "Timestamp": "2000-01-01T00:00:00Z", "OutputPath": "$.delay", "End": true}
	  }
	}`)
	exec := v.start(sm, "", `{"delay": 90, "until": "2025-03-01T10:00:00Z"}`)
	v.clock.Advance(29 * time.Second)
	v.wantStatus(exec, types.ExecutionStatusRunning)
	v.clock.Advance(24 * time.Hour)
	d := v.wantStatus(exec, types.ExecutionStatusSucceeded)
	jsonEqual(t, aws.ToString(d.Output), `90`)

	entered := eventsOf(v.history(exec), types.HistoryEventTypeWaitStateEntered)
	want := []time.Duration{0, 30 * time.Second, 120 * time.Second, time.Hour}
	for i, e := range entered {
		if got := e.Timestamp.Sub(t0); got != want[i] {
			t.Errorf("%s entered at +%v, want +%v", aws.ToString(e.StateEnteredEventDetails.Name), got, want[i])
		}
	}
	if got := d.StopDate.Sub(t0); got != time.Hour {
		t.Errorf("stopped at +%v, want +1h (a past timestamp does not wait)", got)
	}
}

func TestExecutionTimeout(t *testing.T) {
	v := newTestEnv(t)
	sm := v.create("slow", `{"TimeoutSeconds": 60, "StartAt": "W",
	  "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}}`)
	exec := v.start(sm, "", `{}`)
	v.clock.Advance(2 * time.Hour)
	d := v.wantStatus(exec, types.ExecutionStatusTimedOut)
	if got, want := d.StopDate.Sub(t0), time.Minute; got != want {
		t.Errorf("timed out at +%v, want +%v", got, want)
	}
	if got, want := aws.ToString(d.Error), "States.Timeout"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	evs := v.history(exec)
	if last := evs[len(evs)-1]; last.Type != types.HistoryEventTypeExecutionTimedOut {
		t.Errorf("last event %s, want ExecutionTimedOut", last.Type)
	}
}

func TestMapOrderingAndConcurrency(t *testing.T) {
	v := newTestEnv(t)
	var mu sync.Mutex
	inFlight, maxInFlight := 0, 0
	v.eng.RegisterFunction("square", lambda.NewHandler(func(ctx context.Context, in struct{ Index, Value int }) (int, error) {
		mu.Lock()
		inFlight++
		maxInFlight = max(maxInFlight, inFlight)
		mu.Unlock()
		mu.Lock()
		inFlight--
		mu.Unlock()
		return in.Value * in.Value, nil
	}))
	sm := v.create("map", `{
	  "StartAt": "Each",
	  "States": {
	    "Each": {
	      "Type": "Map",
	      "ItemsPath": "$.numbers",
	      "MaxConcurrency": 2,
	      "ItemSelector": {"Index.$": "$$.Map.Item.Index", "Value.$": "$$.Map.Item.Value", "wait.$": "$.wait"},
	      "ItemProcessor": {
	        "StartAt": "Stagger",
	        "States": {
	          "Stagger": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Square"},
	          "Square": {"Type": "Task", "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:square", "End": true}
	        }
	      },
	      "ResultPath": "$.squares",
	      "End": true
	    }
	  }
	}`)
	exec := v.start(sm, "", `{"numbers": [1, 2, 3, 4, 5], "wait": 10}`)
	v.clock.Advance(time.Minute)
	d := v.wantStatus(exec, types.ExecutionStatusSucceeded)
	jsonEqual(t, aws.ToString(d.Output), `{"numbers":[1,2,3,4,5],"wait":10,"squares":[1,4,9,16,25]}`)
	if maxInFlight > 2 {
		t.Errorf("max in flight = %d, want <= 2", maxInFlight)
	}
	evs := v.history(exec)
	started := eventsOf(evs, types.HistoryEventTypeMapIterationStarted)
	// Two iterations at a time, each waiting 10s: starts at 0,0,10,10,20.
	wantAt := []time.Duration{0, 0, 10 * time.Second, 10 * time.Second, 20 * time.Second}
	if len(started) != 5 {
		t.Fatalf("%d iterations started", len(started))
	}
	for i, e := range started {
		if got := e.Timestamp.Sub(t0); got != wantAt[i] {
			t.Errorf("iteration %d started at +%v, want +%v", e.MapIterationStartedEventDetails.Index, got, wantAt[i])
		}
	}
	if got := eventsOf(evs, types.HistoryEventTypeMapStateStarted)[0].MapStateStartedEventDetails.Length; got != 5 {
		t.Errorf("MapStateStarted length = %d, want 5", got)
	}
	// Map + 5 × (Wait + Task).
	if got, want := BillableTransitions(evs), 11; got != want {
		t.Errorf("BillableTransitions = %d, want %d", got, want)
	}
}

func TestMapResultsKeepItemOrder(t *testing.T) {
	v := newTestEnv(t)
	sm := v.create("map-order", `{
	  "StartAt": "Each",
	  "States": {
	    "Each": {
	      "Type": "Map",
	      "ItemProcessor": {
	        "StartAt": "Sleep",
	        "States": {
	          "Sleep": {"Type": "Wait", "SecondsPath": "$.s", "Next": "Name"},
	          "Name": {"Type": "Pass", "InputPath": "$.n", "End": true}
	        }
	      },
	      "End": true
	    }
	  }
	}`)
	// Later items finish first.
	exec := v.start(sm, "", `[{"n":"a","s":30},{"n":"b","s":20},{"n":"c","s":10},{"n":"d","s":0}]`)
	v.clock.Advance(time.Minute)
	d := v.wantStatus(exec, types.ExecutionStatusSucceeded)
	jsonEqual(t, aws.ToString(d.Output), `["a","b","c","d"]`)
	var order []int32
	for _, e := range eventsOf(v.history(exec), types.HistoryEventTypeMapIterationSucceeded) {
		order = append(order, e.MapIterationSucceededEventDetails.Index)
	}
	if fmt.Sprint(order) != "[3 2 1 0]" {
		t.Errorf("iterations finished in order %v, want [3 2 1 0]", order)
	}

	empty := v.start(sm, "", `[]`)
	jsonEqual(t, aws.ToString(v.wantStatus(empty, types.ExecutionStatusSucceeded).Output), `[]`)
}

func TestMapIterationFailureFailsMap(t *testing.T) {
	v := newTestEnv(t)
	sm := v.create("map-fail", `{
	  "StartAt": "Each",
	  "States": {
	    "Each": {
	      "Type": "Map",
	      "ItemProcessor": {
	        "StartAt": "Check",
	        "States": {
	          "Check": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": false, "Next": "Bad"}], "Default": "Slow"},
	          "Slow": {"Type": "Wait", "Seconds": 100, "End": true},
	          "Bad": {"Type": "Fail", "Error": "ItemRejected", "Cause": "item 1 is not ok"}
	        }
	      },
	      "Catch": [{"ErrorEquals": ["ItemRejected"], "Next": "Handled"}],
	      "End": true
	    },
	    "Handled": {"Type": "Pass", "End": true}
	  }
	}`)
	exec := v.start(sm, "", `[{"ok":true},{"ok":false},{"ok":true}]`)
	d := v.wantStatus(exec, types.ExecutionStatusSucceeded)
	jsonEqual(t, aws.ToString(d.Output), `{"Error":"ItemRejected","Cause":"item 1 is not ok"}`)
	evs := v.history(exec)
	if got := len(eventsOf(evs, types.HistoryEventTypeMapIterationFailed)); got != 1 {
		t.Errorf("MapIterationFailed events: %d", got)
	}
	if got := len(eventsOf(evs, types.HistoryEventTypeMapIterationAborted)); got != 2 {
		t.Errorf("MapIterationAborted events: %d, want 2", got)
	}
	if got := len(eventsOf(evs, types.HistoryEventTypeMapStateFailed)); got != 1 {
		t.Errorf("MapStateFailed events: %d", got)
	}
	// The aborted iterations' Wait timers are gone: advancing changes nothing.
	n := len(evs)
	v.clock.Advance(time.Hour)
	if got := len(v.history(exec)); got != n {
		t.Errorf("history grew from %d to %d after the Map failed", n, got)
	}
}

func TestParallelOrderingAndFailure(t *testing.T) {
	v := newTestEnv(t)
	sm := v.create("parallel", `{
	  "StartAt": "Both",
	  "States": {
	    "Both": {
	      "Type": "Parallel",
	      "Branches": [
	        {"StartAt": "Slow", "States": {
	          "Slow": {"Type": "Wait", "Seconds": 20, "Next": "A"},
	          "A": {"Type": "Pass", "Result": "first", "End": true}}},
	        {"StartAt": "Fast", "States": {
	          "Fast": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "BooleanEquals": true, "Next": "Boom"}], "Default": "B"},
	          "B": {"Type": "Pass", "Parameters": {"second.$": "$.x"}, "End": true},
	          "Boom": {"Type": "Fail", "Error": "BranchBroke"}}}
	      ],
	      "ResultSelector": {"a.$": "$[0]", "b.$": "$[1].second"},
	      "ResultPath": "$.results",
	      "End": true
	    }
	  }
	}`)
	exec := v.start(sm, "", `{"x": 7, "fail": false}`)
	v.clock.Advance(time.Minute)
	d := v.wantStatus(exec, types.ExecutionStatusSucceeded)
	jsonEqual(t, aws.ToString(d.Output), `{"x":7,"fail":false,"results":{"a":"first","b":7}}`)
	evs := v.history(exec)
	if got := eventsOf(evs, types.HistoryEventTypeParallelStateSucceeded)[0].Timestamp.Sub(t0); got != 20*time.Second {
		t.Errorf("Parallel succeeded at +%v, want +20s", got)
	}
	// Parallel + Slow + A + Fast + B.
	if got, want := BillableTransitions(evs), 5; got != want {
		t.Errorf("BillableTransitions = %d, want %d", got, want)
	}

	failing := v.start(sm, "", `{"x": 7, "fail": true}`)
	d = v.wantStatus(failing, types.ExecutionStatusFailed)
	if got, want := aws.ToString(d.Error), "BranchBroke"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	if got := len(eventsOf(v.history(failing), types.HistoryEventTypeParallelStateFailed)); got != 1 {
		t.Errorf("ParallelStateFailed events: %d", got)
	}
}

func TestParallelAndMapRetry(t *testing.T) {
	v := newTestEnv(t)
	var calls atomic.Int32
	v.eng.RegisterFunction("second-time-lucky", lambda.NewHandler(func(ctx context.Context) (string, error) {
		if calls.Add(1)%2 == 1 {
			return "", &TransientError{}
		}
		return "ok", nil
	}))
	sm := v.create("fan-retry", `{
	  "StartAt": "Par",
	  "States": {
	    "Par": {"Type": "Parallel", "Branches": [{"StartAt": "T", "States": {
	              "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:second-time-lucky", "InputPath": "$", "ResultPath": "$.r", "End": true}}}],
	            "Retry": [{"ErrorEquals": ["TransientError"], "IntervalSeconds": 3}],
	            "Next": "Map"},
	    "Map": {"Type": "Map", "ItemsPath": "$[0].items", "ItemProcessor": {"StartAt": "T2", "States": {
	              "T2": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:second-time-lucky", "End": true}}},
	            "Retry": [{"ErrorEquals": ["TransientError"], "IntervalSeconds": 4}],
	            "End": true}
	  }
	}`)
	exec := v.start(sm, "", `{"items": [1]}`)
	v.clock.Advance(time.Minute)
	d := v.wantStatus(exec, types.ExecutionStatusSucceeded)
	jsonEqual(t, aws.ToString(d.Output), `["ok"]`)
	evs := v.history(exec)
	// Par, T, T (retry), Map, T, T (retry) entered, plus the two retries.
	if got, want := BillableTransitions(evs), 8; got != want {
		t.Errorf("BillableTransitions = %d, want %d", got, want)
	}
	par := eventsOf(evs, types.HistoryEventTypeParallelStateStarted)
	if len(par) != 2 || par[1].Timestamp.Sub(*par[0].Timestamp) != 3*time.Second {
		t.Errorf("ParallelStateStarted events %v", par)
	}
	mp := eventsOf(evs, types.HistoryEventTypeMapStateStarted)
	if len(mp) != 2 || mp[1].Timestamp.Sub(*mp[0].Timestamp) != 4*time.Second {
		t.Errorf("MapStateStarted events %v", mp)
	}
}
