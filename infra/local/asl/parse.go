package asl

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Limits AWS applies to definitions.
const (
	maxStateNameLength = 80
	maxTimeoutSeconds  = 99999999
	maxRetryInterval   = 99999999
	maxRetryAttempts   = 99999999
	maxRetryDelay      = 31622400 // one year (366 days), AWS's bound for MaxDelaySeconds
)

// Parse parses a definition and validates it as CreateStateMachine does. A
// definition that is not valid ASL is refused with a *ValidationError listing
// every problem found, each naming the state and field
// ("MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next").
func Parse(definition []byte) (*StateMachine, error) {
	doc, err := decodeDefinition(definition)
	if err != nil {
		return nil, &ValidationError{Problems: []string{"INVALID_JSON_DESCRIPTION: " + err.Error()}}
	}
	p := &parser{doc: doc, names: map[string]string{}}
	for _, d := range doc.dups {
		p.add("SCHEMA_VALIDATION_FAILED", d, "Duplicate field")
	}
	obj, ok := doc.value.(map[string]any)
	if !ok {
		p.add("SCHEMA_VALIDATION_FAILED", "/", "The definition must be a JSON object")
		return nil, p.err()
	}
	sm := p.machine(obj, "", machineTop)
	if len(p.problems) > 0 {
		return nil, p.err()
	}
	return sm, nil
}

// MustParse is Parse for definitions known to be valid, such as test fixtures
// and embedded definitions; it panics on an invalid definition.
func MustParse(definition string) *StateMachine {
	sm, err := Parse([]byte(definition))
	if err != nil {
		panic(err)
	}
	return sm
}

type machineKind int

const (
	machineTop machineKind = iota
	machineBranch
	machineProcessor
	// machineIterator is a Map state's legacy Iterator, which AWS accepts
	// with the same fields as ItemProcessor, ProcessorConfig included.
	machineIterator
)

type parser struct {
	doc      *definitionDoc
	problems []string
	names    map[string]string // state name -> where it was first defined
}

func (p *parser) add(code, at, format string, args ...any) {
	if at == "" {
		at = "/"
	}
	p.problems = append(p.problems, fmt.Sprintf("%s: %s at %s", code, fmt.Sprintf(format, args...), at))
}

func (p *parser) schema(at, format string, args ...any) {
	p.add("SCHEMA_VALIDATION_FAILED", at, format, args...)
}

func (p *parser) err() error {
	return &ValidationError{Problems: p.problems}
}

// checkFields reports fields outside the allowed set.
func (p *parser) checkFields(obj map[string]any, at string, allowed map[string]bool, what string) {
	for _, k := range sortedKeys(obj) {
		if allowed[k] {
			continue
		}
		if msg, ok := unsupportedFields[k]; ok {
			p.schema(at+"/"+escapePointer(k), "Field '%s' %s", k, msg)
			continue
		}
		p.schema(at+"/"+escapePointer(k), "Field '%s' is not supported by %s", k, what)
	}
}

