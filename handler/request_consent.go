package handler

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"refundflow/mail"
	"refundflow/refund"
)

// How long the client has to answer. The state machine waits ConsentReminderAfter for an answer
// (RequestConsent's TimeoutSeconds), sends a reminder and waits as long again (RemindConsent's), then
// expires the offers; keep these in step with statemachine/refund.asl.json.
const (
	// ConsentPeriod is the time from the offers email to the expiry of the offers.
	ConsentPeriod = 14 * 24 * time.Hour
	// ConsentReminderAfter is when the reminder goes out.
	ConsentReminderAfter = 7 * 24 * time.Hour
	// ConsentLinkGrace keeps consent links working a little past ConsentPeriod, so a link never dies
	// before the workflow has expired the offers; after expiry the page says so.
	ConsentLinkGrace = 24 * time.Hour
)

// RequestConsent sends the offers to the client and parks the workflow until the client decides. One
// function serves three states of the state machine, told apart by in.Phase:
//
//   - "offer" (.waitForTaskToken): moves the request to awaiting_consent (from submitted, or from
//     in_review after staff approval), stores the task token, mints a consent link code (only its
//     hash is stored, valid for ConsentPeriod plus ConsentLinkGrace) and emails the offers with the
//     link to the email on the order record, never the address typed in the form.
//   - "remind" (.waitForTaskToken, after ConsentReminderAfter without an answer): stores the new task
//     token and emails a reminder with a fresh link code; the first link keeps working.
//   - "expire" (plain invoke, after another wait): moves the request from awaiting_consent to
//     expired.
//
// Storing a token is conditional on the request still awaiting consent, so a late step never parks a
// decided request. When a decision (or a withdrawal) was recorded but could not complete the token it
// read (it timed out, or the network failed), the next phase finds the recorded status and completes
// its own token with that outcome (offer and remind), or returns it (expire). Outcomes: "accepted",
// "declined", "withdrawn", "expired", and "review" for a request that a dispute at the payment
// provider took back to staff review while it waited (StripeWebhook).
type RequestConsent struct {
	// Store reads the request, its order and offers, moves it, parks the token and stores links.
	Store RequestConsentStore
	// Waits completes the wait itself when a decision was already recorded.
	Waits WaitCompleter
	// Emails renders and sends the offers and reminder emails.
	Emails Emails
	// Clock stamps link codes; nil means the wall clock.
	Clock Clock
	// Logger receives one line per invocation; nil discards.
	Logger *slog.Logger
}

// RequestConsentStore is the table as RequestConsent uses it (MailMarkers through Emails).
type RequestConsentStore interface {
	RequestGetter
	OrderGetter
	OfferLister
	Transitioner
	TokenSetter
	LinkPutter
}

const fnRequestConsent = "RequestConsent"

// Handle runs the phase in.Phase for in.RequestID.
func (h RequestConsent) Handle(ctx context.Context, in TaskInput) (TaskOutput, error) {
	log := taskLogger(ctx, h.Logger, fnRequestConsent, in)
	var out TaskOutput
	var err error
	switch in.Phase {
	case PhaseOffer, PhaseRemind:
		out, err = h.wait(ctx, in)
	case PhaseExpire:
		out, err = h.expire(ctx, in.RequestID)
	default:
		err = fmt.Errorf("request consent for %s: unknown phase %q", in.RequestID, in.Phase)
	}
	if err != nil {
		log.ErrorContext(ctx, "consent step failed", "phase", in.Phase, "error", err.Error())
		return TaskOutput{}, lambdaError(err)
	}
	log.InfoContext(ctx, "consent step done", "phase", in.Phase, "outcome", out.Outcome)
	return out, nil
}

