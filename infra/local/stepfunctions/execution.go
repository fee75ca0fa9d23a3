package stepfunctions

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"refundflow/infra/local/asl"
)

// Execution statuses, as DescribeExecution reports them.
const (
	statusRunning   = "RUNNING"
	statusSucceeded = "SUCCEEDED"
	statusFailed    = "FAILED"
	statusTimedOut  = "TIMED_OUT"
	statusAborted   = "ABORTED"
)

// AWS limits the engine enforces.
const (
	// dataLimit is the largest state input or output, in bytes (256 KiB).
	dataLimit = 262144
	// historyLimit is the most events an execution may have; beyond it
	// the execution fails, which also ends runaway loops.
	historyLimit = 25000
)

// execution is one run of a state machine. Everything in it is guarded by
// the engine's lock.
type execution struct {
	e    *Engine
	arn  string
	name string
	sm   *stateMachine
	// definition is the definition the execution runs: its state
	// machine's when it started (a snapshot keeps it, as AWS keeps running
	// executions on the version they started with).
	definition string
	input      string
	status     string
	start      time.Time
	stop       time.Time
	output     string // valid when status is SUCCEEDED
	errName    string // valid when FAILED, TIMED_OUT or ABORTED
	cause      string

	events      []event
	transitions int
	root        *thread
	timeout     *timer

	// inputValue is the decoded input, for $$.Execution.Input; it is
	// dropped when the execution ends.
	inputValue any
}

// thread is one line of control: the top-level state machine, a Parallel
// branch or a Map iteration. It is parked when it has a timer, a task or a
// fan-out pending; nothing else keeps it alive.
type thread struct {
	x       *execution
	machine *asl.StateMachine
	parent  *fanout // nil for the top level
	index   int     // branch or iteration index within parent

	state   *asl.State
	input   any // the state's raw input
	entered time.Time
	retry   asl.RetryCounts // the current state's retries so far
	last    int64           // id of this thread's latest event

	timer *timer
	task  *taskRun
	fan   *fanout
	done  bool
}

// taskRun is a Task state attempt in progress.
type taskRun struct {
	th          *thread
	res         resource
	token       string
	scheduledID int64
	timeout     *timer
	heartbeat   *timer
	hbEvery     time.Duration
	closed      bool
	// submitted is set when a .waitForTaskToken task's function has
	// returned: the task then only waits for its token. Before that, its
	// invocation is in flight.
	submitted bool
}

// fanout is a running Parallel or Map state.
type fanout struct {
	th       *thread
	isMap    bool
	children []*thread
	results  []any
	items    []any // Map: the items
	eff      any   // Map: the effective input, for ItemSelector
	next     int   // Map: next item to start
	running  int
	max      int // Map: MaxConcurrency, 0 = unbounded
	failed   bool
}

// now is the engine clock's time.
func (x *execution) now() time.Time { return x.e.clock.Now() }

// emit appends an event with the given previous event and returns its id.
func (x *execution) emit(typ string, prev int64, d eventDetail) int64 {
	id := int64(len(x.events)) + 1
	x.events = append(x.events, event{typ: typ, at: x.now(), id: id, prev: prev, detail: d})
	return id
}

// emitOn appends an event that continues th's chain.
func (x *execution) emitOn(th *thread, typ string, d eventDetail) int64 {
	th.last = x.emit(typ, th.last, d)
	return th.last
}

