package stepfunctions

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"refundflow/infra/local/asl"
)

// SnapshotFormat and SnapshotVersion identify the documents Snapshot writes.
// Restore reads only this version: a snapshot of another version is refused
// with an error that says so, rather than half understood.
const (
	SnapshotFormat  = "refundflow-stepfunctions-snapshot"
	SnapshotVersion = 1
)

// ErrSnapshotVersion is wrapped by Restore's error for a snapshot written
// in another format version.
var ErrSnapshotVersion = errors.New("unsupported snapshot version")

// Snapshot returns the engine's state as a JSON document that Restore reads
// back, in this process or a later one: the state machines, every execution
// (running or finished, with its history, so DescribeExecution and
// GetExecutionHistory answer as before), the task tokens issued (open ones
// with their timeout and heartbeat deadlines; closed ones, which keep
// answering TaskTimedOut), the timers of Wait states, retries and execution
// timeouts, name idempotency and the billable transition counts.
//
// Executions hold no goroutines, so the snapshot is exact for everything
// that waits. Work in flight (a Lambda invocation or DynamoDB call that has
// not returned) cannot be captured half-done; it is recorded as to be run
// again: Restore starts the same task attempt's work again with the same
// parameters (the same task token included). Step Functions runs tasks at
// least once, so the functions a state machine calls must be safe to run
// twice anyway. A snapshot taken after WaitIdle, or after Close, has no work
// in flight from the engine's own view, except invocations that Close
// cancelled, which are run again.
//
// Snapshot may be called at any time, also after Close; it holds the
// engine's lock while it copies, which is briefly.
func (e *Engine) Snapshot() ([]byte, error) {
	e.mu.Lock()
	doc, err := e.snapshotLocked()
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("snapshot: encode: %w", err)
	}
	return b, nil
}

// snapshotDoc is the snapshot document.
type snapshotDoc struct {
	Format  string    `json:"format"`
	Version int       `json:"version"`
	Taken   time.Time `json:"taken"` // the engine clock's time, for people reading the file
	Region  string    `json:"region"`
	Account string    `json:"account"`
	// Definitions holds each distinct definition once; machines and
	// executions refer to it by index.
	Definitions  []string       `json:"definitions"`
	Machines     []snapMachine  `json:"machines"`
	ClosedTokens []string       `json:"closedTokens,omitempty"`
	Async        []snapAsyncRun `json:"asyncInvocations,omitempty"`
}

type snapMachine struct {
	Arn        string          `json:"arn"`
	Name       string          `json:"name"`
	Definition int             `json:"definition"`
	RoleArn    string          `json:"roleArn"`
	Type       string          `json:"type"`
	Created    time.Time       `json:"created"`
	Executions []snapExecution `json:"executions,omitempty"` // in start order
	// Deleting: DeleteStateMachine was called while executions ran.
	Deleting bool `json:"deleting,omitempty"`
}

type snapExecution struct {
	Arn         string      `json:"arn"`
	Name        string      `json:"name"`
	Definition  int         `json:"definition"`
	Input       string      `json:"input"`
	Status      string      `json:"status"`
	Start       time.Time   `json:"start"`
	Stop        time.Time   `json:"stop,omitzero"`
	Output      string      `json:"output,omitempty"`
	Error       string      `json:"error,omitempty"`
	Cause       string      `json:"cause,omitempty"`
	Transitions int         `json:"transitions"`
	Timeout     *snapTimer  `json:"timeout,omitempty"`
	Root        *snapThread `json:"root,omitempty"` // running executions only
	Events      []snapEvent `json:"events"`
}

// snapTimer is a pending timer: when it fires, and its place among timers
// due at the same instant.
type snapTimer struct {
	At  time.Time `json:"at"`
	Seq uint64    `json:"seq"`
}

type snapEvent struct {
	Type   string          `json:"type"`
	At     time.Time       `json:"at"`
	Prev   int64           `json:"prev,omitempty"`
	Key    string          `json:"key,omitempty"`
	Detail json.RawMessage `json:"detail,omitempty"`
}

// snapThread is a line of control. Its state machine is not stored: the
// top level runs the execution's definition, a Parallel branch the parent
// state's branch of its index, a Map iteration the parent's ItemProcessor.
type snapThread struct {
	Index   int              `json:"index,omitempty"`
	State   string           `json:"state,omitempty"`
	Input   json.RawMessage  `json:"input,omitempty"`
	Entered time.Time        `json:"entered,omitzero"`
	Retry   *asl.RetryCounts `json:"retry,omitempty"`
	Last    int64            `json:"last"`
	Done    bool             `json:"done,omitempty"`
	// Timer is a Wait state's wake-up, or the delay before a retry (in
	// any other state).
	Timer *snapTimer `json:"timer,omitempty"`
	Task  *snapTask  `json:"task,omitempty"`
	Fan   *snapFan   `json:"fan,omitempty"`
}

