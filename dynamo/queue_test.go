package dynamo_test

import (
	"testing"
	"time"

	"refundflow/dynamo/dynamotest"
	"refundflow/refund"
)

func TestCountRequestsByStatus(t *testing.T) {
	t.Parallel()
	dynamotest.Run(t, func(t *testing.T, b *dynamotest.Backend) {
		e := newEnv(t, b)
		e.seed("req-c1", "RF-C1", refund.StatusInReview, start)
		e.seed("req-c2", "RF-C2", refund.StatusInReview, start.Add(time.Minute))
		e.seed("req-c3", "RF-C3", refund.StatusNeedsAttention, start)
		for status, want := range map[refund.Status]int{refund.StatusInReview: 2, refund.StatusNeedsAttention: 1, refund.StatusExecuting: 0} {
			got, err := e.s.CountRequestsByStatus(e.ctx, status)
			must(t, err)
			if got != want {
				t.Errorf("CountRequestsByStatus(%s) = %d, want %d", status, got, want)
			}
		}
		_, err := e.s.CountRequestsByStatus(e.ctx, "nonsense")
		wantCode(t, err, refund.CodeInvalid, "")
	})
}