// encode renders a value as the JSON text stored in history events.
func encode(v any) string {
	b, err := asl.Encode(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

// begin starts the execution: ExecutionStarted, the timeout, the first state.
func (x *execution) begin(input any) {
	x.inputValue = input
	x.root = &thread{x: x, machine: x.sm.machine}
	x.emitOn(x.root, "ExecutionStarted", &executionStartedDetails{Input: x.input, RoleArn: x.sm.roleArn})
	if s := x.sm.machine.TimeoutSeconds; s > 0 {
		x.armTimeout(x.start.Add(time.Duration(s) * time.Second))
	}
	x.enter(x.root, x.sm.machine.StartAt, input)
}

// The arm* methods set the engine's timers. Each timer's work is a method
// of the execution, not a closure over local state, so that Restore can set
// the same timers again from a snapshot.

// armTimeout sets the execution's TimeoutSeconds timer.
func (x *execution) armTimeout(at time.Time) {
	x.timeout = x.e.after(at, func() {
		x.timeout = nil
		x.finish(statusTimedOut, x.root.last, asl.ErrTimeout, "The execution timed out")
	})
}

// armWait sets the timer of th's Wait state; eff is the state's effective
// input (its InputPath applied).
func (x *execution) armWait(th *thread, until time.Time, eff any) {
	st := th.state
	th.timer = x.e.after(until, func() {
		th.timer = nil
		out, err := st.OutputPath.Apply(eff)
		if err != nil {
			x.stateFailed(th, err)
			return
		}
		x.exit(th, out, st.Next)
	})
}

// armRetry sets the timer after which th's current state runs again.
func (x *execution) armRetry(th *thread, at time.Time) {
	th.timer = x.e.after(at, func() {
		th.timer = nil
		x.run(th)
	})
}

// armTaskTimeout sets a task attempt's TimeoutSeconds timer.
func (x *execution) armTaskTimeout(tr *taskRun, at time.Time) {
	tr.timeout = x.e.after(at, func() {
		tr.timeout = nil
		x.taskTimedOut(tr, asl.ErrTimeout)
	})
}

// armHeartbeatAt sets a parked task's heartbeat deadline.
func (x *execution) armHeartbeatAt(tr *taskRun, at time.Time) {
	tr.heartbeat = x.e.after(at, func() {
		tr.heartbeat = nil
		x.taskTimedOut(tr, asl.ErrHeartbeatTimeout)
	})
}

// contextObject builds $$ for a state of th. token and item are set for
// tasks waiting on a token and for a Map's ItemSelector.
func (x *execution) contextObject(th *thread, token string, item *mapItem) map[string]any {
	c := asl.Context{
		ExecutionID:        x.arn,
		ExecutionName:      x.name,
		ExecutionInput:     x.inputValue,
		ExecutionStartTime: x.start,
		RoleArn:            x.sm.roleArn,
		StateName:          th.state.Name,
		StateEnteredTime:   th.entered,
		RetryCount:         th.retry.Total,
		HasRetryCount:      th.state.Retries(),
		StateMachineID:     x.sm.arn,
		StateMachineName:   x.sm.name,
		TaskToken:          token,
	}
	if item != nil {
		c.MapItem, c.MapItemIndex, c.MapItemValue = true, item.index, item.value
	}
	return c.Value()
}

type mapItem struct {
	index int
	value any
}

// enter moves th into the named state with the given raw input.
func (x *execution) enter(th *thread, name string, input any) {
	if x.status != statusRunning || th.done {
		return
	}
	if x.sm.deleting {
		// DeleteStateMachine ends the executions still running at their
		// next state transition, with AWS's error and cause.
		x.finish(statusFailed, th.last, asl.ErrRuntime, fmt.Sprintf("State machine %s has been deleted.", x.sm.name))
		return
	}
	st := th.machine.States[name]
	th.state = st
	th.input = input
	th.entered = x.now()
	th.retry = asl.RetryCounts{}
	if len(x.events) >= historyLimit {
		x.finish(statusFailed, th.last, asl.ErrRuntime, fmt.Sprintf(
			"The execution reached the maximum number of history events (%d).", historyLimit))
		return
	}
	in := encode(input)
	x.transitions++
	x.emitOn(th, st.Type+"StateEntered", &stateEnteredDetails{Name: name, Input: in})
	if len(in) > dataLimit {
		x.dataLimit(th, "input")
		return
	}
	x.e.enqueue(func() {
		if x.status == statusRunning && !th.done {
			x.run(th)
		}
	})
}

func (x *execution) dataLimit(th *thread, what string) {
	x.finish(statusFailed, th.last, asl.ErrDataLimitExceeded, fmt.Sprintf(
		"The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit (%s).",
		th.state.Name, what))
}

// run performs the current state of th.
func (x *execution) run(th *thread) {
	st := th.state
	eff, err := st.InputPath.Apply(th.input)
	if err != nil {
		x.stateFailed(th, err)
		return
	}
	switch st.Type {
	case asl.TypePass:
		result := eff
		if st.HasParameters {
			if result, err = x.eval(th, st.Parameters, eff, "", nil); err != nil {
				x.stateFailed(th, err)
				return
			}
		}
		if st.HasResult {
			result = st.Result
		}
		x.complete(th, result, false)
	case asl.TypeTask:
		x.startTask(th, eff)
	case asl.TypeChoice:
		next, err := st.ChooseNextWith(eff, x.contextObject(th, "", nil))
		if err != nil {
			x.stateFailed(th, err)
			return
		}
		out, err := st.OutputPath.Apply(eff)
		if err != nil {
			x.stateFailed(th, err)
			return
		}
		x.exit(th, out, next)
	case asl.TypeWait:
		until, err := st.WaitUntil(eff, x.now())
		if err != nil {
			x.stateFailed(th, err)
			return
		}
		x.armWait(th, until, eff)
	case asl.TypeSucceed:
		out, err := st.OutputPath.Apply(eff)
		if err != nil {
			x.stateFailed(th, err)
			return
		}
		x.exit(th, out, "")
	case asl.TypeFail:
		x.failState(th)
	case asl.TypeParallel:
		x.startParallel(th, eff)
	case asl.TypeMap:
		x.startMap(th, eff)
	default:
		x.stateFailed(th, &asl.Error{Name: asl.ErrRuntime, Cause: "unsupported state type " + st.Type})
	}
}

// eval evaluates a payload template for th's current state.
func (x *execution) eval(th *thread, tmpl, input any, token string, item *mapItem) (any, error) {
	return asl.EvalTemplate(tmpl, input, x.contextObject(th, token, item))
}

// failState runs a Fail state: the thread fails with its Error and Cause.
// The error a Fail state declares is passed on as it is; only a failure to
// evaluate its ErrorPath or CausePath is the engine's runtime error.
func (x *execution) failState(th *thread) {
	ae, err := th.state.FailError(th.input, x.contextObject(th, "", nil), asl.Env{})
	if err != nil {
		x.threadFailed(th, x.raised(th, err))
		return
	}
	x.threadFailed(th, ae)
}

// complete finishes th's current state with a result: ResultSelector (for
// Task, Parallel and Map), ResultPath, OutputPath, then the transition.
func (x *execution) complete(th *thread, result any, selector bool) {
	st := th.state
	var err error
	if selector && st.HasResultSelector {
		if result, err = x.eval(th, st.ResultSelector, result, "", nil); err != nil {
			x.stateFailed(th, err)
			return
		}
	}
	combined, err := asl.ApplyResultPath(st.ResultPath, th.input, result)
	if err != nil {
		x.stateFailed(th, err)
		return
	}
	out, err := st.OutputPath.Apply(combined)
	if err != nil {
		x.stateFailed(th, err)
		return
	}
	next := st.Next
	if st.End {
		next = ""
	}
	x.exit(th, out, next)
}

// exit records StateExited and moves th on: to next, or to its end when
// next is empty.
func (x *execution) exit(th *thread, output any, next string) {
	if x.status != statusRunning || th.done {
		return
	}
	st := th.state
	out := encode(output)
	x.emitOn(th, st.Type+"StateExited", &stateExitedDetails{Name: st.Name, Output: out})
	if len(out) > dataLimit {
		x.dataLimit(th, "output")
		return
	}
	if next != "" {
		x.enter(th, next, output)
		return
	}
	x.threadSucceeded(th, output)
}

// toStateError turns any error into the *asl.Error a state fails with;
// errors that are not already named are runtime errors.
func toStateError(err error) *asl.Error {
	var ae *asl.Error
	if errors.As(err, &ae) {
		return ae
	}
	return &asl.Error{Name: asl.ErrRuntime, Cause: err.Error()}
}

// raised is the *asl.Error th's current state fails with for err. AWS
// starts the cause of a States.Runtime error with the state it happened in
// and the id of that state's StateEntered event — "An error occurred while
// executing the state 'Wait' (entered at the event id #2). " — once, at the
// innermost state: a Parallel or Map state passes its branch's error on as
// it is (see fanout.fail). States.Runtime is never retried or caught, so
// the prefixed cause is what ExecutionFailed and DescribeExecution show.
func (x *execution) raised(th *thread, err error) *asl.Error {
	ae := toStateError(err)
	if ae.Name != asl.ErrRuntime {
		return ae
	}
	return &asl.Error{Name: ae.Name, Cause: fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). %s",
		th.state.Name, x.enteredEvent(th), ae.Cause)}
}

