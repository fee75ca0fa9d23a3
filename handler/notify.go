package handler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"refundflow/mail"
	"refundflow/refund"
)

// Notify sends the workflow's notifications (statemachine/refund.asl.json NotifyReceived and
// NotifyOutcome).
//
// Event "received": the confirmation with a fresh status link, to the order's email, when a verified
// request goes to staff review (on the automatic path the offers email is the first the client gets,
// seconds after the form, so a separate confirmation would only add cost). Event "outcome": the email for the request's current status, also with a fresh
// status link, so the client can follow the link to the whole timeline (completed with
// the amount and card or the credit, plus a feedback invitation with a fresh feedback link; declined,
// also to staff with the client's reason; withdrawn; expired; rejected with the findings;
// review_rejected and closed with the staff's message; needs_attention, also to staff with the error's
// name, or, when the request's refund failed at the provider after it was accepted, the refund-failed
// emails to the client and staff instead; completed after a settlement outside the provider with its
// amount, method and reference). A refund the provider still has pending is told as sent and being
// processed; a completed email is never sent once the refund failed.
// Client emails go only to the order's email on record and only when verification matched the
// request to that order. Each email is sent once per request and event (mail markers).
//
// Outcome: the status the email was about (or the event), or "skipped" when nothing was due.
type Notify struct {
	// Store reads the request, its order, consent, offer, refund and audit trail, and stores links.
	Store NotifyStore
	// Emails renders and sends.
	Emails Emails
	// Policy supplies the refund timing sentence; the zero value means refund.DefaultPolicy().
	Policy refund.Policy
	// Clock stamps link codes; nil means the wall clock.
	Clock Clock
	// AgreementPDF makes the signed agreement's PDF, attached to the completed email of an accepted
	// offer; nil attaches nothing.
	AgreementPDF AgreementPDF
	// Company is the company the PDF names; it must be the one the consent page had (web.CurrentCompany
	// there), so the attached PDF is the one whose fingerprint was recorded at consent.
	Company refund.Company
	// StatusLinkTTL is how long the emailed status link works; DefaultStatusLinkTTL when zero.
	StatusLinkTTL time.Duration
	// FeedbackLinkTTL is how long the feedback link works; DefaultFeedbackLinkTTL when zero.
	FeedbackLinkTTL time.Duration
	// Logger receives one line per invocation; nil discards.
	Logger *slog.Logger
}

// NotifyStore is the table as Notify uses it.
type NotifyStore interface {
	RequestGetter
	OrderGetter
	ConsentGetter
	OfferGetter
	RefundGetter
	AuditLister
	LinkPutter
}

// DefaultFeedbackLinkTTL is how long a feedback invitation stays open.
const DefaultFeedbackLinkTTL = 60 * 24 * time.Hour

const fnNotify = "Notify"

