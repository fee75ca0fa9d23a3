// Package sfnworkflow runs the refund workflow on AWS Step Functions for the handlers: it starts a
// request's execution and completes a wait parked on a task token, and it decides which of Step
// Functions' errors mean "started already" and "no longer waiting", so that no handler sees an SDK
// type. It implements the handler package's workflow ports (handler.WorkflowStarter,
// handler.WaitCompleter).
package sfnworkflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"refundflow/refund"
)

// Client is the refund workflow on one state machine. It makes only the Step Functions calls it is
// given, as function values (a *sfn.Client's methods): each function gets the calls its IAM policy
// grants and no other, and a binary links only those operations (a *sfn.Client held where an
// interface reaches it would keep all of its ~40 in the binary; see awsenv/lambdaenv). A call it was
// not given fails. Its zero value makes no call.
type Client struct {
	// StateMachineARN is the refund workflow's state machine (env STATE_MACHINE_ARN), whose
	// executions Start starts.
	StateMachineARN string
	// StartExecution starts an execution (Start).
	StartExecution func(context.Context, *sfn.StartExecutionInput, ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	// SendTaskSuccess completes a wait parked on a task token (Complete).
	SendTaskSuccess func(context.Context, *sfn.SendTaskSuccessInput, ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
}

// errNotGranted is what a call the client was not given answers.
var errNotGranted = errors.New("this function is not wired (or permitted) to make that Step Functions call")

// Start starts the workflow execution of in's request, named after it (refund.WorkflowInput's
// ExecutionName) with in as its input and nothing else. Starting it again is harmless: for the same
// name and input Step Functions returns the execution that runs (Standard workflows' idempotency),
// and answers ExecutionAlreadyExists for one that ended, which existed reports without an error.
func (c Client) Start(ctx context.Context, in refund.WorkflowInput) (existed bool, err error) {
	if c.StartExecution == nil {
		return false, errNotGranted
	}
	input, err := json.Marshal(in)
	if err != nil {
		return false, fmt.Errorf("encode the workflow input of request %s: %w", in.RequestID, err)
	}
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(c.StateMachineARN),
		Name:            aws.String(in.ExecutionName()),
		Input:           aws.String(string(input)),
	})
	var exists *types.ExecutionAlreadyExists
	switch {
	case err == nil:
		return false, nil
	case errors.As(err, &exists):
		return true, nil
	default:
		return false, fmt.Errorf("start workflow of request %s: %w", in.RequestID, err)
	}
}

// Complete completes the wait parked on token with output, encoded as JSON (the state machine reads
// it as the task's result). taken is false, without an error, when the token no longer waits:
// its task timed out, was completed already, or its execution ended. An empty token waits for
// nothing and is not sent.
func (c Client) Complete(ctx context.Context, token string, output any) (taken bool, err error) {
	if token == "" {
		return false, nil
	}
	if c.SendTaskSuccess == nil {
		return false, errNotGranted
	}
	doc, err := json.Marshal(output)
	if err != nil {
		return false, fmt.Errorf("encode the task output: %w", err)
	}
	_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(string(doc))})
	switch {
	case err == nil:
		return true, nil
	case gone(err):
		return false, nil
	default:
		return false, fmt.Errorf("send task success %s: %w", doc, err)
	}
}

// gone reports whether err says that a task token no longer waits: its task timed out, was completed
// already, or its execution ended (or the token was never one).
func gone(err error) bool {
	var timedOut *types.TaskTimedOut
	var missing *types.TaskDoesNotExist
	var invalid *types.InvalidToken
	return errors.As(err, &timedOut) || errors.As(err, &missing) || errors.As(err, &invalid)
}
