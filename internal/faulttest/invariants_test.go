package faulttest

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"refundflow/dynamo"
	"refundflow/mail"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

// checkInvariants checks, after a scenario (with the faults switched off), what must hold whatever
// happened:
//
//   - no refund lost, none doubled: per payment, the provider's refunds have distinct idempotency
//     keys, each is recorded in the ledger (reserved or succeeded) for its request, refunded <= paid,
//     and the ledger's total is its records' total; a completed request whose accepted offer is a
//     refund has exactly one provider refund of exactly that amount; no request has more than one;
//   - no money without an accepted consent on the very offer (its hash recomputed);
//   - nothing stuck: a request in a final status or needs_attention has no running execution; a
//     request in any other status has a running execution parked on a task token (every
//     .waitForTaskToken state of refund.asl.json has a TimeoutSeconds, so the wait ends by itself);
//   - the audit trail is complete: its status changes form one chain from submitted to the status
//     now, one per version, with exactly one move into a final status for a final request;
//   - at most one outcome email per request, of the kind its status calls for.
func (h *harness) checkInvariants() {
	h.t.Helper()
	h.ddb.SetFault(nil)
	h.flaky.failSend.Store(0)
	h.flaky.failStart.Store(0)
	for _, id := range h.requests {
		h.checkRequest(id)
	}
	for _, o := range h.orders {
		h.checkMoney(o)
	}
}

func (h *harness) checkRequest(id string) {
	h.t.Helper()
	req := h.request(id)
	audit, err := h.store.ListAudit(h.ctx, id)
	if err != nil {
		h.t.Errorf("audit of %s: %v", id, err)
		return
	}
	var changes []dynamo.AuditEntry
	for _, e := range audit {
		if e.To != "" {
			changes = append(changes, e)
		}
	}
	chain, rest := followChain(changes)
	switch {
	case len(rest) > 0 || len(chain) == 0:
		h.t.Errorf("request %s: the audit trail's status changes are not one chain from submitted: chain %v, left over %v", id, moves(chain), moves(rest))
	case chain[len(chain)-1].To != req.Status:
		h.t.Errorf("request %s is %s but its audit trail ends at %s", id, req.Status, chain[len(chain)-1].To)
	case int64(len(chain)) != req.Version:
		h.t.Errorf("request %s: %d status entries for version %d (want one per version): %v", id, len(chain), req.Version, moves(chain))
	}
	finals := 0
	for _, e := range chain {
		if e.To.Terminal() {
			finals++
		}
	}
	if req.Status.Terminal() && finals != 1 || !req.Status.Terminal() && finals != 0 {
		h.t.Errorf("request %s is %s after %d moves into a final status", id, req.Status, finals)
	}
	if kind, ok := mail.OutcomeKind(req.Status); ok {
		if n := len(h.mails(kind, id)); n > 1 {
			h.t.Errorf("request %s: %d %s emails, want at most 1", id, n, kind)
		}
	}

	// Not stuck.
	x, err := h.sfn.DescribeExecution(h.ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(h.executionArn(id))})
	if err != nil {
		h.t.Errorf("request %s has no execution: %v", id, err)
		return
	}
	running := x.Status == sfntypes.ExecutionStatusRunning
	switch {
	case req.Status.Terminal() || req.Status == refund.StatusNeedsAttention:
		if running {
			h.t.Errorf("request %s is %s but its execution still runs: %s", id, req.Status, h.history(id))
		}
	case !running:
		h.t.Errorf("request %s is stuck: %s with its execution %s, so nothing will move it on; states: %s", id, req.Status, x.Status, h.history(id))
	default:
		tokens, err := h.eng.TaskTokens(h.executionArn(id))
		if err != nil || len(tokens) == 0 {
			h.t.Errorf("request %s is %s and its execution runs without waiting on a task that times out (%v); states: %s", id, req.Status, err, h.history(id))
		}
	}

	// Money only after an accepted consent on that very offer.
	refunds, err := h.store.ListOrderRefunds(h.ctx, req.OrderNumber)
	if err != nil {
		h.t.Errorf("refunds of %s: %v", req.OrderNumber, err)
		return
	}
	var mine []dynamo.RefundRecord
	for _, r := range refunds {
		if r.RequestID == id {
			mine = append(mine, r)
		}
	}
	if len(mine) > 1 {
		h.t.Errorf("request %s has %d refund records; the workflow makes one", id, len(mine))
	}
	if len(mine) == 0 && req.Status != refund.StatusCompleted {
		return
	}
	c, err := h.store.GetConsent(h.ctx, id)
	if err != nil || c.Decision != dynamo.DecisionAccept {
		h.t.Errorf("request %s: money moved or the request completed without an accepted consent (%+v, %v)", id, c, err)
		return
	}
	offer, err := h.store.GetOffer(h.ctx, id, c.OfferID)
	if err != nil {
		h.t.Errorf("request %s: accepted offer %s: %v", id, c.OfferID, err)
		return
	}
	order, err := h.store.GetOrder(h.ctx, req.OrderNumber)
	if err != nil {
		h.t.Errorf("order %s: %v", req.OrderNumber, err)
		return
	}
	if got := refund.AgreementHash(offer, refund.Agreement(order, req.Request, offer)); got != c.OfferHash {
		h.t.Errorf("request %s: the consent's hash does not match offer %s and its agreement", id, offer.ID)
	}
	for _, r := range mine {
		if !offer.IsRefund() || r.Amount != offer.Amount || r.PaymentReference != order.Payment.Reference {
			h.t.Errorf("request %s: refund %s of %s to %s does not match the accepted offer %s", id, r.IdempotencyKey, r.Amount, r.PaymentReference, offer.ID)
		}
	}
	if req.Status == refund.StatusCompleted && offer.IsRefund() {
		var provider []sandbox.Record
		for _, p := range h.providerRefunds(order) {
			if p.RequestID == id {
				provider = append(provider, p)
			}
		}
		if len(mine) != 1 || mine[0].State != dynamo.RefundSucceeded || len(provider) != 1 || provider[0].Refund.Amount != offer.Amount {
			h.t.Errorf("request %s completed a refund of %s: want one succeeded ledger record and one provider refund of that amount, got %+v and %+v", id, offer.Amount, mine, provider)
		}
	}
}