type snapTask struct {
	Token       string        `json:"token,omitempty"`
	ScheduledID int64         `json:"scheduledId"`
	Timeout     *snapTimer    `json:"timeout,omitempty"`
	Heartbeat   *snapTimer    `json:"heartbeat,omitempty"`
	HBEvery     time.Duration `json:"heartbeatEvery,omitempty"`
	// Submitted: a .waitForTaskToken task whose function returned, waiting
	// for its token. Every other open task had its work in flight, which
	// Restore runs again.
	Submitted bool `json:"submitted,omitempty"`
}

type snapFan struct {
	Map      bool            `json:"map,omitempty"`
	Children []*snapThread   `json:"children"` // null: a finished Map iteration
	Results  json.RawMessage `json:"results"`
	Items    json.RawMessage `json:"items,omitempty"`
	Eff      json.RawMessage `json:"eff,omitempty"`
	Next     int             `json:"next,omitempty"`
	Running  int             `json:"running"`
	Max      int             `json:"max,omitempty"`
}

type snapAsyncRun struct {
	Function string `json:"function"`
	Payload  string `json:"payload"`
}

func (e *Engine) snapshotLocked() (*snapshotDoc, error) {
	doc := &snapshotDoc{Format: SnapshotFormat, Version: SnapshotVersion, Taken: e.clock.Now(),
		Region: e.region, Account: e.account, Machines: []snapMachine{}, Definitions: []string{}}
	defs := map[string]int{}
	defIndex := func(d string) int {
		if i, ok := defs[d]; ok {
			return i
		}
		defs[d] = len(doc.Definitions)
		doc.Definitions = append(doc.Definitions, d)
		return defs[d]
	}
	arns := make([]string, 0, len(e.machines))
	for arn := range e.machines {
		arns = append(arns, arn)
	}
	sort.Strings(arns)
	for _, arn := range arns {
		sm := e.machines[arn]
		m := snapMachine{Arn: sm.arn, Name: sm.name, Definition: defIndex(sm.definition), RoleArn: sm.roleArn,
			Type: sm.typ, Created: sm.created, Deleting: sm.deleting}
		for _, x := range sm.executions {
			sx, err := snapshotExecution(x)
			if err != nil {
				return nil, fmt.Errorf("snapshot execution %s: %w", x.arn, err)
			}
			sx.Definition = defIndex(x.definition)
			m.Executions = append(m.Executions, sx)
		}
		doc.Machines = append(doc.Machines, m)
	}
	for t := range e.closed {
		doc.ClosedTokens = append(doc.ClosedTokens, t)
	}
	sort.Strings(doc.ClosedTokens)
	ids := make([]uint64, 0, len(e.async))
	for id := range e.async {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		a := e.async[id]
		doc.Async = append(doc.Async, snapAsyncRun{Function: a.function, Payload: string(a.payload)})
	}
	return doc, nil
}

func snapTimerOf(t *timer) *snapTimer {
	if t == nil || t.idx < 0 {
		return nil
	}
	return &snapTimer{At: t.at, Seq: t.seq}
}

func snapshotExecution(x *execution) (snapExecution, error) {
	sx := snapExecution{Arn: x.arn, Name: x.name, Input: x.input, Status: x.status, Start: x.start, Stop: x.stop,
		Output: x.output, Error: x.errName, Cause: x.cause, Transitions: x.transitions, Timeout: snapTimerOf(x.timeout),
		Events: make([]snapEvent, len(x.events))}
	for i := range x.events {
		ev := &x.events[i]
		if ev.id != int64(i)+1 {
			return sx, fmt.Errorf("event %d has id %d", i+1, ev.id)
		}
		se := snapEvent{Type: ev.typ, At: ev.at, Prev: ev.prev}
		if ev.detail != nil {
			se.Key = ev.detail.key()
			if newDetail(se.Key) == nil {
				// A detail type added to the engine but not to newDetail
				// would be lost on restore: refuse loudly instead.
				return sx, fmt.Errorf("event %d: detail %q cannot be restored", ev.id, se.Key)
			}
			b, err := json.Marshal(ev.detail)
			if err != nil {
				return sx, fmt.Errorf("event %d: %w", ev.id, err)
			}
			se.Detail = b
		}
		sx.Events[i] = se
	}
	if x.status == statusRunning && x.root != nil {
		root, err := snapshotThread(x.root)
		if err != nil {
			return sx, err
		}
		sx.Root = root
	}
	return sx, nil
}