// enteredEvent returns the id of the StateEntered event of th's current
// state, found by following th's chain of previous events back: every event
// of a state links to the one before it, down to the state's entry (a
// Parallel or Map state's chain runs through its branches back to its own
// StateEntered, and state names are unique in a definition).
func (x *execution) enteredEvent(th *thread) int64 {
	for id := th.last; id > 0 && id <= int64(len(x.events)); {
		ev := &x.events[id-1]
		if d, ok := ev.detail.(*stateEnteredDetails); ok && d.Name == th.state.Name {
			return id
		}
		id = ev.prev
	}
	return 0
}

// stateFailed applies the current state's Retry and Catch to an error the
// state failed with — raised while running it, or reported by its task —,
// in that order, and fails the thread when neither handles it.
func (x *execution) stateFailed(th *thread, err error) {
	if x.status != statusRunning || th.done {
		return
	}
	x.handle(th, x.raised(th, err))
}

// handle applies the current state's Retry and Catch to ae, in that order,
// and fails the thread when neither handles it.
func (x *execution) handle(th *thread, ae *asl.Error) {
	if x.status != statusRunning || th.done {
		return
	}
	st := th.state
	// Retry first (only the first matching retrier counts, with AWS's
	// per-error attempt limits), then Catch.
	if delay, ok := st.NextRetry(&th.retry, ae.Name, rand.Float64); ok {
		x.transitions++
		x.armRetry(th, x.now().Add(delay))
		return
	}
	if i := asl.FindCatcher(st.Catch, ae.Name); i >= 0 {
		c := st.Catch[i]
		out, err := asl.ApplyResultPath(c.ResultPath, th.input, asl.ErrorOutput(ae))
		if err != nil {
			x.threadFailed(th, x.raised(th, err))
			return
		}
		x.exit(th, out, c.Next)
		return
	}
	x.threadFailed(th, ae)
}

