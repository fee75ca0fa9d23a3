package sandbox

import (
	"context"

	"refundflow/payment/checkout"
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
