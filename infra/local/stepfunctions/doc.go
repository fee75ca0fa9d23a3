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
//		Credentials: credentials.NewStaticCredentialsProvider("x", "y", "")})
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
// # Fidelity notes
//
// Task tokens answer as AWS documents: InvalidToken for a string that is not
// a token, TaskTimedOut for a task that has closed (succeeded, failed, timed
// out, or its execution ended — a token used twice included), and
// TaskDoesNotExist for a well-formed token this engine never issued.
// Heartbeats apply to .waitForTaskToken tasks and start counting when the
// Lambda function returns, as on AWS. Billable state transitions are counted
// as one per state entered plus one per retry.
package stepfunctions