// unsupportedFields are real ASL fields this engine does not implement; a
// definition using them is refused with a clear reason rather than run wrongly.
var unsupportedFields = map[string]string{
	"Assign":        "(variables) is not supported by the local engine",
	"Output":        "(JSONata) is not supported by the local engine",
	"Arguments":     "(JSONata) is not supported by the local engine",
	"Condition":     "(JSONata) is not supported by the local engine",
	"Items":         "(JSONata) is not supported by the local engine",
	"ItemReader":    "(Distributed Map) is not supported by the local engine",
	"ItemBatcher":   "(Distributed Map) is not supported by the local engine",
	"ResultWriter":  "(Distributed Map) is not supported by the local engine",
	"QueryLanguage": "must be \"JSONPath\": JSONata is not supported by the local engine",
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

var (
	machineFields   = set("Comment", "StartAt", "States", "Version", "TimeoutSeconds")
	branchFields    = set("Comment", "StartAt", "States")
	processorFields = set("Comment", "StartAt", "States", "ProcessorConfig")

	commonFields = []string{"Type", "Comment"}
	stateFields  = map[string]map[string]bool{
		TypePass: set(append(commonFields, "Next", "End", "InputPath", "OutputPath", "ResultPath",
			"Parameters", "Result")...),
		TypeTask: set(append(commonFields, "Next", "End", "InputPath", "OutputPath", "ResultPath",
			"Parameters", "ResultSelector", "Resource", "TimeoutSeconds", "TimeoutSecondsPath",
			"HeartbeatSeconds", "HeartbeatSecondsPath", "Retry", "Catch", "Credentials")...),
		TypeChoice:  set(append(commonFields, "InputPath", "OutputPath", "Choices", "Default")...),
		TypeWait:    set(append(commonFields, "Next", "End", "InputPath", "OutputPath", "Seconds", "Timestamp", "SecondsPath", "TimestampPath")...),
		TypeSucceed: set(append(commonFields, "InputPath", "OutputPath")...),
		TypeFail:    set(append(commonFields, "Error", "Cause", "ErrorPath", "CausePath")...),
		TypeParallel: set(append(commonFields, "Next", "End", "InputPath", "OutputPath", "ResultPath",
			"Parameters", "ResultSelector", "Branches", "Retry", "Catch")...),
		TypeMap: set(append(commonFields, "Next", "End", "InputPath", "OutputPath", "ResultPath",
			"Parameters", "ItemSelector", "ResultSelector", "ItemsPath", "MaxConcurrency",
			"MaxConcurrencyPath", "Iterator", "ItemProcessor", "Retry", "Catch", "Label",
			"ToleratedFailurePercentage", "ToleratedFailurePercentagePath",
			"ToleratedFailureCount", "ToleratedFailureCountPath")...),
	}
)

// machine parses a top-level definition, a Parallel branch or a Map
// ItemProcessor.
func (p *parser) machine(obj map[string]any, at string, kind machineKind) *StateMachine {
	sm := &StateMachine{States: map[string]*State{}}
	if ql, ok := obj["QueryLanguage"]; ok && ql == "JSONPath" && kind == machineTop {
		obj = withoutKey(obj, "QueryLanguage")
	}
	switch kind {
	case machineTop:
		p.checkFields(obj, at, machineFields, "the state machine")
	case machineBranch:
		p.checkFields(obj, at, branchFields, "a Parallel branch")
	case machineProcessor, machineIterator:
		what := "a Map ItemProcessor"
		if kind == machineIterator {
			what = "a Map Iterator"
		}
		p.checkFields(obj, at, processorFields, what)
		sm.ProcessorMode = "INLINE"
		if pc, ok := obj["ProcessorConfig"]; ok {
			sm.ProcessorMode = p.processorConfig(pc, at+"/ProcessorConfig")
		}
	}
	sm.Comment = p.optString(obj, "Comment", at)
	sm.StartAt = p.reqString(obj, "StartAt", at)
	if kind == machineTop {
		if v, ok := obj["Version"]; ok {
			if s, ok := v.(string); !ok || s != "1.0" {
				p.schema(at+"/Version", "Version must be \"1.0\"")
			} else {
				sm.Version = s
			}
		}
		sm.TimeoutSeconds = p.optInt(obj, "TimeoutSeconds", at, 1, maxTimeoutSeconds)
	}
	statesV, ok := obj["States"]
	if !ok {
		p.schema(at, "These fields are required: [States]")
		return sm
	}
	states, ok := statesV.(map[string]any)
	if !ok {
		p.schema(at+"/States", "States must be an object")
		return sm
	}
	if len(states) == 0 {
		p.schema(at+"/States", "States must contain at least one state")
	}
	order := p.doc.orders[at+"/States"]
	if len(order) != len(states) {
		order = sortedKeys(states)
	}
	sm.Order = order
	for _, name := range order {
		sat := at + "/States/" + escapePointer(name)
		if prev, dup := p.names[name]; dup {
			p.add("DUPLICATE_STATE_NAME", sat, "Duplicate State name: %s (also at %s)", name, prev)
		} else {
			p.names[name] = sat
		}
		if name == "" || len(name) > maxStateNameLength {
			p.schema(sat, "State names must be 1 to %d characters long", maxStateNameLength)
		}
		sobj, ok := states[name].(map[string]any)
		if !ok {
			p.schema(sat, "A state must be a JSON object")
			continue
		}
		if st := p.state(name, sobj, sat); st != nil {
			sm.States[name] = st
		}
	}
	if sm.StartAt != "" {
		if _, ok := states[sm.StartAt]; !ok {
			p.add("MISSING_TRANSITION_TARGET", at+"/StartAt", "Missing 'StartAt' target: %s", sm.StartAt)
		}
	}
	p.transitions(sm, states, at)
	return sm
}

func withoutKey(m map[string]any, key string) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		if k != key {
			c[k] = v
		}
	}
	return c
}

