package stepfunctions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go/middleware"
)

// The snapshot tests run the same execution twice, side by side: world A
// never stops, world R is snapshotted and restored into a fresh engine at
// every checkpoint. Both get the same actions (clock moves, heartbeats,
// task answers); in the end their histories, outputs and billing counts
// must be the same, apart from what is random by nature (tokens issued
// after a restore, Lambda request IDs and the wall-clock Date header of
// lambda:invoke results).

// roundTripDefinition waits in every way an execution can wait: a Wait
// state, a retry delay and a parked .waitForTaskToken task with a heartbeat
// and a timeout, inside Parallel branches; then a Map whose iterations wait
// and park one at a time.
const roundTripDefinition = `{
  "StartAt": "Fan",
  "TimeoutSeconds": 864000,
  "States": {
    "Fan": {
      "Type": "Parallel", "ResultPath": "$.fan", "Next": "Each",
      "Branches": [
        {"StartAt": "Sleep", "States": {
          "Sleep": {"Type": "Wait", "Seconds": 3600, "Next": "Echo"},
          "Echo": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:echo",
                   "Parameters": {"said.$": "$.greeting"}, "End": true}}},
        {"StartAt": "Ask", "States": {
          "Ask": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                  "Parameters": {"FunctionName": "taker", "Payload": {"token.$": "$$.Task.Token"}},
                  "TimeoutSeconds": 86400, "HeartbeatSeconds": 7200,
                  "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.timedOut", "Next": "Late"}],
                  "End": true},
          "Late": {"Type": "Pass", "Result": "late", "End": true}}},
        {"StartAt": "Flaky", "States": {
          "Flaky": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:flaky",
                    "Parameters": {"attempt.$": "$$.State.RetryCount"},
                    "Retry": [{"ErrorEquals": ["Flake"], "IntervalSeconds": 600, "BackoffRate": 2, "MaxAttempts": 3}],
                    "End": true}}}
      ]
    },
    "Each": {
      "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "ResultPath": "$.each", "Next": "Done",
      "ItemProcessor": {"StartAt": "Nap", "States": {
        "Nap": {"Type": "Wait", "Seconds": 60, "Next": "Ask2"},
        "Ask2": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                 "Parameters": {"FunctionName": "taker", "Payload": {"token.$": "$$.Task.Token", "item.$": "$"}},
                 "End": true}}}
    },
    "Done": {"Type": "Succeed"}
  }
}`

// Flake is the error the flaky test function fails with.
type Flake struct{}

func (Flake) Error() string { return "flaked" }

// world is one engine on its own virtual clock, with the test functions.
type world struct {
	t     *testing.T
	clock *VirtualClock
	eng   *Engine
	calls *callLog
}

// callLog counts invocations per function and keeps the tokens handed out.
type callLog struct {
	mu     sync.Mutex
	n      map[string]int
	tokens []string
}

func (c *callLog) add(fn, token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[fn]++
	if token != "" {
		c.tokens = append(c.tokens, token)
	}
}

func (c *callLog) count(fn string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[fn]
}

