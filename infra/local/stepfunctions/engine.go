package stepfunctions

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"refundflow/infra/local/asl"
)

// Options configures an Engine. The zero value is usable: wall clock,
// region us-east-1, account 123456789012, no DynamoDB, no logging.
type Options struct {
	// Clock is the engine's time source; nil means SystemClock. With a
	// *VirtualClock, timers fire only when the clock is advanced.
	Clock Clock
	// DynamoDB serves the arn:aws:states:::dynamodb:* task resources; nil
	// makes such tasks fail with States.Runtime.
	DynamoDB *dynamodb.Client
	// Region appears in ARNs and history events; default "us-east-1".
	Region string
	// AccountID appears in ARNs; default "123456789012".
	AccountID string
	// Logger receives execution lifecycle records at Debug level and
	// internal problems at Error level; nil discards them.
	Logger *slog.Logger
	// MaxConcurrentInvocations bounds the goroutines running Lambda handlers
	// and DynamoDB calls at once; default 64. Further invocations wait in a
	// queue (as data, not as goroutines).
	MaxConcurrentInvocations int
	// Admit, if set, is called on an invocation goroutine before each piece
	// of work the engine runs there: a task state's Lambda invocation, an
	// Event invocation, a DynamoDB integration call. The work starts when
	// Admit returns; done is called once the engine has recorded its result,
	// without the engine's lock, as Admit is. Nil admits everything at
	// once. The local stack uses it to keep its saves and running functions
	// apart. Synchronous (RequestResponse) invocations through LambdaHandler
	// are not admitted: a function makes them while it runs, so it was
	// admitted itself, and admitting the call again could wait forever for
	// a save that waits for the caller.
	Admit func() (done func())
}

// Engine runs Amazon States Language state machines with Standard workflow
// semantics and serves the Step Functions API over HTTP (see Handler).
//
// Executions are data, not goroutines: an execution waiting on a task token,
// a Wait state or a retry delay holds no goroutine or OS thread, only its
// structs and, for timed waits, an entry in the engine's timer queue. Work is
// done by whoever makes it runnable (an API call, a finished invocation, a
// timer) under the engine's lock, through a run queue; Lambda handlers and
// DynamoDB calls run on a bounded set of goroutines without the lock.
type Engine struct {
	clock     Clock
	virtual   bool      // the clock only moves when told: no wall-clock timer
	driver    clockHost // a clock that drives the engine's timers, if any
	region    string
	account   string
	log       *slog.Logger
	dynamo    *dynamodb.Client
	baseCtx   context.Context
	cancelCtx context.CancelFunc

	mu         sync.Mutex
	idle       *sync.Cond // signalled on mu when work finishes
	machines   map[string]*stateMachine
	executions map[string]*execution
	tokens     map[string]*taskRun
	closed     map[string]struct{} // tokens of tasks that ended
	functions  map[string]*function
	timers     timerQueue
	runq       []func()
	spare      []func()
	inflight   int
	workers    int
	maxWorkers int
	admit      func() (done func())
	pending    []func() func()
	realTimer  *time.Timer
	realAt     time.Time
	shutdown   bool
	// changes grows whenever the state may have changed (see Changes).
	changes uint64
	// async holds the Event (asynchronous) invocations not yet returned,
	// so that a snapshot can have them run again.
	async    map[uint64]*asyncCall
	asyncSeq uint64
}

// New returns an engine configured by opts.
func New(opts Options) *Engine {
	e := &Engine{
		clock:      opts.Clock,
		region:     opts.Region,
		account:    opts.AccountID,
		log:        opts.Logger,
		dynamo:     opts.DynamoDB,
		machines:   map[string]*stateMachine{},
		executions: map[string]*execution{},
		tokens:     map[string]*taskRun{},
		closed:     map[string]struct{}{},
		functions:  map[string]*function{},
		async:      map[uint64]*asyncCall{},
		maxWorkers: opts.MaxConcurrentInvocations,
		admit:      opts.Admit,
	}
	if e.clock == nil {
		e.clock = SystemClock{}
	}
	if e.region == "" {
		e.region = "us-east-1"
	}
	if e.account == "" {
		e.account = "123456789012"
	}
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if e.maxWorkers <= 0 {
		e.maxWorkers = 64
	}
	e.idle = sync.NewCond(&e.mu)
	e.baseCtx, e.cancelCtx = context.WithCancel(context.Background())
	if h, ok := e.clock.(clockHost); ok {
		e.driver = h
		h.attach(e)
	}
	_, e.virtual = e.clock.(*VirtualClock)
	return e
}

// Close stops the engine's timers, detaches it from a virtual clock, cancels
// the context of running invocations and waits for them to return. Executions
// stay readable but make no further progress.
func (e *Engine) Close() {
	e.mu.Lock()
	e.shutdown = true
	if e.realTimer != nil {
		e.realTimer.Stop()
	}
	e.mu.Unlock()
	if e.driver != nil {
		e.driver.detach(e)
	}
	e.cancelCtx()
	e.mu.Lock()
	for e.workers > 0 {
		e.idle.Wait()
	}
	e.mu.Unlock()
}

