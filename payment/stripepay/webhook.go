package stripepay

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"

	"refundflow/payment"
	"refundflow/refund"
)

// Tolerance is how old a webhook's signature may be: Stripe's own default, five minutes. An older
// signature is refused as a replay (Stripe signs each delivery afresh, retries included).
const Tolerance = webhook.DefaultTolerance

// Webhook reads Stripe's webhook events (and the sandbox's, which are signed and shaped the same
// way) with the endpoint's signing secret.
type Webhook struct {
	// Secret is the endpoint's signing secret ("whsec_..."), from Secrets Manager.
	Secret string
	// Tolerance bounds the age of a signature; zero means Tolerance.
	Tolerance time.Duration
}

// Event verifies payload against its Stripe-Signature header with stripe-go's webhook package and
// reads it. A missing, wrong or too old signature, or a body that is not an event, is a
// *payment.BadEvent. The event's API version is not required to be stripe-go's: Refundflow reads only
// fields that every API version since 2019 has (ids, amounts, currency, status, metadata, the
// payment intent), so an endpoint created with another version still works; docs/deploy.md registers
// it with stripe-go's version all the same.
//
// What it reads, by type:
//   - refund.created, refund.updated, refund.failed, charge.refund.updated: the refund, with its
//     status (pending and requires_action read as pending);
//   - charge.refunded: the refunds the charge lists (API versions before 2022-11-15 list them;
//     later ones do not, and their refund.* events carry the same news);
//   - charge.dispute.created, .updated, .closed, .funds_withdrawn, .funds_reinstated: the dispute;
//   - any other type: nothing (Event.Ignored).
func (w Webhook) Event(payload []byte, signature string) (payment.Event, error) {
	tolerance := w.Tolerance
	if tolerance <= 0 {
		tolerance = Tolerance
	}
	ev, err := webhook.ConstructEventWithOptions(payload, signature, w.Secret, webhook.ConstructEventOptions{
		Tolerance: tolerance, IgnoreAPIVersionMismatch: true,
	})
	switch {
	case errors.Is(err, webhook.ErrNotSigned):
		return payment.Event{}, &payment.BadEvent{Reason: "not_signed", Err: err}
	case errors.Is(err, webhook.ErrTooOld):
		return payment.Event{}, &payment.BadEvent{Reason: "too_old", Err: err}
	case errors.Is(err, webhook.ErrInvalidHeader), errors.Is(err, webhook.ErrNoValidSignature):
		return payment.Event{}, &payment.BadEvent{Reason: "bad_signature", Err: err}
	case err != nil:
		return payment.Event{}, &payment.BadEvent{Reason: "unreadable", Err: err}
	case ev.ID == "" || ev.Type == "":
		return payment.Event{}, &payment.BadEvent{Reason: "unreadable", Err: errors.New("the event has no id or type")}
	}
	out := payment.Event{ID: ev.ID, Type: string(ev.Type), Created: time.Unix(ev.Created, 0).UTC(), Livemode: ev.Livemode}
	var raw json.RawMessage
	if ev.Data != nil {
		raw = ev.Data.Raw
	}
	switch ev.Type {
	case stripe.EventTypeRefundCreated, stripe.EventTypeRefundUpdated, stripe.EventTypeRefundFailed, stripe.EventTypeChargeRefundUpdated:
		var r refundObject
		if err := json.Unmarshal(raw, &r); err != nil {
			return payment.Event{}, unreadable(ev, err)
		}
		p, err := providerRefund(&r, "")
		if err != nil {
			return payment.Event{}, unreadable(ev, err)
		}
		out.Refunds = []refund.ProviderRefund{p}
	case stripe.EventTypeChargeRefunded:
		var c chargeObject
		if err := json.Unmarshal(raw, &c); err != nil {
			return payment.Event{}, unreadable(ev, err)
		}
		if c.Refunds != nil {
			for i := range c.Refunds.Data {
				p, err := providerRefund(&c.Refunds.Data[i], c.payment())
				if err != nil {
					return payment.Event{}, unreadable(ev, err)
				}
				out.Refunds = append(out.Refunds, p)
			}
		}
	case stripe.EventTypeChargeDisputeCreated, stripe.EventTypeChargeDisputeUpdated, stripe.EventTypeChargeDisputeClosed,
		stripe.EventTypeChargeDisputeFundsWithdrawn, stripe.EventTypeChargeDisputeFundsReinstated:
		var d disputeObject
		if err := json.Unmarshal(raw, &d); err != nil {
			return payment.Event{}, unreadable(ev, err)
		}
		dispute, err := providerDispute(&d, out.Created)
		if err != nil {
			return payment.Event{}, unreadable(ev, err)
		}
		out.Dispute = &dispute
	}
	return out, nil
}

// unreadable is the BadEvent of a signed event whose object cannot be read.
func unreadable(ev stripe.Event, err error) error {
	return &payment.BadEvent{Reason: "unreadable", Err: fmt.Errorf("event %s (%s): %w", ev.ID, ev.Type, err)}
}

// providerRefund reads a Stripe refund; ref is the payment when the refund itself does not name it
// (a refund listed in its charge).
func providerRefund(r *refundObject, ref string) (refund.ProviderRefund, error) {
	switch {
	case r.PaymentIntent != "":
		ref = string(r.PaymentIntent)
	case ref == "":
		ref = string(r.Charge)
	}
	var status refund.ProviderRefundStatus
	switch r.Status {
	case stripe.RefundStatusPending, stripe.RefundStatusRequiresAction:
		status = refund.ProviderRefundPending
	case stripe.RefundStatusSucceeded:
		status = refund.ProviderRefundSucceeded
	case stripe.RefundStatusFailed:
		status = refund.ProviderRefundFailed
	case stripe.RefundStatusCanceled:
		status = refund.ProviderRefundCanceled
	default:
		return refund.ProviderRefund{}, fmt.Errorf("refund %s has status %q, which this adapter does not know", r.ID, r.Status)
	}
	amount, err := fromStripe(r.Amount, r.Currency)
	if err != nil {
		return refund.ProviderRefund{}, fmt.Errorf("refund %s: %w", r.ID, err)
	}
	p := refund.ProviderRefund{
		ID: r.ID, PaymentReference: ref, Amount: amount, Status: status, FailureReason: r.FailureReason,
		IdempotencyKey: r.Metadata["idempotency_key"], Created: time.Unix(r.Created, 0).UTC(),
	}
	return p, p.Validate()
}

// providerDispute reads a Stripe dispute, reported by an event created at reported.
func providerDispute(d *disputeObject, reported time.Time) (refund.Dispute, error) {
	ref := string(d.PaymentIntent)
	if ref == "" && d.Charge != nil {
		ref = d.Charge.payment()
	}
	amount, err := fromStripe(d.Amount, d.Currency)
	if err != nil {
		return refund.Dispute{}, fmt.Errorf("dispute %s: %w", d.ID, err)
	}
	out := refund.Dispute{ID: d.ID, PaymentReference: ref, Amount: amount, Reason: d.Reason,
		Status: refund.DisputeStatus(d.Status), ReportedAt: reported}
	return out, out.Validate()
}

// fromStripe converts an amount in Stripe's unit of a (lower-case) currency to the domain's.
func fromStripe(amount int64, currency string) (refund.Money, error) {
	cur := strings.ToUpper(currency)
	if !refund.ValidCurrency(cur) {
		return refund.Money{}, fmt.Errorf("currency %q is not an ISO 4217 code", currency)
	}
	return payment.UnitFor(Provider, cur).FromProvider(amount)
}
