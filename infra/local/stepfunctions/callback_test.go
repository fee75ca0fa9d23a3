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

// approvalDefinition waits up to 14 days for a decision, the shape of the
// refund workflow's consent step.
const approvalDefinition = `{
  "StartAt": "WaitForApproval",
  "States": {
    "WaitForApproval": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters": {
        "FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:request-approval",
        "Payload": {"requestId.$": "$.requestId", "token.$": "$$.Task.Token"}
      },
      "TimeoutSeconds": 1209600,
      "ResultPath": "$.decision",
      "Catch": [
        {"ErrorEquals": ["Rejected"], "ResultPath": "$.failure", "Next": "Declined"},
        {"ErrorEquals": ["States.Timeout"], "ResultPath": null, "Next": "Expired"}
      ],
      "Next": "Approved"
    },
    "Approved": {"Type": "Pass", "Result": "approved", "ResultPath": "$.outcome", "End": true},
    "Declined": {"Type": "Pass", "Result": "declined", "ResultPath": "$.outcome", "End": true},
    "Expired": {"Type": "Pass", "Result": "expired", "ResultPath": "$.outcome", "End": true}
  }
}`

func TestHumanApprovalCallback(t *testing.T) {
	v := newTestEnv(t)
	box := v.registerTokenTaker("request-approval")
	sm := v.create("approval", approvalDefinition)
	exec := v.start(sm, "req-1", `{"requestId":"req-1"}`)

	v.wantStatus(exec, types.ExecutionStatusRunning)
	token := box.last(t)
	if got, want := len(token), tokenLen; got != want {
		t.Fatalf("token length = %d, want %d", got, want)
	}
	tokens, err := v.eng.TaskTokens(exec)
	if err != nil || len(tokens) != 1 || tokens[0] != token {
		t.Fatalf("TaskTokens = %v, %v; want the token the function received", tokens, err)
	}

	// The client decides three days later.
	v.clock.Advance(72 * time.Hour)
	v.wantStatus(exec, types.ExecutionStatusRunning)
	if _, err := v.client.SendTaskSuccess(v.ctx(), &sfn.SendTaskSuccessInput{
		TaskToken: aws.String(token), Output: aws.String(`{"accepted":true,"offer":"full"}`),
	}); err != nil {
		t.Fatalf("SendTaskSuccess: %v", err)
	}
	v.settle()

	d := v.wantStatus(exec, types.ExecutionStatusSucceeded)
	jsonEqual(t, aws.ToString(d.Output), `{"requestId":"req-1","decision":{"accepted":true,"offer":"full"},"outcome":"approved"}`)
	if got, want := d.StopDate.Sub(t0), 72*time.Hour; got != want {
		t.Errorf("stopped %v after start, want %v", got, want)
	}

	evs := v.history(exec)
	want := []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
		"TaskSucceeded", "TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}
	if got := strings.Join(eventTypes(evs), ","); got != strings.Join(want, ",") {
		t.Fatalf("history = %s\nwant      %s", got, strings.Join(want, ","))
	}
	sched := eventsOf(evs, types.HistoryEventTypeTaskScheduled)[0].TaskScheduledEventDetails
	if got, want := aws.ToString(sched.Resource), "invoke.waitForTaskToken"; got != want {
		t.Errorf("scheduled resource = %q, want %q", got, want)
	}
	if got, want := aws.ToInt64(sched.TimeoutInSeconds), int64(1209600); got != want {
		t.Errorf("timeoutInSeconds = %d, want %d", got, want)
	}
	if !strings.Contains(aws.ToString(sched.Parameters), token) {
		t.Errorf("scheduled parameters do not carry the token: %s", aws.ToString(sched.Parameters))
	}
	sub := eventsOf(evs, types.HistoryEventTypeTaskSubmitted)[0]
	jsonEqual(t, jsonField(t, aws.ToString(sub.TaskSubmittedEventDetails.Output), "Payload"), `{"sent":"req-1"}`)
	succ := eventsOf(evs, types.HistoryEventTypeTaskSucceeded)[0]
	if got, want := succ.Timestamp.Sub(t0), 72*time.Hour; got != want {
		t.Errorf("TaskSucceeded at +%v, want +%v", got, want)
	}
	for i, e := range evs {
		if got, want := e.Id, int64(i+1); got != want {
			t.Fatalf("event %d has id %d", i, got)
		}
		if i > 0 && e.PreviousEventId != int64(i) {
			t.Errorf("event %d (%s) previousEventId = %d, want %d", e.Id, e.Type, e.PreviousEventId, i)
		}
	}
	if got, want := BillableTransitions(evs), 2; got != want {
		t.Errorf("BillableTransitions = %d, want %d", got, want)
	}
	if n, _ := v.eng.StateTransitions(exec); n != 2 {
		t.Errorf("StateTransitions = %d, want 2", n)
	}
}

