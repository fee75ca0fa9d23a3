package workflowtest

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"refundflow/mail"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

// CheckInvariants checks what must hold whatever happened, on every order and request the harness
// created (New runs it when the test ends, unless the test failed; faults must be off by then):
//
//   - no refund lost, none doubled: per payment, refunded <= paid in the order's ledger and at the
//     provider; the ledger's total is its refund records' total (settlements outside the provider
//     included, which the provider never sees); the provider's refunds have distinct idempotency
//     keys and each is in the ledger (reserved or succeeded, same amount; one made at the provider's
//     dashboard by its provider id, once its event arrived; one that failed later is released in the
//     ledger, or not heard of yet); the provider refunded at least what the ledger completed and at
//     most that plus what is reserved;
//   - no request has more than one refund record, and a completed request whose accepted offer is a
//     refund has exactly one succeeded record and one provider refund of exactly that amount;
//   - no money and no credit without an accepted consent whose hash is the agreement hash of the
//     accepted offer (recomputed from the stored offer and order, and from the text the client saw),
//     and whose offer is what was refunded (to the order's payment) or credited;
//   - the audit trail is complete: its status changes form one unbroken chain from submitted to the
//     status now, with exactly one move into a final status for a final request (a completed request
//     reopened because its refund failed later has that failed refund and the client's email saying
//     so, and its completed email may have gone out before); and one entry per
//     version (status changes and the decisions that keep the status, such as a staff approval);
//   - at most one outcome email per request, and none of a kind its status does not call for;
//   - nothing stuck: a request in a final status or needs_attention has no running execution; any
//     other request is allowed only with Options.Parked, and then its execution runs parked on a
//     task token; without Parked no execution is left RUNNING.
func (h *Harness) CheckInvariants() {
	h.T.Helper()
	h.mu.Lock()
	requests := append([]string(nil), h.requests...)
	orders := append([]string(nil), h.orders...)
	h.mu.Unlock()
	for _, id := range requests {
		h.checkRequest(id)
	}
	for _, number := range orders {
		h.checkLedger(number)
	}
}

