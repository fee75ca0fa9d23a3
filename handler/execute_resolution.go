package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"refundflow/payment"
	"refundflow/refund"
)

// ExecuteResolution carries out the offer the client accepted: it refunds the card (through the
// ledger and the payment provider), records a credit, or records a pause or an end date; then it marks
// the order cancelled or fully refunded where that applies, and the request completed.
//
// Before anything moves it re-checks the consent against what is stored now (refund.Consent.Check:
// the decision is accept, the offer is the request's own, its currency is the order's, the refund
// goes to the order's original payment, and the agreement hash recomputed from the offer and the
// order as they are now equals the hash the client accepted), and the ledger checks that the refund
// fits in what remains refundable. A failed check is an *ExecutionRefused error, which the state
// machine catches and turns into "needs attention".
//
// Money moves at most once per request: the refund is reserved in the ledger as the request's attempt
// (1, or the attempt a staff retry recorded after the provider refused the previous one for certain:
// refund.RetryAttempt; a retried step finds the reservation), the provider is called with the
// idempotency key refund:<requestId>:<n> (a retry after a timeout replays the same key, so the
// provider returns its first refund), and only then is the provider's answer recorded in the ledger,
// as one report of the refund's status (ApplyProviderRefund): if the provider's events reported the
// refund failed before that, the answer changes nothing and the step ends in "needs attention" with
// the amount released. The workflow never starts a new attempt by itself, so a retried step can never
// make a second refund. A provider that is unavailable returns *payment.PaymentUnavailable
// unwrapped, which the state machine retries. Only a definite refusal for the attempt's idempotency key
// (*payment.PaymentDeclined) releases the reservation; it ends in "needs attention". Any other failure
// — *payment.PaymentOutcomeUnknown (the API key refused, the key used with other parameters, the
// payment unreadable), or an error of no known kind — keeps the reservation, because a refund made by
// an earlier attempt whose answer was lost may exist, and ends in "needs attention" too.
//
// The provider call ends providerReserve before the invocation's deadline, so a slow provider becomes a
// PaymentUnavailable that is recorded and retried with the same key, not a Lambda timeout.
type ExecuteResolution struct {
	// Store reads the request, its consent, offer and order, moves money in the order's ledger,
	// records credits, closes the order and completes the request.
	Store ExecuteResolutionStore
	// Payment refunds the card.
	Payment payment.Gateway
	// Logger receives one line per invocation; nil discards.
	Logger *slog.Logger
}

// ExecuteResolutionStore is the table as ExecuteResolution uses it.
type ExecuteResolutionStore interface {
	RequestGetter
	ConsentGetter
	OfferGetter
	OrderGetter
	RefundLedger
	CreditPutter
	OrderCloser
	Transitioner
}

const fnExecuteResolution = "ExecuteResolution"

// ExecutionRefused reports that the accepted offer no longer matches what is stored (amount, currency,
// payment, agreement hash) or that the request is not in a state to execute. Nothing was refunded for
// it. The type name is the error name the state machine sees.
type ExecutionRefused struct {
	// RequestID is the request.
	RequestID string
	// Reason says which check failed, for staff and logs; it holds no personal data.
	Reason string
}

// Error describes the refusal.
func (e *ExecutionRefused) Error() string {
	return fmt.Sprintf("request %s cannot be executed: %s", e.RequestID, e.Reason)
}

// Time the step keeps back from the invocation's deadline (the function's timeout, which Lambda puts on
// the context). A function that Lambda stops at its timeout reports no error the state machine
// retries, and the provider's answer it was waiting for is lost to the ledger; a call that ends early
// leaves time to record what happened and to return an error the state machine understands.
const (
	// providerReserve: the call to the payment provider ends this long before the deadline, leaving
	// time to record its answer (the ledger, the order and the request: a few DynamoDB writes) and to
	// return; a call cut short returns *payment.PaymentUnavailable (timeout), retried with the same key.
	providerReserve = 5 * time.Second
	// returnReserve: every other call ends this long before the deadline, so the step returns its own
	// error instead of being stopped.
	returnReserve = time.Second
)