func TestSendTaskFailureIsCaught(t *testing.T) {
	v := newTestEnv(t)
	box := v.registerTokenTaker("request-approval")
	sm := v.create("approval", approvalDefinition)
	exec := v.start(sm, "req-2", `{"requestId":"req-2"}`)

	if _, err := v.client.SendTaskFailure(v.ctx(), &sfn.SendTaskFailureInput{
		TaskToken: aws.String(box.last(t)), Error: aws.String("Rejected"), Cause: aws.String("client declined"),
	}); err != nil {
		t.Fatalf("SendTaskFailure: %v", err)
	}
	v.settle()
	d := v.wantStatus(exec, types.ExecutionStatusSucceeded)
	jsonEqual(t, aws.ToString(d.Output),
		`{"requestId":"req-2","failure":{"Error":"Rejected","Cause":"client declined"},"outcome":"declined"}`)
	failed := eventsOf(v.history(exec), types.HistoryEventTypeTaskFailed)
	if len(failed) != 1 || aws.ToString(failed[0].TaskFailedEventDetails.Error) != "Rejected" {
		t.Fatalf("TaskFailed events = %+v", failed)
	}
}

func TestTaskTokenErrors(t *testing.T) {
	v := newTestEnv(t)
	box := v.registerTokenTaker("request-approval")
	sm := v.create("approval", approvalDefinition)
	exec := v.start(sm, "req-3", `{"requestId":"req-3"}`)
	token := box.last(t)

	// Output that is not JSON is refused and leaves the task waiting.
	_, err := v.client.SendTaskSuccess(v.ctx(), &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{"a":`)})
	wantAPIError[*types.InvalidOutput](t, err)
	v.wantStatus(exec, types.ExecutionStatusRunning)

	// Strings that cannot be tokens.
	for _, bad := range []string{"x", strings.Repeat("!", tokenLen), token[:len(token)-1]} {
		_, err := v.client.SendTaskSuccess(v.ctx(), &sfn.SendTaskSuccessInput{TaskToken: aws.String(bad), Output: aws.String(`{}`)})
		wantAPIError[*types.InvalidToken](t, err)
	}
	// A well-formed token this engine never issued.
	_, err = v.client.SendTaskHeartbeat(v.ctx(), &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(newTaskToken())})
	wantAPIError[*types.TaskDoesNotExist](t, err)

	// A heartbeat on a task without HeartbeatSeconds is accepted.
	if _, err := v.client.SendTaskHeartbeat(v.ctx(), &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(token)}); err != nil {
		t.Fatalf("SendTaskHeartbeat: %v", err)
	}

	// First use succeeds; the second finds the task closed.
	if _, err := v.client.SendTaskSuccess(v.ctx(), &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{"n":1}`)}); err != nil {
		t.Fatalf("first SendTaskSuccess: %v", err)
	}
	_, err = v.client.SendTaskSuccess(v.ctx(), &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{"n":2}`)})
	wantAPIError[*types.TaskTimedOut](t, err)
	_, err = v.client.SendTaskFailure(v.ctx(), &sfn.SendTaskFailureInput{TaskToken: aws.String(token), Error: aws.String("Late")})
	wantAPIError[*types.TaskTimedOut](t, err)
	v.settle()
	d := v.wantStatus(exec, types.ExecutionStatusSucceeded)
	jsonEqual(t, aws.ToString(d.Output), `{"requestId":"req-3","decision":{"n":1},"outcome":"approved"}`)
}

func TestTokenAfterTaskTimeout(t *testing.T) {
	v := newTestEnv(t)
	box := v.registerTokenTaker("request-approval")
	sm := v.create("approval", approvalDefinition)
	exec := v.start(sm, "req-4", `{"requestId":"req-4"}`)
	token := box.last(t)

	v.clock.Advance(14*24*time.Hour - time.Second)
	v.wantStatus(exec, types.ExecutionStatusRunning)
	v.clock.Advance(time.Second)
	d := v.wantStatus(exec, types.ExecutionStatusSucceeded)
	jsonEqual(t, aws.ToString(d.Output), `{"requestId":"req-4","outcome":"expired"}`)

	_, err := v.client.SendTaskSuccess(v.ctx(), &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{}`)})
	wantAPIError[*types.TaskTimedOut](t, err)

	evs := v.history(exec)
	to := eventsOf(evs, types.HistoryEventTypeTaskTimedOut)
	if len(to) != 1 {
		t.Fatalf("TaskTimedOut events: %d", len(to))
	}
	if got, want := aws.ToString(to[0].TaskTimedOutEventDetails.Error), "States.Timeout"; got != want {
		t.Errorf("timeout error = %q, want %q", got, want)
	}
	if got, want := to[0].Timestamp.Sub(t0), 14*24*time.Hour; got != want {
		t.Errorf("timed out at +%v, want +%v", got, want)
	}
}

