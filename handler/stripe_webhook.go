package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/mail"
	"refundflow/payment"
	"refundflow/refund"
)

// StripeWebhook hears the payment provider after the refund call: POST /webhooks/stripe takes
// Stripe's signed events (and the sandbox provider's, signed and shaped the same way) and keeps the
// ledger and the requests in step with what happens to the money afterwards.
//
//   - A refund that failed later (refund.failed, refund.updated or charge.refund.updated with status
//     failed or canceled): the ledger releases its amount, once; a completed (or still executing)
//     request goes to needs attention, the client is told plainly that the money did not go back yet
//     and what happens next, and staff are told. The completed email, if it has not gone out yet,
//     never does (Emails.suppress).
//   - A refund made outside Refundflow (refund.created, charge.refunded, without Refundflow's
//     idempotency key): recorded in the ledger and counted, so refunded ≤ paid holds and every later
//     offer subtracts it. Any other report of a refund's status (pending, succeeded) is recorded too.
//   - A dispute opened (charge.dispute.created, or an update that opens one): the order is flagged
//     disputed, refunds to its payment are refused while the dispute is open or after it is lost, and
//     its open request goes to staff: one waiting for the client's consent is taken back to staff
//     review through the workflow (its offers withdrawn and re-issued for the review, the consent wait
//     completed with "review"); staff are told. A dispute closed (won, lost): the flag follows, and
//     staff are told what that means for the request.
//
// What the provider reports is applied by the state it reports, never by arrival order: a refund's
// status only moves forward (pending, succeeded, failed or canceled) and a dispute's follows the time
// of its report, so an older event delivered late changes nothing (refund/provider.go).
//
// Answers, as Stripe expects them: 2xx acknowledges (processed, already processed, an event type
// Refundflow does not act on, a payment it does not know); 400 for a body that is not a fresh signed
// event (a missing or wrong signature, a timestamp older than five minutes: a replay); 413 for a body
// over payment.MaxEventBytes; 409 while another delivery of the same event is being processed, and
// 5xx when something failed or the event cannot be applied yet (a refund the ledger cannot fit while
// a reservation is in flight): Stripe retries every non-2xx answer, with backoff, for three days.
// Each event is processed once (EventClaims): a delivery claims its id, processes it and marks it
// processed; every effect is itself conditional, so a delivery that died half way is finished by the
// retry without doing anything twice.
type StripeWebhook struct {
	// Events verifies and reads an event body against its signature header (stripepay.Webhook).
	Events EventReader
	// Store reads and writes the ledger, orders, requests and claims.
	Store StripeWebhookStore
	// Waits completes the consent wait of a request a dispute takes back to review.
	Waits WaitCompleter
	// Workflow starts the new execution of a completed request reopened because its refund failed
	// later (startReopened).
	Workflow WorkflowStarter
	// Emails tells the client and staff.
	Emails Emails
	// Clock stamps link codes; nil means the wall clock.
	Clock Clock
	// Logger receives one line per event (ids, types and outcomes; never personal data); nil discards.
	Logger *slog.Logger
}

// EventReader verifies a provider event's signature and reads it: a body that is not a fresh signed
// event is a *payment.BadEvent. stripepay.Webhook implements it.
type EventReader interface {
	Event(payload []byte, signature string) (payment.Event, error)
}

// StripeWebhookStore is the table as StripeWebhook uses it (MailMarkers through Emails).
type StripeWebhookStore interface {
	EventClaims
	PaymentOrderFinder
	OrderGetter
	RequestGetter
	ProviderRefundRecorder
	DisputeRecorder
	OpenRequestFinder
	OfferLister
	Transitioner
	Reopener
	AuditAppender
	AuditLister
	LinkPutter
	DecisionDelivery
	TokenGetter
}

const fnStripeWebhook = "StripeWebhook"

// EventLease is how long a delivery holds its claim on an event: longer than the function can run
// (template.yaml's timeout), so two live deliveries never both process it.
const EventLease = 60 * time.Second

// actionRefundFailed is the audit action of the move of a request whose refund failed at the provider.
const actionRefundFailed = "refund_failed"

