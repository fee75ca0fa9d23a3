// Package handler holds one type per Lambda function, in a file of its own. Each is a struct with its
// dependencies and a Handle method; functions/<name>/main.go only wires it, so the local stack and the
// tests run exactly the values Lambda runs.
//
// HTTP handlers take and return API Gateway HTTP API (payload format 2.0) events through package
// apigw. State machine tasks take the small JSON input the state machine passes (IDs only) and return
// {"outcome": "..."} for the next Choice state.
//
// What the handlers share has one home each: ports.go (the store operations they may use), http.go
// (routing, client audit entries, the HTTP answers the error table does not give), workflow.go (the
// tasks' input and output, the workflow ports, completing a parked wait and delivering a recorded
// decision) and mail.go (outgoing email, each sent once).
//
// One convention for all of them: handlers have value receivers and are built as struct literals
// (awsenv's builders do it from the environment); a dependency is an interface the handler's file
// declares (ports.go for the store's operations, workflow.go for the workflow's); a nil Logger
// discards; a nil Clock is the wall clock; an error's code is read with refund.ErrorCode.
package handler

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"refundflow/refund"
)

// Clock returns the current time. Handlers take one so tests and the local stack's time travel can
// move time; nil means the wall clock.
type Clock func() time.Time

// now returns the clock's time in UTC, or the wall clock's when c is nil.
func (c Clock) now() time.Time {
	if c == nil {
		return time.Now().UTC()
	}
	return c().UTC()
}

// logger returns l, or a logger that discards everything when l is nil: a handler logs only where it
// was given a logger.
func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// codeBytes is the entropy of link codes: 192 bits, well above the 128 the design asks for.
const codeBytes = 24

// NewCode returns a fresh random link code for an email (base64url, 32 characters). Only its SHA-256
// (refund.HashCode) is stored.
func NewCode() (string, error) {
	b := make([]byte, codeBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes for a link code: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// policyOrDefault returns p, or the embedded default policy when p is the zero value.
func policyOrDefault(p refund.Policy) refund.Policy {
	if p.Version == "" {
		return refund.DefaultPolicy()
	}
	return p
}

// maxConflictRetries bounds how often a task re-reads a request after a conflicting write before it
// gives up; a conflict means another actor moved the request, so one or two re-reads settle it.
const maxConflictRetries = 3

// count words a number of things for audit details and messages people read: "1 offer",
// "3 offers". plural is used for every number but 1, including 0.
func count(n int, singular, plural string) string {
	if n == 1 {
		return "1 " + singular
	}
	return strconv.Itoa(n) + " " + plural
}