func snapshotThread(th *thread) (*snapThread, error) {
	st := &snapThread{Index: th.index, Last: th.last, Done: th.done, Entered: th.entered, Timer: snapTimerOf(th.timer)}
	if th.state != nil {
		st.State = th.state.Name
	}
	in, err := asl.Encode(th.input)
	if err != nil {
		return nil, fmt.Errorf("state %s: input: %w", st.State, err)
	}
	st.Input = in
	if th.retry.Total > 0 || len(th.retry.Uses) > 0 {
		r := th.retry
		st.Retry = &r
	}
	if tr := th.task; tr != nil && !tr.closed {
		st.Task = &snapTask{Token: tr.token, ScheduledID: tr.scheduledID, Timeout: snapTimerOf(tr.timeout),
			Heartbeat: snapTimerOf(tr.heartbeat), HBEvery: tr.hbEvery, Submitted: tr.submitted}
	}
	if f := th.fan; f != nil {
		sf := &snapFan{Map: f.isMap, Next: f.next, Running: f.running, Max: f.max, Children: make([]*snapThread, len(f.children))}
		for i, c := range f.children {
			if c == nil {
				continue
			}
			if sf.Children[i], err = snapshotThread(c); err != nil {
				return nil, err
			}
		}
		if sf.Results, err = asl.Encode(f.results); err != nil {
			return nil, fmt.Errorf("state %s: results: %w", st.State, err)
		}
		if f.isMap {
			if sf.Items, err = asl.Encode(f.items); err != nil {
				return nil, fmt.Errorf("state %s: items: %w", st.State, err)
			}
			if sf.Eff, err = asl.Encode(f.eff); err != nil {
				return nil, fmt.Errorf("state %s: input: %w", st.State, err)
			}
		}
		st.Fan = sf
	}
	return st, nil
}

// newDetail returns an empty detail struct for a detail key, or nil for a
// key no event of this engine has.
func newDetail(key string) eventDetail {
	switch key {
	case "executionStartedEventDetails":
		return &executionStartedDetails{}
	case "executionSucceededEventDetails":
		return &executionSucceededDetails{}
	case "executionFailedEventDetails", "executionTimedOutEventDetails", "executionAbortedEventDetails",
		"lambdaFunctionFailedEventDetails", "lambdaFunctionTimedOutEventDetails":
		return &failureDetails{k: key}
	case "stateEnteredEventDetails":
		return &stateEnteredDetails{}
	case "stateExitedEventDetails":
		return &stateExitedDetails{}
	case "taskScheduledEventDetails":
		return &taskScheduledDetails{}
	case "taskStartedEventDetails":
		return &taskStartedDetails{}
	case "taskSubmittedEventDetails", "taskSucceededEventDetails":
		return &taskOutputDetails{k: key}
	case "taskFailedEventDetails", "taskTimedOutEventDetails":
		return &taskFailureDetails{k: key}
	case "lambdaFunctionScheduledEventDetails":
		return &lambdaScheduledDetails{}
	case "lambdaFunctionSucceededEventDetails":
		return &lambdaSucceededDetails{}
	case "mapStateStartedEventDetails":
		return &mapStateStartedDetails{}
	case "mapIterationStartedEventDetails", "mapIterationSucceededEventDetails",
		"mapIterationFailedEventDetails", "mapIterationAbortedEventDetails":
		return &mapIterationDetails{k: key}
	}
	return nil
}

// Restore loads a snapshot written by Snapshot and carries on from it:
// parked tasks wait for their tokens again (the same tokens), timers are set
// again at their instants, and work that was in flight is started again.
// Timers that fell due meanwhile (the clock moved on while the process was
// down) fire at once.
//
// Register the functions first: work is started before Restore returns.
// The engine must have no executions. State machines it already has (the
// local stack creates them from template.yaml before restoring) keep their
// current definition, as an update would; executions keep running the
// definition they started with. Restore changes nothing when it returns an
// error; a snapshot of another format version gives one wrapping
// ErrSnapshotVersion.
func (e *Engine) Restore(data []byte) error {
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("restore: not a snapshot: %w", err)
	}
	if head.Format != SnapshotFormat {
		return fmt.Errorf("restore: not a snapshot of the local Step Functions engine (format %q)", head.Format)
	}
	if head.Version != SnapshotVersion {
		return fmt.Errorf("restore: %w: the snapshot is version %d, this engine reads version %d",
			ErrSnapshotVersion, head.Version, SnapshotVersion)
	}
	var doc snapshotDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	e.mu.Lock()
	r := &restorer{e: e, doc: &doc, parsed: map[int]*asl.StateMachine{}}
	if err := r.build(); err != nil {
		e.mu.Unlock()
		return fmt.Errorf("restore: %w", err)
	}
	r.commit()
	e.unlock()
	return nil
}