// newWorld starts an engine on a virtual clock at now with the test
// functions registered; block, when not nil, is waited for by "taker"
// before it returns (its context ending also releases it).
func newWorld(t *testing.T, now time.Time, block chan struct{}) *world {
	t.Helper()
	w := &world{t: t, clock: NewVirtualClock(now), calls: &callLog{n: map[string]int{}}}
	// One invocation at a time, so that two functions started together
	// finish in the same order in both worlds.
	w.eng = New(Options{Clock: w.clock, MaxConcurrentInvocations: 1})
	t.Cleanup(w.eng.Close)
	w.eng.RegisterFunction("echo", lambda.NewHandler(func(ctx context.Context, in map[string]any) (map[string]any, error) {
		w.calls.add("echo", "")
		return map[string]any{"echoed": in["said"]}, nil
	}))
	w.eng.RegisterFunction("flaky", lambda.NewHandler(func(ctx context.Context, in struct{ Attempt int }) (string, error) {
		w.calls.add("flaky", "")
		if in.Attempt < 2 {
			return "", Flake{}
		}
		return fmt.Sprintf("ok after %d retries", in.Attempt), nil
	}))
	w.eng.RegisterFunction("taker", lambda.NewHandler(func(ctx context.Context, in struct{ Token string }) (string, error) {
		w.calls.add("taker", in.Token)
		if block != nil {
			select {
			case <-block:
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		return "sent", nil
	}))
	w.eng.RegisterFunction("notify", lambda.NewHandler(func(ctx context.Context, in map[string]any) error {
		w.calls.add("notify", "")
		return nil
	}))
	return w
}

func (w *world) settle() {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.eng.WaitIdle(ctx); err != nil {
		w.t.Fatalf("WaitIdle: %v", err)
	}
}

func (w *world) snapshot() []byte {
	w.t.Helper()
	b, err := w.eng.Snapshot()
	if err != nil {
		w.t.Fatalf("Snapshot: %v", err)
	}
	return b
}

// restored returns a new world restored from w's snapshot, and closes w.
func (w *world) restored() *world {
	w.t.Helper()
	data := w.snapshot()
	w.eng.Close()
	r := newWorld(w.t, w.clock.Now(), nil)
	if err := r.eng.Restore(data); err != nil {
		w.t.Fatalf("Restore: %v", err)
	}
	r.settle()
	return r
}

func (w *world) tokens(exec string) []string {
	w.t.Helper()
	ts, err := w.eng.TaskTokens(exec)
	if err != nil {
		w.t.Fatal(err)
	}
	return ts
}

func (w *world) succeed(token, output string) {
	w.t.Helper()
	if _, err := w.eng.apiSendTaskSuccess(&sendTaskSuccessInput{TaskToken: &token, Output: &output}); err != nil {
		w.t.Fatalf("SendTaskSuccess: %v", err)
	}
	w.settle()
}

func (w *world) heartbeat(token string) {
	w.t.Helper()
	if _, err := w.eng.apiSendTaskHeartbeat(&sendTaskHeartbeatInput{TaskToken: &token}); err != nil {
		w.t.Fatalf("SendTaskHeartbeat: %v", err)
	}
}

func (w *world) describe(exec string) *describeExecutionOutput {
	w.t.Helper()
	d, err := w.eng.apiDescribeExecution(&executionInput{ExecutionArn: &exec})
	if err != nil {
		w.t.Fatalf("DescribeExecution: %v", err)
	}
	return d
}

// historyJSON is the whole history as GetExecutionHistory sends it.
func (w *world) historyJSON(exec string) string {
	w.t.Helper()
	out, err := w.eng.apiGetExecutionHistory(&getExecutionHistoryInput{ExecutionArn: &exec, MaxResults: aws.Int(1000)})
	if err != nil {
		w.t.Fatalf("GetExecutionHistory: %v", err)
	}
	b, err := json.Marshal(out.Events)
	if err != nil {
		w.t.Fatal(err)
	}
	return string(b)
}

var (
	tokenRE = regexp.MustCompile(`[A-Za-z0-9_-]{256}`)
	uuidRE  = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	dateRE  = regexp.MustCompile(`[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT`)
)

// normalize replaces what is random by nature with placeholders: tokens
// by their order of appearance, request IDs and wall-clock dates by a
// constant.
func normalize(history string) string {
	seen := map[string]int{}
	history = tokenRE.ReplaceAllStringFunc(history, func(tok string) string {
		if _, ok := seen[tok]; !ok {
			seen[tok] = len(seen) + 1
		}
		return fmt.Sprintf("<token %d>", seen[tok])
	})
	history = uuidRE.ReplaceAllString(history, "<uuid>")
	return dateRE.ReplaceAllString(history, "<date>")
}

// pair drives world A (never interrupted) and world R (restored at every
// checkpoint) with the same actions.
type pair struct {
	t      *testing.T
	a, r   *world
	execA  string
	checks int
}

func (p *pair) both(f func(w *world)) {
	f(p.a)
	f(p.r)
}

func (p *pair) checkpoint() {
	p.t.Helper()
	p.r = p.r.restored()
	p.checks++
	// Right after a restore, the two worlds agree on everything visible.
	p.compare()
}

func (p *pair) compare() {
	p.t.Helper()
	ha, hr := normalize(p.a.historyJSON(p.execA)), normalize(p.r.historyJSON(p.execA))
	if ha != hr {
		p.t.Fatalf("after checkpoint %d the histories differ:\nuninterrupted %s\nrestored      %s", p.checks, ha, hr)
	}
	da, dr := p.a.describe(p.execA), p.r.describe(p.execA)
	if fmt.Sprint(da.Status, aws.ToString(da.Output), da.StartDate, da.StopDate != nil) !=
		fmt.Sprint(dr.Status, aws.ToString(dr.Output), dr.StartDate, dr.StopDate != nil) {
		p.t.Fatalf("after checkpoint %d: uninterrupted %+v, restored %+v", p.checks, da, dr)
	}
	na, _ := p.a.eng.StateTransitions(p.execA)
	nr, _ := p.r.eng.StateTransitions(p.execA)
	if na != nr {
		p.t.Fatalf("after checkpoint %d: %d transitions uninterrupted, %d restored", p.checks, na, nr)
	}
	if ta, tr := len(p.a.tokens(p.execA)), len(p.r.tokens(p.execA)); ta != tr {
		p.t.Fatalf("after checkpoint %d: %d open tokens uninterrupted, %d restored", p.checks, ta, tr)
	}
}

func TestSnapshotRestoreFinishesLikeAnUninterruptedRun(t *testing.T) {
	a, r := newWorld(t, t0, nil), newWorld(t, t0, nil)
	p := &pair{t: t, a: a, r: r}
	p.both(func(w *world) {
		sm, err := w.eng.CreateStateMachine("roundtrip", roundTripDefinition, nil)
		if err != nil {
			t.Fatal(err)
		}
		exec, _, err := w.eng.StartExecution(sm, "exec-1", `{"greeting":"hi","items":[1,2]}`)
		if err != nil {
			t.Fatal(err)
		}
		p.execA = exec
		w.settle()
	})
	// Parked three ways: a Wait of an hour, a token task with a heartbeat,
	// and a retry 10 minutes away after the first failure.
	p.checkpoint()
	p.both(func(w *world) { w.clock.Advance(10 * time.Minute) }) // the retry fails again: 20 more minutes
	p.both(func(w *world) { w.heartbeat(w.tokens(p.execA)[0]) })
	p.checkpoint()
	p.both(func(w *world) { w.clock.Advance(20 * time.Minute) }) // the third attempt succeeds
	p.checkpoint()
	p.both(func(w *world) { w.clock.Advance(time.Hour) }) // the Wait ends, Echo runs
	p.checkpoint()
	p.both(func(w *world) { w.succeed(w.tokens(p.execA)[0], `{"answer":1}`) }) // the Parallel ends, the Map starts
	p.checkpoint()
	for item := 0; item < 2; item++ {
		p.both(func(w *world) { w.clock.Advance(time.Minute) }) // Nap ends, Ask2 parks
		p.checkpoint()
		p.both(func(w *world) { w.succeed(w.tokens(p.execA)[0], fmt.Sprintf(`{"item":%d}`, item)) })
		p.checkpoint()
	}
	p.compare()
	d := p.r.describe(p.execA)
	if d.Status != statusSucceeded {
		t.Fatalf("restored execution %s: %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	jsonEqual(t, aws.ToString(d.Output), `{"greeting":"hi","items":[1,2],
	  "fan":[{"echoed":"hi"},{"answer":1},"ok after 2 retries"],"each":[{"item":0},{"item":1}]}`)
	// Nothing ran twice: every restore found the work it had to resume
	// parked, not in flight.
	for fn, want := range map[string]int{"echo": 1, "flaky": 3, "taker": 3} {
		if got := p.a.calls.count(fn); got != want {
			t.Errorf("uninterrupted: %s ran %d times, want %d", fn, got, want)
		}
	}
}

// TestRestoreRunsWorkInFlightAgain snapshots an engine while a
// .waitForTaskToken task's function is still running: the restored engine
// invokes it again, with the same token, and the execution carries on.
func TestRestoreRunsWorkInFlightAgain(t *testing.T) {
	block := make(chan struct{})
	a := newWorld(t, t0, block)
	sm, err := a.eng.CreateStateMachine("inflight", `{"StartAt":"Ask","States":{
	  "Ask":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
	         "Parameters":{"FunctionName":"taker","Payload":{"token.$":"$$.Task.Token"}},"HeartbeatSeconds":60,"End":true}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	exec, _, err := a.eng.StartExecution(sm, "exec-1", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	// The function has the token but has not returned.
	eventually(t, func() bool { return a.calls.count("taker") == 1 })
	data := a.snapshot()
	close(block)
	a.settle()

	r := newWorld(t, a.clock.Now(), nil)
	if err := r.eng.Restore(data); err != nil {
		t.Fatal(err)
	}
	r.settle()
	if got := r.calls.count("taker"); got != 1 {
		t.Fatalf("the restored engine invoked the function %d times, want once again", got)
	}
	if got, want := r.calls.tokens[0], a.calls.tokens[0]; got != want {
		t.Errorf("the invocation run again got another token")
	}
	// The heartbeat starts when the function returns, as in the original.
	r.clock.Advance(59 * time.Second)
	r.succeed(a.calls.tokens[0], `"done"`)
	if d := r.describe(exec); d.Status != statusSucceeded || aws.ToString(d.Output) != `"done"` {
		t.Fatalf("restored execution %s %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	// The history shows one attempt: the work run again is the same attempt.
	h := r.historyJSON(exec)
	if got := strings.Count(h, `"TaskScheduled"`); got != 1 {
		t.Errorf("%d TaskScheduled events, want 1: %s", got, h)
	}
	if got := strings.Count(h, `"TaskSubmitted"`); got != 1 {
		t.Errorf("%d TaskSubmitted events, want 1: %s", got, h)
	}
}

// TestSnapshotAfterCloseKeepsCancelledWork: Close cancels invocations in
// flight; a snapshot taken afterwards runs them again on restore. This is
// how the local stack saves on shutdown.
func TestSnapshotAfterCloseKeepsCancelledWork(t *testing.T) {
	block := make(chan struct{}) // never closed: Close's cancellation releases the function
	a := newWorld(t, t0, block)
	sm, err := a.eng.CreateStateMachine("cancelled", `{"StartAt":"Ask","States":{
	  "Ask":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
	         "Parameters":{"FunctionName":"taker","Payload":{}},"OutputPath":"$.Payload","End":true}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	exec, _, err := a.eng.StartExecution(sm, "exec-1", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { return a.calls.count("taker") == 1 })
	a.eng.Close()
	data := a.snapshot()
	if d := a.describe(exec); d.Status != statusRunning {
		t.Fatalf("closed engine: execution %s", d.Status)
	}

	r := newWorld(t, a.clock.Now(), nil)
	if err := r.eng.Restore(data); err != nil {
		t.Fatal(err)
	}
	r.settle()
	if d := r.describe(exec); d.Status != statusSucceeded || aws.ToString(d.Output) != `"sent"` {
		t.Fatalf("restored execution %s %q %s %s", d.Status, aws.ToString(d.Output), aws.ToString(d.Error), aws.ToString(d.Cause))
	}
}

// TestRestoreRunsEventInvocationsInFlight: an Event (asynchronous)
// invocation that had not returned is run again.
func TestRestoreRunsEventInvocationsInFlight(t *testing.T) {
	block := make(chan struct{})
	a := newWorld(t, t0, block)
	sm, err := a.eng.CreateStateMachine("async", `{"StartAt":"Fire","States":{
	  "Fire":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
	          "Parameters":{"FunctionName":"taker","InvocationType":"Event","Payload":{"token":"none"}},"End":true}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	exec, _, err := a.eng.StartExecution(sm, "exec-1", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { return a.calls.count("taker") == 1 })
	if d := a.describe(exec); d.Status != statusSucceeded {
		t.Fatalf("an Event invocation did not let the execution go on: %s", d.Status)
	}
	data := a.snapshot()
	close(block)
	a.settle()
	afterwards := a.snapshot()

	r := newWorld(t, a.clock.Now(), nil)
	if err := r.eng.Restore(data); err != nil {
		t.Fatal(err)
	}
	r.settle()
	if got := r.calls.count("taker"); got != 1 {
		t.Errorf("the Event invocation in flight ran %d times after the restore, want 1", got)
	}
	r2 := newWorld(t, a.clock.Now(), nil)
	if err := r2.eng.Restore(afterwards); err != nil {
		t.Fatal(err)
	}
	r2.settle()
	if got := r2.calls.count("taker"); got != 0 {
		t.Errorf("a finished Event invocation ran %d times after the restore, want 0", got)
	}
}

// TestRestoreFiresTimersDueWhileDown: the clock moved on while the engine
// was down; a Wait that ended and a task whose timeout passed meanwhile
// fire at once, in the order they were due.
func TestRestoreFiresTimersDueWhileDown(t *testing.T) {
	a := newWorld(t, t0, nil)
	sm, err := a.eng.CreateStateMachine("due", `{"StartAt":"Both","States":{"Both":{"Type":"Parallel","End":true,"Branches":[
	  {"StartAt":"Sleep","States":{"Sleep":{"Type":"Wait","Seconds":3600,"End":true}}},
	  {"StartAt":"Ask","States":{
	    "Ask":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
	           "Parameters":{"FunctionName":"taker","Payload":{"token.$":"$$.Task.Token"}},"TimeoutSeconds":7200,
	           "Catch":[{"ErrorEquals":["States.Timeout"],"ResultPath":null,"Next":"Expire"}],"End":true},
	    "Expire":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:notify","ResultPath":null,"End":true}}}]}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	exec, _, err := a.eng.StartExecution(sm, "exec-1", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	a.settle()
	data := a.snapshot()
	token := a.calls.tokens[0]

	// Three hours later.
	r := newWorld(t, t0.Add(3*time.Hour), nil)
	if err := r.eng.Restore(data); err != nil {
		t.Fatal(err)
	}
	r.settle()
	d := r.describe(exec)
	if d.Status != statusSucceeded {
		t.Fatalf("restored execution %s %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	if got := r.calls.count("notify"); got != 1 {
		t.Errorf("the expiry task ran %d times, want 1", got)
	}
	h := r.historyJSON(exec)
	if strings.Index(h, `"WaitStateExited"`) > strings.Index(h, `"TaskTimedOut"`) {
		t.Errorf("the timers fired out of order (the Wait was due first): %s", h)
	}
	// The token of the task that timed out answers as a closed task.
	_, err = r.eng.apiSendTaskSuccess(&sendTaskSuccessInput{TaskToken: &token, Output: aws.String(`{}`)})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != codeTaskTimedOut {
		t.Errorf("SendTaskSuccess on the timed-out token: %v, want TaskTimedOut", err)
	}
}

// TestRestoreKeepsFinishedExecutionsOverTheAPI checks, through the real
// sfn client, that a restored engine answers about finished executions as
// before: descriptions, histories, listings, closed tokens, name
// idempotency.
func TestRestoreKeepsFinishedExecutionsOverTheAPI(t *testing.T) {
	v := newTestEnv(t)
	box := v.registerTokenTaker("request-approval")
	sm := v.create("approval", approvalDefinition)
	done := v.start(sm, "req-1", `{"requestId":"req-1"}`)
	closedToken := box.last(t)
	v.clock.Advance(time.Hour)
	if _, err := v.client.SendTaskSuccess(v.ctx(), &sfn.SendTaskSuccessInput{TaskToken: aws.String(closedToken), Output: aws.String(`{"ok":true}`)}); err != nil {
		t.Fatal(err)
	}
	v.settle()
	stopped := v.start(sm, "req-2", `{"requestId":"req-2"}`)
	if _, err := v.client.StopExecution(v.ctx(), &sfn.StopExecutionInput{ExecutionArn: aws.String(stopped), Error: aws.String("Cancelled")}); err != nil {
		t.Fatal(err)
	}
	running := v.start(sm, "req-3", `{"requestId":"req-3"}`)
	openToken := box.last(t)

	data, err := v.eng.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	w := newTestEnv(t)
	w.clock.Set(v.clock.Now())
	w.registerTokenTaker("request-approval")
	if err := w.eng.Restore(data); err != nil {
		t.Fatal(err)
	}
	for _, exec := range []string{done, stopped, running} {
		a, b := v.describe(exec), w.describe(exec)
		a.ResultMetadata, b.ResultMetadata = middleware.Metadata{}, middleware.Metadata{}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if ga, gb := string(ja), string(jb); ga != gb {
			t.Errorf("DescribeExecution %s:\nbefore %s\nafter  %s", exec, ga, gb)
		}
		ha, hb := v.history(exec), w.history(exec)
		ja, _ = json.Marshal(ha)
		jb, _ = json.Marshal(hb)
		if string(ja) != string(jb) {
			t.Errorf("GetExecutionHistory %s:\nbefore %s\nafter  %s", exec, ja, jb)
		}
	}
	list, err := w.client.ListExecutions(w.ctx(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range list.Executions {
		names = append(names, aws.ToString(x.Name)+":"+string(x.Status))
	}
	if got, want := strings.Join(names, " "), "req-3:RUNNING req-2:ABORTED req-1:SUCCEEDED"; got != want {
		t.Errorf("ListExecutions after restore: %s, want %s", got, want)
	}
	// Closed tokens stay closed; a name cannot be used again; the same
	// start of a running execution is idempotent.
	_, err = w.client.SendTaskSuccess(w.ctx(), &sfn.SendTaskSuccessInput{TaskToken: aws.String(closedToken), Output: aws.String(`{}`)})
	wantAPIError[*types.TaskTimedOut](t, err)
	_, err = w.client.StartExecution(w.ctx(), &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String("req-1"), Input: aws.String(`{"requestId":"req-1"}`)})
	wantAPIError[*types.ExecutionAlreadyExists](t, err)
	again, err := w.client.StartExecution(w.ctx(), &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String("req-3"), Input: aws.String(`{"requestId":"req-3"}`)})
	if err != nil || aws.ToString(again.ExecutionArn) != running {
		t.Errorf("StartExecution of the running execution's name and input: %v %v", again, err)
	}
	// The parked execution goes on with its old token.
	if _, err := w.client.SendTaskSuccess(w.ctx(), &sfn.SendTaskSuccessInput{TaskToken: aws.String(openToken), Output: aws.String(`{"ok":true}`)}); err != nil {
		t.Fatalf("SendTaskSuccess with the token from before the restore: %v", err)
	}
	w.settle()
	w.wantStatus(running, types.ExecutionStatusSucceeded)
}

// TestRestoredExecutionsKeepTheirDefinition: the state machine changed
// between runs (template.yaml edited); the restored execution goes on with
// the definition it started with, new executions get the new one.
func TestRestoredExecutionsKeepTheirDefinition(t *testing.T) {
	const v1 = `{"StartAt":"Nap","States":{"Nap":{"Type":"Wait","Seconds":60,"Next":"Say"},"Say":{"Type":"Pass","Result":"v1","End":true}}}`
	const v2 = `{"StartAt":"Nap","States":{"Nap":{"Type":"Wait","Seconds":60,"Next":"Say"},"Say":{"Type":"Pass","Result":"v2","End":true}}}`
	a := newWorld(t, t0, nil)
	sm, err := a.eng.CreateStateMachine("changing", v1, nil)
	if err != nil {
		t.Fatal(err)
	}
	old, _, err := a.eng.StartExecution(sm, "old", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	data := a.snapshot()

	r := newWorld(t, t0, nil)
	if _, err := r.eng.CreateStateMachine("changing", v2, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.eng.Restore(data); err != nil {
		t.Fatal(err)
	}
	fresh, _, err := r.eng.StartExecution(sm, "new", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(time.Minute)
	for exec, want := range map[string]string{old: `"v1"`, fresh: `"v2"`} {
		if d := r.describe(exec); d.Status != statusSucceeded || aws.ToString(d.Output) != want {
			t.Errorf("%s: %s %s, want %s", exec, d.Status, aws.ToString(d.Output), want)
		}
	}
	// A snapshot of the restored engine keeps both definitions.
	var doc snapshotDoc
	if err := json.Unmarshal(r.snapshot(), &doc); err != nil {
		t.Fatal(err)
	}
	if got := len(doc.Definitions); got != 2 {
		t.Errorf("%d definitions in the snapshot, want 2", got)
	}
}

func TestRestoreRefusesWhatItCannotRead(t *testing.T) {
	a := newWorld(t, t0, nil)
	sm, err := a.eng.CreateStateMachine("refuse", `{"StartAt":"Nap","States":{"Nap":{"Type":"Wait","Seconds":60,"End":true}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.eng.StartExecution(sm, "x", `{}`); err != nil {
		t.Fatal(err)
	}
	good := string(a.snapshot())
	for _, tc := range []struct {
		name, data, want string
		version          bool
	}{
		{"not JSON", "{", "not a snapshot", false},
		{"another format", `{"format":"something-else","version":1}`, `format "something-else"`, false},
		{"newer version", strings.Replace(good, `"version":1`, `"version":2`, 1), "the snapshot is version 2, this engine reads version 1", true},
		{"older version", strings.Replace(good, `"version":1`, `"version":0`, 1), "version 0", true},
		{"another region", strings.Replace(good, `"region":"us-east-1"`, `"region":"eu-west-1"`, 1), "region eu-west-1", false},
		{"a running thread waiting for nothing", strings.Replace(good, `"timer":{`, `"notimer":{`, 1), "must wait for one timer", false},
		{"unknown state", strings.Replace(good, `"state":"Nap"`, `"state":"Gone"`, 1), `no state "Gone"`, false},
		{"unknown status", strings.Replace(good, `"status":"RUNNING"`, `"status":"PAUSED"`, 1), `unknown status "PAUSED"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newWorld(t, t0, nil)
			err := r.eng.Restore([]byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Restore: %v, want an error saying %q", err, tc.want)
			}
			if got := errors.Is(err, ErrSnapshotVersion); got != tc.version {
				t.Errorf("errors.Is(err, ErrSnapshotVersion) = %v, want %v", got, tc.version)
			}
			// Nothing was half restored.
			if n := len(r.eng.executions) + len(r.eng.machines); n != 0 {
				t.Errorf("a failed restore left %d executions and machines", n)
			}
		})
	}
	// Twice into the same engine: it already has executions.
	r := newWorld(t, t0, nil)
	if err := r.eng.Restore([]byte(good)); err != nil {
		t.Fatal(err)
	}
	if err := r.eng.Restore([]byte(good)); err == nil || !strings.Contains(err.Error(), "already has executions") {
		t.Errorf("second Restore: %v", err)
	}
}

// TestSnapshotCoversEveryEventDetail makes sure that every detail type the
// engine records can be rebuilt by Restore.
func TestSnapshotCoversEveryEventDetail(t *testing.T) {
	for _, d := range []eventDetail{
		&executionStartedDetails{}, &executionSucceededDetails{},
		&failureDetails{k: "executionFailedEventDetails"}, &failureDetails{k: "executionTimedOutEventDetails"},
		&failureDetails{k: "executionAbortedEventDetails"}, &failureDetails{k: "lambdaFunctionFailedEventDetails"},
		&failureDetails{k: "lambdaFunctionTimedOutEventDetails"},
		&stateEnteredDetails{}, &stateExitedDetails{}, &taskScheduledDetails{}, &taskStartedDetails{},
		&taskOutputDetails{k: "taskSubmittedEventDetails"}, &taskOutputDetails{k: "taskSucceededEventDetails"},
		&taskFailureDetails{k: "taskFailedEventDetails"}, &taskFailureDetails{k: "taskTimedOutEventDetails"},
		&lambdaScheduledDetails{}, &lambdaSucceededDetails{}, &mapStateStartedDetails{},
		&mapIterationDetails{k: "mapIterationStartedEventDetails"}, &mapIterationDetails{k: "mapIterationSucceededEventDetails"},
		&mapIterationDetails{k: "mapIterationFailedEventDetails"}, &mapIterationDetails{k: "mapIterationAbortedEventDetails"},
	} {
		n := newDetail(d.key())
		if n == nil {
			t.Errorf("newDetail(%q) = nil", d.key())
			continue
		}
		if got, want := fmt.Sprintf("%T/%s", n, n.key()), fmt.Sprintf("%T/%s", d, d.key()); got != want {
			t.Errorf("newDetail(%q) = %s, want %s", d.key(), got, want)
		}
	}
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkSnapshot measures a snapshot and a restore of 1,000 executions
// parked on task tokens (about what a busy local stack holds).
func BenchmarkSnapshot(b *testing.B) {
	clock := NewVirtualClock(t0)
	eng := New(Options{Clock: clock})
	defer eng.Close()
	eng.RegisterFunction("request-approval", lambda.NewHandler(func(ctx context.Context, in approvalRequest) (string, error) { return "ok", nil }))
	sm, err := eng.CreateStateMachine("approval", approvalDefinition, nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		if _, _, err := eng.StartExecution(sm, fmt.Sprintf("req-%d", i), fmt.Sprintf(`{"requestId":"req-%d"}`, i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := eng.WaitIdle(context.Background()); err != nil {
		b.Fatal(err)
	}
	data, err := eng.Snapshot()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("snapshot", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := eng.Snapshot(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("restore", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			r := New(Options{Clock: NewVirtualClock(t0)})
			r.RegisterFunction("request-approval", lambda.NewHandler(func(ctx context.Context, in approvalRequest) (string, error) { return "ok", nil }))
			if err := r.Restore(data); err != nil {
				b.Fatal(err)
			}
			r.Close()
		}
	})
}

func TestAdjustableClockRestoreOffset(t *testing.T) {
	for _, tc := range []struct {
		name          string
		before, saved time.Duration
		want          time.Duration
	}{
		{"a new clock takes the saved offset exactly", 0, 7*24*time.Hour + 1234, 7*24*time.Hour + 1234},
		{"zero changes nothing", 0, 0, 0},
		{"never backwards", time.Hour, time.Minute, time.Hour},
	} {
		c := &AdjustableClock{}
		c.Advance(tc.before)
		if tc.before > 0 {
			c.RestoreOffset(tc.before) // Advance loses a little to the wall clock moving meanwhile
		}
		c.RestoreOffset(tc.saved)
		if got := c.Offset(); got != tc.want {
			t.Errorf("%s: offset %v, want %v", tc.name, got, tc.want)
		}
	}
}
