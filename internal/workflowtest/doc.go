// Package workflowtest runs the refund workflow end to end, in its tests only: the real
// statemachine/refund.asl.json on the local Step Functions engine (on a virtual clock, so a 14-day
// consent wait takes milliseconds), the real task handlers registered as Lambda functions through
// lambda.NewHandler, the real HTTP handlers for submitting, consenting, withdrawing and reviewing
// (called with API Gateway payload 2.0 events), DynamoDB on minidyn, the sandbox payment gateway and
// the local SES outbox. Every test ends by checking the invariants that protect money and consent.
package workflowtest
