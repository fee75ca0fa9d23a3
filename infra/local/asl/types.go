package asl

import (
	"time"
)

// State types of the Amazon States Language.
const (
	TypeTask     = "Task"
	TypePass     = "Pass"
	TypeChoice   = "Choice"
	TypeWait     = "Wait"
	TypeSucceed  = "Succeed"
	TypeFail     = "Fail"
	TypeParallel = "Parallel"
	TypeMap      = "Map"
)

// StateMachine is a parsed, validated definition. The same type holds a
// Parallel branch and a Map state's ItemProcessor (where TimeoutSeconds and
// Version are unused).
type StateMachine struct {
	// Comment is the definition's optional description.
	Comment string
	// StartAt names the first state to run.
	StartAt string
	// Version is the optional ASL version, "1.0" when given.
	Version string
	// TimeoutSeconds is the execution timeout; 0 means none.
	TimeoutSeconds int
	// States holds every state by name.
	States map[string]*State
	// Order lists the state names in the order the definition writes them.
	Order []string
	// ProcessorMode is "INLINE" or "DISTRIBUTED" for a Map ItemProcessor or
	// legacy Iterator (ProcessorConfig.Mode; "INLINE" when left out), empty
	// otherwise.
	ProcessorMode string
}

// State is one parsed state. Fields not used by a state's Type are zero.
// Payload templates (Parameters, ResultSelector, ItemSelector) and Pass's
// Result are kept as decoded JSON and evaluated with EvalTemplate.
type State struct {
	// Name is the state's key in its States object.
	Name string
	// Type is one of the Type* constants.
	Type string
	// Comment is the state's optional description.
	Comment string
	// Next names the following state; empty when End is true or for Choice,
	// Succeed and Fail.
	Next string
	// End is true for a terminal Task, Pass, Wait, Parallel or Map state.
	End bool

	// InputPath selects the state's effective input (absent: "$").
	InputPath OptPath
	// OutputPath selects the state's output (absent: "$").
	OutputPath OptPath
	// ResultPath places the result in the input (absent: "$").
	ResultPath OptPath

	// Parameters is the payload template for Task, Pass and Parallel.
	// (A Map state's legacy Parameters is stored in ItemSelector.)
	Parameters any
	// HasParameters is true when Parameters is present.
	HasParameters bool
	// ResultSelector reshapes a Task, Parallel or Map result.
	ResultSelector any
	// HasResultSelector is true when ResultSelector is present.
	HasResultSelector bool
	// Result is a Pass state's fixed result.
	Result any
	// HasResult is true when Result is present.
	HasResult bool

	// Resource is a Task's resource ARN.
	Resource string
	// TimeoutSeconds is a Task's timeout; 0 means none.
	TimeoutSeconds int
	// TimeoutSecondsPath reads the timeout from the effective input.
	TimeoutSecondsPath string
	// HeartbeatSeconds is a Task's heartbeat interval; 0 means none.
	HeartbeatSeconds int
	// HeartbeatSecondsPath reads the heartbeat interval from the input.
	HeartbeatSecondsPath string
	// Credentials is a Task's cross-account role configuration, kept as JSON.
	Credentials any

	// Retry lists a Task, Parallel or Map state's retriers in order.
	Retry []Retrier
	// Catch lists a Task, Parallel or Map state's catchers in order.
	Catch []Catcher

	// Choices are a Choice state's rules, tried in order.
	Choices []*ChoiceRule
	// Default is a Choice state's fallback when no rule matches.
	Default string

	// Seconds is a Wait state's fixed delay (nil when not used).
	Seconds *int64
	// Timestamp is a Wait state's fixed wake-up time (RFC 3339 text).
	Timestamp string
	// SecondsPath reads a Wait state's delay from the effective input.
	SecondsPath string
	// TimestampPath reads a Wait state's wake-up time from the input.
	TimestampPath string

	// Error is a Fail state's error name.
	Error string
	// Cause is a Fail state's cause.
	Cause string
	// ErrorPath reads the error name (a path or an intrinsic function).
	ErrorPath string
	// CausePath reads the cause (a path or an intrinsic function).
	CausePath string

	// Branches are a Parallel state's branches.
	Branches []*StateMachine

	// ItemProcessor is a Map state's per-item state machine (also parsed
	// from the legacy Iterator field).
	ItemProcessor *StateMachine
	// ItemsPath selects the array a Map state iterates over ("$" default).
	ItemsPath string
	// ItemSelector is the template applied to each Map item: "$" is the
	// Map state's effective input and $$.Map.Item.Index and
	// $$.Map.Item.Value are the item (see Context.MapItem).
	ItemSelector any
	// HasItemSelector is true when ItemSelector (or Map's Parameters) is present.
	HasItemSelector bool
	// MaxConcurrency bounds parallel Map iterations; 0 means no limit.
	MaxConcurrency int
	// MaxConcurrencyPath reads MaxConcurrency from the effective input.
	MaxConcurrencyPath string
	// ToleratedFailurePercentage is a Distributed Map's failure tolerance.
	ToleratedFailurePercentage float64
	// ToleratedFailurePercentagePath reads it from the input.
	ToleratedFailurePercentagePath string
	// ToleratedFailureCount is a Distributed Map's failure tolerance.
	ToleratedFailureCount int
	// ToleratedFailureCountPath reads it from the input.
	ToleratedFailureCountPath string

	// Raw is the state's definition as decoded JSON, for anything the
	// fields above do not carry.
	Raw map[string]any

	timestamp time.Time // parsed Timestamp
}