func (p *parser) processorConfig(v any, at string) string {
	obj, ok := v.(map[string]any)
	if !ok {
		p.schema(at, "ProcessorConfig must be an object")
		return "INLINE"
	}
	p.checkFields(obj, at, set("Mode", "ExecutionType"), "ProcessorConfig")
	mode := "INLINE"
	if m, ok := obj["Mode"]; ok {
		s, _ := m.(string)
		switch s {
		case "INLINE", "DISTRIBUTED":
			mode = s
		default:
			p.schema(at+"/Mode", "Mode must be INLINE or DISTRIBUTED")
		}
	}
	if e, ok := obj["ExecutionType"]; ok {
		s, _ := e.(string)
		if mode != "DISTRIBUTED" {
			p.schema(at+"/ExecutionType", "ExecutionType is only allowed with Mode DISTRIBUTED")
		} else if s != "STANDARD" && s != "EXPRESS" {
			p.schema(at+"/ExecutionType", "ExecutionType must be STANDARD or EXPRESS")
		}
	}
	return mode
}

// transitions checks that every transition lands on a state of the same
// machine and that every state is reachable from StartAt.
func (p *parser) transitions(sm *StateMachine, raw map[string]any, at string) {
	exists := func(name string) bool { _, ok := raw[name]; return ok }
	check := func(target, where string) {
		if target != "" && !exists(target) {
			p.add("MISSING_TRANSITION_TARGET", where, "Missing 'Next' target: %s", target)
		}
	}
	for _, name := range sm.Order {
		st := sm.States[name]
		if st == nil {
			continue
		}
		sat := at + "/States/" + escapePointer(name)
		check(st.Next, sat+"/Next")
		if st.Type == TypeChoice {
			check(st.Default, sat+"/Default")
			for i, c := range st.Choices {
				check(c.Next, fmt.Sprintf("%s/Choices/%d/Next", sat, i))
			}
		}
		for i, c := range st.Catch {
			check(c.Next, fmt.Sprintf("%s/Catch/%d/Next", sat, i))
		}
	}
	if sm.StartAt == "" || !exists(sm.StartAt) {
		return
	}
	seen := map[string]bool{}
	queue := []string{sm.StartAt}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] || !exists(name) {
			continue
		}
		seen[name] = true
		st := sm.States[name]
		if st == nil {
			continue
		}
		queue = append(queue, st.successors()...)
	}
	for _, name := range sm.Order {
		if !seen[name] {
			p.add("MISSING_TRANSITION_TARGET", at+"/States/"+escapePointer(name), "State \"%s\" is not reachable.", name)
		}
	}
}

// successors lists the states a state can transition to.
func (s *State) successors() []string {
	var out []string
	if s.Next != "" {
		out = append(out, s.Next)
	}
	if s.Default != "" {
		out = append(out, s.Default)
	}
	for _, c := range s.Choices {
		if c.Next != "" {
			out = append(out, c.Next)
		}
	}
	for _, c := range s.Catch {
		out = append(out, c.Next)
	}
	return out
}

