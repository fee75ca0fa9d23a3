package stepfunctions

import (
	"fmt"
	"net/http"
)

// APIError is an error of the Step Functions API, with AWS's error code
// (the "__type" of the JSON error body) and message. The Go methods of
// Engine return it too, so the local stack can tell, say,
// StateMachineAlreadyExists from a bad definition with errors.As.
type APIError struct {
	// Code is AWS's error code, e.g. "ExecutionAlreadyExists".
	Code string
	// Message is the human-readable message, in AWS's wording where known.
	Message string
	// Status is the HTTP status the API answers with.
	Status int
}

// Error implements the error interface.
func (e *APIError) Error() string { return e.Code + ": " + e.Message }

func apiErrorf(code, format string, args ...any) *APIError {
	return &APIError{Code: code, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

// AWS error codes the engine answers with.
const (
	codeExecutionAlreadyExists    = "ExecutionAlreadyExists"
	codeExecutionDoesNotExist     = "ExecutionDoesNotExist"
	codeInvalidArn                = "InvalidArn"
	codeInvalidDefinition         = "InvalidDefinition"
	codeInvalidExecutionInput     = "InvalidExecutionInput"
	codeInvalidName               = "InvalidName"
	codeInvalidOutput             = "InvalidOutput"
	codeInvalidToken              = "InvalidToken"
	codeStateMachineAlreadyExists = "StateMachineAlreadyExists"
	codeStateMachineDeleting      = "StateMachineDeleting"
	codeStateMachineDoesNotExist  = "StateMachineDoesNotExist"
	codeStateMachineTypeNotSupp   = "StateMachineTypeNotSupported"
	codeTaskDoesNotExist          = "TaskDoesNotExist"
	codeTaskTimedOut              = "TaskTimedOut"
	codeValidation                = "ValidationException"
	codeSerialization             = "SerializationException"
	codeUnknownOperation          = "UnknownOperationException"
	codeInternalFailure           = "InternalFailure"
)
