package workflowtest

import (
	"errors"
	"fmt"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"refundflow/dynamo"
	"refundflow/mail"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

// checkInvariants checks, after a test, what must hold whatever happened:
//
//   - per payment, refunded <= paid: in the order's ledger, in the ledger's refund records and at the
//     sandbox provider, and the three agree;
//   - every request has exactly one terminal outcome: one move into a final (or needs-attention)
//     status in its audit trail, matching its status now, and at most one outcome email;
//   - no refund and no credit without an accepted consent whose offer hash is the hash of that offer
//     and its agreement text;
//   - the audit trail has an entry for every status change: its status moves form an unbroken chain
//     from submitted to the current status, one per version;
//   - every execution ended (none is left RUNNING), unless the test parked one on purpose.
func (h *harness) checkInvariants() {
	h.t.Helper()
	for _, id := range h.requests {
		h.checkRequest(id)
	}
	for _, o := range h.orders {
		h.checkLedger(o)
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

	// The audit trail's status changes: an unbroken chain, one per version, ending at the status. On
	// the virtual clock several entries share a timestamp, so the chain is followed by status rather
	// than read in time order.
	var changes []dynamo.AuditEntry
	for _, e := range audit {
		if e.To != "" {
			changes = append(changes, e)
		}
	}
	chain, rest := followChain(changes)
	if len(rest) > 0 || len(chain) == 0 {
		h.t.Errorf("request %s: the audit trail's status changes do not form one chain from submitted: chain %v, left over %v", id, statusMoves(chain), statusMoves(rest))
		return
	}
	changes = chain
	if last := changes[len(changes)-1].To; last != req.Status {
		h.t.Errorf("request %s is %s, but its audit trail ends at %s", id, req.Status, last)
	}
	if got, want := int64(len(changes)), req.Version; got != want {
		h.t.Errorf("request %s: %d status entries in the audit trail for version %d (one per version)", id, got, want)
	}

	// Exactly one terminal outcome.
	finals := 0
	for _, e := range changes {
		if e.To.Terminal() {
			finals++
		}
	}
	switch {
	case req.Status.Terminal() && finals != 1:
		h.t.Errorf("request %s: %d moves into a final status, want exactly 1", id, finals)
	case !req.Status.Terminal() && finals != 0:
		h.t.Errorf("request %s is %s after %d moves into a final status", id, req.Status, finals)
	}
	if kind, ok := mail.OutcomeKind(req.Status); ok {
		if n := len(h.mails(kind, id)); n > 1 {
			h.t.Errorf("request %s: %d %s emails, want at most 1", id, n, kind)
		}
	}
	for _, k := range mail.Kinds() {
		if _, outcome := outcomeKinds[k]; outcome && k != mailKindFor(req.Status) {
			if n := len(h.mails(k, id)); n > 0 {
				h.t.Errorf("request %s is %s but got %d %s emails", id, req.Status, n, k)
			}
		}
	}

	// No money or credit without an accepted consent on the same offer hash.
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
	credit, cerr := h.store.GetCredit(h.ctx, req.OrderNumber, id)
	hasCredit := cerr == nil
	if len(mine) > 0 || hasCredit || req.Status == refund.StatusExecuting || req.Status == refund.StatusCompleted {
		if err := h.consentCovers(req, mine, credit, hasCredit); err != nil {
			h.t.Errorf("request %s: %v", id, err)
		}
	}
	if len(mine) > 1 {
		h.t.Errorf("request %s has %d refund attempts; the workflow only ever makes one", id, len(mine))
	}

	// The execution ended.
	if !h.allowRunning {
		if st := h.execution(id).Status; st == sfntypes.ExecutionStatusRunning {
			h.t.Errorf("execution of %s is still RUNNING: %s", id, h.historySummary(id))
		}
	}
}

// outcomeKinds are the client emails that announce a final (or needs-attention) status.
var outcomeKinds = map[mail.Kind]bool{
	mail.KindCompleted: true, mail.KindDeclined: true, mail.KindWithdrawn: true, mail.KindExpired: true,
	mail.KindRejected: true, mail.KindReviewRejected: true, mail.KindNeedsAttention: true,
}

func mailKindFor(s refund.Status) mail.Kind {
	k, _ := mail.OutcomeKind(s)
	return k
}

// consentCovers checks that the request's refunds and credit were accepted by the client: an accept
// consent whose hash is the agreement hash of the accepted offer, recomputed from the stored offer
// and the order, and whose offer is what was refunded or credited.
func (h *harness) consentCovers(req dynamo.RequestRecord, refunds []dynamo.RefundRecord, credit dynamo.Credit, hasCredit bool) error {
	c, err := h.store.GetConsent(h.ctx, req.ID)
	if err != nil {
		return fmt.Errorf("money moved (or is moving) without a consent: %w", err)
	}
	if c.Decision != dynamo.DecisionAccept {
		return errors.New("money moved after a decline")
	}
	offer, err := h.store.GetOffer(h.ctx, req.ID, c.OfferID)
	if err != nil {
		return fmt.Errorf("the accepted offer %s: %w", c.OfferID, err)
	}
	order, err := h.store.GetOrder(h.ctx, req.OrderNumber)
	if err != nil {
		return err
	}
	if got := refund.AgreementHash(offer, refund.Agreement(order, req.Request, offer)); got != c.OfferHash {
		return fmt.Errorf("the consent's hash %.12s is not the hash %.12s of offer %s and its agreement", c.OfferHash, got, offer.ID)
	}
	if got := refund.AgreementHash(offer, c.AgreementText); got != c.OfferHash {
		return errors.New("the consent's hash does not cover the agreement text the client saw")
	}
	for _, r := range refunds {
		if !offer.IsRefund() || r.Amount != offer.Amount {
			return fmt.Errorf("refund %s of %s does not match the accepted offer %s (%s %s)", r.IdempotencyKey, r.Amount, offer.ID, offer.Kind, offer.Amount)
		}
		if r.PaymentReference != order.Payment.Reference {
			return fmt.Errorf("refund %s went to %s, not the order's payment", r.IdempotencyKey, r.PaymentReference)
		}
	}
	if hasCredit && (!offer.IsCredit() || credit.OfferID != offer.ID || credit.Amount != offer.Amount) {
		return fmt.Errorf("credit %s does not match the accepted offer %s", credit.Amount, offer.ID)
	}
	return nil
}

// checkLedger checks refunded <= paid for an order's payment, and that the ledger, its refund records
// and the provider agree.
func (h *harness) checkLedger(number string) {
	h.t.Helper()
	o, err := h.store.GetOrder(h.ctx, number)
	if err != nil {
		h.t.Errorf("order %s: %v", number, err)
		return
	}
	if o.Refunded < 0 || o.Refunded > o.Paid {
		h.t.Errorf("order %s: refunded %d of paid %d", number, o.Refunded, o.Paid)
	}
	refunds, err := h.store.ListOrderRefunds(h.ctx, number)
	if err != nil {
		h.t.Errorf("refunds of %s: %v", number, err)
		return
	}
	var reserved, succeeded int64
	for _, r := range refunds {
		switch r.State {
		case dynamo.RefundReserved:
			reserved += r.Amount.Amount
		case dynamo.RefundSucceeded:
			succeeded += r.Amount.Amount
		}
	}
	if got := reserved + succeeded; got != o.Refunded {
		h.t.Errorf("order %s: ledger says %d refunded, its records add up to %d", number, o.Refunded, got)
	}
	st, err := h.pay.Payment(h.ctx, o.Payment.Reference)
	if errors.Is(err, sandbox.ErrNoPayment) {
		return
	}
	if err != nil {
		h.t.Errorf("sandbox payment %s: %v", o.Payment.Reference, err)
		return
	}
	if st.Refunded.Amount > st.Captured.Amount {
		h.t.Errorf("payment %s: the provider refunded %s of %s captured", o.Payment.Reference, st.Refunded, st.Captured)
	}
	keys := map[string]bool{}
	var total int64
	for _, r := range st.Refunds {
		if keys[r.IdempotencyKey] {
			h.t.Errorf("payment %s: two provider refunds with key %s", o.Payment.Reference, r.IdempotencyKey)
		}
		keys[r.IdempotencyKey] = true
		total += r.Refund.Amount.Amount
	}
	// What the provider refunded is exactly what the ledger completed, plus reservations whose outcome
	// is still unknown (a timeout the workflow gave up on).
	if total < succeeded || total > succeeded+reserved {
		h.t.Errorf("payment %s: the provider refunded %d, the ledger completed %d with %d still reserved", o.Payment.Reference, total, succeeded, reserved)
	}
}

// followChain orders status-change entries into the chain "" → submitted → ... by following each
// entry's To to the next entry's From, and returns the entries that do not fit.
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

// statusMoves renders entries as "from→to" for messages.
func statusMoves(entries []dynamo.AuditEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = string(e.From) + "→" + string(e.To)
	}
	return out
}
