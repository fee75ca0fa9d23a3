// Package handler holds one type per Lambda function. Each is a struct with its dependencies and a
// Handle method; functions/<name>/main.go only wires it, so the local stack and the tests run exactly
// the values Lambda runs.
//
// HTTP handlers take and return API Gateway HTTP API (payload format 2.0) events through package
// apigw. State machine tasks take the small JSON input the state machine passes (IDs only) and return
// {"outcome": "..."} for the next Choice state.
package handler

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// StepFunctions is the part of the Step Functions API the handlers call. *sfn.Client satisfies it;
// tests wrap one to inject failures.
type StepFunctions interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, opts ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
}

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

// codeBytes is the entropy of link codes: 192 bits, well above the 128 the design asks for.
const codeBytes = 24

// NewCode returns a fresh random link code for an email (base64url, 32 characters). Only its SHA-256
// (dynamo.HashCode) is stored.
func NewCode() (string, error) {
	b := make([]byte, codeBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes for a link code: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