// state parses one state.
func (p *parser) state(name string, obj map[string]any, at string) *State {
	st := &State{Name: name, Raw: obj}
	typ, ok := obj["Type"]
	if !ok {
		p.schema(at, "These fields are required: [Type]")
		return nil
	}
	st.Type, _ = typ.(string)
	allowed, known := stateFields[st.Type]
	if !known {
		p.schema(at+"/Type", "%s is not a valid state type: use Task, Pass, Choice, Wait, Succeed, Fail, Parallel or Map", mustEncode(typ))
		return nil
	}
	if ql, ok := obj["QueryLanguage"]; ok && ql == "JSONPath" {
		obj = withoutKey(obj, "QueryLanguage")
	}
	p.checkFields(obj, at, allowed, fmt.Sprintf("state type '%s'", st.Type))
	st.Comment = p.optString(obj, "Comment", at)

	// Transitions.
	switch st.Type {
	case TypeChoice, TypeSucceed, TypeFail:
		// Next and End are reported by checkFields as unsupported.
	default:
		st.Next = p.optString(obj, "Next", at)
		_, hasNext := obj["Next"]
		if e, ok := obj["End"]; ok {
			b, isBool := e.(bool)
			if !isBool {
				p.schema(at+"/End", "End must be a boolean")
			}
			st.End = b
		}
		switch {
		case hasNext && st.Next == "":
			p.schema(at+"/Next", "Next must name a state")
		case hasNext && st.End:
			p.schema(at, "Only one of the fields [Next, End] can be set")
		case !hasNext && !st.End:
			p.schema(at, "One of the fields [Next, End] is required")
		}
	}

	// Input and output processing.
	st.InputPath = p.optPath(obj, "InputPath", at, false)
	st.OutputPath = p.optPath(obj, "OutputPath", at, false)
	st.ResultPath = p.optPath(obj, "ResultPath", at, true)
	if v, ok := obj["Parameters"]; ok {
		p.template(v, at+"/Parameters")
		if st.Type == TypeMap {
			st.ItemSelector, st.HasItemSelector = v, true
		} else {
			st.Parameters, st.HasParameters = v, true
		}
	}
	if v, ok := obj["ResultSelector"]; ok {
		p.template(v, at+"/ResultSelector")
		st.ResultSelector, st.HasResultSelector = v, true
	}
	if v, ok := obj["Result"]; ok {
		st.Result, st.HasResult = v, true
	}

	switch st.Type {
	case TypeTask:
		p.task(st, obj, at)
	case TypeChoice:
		p.choice(st, obj, at)
	case TypeWait:
		p.wait(st, obj, at)
	case TypeFail:
		p.fail(st, obj, at)
	case TypeParallel:
		p.parallel(st, obj, at)
	case TypeMap:
		p.mapState(st, obj, at)
	}
	if _, ok := obj["Retry"]; ok {
		st.Retry = p.retriers(obj["Retry"], at+"/Retry")
	}
	if _, ok := obj["Catch"]; ok {
		st.Catch = p.catchers(obj["Catch"], at+"/Catch")
	}
	return st
}

