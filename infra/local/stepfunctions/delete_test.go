package stepfunctions

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// TestDeleteStateMachine: DeleteStateMachine answers as on AWS, through the
// real client.
func TestDeleteStateMachine(t *testing.T) {
	v := newTestEnv(t)
	arn := v.create("short-lived", waitDefinition)

	// Without executions, the state machine goes at once.
	if _, err := v.client.DeleteStateMachine(v.ctx(), &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(arn)}); err != nil {
		t.Fatalf("DeleteStateMachine: %v", err)
	}
	_, err := v.client.DescribeStateMachine(v.ctx(), &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	wantAPIError[*types.StateMachineDoesNotExist](t, err)
	list, err := v.client.ListStateMachines(v.ctx(), &sfn.ListStateMachinesInput{})
	if err != nil || len(list.StateMachines) != 0 {
		t.Errorf("ListStateMachines after delete = %+v, %v", list, err)
	}
	_, err = v.client.StartExecution(v.ctx(), &sfn.StartExecutionInput{StateMachineArn: aws.String(arn)})
	wantAPIError[*types.StateMachineDoesNotExist](t, err)

	// Deleting again, or a state machine that never existed, succeeds; a
	// malformed ARN does not.
	for _, a := range []string{arn, "arn:aws:states:us-east-1:123456789012:stateMachine:never-was"} {
		if _, err := v.client.DeleteStateMachine(v.ctx(), &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(a)}); err != nil {
			t.Errorf("DeleteStateMachine(%s): %v", a, err)
		}
	}
	_, err = v.client.DeleteStateMachine(v.ctx(), &sfn.DeleteStateMachineInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:execution:x:y")})
	wantAPIError[*types.InvalidArn](t, err)

	// The name is free again.
	if again := v.create("short-lived", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`); again != arn {
		t.Errorf("re-created ARN = %s, want %s", again, arn)
	}
}

// TestDeleteStateMachineWithRunningExecutions: the state machine is DELETING
// until its executions end; a running one fails at its next state
// transition, with the error AWS gives.
func TestDeleteStateMachineWithRunningExecutions(t *testing.T) {
	v := newTestEnv(t)
	box := v.registerTokenTaker("ask")
	arn := v.create("testing-delete", `{"StartAt": "Choose", "States": {
	  "Choose": {"Type": "Choice", "Choices": [{"Variable": "$.ask", "IsPresent": true, "Next": "Ask"}], "Default": "Wait"},
	  "Wait": {"Type": "Wait", "Seconds": 60, "Next": "After"},
	  "Ask": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
	    "Parameters": {"FunctionName": "ask", "Payload": {"token.$": "$$.Task.Token"}}, "Next": "After"},
	  "After": {"Type": "Pass", "End": true}}}`)
	waiting := v.start(arn, "waiting", `{}`)
	asking := v.start(arn, "asking", `{"ask": true}`)
	token := box.last(t)

	if _, err := v.client.DeleteStateMachine(v.ctx(), &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(arn)}); err != nil {
		t.Fatalf("DeleteStateMachine: %v", err)
	}
	d, err := v.client.DescribeStateMachine(v.ctx(), &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if err != nil || d.Status != types.StateMachineStatusDeleting {
		t.Fatalf("DescribeStateMachine while executions run = %+v, %v; want status DELETING", d, err)
	}
	_, err = v.client.StartExecution(v.ctx(), &sfn.StartExecutionInput{StateMachineArn: aws.String(arn)})
	if e := wantAPIError[*types.StateMachineDeleting](t, err); !strings.Contains(e.ErrorMessage(), arn) {
		t.Errorf("StartExecution message %q does not name the state machine", e.ErrorMessage())
	}
	_, err = v.client.CreateStateMachine(v.ctx(), &sfn.CreateStateMachineInput{Name: aws.String("testing-delete"),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/r"), Definition: aws.String(waitDefinition)})
	wantAPIError[*types.StateMachineDeleting](t, err)
	v.wantStatus(waiting, types.ExecutionStatusRunning)

	// The Wait state ends; entering the next state fails the execution.
	v.clock.Advance(time.Minute)
	v.settle()
	v.wantRuntimeError(waiting, "State machine testing-delete has been deleted.")
	if got := eventTypes(v.history(waiting)); strings.Join(got[len(got)-2:], ",") != "WaitStateExited,ExecutionFailed" {
		t.Errorf("history ends %v, want WaitStateExited, ExecutionFailed", got)
	}

	// The execution parked on its token keeps the state machine DELETING
	// until it is stopped.
	if d, err := v.client.DescribeStateMachine(v.ctx(), &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)}); err != nil || d.Status != types.StateMachineStatusDeleting {
		t.Fatalf("DescribeStateMachine with a parked execution = %+v, %v", d, err)
	}
	if _, err := v.client.StopExecution(v.ctx(), &sfn.StopExecutionInput{ExecutionArn: aws.String(asking)}); err != nil {
		t.Fatal(err)
	}
	_, err = v.client.DescribeStateMachine(v.ctx(), &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	wantAPIError[*types.StateMachineDoesNotExist](t, err)
	// Its executions went with it; the closed token says so.
	_, err = v.client.DescribeExecution(v.ctx(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(waiting)})
	wantAPIError[*types.ExecutionDoesNotExist](t, err)
	_, err = v.client.SendTaskSuccess(v.ctx(), &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{}`)})
	wantAPIError[*types.TaskTimedOut](t, err)
}

// TestDeleteStateMachineSurvivesRestore: a snapshot keeps a state machine
// DELETING, and its execution still ends at its next transition.
func TestDeleteStateMachineSurvivesRestore(t *testing.T) {
	clock := NewVirtualClock(t0)
	eng := New(Options{Clock: clock})
	arn, err := eng.CreateStateMachine("going", `{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "Next": "P"}, "P": {"Type": "Pass", "End": true}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	exec, _, err := eng.StartExecution(arn, "x", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.DeleteStateMachine(arn); err != nil {
		t.Fatal(err)
	}
	snap, err := eng.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	eng.Close()

	clock2 := NewVirtualClock(t0.Add(time.Second))
	eng2 := New(Options{Clock: clock2})
	t.Cleanup(eng2.Close)
	if err := eng2.Restore(snap); err != nil {
		t.Fatal(err)
	}
	d, err := eng2.apiDescribeStateMachine(&arnInput{StateMachineArn: &arn})
	if err != nil || d.Status != "DELETING" {
		t.Fatalf("restored state machine = %+v, %v; want DELETING", d, err)
	}
	clock2.Advance(time.Minute)
	x, err := eng2.apiDescribeExecution(&executionInput{ExecutionArn: &exec})
	if err == nil {
		t.Fatalf("execution still there after the deletion completed: %s %s", x.Status, aws.ToString(x.Cause))
	}
	if _, err := eng2.apiDescribeStateMachine(&arnInput{StateMachineArn: &arn}); err == nil {
		t.Error("state machine still there after its last execution ended")
	}
}