// restorer rebuilds an engine's structures from a snapshot document. build
// only reads the engine; commit changes it.
type restorer struct {
	e      *Engine
	doc    *snapshotDoc
	parsed map[int]*asl.StateMachine

	machines   []*stateMachine // new ones
	attach     map[*stateMachine][]*execution
	executions []*execution
	tokens     map[string]*taskRun
	timers     []pendingTimer
	inflight   []pendingWork
}

type pendingTimer struct {
	t   *snapTimer
	arm func(at time.Time)
}

type pendingWork struct {
	x      *execution
	tr     *taskRun
	params any
}

func (r *restorer) definition(i int) (string, *asl.StateMachine, error) {
	if i < 0 || i >= len(r.doc.Definitions) {
		return "", nil, fmt.Errorf("definition %d does not exist", i)
	}
	if m, ok := r.parsed[i]; ok {
		return r.doc.Definitions[i], m, nil
	}
	m, err := asl.Parse([]byte(r.doc.Definitions[i]))
	if err != nil {
		return "", nil, fmt.Errorf("definition %d: %w", i, err)
	}
	r.parsed[i] = m
	return r.doc.Definitions[i], m, nil
}

func (r *restorer) build() error {
	e := r.e
	if len(e.executions) > 0 {
		return errors.New("the engine already has executions")
	}
	if r.doc.Region != e.region || r.doc.Account != e.account {
		return fmt.Errorf("the snapshot is of region %s, account %s; this engine is region %s, account %s",
			r.doc.Region, r.doc.Account, e.region, e.account)
	}
	r.attach = map[*stateMachine][]*execution{}
	r.tokens = map[string]*taskRun{}
	seen := map[string]bool{}
	for _, m := range r.doc.Machines {
		sm, ok := e.machines[m.Arn]
		if !ok {
			def, parsed, err := r.definition(m.Definition)
			if err != nil {
				return fmt.Errorf("state machine %s: %w", m.Arn, err)
			}
			if m.Arn != e.stateMachineArn(m.Name) {
				return fmt.Errorf("state machine %s: the ARN does not match its name %q", m.Arn, m.Name)
			}
			sm = &stateMachine{arn: m.Arn, name: m.Name, definition: def, roleArn: m.RoleArn, typ: m.Type,
				created: m.Created, machine: parsed, deleting: m.Deleting}
			r.machines = append(r.machines, sm)
		}
		for _, sx := range m.Executions {
			if seen[sx.Arn] {
				return fmt.Errorf("execution %s appears twice", sx.Arn)
			}
			seen[sx.Arn] = true
			x, err := r.execution(sm, &sx)
			if err != nil {
				return fmt.Errorf("execution %s: %w", sx.Arn, err)
			}
			r.attach[sm] = append(r.attach[sm], x)
			r.executions = append(r.executions, x)
		}
	}
	for _, a := range r.doc.Async {
		if _, ok := e.functions[a.Function]; !ok {
			return fmt.Errorf("an Event invocation of function %s is in flight, and no such function is registered", a.Function)
		}
	}
	return nil
}

