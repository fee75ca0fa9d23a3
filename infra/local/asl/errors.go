package asl

import (
	"fmt"
	"strings"
)

// Error names defined by the Amazon States Language and AWS Step Functions.
// Names starting with "States." are reserved for the service.
const (
	ErrAll                    = "States.ALL"
	ErrDataLimitExceeded      = "States.DataLimitExceeded"
	ErrRuntime                = "States.Runtime"
	ErrTimeout                = "States.Timeout"
	ErrHeartbeatTimeout       = "States.HeartbeatTimeout"
	ErrTaskFailed             = "States.TaskFailed"
	ErrPermissions            = "States.Permissions"
	ErrResultPathMatchFailure = "States.ResultPathMatchFailure"
	ErrParameterPathFailure   = "States.ParameterPathFailure"
	ErrBranchFailed           = "States.BranchFailed"
	ErrNoChoiceMatched        = "States.NoChoiceMatched"
	ErrIntrinsicFailure       = "States.IntrinsicFailure"
	ErrExceedToleratedFailure = "States.ExceedToleratedFailureThreshold"
	ErrItemReaderFailed       = "States.ItemReaderFailed"
	ErrResultWriterFailed     = "States.ResultWriterFailed"
	ErrQueryEvaluationError   = "States.QueryEvaluationError"
)

// Error is a failure as the state machine sees it: an error name that Retry and
// Catch match against and a human-readable cause. The runtime reports every
// failure of a state as an *Error.
type Error struct {
	// Name is the error name, e.g. "States.Runtime" or a Lambda errorType.
	Name string
	// Cause is the detail, often a JSON document for task errors.
	Cause string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

// errorf builds an *Error with a formatted cause.
func errorf(name, format string, args ...any) *Error {
	return &Error{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// ValidationError lists why a definition is not valid ASL, one problem per
// entry, in the style of CreateStateMachine's InvalidDefinition message
// ("SCHEMA_VALIDATION_FAILED: ... at /States/Name/Field").
type ValidationError struct {
	// Problems are the individual reasons, each naming where it applies.
	Problems []string
}

// Error implements the error interface with AWS's message shape.
func (e *ValidationError) Error() string {
	return "Invalid State Machine Definition: '" + strings.Join(e.Problems, ", ") + "'"
}

// ErrorMatches reports whether an error name is matched by a Retrier's or
// Catcher's ErrorEquals list. States.ALL matches every error except the
// terminal States.Runtime and States.DataLimitExceeded; States.TaskFailed
// matches every error except States.Timeout (and, being a wildcard, also not
// the terminal ones); any other name matches itself exactly.
func ErrorMatches(errorEquals []string, errName string) bool {
	terminal := errName == ErrRuntime || errName == ErrDataLimitExceeded
	for _, e := range errorEquals {
		switch {
		case e == errName && !terminal:
			return true
		case e == ErrAll && !terminal:
			return true
		case e == ErrTaskFailed && !terminal && errName != ErrTimeout:
			return true
		}
	}
	return false
}