func (p *parser) task(st *State, obj map[string]any, at string) {
	st.Resource = p.reqString(obj, "Resource", at)
	if st.Resource != "" && !validARN(st.Resource) {
		p.schema(at+"/Resource", "Value is not a valid resource ARN")
	}
	st.TimeoutSeconds = p.optInt(obj, "TimeoutSeconds", at, 1, maxTimeoutSeconds)
	st.TimeoutSecondsPath = p.optRefPath(obj, "TimeoutSecondsPath", at)
	st.HeartbeatSeconds = p.optInt(obj, "HeartbeatSeconds", at, 1, maxTimeoutSeconds)
	st.HeartbeatSecondsPath = p.optRefPath(obj, "HeartbeatSecondsPath", at)
	if _, a := obj["TimeoutSeconds"]; a {
		if _, b := obj["TimeoutSecondsPath"]; b {
			p.schema(at, "Only one of the fields [TimeoutSeconds, TimeoutSecondsPath] can be set")
		}
	}
	if _, a := obj["HeartbeatSeconds"]; a {
		if _, b := obj["HeartbeatSecondsPath"]; b {
			p.schema(at, "Only one of the fields [HeartbeatSeconds, HeartbeatSecondsPath] can be set")
		}
	}
	if st.HeartbeatSeconds > 0 && st.TimeoutSeconds > 0 && st.HeartbeatSeconds >= st.TimeoutSeconds {
		p.schema(at+"/HeartbeatSeconds", "HeartbeatSeconds must be smaller than TimeoutSeconds")
	}
	if v, ok := obj["Credentials"]; ok {
		p.template(v, at+"/Credentials")
		st.Credentials = v
	}
}

