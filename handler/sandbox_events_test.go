package handler

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// SandboxEvents reports the delivery's counts as its output, and fails the invocation (which
// EventBridge does not retry; the next run picks up) when the outbox could not be read or written.
func TestSandboxEventsReportsTheDelivery(t *testing.T) {
	for _, c := range []struct {
		name    string
		rep     SandboxDelivery
		err     error
		wantErr bool
	}{
		{"nothing due", SandboxDelivery{}, nil, false},
		{"delivered and refused", SandboxDelivery{Delivered: 2, Refused: 1, Waiting: 3}, nil, false},
		{"the outbox cannot be read", SandboxDelivery{}, errors.New("query sandbox SANDBOXOUTBOX: throttled"), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			calls := 0
			h := SandboxEvents{Deliver: func(context.Context) (SandboxDelivery, error) { calls++; return c.rep, c.err }}
			got, err := h.Handle(context.Background(), events.EventBridgeEvent{Source: "aws.events"})
			if (err != nil) != c.wantErr {
				t.Fatalf("error %v, want an error: %v", err, c.wantErr)
			}
			if got != c.rep || calls != 1 {
				t.Errorf("report %+v after %d deliveries, want %+v after one", got, calls, c.rep)
			}
		})
	}
}