// actionDisputeReview is the audit action of the move of a request waiting for consent back to review.
const actionDisputeReview = "dispute_review"

// The outcomes of an event, in the answer and the log line.
const (
	eventIgnored        = "ignored"
	eventDuplicate      = "duplicate"
	eventUnknownPayment = "unknown_payment"
	eventProcessed      = "processed"
)

// WebhookAnswer is the JSON answer to an acknowledged event.
type WebhookAnswer struct {
	// Received is always true: the event was taken.
	Received bool `json:"received"`
	// Event is the event's id.
	Event string `json:"event"`
	// Outcome says what it did: "processed", "duplicate" (processed before), "ignored" (a type
	// Refundflow does not act on) or "unknown_payment" (a payment no order has).
	Outcome string `json:"outcome"`
}

// Handle answers one API Gateway event.
func (h StripeWebhook) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	resp, err := h.serve(ctx, req)
	if err != nil {
		resp = h.fail(ctx, req, err)
	}
	return apigw.Finish(req, resp), nil
}

func (h StripeWebhook) serve(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	route, _ := matchRoute(req, "/webhooks/stripe")
	switch {
	case route == "":
		return events.APIGatewayV2HTTPResponse{}, errPageNotFound()
	case apigw.Method(req) != http.MethodPost:
		return events.APIGatewayV2HTTPResponse{}, errMethod(apigw.Method(req))
	}
	body, err := apigw.BodyLimit(req, payment.MaxEventBytes)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	ev, err := h.Events.Event(body, apigw.Header(req, "stripe-signature"))
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	log := logger(h.Logger).With("function", fnStripeWebhook, "requestId", apigw.RequestID(req), "event", ev.ID, "type", ev.Type)
	if ev.Ignored() {
		log.InfoContext(ctx, "provider event", "outcome", eventIgnored)
		return acknowledge(ev, eventIgnored), nil
	}
	claimID, err := NewCode()
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	claim, err := h.Store.ClaimEvent(ctx, ev.ID, claimID, EventLease)
	switch {
	case err != nil:
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("claim event %s: %w", ev.ID, err)
	case claim == refund.EventProcessed:
		log.InfoContext(ctx, "provider event", "outcome", eventDuplicate)
		return acknowledge(ev, eventDuplicate), nil
	case claim == refund.EventInProgress:
		log.InfoContext(ctx, "provider event", "outcome", "in_progress")
		resp := apigw.JSON(http.StatusConflict, apigw.ErrorBody{Error: apigw.ErrorDetail{Code: refund.CodeConflict,
			Message: "Event " + ev.ID + " is being processed by another delivery; send it again later.", RequestID: apigw.RequestID(req)}})
		resp.Headers["Retry-After"] = "60"
		return resp, nil
	}
	outcome, err := h.process(ctx, log, ev)
	if err != nil {
		// Let the provider's retry claim it at once; a failed release only makes it wait the lease.
		if rerr := h.Store.ReleaseEvent(context.WithoutCancel(ctx), ev.ID, claimID); rerr != nil {
			err = errors.Join(err, rerr)
		}
		log.ErrorContext(ctx, "provider event failed", "error", err.Error())
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := h.Store.MarkEventProcessed(ctx, ev.ID, outcome); err != nil {
		// Processed, not marked: a redelivery processes it again, which changes nothing.
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("mark event %s processed: %w", ev.ID, err)
	}
	log.InfoContext(ctx, "provider event", "outcome", outcome)
	return acknowledge(ev, outcome), nil
}

// acknowledge is the 200 answer to an event.
func acknowledge(ev payment.Event, outcome string) events.APIGatewayV2HTTPResponse {
	return apigw.JSON(http.StatusOK, WebhookAnswer{Received: true, Event: ev.ID, Outcome: outcome})
}

// fail answers an error as JSON whatever the Accept header says (the provider reads no pages): a bad
// event 400, a ledger that cannot take the event yet and another run sending its email 503 with
// Retry-After, the rest as apigw's table says (internal errors 500, logged with the request id).
func (h StripeWebhook) fail(ctx context.Context, req events.APIGatewayV2HTTPRequest, err error) events.APIGatewayV2HTTPResponse {
	var bad *payment.BadEvent
	var busy *MailInProgress
	switch {
	case errors.As(err, &bad):
		logger(h.Logger).WarnContext(ctx, "provider event refused", "function", fnStripeWebhook, "requestId", apigw.RequestID(req), "reason", bad.Reason)
		err = &refund.Error{Code: refund.CodeInvalid, Message: "This is not a fresh event signed with this endpoint's secret (" + bad.Reason + ").", Err: err}
	case errors.As(err, &busy), refund.ErrorCode(err) == refund.CodeConflict:
		resp := apigw.JSON(http.StatusServiceUnavailable, apigw.ErrorBody{Error: apigw.ErrorDetail{
			Code: CodeUnavailable, Message: "The event cannot be applied yet; send it again later.", RequestID: apigw.RequestID(req)}})
		resp.Headers["Retry-After"] = "60"
		return resp
	}
	status, d := apigw.Describe(req, err)
	if status >= 500 {
		logger(h.Logger).ErrorContext(ctx, "provider event failed", "function", fnStripeWebhook, "requestId", apigw.RequestID(req), "error", err.Error())
	}
	return apigw.JSON(status, apigw.ErrorBody{Error: d})
}

// process applies one event; its outcome word is for the answer and the log.
func (h StripeWebhook) process(ctx context.Context, log *slog.Logger, ev payment.Event) (string, error) {
	outcome := eventUnknownPayment
	for _, p := range ev.Refunds {
		known, err := h.refundReport(ctx, log, p)
		if err != nil {
			return "", err
		}
		if known {
			outcome = eventProcessed
		}
	}
	if ev.Dispute != nil {
		known, err := h.disputeReport(ctx, log, *ev.Dispute)
		if err != nil {
			return "", err
		}
		if known {
			outcome = eventProcessed
		}
	}
	return outcome, nil
}

// orderOf finds the order a payment belongs to: through the request a refund of Refundflow's names
// (its idempotency key), else through the payment's reference. known is false for a payment no order
// has (another shop on the same provider account, an order not sent to Refundflow): the event is
// acknowledged and ignored. Two orders on one payment is an error for a person to look at.
func (h StripeWebhook) orderOf(ctx context.Context, reference, idempotencyKey string) (refund.Order, bool, error) {
	if id, _, ok := refund.ParseRefundIdempotencyKey(idempotencyKey); ok {
		req, err := h.Store.GetRequest(ctx, id)
		switch refund.ErrorCode(err) {
		case "":
			order, err := h.Store.GetOrder(ctx, req.OrderNumber)
			if err == nil && order.Payment.Reference == reference {
				return order, true, nil
			}
			if err != nil && refund.ErrorCode(err) != refund.CodeNotFound {
				return refund.Order{}, false, err
			}
		case refund.CodeNotFound, refund.CodeInvalid:
		default:
			return refund.Order{}, false, err
		}
	}
	orders, err := h.Store.OrdersByPayment(ctx, reference)
	switch {
	case refund.ErrorCode(err) == refund.CodeInvalid:
		return refund.Order{}, false, nil
	case err != nil:
		return refund.Order{}, false, err
	case len(orders) == 0:
		return refund.Order{}, false, nil
	case len(orders) > 1:
		return refund.Order{}, false, fmt.Errorf("payment %s belongs to %d orders (%s, %s, ...); the ledger cannot tell which", reference, len(orders), orders[0].Number, orders[1].Number)
	}
	return orders[0], true, nil
}

// refundReport records what the provider says about one refund, and when it failed after the
// provider accepted it, settles its request.
func (h StripeWebhook) refundReport(ctx context.Context, log *slog.Logger, p refund.ProviderRefund) (bool, error) {
	order, known, err := h.orderOf(ctx, p.PaymentReference, p.IdempotencyKey)
	if err != nil || !known {
		return false, err
	}
	rec, change, err := h.Store.ApplyProviderRefund(ctx, order.Number, p, refund.AuditEntry{Actor: system(fnStripeWebhook)})
	var mismatch *refund.ErrProviderMismatch
	if errors.As(err, &mismatch) {
		// The ledger and the provider disagree about a refund in a way no report can settle: a
		// person must look, and the provider keeps retrying until they have.
		return true, fmt.Errorf("provider refund %s on order %s: %w", p.ID, order.Number, err)
	}
	if err != nil {
		return true, err
	}
	log.InfoContext(ctx, "provider refund", "order", order.Number, "refund", p.ID, "status", p.Status, "state", rec.State,
		"changed", change.Changed, "new", change.New, "delta", change.Delta)
	if rec.Origin == refund.OriginProvider && change.New && change.Delta > 0 {
		h.noteOutsideRefund(ctx, log, order, rec)
	}
	if rec.RequestID == "" || !rec.FailedLater() {
		return true, nil
	}
	// Settled from the record's state, not from whether this report changed it: a delivery that
	// died after the ledger's write is finished by the retry.
	return true, h.refundFailed(ctx, order, rec)
}

// refundFailed settles a request whose refund failed at the provider after it was accepted: the
// completed email of that attempt never goes out from now on, the request goes to needs attention
// (when it is executing or completed and this is its latest refund attempt), and staff and the client
// are told. A request reopened from completed has no execution any more (the one that completed it
// ended), so it gets a new one (startReopened), which parks it for a staff action like any other
// request that needs attention; one reopened from executing keeps its own, which goes there itself.
func (h StripeWebhook) refundFailed(ctx context.Context, order refund.Order, rec refund.RefundRecord) error {
	req, err := h.Store.GetRequest(ctx, rec.RequestID)
	if err != nil {
		return fmt.Errorf("request %s of a failed refund: %w", rec.RequestID, err)
	}
	if rec.N != req.Attempt() {
		return nil // an attempt a staff action has since replaced (a retry, a settlement): it decides
	}
	if _, err := h.Emails.suppress(ctx, rec.RequestID, outcomeCompletedEvent(rec.N)); err != nil {
		return fmt.Errorf("hold back the completed email of request %s: %w", rec.RequestID, err)
	}
	for attempt := 1; ; attempt++ {
		var err error
		if req, err = h.Store.GetRequest(ctx, rec.RequestID); err != nil {
			return fmt.Errorf("request %s of a failed refund: %w", rec.RequestID, err)
		}
		if !refund.CanReopen(req.Status) {
			break
		}
		err = h.Store.Reopen(ctx, req.ID, req.Status, req.Version, refund.AuditEntry{
			Actor: system(fnStripeWebhook), Action: actionRefundFailed,
			Detail: fmt.Sprintf("refund %s of %s failed at the payment provider after it was accepted (%s); the amount was released in the ledger", rec.ProviderRefundID, rec.Amount, rec.FailureReason),
		})
		if err != nil && !(refund.ErrorCode(err) == refund.CodeConflict && attempt < maxConflictRetries) {
			return fmt.Errorf("move request %s to needs attention: %w", req.ID, err)
		}
		// Read it again: moved now, or by someone else meanwhile.
	}
	if req.Status != refund.StatusNeedsAttention {
		// Moved on by a person meanwhile (the money returned another way): nothing to tell.
		return nil
	}
	if err := h.startReopened(ctx, req, rec); err != nil {
		return err
	}
	return h.Emails.refundFailedEmails(ctx, h.Store, h.Clock, req, order, rec)
}

// startReopened starts the execution of a request that needs attention because this webhook reopened
// it from completed for refund attempt rec.N, named <requestId>-reopened-<n> (refund.WorkflowInput's
// ExecutionName), so that a repeated or concurrent delivery finds the one that exists and never starts a
// second. Whether the request came from completed is read from its audit trail (its last move into
// needs attention), not from this delivery's own write, so a delivery that died between the move and
// the start is finished by the next one; a request that came to needs attention any other way
// (reopened while executing, or a staff retry that failed) has a running execution, which parks
// itself, and gets none. Its first step (VerifyConditions) sees needs attention and routes to the
// staff-action wait: no step of it moves money before a staff retry.
func (h StripeWebhook) startReopened(ctx context.Context, req refund.RequestRecord, rec refund.RefundRecord) error {
	entries, err := h.Store.ListAudit(ctx, req.ID)
	if err != nil {
		return fmt.Errorf("audit trail of request %s: %w", req.ID, err)
	}
	var last refund.AuditEntry
	for _, e := range entries {
		if e.To == refund.StatusNeedsAttention && e.Version >= last.Version {
			last = e
		}
	}
	if last.From != refund.StatusCompleted || last.Action != actionRefundFailed {
		return nil
	}
	if h.Workflow == nil {
		return fmt.Errorf("start the workflow of reopened request %s: no workflow starter wired", req.ID)
	}
	if _, err := h.Workflow.Start(ctx, refund.WorkflowInput{RequestID: req.ID, Reopened: rec.N}); err != nil {
		return fmt.Errorf("start the workflow of reopened request %s: %w", req.ID, err)
	}
	return nil
}

// noteOutsideRefund notes a refund made outside Refundflow on the order's open request, for staff
// (the offers it has may now exceed what remains; the ledger refuses any refund beyond it). A failed
// note is only logged: the ledger already counts the refund.
func (h StripeWebhook) noteOutsideRefund(ctx context.Context, log *slog.Logger, order refund.Order, rec refund.RefundRecord) {
	id, err := h.Store.OpenRequestID(ctx, order.Number)
	if err != nil || id == "" {
		return
	}
	err = h.Store.AppendAudit(ctx, refund.AuditEntry{RequestID: id, Actor: system(fnStripeWebhook), Action: "provider_refund_outside",
		Detail: fmt.Sprintf("a refund of %s (%s) was made at the payment provider outside Refundflow; the order's ledger counts it, so %s remains refundable",
			rec.Amount, rec.ProviderRefundID, refund.Money{Amount: order.Remaining().Amount - rec.Amount.Amount, Currency: order.Currency})})
	if err != nil {
		log.WarnContext(ctx, "note a refund made outside Refundflow", "requestId", id, "error", err.Error())
	}
}

// disputeReport records what the provider says about a dispute and, when it opened or closed one,
// settles the order's open request.
func (h StripeWebhook) disputeReport(ctx context.Context, log *slog.Logger, d refund.Dispute) (bool, error) {
	order, known, err := h.orderOf(ctx, d.PaymentReference, "")
	if err != nil || !known {
		return false, err
	}
	prev, changed, err := h.Store.RecordDispute(ctx, order.Number, d)
	if err != nil {
		return true, err
	}
	log.InfoContext(ctx, "provider dispute", "order", order.Number, "dispute", d.ID, "status", d.Status, "changed", changed)
	opened := d.BlocksRefunds() && (prev == nil || !prev.BlocksRefunds())
	closed := d.Status.Closed() && (prev == nil || !prev.Status.Closed() || prev.ID != d.ID)
	if !changed || !opened && !closed {
		return true, nil
	}
	id, err := h.Store.OpenRequestID(ctx, order.Number)
	if err != nil || id == "" {
		return true, err
	}
	req, err := h.Store.GetRequest(ctx, id)
	if err != nil {
		return true, err
	}
	action := disputeAction(req, opened)
	if opened && req.Status == refund.StatusAwaitingConsent {
		if action, err = h.backToReview(ctx, req, d); err != nil {
			return true, err
		}
	} else {
		what := "closed (" + string(d.Status) + ")"
		if opened {
			what = "opened"
		}
		if err := h.Store.AppendAudit(ctx, refund.AuditEntry{RequestID: id, Actor: system(fnStripeWebhook), Action: "dispute",
			Detail: fmt.Sprintf("dispute %s on the order's payment %s at the payment provider: %s, %s", d.ID, what, d.Amount, d.Reason)}); err != nil {
			return true, err
		}
	}
	event := "staff:dispute:" + d.ID + ":" + string(d.Status)
	if opened {
		event = "staff:dispute:" + d.ID
	}
	_, err = h.Emails.once(ctx, id, event, mail.KindStaffDispute, func() (mail.Data, error) {
		return mail.Data{OrderNumber: order.Number, RequestID: id, Dispute: &d, DisputeAction: action}, nil
	})
	return true, err
}

// disputeAction says, for staff, what a dispute opened or closed means for the order's open request.
func disputeAction(req refund.RequestRecord, opened bool) string {
	if !opened {
		switch req.Status {
		case refund.StatusInReview:
			return "Request " + req.ID + " is in staff review: decide it in the staff console."
		case refund.StatusNeedsAttention:
			return "Request " + req.ID + " needs attention: settle it in the staff console."
		}
		return "Request " + req.ID + " is " + strings.ReplaceAll(string(req.Status), "_", " ") + "."
	}
	switch req.Status {
	case refund.StatusSubmitted:
		return "Request " + req.ID + " is being checked; it will come to staff review, because the order is disputed."
	case refund.StatusInReview:
		return "Request " + req.ID + " is already in staff review: decide it knowing the dispute (a refund to the card is refused while it is open)."
	case refund.StatusExecuting:
		return "Request " + req.ID + " was accepted and is being carried out: a refund not sent yet is refused, and the request will need attention."
	case refund.StatusNeedsAttention:
		return "Request " + req.ID + " needs attention: settle it in the staff console, knowing the dispute."
	}
	return "Request " + req.ID + " is " + strings.ReplaceAll(string(req.Status), "_", " ") + "."
}

// backToReview takes a request waiting for the client's consent back to staff review, through the
// workflow's own paths: in one write the request moves to in_review, its offers are withdrawn and
// re-issued as a new set (so the client is sent fresh offers, and a fresh link, if staff approve
// them), and a resume marker "review" is recorded; then the consent wait is completed with "review",
// which the state machine routes to RequestStaffReview. If completing fails, the sweeper (or the
// consent wait's next phase, which finds the request in review) does it. A request a dispute took
// back to review once goes to needs attention the second time instead, so the workflow's one loop
// stays bounded (statemachine_test.go).
func (h StripeWebhook) backToReview(ctx context.Context, req refund.RequestRecord, d refund.Dispute) (string, error) {
	entries, err := h.Store.ListAudit(ctx, req.ID)
	if err != nil {
		return "", err
	}
	again := false
	for _, e := range entries {
		again = again || e.Action == actionDisputeReview
	}
	to, outcome := refund.StatusInReview, OutcomeReview
	action := "Request " + req.ID + " was waiting for the client's answer to its offers: it is back in staff review, and its offers were withdrawn until you decide (approve, adjust or reject it in the staff console)."
	if again {
		to, outcome = refund.StatusNeedsAttention, OutcomeNeedsAttention
		action = "Request " + req.ID + " was waiting for the client's answer to its offers, after an earlier dispute had taken it back to review: it needs attention now."
	}
	detail := fmt.Sprintf("dispute %s opened at the payment provider (%s, %s): the offers are withdrawn", d.ID, d.Amount, d.Reason)
	opts := []refund.ChangeOption{refund.WithResume(outcome)}
	if !again {
		offers, set, err := h.Store.ListOffers(ctx, req.ID)
		if err != nil {
			return "", err
		}
		opts = append(opts, refund.WithOffers(set+1, offersForSet(offers, set+1)))
		detail += " and re-issued for staff review"
	}
	err = h.Store.Transition(ctx, req.ID, refund.StatusAwaitingConsent, to, req.Version,
		refund.AuditEntry{Actor: system(fnStripeWebhook), Action: actionDisputeReview, Detail: detail}, opts...)
	if err != nil {
		return "", fmt.Errorf("take request %s back to review: %w", req.ID, err)
	}
	tok, err := h.Store.GetTaskToken(ctx, req.ID)
	if err != nil {
		logger(h.Logger).WarnContext(ctx, "read the task token after a dispute; the sweeper delivers it", "requestId", req.ID, "error", err.Error())
		return action, nil
	}
	if _, err := deliverDecision(ctx, h.Store, h.Waits, h.Logger, req.ID, outcome, tok, false); err != nil {
		logger(h.Logger).WarnContext(ctx, "send the review outcome; the sweeper delivers it", "requestId", req.ID, "error", err.Error())
	}
	return action, nil
}