// beforeDeadline returns a context that ends reserve before ctx's deadline; without a deadline (tests,
// the local engine) it only adds a cancel.
func beforeDeadline(ctx context.Context, reserve time.Duration) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, deadline.Add(-reserve))
}

// Handle runs the step for in.RequestID.
func (h ExecuteResolution) Handle(ctx context.Context, in TaskInput) (TaskOutput, error) {
	log := taskLogger(ctx, h.Logger, fnExecuteResolution, in)
	work, cancel := beforeDeadline(ctx, returnReserve)
	defer cancel()
	out, err := h.handle(work, in)
	if err != nil {
		log.ErrorContext(ctx, "execution failed", "error", err.Error(), "paymentUnavailable", payment.IsUnavailable(err),
			"paymentDeclined", payment.IsDeclined(err), "paymentOutcomeUnknown", payment.IsOutcomeUnknown(err))
		// aws-lambda-go names the error after the returned value's type: the state machine's Retry on
		// PaymentUnavailable only matches the payment error itself, not a wrapper.
		return TaskOutput{}, payment.TaskError(err)
	}
	log.InfoContext(ctx, "execution done", "outcome", out.Outcome)
	return out, nil
}

func (h ExecuteResolution) handle(ctx context.Context, in TaskInput) (TaskOutput, error) {
	req, err := h.Store.GetRequest(ctx, in.RequestID)
	if err != nil {
		return TaskOutput{}, fmt.Errorf("execute request %s: %w", in.RequestID, err)
	}
	switch req.Status {
	case refund.StatusCompleted:
		return TaskOutput{Outcome: OutcomeCompleted}, nil // a retry after the last write
	case refund.StatusExecuting:
	default:
		return TaskOutput{}, &ExecutionRefused{RequestID: req.ID, Reason: fmt.Sprintf("it is %s, not %s", req.Status, refund.StatusExecuting)}
	}
	consent, err := h.Store.GetConsent(ctx, req.ID)
	if err != nil {
		return TaskOutput{}, fmt.Errorf("execute request %s: %w", req.ID, err)
	}
	if !consent.AcceptsOffer() {
		return TaskOutput{}, &ExecutionRefused{RequestID: req.ID, Reason: "the recorded decision is not an acceptance of an offer"}
	}
	offer, err := h.Store.GetOffer(ctx, req.ID, consent.OfferID)
	if err != nil {
		return TaskOutput{}, fmt.Errorf("execute request %s: %w", req.ID, err)
	}
	order, err := h.Store.GetOrder(ctx, req.OrderNumber)
	if err != nil {
		return TaskOutput{}, fmt.Errorf("execute request %s: %w", req.ID, err)
	}
	if err := consent.Check(req.Request, order, offer); err != nil {
		return TaskOutput{}, &ExecutionRefused{RequestID: req.ID, Reason: err.Error()}
	}

	var done string
	switch {
	case offer.IsRefund():
		rec, err := h.refund(ctx, req.Request, req.Attempt(), order, offer)
		if err != nil {
			return TaskOutput{}, err
		}
		done = fmt.Sprintf("refunded %s to the original payment (provider refund %s)", rec.Amount, rec.ProviderRefundID)
	case offer.IsCredit():
		err := h.Store.PutCredit(ctx, refund.Credit{
			OrderNumber: order.Number, RequestID: req.ID, OfferID: offer.ID, Amount: offer.Amount, ValidUntil: offer.ValidUntil,
		})
		if err != nil {
			return TaskOutput{}, fmt.Errorf("record the credit of request %s: %w", req.ID, err)
		}
		done = fmt.Sprintf("granted a %s of %s valid until %s", strings.ReplaceAll(string(offer.Kind), "_", " "), offer.Amount, offer.ValidUntil)
	case offer.Kind == refund.OfferPause:
		done = fmt.Sprintf("paused the subscription for %s from %s", count(offer.PauseMonths, "month", "months"), offer.EffectiveDate)
	case offer.Kind == refund.OfferCancelAtPeriodEnd:
		done = fmt.Sprintf("the subscription ends after %s", offer.EffectiveDate)
	default:
		return TaskOutput{}, &ExecutionRefused{RequestID: req.ID, Reason: fmt.Sprintf("offer kind %q is unknown", offer.Kind)}
	}

	if err := h.closeOrder(ctx, order.Number, offer); err != nil {
		return TaskOutput{}, err
	}
	err = h.Store.Transition(ctx, req.ID, refund.StatusExecuting, refund.StatusCompleted, req.Version,
		refund.AuditEntry{Actor: system(fnExecuteResolution), Detail: "offer " + offer.ID + ": " + done})
	if err != nil {
		cur, gerr := h.Store.GetRequest(ctx, req.ID)
		switch {
		case gerr == nil && cur.Status == refund.StatusCompleted:
			return TaskOutput{Outcome: OutcomeCompleted}, nil // completed concurrently by a retry
		case gerr == nil && cur.Status == refund.StatusNeedsAttention:
			// The provider reported the refund failed meanwhile, and its event moved the request.
			return TaskOutput{}, &ExecutionRefused{RequestID: req.ID, Reason: "the request went to needs attention while it was carried out (its refund failed at the provider)"}
		}
		return TaskOutput{}, fmt.Errorf("complete request %s: %w", req.ID, err)
	}
	return TaskOutput{Outcome: OutcomeCompleted}, nil
}

