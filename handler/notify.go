package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"refundflow/dynamo"
	"refundflow/mail"
	"refundflow/refund"
)

// Mailer sends one rendered email and returns the provider's message id. *sesmail.Sender satisfies it.
type Mailer interface {
	Send(ctx context.Context, msg mail.Message) (string, error)
}

// Emails renders and sends the workflow's emails, each once per request and event: the mail marker
// is claimed with a conditional write (dynamo.Store.ClaimMail), the email sent, then the marker
// marked sent. Two runs of one step at the same instant (Step Functions retrying an invocation that
// still runs) send one email: the second waits a moment for the first and, while the first still
// holds the claim, fails with MailInProgress, which the state machine retries. A run that dies
// between sending and marking makes the email go out again once its claim expires (at least once,
// never silently lost).
type Emails struct {
	// Store holds the mail markers.
	Store *dynamo.Store
	// Renderer writes the texts and builds the links.
	Renderer *mail.Renderer
	// Sender sends them.
	Sender Mailer
	// Wait is how long a run waits for another run's claim to end before it fails with
	// MailInProgress; DefaultMailWait when zero.
	Wait time.Duration
}

// MailLease is how long a claim on a mail marker holds: longer than any function that sends email
// can run (template.yaml's timeouts are at most 30 s), so two live runs never both hold one.
const MailLease = 60 * time.Second

// DefaultMailWait is how long a run waits for another run that is sending the same email: enough
// for the usual case (the other run sends within milliseconds), short against the function's
// timeout.
const DefaultMailWait = 2 * time.Second

// MailInProgress is the error of a run that found another run sending the same email. Its name is
// the Lambda error type the state machine retries ("MailInProgress"): by then the other run has
// sent (the retry finds the marker sent) or died (its claim expires and the retry sends).
type MailInProgress struct {
	RequestID, Event string
}

func (e *MailInProgress) Error() string {
	return fmt.Sprintf("another run is sending the %s email of request %s; retry later", e.Event, e.RequestID)
}

// once sends the email kind for request id unless the marker event says it went out already. data is
// called only when the email is due, so link codes are minted only for emails that are sent. It
// reports whether an email was sent now.
func (e Emails) once(ctx context.Context, id, event string, kind mail.Kind, data func() (mail.Data, error)) (bool, error) {
	if e.Renderer == nil || e.Sender == nil {
		return false, fmt.Errorf("send %s email for request %s: no renderer or sender configured", kind, id)
	}
	claimID, err := NewCode()
	if err != nil {
		return false, err
	}
	claim, err := e.claim(ctx, id, event, claimID)
	if err != nil || claim == dynamo.MailAlreadySent {
		return false, err
	}
	if err := e.send(ctx, kind, data); err != nil {
		// Let the step's retry claim it at once; a failed release only makes it wait the lease.
		if rerr := e.Store.ReleaseMail(context.WithoutCancel(ctx), id, event, claimID); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return false, err
	}
	if err := e.Store.MarkMailSent(ctx, id, event); err != nil {
		return true, err
	}
	return true, nil
}

// claim claims the marker for this run (claimID), waiting up to Wait for another run that holds it.
// The answer is MailClaimed or MailAlreadySent; a claim still held by another run is a
// *MailInProgress error.
func (e Emails) claim(ctx context.Context, id, event, claimID string) (dynamo.MailClaim, error) {
	wait := e.Wait
	if wait <= 0 {
		wait = DefaultMailWait
	}
	deadline := time.Now().Add(wait)
	pause := 20 * time.Millisecond
	for {
		c, err := e.Store.ClaimMail(ctx, id, event, claimID, MailLease)
		if err != nil || c != dynamo.MailInProgress {
			return c, err
		}
		if time.Now().Add(pause).After(deadline) {
			return 0, &MailInProgress{RequestID: id, Event: event}
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, 500*time.Millisecond)
	}
}

// lambdaError is what a task returns to Lambda for err: a *MailInProgress inside it unwrapped, since
// Lambda names an error by its outermost type and the state machine retries "MailInProgress" by
// name; any other error as it is.
func lambdaError(err error) error {
	var busy *MailInProgress
	if errors.As(err, &busy) {
		return busy
	}
	return err
}

// send renders and sends one email.
func (e Emails) send(ctx context.Context, kind mail.Kind, data func() (mail.Data, error)) error {
	d, err := data()
	if err != nil {
		return err
	}
	msg, err := e.Renderer.Render(kind, d)
	if err != nil {
		return err
	}
	_, err = e.Sender.Send(ctx, msg)
	return err
}

// newLinkCode mints a random link code for an email, stores its hash for the request and purpose
// with the given expiry (zero: none), and returns the code for the link.
func newLinkCode(ctx context.Context, store *dynamo.Store, id string, purpose dynamo.LinkPurpose, created, expires time.Time) (string, error) {
	code, err := NewCode()
	if err != nil {
		return "", err
	}
	err = store.PutLinkCode(ctx, dynamo.LinkCode{Hash: dynamo.HashCode(code), RequestID: id, Purpose: purpose, CreatedAt: created, ExpiresAt: expires})
	if err != nil {
		return "", fmt.Errorf("store %s link code of request %s: %w", purpose, id, err)
	}
	return code, nil
}