// wait runs the offer and remind phases.
func (h RequestConsent) wait(ctx context.Context, in TaskInput) (TaskOutput, error) {
	if in.TaskToken == "" {
		return TaskOutput{}, fmt.Errorf("request consent for %s: no task token in the input", in.RequestID)
	}
	var req refund.RequestRecord
	for attempt := 1; ; attempt++ {
		var err error
		req, err = h.Store.GetRequest(ctx, in.RequestID)
		if err != nil {
			return TaskOutput{}, fmt.Errorf("request consent for %s: %w", in.RequestID, err)
		}
		if req.Status == refund.StatusAwaitingConsent {
			break
		}
		if in.Phase == PhaseRemind || !(req.Status == refund.StatusSubmitted || approvedInReview(req)) {
			// Decided meanwhile, or back in review without a staff decision (a dispute opened while
			// an earlier attempt of this wait had parked): that wait's outcome is the status's.
			return h.decided(ctx, req, in.TaskToken)
		}
		offers, _, err := h.Store.ListOffers(ctx, req.ID)
		if err != nil {
			return TaskOutput{}, fmt.Errorf("request consent for %s: %w", req.ID, err)
		}
		if len(offers) == 0 {
			return TaskOutput{}, fmt.Errorf("request consent for %s: there are no offers to send", req.ID)
		}
		err = h.Store.Transition(ctx, req.ID, req.Status, refund.StatusAwaitingConsent, req.Version,
			refund.AuditEntry{Actor: system(fnRequestConsent), Detail: count(len(offers), "offer", "offers") + " sent"},
			refund.WithPolicyVersion(offers[0].PolicyVersion))
		if err != nil && !(refund.ErrorCode(err) == refund.CodeConflict && attempt < maxConflictRetries) {
			return TaskOutput{}, fmt.Errorf("request consent for %s: %w", req.ID, err)
		}
		// Read it again: moved now, or by someone else meanwhile.
	}

	err := h.Store.SetTaskToken(ctx, req.ID, refund.TokenConsent, in.TaskToken, refund.StatusAwaitingConsent)
	if refund.ErrorCode(err) == refund.CodeConflict {
		cur, gerr := h.Store.GetRequest(ctx, req.ID)
		if gerr != nil {
			return TaskOutput{}, fmt.Errorf("request consent for %s: %w", req.ID, gerr)
		}
		return h.decided(ctx, cur, in.TaskToken)
	}
	if err != nil {
		return TaskOutput{}, fmt.Errorf("request consent for %s: %w", req.ID, err)
	}

	kind, event := mail.KindOffers, "offers:"
	if in.Phase == PhaseRemind {
		kind, event = mail.KindReminder, "reminder:"
	}
	event += strconv.Itoa(req.OfferSet)
	expires := consentDeadline(req)
	_, err = h.Emails.once(ctx, req.ID, event, kind, func() (mail.Data, error) {
		order, err := h.Store.GetOrder(ctx, req.OrderNumber)
		if err != nil {
			return mail.Data{}, err
		}
		offers, _, err := h.Store.ListOffers(ctx, req.ID)
		if err != nil {
			return mail.Data{}, err
		}
		now := h.Clock.now()
		code, err := newLinkCode(ctx, h.Store, req.ID, refund.LinkConsent, now, expires.Add(ConsentLinkGrace))
		if err != nil {
			return mail.Data{}, err
		}
		// A status link too: on the automatic path the offers email is the client's first email.
		status, err := newLinkCode(ctx, h.Store, req.ID, refund.LinkStatus, now, now.Add(DefaultStatusLinkTTL))
		if err != nil {
			return mail.Data{}, err
		}
		d := clientData(req, order)
		d.ConsentCode, d.ConsentExpires, d.Offers, d.StatusCode = code, expires, offers, status
		return d, nil
	})
	if err != nil {
		return TaskOutput{}, fmt.Errorf("send the %s email of request %s: %w", kind, req.ID, err)
	}
	return TaskOutput{Outcome: OutcomeWaiting}, nil
}

// consentDeadline is when the offers of a request awaiting consent expire: ConsentPeriod after the
// request became awaiting_consent. Only status changes move UpdatedAt, so while the request awaits
// consent UpdatedAt is that moment, whichever phase reads it. The offers and reminder emails and the
// consent page all show this time; the link itself works ConsentLinkGrace longer.
func consentDeadline(req refund.RequestRecord) time.Time { return req.UpdatedAt.Add(ConsentPeriod) }

// decided completes the wait's own token with the decision the request's status records.
func (h RequestConsent) decided(ctx context.Context, req refund.RequestRecord, token string) (TaskOutput, error) {
	outcome, ok := decidedOutcome(req.Status)
	if !ok {
		return TaskOutput{}, fmt.Errorf("request consent for %s: it is %s, not %s", req.ID, req.Status, refund.StatusAwaitingConsent)
	}
	if _, err := completeWait(ctx, h.Waits, token, outcome); err != nil {
		return TaskOutput{}, fmt.Errorf("complete the consent wait of request %s with %q: %w", req.ID, outcome, err)
	}
	return TaskOutput{Outcome: outcome}, nil
}

// expire ends the consent wait for good: awaiting_consent becomes expired, and a decision recorded
// at the last moment stands instead.
func (h RequestConsent) expire(ctx context.Context, id string) (TaskOutput, error) {
	for attempt := 1; ; attempt++ {
		req, err := h.Store.GetRequest(ctx, id)
		if err != nil {
			return TaskOutput{}, fmt.Errorf("expire the offers of request %s: %w", id, err)
		}
		if req.Status != refund.StatusAwaitingConsent {
			outcome, ok := decidedOutcome(req.Status)
			if !ok {
				return TaskOutput{}, fmt.Errorf("expire the offers of request %s: it is %s, not %s", id, req.Status, refund.StatusAwaitingConsent)
			}
			return TaskOutput{Outcome: outcome}, nil
		}
		err = h.Store.Transition(ctx, id, refund.StatusAwaitingConsent, refund.StatusExpired, req.Version,
			refund.AuditEntry{Actor: system(fnRequestConsent), Detail: "no answer within the consent period"})
		switch {
		case err == nil:
			return TaskOutput{Outcome: OutcomeExpired}, nil
		case refund.ErrorCode(err) == refund.CodeConflict && attempt < maxConflictRetries:
			continue
		default:
			return TaskOutput{}, fmt.Errorf("expire the offers of request %s: %w", id, err)
		}
	}
}
