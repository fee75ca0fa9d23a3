package stepfunctions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// ServiceError makes a task fail with exactly this error name and cause,
// the way a failure of the Lambda service itself reaches a state machine
// ("Lambda.ServiceException", "Lambda.TooManyRequestsException",
// "Lambda.SdkClientException", ...). A handler returns it (directly or
// wrapped) to simulate such a failure in tests: Go type names cannot contain
// the dot these names have, so a handler's own error type cannot produce them.
type ServiceError struct {
	// Name is the error name Retry and Catch see.
	Name string
	// Cause is the cause recorded with the failure.
	Cause string
}

// Error implements the error interface.
func (e *ServiceError) Error() string { return e.Name + ": " + e.Cause }

// LambdaErrorType returns the errorType that aws-lambda-go reports for an
// error returned by a handler, which is the error name a state machine's Retry
// and Catch match. It follows aws-lambda-go's lambdaErrorResponse: a
// messages.InvokeResponse_Error value keeps its own Type; otherwise it is the
// name of the error's dynamic type without package path, a pointer type
// reporting its element's name (*handler.PaymentError → "PaymentError",
// errors.New → "errorString", fmt.Errorf with %w → "wrapError").
func LambdaErrorType(err error) string {
	if ive, ok := err.(messages.InvokeResponse_Error); ok {
		return ive.Type
	}
	return reflectTypeName(err)
}

// reflectTypeName is aws-lambda-go's getErrorType rule for any value.
func reflectTypeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return ""
	}
	if t.Kind() == reflect.Ptr {
		return t.Elem().Name()
	}
	return t.Name()
}

// lambdaErrorPayload is the JSON document the Lambda Go runtime posts for a
// failed invocation; Step Functions passes it on as the failure's cause.
func lambdaErrorPayload(errType, message string) string {
	b, err := json.Marshal(messages.InvokeResponse_Error{Message: message, Type: errType})
	if err != nil {
		// Two strings always marshal; keep a readable cause regardless.
		return fmt.Sprintf(`{"errorMessage":%q,"errorType":%q}`, message, errType)
	}
	return string(b)
}

// lambdaFailure converts what an invocation returned into the task's error
// name and cause, as Step Functions reports a Lambda function error.
func lambdaFailure(err error) (name, cause string) {
	var se *ServiceError
	if errors.As(err, &se) {
		return se.Name, se.Cause
	}
	msg := err.Error()
	if ive, ok := err.(messages.InvokeResponse_Error); ok {
		msg = ive.Message
	}
	t := LambdaErrorType(err)
	return t, lambdaErrorPayload(t, msg)
}

// invokeHandler calls fn like the Lambda runtime would, turning a panic into
// an error with the runtime's naming. The result is a copy the caller owns.
func invokeHandler(ctx context.Context, fn *function, payload []byte) (out []byte, name, cause string, failed bool) {
	if fn.serial {
		fn.mu.Lock()
		defer fn.mu.Unlock()
	}
	defer func() {
		if p := recover(); p != nil {
			t := reflectTypeName(p)
			out, name, cause, failed = nil, t, lambdaErrorPayload(t, fmt.Sprintf("%v", p)), true
		}
	}()
	res, err := fn.h.Invoke(ctx, payload)
	if err != nil {
		name, cause = lambdaFailure(err)
		return nil, name, cause, true
	}
	return bytes.Clone(res), "", "", false
}

// functionName extracts the function name from any form Lambda accepts for
// FunctionName: "name", "name:alias", "123456789012:function:name" and
// "arn:aws:lambda:region:123456789012:function:name[:qualifier]".
func functionName(s string) string {
	parts := strings.Split(s, ":")
	for i, p := range parts {
		if p == "function" && i+1 < len(parts) {
			return parts[i+1]
		}
	}
	return parts[0]
}

// lambdaContext gives the handler what the Lambda runtime would put in its
// context, so handlers that log their request ID work unchanged.
func lambdaContext(ctx context.Context, requestID, functionArn string) context.Context {
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       requestID,
		InvokedFunctionArn: functionArn,
	})
}