func (h *Harness) checkRequest(id string) {
	h.T.Helper()
	req := h.Request(id)
	audit, err := h.Store.ListAudit(h.Ctx, id)
	if err != nil {
		h.T.Errorf("audit of %s: %v", id, err)
		return
	}

	// The audit trail's status changes: an unbroken chain, one per version, ending at the status. On
	// the virtual clock several entries share a timestamp, so the chain is followed by status rather
	// than read in time order.
	var changes []refund.AuditEntry
	for _, e := range audit {
		if e.To != "" {
			changes = append(changes, e)
		}
	}
	chain, rest := FollowChain(changes)
	switch {
	case len(rest) > 0 || len(chain) == 0:
		h.T.Errorf("request %s: the audit trail's status changes do not form one chain from submitted: chain %v, left over %v", id, StatusMoves(chain), StatusMoves(rest))
		return
	case chain[len(chain)-1].To != req.Status:
		h.T.Errorf("request %s is %s, but its audit trail ends at %s", id, req.Status, chain[len(chain)-1].To)
	}
	// One entry per version: the status changes, plus the decisions that keep the status (a staff
	// approval or adjustment, the workflow's offers), each naming the version it produced.
	versions := map[int64]int{}
	decisions := 0
	for _, e := range audit {
		if e.Version > 0 {
			versions[e.Version]++
			if e.To == "" {
				decisions++
			}
		}
	}
	if n := int64(len(chain) + decisions); n != req.Version {
		h.T.Errorf("request %s: %d status entries and %d decisions in the audit trail for version %d (one per version): %v", id, len(chain), decisions, req.Version, StatusMoves(chain))
	}
	for v := int64(1); v <= req.Version; v++ {
		if versions[v] != 1 {
			h.T.Errorf("request %s: %d audit entries for version %d, want exactly 1", id, versions[v], v)
		}
	}

	// Exactly one terminal outcome; the one way back out of a final status is a completed request
	// whose refund the provider reported as failed later (refund.CanReopen), which then has that
	// failed refund and told the client about it.
	finals, reopened := 0, 0
	for _, e := range chain {
		if e.To.Terminal() {
			finals++
		}
		if e.From.Terminal() {
			reopened++
		}
	}
	if req.Status.Terminal() && finals-reopened != 1 || !req.Status.Terminal() && finals != reopened {
		h.T.Errorf("request %s is %s after %d moves into a final status and %d out of one", id, req.Status, finals, reopened)
	}
	if reopened > 0 {
		if !h.failedLater(req) {
			h.T.Errorf("request %s left a final status without a refund that failed later at the provider", id)
		}
		// One per refund attempt that failed later (each reopening is one).
		if n := len(h.Mails(mail.KindRefundFailed, id)); n < reopened || n > h.failedLaterAttempts(req) {
			h.T.Errorf("request %s: reopened %d times after refunds that failed later and the client got %d emails saying so, want one per failed attempt (%d)", id, reopened, n, h.failedLaterAttempts(req))
		}
	}
	want, _ := mail.OutcomeKind(req.Status)
	done, _ := mail.OutcomeKind(refund.StatusCompleted)
	attention := false // the request needed attention on its way: its email was due then
	for _, e := range chain {
		attention = attention || e.To == refund.StatusNeedsAttention
	}
	for k := range outcomeKinds {
		n := len(h.Mails(k, id))
		// A reopened request may have had the completed email of the attempt that failed later, and
		// then that of the attempt that completed it again.
		most := 1
		if k == done {
			most += reopened
		}
		switch {
		case k == mail.KindNeedsAttention && attention && n <= 1:
		case (k == want || reopened > 0 && k == done) && n > most:
			h.T.Errorf("request %s: %d %s emails, want at most %d", id, n, k, most)
		case k != want && !(reopened > 0 && k == done) && n > 0:
			h.T.Errorf("request %s is %s but got %d %s emails", id, req.Status, n, k)
		}
	}

	h.checkExecution(id, req)

	// No money or credit without an accepted consent on the same offer hash.
	refunds, err := h.Store.ListOrderRefunds(h.Ctx, req.OrderNumber)
	if err != nil {
		h.T.Errorf("refunds of %s: %v", req.OrderNumber, err)
		return
	}
	// The request's refund attempts at the provider, and what staff recorded as settled outside it.
	var mine, outside []refund.RefundRecord
	open := 0
	for _, r := range refunds {
		switch {
		case r.RequestID != id:
		case r.SettledOutside:
			outside = append(outside, r)
		default:
			mine = append(mine, r)
			if r.State != refund.RefundFailed {
				open++
			}
		}
	}
	if open > 1 {
		h.T.Errorf("request %s has %d refund attempts that were not refused; a new attempt only follows a certain refusal: %+v", id, open, mine)
	}
	if len(outside) > 0 {
		h.checkSettledOutside(id, req, audit, outside)
		if len(mine) == 0 {
			return
		}
	}
	credit, cerr := h.Store.GetCredit(h.Ctx, req.OrderNumber, id)
	hasCredit := cerr == nil
	if len(mine) == 0 && !hasCredit && req.Status != refund.StatusExecuting && req.Status != refund.StatusCompleted {
		return
	}
	offer, err := h.consentCovers(req, mine, credit, hasCredit)
	if err != nil {
		h.T.Errorf("request %s: %v", id, err)
		return
	}
	if req.Status == refund.StatusCompleted && offer.IsRefund() {
		order := h.Order(req.OrderNumber)
		var provider []sandbox.Record
		for _, p := range h.ProviderRefunds(order) {
			// A refund that failed later at the provider moved no money (the request was reopened,
			// and a staff retry made the one that counts).
			if p.RequestID == id && p.Refund.Status != "failed" && p.Refund.Status != "canceled" {
				provider = append(provider, p)
			}
		}
		var succeeded []refund.RefundRecord
		for _, r := range mine {
			if r.State == refund.RefundSucceeded {
				succeeded = append(succeeded, r)
			}
		}
		if len(outside) > 0 {
			return // settled outside the provider after the attempts there
		}
		if len(succeeded) != 1 || len(provider) != 1 || provider[0].Refund.Amount != offer.Amount {
			h.T.Errorf("request %s completed a refund of %s: want one succeeded ledger record and one provider refund of that amount, got %+v and %+v", id, offer.Amount, mine, provider)
		}
	}
}