// Clock returns the engine's clock.
func (e *Engine) Clock() Clock { return e.clock }

// RegisterFunction makes a Lambda handler callable by task states, under the
// function's name or ARN (only the name part of an ARN is used to match, as
// one engine stands for one account and region). Build h with
// lambda.NewHandler(fn) from aws-lambda-go to run a handler exactly as the
// Lambda Go runtime would: same JSON decoding, same error reporting.
//
// Handlers built by aws-lambda-go run one invocation at a time per function,
// like a single warm Lambda instance: their Invoke returns bytes from a
// pooled buffer that the next invocation overwrites, so concurrent calls
// would corrupt each other's results. Other lambda.Handler implementations
// are invoked concurrently.
func (e *Engine) RegisterFunction(arnOrName string, h lambda.Handler) {
	e.mu.Lock()
	defer e.mu.Unlock()
	fn := &function{h: h}
	if t := reflect.TypeOf(h); t != nil {
		if t.Kind() == reflect.Ptr {
			t = t.Elem()
		}
		fn.serial = t.PkgPath() == "github.com/aws/aws-lambda-go/lambda"
	}
	e.functions[functionName(arnOrName)] = fn
}

// function is a registered Lambda handler.
type function struct {
	h      lambda.Handler
	serial bool       // invocations must not overlap (see RegisterFunction)
	mu     sync.Mutex // held across Invoke and the copy of its result when serial
}

// WaitIdle blocks until the engine has nothing runnable: no queued work and
// no Lambda or DynamoDB call in flight. Executions parked on task tokens,
// Wait states or timers count as idle. Tests call it after StartExecution or
// SendTaskSuccess to observe a settled state; it returns ctx's error if ctx
// ends first.
func (e *Engine) WaitIdle(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		e.mu.Lock()
		e.idle.Broadcast()
		e.mu.Unlock()
	})
	defer stop()
	e.mu.Lock()
	defer e.mu.Unlock()
	for e.inflight > 0 || len(e.runq) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		e.idle.Wait()
	}
	return nil
}

// StateTransitions returns the billable state transitions an execution has
// used so far: one per state entered (inside Parallel branches and Map
// iterations too) plus one per retry. BillableTransitions derives the same
// number from the execution's history.
func (e *Engine) StateTransitions(executionArn string) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.executions[executionArn]
	if !ok {
		return 0, apiErrorf(codeExecutionDoesNotExist, "Execution Does Not Exist: '%s'", executionArn)
	}
	return x.transitions, nil
}

// TaskTokens returns the tokens of an execution's tasks that are waiting for
// SendTaskSuccess or SendTaskFailure, oldest first. It lets tests and the
// local stack act on a parked task without a Lambda function that stores
// its token.
func (e *Engine) TaskTokens(executionArn string) ([]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.executions[executionArn]
	if !ok {
		return nil, apiErrorf(codeExecutionDoesNotExist, "Execution Does Not Exist: '%s'", executionArn)
	}
	type tok struct {
		t  string
		id int64
	}
	var ts []tok
	for t, tr := range e.tokens {
		if tr.th.x == x {
			ts = append(ts, tok{t, tr.scheduledID})
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].id < ts[j].id })
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.t
	}
	return out, nil
}

// unlock runs queued work and timers already due, re-arms the wall-clock
// timer and releases the lock. Every method that changes engine state ends
// with it.
func (e *Engine) unlock() {
	e.settleLocked()
	e.idle.Broadcast()
	e.mu.Unlock()
}

// settleLocked runs the run queue and, on a virtual clock, the timers due at
// its current time (a Wait of 0 seconds or a past timestamp runs at once, as
// it would on the wall clock); on the wall clock it re-arms the timer.
func (e *Engine) settleLocked() {
	e.changes++
	e.pump()
	if e.shutdown {
		return
	}
	if e.virtual {
		e.runDue()
		return
	}
	e.rearm()
}

// enqueue schedules f to run under the lock before the current operation
// releases it. It keeps long chains of states iterative instead of recursive.
func (e *Engine) enqueue(f func()) { e.runq = append(e.runq, f) }

// pump runs the run queue until it is empty.
func (e *Engine) pump() {
	for len(e.runq) > 0 {
		q := e.runq
		e.runq = e.spare[:0]
		for i, f := range q {
			q[i] = nil
			f()
		}
		e.spare = q[:0]
	}
}

// spawn runs work on an invocation goroutine without the lock, once
// Options.Admit admits it; the function work returns is then run under the
// lock. At most maxWorkers goroutines exist; beyond that, work waits in a
// queue.
func (e *Engine) spawn(work func() (complete func())) {
	e.inflight++
	if e.workers < e.maxWorkers {
		e.workers++
		go e.worker(work)
		return
	}
	e.pending = append(e.pending, work)
}