// threadSucceeded ends th with its output.
func (x *execution) threadSucceeded(th *thread, output any) {
	th.done = true
	if th.parent == nil {
		x.output = encode(output)
		x.finish(statusSucceeded, th.last, "", "")
		return
	}
	th.parent.childSucceeded(th, output)
}

// threadFailed ends th with an error nothing caught.
func (x *execution) threadFailed(th *thread, ae *asl.Error) {
	if th.done {
		return
	}
	th.done = true
	if th.parent == nil {
		x.finish(statusFailed, th.last, ae.Name, ae.Cause)
		return
	}
	th.parent.childFailed(th, ae)
}

// finish closes the execution with a final status and event, and releases
// everything it held while running.
func (x *execution) finish(status string, prev int64, errName, cause string) {
	if x.status != statusRunning {
		return
	}
	x.status = status
	x.stop = x.now()
	x.errName, x.cause = errName, cause
	switch status {
	case statusSucceeded:
		x.emit("ExecutionSucceeded", prev, &executionSucceededDetails{Output: x.output})
	case statusFailed:
		x.emit("ExecutionFailed", prev, &failureDetails{k: "executionFailedEventDetails", Error: errName, Cause: cause})
	case statusTimedOut:
		x.emit("ExecutionTimedOut", prev, &failureDetails{k: "executionTimedOutEventDetails", Error: errName, Cause: cause})
	case statusAborted:
		x.emit("ExecutionAborted", prev, &failureDetails{k: "executionAbortedEventDetails", Error: errName, Cause: cause})
	}
	x.e.timers.cancel(x.timeout)
	x.timeout = nil
	if x.root != nil {
		x.abort(x.root)
	}
	x.root = nil
	x.inputValue = nil
	x.e.log.Debug("execution finished", "executionArn", x.arn, "status", status, "error", errName)
	x.e.finishDeletion(x.sm)
}