// checkSettledOutside checks a request's settlements outside the provider: one, on a completed
// request, recorded by a member of staff in the same change that completed it.
func (h *Harness) checkSettledOutside(id string, req refund.RequestRecord, audit []refund.AuditEntry, outside []refund.RefundRecord) {
	h.T.Helper()
	if len(outside) != 1 || req.Status != refund.StatusCompleted || req.RefundAttempt != outside[0].N {
		h.T.Errorf("request %s is %s (refund attempt %d) with settlements outside the provider %+v; want one, naming the completed request's attempt", id, req.Status, req.RefundAttempt, outside)
		return
	}
	for _, e := range audit {
		if e.Action == string(refund.StaffActionSettledOutside) && e.To == refund.StatusCompleted && strings.HasPrefix(e.Actor, "staff:") {
			return
		}
	}
	h.T.Errorf("request %s was settled outside the provider without a staff member's audit entry completing it", id)
}

// checkExecution checks that the request is not stuck and that its execution ended when it should.
func (h *Harness) checkExecution(id string, req refund.RequestRecord) {
	h.T.Helper()
	arns := h.Executions(id)
	if len(arns) == 0 {
		h.T.Errorf("request %s has no execution", id)
		return
	}
	// A request has one execution, and one more each time a refund that failed later reopened it
	// from completed; never two running at once (two could move its money).
	arn, running := arns[len(arns)-1], false
	for _, a := range arns {
		x, err := h.SFN.DescribeExecution(h.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(a)})
		if err != nil {
			h.T.Errorf("request %s: execution %s: %v", id, a, err)
			return
		}
		if x.Status != sfntypes.ExecutionStatusRunning {
			continue
		}
		if running {
			h.T.Errorf("request %s has two running executions: %v", id, arns)
		}
		running = true
		if a != arn {
			h.T.Errorf("request %s: execution %s still runs after the newer %s started", id, a, arn)
		}
	}
	x, err := h.SFN.DescribeExecution(h.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		h.T.Errorf("request %s: execution %s: %v", id, arn, err)
		return
	}
	switch {
	case req.Status == refund.StatusNeedsAttention:
		// Parked for a staff action (the one way out), or, after AttentionFailed, ended.
		if !running {
			return
		}
		tok, err := h.Store.GetTaskToken(h.Ctx, id)
		tokens, terr := h.Eng.TaskTokens(arn)
		if err != nil || terr != nil || tok.Kind != refund.TokenAttention || !slices.Contains(tokens, tok.Token) {
			h.T.Errorf("request %s needs attention and its execution runs without waiting for a staff action (%v, %v); states: %s", id, err, terr, h.History(id))
		}
	case req.Status.Terminal():
		if running {
			h.T.Errorf("request %s is %s but its execution still runs: %s", id, req.Status, h.History(id))
		}
	case !h.opts.Parked:
		h.T.Errorf("request %s ended the test %s with its execution %s, want a final status and an ended execution: %s", id, req.Status, x.Status, h.History(id))
	case !running:
		h.T.Errorf("request %s is stuck: %s with its execution %s, so nothing will move it on; states: %s", id, req.Status, x.Status, h.History(id))
	default:
		tokens, err := h.Eng.TaskTokens(arn)
		if err != nil || len(tokens) == 0 {
			h.T.Errorf("request %s is %s and its execution runs without waiting on a task that times out (%v); states: %s", id, req.Status, err, h.History(id))
		}
	}
}