// validARN checks the shape arn:partition:service:region:account:resource.
func validARN(s string) bool {
	parts := strings.SplitN(s, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[1] != "" && parts[2] != "" && parts[5] != ""
}

func (p *parser) choice(st *State, obj map[string]any, at string) {
	st.Default = p.optString(obj, "Default", at)
	if _, ok := obj["Default"]; ok && st.Default == "" {
		p.schema(at+"/Default", "Default must name a state")
	}
	v, ok := obj["Choices"]
	if !ok {
		p.schema(at, "These fields are required: [Choices]")
		return
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		p.schema(at+"/Choices", "Choices must be a non-empty array")
		return
	}
	for i, r := range arr {
		if rule := p.choiceRule(r, fmt.Sprintf("%s/Choices/%d", at, i), true); rule != nil {
			st.Choices = append(st.Choices, rule)
		}
	}
}

func (p *parser) wait(st *State, obj map[string]any, at string) {
	n := 0
	for _, f := range []string{"Seconds", "Timestamp", "SecondsPath", "TimestampPath"} {
		if _, ok := obj[f]; ok {
			n++
		}
	}
	if n != 1 {
		p.schema(at, "Exactly one of the fields [Seconds, Timestamp, SecondsPath, TimestampPath] is required")
	}
	if _, ok := obj["Seconds"]; ok {
		s := int64(p.optInt(obj, "Seconds", at, 0, maxTimeoutSeconds))
		st.Seconds = &s
	}
	if v, ok := obj["Timestamp"]; ok {
		s, _ := v.(string)
		t, err := ParseTimestamp(s)
		if err != nil {
			p.schema(at+"/Timestamp", "Value is not a valid timestamp: %v", err)
		}
		st.Timestamp, st.timestamp = s, t
	}
	st.SecondsPath = p.optRefPath(obj, "SecondsPath", at)
	st.TimestampPath = p.optRefPath(obj, "TimestampPath", at)
}

func (p *parser) fail(st *State, obj map[string]any, at string) {
	st.Error = p.optString(obj, "Error", at)
	st.Cause = p.optString(obj, "Cause", at)
	st.ErrorPath = p.optPathOrIntrinsic(obj, "ErrorPath", at)
	st.CausePath = p.optPathOrIntrinsic(obj, "CausePath", at)
	if _, a := obj["Error"]; a {
		if _, b := obj["ErrorPath"]; b {
			p.schema(at, "Only one of the fields [Error, ErrorPath] can be set")
		}
	}
	if _, a := obj["Cause"]; a {
		if _, b := obj["CausePath"]; b {
			p.schema(at, "Only one of the fields [Cause, CausePath] can be set")
		}
	}
}

func (p *parser) parallel(st *State, obj map[string]any, at string) {
	v, ok := obj["Branches"]
	if !ok {
		p.schema(at, "These fields are required: [Branches]")
		return
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		p.schema(at+"/Branches", "Branches must be a non-empty array")
		return
	}
	for i, b := range arr {
		bat := fmt.Sprintf("%s/Branches/%d", at, i)
		bobj, ok := b.(map[string]any)
		if !ok {
			p.schema(bat, "A branch must be an object")
			continue
		}
		st.Branches = append(st.Branches, p.machine(bobj, bat, machineBranch))
	}
}

func (p *parser) mapState(st *State, obj map[string]any, at string) {
	_, hasProc := obj["ItemProcessor"]
	_, hasIter := obj["Iterator"]
	switch {
	case hasProc && hasIter:
		p.schema(at, "Only one of the fields [ItemProcessor, Iterator] can be set")
	case !hasProc && !hasIter:
		p.schema(at, "These fields are required: [ItemProcessor]")
	}
	field := "ItemProcessor"
	if !hasProc {
		field = "Iterator"
	}
	if v, ok := obj[field]; ok {
		pobj, ok := v.(map[string]any)
		if !ok {
			p.schema(at+"/"+field, "%s must be an object", field)
		} else {
			kind := machineProcessor
			if field == "Iterator" {
				kind = machineIterator
			}
			st.ItemProcessor = p.machine(pobj, at+"/"+field, kind)
		}
	}
	if _, a := obj["ItemSelector"]; a {
		if _, b := obj["Parameters"]; b {
			p.schema(at, "Only one of the fields [ItemSelector, Parameters] can be set")
		}
		p.template(obj["ItemSelector"], at+"/ItemSelector")
		st.ItemSelector, st.HasItemSelector = obj["ItemSelector"], true
	}
	st.ItemsPath = "$"
	if _, ok := obj["ItemsPath"]; ok {
		st.ItemsPath = p.optRefPath(obj, "ItemsPath", at)
	}
	st.MaxConcurrency = p.optInt(obj, "MaxConcurrency", at, 0, math.MaxInt32)
	st.MaxConcurrencyPath = p.optRefPath(obj, "MaxConcurrencyPath", at)
	if _, a := obj["MaxConcurrency"]; a {
		if _, b := obj["MaxConcurrencyPath"]; b {
			p.schema(at, "Only one of the fields [MaxConcurrency, MaxConcurrencyPath] can be set")
		}
	}
	if v, ok := obj["ToleratedFailurePercentage"]; ok {
		f, err := numberFloat(v)
		if err != nil || f < 0 || f > 100 {
			p.schema(at+"/ToleratedFailurePercentage", "ToleratedFailurePercentage must be a number from 0 to 100")
		}
		st.ToleratedFailurePercentage = f
	}
	st.ToleratedFailurePercentagePath = p.optRefPath(obj, "ToleratedFailurePercentagePath", at)
	st.ToleratedFailureCount = p.optInt(obj, "ToleratedFailureCount", at, 0, math.MaxInt32)
	st.ToleratedFailureCountPath = p.optRefPath(obj, "ToleratedFailureCountPath", at)
	if v, ok := obj["Label"]; ok {
		if _, isStr := v.(string); !isStr {
			p.schema(at+"/Label", "Label must be a string")
		}
	}
}

// numberFloat converts a JSON number to float64.
func numberFloat(v any) (float64, error) {
	if !isNumber(v) {
		return 0, fmt.Errorf("not a number")
	}
	var f float64
	if err := json.Unmarshal([]byte(numberString(v)), &f); err != nil {
		return 0, err
	}
	return f, nil
}

func (p *parser) retriers(v any, at string) []Retrier {
	arr, ok := v.([]any)
	if !ok {
		p.schema(at, "Retry must be an array")
		return nil
	}
	var out []Retrier
	for i, e := range arr {
		rat := fmt.Sprintf("%s/%d", at, i)
		obj, ok := e.(map[string]any)
		if !ok {
			p.schema(rat, "A retrier must be an object")
			continue
		}
		p.checkFields(obj, rat, set("ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate",
			"MaxDelaySeconds", "JitterStrategy", "Comment"), "a retrier")
		r := Retrier{IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2.0, JitterStrategy: "NONE"}
		r.ErrorEquals = p.errorEquals(obj, rat, i == len(arr)-1)
		if _, ok := obj["IntervalSeconds"]; ok {
			r.IntervalSeconds = p.optInt(obj, "IntervalSeconds", rat, 1, maxRetryInterval)
		}
		if _, ok := obj["MaxAttempts"]; ok {
			r.MaxAttempts = p.optInt(obj, "MaxAttempts", rat, 0, maxRetryAttempts)
		}
		if b, ok := obj["BackoffRate"]; ok {
			f, err := numberFloat(b)
			if err != nil || f < 1.0 {
				p.schema(rat+"/BackoffRate", "BackoffRate must be a number greater than or equal to 1.0")
			} else {
				r.BackoffRate = f
			}
		}
		r.MaxDelaySeconds = p.optInt(obj, "MaxDelaySeconds", rat, 1, maxRetryDelay)
		if j, ok := obj["JitterStrategy"]; ok {
			s, _ := j.(string)
			if s != "FULL" && s != "NONE" {
				p.schema(rat+"/JitterStrategy", "JitterStrategy must be FULL or NONE")
			} else {
				r.JitterStrategy = s
			}
		}
		p.optString(obj, "Comment", rat)
		out = append(out, r)
	}
	return out
}

func (p *parser) catchers(v any, at string) []Catcher {
	arr, ok := v.([]any)
	if !ok {
		p.schema(at, "Catch must be an array")
		return nil
	}
	var out []Catcher
	for i, e := range arr {
		cat := fmt.Sprintf("%s/%d", at, i)
		obj, ok := e.(map[string]any)
		if !ok {
			p.schema(cat, "A catcher must be an object")
			continue
		}
		p.checkFields(obj, cat, set("ErrorEquals", "Next", "ResultPath", "Comment"), "a catcher")
		c := Catcher{
			ErrorEquals: p.errorEquals(obj, cat, i == len(arr)-1),
			Next:        p.reqString(obj, "Next", cat),
			ResultPath:  p.optPath(obj, "ResultPath", cat, true),
		}
		p.optString(obj, "Comment", cat)
		out = append(out, c)
	}
	return out
}

// errorEquals parses a non-empty ErrorEquals list; States.ALL must be alone
// and in the last retrier or catcher.
func (p *parser) errorEquals(obj map[string]any, at string, last bool) []string {
	v, ok := obj["ErrorEquals"]
	if !ok {
		p.schema(at, "These fields are required: [ErrorEquals]")
		return nil
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		p.schema(at+"/ErrorEquals", "ErrorEquals must be a non-empty array of strings")
		return nil
	}
	var out []string
	for i, e := range arr {
		s, ok := e.(string)
		if !ok || s == "" {
			p.schema(fmt.Sprintf("%s/ErrorEquals/%d", at, i), "An error name must be a non-empty string")
			continue
		}
		out = append(out, s)
	}
	for _, s := range out {
		if s != ErrAll {
			continue
		}
		if len(out) > 1 {
			p.schema(at+"/ErrorEquals", "States.ALL must appear alone in ErrorEquals")
		}
		if !last {
			p.schema(at+"/ErrorEquals", "States.ALL must appear in the last retrier or catcher")
		}
	}
	return out
}

// optString reads an optional string field.
func (p *parser) optString(obj map[string]any, field, at string) string {
	v, ok := obj[field]
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		p.schema(at+"/"+field, "%s must be a string", field)
	}
	return s
}