// abort stops th and everything under it: timers cancelled, tasks closed
// (their tokens then answer TaskTimedOut), fan-outs aborted.
func (x *execution) abort(th *thread) {
	th.done = true
	x.e.timers.cancel(th.timer)
	th.timer = nil
	if th.task != nil {
		x.closeTask(th.task)
	}
	if f := th.fan; f != nil {
		th.fan = nil
		for _, c := range f.children {
			if c != nil && !c.done {
				x.abort(c)
			}
		}
	}
}

// startTask schedules a Task state attempt.
func (x *execution) startTask(th *thread, eff any) {
	st := th.state
	res, ok := parseResource(st.Resource)
	if !ok {
		x.stateFailed(th, &asl.Error{Name: asl.ErrRuntime, Cause: "unsupported resource " + st.Resource})
		return
	}
	timeout, err := st.Timeout(eff)
	if err != nil {
		x.stateFailed(th, err)
		return
	}
	heartbeat, err := st.Heartbeat(eff)
	if err != nil {
		x.stateFailed(th, err)
		return
	}
	tr := &taskRun{th: th, res: res, hbEvery: heartbeat}
	if res.waitsForToken() {
		tr.token = newTaskToken()
	}
	params := eff
	if st.HasParameters {
		if params, err = x.eval(th, st.Parameters, eff, tr.token, nil); err != nil {
			x.stateFailed(th, err)
			return
		}
	}
	th.task = tr
	if tr.token != "" {
		x.e.tokens[tr.token] = tr
	}
	secs := int64(timeout / time.Second)
	if res.kind == resLambdaARN {
		tr.scheduledID = x.emitOn(th, "LambdaFunctionScheduled", &lambdaScheduledDetails{
			Resource: st.Resource, Input: encode(params), TimeoutInSeconds: secs})
		x.emitOn(th, "LambdaFunctionStarted", nil)
	} else {
		var hb int64
		if res.waitsForToken() {
			hb = int64(heartbeat / time.Second)
		}
		tr.scheduledID = x.emitOn(th, "TaskScheduled", &taskScheduledDetails{
			ResourceType: res.typ, Resource: res.name, Region: x.e.region,
			Parameters: encode(params), TimeoutInSeconds: secs, HeartbeatInSeconds: hb})
		x.emitOn(th, "TaskStarted", &taskStartedDetails{ResourceType: res.typ, Resource: res.name})
	}
	if timeout > 0 {
		x.armTaskTimeout(tr, x.now().Add(timeout))
	}
	x.invokeTask(tr, params)
}

// invokeTask starts a task attempt's work with its resolved Parameters: a
// Lambda invocation or a DynamoDB call. Restore calls it again for an
// attempt whose work was in flight when the snapshot was taken.
func (x *execution) invokeTask(tr *taskRun, params any) {
	switch tr.res.kind {
	case resLambdaARN:
		st := tr.th.state
		x.invokeLambda(tr, functionName(st.Resource), st.Resource, params, false)
	case resLambdaInvoke, resLambdaWait:
		x.invokeLambdaIntegration(tr, params)
	case resDynamoGet, resDynamoPut, resDynamoUpdate:
		x.callDynamo(tr, params)
	}
}