// refund moves the money: reserve in the ledger, call the provider with the attempt's idempotency key,
// record the provider's answer.
func (h ExecuteResolution) refund(ctx context.Context, req refund.Request, attempt int, order refund.Order, offer refund.Offer) (refund.RefundRecord, error) {
	if h.Payment == nil {
		return refund.RefundRecord{}, errors.New("execute request " + req.ID + ": no payment gateway configured")
	}
	rec, err := h.Store.ReserveRefund(ctx, order.Number, req.ID, attempt, offer.Amount,
		refund.AuditEntry{Actor: system(fnExecuteResolution)})
	switch {
	case refund.ErrorCode(err) == refund.CodeConflict:
		// More than remains, another currency, or the request left executing: nothing was reserved.
		return refund.RefundRecord{}, &ExecutionRefused{RequestID: req.ID, Reason: "the refund could not be reserved: " + err.Error()}
	case err != nil:
		return refund.RefundRecord{}, fmt.Errorf("reserve the refund of request %s: %w", req.ID, err)
	}
	switch rec.State {
	case refund.RefundSucceeded:
		return rec, nil
	case refund.RefundFailed:
		return refund.RefundRecord{}, &payment.PaymentDeclined{Provider: "ledger", Code: "attempt_failed",
			Message: fmt.Sprintf("refund attempt %d of request %s was refused earlier: %s", rec.N, req.ID, rec.FailureReason)}
	}
	if rec.PaymentReference != order.Payment.Reference {
		return refund.RefundRecord{}, &ExecutionRefused{RequestID: req.ID, Reason: "the reserved refund names another payment than the order's"}
	}
	// ctx already ends returnReserve before the invocation's deadline.
	callCtx, cancel := beforeDeadline(ctx, providerReserve-returnReserve)
	res, err := h.Payment.Refund(callCtx, payment.RefundRequest{
		PaymentReference: rec.PaymentReference,
		Amount:           rec.Amount,
		IdempotencyKey:   rec.IdempotencyKey,
		RequestID:        req.ID,
	})
	cancel()
	var declined *payment.PaymentDeclined
	switch {
	case errors.As(err, &declined):
		// A definite refusal for this idempotency key: nothing was refunded under it, so the
		// reservation is released.
		reason := declined.Provider + ": " + declined.Code
		if ferr := h.Store.FailRefund(ctx, order.Number, req.ID, rec.N, reason); ferr != nil {
			return refund.RefundRecord{}, fmt.Errorf("release the refused refund of request %s: %w (refusal: %w)", req.ID, ferr, err)
		}
		return refund.RefundRecord{}, err
	case err != nil:
		// Unavailable (retried with the same key), outcome unknown (a person checks at the provider)
		// or anything else: the refund may have happened, so the reservation stays.
		return refund.RefundRecord{}, err
	}
	// The provider's answer is one report of the refund's status, recorded like its events: the
	// provider's events may have reported it already (even as failed), and a later report never
	// overwrites a newer one.
	status := refund.ProviderRefundSucceeded
	if res.Status == payment.StatusPending {
		status = refund.ProviderRefundPending
	}
	amount := res.Amount
	if amount == (refund.Money{}) {
		amount = rec.Amount
	}
	answer := refund.ProviderRefund{ID: res.ID, PaymentReference: rec.PaymentReference, Amount: amount, Status: status, IdempotencyKey: rec.IdempotencyKey}
	rec, _, err = h.Store.ApplyProviderRefund(ctx, order.Number, answer, refund.AuditEntry{Actor: system(fnExecuteResolution)})
	var mismatch *refund.ErrProviderMismatch
	switch {
	case errors.As(err, &mismatch):
		// Another amount than reserved, say: the reservation stays, and a person checks.
		return refund.RefundRecord{}, &ExecutionRefused{RequestID: req.ID, Reason: "the provider's refund does not match the reservation: " + mismatch.What}
	case err != nil:
		return refund.RefundRecord{}, fmt.Errorf("record the refund of request %s: %w", req.ID, err)
	case rec.State == refund.RefundFailed:
		// The provider's events reported the refund failed before its answer was recorded: the
		// amount is released already, and the money did not go back.
		return refund.RefundRecord{}, &payment.PaymentDeclined{Provider: "ledger", Code: "refund_failed",
			Message: fmt.Sprintf("refund %s of request %s failed at the provider after it was accepted: %s", rec.ProviderRefundID, req.ID, rec.FailureReason)}
	}
	return rec, nil
}

