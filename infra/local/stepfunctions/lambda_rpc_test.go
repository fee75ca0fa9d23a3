//go:build !lambda.norpc

package stepfunctions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
)

// TestLambdaErrorTypeMatchesRuntime checks LambdaErrorType and the failure
// cause against aws-lambda-go's own error reporting, reached through its
// exported RPC entry point (which calls the same lambdaErrorResponse the
// runtime API loop uses).
func TestLambdaErrorTypeMatchesRuntime(t *testing.T) {
	errs := []error{
		&PaymentError{Reason: "declined <card>"},
		ValueError{},
		errors.New("plain"),
		fmt.Errorf("wrapped: %w", &PaymentError{}),
		messages.InvokeResponse_Error{Type: "Custom.Name", Message: "custom"},
		&messages.InvokeResponse_Error{Type: "Custom.Name", Message: "custom"},
	}
	for _, want := range errs {
		t.Run(fmt.Sprintf("%T", want), func(t *testing.T) {
			fn := lambda.NewFunction(lambda.NewHandler(func(ctx context.Context) error { return want }))
			var resp messages.InvokeResponse
			if err := fn.Invoke(&messages.InvokeRequest{Payload: []byte(`{}`)}, &resp); err != nil {
				t.Fatal(err)
			}
			if resp.Error == nil {
				t.Fatal("runtime reported no error")
			}
			if got := LambdaErrorType(want); got != resp.Error.Type {
				t.Errorf("LambdaErrorType = %q, runtime says %q", got, resp.Error.Type)
			}
			name, cause := lambdaFailure(want)
			runtimePayload, err := json.Marshal(resp.Error)
			if err != nil {
				t.Fatal(err)
			}
			if name != resp.Error.Type || cause != string(runtimePayload) {
				t.Errorf("failure = %q %s, runtime payload %s", name, cause, runtimePayload)
			}
		})
	}
}
