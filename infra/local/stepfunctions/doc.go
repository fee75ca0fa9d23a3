// Package stepfunctions is Refundflow's local AWS Step Functions: it runs
// Amazon States Language state machines (Standard workflows, JSONPath query
// language) and serves the Step Functions API over HTTP, so code talks to it
// with the real aws-sdk-go-v2 sfn client pointed at another endpoint.
//
// The language itself — parsing, validation, paths, payload templates,
// intrinsic functions, Choice rules, retry delays, error matching — lives in
// package asl; this package owns what needs time, I/O and concurrency:
// executions, the clock and timers, task tokens, Lambda and DynamoDB tasks,
// history, and the awsJson1_0 API.
//
// # Wiring
//
//	clock := stepfunctions.NewVirtualClock(start) // or &AdjustableClock{}, or nil for the wall clock
//	eng := stepfunctions.New(stepfunctions.Options{Clock: clock, DynamoDB: ddb})
//	eng.RegisterFunction("request-consent", lambda.NewHandler(h.Handle))
//	arn, err := eng.CreateStateMachine("refund", definition, substitutions)
//	srv := httptest.NewServer(eng.Handler()) // or any http.Server
//	client := sfn.New(sfn.Options{BaseEndpoint: aws.String(srv.URL), Region: "eu-west-1",
//		Credentials: credentials.NewStaticCredentialsProvider("x", "y", ""),
//		HTTPClient:  httpclient.New(nil)}) // awsenv/httpclient: the SDK races net/http against a server this fast
//
// # Time
//
// Executions hold no goroutine while they wait: a parked task, a Wait state
// or a retry delay is a struct plus, for timed waits, an entry in the
// engine's timer queue. With a *VirtualClock, Advance fires due timers in
// order, with the clock set to each timer's instant, and returns once the
// engine has processed everything that became runnable, including the Lambda
// invocations it started; WaitIdle does the same after API calls. Do not
// call Advance from inside a Lambda handler run by the same engine.
//
// # Snapshots
//
// Snapshot writes the engine's whole state as versioned JSON and Restore
// carries on from it in another engine (the local stack's -data directory):
// executions running and finished with their histories, parked tasks with
// the same tokens, timers at their instants (those that fell due meanwhile
// fire at once), closed tokens, name idempotency and transition counts.
// Work in flight when the snapshot was taken is started again on restore,
// which Step Functions' at-least-once task semantics allow.
//
// # API
//
// Handler serves CreateStateMachine, DescribeStateMachine,
// DeleteStateMachine, ListStateMachines, StartExecution, DescribeExecution,
// ListExecutions, StopExecution, GetExecutionHistory, SendTaskSuccess,
// SendTaskFailure and SendTaskHeartbeat; any other operation answers
// UnknownOperationException.
//
// # Fidelity notes
//
// A States.Runtime cause starts as on AWS with the state it happened in and
// the id of that state's StateEntered event ("An error occurred while
// executing the state 'Wait' (entered at the event id #2). "), once, at the
// innermost state of a Parallel branch or Map iteration; a task's TaskFailed
// event keeps the bare cause. Two runtime errors do not happen in a state and
// have no prefix: the history limit, and the end of an execution whose state
// machine was deleted.
//
// DeleteStateMachine sets the status DELETING; the state machine goes when
// none of its executions runs any more, at once when none does. A running
// execution fails at its next state transition with States.Runtime, "State
// machine <name> has been deleted.", as the AWS knowledge center shows; one
// parked on a task token or a Wait state keeps the state machine DELETING
// until it moves on or is stopped. While DELETING, StartExecution and
// CreateStateMachine of the name answer StateMachineDeleting. The executions
// of a deleted state machine are deleted with it.
//
// Task tokens answer as AWS documents: InvalidToken for a string that is not
// a token, TaskTimedOut for a task that has closed (succeeded, failed, timed
// out, or its execution ended — a token used twice included), and
// TaskDoesNotExist for a well-formed token this engine never issued.
// Heartbeats apply to .waitForTaskToken tasks and start counting when the
// Lambda function returns, as on AWS. Billable state transitions are counted
// as one per state entered plus one per retry.
package stepfunctions