func (r *restorer) execution(sm *stateMachine, sx *snapExecution) (*execution, error) {
	def, machine, err := r.definition(sx.Definition)
	if err != nil {
		return nil, err
	}
	if sx.Arn != r.e.executionArn(sm.name, sx.Name) {
		return nil, fmt.Errorf("the ARN does not match state machine %s and name %q", sm.name, sx.Name)
	}
	x := &execution{e: r.e, arn: sx.Arn, name: sx.Name, sm: sm, definition: def, input: sx.Input, status: sx.Status,
		start: sx.Start, stop: sx.Stop, output: sx.Output, errName: sx.Error, cause: sx.Cause,
		transitions: sx.Transitions, events: make([]event, len(sx.Events))}
	for i, se := range sx.Events {
		ev := event{typ: se.Type, at: se.At, id: int64(i) + 1, prev: se.Prev}
		if se.Key != "" {
			d := newDetail(se.Key)
			if d == nil {
				return nil, fmt.Errorf("event %d: unknown detail %q", i+1, se.Key)
			}
			if err := json.Unmarshal(se.Detail, d); err != nil {
				return nil, fmt.Errorf("event %d: %w", i+1, err)
			}
			ev.detail = d
		}
		x.events[i] = ev
	}
	switch sx.Status {
	case statusSucceeded, statusFailed, statusTimedOut, statusAborted:
		if sx.Root != nil || sx.Timeout != nil {
			return nil, fmt.Errorf("a %s execution has threads or timers", sx.Status)
		}
		return x, nil
	case statusRunning:
	default:
		return nil, fmt.Errorf("unknown status %q", sx.Status)
	}
	if sx.Root == nil {
		return nil, errors.New("a running execution without its state")
	}
	if x.inputValue, err = asl.Decode([]byte(sx.Input)); err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	if x.root, err = r.thread(x, machine, nil, sx.Root); err != nil {
		return nil, err
	}
	if sx.Timeout != nil {
		r.timers = append(r.timers, pendingTimer{sx.Timeout, x.armTimeout})
	}
	return x, nil
}

// thread rebuilds a thread and what it waits for. A thread that is not done
// waits for exactly one thing: a timer, a task or a fan-out.
func (r *restorer) thread(x *execution, machine *asl.StateMachine, parent *fanout, st *snapThread) (*thread, error) {
	th := &thread{x: x, machine: machine, parent: parent, index: st.Index, entered: st.Entered, last: st.Last, done: st.Done}
	if st.Last < 0 || st.Last > int64(len(x.events)) {
		return nil, fmt.Errorf("thread refers to event %d of %d", st.Last, len(x.events))
	}
	if st.State != "" {
		th.state = machine.States[st.State]
		if th.state == nil {
			return nil, fmt.Errorf("no state %q in the definition", st.State)
		}
	}
	in, err := asl.Decode(st.Input)
	if err != nil {
		return nil, fmt.Errorf("state %s: input: %w", st.State, err)
	}
	th.input = in
	if st.Retry != nil {
		th.retry = *st.Retry
	}
	waits := 0
	for _, w := range []bool{st.Timer != nil, st.Task != nil, st.Fan != nil} {
		if w {
			waits++
		}
	}
	if th.done {
		if waits > 0 {
			return nil, fmt.Errorf("state %s: a finished thread still waits", st.State)
		}
		return th, nil
	}
	if waits != 1 || th.state == nil {
		return nil, fmt.Errorf("state %q: a running thread must wait for one timer, task or branch set (it waits for %d)", st.State, waits)
	}
	switch {
	case st.Timer != nil:
		if th.state.Type == asl.TypeWait {
			eff, err := th.state.InputPath.Apply(th.input)
			if err != nil {
				return nil, fmt.Errorf("state %s: input path: %w", st.State, err)
			}
			r.timers = append(r.timers, pendingTimer{st.Timer, func(at time.Time) { x.armWait(th, at, eff) }})
		} else {
			r.timers = append(r.timers, pendingTimer{st.Timer, func(at time.Time) { x.armRetry(th, at) }})
		}
	case st.Task != nil:
		if err := r.task(x, th, st.Task); err != nil {
			return nil, fmt.Errorf("state %s: %w", st.State, err)
		}
	case st.Fan != nil:
		if err := r.fan(x, th, st.Fan); err != nil {
			return nil, fmt.Errorf("state %s: %w", st.State, err)
		}
	}
	return th, nil
}

