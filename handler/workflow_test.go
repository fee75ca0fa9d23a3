package handler_test

import (
	"testing"

	"refundflow/handler"
	"refundflow/refund"
)

// A recorded consent completes the consent wait with its decision's outcome (refund.Decision.Outcome,
// which resume markers keep); the state machine routes on handler's words.
func TestDecisionOutcomesAreTheWorkflowsWords(t *testing.T) {
	for d, want := range map[refund.Decision]string{refund.DecisionAccept: handler.OutcomeAccepted, refund.DecisionDecline: handler.OutcomeDeclined} {
		if got := d.Outcome(); got != want {
			t.Errorf("%s: outcome %q, want %q", d, got, want)
		}
	}
}