// outcomeKinds are the client emails that announce a final (or needs-attention) status.
var outcomeKinds = map[mail.Kind]bool{
	mail.KindCompleted: true, mail.KindDeclined: true, mail.KindWithdrawn: true, mail.KindExpired: true,
	mail.KindRejected: true, mail.KindReviewRejected: true, mail.KindNeedsAttention: true, mail.KindClosed: true,
}

// consentCovers checks that the request's refunds and credit were accepted by the client: an accept
// consent whose hash is the agreement hash of the accepted offer, recomputed from the stored offer
// and the order, and whose offer is what was refunded or credited. It returns the accepted offer.
func (h *Harness) consentCovers(req refund.RequestRecord, refunds []refund.RefundRecord, credit refund.Credit, hasCredit bool) (refund.Offer, error) {
	c, err := h.Store.GetConsent(h.Ctx, req.ID)
	if err != nil {
		return refund.Offer{}, fmt.Errorf("money moved (or is moving) without a consent: %w", err)
	}
	if c.Decision != refund.DecisionAccept {
		return refund.Offer{}, errors.New("money moved after a decline")
	}
	offer, err := h.Store.GetOffer(h.Ctx, req.ID, c.OfferID)
	if err != nil {
		return refund.Offer{}, fmt.Errorf("the accepted offer %s: %w", c.OfferID, err)
	}
	order, err := h.Store.GetOrder(h.Ctx, req.OrderNumber)
	if err != nil {
		return refund.Offer{}, fmt.Errorf("order %s: %w", req.OrderNumber, err)
	}
	if got := refund.AgreementHash(offer, refund.Agreement(order, req.Request, offer)); got != c.OfferHash {
		return offer, fmt.Errorf("the consent's hash %.12s is not the hash %.12s of offer %s and its agreement", c.OfferHash, got, offer.ID)
	}
	if got := refund.AgreementHash(offer, c.AgreementText); got != c.OfferHash {
		return offer, errors.New("the consent's hash does not cover the agreement text the client saw")
	}
	for _, r := range refunds {
		if !offer.IsRefund() || r.Amount != offer.Amount {
			return offer, fmt.Errorf("refund %s of %s does not match the accepted offer %s (%s %s)", r.IdempotencyKey, r.Amount, offer.ID, offer.Kind, offer.Amount)
		}
		if r.PaymentReference != order.Payment.Reference {
			return offer, fmt.Errorf("refund %s went to %s, not the order's payment", r.IdempotencyKey, r.PaymentReference)
		}
	}
	if hasCredit && (!offer.IsCredit() || credit.OfferID != offer.ID || credit.Amount != offer.Amount) {
		return offer, fmt.Errorf("credit %s does not match the accepted offer %s", credit.Amount, offer.ID)
	}
	return offer, nil
}