// Handle runs the step for in.RequestID and in.Event.
func (h Notify) Handle(ctx context.Context, in TaskInput) (TaskOutput, error) {
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

func (h Notify) received(ctx context.Context, id string) (TaskOutput, error) {
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
func (h Notify) statusCode(ctx context.Context, id string) (string, error) {
	now := h.Clock.now()
	return newLinkCode(ctx, h.Store, id, refund.LinkStatus, now, now.Add(ttlOr(h.StatusLinkTTL, DefaultStatusLinkTTL)))
}

func ttlOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (h Notify) outcome(ctx context.Context, id string) (TaskOutput, error) {
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
	if err != nil && refund.ErrorCode(err) != refund.CodeNotFound {
		return TaskOutput{}, fmt.Errorf("notify outcome of request %s: %w", id, err)
	}
	haveOrder := err == nil

	// A refund that failed at the provider after it was accepted: staff and the client hear exactly
	// that (the same emails StripeWebhook sends when the provider's event comes first), not the
	// general needs-attention texts.
	if req.Status == refund.StatusNeedsAttention && haveOrder {
		rec, failed, err := latestFailedRefund(ctx, h.Store, order.Number, id, req.Attempt())
		if err != nil {
			return TaskOutput{}, fmt.Errorf("notify outcome of request %s: %w", id, err)
		}
		if failed {
			if err := h.Emails.refundFailedEmails(ctx, h.Store, h.Clock, req, order, rec); err != nil {
				return TaskOutput{}, err
			}
			return TaskOutput{Outcome: string(req.Status)}, nil
		}
	}

	// Staff first: their notifications do not depend on the client's address.
	switch req.Status {
	case refund.StatusDeclined:
		if _, err := h.Emails.once(ctx, id, "staff:"+string(req.Status), mail.KindStaffDeclined, func() (mail.Data, error) {
			d := mail.Data{OrderNumber: req.OrderNumber, RequestID: id}
			if c, err := h.Store.GetConsent(ctx, id); err == nil {
				d.DeclineReason = c.DeclineReason
			} else if refund.ErrorCode(err) != refund.CodeNotFound {
				return mail.Data{}, err
			}
			return d, nil
		}); err != nil {
			return TaskOutput{}, fmt.Errorf("tell staff request %s was declined: %w", id, err)
		}
	case refund.StatusNeedsAttention:
		// Once per time the request came to needs attention (a staff retry can bring it back), named
		// by the version it came with, so a retried step still sends it once.
		event := "staff:" + string(req.Status)
		if req.StatusVersion > 0 {
			event += fmt.Sprintf(":%d", req.StatusVersion)
		}
		if _, err := h.Emails.once(ctx, id, event, mail.KindStaffNeedsAttention, func() (mail.Data, error) {
			name, err := h.attentionError(ctx, id)
			if err != nil {
				return mail.Data{}, err
			}
			return mail.Data{OrderNumber: req.OrderNumber, RequestID: id, ErrorName: name}, nil
		}); err != nil {
			return TaskOutput{}, fmt.Errorf("tell staff request %s needs attention: %w", id, err)
		}
	}

	if !haveOrder || !req.OrderConfirmed() {
		return TaskOutput{Outcome: string(req.Status)}, nil
	}
	_, err = h.Emails.once(ctx, id, outcomeEvent(req), kind, func() (mail.Data, error) {
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
		case refund.StatusClosed:
			d.StaffMessage = strings.TrimSpace(req.ReviewMessage)
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
func (h Notify) completedData(ctx context.Context, req refund.RequestRecord, order refund.Order, d mail.Data) (mail.Data, error) {
	// A request settled outside the provider names its settlement as its refund attempt.
	if req.RefundAttempt > 0 {
		r, err := h.Store.GetRefund(ctx, order.Number, req.ID, req.Attempt())
		switch {
		case err == nil && r.SettledOutside:
			d.Settled = &r
			return h.feedbackData(ctx, req, d)
		case err != nil && refund.ErrorCode(err) != refund.CodeNotFound:
			return mail.Data{}, err
		}
	}
	c, err := h.Store.GetConsent(ctx, req.ID)
	if err != nil {
		return mail.Data{}, err
	}
	offer, err := h.Store.GetOffer(ctx, req.ID, c.OfferID)
	if err != nil {
		return mail.Data{}, err
	}
	d.Offer = &offer
	if d.Attachments, err = h.agreementAttachment(ctx, req, c); err != nil {
		return mail.Data{}, err
	}
	if offer.IsRefund() {
		d.CardHint = order.Payment.CardHint
		d.RefundTiming = policyOrDefault(h.Policy).RefundTiming
		if r, err := h.Store.GetRefund(ctx, order.Number, req.ID, req.Attempt()); err == nil {
			if r.State == refund.RefundFailed {
				// It failed at the provider since the request completed: the client hears that
				// instead (StripeWebhook), never that it was done.
				return mail.Data{}, errNotDue
			}
			d.RefundReference = r.ProviderRefundID
			d.RefundPending = r.ProviderStatus == refund.ProviderRefundPending
		} else if refund.ErrorCode(err) != refund.CodeNotFound {
			return mail.Data{}, err
		}
	}
	return h.feedbackData(ctx, req, d)
}

// agreementAttachment makes the signed agreement's PDF to attach to the completed email, made again from
// the stored consent like the downloads. A PDF maker that cannot be reached (ErrAgreementUnavailable)
// is an error, so the step is retried rather than the email sent without the agreement. A PDF that
// cannot be made, or whose SHA-256 is not the one recorded at consent (the company's details changed
// since), is logged; the email goes without it in the first case and with it in the second (the
// client can still download and verify it).
func (h Notify) agreementAttachment(ctx context.Context, req refund.RequestRecord, c refund.Consent) ([]mail.Attachment, error) {
	if h.AgreementPDF == nil || c.Decision != refund.DecisionAccept {
		return nil, nil
	}
	data, name, err := h.AgreementPDF(ctx, h.Company, c, req.OrderNumber, req.PolicyVersion)
	if errors.Is(err, ErrAgreementUnavailable) {
		return nil, err
	}
	if err != nil {
		logger(h.Logger).ErrorContext(ctx, "make the signed agreement PDF for the completed email; sent without it", "requestId", req.ID, "error", err.Error())
		return nil, nil
	}
	if sum := sha256.Sum256(data); c.PDFHash != "" && hex.EncodeToString(sum[:]) != c.PDFHash {
		logger(h.Logger).WarnContext(ctx, "the signed agreement PDF differs from the one fingerprinted at consent", "requestId", req.ID)
	}
	return []mail.Attachment{{FileName: name, ContentType: "application/pdf", Data: data}}, nil
}

// feedbackData adds a fresh feedback link to a completed email.
func (h Notify) feedbackData(ctx context.Context, req refund.RequestRecord, d mail.Data) (mail.Data, error) {
	now := h.Clock.now()
	code, err := newLinkCode(ctx, h.Store, req.ID, refund.LinkFeedback, now, now.Add(ttlOr(h.FeedbackLinkTTL, DefaultFeedbackLinkTTL)))
	if err != nil {
		return mail.Data{}, err
	}
	d.FeedbackCode = code
	return d, nil
}

// attentionError finds the error name MarkNeedsAttention recorded in the audit trail.
func (h Notify) attentionError(ctx context.Context, id string) (string, error) {
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