// Retries reports whether the state is one that can retry — a Task,
// Parallel or Map state — which is also what decides whether its context
// object's State has a RetryCount: AWS gives $$.State.RetryCount to these
// states only (a Pass state's $$.State is just its Name and EnteredTime).
func (s *State) Retries() bool {
	switch s.Type {
	case TypeTask, TypeParallel, TypeMap:
		return true
	}
	return false
}

// Retrier is one entry of a state's Retry field.
type Retrier struct {
	// ErrorEquals lists the error names this retrier handles.
	ErrorEquals []string
	// IntervalSeconds is the delay before the first retry (default 1).
	IntervalSeconds int
	// MaxAttempts is the number of retries (default 3; 0 means never).
	MaxAttempts int
	// BackoffRate multiplies the delay at each retry (default 2.0).
	BackoffRate float64
	// MaxDelaySeconds caps the delay; 0 means no cap.
	MaxDelaySeconds int
	// JitterStrategy is "FULL" or "NONE" (the default).
	JitterStrategy string
}

// Catcher is one entry of a state's Catch field.
type Catcher struct {
	// ErrorEquals lists the error names this catcher handles.
	ErrorEquals []string
	// Next names the state to go to.
	Next string
	// ResultPath places the error output {"Error","Cause"} in the input
	// (absent: "$", the error output replaces the input).
	ResultPath OptPath
}

// ChoiceRule is a Choice state's rule or a nested condition of one. Exactly
// one of a comparison (Variable, Operator, Value), And, Or and Not is set.
type ChoiceRule struct {
	// Variable is the path of the value under test.
	Variable string
	// Operator is the comparison, e.g. "StringEquals", "NumericLessThanPath",
	// "IsPresent"; empty for And, Or and Not.
	Operator string
	// Value is the operand: a string, json.Number or bool literal, or for
	// *Path operators the path (a string) of the operand.
	Value any
	// And holds the conditions of an And rule.
	And []*ChoiceRule
	// Or holds the conditions of an Or rule.
	Or []*ChoiceRule
	// Not holds the condition of a Not rule.
	Not *ChoiceRule
	// Next names the state to go to; only top-level rules have it.
	Next string
	// Comment is the rule's optional description.
	Comment string

	variable  *Path // parsed Variable
	valuePath *Path // parsed Value of a *Path operator
}