func TestHeartbeatTimeout(t *testing.T) {
	v := newTestEnv(t)
	box := v.registerTokenTaker("worker")
	sm := v.create("heartbeat", `{
	  "StartAt": "Work",
	  "States": {
	    "Work": {
	      "Type": "Task",
	      "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
	      "Parameters": {"FunctionName": "worker", "Payload": {"token.$": "$$.Task.Token"}},
	      "TimeoutSeconds": 300,
	      "HeartbeatSeconds": 10,
	      "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Lost"}],
	      "End": true
	    },
	    "Lost": {"Type": "Fail", "Error": "WorkerLost", "CausePath": "$.Error"}
	  }
	}`)
	exec := v.start(sm, "", `{}`)
	token := box.last(t)

	// Heartbeats every 8 seconds keep the task alive past its 10s heartbeat.
	for range 3 {
		v.clock.Advance(8 * time.Second)
		if _, err := v.client.SendTaskHeartbeat(v.ctx(), &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(token)}); err != nil {
			t.Fatalf("SendTaskHeartbeat: %v", err)
		}
	}
	v.clock.Advance(9 * time.Second)
	v.wantStatus(exec, types.ExecutionStatusRunning)
	v.clock.Advance(time.Second)
	d := v.wantStatus(exec, types.ExecutionStatusFailed)
	if got, want := aws.ToString(d.Error), "WorkerLost"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	if got, want := aws.ToString(d.Cause), "States.HeartbeatTimeout"; got != want {
		t.Errorf("cause = %q, want %q", got, want)
	}
	to := eventsOf(v.history(exec), types.HistoryEventTypeTaskTimedOut)
	if len(to) != 1 || to[0].Timestamp.Sub(t0) != 34*time.Second {
		t.Fatalf("TaskTimedOut = %+v, want one at +34s", to)
	}
	_, err := v.client.SendTaskHeartbeat(v.ctx(), &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(token)})
	wantAPIError[*types.TaskTimedOut](t, err)
}

func TestStopParkedExecution(t *testing.T) {
	v := newTestEnv(t)
	box := v.registerTokenTaker("request-approval")
	sm := v.create("approval", approvalDefinition)
	exec := v.start(sm, "req-5", `{"requestId":"req-5"}`)
	token := box.last(t)

	v.clock.Advance(time.Hour)
	out, err := v.client.StopExecution(v.ctx(), &sfn.StopExecutionInput{
		ExecutionArn: aws.String(exec), Error: aws.String("Withdrawn"), Cause: aws.String("request withdrawn by staff"),
	})
	if err != nil {
		t.Fatalf("StopExecution: %v", err)
	}
	if got, want := out.StopDate.Sub(t0), time.Hour; got != want {
		t.Errorf("stopDate = +%v, want +%v", got, want)
	}
	d := v.wantStatus(exec, types.ExecutionStatusAborted)
	if aws.ToString(d.Error) != "Withdrawn" || aws.ToString(d.Cause) != "request withdrawn by staff" {
		t.Errorf("error/cause = %q/%q", aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	_, err = v.client.SendTaskSuccess(v.ctx(), &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{}`)})
	wantAPIError[*types.TaskTimedOut](t, err)

	// The 14-day task timeout was cancelled with the execution.
	v.clock.Advance(15 * 24 * time.Hour)
	evs := v.history(exec)
	last := evs[len(evs)-1]
	if last.Type != types.HistoryEventTypeExecutionAborted {
		t.Fatalf("last event = %s, want ExecutionAborted", last.Type)
	}
	if got, want := aws.ToString(last.ExecutionAbortedEventDetails.Error), "Withdrawn"; got != want {
		t.Errorf("aborted error = %q, want %q", got, want)
	}
	if tokens, _ := v.eng.TaskTokens(exec); len(tokens) != 0 {
		t.Errorf("stopped execution still has tokens %v", tokens)
	}
}

// jsonField returns the JSON text of one member of a JSON object.
func jsonField(t *testing.T, doc, field string) string {
	t.Helper()
	var m map[string]any
	if err := jsonUnmarshal(doc, &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, doc)
	}
	b, err := jsonMarshal(m[field])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCallbackFromInsideTheHandler covers a function that completes its own
// task (an automatic approval): SendTaskSuccess arrives before the function
// returns, and its late result is ignored.
func TestCallbackFromInsideTheHandler(t *testing.T) {
	v := newTestEnv(t)
	v.eng.RegisterFunction("request-approval", lambda.NewHandler(func(ctx context.Context, in approvalRequest) (string, error) {
		_, err := v.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{
			TaskToken: aws.String(in.Token), Output: aws.String(`{"auto":true}`)})
		return "sent", err
	}))
	sm := v.create("approval", approvalDefinition)
	exec := v.start(sm, "auto-1", `{"requestId":"auto-1"}`)
	d := v.wantStatus(exec, types.ExecutionStatusSucceeded)
	jsonEqual(t, aws.ToString(d.Output), `{"requestId":"auto-1","decision":{"auto":true},"outcome":"approved"}`)
	if n := len(eventsOf(v.history(exec), types.HistoryEventTypeTaskSubmitted)); n != 0 {
		t.Errorf("%d TaskSubmitted events after the task had closed", n)
	}
}