// checkMoney checks an order's payment: refunded <= paid, the ledger adds up, and the provider's
// refunds are each in the ledger once.
func (h *harness) checkMoney(o refund.Order) {
	h.t.Helper()
	cur, err := h.store.GetOrder(h.ctx, o.Number)
	if err != nil {
		h.t.Errorf("order %s: %v", o.Number, err)
		return
	}
	if cur.Refunded < 0 || cur.Refunded > cur.Paid {
		h.t.Errorf("order %s: refunded %d of %d paid", o.Number, cur.Refunded, cur.Paid)
	}
	records, err := h.store.ListOrderRefunds(h.ctx, o.Number)
	if err != nil {
		h.t.Errorf("refunds of %s: %v", o.Number, err)
		return
	}
	var reserved, succeeded int64
	byKey := map[string]dynamo.RefundRecord{}
	for _, r := range records {
		byKey[r.IdempotencyKey] = r
		switch r.State {
		case dynamo.RefundReserved:
			reserved += r.Amount.Amount
		case dynamo.RefundSucceeded:
			succeeded += r.Amount.Amount
		}
	}
	if reserved+succeeded != cur.Refunded {
		h.t.Errorf("order %s: the ledger says %d refunded, its records add up to %d", o.Number, cur.Refunded, reserved+succeeded)
	}
	st, err := h.pay.Payment(h.ctx, o.Payment.Reference)
	if errors.Is(err, sandbox.ErrNoPayment) {
		return
	}
	if err != nil {
		h.t.Errorf("provider payment %s: %v", o.Payment.Reference, err)
		return
	}
	if st.Refunded.Amount > st.Captured.Amount {
		h.t.Errorf("payment %s: the provider refunded %s of %s", o.Payment.Reference, st.Refunded, st.Captured)
	}
	seen := map[string]bool{}
	var total int64
	for _, p := range st.Refunds {
		if seen[p.IdempotencyKey] {
			h.t.Errorf("payment %s: two provider refunds with key %s (a doubled refund)", o.Payment.Reference, p.IdempotencyKey)
		}
		seen[p.IdempotencyKey] = true
		total += p.Refund.Amount.Amount
		r, ok := byKey[p.IdempotencyKey]
		if !ok || (r.State != dynamo.RefundReserved && r.State != dynamo.RefundSucceeded) || r.Amount != p.Refund.Amount {
			h.t.Errorf("payment %s: provider refund %s of %s is not in the ledger as reserved or succeeded (a lost refund): %+v", o.Payment.Reference, p.IdempotencyKey, p.Refund.Amount, r)
		}
	}
	if total < succeeded || total > succeeded+reserved {
		h.t.Errorf("payment %s: the provider refunded %d, the ledger completed %d with %d reserved", o.Payment.Reference, total, succeeded, reserved)
	}
}

// followChain orders status-change entries into the chain "" → submitted → ... by following each
// entry's To to the next one's From, returning the entries that do not fit.
func followChain(entries []dynamo.AuditEntry) (chain, rest []dynamo.AuditEntry) {
	rest = append(rest, entries...)
	var at refund.Status
	for {
		next := -1
		for i, e := range rest {
			if e.From == at && (at != "" || e.To == refund.StatusSubmitted) {
				next = i
				break
			}
		}
		if next < 0 {
			return chain, rest
		}
		chain = append(chain, rest[next])
		at = rest[next].To
		rest = append(rest[:next], rest[next+1:]...)
	}
}

func moves(entries []dynamo.AuditEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = fmt.Sprintf("%s→%s", e.From, e.To)
	}
	return out
}