// invokeLambdaIntegration runs lambda:invoke's Parameters (FunctionName,
// Payload, InvocationType, Qualifier).
func (x *execution) invokeLambdaIntegration(tr *taskRun, params any) {
	p, ok := params.(map[string]any)
	if !ok {
		x.taskFailed(tr, asl.ErrRuntime, "The Parameters of a lambda:invoke task must be an object")
		return
	}
	fn, ok := p["FunctionName"].(string)
	if !ok || fn == "" {
		x.taskFailed(tr, asl.ErrRuntime, "The field 'FunctionName' must be a non-empty string")
		return
	}
	payload, hasPayload := p["Payload"]
	if !hasPayload {
		payload = map[string]any{}
	}
	async := false
	if it, ok := p["InvocationType"].(string); ok {
		switch it {
		case "RequestResponse":
		case "Event":
			async = true
		default:
			x.taskFailed(tr, "Lambda.InvalidParameterValueException", fmt.Sprintf(
				"InvocationType %q is not supported by the local engine (use RequestResponse or Event)", it))
			return
		}
	}
	x.invokeLambda(tr, functionName(fn), fn, payload, async)
}

// invokeLambda calls a registered handler on an invocation goroutine.
func (x *execution) invokeLambda(tr *taskRun, name, ref string, payload any, async bool) {
	e := x.e
	h, ok := e.functions[name]
	requestID := newUUID()
	fnArn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", e.region, e.account, name)
	if !ok {
		x.taskFailed(tr, "Lambda.ResourceNotFoundException", fmt.Sprintf(
			"Function not found: %s (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: %s; Proxy: null)",
			fnArn, requestID))
		return
	}
	body, err := asl.Encode(payload)
	if err != nil {
		x.taskFailed(tr, asl.ErrRuntime, err.Error())
		return
	}
	ctx := lambdaContext(e.baseCtx, requestID, fnArn)
	if async {
		// An Event invocation is accepted at once; the function runs on its
		// own and its result is not seen by the state machine.
		e.invokeAsync(name, body)
		x.lambdaSucceeded(tr, invokeResult("", requestID, 202))
		return
	}
	e.spawn(func() func() {
		out, name, cause, failed := invokeHandler(ctx, h, body)
		return func() {
			if tr.closed || x.status != statusRunning {
				return
			}
			if failed {
				x.taskFailed(tr, name, cause)
				return
			}
			v, err := decodePayload(out)
			if err != nil {
				x.taskFailed(tr, "Lambda.Unknown", fmt.Sprintf("The function returned a payload that is not JSON: %v", err))
				return
			}
			if tr.res.kind == resLambdaARN {
				x.lambdaSucceeded(tr, v)
				return
			}
			x.lambdaSucceeded(tr, invokeResult(v, requestID, 200))
		}
	})
}

// decodePayload reads a function's response; an empty response is null.
func decodePayload(b []byte) (any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	return asl.Decode(b)
}

// invokeResult is the lambda:invoke integration's result around a function's
// output.
func invokeResult(payload any, requestID string, status int) map[string]any {
	date := time.Now().UTC().Format(http1123)
	return map[string]any{
		"ExecutedVersion": "$LATEST",
		"Payload":         payload,
		"SdkHttpMetadata": map[string]any{
			"HttpHeaders": map[string]any{
				"Connection":             "keep-alive",
				"Content-Type":           "application/json",
				"Date":                   date,
				"X-Amz-Executed-Version": "$LATEST",
				"x-amzn-RequestId":       requestID,
			},
			"HttpStatusCode": jsonInt(status),
		},
		"SdkResponseMetadata": map[string]any{"RequestId": requestID},
		"StatusCode":          jsonInt(status),
	}
}

const http1123 = "Mon, 02 Jan 2006 15:04:05 GMT"

// lambdaSucceeded records a function's success. A plain function ARN's task
// result is the payload; lambda:invoke's is the integration result, and with
// .waitForTaskToken the task keeps waiting for its token.
func (x *execution) lambdaSucceeded(tr *taskRun, result any) {
	th := tr.th
	switch tr.res.kind {
	case resLambdaARN:
		x.emitOn(th, "LambdaFunctionSucceeded", &lambdaSucceededDetails{Output: encode(result)})
	case resLambdaWait:
		x.emitOn(th, "TaskSubmitted", &taskOutputDetails{k: "taskSubmittedEventDetails",
			ResourceType: tr.res.typ, Resource: tr.res.name, Output: encode(result)})
		// The heartbeat clock starts once the function has returned, as on AWS.
		tr.submitted = true
		x.armHeartbeat(tr)
		return
	default:
		x.emitOn(th, "TaskSucceeded", &taskOutputDetails{k: "taskSucceededEventDetails",
			ResourceType: tr.res.typ, Resource: tr.res.name, Output: encode(result)})
	}
	x.closeTask(tr)
	x.complete(th, result, true)
}

