// Package workflowtest runs the refund workflow end to end, and gives other test suites the same
// world through Harness: the real statemachine/refund.asl.json on the local Step Functions engine (on
// a virtual clock, so a 14-day consent wait takes milliseconds), the real task handlers registered
// as Lambda functions through lambda.NewHandler, the real HTTP handlers for submitting, consenting,
// withdrawing and reviewing (called with API Gateway payload 2.0 events), DynamoDB on ddblocal, the
// sandbox payment gateway and the local SES outbox. Every test ends by checking the invariants that
// protect money and consent (Harness.CheckInvariants).
//
// The package's own tests are the workflow's scenarios; internal/faulttest runs the same harness with
// faults (Options: a DynamoDB fault proxy, the SDK's retries, a retrying client, parked requests).
// A behaviour change (a new email, a new task) is made here once for both.
package workflowtest
