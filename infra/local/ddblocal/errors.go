package ddblocal

import (
	"fmt"
	"net/http"
	"strings"
)

// apiError is an error answer of the DynamoDB API.
type apiError struct {
	// code is the error's shape name, e.g. "ValidationException".
	code    string
	message string
	status  int
	// item is the item a ConditionalCheckFailedException returns with
	// ReturnValuesOnConditionCheckFailure ALL_OLD.
	item Item
	// reasons are a TransactionCanceledException's cancellation reasons, one per action.
	reasons []cancellationReason
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// cancellationReason is one action's outcome in a cancelled transaction.
type cancellationReason struct {
	Code    string `json:"Code"`
	Message string `json:"Message,omitempty"`
	Item    Item   `json:"Item,omitempty"`
}

func validationf(format string, args ...any) *apiError {
	return &apiError{code: "ValidationException", message: fmt.Sprintf(format, args...), status: http.StatusBadRequest}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{code: "ResourceNotFoundException", message: fmt.Sprintf(format, args...), status: http.StatusBadRequest}
}

func inUse(format string, args ...any) *apiError {
	return &apiError{code: "ResourceInUseException", message: fmt.Sprintf(format, args...), status: http.StatusBadRequest}
}

const conditionFailedMessage = "The conditional request failed"

func conditionFailed(item Item) *apiError {
	return &apiError{code: "ConditionalCheckFailedException", message: conditionFailedMessage, status: http.StatusBadRequest, item: item}
}

func transactionCanceled(reasons []cancellationReason) *apiError {
	codes := make([]string, len(reasons))
	for i, r := range reasons {
		codes[i] = r.Code
	}
	return &apiError{code: "TransactionCanceledException", status: http.StatusBadRequest, reasons: reasons,
		message: "Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]"}
}

// typeName is the error's __type as DynamoDB writes it.
func (e *apiError) typeName() string {
	switch e.code {
	case "ValidationException":
		return "com.amazon.coral.validate#ValidationException"
	case "UnknownOperationException":
		return "com.amazon.coral.service#UnknownOperationException"
	case "SerializationException":
		return "com.amazon.coral.service#SerializationException"
	}
	return "com.amazonaws.dynamodb.v20120810#" + e.code
}
