package stepfunctions

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// TestWallClock runs timers on the system clock: past timestamps fire at
// once through the engine's single runtime timer.
func TestWallClock(t *testing.T) {
	eng := New(Options{})
	t.Cleanup(eng.Close)
	sm, err := eng.CreateStateMachine("wall", `{"StartAt":"A","States":{
	  "A":{"Type":"Wait","Timestamp":"2001-01-01T00:00:00Z","Next":"B"},
	  "B":{"Type":"Wait","Seconds":0,"Next":"C"},
	  "C":{"Type":"Pass","Result":"done","End":true}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	exec, _, err := eng.StartExecution(sm, "", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		d, err := eng.apiDescribeExecution(&executionInput{ExecutionArn: &exec})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != statusRunning {
			if d.Status != statusSucceeded || aws.ToString(d.Output) != `"done"` {
				t.Fatalf("status %s output %v", d.Status, aws.ToString(d.Output))
			}
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("execution did not finish on the wall clock")
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestVirtualClockStepsThroughTimers(t *testing.T) {
	c := NewVirtualClock(t0)
	eng := New(Options{Clock: c})
	t.Cleanup(eng.Close)
	var fired []time.Duration
	eng.mu.Lock()
	for _, s := range []int{30, 10, 20, 10} {
		eng.after(t0.Add(time.Duration(s)*time.Second), func() { fired = append(fired, c.Now().Sub(t0)) })
	}
	cancelled := eng.after(t0.Add(15*time.Second), func() { t.Error("cancelled timer fired") })
	eng.timers.cancel(cancelled)
	eng.mu.Unlock()

	c.Advance(25 * time.Second)
	if got, want := len(fired), 3; got != want {
		t.Fatalf("fired %d timers by +25s, want %d", got, want)
	}
	c.Set(t0.Add(time.Hour))
	want := []time.Duration{10 * time.Second, 10 * time.Second, 20 * time.Second, 30 * time.Second}
	for i := range want {
		if fired[i] != want[i] {
			t.Fatalf("timers fired at %v, want %v", fired, want)
		}
	}
	if got := c.Now().Sub(t0); got != time.Hour {
		t.Errorf("clock at +%v, want +1h", got)
	}
}

func TestHistoryLimitEndsRunawayLoop(t *testing.T) {
	v := newTestEnv(t)
	sm := v.create("loop", `{"StartAt":"A","States":{
	  "A":{"Type":"Pass","Next":"B"},
	  "B":{"Type":"Pass","Next":"A"}}}`)
	d := v.wantStatus(v.start(sm, "", `{}`), types.ExecutionStatusFailed)
	if aws.ToString(d.Error) != "States.Runtime" || !strings.Contains(aws.ToString(d.Cause), "25000") {
		t.Errorf("error %q cause %q", aws.ToString(d.Error), aws.ToString(d.Cause))
	}
}

func TestDataLimit(t *testing.T) {
	v := newTestEnv(t)
	v.eng.RegisterFunction("big", lambda.NewHandler(func() (string, error) {
		return strings.Repeat("x", dataLimit), nil
	}))
	sm := v.create("big", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:big","End":true}}}`)
	d := v.wantStatus(v.start(sm, "", `{}`), types.ExecutionStatusFailed)
	if got, want := aws.ToString(d.Error), "States.DataLimitExceeded"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestHandlerSeesLambdaContext(t *testing.T) {
	v := newTestEnv(t)
	got := make(chan string, 1)
	v.eng.RegisterFunction("ctx", lambda.NewHandler(func(ctx context.Context) error {
		lc, ok := lambdacontext.FromContext(ctx)
		if !ok {
			return errors.New("no lambda context")
		}
		got <- lc.InvokedFunctionArn + " " + lc.AwsRequestID
		return nil
	}))
	sm := v.create("ctx", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"ctx"},"End":true}}}`)
	v.wantStatus(v.start(sm, "", `{}`), types.ExecutionStatusSucceeded)
	s := <-got
	if !strings.HasPrefix(s, "arn:aws:lambda:us-east-1:123456789012:function:ctx ") || len(s) < 60 {
		t.Errorf("lambda context = %q", s)
	}
}

func TestContextObjectAndFailPaths(t *testing.T) {
	v := newTestEnv(t)
	sm := v.create("ctxobj", `{"StartAt":"Ctx","States":{
	  "Ctx":{"Type":"Pass","Parameters":{"exec.$":"$$.Execution.Name","state.$":"$$.State.Name",
	         "entered.$":"$$.State.EnteredTime","machine.$":"$$.StateMachine.Name","input.$":"$$.Execution.Input.code"},
	         "Next":"Wait"},
	  "Wait":{"Type":"Wait","Seconds":5,"Next":"Ctx2"},
	  "Ctx2":{"Type":"Pass","Parameters":{"first.$":"$","entered.$":"$$.State.EnteredTime"},"Next":"Boom"},
	  "Boom":{"Type":"Fail","ErrorPath":"$.first.input","CausePath":"States.Format('state {} of {}', $.first.state, $.first.exec)"}}}`)
	exec := v.start(sm, "run-1", `{"code":"E42"}`)
	v.clock.Advance(5 * time.Second)
	d := v.wantStatus(exec, types.ExecutionStatusFailed)
	if got, want := aws.ToString(d.Error), "E42"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	if got, want := aws.ToString(d.Cause), "state Ctx of run-1"; got != want {
		t.Errorf("cause = %q, want %q", got, want)
	}
	evs := v.history(exec)
	exited := eventsOf(evs, types.HistoryEventTypePassStateExited)
	jsonEqual(t, aws.ToString(exited[1].StateExitedEventDetails.Output), `{"first":{"exec":"run-1","state":"Ctx",
	  "entered":"2025-03-01T09:00:00.000Z","machine":"ctxobj","input":"E42"},"entered":"2025-03-01T09:00:05.000Z"}`)
	if evs[len(evs)-1].Type != types.HistoryEventTypeExecutionFailed {
		t.Errorf("last event %s", evs[len(evs)-1].Type)
	}
}

func TestDueTimersRunWithoutAdvance(t *testing.T) {
	v := newTestEnv(t)
	sm := v.create("zero", `{"StartAt":"A","States":{
	  "A":{"Type":"Wait","Seconds":0,"Next":"B"},
	  "B":{"Type":"Wait","Timestamp":"2001-01-01T00:00:00Z","Next":"C"},
	  "C":{"Type":"Pass","End":true}}}`)
	d := v.wantStatus(v.start(sm, "", `{"k":true}`), types.ExecutionStatusSucceeded)
	jsonEqual(t, aws.ToString(d.Output), `{"k":true}`)
	if !d.StopDate.Equal(t0) {
		t.Errorf("stopped at %v, want %v", d.StopDate, t0)
	}
}

func TestAdjustableClock(t *testing.T) {
	clock := &AdjustableClock{}
	eng := New(Options{Clock: clock})
	t.Cleanup(eng.Close)
	sm, err := eng.CreateStateMachine("consent", `{"StartAt":"W","States":{
	  "W":{"Type":"Wait","Seconds":1209600,"Next":"P"},
	  "P":{"Type":"Pass","Result":"expired","End":true}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	exec, start, err := eng.StartExecution(sm, "", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(13 * 24 * time.Hour)
	d, err := eng.apiDescribeExecution(&executionInput{ExecutionArn: &exec})
	if err != nil || d.Status != statusRunning {
		t.Fatalf("after 13 days: %v %v", d, err)
	}
	clock.Advance(24 * time.Hour)
	d, err = eng.apiDescribeExecution(&executionInput{ExecutionArn: &exec})
	if err != nil || d.Status != statusSucceeded {
		t.Fatalf("after 14 days: %+v %v", d, err)
	}
	// The Wait ended at its own instant, not at the end of the jump.
	if got := time.Time(*d.StopDate).Sub(start); got < 14*24*time.Hour || got > 14*24*time.Hour+time.Minute {
		t.Errorf("stopped %v after start, want 14 days", got)
	}
	if clock.Offset() < 14*24*time.Hour-time.Minute {
		t.Errorf("offset = %v", clock.Offset())
	}
}

// TestAdmitBracketsTaskInvocations: Options.Admit admits a task's Lambda invocation before it runs and
// hears done once the engine has recorded its result, both without the engine's lock (they read the
// engine here). The synchronous Invoke the task makes through LambdaHandler meanwhile is not admitted
// again: it runs inside the task's admitted invocation.
func TestAdmitBracketsTaskInvocations(t *testing.T) {
	var (
		eng                *Engine
		mu                 sync.Mutex
		open, admissions   int
		statusAtDone       []string
		outerSaw, innerSaw = -1, -1
		finished           = make(chan struct{})
	)
	openNow := func() int {
		mu.Lock()
		defer mu.Unlock()
		return open
	}
	eng = New(Options{Admit: func() func() {
		eng.Changes() // takes the engine's lock, which Admit must be called without
		mu.Lock()
		open++
		admissions++
		mu.Unlock()
		return func() {
			d, err := eng.apiDescribeExecution(&executionInput{ExecutionArn: aws.String(eng.executionArn("admit", "run"))})
			mu.Lock()
			defer mu.Unlock()
			open--
			if err != nil {
				t.Errorf("describe the execution in done: %v", err)
			} else {
				statusAtDone = append(statusAtDone, d.Status)
			}
			close(finished)
		}
	}})
	t.Cleanup(eng.Close)
	lambdaAPI := httptest.NewServer(eng.LambdaHandler())
	t.Cleanup(lambdaAPI.Close)
	eng.RegisterFunction("inner", lambda.NewHandler(func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		innerSaw = openNow()
		return json.RawMessage(`"inner"`), nil
	}))
	eng.RegisterFunction("outer", lambda.NewHandler(func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		outerSaw = openNow()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, lambdaAPI.URL+"/2015-03-31/functions/inner/invocations", strings.NewReader(`{}`))
		if err != nil {
			return nil, err
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		return io.ReadAll(res.Body)
	}))
	sm, err := eng.CreateStateMachine("admit", `{"StartAt":"Outer","States":{
	  "Outer":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:outer","End":true}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := eng.StartExecution(sm, "run", `{}`); err != nil {
		t.Fatal(err)
	}
	select {
	case <-finished:
	case <-time.After(10 * time.Second):
		t.Fatal("the task's admission was not done")
	}
	mu.Lock()
	defer mu.Unlock()
	if got, want := outerSaw, 1; got != want {
		t.Errorf("the task ran with %d admissions open, want %d", got, want)
	}
	if got, want := innerSaw, 1; got != want {
		t.Errorf("the Invoke the task made ran with %d admissions open, want %d (its caller's only)", got, want)
	}
	if got, want := admissions, 1; got != want {
		t.Errorf("Admit called %d times, want %d", got, want)
	}
	if got, want := strings.Join(statusAtDone, ","), statusSucceeded; got != want {
		t.Errorf("execution status when done was called: %q, want %q (the result recorded first)", got, want)
	}
}
