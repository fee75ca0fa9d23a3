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
// Catcher's ErrorEquals list, following the AWS error-handling rules:
//
//   - States.Runtime and States.DataLimitExceeded are terminal: nothing
//     matches them, not even their own name or States.ALL.
//   - States.ALL matches every other error.
//   - States.TaskFailed matches every other error except the timeouts
//     (States.Timeout and States.HeartbeatTimeout).
//   - States.Timeout also matches States.HeartbeatTimeout, because AWS
//     documents a missed heartbeat as one of the two causes of
//     States.Timeout, while States.HeartbeatTimeout matches only itself.
//   - Any other name matches itself exactly (names are case-sensitive).
func ErrorMatches(errorEquals []string, errName string) bool {
	if errName == ErrRuntime || errName == ErrDataLimitExceeded {
		return false
	}
	timeout := errName == ErrTimeout || errName == ErrHeartbeatTimeout
	for _, e := range errorEquals {
		switch {
		case e == errName, e == ErrAll:
			return true
		case e == ErrTaskFailed && !timeout:
			return true
		case e == ErrTimeout && errName == ErrHeartbeatTimeout:
			return true
		}
	}
	return false
}