// closeOrder records the order's new billing status: fully refunded when nothing remains refundable,
// cancelled when the offer ends the service (refunds, credits, switches, ending at the period's end);
// a pause leaves the order active. The close is recorded as the request's even when the order
// already has that status (the billing system cancelled it first): only the request's name on the
// order keeps a stale record from the billing system from making it active again, and a later
// request from being offered what this one granted (a credit does not move the ledger). The store
// makes a second close by the same request a no-op, so a retried step changes nothing. The write is
// conditional on the order's version, and repeated on a conflict (the ledger bumps the version too).
func (h ExecuteResolution) closeOrder(ctx context.Context, number string, offer refund.Offer) error {
	if offer.Kind == refund.OfferPause {
		return nil
	}
	for attempt := 1; ; attempt++ {
		order, err := h.Store.GetOrder(ctx, number)
		if err != nil {
			return fmt.Errorf("close order %s: %w", number, err)
		}
		want := refund.OrderCancelled
		if order.Status == refund.OrderFullyRefunded || order.Paid > 0 && order.Refunded >= order.Paid {
			want = refund.OrderFullyRefunded
		}
		// Recorded as the request's closure, which the billing system cannot undo (Store.CloseOrder).
		_, err = h.Store.CloseOrder(ctx, number, order.Version, want, offer.RequestID)
		switch {
		case err == nil:
			return nil
		case refund.ErrorCode(err) == refund.CodeConflict && attempt < maxConflictRetries:
			continue
		default:
			return fmt.Errorf("close order %s: %w", number, err)
		}
	}
}