// reqString reads a required string field.
func (p *parser) reqString(obj map[string]any, field, at string) string {
	if _, ok := obj[field]; !ok {
		p.schema(at, "These fields are required: [%s]", field)
		return ""
	}
	s := p.optString(obj, field, at)
	if s == "" {
		p.schema(at+"/"+field, "%s must not be empty", field)
	}
	return s
}

// optInt reads an optional integer field within [lo, hi]; 0 when absent.
func (p *parser) optInt(obj map[string]any, field, at string, lo, hi int64) int {
	v, ok := obj[field]
	if !ok {
		return 0
	}
	n, isInt := numberInt(v)
	if !isInt || n < lo || n > hi {
		p.schema(at+"/"+field, "%s must be an integer from %d to %d", field, lo, hi)
		return 0
	}
	return int(n)
}

// optPath reads InputPath/OutputPath (a Path or null) or, when reference is
// true, ResultPath (a Reference Path into the input, or null).
func (p *parser) optPath(obj map[string]any, field, at string, reference bool) OptPath {
	v, ok := obj[field]
	if !ok {
		return OptPath{}
	}
	if v == nil {
		return NullPath()
	}
	s, isStr := v.(string)
	if !isStr {
		p.schema(at+"/"+field, "%s must be a path string or null", field)
		return OptPath{}
	}
	if reference {
		path, err := ParseReferencePath(s)
		if err != nil || path.Context() {
			p.schema(at+"/"+field, "The value for the field '%s' must be a valid reference path: %s", field, s)
		}
	} else if _, err := ParsePath(s); err != nil {
		p.schema(at+"/"+field, "The value for the field '%s' must be a valid JSONPath: %s", field, s)
	}
	return PathOf(s)
}