func (x *execution) armHeartbeat(tr *taskRun) {
	if tr.hbEvery <= 0 || tr.closed {
		return
	}
	x.e.timers.cancel(tr.heartbeat)
	x.armHeartbeatAt(tr, x.now().Add(tr.hbEvery))
}

// taskFailed records a failed task attempt and hands the error to
// Retry/Catch.
func (x *execution) taskFailed(tr *taskRun, name, cause string) {
	th := tr.th
	if tr.res.kind == resLambdaARN {
		x.emitOn(th, "LambdaFunctionFailed", &failureDetails{k: "lambdaFunctionFailedEventDetails", Error: name, Cause: cause})
	} else {
		x.emitOn(th, "TaskFailed", &taskFailureDetails{k: "taskFailedEventDetails",
			ResourceType: tr.res.typ, Resource: tr.res.name, Error: name, Cause: cause})
	}
	x.closeTask(tr)
	x.stateFailed(th, &asl.Error{Name: name, Cause: cause})
}

// taskTimedOut records a task's timeout or heartbeat timeout.
func (x *execution) taskTimedOut(tr *taskRun, name string) {
	if tr.closed || x.status != statusRunning {
		return
	}
	th := tr.th
	if tr.res.kind == resLambdaARN {
		x.emitOn(th, "LambdaFunctionTimedOut", &failureDetails{k: "lambdaFunctionTimedOutEventDetails", Error: name})
	} else {
		x.emitOn(th, "TaskTimedOut", &taskFailureDetails{k: "taskTimedOutEventDetails",
			ResourceType: tr.res.typ, Resource: tr.res.name, Error: name})
	}
	x.closeTask(tr)
	x.stateFailed(th, &asl.Error{Name: name})
}

// closeTask ends a task attempt: timers cancelled, its token retired (a late
// SendTask* call then gets TaskTimedOut), and late invocation results
// ignored.
func (x *execution) closeTask(tr *taskRun) {
	if tr.closed {
		return
	}
	tr.closed = true
	x.e.timers.cancel(tr.timeout)
	x.e.timers.cancel(tr.heartbeat)
	tr.timeout, tr.heartbeat = nil, nil
	if tr.token != "" {
		delete(x.e.tokens, tr.token)
		x.e.closed[tr.token] = struct{}{}
	}
	if tr.th.task == tr {
		tr.th.task = nil
	}
}

// startParallel runs every branch on the (Parameters-shaped) effective input.
func (x *execution) startParallel(th *thread, eff any) {
	st := th.state
	input := eff
	if st.HasParameters {
		var err error
		if input, err = x.eval(th, st.Parameters, eff, "", nil); err != nil {
			x.stateFailed(th, err)
			return
		}
	}
	x.emitOn(th, "ParallelStateStarted", nil)
	f := &fanout{th: th, children: make([]*thread, len(st.Branches)), results: make([]any, len(st.Branches))}
	th.fan = f
	for i, b := range st.Branches {
		c := &thread{x: x, machine: b, parent: f, index: i, last: th.last}
		f.children[i] = c
		f.running++
	}
	for i, c := range f.children {
		x.enter(c, st.Branches[i].StartAt, input)
	}
}

// startMap starts a Map state's iterations, up to MaxConcurrency at once.
func (x *execution) startMap(th *thread, eff any) {
	st := th.state
	items, err := st.Items(eff)
	if err != nil {
		x.stateFailed(th, err)
		return
	}
	maxc, err := st.Concurrency(eff)
	if err != nil {
		x.stateFailed(th, err)
		return
	}
	x.emitOn(th, "MapStateStarted", &mapStateStartedDetails{Length: len(items)})
	f := &fanout{th: th, isMap: true, items: items, eff: eff, max: maxc,
		children: make([]*thread, len(items)), results: make([]any, len(items))}
	th.fan = f
	if len(items) == 0 {
		th.fan = nil
		x.emitOn(th, "MapStateSucceeded", nil)
		x.complete(th, []any{}, true)
		return
	}
	f.startMore()
}

