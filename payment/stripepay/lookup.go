package stripepay

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/stripe/stripe-go/v85"

	"refundflow/payment"
	"refundflow/refund"
)

// LookupPayment reads the PaymentIntent ref with its latest charge expanded and reports what the
// order route checks (payment.Gateway):
//
//   - Captured: the PaymentIntent succeeded and its latest charge succeeded and is captured;
//   - Amount: the charge's amount_captured (the PaymentIntent's amount while nothing is captured) in
//     the charge's currency, converted from Stripe's unit (payment.UnitFor);
//   - Refunded: the charge's amount_refunded, converted the same way;
//   - ThreeDSecure: payment_method_details.card.three_d_secure.result is "authenticated" (an
//     exemption, "attempt_acknowledged" or no 3-D Secure at all is not);
//   - CardLast4: payment_method_details.card.last4.
//
// A PaymentIntent Stripe does not know (resource_missing) is payment.ErrPaymentNotFound; what
// mapError calls unavailable stays a *payment.PaymentUnavailable; every other failure (a refused key,
// say) is an error naming Stripe's code, for the operator.
func (g *Gateway) LookupPayment(ctx context.Context, ref string) (refund.PaymentFacts, error) {
	if ref == "" || len(ref) > payment.MaxKeyLen || strings.ContainsAny(ref, "/?#% \t\r\n") {
		// Never put a malformed reference into a URL path: it cannot name a PaymentIntent.
		return refund.PaymentFacts{}, fmt.Errorf("stripe payment intent %q: %w", ref, payment.ErrPaymentNotFound)
	}
	params := &stripe.PaymentIntentRetrieveParams{}
	params.AddExpand("latest_charge")
	pi, err := g.client.retrievePaymentIntent(ctx, ref, params)
	if err != nil {
		return refund.PaymentFacts{}, mapLookupError(ref, err)
	}
	return paymentFacts(pi)
}

// paymentFacts reads the facts of a PaymentIntent whose latest charge is expanded.
func paymentFacts(pi *stripe.PaymentIntent) (refund.PaymentFacts, error) {
	f := refund.PaymentFacts{Provider: Provider, Reference: pi.ID}
	currency := strings.ToUpper(string(pi.Currency))
	amount, refunded := pi.Amount, int64(0)
	if ch := pi.LatestCharge; ch != nil {
		if ch.Currency != "" {
			currency = strings.ToUpper(string(ch.Currency))
		}
		f.Captured = pi.Status == stripe.PaymentIntentStatusSucceeded && ch.Status == stripe.ChargeStatusSucceeded && ch.Captured
		if f.Captured {
			amount = ch.AmountCaptured
		}
		refunded = ch.AmountRefunded
		if d := ch.PaymentMethodDetails; d != nil && d.Card != nil {
			f.CardLast4 = d.Card.Last4
			f.ThreeDSecure = d.Card.ThreeDSecure != nil && d.Card.ThreeDSecure.Result == stripe.ChargePaymentMethodDetailsCardThreeDSecureResultAuthenticated
		}
	}
	unit := payment.UnitFor(Provider, currency)
	paid, err := unit.FromProvider(amount)
	if err != nil {
		return refund.PaymentFacts{}, fmt.Errorf("stripe payment intent %s: its amount does not convert: %w", pi.ID, err)
	}
	back, err := unit.FromProvider(refunded)
	if err != nil {
		return refund.PaymentFacts{}, fmt.Errorf("stripe payment intent %s: its refunded amount does not convert: %w", pi.ID, err)
	}
	f.Amount, f.Refunded = paid, back.Amount
	return f, nil
}

// mapLookupError sorts an error of the PaymentIntent read: unknown, unavailable, or a failure of its
// own.
func mapLookupError(ref string, err error) error {
	var se *stripe.Error
	if errors.As(err, &se) && se.Code == stripe.ErrorCodeResourceMissing {
		return fmt.Errorf("stripe payment intent %q: %w", ref, payment.ErrPaymentNotFound)
	}
	mapped := mapError("retrieve payment intent", err)
	if payment.IsUnavailable(mapped) {
		return mapped
	}
	return fmt.Errorf("look up stripe payment intent %q: %w", ref, mapped)
}

// RefundRequestID reads the refund refundID (GET /v1/refunds/{id}) and returns its metadata
// request_id, which Refund sets on every refund it makes (payment.Gateway). A refund Stripe does not
// know (resource_missing), or an id that cannot name one, is payment.ErrRefundNotFound; failures map
// as LookupPayment's do.
func (g *Gateway) RefundRequestID(ctx context.Context, refundID string) (string, error) {
	if refundID == "" || len(refundID) > payment.MaxKeyLen || strings.ContainsAny(refundID, "/?#% \t\r\n") {
		return "", fmt.Errorf("stripe refund %q: %w", refundID, payment.ErrRefundNotFound)
	}
	r, err := g.client.retrieveRefund(ctx, refundID)
	if err != nil {
		var se *stripe.Error
		if errors.As(err, &se) && se.Code == stripe.ErrorCodeResourceMissing {
			return "", fmt.Errorf("stripe refund %q: %w", refundID, payment.ErrRefundNotFound)
		}
		mapped := mapError("retrieve refund", err)
		if payment.IsUnavailable(mapped) {
			return "", mapped
		}
		return "", fmt.Errorf("look up stripe refund %q: %w", refundID, mapped)
	}
	return r.Metadata["request_id"], nil
}
