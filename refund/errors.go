package refund

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Code classifies an error for the edges of the system. The HTTP layer maps each Code to a status in one
// table; the state machine and logs use the code, never the message.
type Code string

// The error codes. Keep the set small: a new code means a new row in the HTTP table.
const (
	// CodeInvalid means the input was malformed or broke a rule; Error.Fields says which fields.
	CodeInvalid Code = "invalid"
	// CodeNotFound means the thing asked for does not exist (or must not be revealed to exist).
	CodeNotFound Code = "not_found"
	// CodeConflict means the thing changed underneath the caller, or the move is not allowed from its
	// current state (for example a status transition out of a terminal state).
	CodeConflict Code = "conflict"
	// CodeUnprocessable means the input was well formed but disagrees with a fact of record held
	// elsewhere, which sending it again will not change: an order whose payment the payment provider
	// does not know, or reports otherwise (not captured, another amount or currency, no 3-D Secure,
	// refunded already). Error.Fields says which fields.
	CodeUnprocessable Code = "unprocessable"
	// CodeGone means the thing existed but is no longer usable, such as an expired consent link.
	CodeGone Code = "gone"
	// CodeForbidden means the caller is known but may not do this.
	CodeForbidden Code = "forbidden"
	// CodeUnauthorized means the caller has not proved who they are.
	CodeUnauthorized Code = "unauthorized"
	// CodeTooMany means the caller reached a limit on how often it may do this; Error.RetryAfter says
	// how long until it may again.
	CodeTooMany Code = "too_many_requests"
	// CodeInternal means something went wrong that the caller cannot fix; the message stays generic.
	CodeInternal Code = "internal"
)

// Error is the domain's error: a Code for machines, a Message a person can read, optional per-field
// messages for forms, and the underlying cause for logs.
type Error struct {
	// Code classifies the error.
	Code Code
	// Message is safe to show to the user who caused the error.
	Message string
	// Fields holds one message per invalid input field, for CodeInvalid and CodeUnprocessable (and
	// CodeConflict about one field's stored value).
	Fields FieldErrors
	// Err is the underlying cause, for logs and errors.Is/As; never shown to users.
	Err error
	// RetryAfter is, for CodeTooMany, how long the caller has to wait before trying again (the HTTP
	// edge sends it as Retry-After); zero otherwise.
	RetryAfter time.Duration
}

// Error renders the code, message, fields and cause on one line for logs.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if len(e.Fields) > 0 {
		b.WriteString(" (")
		b.WriteString(e.Fields.String())
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause so errors.Is and errors.As see through an Error.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with the given code and a formatted message for people.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the Code of the first *Error in err's chain, "" for a nil error, and CodeInternal
// for any other error: unknown failures are never blamed on the caller.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return CodeInternal
}

// FieldErrors maps a form field name (as in the JSON schema, e.g. "order_number") to a message a person
// understands. An empty or nil map means no errors.
type FieldErrors map[string]string

// String lists the fields in name order as "field: message; ..." for logs.
func (f FieldErrors) String() string {
	names := make([]string, 0, len(f))
	for k := range f {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = k + ": " + f[k]
	}
	return strings.Join(parts, "; ")
}

// Err returns nil when there are no field errors, and otherwise an *Error with CodeInvalid carrying
// them, ready to return from a handler.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: CodeInvalid, Message: "Some fields need your attention.", Fields: f}
}

// InvalidField builds the CodeInvalid error of one input field, whose message is also the error's.
func InvalidField(field, msg string) *Error {
	return &Error{Code: CodeInvalid, Message: msg, Fields: FieldErrors{field: msg}}
}
