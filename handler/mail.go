package handler

// Outgoing mail: every email a handler sends goes through Emails, once per request and event.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"refundflow/mail"
	"refundflow/refund"
)

// Mailer sends one rendered email and returns the provider's message id. *sesmail.Sender satisfies it.
type Mailer interface {
	Send(ctx context.Context, msg mail.Message) (string, error)
}

// Emails renders and sends the workflow's emails, each once per request and event: the mail marker
// is claimed with a conditional write (MailMarkers.ClaimMail), the email sent, then the marker
// marked sent. Two runs of one step at the same instant (Step Functions retrying an invocation that
// still runs) send one email: the second waits a moment for the first and, while the first still
// holds the claim, fails with MailInProgress, which the state machine retries. A run that dies
// between sending and marking makes the email go out again once its claim expires (at least once,
// never silently lost).
type Emails struct {
	// Store holds the mail markers.
	Store MailMarkers
	// Delivery writes each email and sends it: RenderAndSend in the functions that send their own,
	// SendMailFunction through Lambda's Invoke in StaffApi and StripeWebhook (see SendMail).
	Delivery MailDelivery
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

// Error says which email another run is sending.
func (e *MailInProgress) Error() string {
	return fmt.Sprintf("another run is sending the %s email of request %s; retry later", e.Event, e.RequestID)
}

// once sends the email kind for request id unless the marker event says it went out already. data is
// called only when the email is due, so link codes are minted only for emails that are sent. It
// reports whether an email was sent now.
func (e Emails) once(ctx context.Context, id, event string, kind mail.Kind, data func() (mail.Data, error)) (bool, error) {
	if e.Delivery == nil {
		return false, fmt.Errorf("send %s email for request %s: no mail delivery configured", kind, id)
	}
	claimID, err := NewCode()
	if err != nil {
		return false, err
	}
	claim, err := e.claim(ctx, id, event, claimID)
	if err != nil || claim == refund.MailAlreadySent {
		return false, err
	}
	subject, err := e.send(ctx, kind, data)
	if err != nil {
		if errors.Is(err, errNotDue) {
			// Never to go out for this event: marked as if sent, so no later run sends it.
			return false, e.Store.MarkMailSent(ctx, id, event, "", "")
		}
		// Let the step's retry claim it at once; a failed release only makes it wait the lease.
		if rerr := e.Store.ReleaseMail(context.WithoutCancel(ctx), id, event, claimID); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return false, err
	}
	// The kind and subject ride on the write that marks it sent, for the staff's case timeline.
	if err := e.Store.MarkMailSent(ctx, id, event, string(kind), subject); err != nil {
		return true, err
	}
	return true, nil
}

// errNotDue ends an email's data function when the email must not go out for its event at all (the
// completed email of a refund that failed meanwhile): once marks the event as if sent.
var errNotDue = errors.New("the email is not due")

// suppress makes sure the email of an event of request id never goes out from now on, as a refund
// that failed at the provider must never be reported to the client as done afterwards: it claims the
// event's marker and marks it sent without sending anything. sent reports that the email had gone out
// already (before the failure was known); a run sending it at this moment is a *MailInProgress, after
// Wait.
func (e Emails) suppress(ctx context.Context, id, event string) (sent bool, err error) {
	claimID, err := NewCode()
	if err != nil {
		return false, err
	}
	claim, err := e.claim(ctx, id, event, claimID)
	switch {
	case err != nil:
		return false, err
	case claim == refund.MailAlreadySent:
		return true, nil
	}
	return false, e.Store.MarkMailSent(ctx, id, event, "", "")
}

// Mail events of a refund that failed at the provider after it was accepted, per attempt: the same
// whether Notify (the workflow's needs-attention outcome) or StripeWebhook (the provider's event) gets
// there first, so each email goes out once.
func refundFailedEvent(n int) string      { return fmt.Sprintf("refund_failed:%d", n) }
func staffRefundFailedEvent(n int) string { return fmt.Sprintf("staff:refund_failed:%d", n) }

// outcomeEvent is the mail event of a request's outcome email (Notify). The completed email of a
// request completed by refund attempt n > 1 (a staff retry or a settlement outside the provider) has
// its own event, so it still goes out when attempt 1's was held back because that refund failed later
// (StripeWebhook suppresses outcomeCompletedEvent(n) of the failed attempt n).
func outcomeEvent(req refund.RequestRecord) string {
	if req.Status == refund.StatusCompleted {
		return outcomeCompletedEvent(req.Attempt())
	}
	return "outcome:" + string(req.Status)
}

// outcomeCompletedEvent is the mail event of the completed email of a request completed by refund
// attempt n (outcomeEvent).
func outcomeCompletedEvent(n int) string {
	if n <= 1 {
		return "outcome:" + string(refund.StatusCompleted)
	}
	return fmt.Sprintf("outcome:%s:%d", refund.StatusCompleted, n)
}

// latestFailedRefund returns the request's refund when it failed at the provider after the provider
// had accepted it (refund.RefundRecord.FailedLater); ok is false otherwise. The latest is the request's
// attempt n (refund.RequestRecord.Attempt: 1, or the one a staff retry recorded).
func latestFailedRefund(ctx context.Context, store RefundGetter, orderNumber, requestID string, n int) (refund.RefundRecord, bool, error) {
	rec, err := store.GetRefund(ctx, orderNumber, requestID, n)
	switch {
	case refund.ErrorCode(err) == refund.CodeNotFound:
		return refund.RefundRecord{}, false, nil
	case err != nil:
		return refund.RefundRecord{}, false, err
	}
	return rec, rec.FailedLater(), nil
}

// refundFailedEmails tells staff and the client that the request's refund rec failed at the provider
// after it was accepted, each once: staff with the provider's reason and what to do, the client
// plainly that the money did not go back yet, that it is still owed, and what happens next. The
// client's email goes to the order's email, with a fresh status link, and only when verification
// matched the request to the order.
func (e Emails) refundFailedEmails(ctx context.Context, links LinkPutter, clock Clock, req refund.RequestRecord, order refund.Order, rec refund.RefundRecord) error {
	if _, err := e.once(ctx, req.ID, staffRefundFailedEvent(rec.N), mail.KindStaffRefundFailed, func() (mail.Data, error) {
		return mail.Data{OrderNumber: order.Number, RequestID: req.ID, FailedRefund: &rec}, nil
	}); err != nil {
		return fmt.Errorf("tell staff the refund of request %s failed: %w", req.ID, err)
	}
	if !req.OrderConfirmed() {
		return nil
	}
	_, err := e.once(ctx, req.ID, refundFailedEvent(rec.N), mail.KindRefundFailed, func() (mail.Data, error) {
		now := clock.now()
		code, err := newLinkCode(ctx, links, req.ID, refund.LinkStatus, now, now.Add(DefaultStatusLinkTTL))
		if err != nil {
			return mail.Data{}, err
		}
		d := clientData(req, order)
		d.StatusCode, d.FailedRefund, d.CardHint = code, &rec, order.Payment.CardHint
		return d, nil
	})
	if err != nil {
		return fmt.Errorf("tell the client the refund of request %s failed: %w", req.ID, err)
	}
	return nil
}

// claim claims the marker for this run (claimID), waiting up to Wait for another run that holds it.
// The answer is MailClaimed or MailAlreadySent; a claim still held by another run is a
// *MailInProgress error.
func (e Emails) claim(ctx context.Context, id, event, claimID string) (refund.MailClaim, error) {
	wait := e.Wait
	if wait <= 0 {
		wait = DefaultMailWait
	}
	deadline := time.Now().Add(wait)
	pause := 20 * time.Millisecond
	for {
		c, err := e.Store.ClaimMail(ctx, id, event, claimID, MailLease)
		if err != nil || c != refund.MailInProgress {
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

// send renders and sends one email and returns its subject.
func (e Emails) send(ctx context.Context, kind mail.Kind, data func() (mail.Data, error)) (string, error) {
	d, err := data()
	if err != nil {
		return "", err
	}
	return e.Delivery.Deliver(ctx, kind, d)
}

// MailDelivery writes one email of kind from data and sends it, returning its subject.
type MailDelivery interface {
	Deliver(ctx context.Context, kind mail.Kind, data mail.Data) (subject string, err error)
}

// RenderAndSend is the MailDelivery of a function that sends its own email: Renderer writes the
// texts and builds the links, Sender sends them. A function that holds none links no template and no
// SES client (the templates' reflection keeps every exported method of the types a binary puts in
// interfaces, which is what put StaffApi and StripeWebhook over their 12 MB bootstrap target).
type RenderAndSend struct {
	Renderer *mail.Renderer
	Sender   Mailer
}

// Deliver renders and sends.
func (r RenderAndSend) Deliver(ctx context.Context, kind mail.Kind, data mail.Data) (string, error) {
	if r.Renderer == nil || r.Sender == nil {
		return "", fmt.Errorf("send %s email: no renderer or sender configured", kind)
	}
	msg, err := r.Renderer.Render(kind, data)
	if err != nil {
		return "", err
	}
	if _, err = r.Sender.Send(ctx, msg); err != nil {
		return "", err
	}
	return msg.Subject, nil
}

// newLinkCode mints a random link code for an email, stores its hash for the request and purpose
// with the given expiry (zero: none), and returns the code for the link.
func newLinkCode(ctx context.Context, store LinkPutter, id string, purpose refund.LinkPurpose, created, expires time.Time) (string, error) {
	code, err := NewCode()
	if err != nil {
		return "", err
	}
	err = store.PutLinkCode(ctx, refund.LinkCode{Hash: refund.HashCode(code), RequestID: id, Purpose: purpose, CreatedAt: created, ExpiresAt: expires})
	if err != nil {
		return "", fmt.Errorf("store %s link code of request %s: %w", purpose, id, err)
	}
	return code, nil
}

// clientData fills the fields every client email about a request shares. The recipient is the email
// on the order record, never the address typed in the form.
func clientData(req refund.RequestRecord, order refund.Order) mail.Data {
	return mail.Data{
		To:           order.Email,
		CustomerName: order.CustomerName,
		OrderNumber:  order.Number,
		RequestID:    req.ID,
		RequestKind:  req.Kind,
		Service:      order.Service.Type,
	}
}