// startMore starts Map iterations while concurrency allows.
func (f *fanout) startMore() {
	th := f.th
	x := th.x
	st := th.state
	for f.next < len(f.items) && (f.max == 0 || f.running < f.max) {
		i := f.next
		f.next++
		input := f.items[i]
		if st.HasItemSelector {
			v, err := x.eval(th, st.ItemSelector, f.eff, "", &mapItem{index: i, value: f.items[i]})
			if err != nil {
				f.fail(nil, x.raised(th, err))
				return
			}
			input = v
		}
		id := x.emit("MapIterationStarted", th.last, &mapIterationDetails{k: "mapIterationStartedEventDetails", Name: st.Name, Index: i})
		c := &thread{x: x, machine: st.ItemProcessor, parent: f, index: i, last: id}
		f.children[i] = c
		f.running++
		x.enter(c, st.ItemProcessor.StartAt, input)
		if x.status != statusRunning || f.failed {
			return
		}
	}
}

// childSucceeded records a branch's or iteration's output and completes the
// state once all are done.
func (f *fanout) childSucceeded(c *thread, output any) {
	th := f.th
	x := th.x
	if f.failed || th.fan != f {
		return
	}
	f.results[c.index] = output
	f.running--
	if f.isMap {
		x.emit("MapIterationSucceeded", c.last, &mapIterationDetails{k: "mapIterationSucceededEventDetails", Name: th.state.Name, Index: c.index})
		f.children[c.index] = nil // its memory is no longer needed
		f.startMore()
		if f.next < len(f.items) || f.running > 0 {
			return
		}
		th.fan = nil
		th.last = x.emit("MapStateSucceeded", c.last, nil)
	} else {
		if f.running > 0 {
			return
		}
		th.fan = nil
		th.last = x.emit("ParallelStateSucceeded", c.last, nil)
	}
	x.complete(th, f.results, true)
}

// childFailed fails the Parallel or Map state: the other branches or
// iterations are aborted and the error goes to the state's Retry/Catch.
func (f *fanout) childFailed(c *thread, ae *asl.Error) {
	f.fail(c, ae)
}

func (f *fanout) fail(c *thread, ae *asl.Error) {
	th := f.th
	x := th.x
	if f.failed || th.fan != f {
		return
	}
	f.failed = true
	prev := th.last
	if c != nil {
		prev = c.last
		if f.isMap {
			prev = x.emit("MapIterationFailed", c.last, &mapIterationDetails{k: "mapIterationFailedEventDetails", Name: th.state.Name, Index: c.index})
		}
	}
	for _, o := range f.children {
		if o == nil || o.done {
			continue
		}
		x.abort(o)
		if f.isMap {
			x.emit("MapIterationAborted", o.last, &mapIterationDetails{k: "mapIterationAbortedEventDetails", Name: th.state.Name, Index: o.index})
		}
	}
	th.fan = nil
	typ := "ParallelStateFailed"
	if f.isMap {
		typ = "MapStateFailed"
	}
	th.last = x.emit(typ, prev, nil)
	// The branch's error goes on as it is: a runtime error already names
	// the state inside the branch where it happened.
	x.handle(th, ae)
}

// sendSuccess completes a parked task with the output a worker sent.
func (x *execution) sendSuccess(tr *taskRun, output any) {
	x.emitOn(tr.th, "TaskSucceeded", &taskOutputDetails{k: "taskSucceededEventDetails",
		ResourceType: tr.res.typ, Resource: tr.res.name, Output: encode(output)})
	x.closeTask(tr)
	x.complete(tr.th, output, true)
}

// jsonInt is an integer as the JSON values of the asl package hold it.
func jsonInt(n int) json.Number { return json.Number(strconv.Itoa(n)) }