// checkLedger checks an order's payment: refunded <= paid, the ledger adds up, and the provider's
// refunds are each in the ledger once.
func (h *Harness) checkLedger(number string) {
	h.T.Helper()
	o, err := h.Store.GetOrder(h.Ctx, number)
	if err != nil {
		h.T.Errorf("order %s: %v", number, err)
		return
	}
	if o.Refunded < 0 || o.Refunded > o.Paid {
		h.T.Errorf("order %s: refunded %d of paid %d", number, o.Refunded, o.Paid)
	}
	records, err := h.Store.ListOrderRefunds(h.Ctx, number)
	if err != nil {
		h.T.Errorf("refunds of %s: %v", number, err)
		return
	}
	var reserved, succeeded, outside int64
	byKey, byProviderID := map[string]refund.RefundRecord{}, map[string]refund.RefundRecord{}
	for _, r := range records {
		byKey[r.IdempotencyKey] = r
		if r.SettledOutside {
			outside += r.Amount.Amount // counted in the ledger, never sent to the provider
			continue
		}
		if r.ProviderRefundID != "" {
			byProviderID[r.ProviderRefundID] = r
		}
		switch r.State {
		case refund.RefundReserved:
			reserved += r.Amount.Amount
		case refund.RefundSucceeded:
			succeeded += r.Amount.Amount
		}
	}
	if got := reserved + succeeded + outside; got != o.Refunded {
		h.T.Errorf("order %s: ledger says %d refunded, its records add up to %d", number, o.Refunded, got)
	}
	st, err := h.Pay.Payment(h.Ctx, o.Payment.Reference)
	if errors.Is(err, sandbox.ErrNoPayment) {
		return
	}
	if err != nil {
		h.T.Errorf("sandbox payment %s: %v", o.Payment.Reference, err)
		return
	}
	if st.Refunded.Amount > st.Captured.Amount {
		h.T.Errorf("payment %s: the provider refunded %s of %s captured", o.Payment.Reference, st.Refunded, st.Captured)
	}
	seen := map[string]bool{}
	var total int64
	for _, p := range st.Refunds {
		if seen[p.IdempotencyKey] {
			h.T.Errorf("payment %s: two provider refunds with key %s (a doubled refund)", o.Payment.Reference, p.IdempotencyKey)
		}
		seen[p.IdempotencyKey] = true
		r, ok := byKey[p.IdempotencyKey]
		if p.Dashboard() {
			// Made at the provider, outside Refundflow: the ledger knows it by the provider's id once
			// its event arrived (a test that delivers no events leaves it out of the ledger).
			r, ok = byProviderID[p.Refund.ID]
			if !ok {
				continue
			}
		}
		if failed := p.Refund.Status == "failed" || p.Refund.Status == "canceled"; failed {
			// Failed later at the provider: the ledger released it, or has not heard yet.
			if ok && r.State == refund.RefundSucceeded && r.ProviderStatus.Final() {
				h.T.Errorf("payment %s: provider refund %s failed, the ledger still counts it: %+v", o.Payment.Reference, p.Refund.ID, r)
			}
			if !ok || r.State != refund.RefundFailed {
				total += p.Refund.Amount.Amount // not heard yet: the ledger may still count it
			}
			continue
		}
		total += p.Refund.Amount.Amount
		if !ok || r.SettledOutside || (r.State != refund.RefundReserved && r.State != refund.RefundSucceeded) || r.Amount != p.Refund.Amount {
			h.T.Errorf("payment %s: provider refund %s of %s is not in the ledger as reserved or succeeded (a lost refund): %+v", o.Payment.Reference, p.IdempotencyKey, p.Refund.Amount, r)
		}
	}
	// What the provider refunded is exactly what the ledger completed, plus reservations whose outcome
	// is still unknown (a timeout the workflow gave up on).
	if total < succeeded || total > succeeded+reserved {
		h.T.Errorf("payment %s: the provider refunded %d, the ledger completed %d with %d still reserved", o.Payment.Reference, total, succeeded, reserved)
	}
}

// FollowChain orders status-change entries into the chain "" → submitted → ... by following each
// entry's To to the next entry's From, and returns the entries that do not fit.
func FollowChain(entries []refund.AuditEntry) (chain, rest []refund.AuditEntry) {
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

// StatusMoves renders entries as "from→to" for messages.
func StatusMoves(entries []refund.AuditEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = string(e.From) + "→" + string(e.To)
	}
	return out
}

// failedLater reports whether one of the request's refunds failed at the provider after it was accepted.
func (h *Harness) failedLater(req refund.RequestRecord) bool { return h.failedLaterAttempts(req) > 0 }

// failedLaterAttempts counts the request's refund attempts that failed at the provider after it
// accepted them.
func (h *Harness) failedLaterAttempts(req refund.RequestRecord) int {
	records, err := h.Store.ListOrderRefunds(h.Ctx, req.OrderNumber)
	if err != nil {
		h.T.Errorf("refunds of %s: %v", req.OrderNumber, err)
		return 0
	}
	n := 0
	for _, r := range records {
		if r.RequestID == req.ID && r.FailedLater() {
			n++
		}
	}
	return n
}