// clientData fills the fields every client email about a request shares. The recipient is the email
// on the order record, never the address typed in the form.
func clientData(req dynamo.RequestRecord, order refund.Order) mail.Data {
	return mail.Data{
		To:           order.Email,
		CustomerName: order.CustomerName,
		OrderNumber:  order.Number,
		RequestID:    req.ID,
		RequestKind:  req.Kind,
		Service:      order.Service.Type,
	}
}

// orderConfirmed reports whether verification matched the submission to the order (number, purchase
// date and email together). Only then may the workflow write to the order's email: otherwise the
// form could make us email anyone's order.
func orderConfirmed(req dynamo.RequestRecord) bool {
	if req.Verification == nil {
		return false
	}
	for _, f := range req.Verification.Findings {
		if f.Code == refund.FindingOrderMatched && f.Passed {
			return true
		}
	}
	return false
}

// Notify sends the workflow's notifications (statemachine/refund.asl.json NotifyReceived and
// NotifyOutcome).
//
// Event "received": the confirmation with a fresh status link, to the order's email, when a verified
// request goes to staff review (on the automatic path the offers email is the first the client gets,
// seconds after the form, so a separate confirmation would only add cost). Event "outcome": the email for the request's current status, also with a fresh
// status link, so the client can follow the link to the whole timeline (completed with
// the amount and card or the credit, plus a feedback invitation with a fresh feedback link; declined,
// also to staff with the client's reason; withdrawn; expired; rejected with the findings;
// review_rejected with the staff's message; needs_attention, also to staff with the error's name).
// Client emails go only to the order's email on record and only when verification matched the
// request to that order. Each email is sent once per request and event (mail markers).
//
// Outcome: the status the email was about (or the event), or "skipped" when nothing was due.
type Notify struct {
	// Store is the table.
	Store *dynamo.Store
	// Emails renders and sends.
	Emails Emails
	// Policy supplies the refund timing sentence; the zero value means refund.DefaultPolicy().
	Policy refund.Policy
	// Clock stamps link codes; nil means the wall clock.
	Clock Clock
	// StatusLinkTTL is how long the emailed status link works; DefaultStatusLinkTTL when zero.
	StatusLinkTTL time.Duration
	// FeedbackLinkTTL is how long the feedback link works; DefaultFeedbackLinkTTL when zero.
	FeedbackLinkTTL time.Duration
	// Logger receives one line per invocation; nil discards.
	Logger *slog.Logger
}

// DefaultFeedbackLinkTTL is how long a feedback invitation stays open.
const DefaultFeedbackLinkTTL = 60 * 24 * time.Hour

const fnNotify = "Notify"

// Handle runs the step for in.RequestID and in.Event.
func (h *Notify) Handle(ctx context.Context, in TaskInput) (TaskOutput, error) {
	log := taskLogger(ctx, h.Logger, fnNotify, in)
	var out TaskOutput
	var err error
	switch in.Event {
	case EventReceived:
		out, err = h.received(ctx, in.RequestID)
	case EventOutcome:
		out, err = h.outcome(ctx, in.RequestID)
	default:
		err = fmt.Errorf("notify request %s: unknown event %q", in.RequestID, in.Event)
	}
	if err != nil {
		log.ErrorContext(ctx, "notification failed", "event", in.Event, "error", err.Error())
		return TaskOutput{}, lambdaError(err)
	}
	log.InfoContext(ctx, "notification done", "event", in.Event, "outcome", out.Outcome)
	return out, nil
}

func (h *Notify) received(ctx context.Context, id string) (TaskOutput, error) {
	req, err := h.Store.GetRequest(ctx, id)
	if err != nil {
		return TaskOutput{}, fmt.Errorf("notify request %s received: %w", id, err)
	}
	if req.Verification == nil || !req.Verification.OK {
		return TaskOutput{Outcome: OutcomeSkipped}, nil
	}
	order, err := h.Store.GetOrder(ctx, req.OrderNumber)
	if err != nil {
		return TaskOutput{}, fmt.Errorf("notify request %s received: %w", id, err)
	}
	sent, err := h.Emails.once(ctx, id, EventReceived, mail.KindReceived, func() (mail.Data, error) {
		code, err := h.statusCode(ctx, id)
		if err != nil {
			return mail.Data{}, err
		}
		d := clientData(req, order)
		d.StatusCode = code
		return d, nil
	})
	if err != nil {
		return TaskOutput{}, fmt.Errorf("notify request %s received: %w", id, err)
	}
	if !sent {
		return TaskOutput{Outcome: OutcomeSkipped}, nil
	}
	return TaskOutput{Outcome: EventReceived}, nil
}

// statusCode mints a status link code for an email about request id; only its hash is stored.
func (h *Notify) statusCode(ctx context.Context, id string) (string, error) {
	now := h.Clock.now()
	return newLinkCode(ctx, h.Store, id, dynamo.LinkStatus, now, now.Add(ttlOr(h.StatusLinkTTL, DefaultStatusLinkTTL)))
}

func ttlOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (h *Notify) outcome(ctx context.Context, id string) (TaskOutput, error) {
	req, err := h.Store.GetRequest(ctx, id)
	if err != nil {
		return TaskOutput{}, fmt.Errorf("notify outcome of request %s: %w", id, err)
	}
	kind, ok := mail.OutcomeKind(req.Status)
	if !ok {
		// The workflow only notifies final or needs-attention requests; anything else is left alone.
		return TaskOutput{Outcome: OutcomeSkipped}, nil
	}
	order, err := h.Store.GetOrder(ctx, req.OrderNumber)
	if err != nil && !isCode(err, refund.CodeNotFound) {
		return TaskOutput{}, fmt.Errorf("notify outcome of request %s: %w", id, err)
	}
	haveOrder := err == nil

	// Staff first: their notifications do not depend on the client's address.
	switch req.Status {
	case refund.StatusDeclined:
		if _, err := h.Emails.once(ctx, id, "staff:"+string(req.Status), mail.KindStaffDeclined, func() (mail.Data, error) {
			d := mail.Data{OrderNumber: req.OrderNumber, RequestID: id}
			if c, err := h.Store.GetConsent(ctx, id); err == nil {
				d.DeclineReason = c.DeclineReason
			} else if !isCode(err, refund.CodeNotFound) {
				return mail.Data{}, err
			}
			return d, nil
		}); err != nil {
			return TaskOutput{}, fmt.Errorf("tell staff request %s was declined: %w", id, err)
		}
	case refund.StatusNeedsAttention:
		if _, err := h.Emails.once(ctx, id, "staff:"+string(req.Status), mail.KindStaffNeedsAttention, func() (mail.Data, error) {
			name, err := h.attentionError(ctx, id)
			if err != nil {
				return mail.Data{}, err
			}
			return mail.Data{OrderNumber: req.OrderNumber, RequestID: id, ErrorName: name}, nil
		}); err != nil {
			return TaskOutput{}, fmt.Errorf("tell staff request %s needs attention: %w", id, err)
		}
	}

	if !haveOrder || !orderConfirmed(req) {
		return TaskOutput{Outcome: string(req.Status)}, nil
	}
	_, err = h.Emails.once(ctx, id, "outcome:"+string(req.Status), kind, func() (mail.Data, error) {
		d := clientData(req, order)
		// A fresh status link, as in the received email, so the client can see the whole timeline
		// from the email that ends it (the received email may be long gone).
		code, err := h.statusCode(ctx, id)
		if err != nil {
			return mail.Data{}, err
		}
		d.StatusCode = code
		switch req.Status {
		case refund.StatusCompleted:
			return h.completedData(ctx, req, order, d)
		case refund.StatusRejected:
			d.Findings = req.Verification.Findings
		case refund.StatusReviewRejected:
			d.StaffMessage = strings.TrimSpace(req.ReviewMessage)
			if d.StaffMessage == "" {
				d.StaffMessage = "After reviewing your request and your order, we cannot offer a refund or an alternative under our refund policy."
			}
		}
		return d, nil
	})
	if err != nil {
		return TaskOutput{}, fmt.Errorf("notify outcome of request %s: %w", id, err)
	}
	return TaskOutput{Outcome: string(req.Status)}, nil
}

// completedData adds what the completed email says: the offer carried out, the card and refund
// reference for refunds, and a fresh feedback link.
func (h *Notify) completedData(ctx context.Context, req dynamo.RequestRecord, order refund.Order, d mail.Data) (mail.Data, error) {
	c, err := h.Store.GetConsent(ctx, req.ID)
	if err != nil {
		return mail.Data{}, err
	}
	offer, err := h.Store.GetOffer(ctx, req.ID, c.OfferID)
	if err != nil {
		return mail.Data{}, err
	}
	d.Offer = &offer
	if offer.IsRefund() {
		d.CardHint = order.Payment.CardHint
		d.RefundTiming = policyOrDefault(h.Policy).RefundTiming
		if r, err := h.Store.GetRefund(ctx, order.Number, req.ID, refundAttempt); err == nil {
			d.RefundReference = r.ProviderRefundID
		} else if !isCode(err, refund.CodeNotFound) {
			return mail.Data{}, err
		}
	}
	now := h.Clock.now()
	code, err := newLinkCode(ctx, h.Store, req.ID, dynamo.LinkFeedback, now, now.Add(ttlOr(h.FeedbackLinkTTL, DefaultFeedbackLinkTTL)))
	if err != nil {
		return mail.Data{}, err
	}
	d.FeedbackCode = code
	return d, nil
}

// attentionError finds the error name MarkNeedsAttention recorded in the audit trail.
func (h *Notify) attentionError(ctx context.Context, id string) (string, error) {
	entries, err := h.Store.ListAudit(ctx, id)
	if err != nil {
		return "", err
	}
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.To == refund.StatusNeedsAttention {
			return strings.TrimPrefix(e.Detail, attentionDetailPrefix), nil
		}
	}
	return "", nil
}
