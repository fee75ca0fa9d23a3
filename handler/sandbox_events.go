package handler

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
)

// SandboxEvents is a sandbox deployment's event delivery (SandboxEventsFunction, which template.yaml
// creates only with PaymentProvider=sandbox, run by EventBridge every two minutes): it sends the sandbox
// provider's recorded events (refunds failing later, dashboard refunds, disputes) to the deployment's
// own POST /webhooks/stripe, signed with the webhook secret StripeWebhookFunction verifies with, as
// Stripe sends its events to a production deployment. The delivery itself is sandbox.Deliver, the
// same the local stack runs every second (its loop invokes this function): oldest first, each event
// leaves the outbox once acknowledged (2xx), and one refused or not answered is tried again after a
// delay that doubles with each try, up to an hour.
//
// Two runs at once could send an event twice; the function's reserved concurrency of one keeps runs
// apart, and the webhook handles an event once whatever happens (it records each event's id).
type SandboxEvents struct {
	// Deliver sends what is due to the endpoint (sandbox.Gateway.Deliver with the endpoint bound).
	Deliver func(ctx context.Context) (SandboxDelivery, error)
	// Logger receives one line per run that had something to send; nil discards.
	Logger *slog.Logger
}

const fnSandboxEvents = "SandboxEvents"

// SandboxDelivery counts what one run did (sandbox.Delivery's counts; the handler does not import the
// provider, which links stripe-go, so that no other function does). It is the invocation's output.
type SandboxDelivery struct {
	// Delivered events were acknowledged (2xx); Refused ones were answered otherwise or not at all
	// and wait for their next try; Waiting ones were not due yet.
	Delivered int `json:"delivered"`
	Refused   int `json:"refused"`
	Waiting   int `json:"waiting"`
}

// Handle runs one delivery and reports its counts. An error (the table could not be read or written)
// fails the invocation, which is not retried: the next run, a minute later, sends what is left.
func (h SandboxEvents) Handle(ctx context.Context, _ events.EventBridgeEvent) (SandboxDelivery, error) {
	log := taskLogger(ctx, h.Logger, fnSandboxEvents, TaskInput{})
	rep, err := h.Deliver(ctx)
	attrs := []any{"delivered", rep.Delivered, "refused", rep.Refused, "waiting", rep.Waiting}
	switch {
	case err != nil:
		log.ErrorContext(ctx, "sandbox event delivery incomplete", append(attrs, "error", err.Error())...)
		return rep, err
	case rep.Refused > 0:
		// The webhook refused or did not answer: it logged why on its side; this says it keeps trying.
		log.WarnContext(ctx, "sandbox events refused by the webhook, to be tried again", attrs...)
	case rep.Delivered > 0:
		log.InfoContext(ctx, "sandbox events delivered", attrs...)
	}
	return rep, nil
}