func (r *restorer) task(x *execution, th *thread, st *snapTask) error {
	if th.state.Type != asl.TypeTask {
		return fmt.Errorf("a %s state has a task", th.state.Type)
	}
	res, ok := parseResource(th.state.Resource)
	if !ok {
		return fmt.Errorf("unsupported resource %s", th.state.Resource)
	}
	tr := &taskRun{th: th, res: res, token: st.Token, scheduledID: st.ScheduledID, hbEvery: st.HBEvery, submitted: st.Submitted}
	th.task = tr
	if res.waitsForToken() != (st.Token != "") {
		return errors.New("the task's token does not fit its resource")
	}
	if st.Token != "" {
		if !wellFormedToken(st.Token) {
			return errors.New("a malformed task token")
		}
		if r.tokens[st.Token] != nil {
			return errors.New("a task token used twice")
		}
		r.tokens[st.Token] = tr
	}
	if st.Submitted && !res.waitsForToken() {
		return errors.New("only .waitForTaskToken tasks wait after their function returns")
	}
	if st.Timeout != nil {
		r.timers = append(r.timers, pendingTimer{st.Timeout, func(at time.Time) { x.armTaskTimeout(tr, at) }})
	}
	if st.Heartbeat != nil {
		r.timers = append(r.timers, pendingTimer{st.Heartbeat, func(at time.Time) { x.armHeartbeatAt(tr, at) }})
	}
	if st.Submitted {
		return nil
	}
	// The work was in flight: run it again with the parameters the
	// attempt was scheduled with.
	if st.ScheduledID < 1 || st.ScheduledID > int64(len(x.events)) {
		return fmt.Errorf("the task refers to event %d of %d", st.ScheduledID, len(x.events))
	}
	var raw string
	switch d := x.events[st.ScheduledID-1].detail.(type) {
	case *lambdaScheduledDetails:
		raw = d.Input
	case *taskScheduledDetails:
		raw = d.Parameters
	default:
		return fmt.Errorf("event %d is not the task's scheduling", st.ScheduledID)
	}
	params, err := asl.Decode([]byte(raw))
	if err != nil {
		return fmt.Errorf("the task's parameters: %w", err)
	}
	r.inflight = append(r.inflight, pendingWork{x: x, tr: tr, params: params})
	return nil
}

func (r *restorer) fan(x *execution, th *thread, sf *snapFan) error {
	st := th.state
	f := &fanout{th: th, isMap: sf.Map, next: sf.Next, running: sf.Running, max: sf.Max, children: make([]*thread, len(sf.Children))}
	th.fan = f
	var child func(i int) *asl.StateMachine
	switch {
	case st.Type == asl.TypeParallel && !sf.Map:
		if len(sf.Children) != len(st.Branches) {
			return fmt.Errorf("%d branches in the snapshot, %d in the definition", len(sf.Children), len(st.Branches))
		}
		child = func(i int) *asl.StateMachine { return st.Branches[i] }
	case st.Type == asl.TypeMap && sf.Map && st.ItemProcessor != nil:
		child = func(int) *asl.StateMachine { return st.ItemProcessor }
	default:
		return fmt.Errorf("a %s state has a fan-out that does not fit it", st.Type)
	}
	results, err := decodeArray(sf.Results, len(sf.Children))
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	f.results = results
	if sf.Map {
		if f.items, err = decodeArray(sf.Items, len(sf.Children)); err != nil {
			return fmt.Errorf("items: %w", err)
		}
		if f.eff, err = asl.Decode(sf.Eff); err != nil {
			return fmt.Errorf("input: %w", err)
		}
	}
	for i, sc := range sf.Children {
		if sc == nil {
			continue
		}
		if sc.Index != i {
			return fmt.Errorf("child %d says it is %d", i, sc.Index)
		}
		if f.children[i], err = r.thread(x, child(i), f, sc); err != nil {
			return fmt.Errorf("branch %d: %w", i, err)
		}
	}
	return nil
}

// decodeArray decodes a JSON array of n values.
func decodeArray(raw json.RawMessage, n int) ([]any, error) {
	v, err := asl.Decode(raw)
	if err != nil {
		return nil, err
	}
	a, ok := v.([]any)
	if !ok || len(a) != n {
		return nil, fmt.Errorf("want an array of %d values", n)
	}
	return a, nil
}

// commit puts the rebuilt structures into the engine and starts what they
// wait for: timers in their original order, then work that was in flight.
func (r *restorer) commit() {
	e := r.e
	for _, sm := range r.machines {
		e.machines[sm.arn] = sm
	}
	for sm, xs := range r.attach {
		sm.executions = append(xs, sm.executions...)
	}
	for _, x := range r.executions {
		e.executions[x.arn] = x
	}
	for t, tr := range r.tokens {
		e.tokens[t] = tr
	}
	for _, t := range r.doc.ClosedTokens {
		e.closed[t] = struct{}{}
	}
	sort.SliceStable(r.timers, func(i, j int) bool { return r.timers[i].t.Seq < r.timers[j].t.Seq })
	for _, p := range r.timers {
		p.arm(p.t.At)
	}
	for _, w := range r.inflight {
		w.x.invokeTask(w.tr, w.params)
	}
	for _, a := range r.doc.Async {
		e.invokeAsync(a.Function, []byte(a.Payload))
	}
	e.changes++
}