func (e *Engine) worker(work func() func()) {
	for {
		done := func() {}
		if e.admit != nil {
			done = e.admit() // without the lock: it may wait for a save, which reads the engine
		}
		complete := work()
		e.mu.Lock()
		if !e.shutdown {
			complete()
			e.settleLocked()
		}
		e.inflight--
		if e.shutdown {
			// Close: queued invocations are dropped, not run.
			e.inflight -= len(e.pending)
			e.pending = nil
		}
		if len(e.pending) == 0 {
			e.workers--
			e.idle.Broadcast()
			e.mu.Unlock()
			done() // the result is recorded: a save waiting for done sees it
			return
		}
		work = e.pending[0]
		e.pending[0] = nil
		e.pending = e.pending[1:]
		e.idle.Broadcast()
		e.mu.Unlock()
		done()
	}
}

// after schedules fn to run under the lock at time at.
func (e *Engine) after(at time.Time, fn func()) *timer {
	return e.timers.add(at, fn)
}

// rearm points the single wall-clock timer at the earliest wake-up. With a
// virtual clock there is nothing to arm: the clock drives the engine.
func (e *Engine) rearm() {
	if e.virtual || e.shutdown {
		return
	}
	t, ok := e.timers.peek()
	if !ok {
		if e.realTimer != nil {
			e.realTimer.Stop()
			e.realAt = time.Time{}
		}
		return
	}
	if !e.realAt.IsZero() && e.realAt.Equal(t.at) {
		return
	}
	e.realAt = t.at
	d := t.at.Sub(e.clock.Now())
	if e.realTimer == nil {
		e.realTimer = time.AfterFunc(d, e.onRealTimer)
		return
	}
	e.realTimer.Reset(d)
}

func (e *Engine) onRealTimer() {
	e.mu.Lock()
	e.realAt = time.Time{}
	if !e.shutdown {
		e.runDue()
	}
	e.unlock()
}

// runDue fires every timer due now, running the work each one queues.
func (e *Engine) runDue() {
	for {
		t, ok := e.timers.popDue(e.clock.Now())
		if !ok {
			return
		}
		t.fn()
		e.pump()
	}
}

// nextWake implements clockListener.
func (e *Engine) nextWake() (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.shutdown {
		return time.Time{}, false
	}
	t, ok := e.timers.peek()
	if !ok {
		return time.Time{}, false
	}
	return t.at, true
}

// fireDue implements clockListener: it runs due timers and waits for the
// invocations they start, repeating until nothing is due or in flight.
func (e *Engine) fireDue() {
	e.mu.Lock()
	for !e.shutdown {
		e.runDue()
		for e.inflight > 0 || len(e.runq) > 0 {
			e.pump()
			if e.inflight > 0 {
				e.idle.Wait()
			}
		}
		if t, ok := e.timers.peek(); !ok || t.at.After(e.clock.Now()) {
			break
		}
	}
	// The clock jumped: a wall-clock timer armed before is stale.
	e.realAt = time.Time{}
	e.unlock()
}

// clockHost is a clock that drives engines' timers when it jumps
// (*VirtualClock, *AdjustableClock).
type clockHost interface {
	attach(clockListener)
	detach(clockListener)
}

// newUUID returns a random version 4 UUID, for execution names and request
// IDs.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// stateMachine is a created state machine.
type stateMachine struct {
	arn        string
	name       string
	definition string
	roleArn    string
	typ        string
	created    time.Time
	machine    *asl.StateMachine
	executions []*execution // in start order
	// deleting is set by DeleteStateMachine while executions still run;
	// the state machine goes when the last of them ends.
	deleting bool
}

// asyncCall is an Event invocation that has not returned yet.
type asyncCall struct {
	function string // the registered name
	payload  []byte
}

// invokeAsync runs an Event invocation of a registered function on an
// invocation goroutine. Until it returns, it is listed in e.async, so that a
// snapshot taken meanwhile runs it again on restore (Lambda runs Event
// invocations at least once).
func (e *Engine) invokeAsync(name string, payload []byte) {
	h, ok := e.functions[name]
	if !ok {
		e.log.Error("event invocation of a function that is not registered", "function", name)
		return
	}
	e.asyncSeq++
	id := e.asyncSeq
	e.async[id] = &asyncCall{function: name, payload: payload}
	fnArn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", e.region, e.account, name)
	ctx := lambdaContext(e.baseCtx, newUUID(), fnArn)
	e.spawn(func() func() {
		invokeHandler(ctx, h, payload)
		return func() { delete(e.async, id) }
	})
}

// Changes returns a number that grows whenever the engine's state may have
// changed: a state machine created, an execution started, moved on or
// stopped, a timer fired, a task answered. The local stack compares it with
// the value of its last snapshot to skip saving an engine that did nothing.
func (e *Engine) Changes() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.changes
}