// optRefPath reads an optional reference-path field (SecondsPath ...).
func (p *parser) optRefPath(obj map[string]any, field, at string) string {
	v, ok := obj[field]
	if !ok {
		return ""
	}
	s, isStr := v.(string)
	if !isStr {
		p.schema(at+"/"+field, "%s must be a string", field)
		return ""
	}
	// These fields read the state's effective input, never the context object.
	if path, err := ParseReferencePath(s); err != nil || path.Context() {
		p.schema(at+"/"+field, "The value for the field '%s' must be a valid reference path: %s", field, s)
	}
	return s
}

// optPathOrIntrinsic reads a Fail state's ErrorPath/CausePath, which may be a
// reference path or an intrinsic function call.
func (p *parser) optPathOrIntrinsic(obj map[string]any, field, at string) string {
	v, ok := obj[field]
	if !ok {
		return ""
	}
	s, isStr := v.(string)
	if !isStr {
		p.schema(at+"/"+field, "%s must be a string", field)
		return ""
	}
	x, err := compileExpr(s)
	if err != nil {
		p.schema(at+"/"+field, "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call: %v", field, err)
		return s
	}
	// AWS allows only the intrinsics that return a string here.
	if c, ok := x.(*call); ok && !failIntrinsics[c.name] {
		p.schema(at+"/"+field, "States.%s cannot be used in '%s': use States.Format, States.JsonToString, States.ArrayGetItem, States.Base64Encode, States.Base64Decode, States.Hash or States.UUID", c.name, field)
	}
	return s
}

// failIntrinsics are the intrinsic functions a Fail state's ErrorPath and
// CausePath accept.
var failIntrinsics = map[string]bool{
	"Format": true, "JsonToString": true, "ArrayGetItem": true, "Base64Encode": true,
	"Base64Decode": true, "Hash": true, "UUID": true,
}

// template validates a payload template: every key ending in ".$" must hold
// a path or an intrinsic function call.
func (p *parser) template(v any, at string) {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(t) {
			kat := at + "/" + escapePointer(k)
			if strings.HasSuffix(k, ".$") && len(k) > 2 {
				s, ok := t[k].(string)
				if !ok {
					p.schema(kat, "The value for the field '%s' must be a STRING that contains a JSONPath or an intrinsic function", k)
					continue
				}
				if _, err := compileExpr(s); err != nil {
					p.schema(kat, "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call: %v", k, err)
				}
				continue
			}
			p.template(t[k], kat)
		}
	case []any:
		for i, e := range t {
			p.template(e, fmt.Sprintf("%s/%d", at, i))
		}
	}
}

// sortProblems is used by tests to compare problem lists independent of order.
func sortProblems(ps []string) []string {
	c := append([]string(nil), ps...)
	sort.Strings(c)
	return c
}
