package sandbox

import (
	"context"
	"fmt"

	"refundflow/payment/checkout"
	"refundflow/refund"
)

// View reads the payment ref back as the provider reports it, with its refunds: the errors of
// LookupPayment (payment.ErrPaymentNotFound for a reference never taken).
func (g *Gateway) View(ctx context.Context, ref string) (checkout.PaymentView, error) {
	facts, err := g.LookupPayment(ctx, ref)
	if err != nil {
		return checkout.PaymentView{}, err
	}
	out := checkout.ViewOf(facts)
	if st, err := g.Payment(ctx, ref); err == nil {
		for _, rf := range st.Refunds {
			out.Refunds = append(out.Refunds, checkout.RefundView{ID: rf.Refund.ID, Amount: rf.Refund.Amount.Amount, Status: string(rf.Refund.Status),
				IdempotencyKey: rf.IdempotencyKey, RequestID: rf.RequestID, CreatedAt: rf.CreatedAt})
		}
	}
	return out, nil
}

// Act does what a person does at the provider to the payment ref (checkout.Action) and says what
// happened, for people. Each action records its events in the same write, to be delivered by whoever
// delivers them (Deliver). An action the sandbox cannot do is a *checkout.InvalidError (an unknown
// action, an amount that does not parse); a refund or dispute that is not in a state for it is
// ErrRefundFinal or ErrDisputeState, an unknown one ErrNoRefund or ErrNoPayment.
func (g *Gateway) Act(ctx context.Context, ref string, a checkout.Action) (string, error) {
	switch a.Action {
	case checkout.ActionFailRefund:
		reason := a.Reason
		if reason == "" {
			reason = "expired_or_canceled_card"
		}
		if err := g.FailRefund(ctx, ref, a.Refund, reason); err != nil {
			return "", err
		}
		return "Refund " + a.Refund + " failed at the provider (" + reason + ").", nil
	case checkout.ActionSucceedRefund:
		if err := g.SucceedRefund(ctx, ref, a.Refund); err != nil {
			return "", err
		}
		return "Refund " + a.Refund + " succeeded at the provider.", nil
	case checkout.ActionDashboardRefund:
		st, err := g.Payment(ctx, ref)
		if err != nil {
			return "", err
		}
		amount, err := refund.ParseMoney(a.Amount, st.Captured.Currency)
		if err != nil {
			return "", &checkout.InvalidError{Err: fmt.Errorf("the amount: %w", err)}
		}
		r, err := g.DashboardRefund(ctx, ref, amount)
		if err != nil {
			return "", err
		}
		return "Refund " + r.ID + " of " + amount.String() + " made at the provider's dashboard.", nil
	case checkout.ActionOpenDispute:
		d, err := g.OpenDispute(ctx, ref, a.Reason)
		if err != nil {
			return "", err
		}
		return "Dispute " + d.ID + " opened (" + d.Reason + ").", nil
	case checkout.ActionWinDispute, checkout.ActionLoseDispute:
		d, err := g.CloseDispute(ctx, ref, a.Action == checkout.ActionWinDispute)
		if err != nil {
			return "", err
		}
		return "Dispute " + d.ID + " closed: " + string(d.Status) + ".", nil
	default:
		return "", &checkout.InvalidError{Err: fmt.Errorf("unknown action %q", a.Action)}
	}
}
