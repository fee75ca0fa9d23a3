package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/refund"
)

// The payment provider's events (refund/provider.go): which order a payment belongs to, the
// provider's refunds in the order's ledger, the disputes on its payment, and the once-only
// processing of each event.
//
//	ORDER#<NUMBER>  ORDER            GSI1 = PAYMENT#<payment reference> / ORDER#<NUMBER>
//	                                 dispute (refund.Dispute), dispute_blocks, charged_back
//	ORDER#<NUMBER>  REFUND#@<re_id>  refund.RefundRecord of a refund made at the provider
//	PEVENT#<id>     PEVENT           an event's processing: claimed, then processed; ttl

const (
	prefixPayment      = "PAYMENT#"
	prefixEvent        = "PEVENT#"
	skEvent            = "PEVENT"
	prefixProviderRefd = prefixRefund + "@"
	attrDisputeBlocks  = "dispute_blocks"
	attrChargedBack    = "charged_back"
	attrEventProcessed = "processed_at"
	attrEventOutcome   = "outcome"
)

// gsi1Payment is the GSI1 key of an order item with a payment reference (OrdersByPayment).
func gsi1Payment(reference, number string) (string, string) {
	return prefixPayment + reference, orderPK(number)
}

// providerRefundSK is the sort key of the record of a refund made at the provider, by its id.
func providerRefundSK(providerRefundID string) string { return prefixProviderRefd + providerRefundID }

// OrdersByPayment returns the orders whose payment has this reference (the provider's payment id),
// read consistently: normally one, none for a payment Refundflow does not know. The index it queries
// is eventually consistent, so an order stored a moment ago may be missing; the provider's events
// come later than that.
func (s *Store) OrdersByPayment(ctx context.Context, reference string) ([]refund.Order, error) {
	if err := validID("payment reference", reference); err != nil {
		return nil, err
	}
	pk, _ := gsi1Payment(reference, "")
	items, _, err := s.queryGSI1(ctx, pk, "", 10, "", true)
	if err != nil {
		return nil, fmt.Errorf("orders of payment %s: %w", reference, err)
	}
	var out []refund.Order
	for _, item := range items {
		var it orderItem
		if err := unmarshal(item, &it); err != nil {
			return nil, fmt.Errorf("decode order of payment %s: %w", reference, err)
		}
		o, err := s.GetOrder(ctx, it.Number)
		if refund.ErrorCode(err) == refund.CodeNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		if o.Payment.Reference == reference {
			out = append(out, o)
		}
	}
	return out, nil
}

// maxApplyAttempts bounds how often a provider report is applied again after another write changed
// the record or the order meanwhile.
const maxApplyAttempts = 4

// ApplyProviderRefund records what the provider reports about one refund of the order's payment
// (refund.RefundRecord.ApplyProvider's rules), and returns the record as it is now and what the
// report changed. A refund Refundflow made is found by its idempotency key; any other refund (made
// at the provider's dashboard, say) gets a record of its own, keyed by the provider's refund id, and
// its amount is counted in the ledger.
//
// A record and the order's refunded total change together in one transaction, conditional on the
// record being as it was read, so a report applied twice at the same instant changes them once, and
// an older report never overwrites a newer state. A refund whose amount does not fit in what the
// ledger leaves of the payment (paid − refunded, with reservations still in flight) is CodeConflict
// and changes nothing: the reservations settle within minutes, so the provider's retry applies it.
// A report that cannot be about the record (another amount, another payment, another refund under
// the key) is a *refund.ErrProviderMismatch. audit is appended to the request's trail, for
// Refundflow's refunds, when a report moves money in the ledger (a failure releases, a revival
// counts again); its Detail says what happened unless set.
func (s *Store) ApplyProviderRefund(ctx context.Context, orderNumber string, p refund.ProviderRefund, audit refund.AuditEntry) (refund.RefundRecord, refund.LedgerChange, error) {
	if err := validID("order number", orderNumber); err != nil {
		return refund.RefundRecord{}, refund.LedgerChange{}, err
	}
	if err := p.Validate(); err != nil {
		return refund.RefundRecord{}, refund.LedgerChange{}, err
	}
	if err := validID("provider refund id", p.ID); err != nil {
		return refund.RefundRecord{}, refund.LedgerChange{}, err
	}
	sk := providerRefundSK(p.ID)
	if id, n, ok := refund.ParseRefundIdempotencyKey(p.IdempotencyKey); ok && validRefundKey(orderNumber, id, n) == nil {
		if _, found, err := s.getRefund(ctx, orderNumber, id, n); err != nil {
			return refund.RefundRecord{}, refund.LedgerChange{}, err
		} else if found {
			sk = refundSK(id, n)
		}
		// Not found: a key of Refundflow's shape that no attempt of this table reserved (another
		// deployment on the same provider account, say): the refund is recorded as the provider's.
	}
	for attempt := 1; ; attempt++ {
		it, found, err := getOne[refundItem](ctx, s, orderPK(orderNumber), sk, "refund "+p.ID)
		if err != nil {
			return refund.RefundRecord{}, refund.LedgerChange{}, err
		}
		var rec refund.RefundRecord
		var change refund.LedgerChange
		if found {
			rec, change, err = s.applyToRecord(ctx, orderNumber, sk, it.RefundRecord, p, audit)
		} else {
			rec, change, err = s.recordProviderRefund(ctx, orderNumber, sk, p)
		}
		if errors.Is(err, errApplyAgain) && attempt < maxApplyAttempts {
			continue
		}
		if errors.Is(err, errApplyAgain) {
			return refund.RefundRecord{}, refund.LedgerChange{}, conflict("The refund %s kept changing while its provider report was applied; try again.", p.ID)
		}
		return rec, change, err
	}
}

// errApplyAgain says that the record or the order changed between reading and writing: read again.
var errApplyAgain = errors.New("changed meanwhile")

// applyToRecord applies p to the existing record cur (stored under sk).
func (s *Store) applyToRecord(ctx context.Context, orderNumber, sk string, cur refund.RefundRecord, p refund.ProviderRefund, audit refund.AuditEntry) (refund.RefundRecord, refund.LedgerChange, error) {
	now := s.now()
	next, delta, changed, err := cur.ApplyProvider(p, now)
	if err != nil || !changed {
		return cur, refund.LedgerChange{}, err
	}
	nowAV, err := marshalValue(now)
	if err != nil {
		return refund.RefundRecord{}, refund.LedgerChange{}, fmt.Errorf("encode time: %w", err)
	}
	x := &expr{}
	update := "SET " + x.n("state") + " = " + x.s(string(next.State)) +
		", " + x.n("provider_refund_id") + " = " + x.s(next.ProviderRefundID) +
		", " + x.n("provider_status") + " = " + x.s(string(next.ProviderStatus)) +
		", " + x.n("updated_at") + " = " + x.v(nowAV)
	if next.FailureReason != "" {
		update += ", " + x.n("failure_reason") + " = " + x.s(next.FailureReason)
		if next.ProviderFailure != "" {
			update += ", " + x.n("provider_failure") + " = " + x.s(next.ProviderFailure)
		}
	} else {
		update += " REMOVE " + x.n("failure_reason") + ", " + x.n("provider_failure")
	}
	// The record must be as it was read: its state and what the provider last said.
	cond := x.n("state") + " = " + x.s(string(cur.State))
	if cur.ProviderStatus == "" {
		cond += " AND attribute_not_exists(" + x.n("provider_status") + ")"
	} else {
		cond += " AND " + x.n("provider_status") + " = " + x.s(string(cur.ProviderStatus))
	}
	change := refund.LedgerChange{Changed: true, Delta: delta}
	if delta == 0 {
		// The ledger already counts it (or already does not): one conditional write, as completing a
		// refund always was.
		_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(s.Table),
			Key:                       key(orderPK(orderNumber), sk),
			UpdateExpression:          aws.String(update),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeNames:  x.Names(),
			ExpressionAttributeValues: x.Values(),
		})
		if isConditionFailed(err) {
			return refund.RefundRecord{}, refund.LedgerChange{}, errApplyAgain
		}
		if err != nil {
			return refund.RefundRecord{}, refund.LedgerChange{}, fmt.Errorf("record provider refund %s: %w", p.ID, err)
		}
		return next, change, nil
	}
	mark := types.TransactWriteItem{Update: &types.Update{
		TableName:                 aws.String(s.Table),
		Key:                       key(orderPK(orderNumber), sk),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
	}}
	ledger, err := s.ledgerDelta(ctx, orderNumber, delta, now)
	if err != nil {
		return refund.RefundRecord{}, refund.LedgerChange{}, err
	}
	items := []types.TransactWriteItem{mark, ledger}
	if next.RequestID != "" {
		if audit.Detail == "" {
			audit.Detail = providerAuditDetail(next, delta)
		}
		a, err := s.prepareAudit(audit, next.RequestID, "provider_refund")
		if err != nil {
			return refund.RefundRecord{}, refund.LedgerChange{}, err
		}
		a.Version = 0 // a note on the trail: the request's version does not move
		put, err := s.auditPut(a)
		if err != nil {
			return refund.RefundRecord{}, refund.LedgerChange{}, err
		}
		items = append(items, put)
	}
	err = s.transact(ctx, items)
	switch {
	case err == nil:
		return next, change, nil
	case failedAt(err, 0):
		return refund.RefundRecord{}, refund.LedgerChange{}, errApplyAgain
	case failedAt(err, 1):
		return refund.RefundRecord{}, refund.LedgerChange{}, s.ledgerRefused(ctx, orderNumber, p, delta)
	default:
		return refund.RefundRecord{}, refund.LedgerChange{}, fmt.Errorf("record provider refund %s on order %s: %w", p.ID, orderNumber, err)
	}
}

// recordProviderRefund creates the record of a refund made at the provider and counts it.
func (s *Store) recordProviderRefund(ctx context.Context, orderNumber, sk string, p refund.ProviderRefund) (refund.RefundRecord, refund.LedgerChange, error) {
	order, err := s.GetOrder(ctx, orderNumber)
	if err != nil {
		return refund.RefundRecord{}, refund.LedgerChange{}, err
	}
	if order.Currency != p.Amount.Currency || order.Payment.Reference != p.PaymentReference {
		return refund.RefundRecord{}, refund.LedgerChange{}, &refund.ErrProviderMismatch{Refund: p,
			Record: refund.RefundRecord{OrderNumber: order.Number, PaymentReference: order.Payment.Reference, Amount: refund.Money{Currency: order.Currency}},
			What:   "the order's payment or currency is another"}
	}
	now := s.now()
	rec := refund.ProviderRecord(order, p, now)
	item, err := marshal(refundItem{PK: orderPK(order.Number), SK: sk, RefundRecord: rec})
	if err != nil {
		return refund.RefundRecord{}, refund.LedgerChange{}, fmt.Errorf("encode provider refund %s: %w", p.ID, err)
	}
	put := creates(types.Put{TableName: aws.String(s.Table), Item: item})
	change := refund.LedgerChange{Changed: true, New: true}
	if !rec.Counted() {
		// Reported failed before it was reported made: remembered, so the older report of its
		// creation does not count it, and nothing is counted.
		exists, err := s.create(ctx, put)
		if exists {
			return refund.RefundRecord{}, refund.LedgerChange{}, errApplyAgain
		}
		if err != nil {
			return refund.RefundRecord{}, refund.LedgerChange{}, fmt.Errorf("record provider refund %s: %w", p.ID, err)
		}
		return rec, change, nil
	}
	change.Delta = rec.Amount.Amount
	ledger, err := s.ledgerDelta(ctx, order.Number, change.Delta, now)
	if err != nil {
		return refund.RefundRecord{}, refund.LedgerChange{}, err
	}
	err = s.transact(ctx, []types.TransactWriteItem{put, ledger})
	switch {
	case err == nil:
		return rec, change, nil
	case failedAt(err, 0):
		return refund.RefundRecord{}, refund.LedgerChange{}, errApplyAgain
	case failedAt(err, 1):
		return refund.RefundRecord{}, refund.LedgerChange{}, s.ledgerRefused(ctx, order.Number, p, change.Delta)
	default:
		return refund.RefundRecord{}, refund.LedgerChange{}, fmt.Errorf("record provider refund %s on order %s: %w", p.ID, order.Number, err)
	}
}

// ledgerDelta returns the ledger update that moves the order's refunded total by delta. Counting
// more requires refunded <= paid − delta (paid pinned to what it is now, as ReserveRefund does);
// releasing requires refunded >= the amount released. Either bumps the order's version.
func (s *Store) ledgerDelta(ctx context.Context, orderNumber string, delta int64, now time.Time) (types.TransactWriteItem, error) {
	nowAV, err := marshalValue(now)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode time: %w", err)
	}
	x := &expr{}
	update := "SET " + x.n("refunded") + " = " + x.n("refunded") + " + " + x.i(delta) +
		", " + x.n("version") + " = " + x.n("version") + " + " + x.i(1) +
		", " + x.n("updated_at") + " = " + x.v(nowAV)
	var cond string
	if delta < 0 {
		cond = x.n("refunded") + " >= " + x.i(-delta)
	} else {
		order, err := s.GetOrder(ctx, orderNumber)
		if err != nil {
			return types.TransactWriteItem{}, err
		}
		cond = x.n("paid") + " = " + x.i(order.Paid) + " AND " + x.n("refunded") + " <= " + x.i(order.Paid-delta)
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 aws.String(s.Table),
		Key:                       key(orderPK(orderNumber), skOrder),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
	}}, nil
}

// ledgerRefused explains a ledger update that failed its condition: read again when the order's
// paid amount changed meanwhile, CodeConflict when the refund does not fit what remains.
func (s *Store) ledgerRefused(ctx context.Context, orderNumber string, p refund.ProviderRefund, delta int64) error {
	if delta < 0 {
		return fmt.Errorf("release provider refund %s on order %s: the ledger counts less than its amount", p.ID, orderNumber)
	}
	order, err := s.GetOrder(ctx, orderNumber)
	if err != nil {
		return err
	}
	if order.Paid-order.Refunded >= delta {
		return errApplyAgain // paid changed between the read and the write
	}
	return conflict("The provider's refund %s of %s does not fit in what the ledger of order %s leaves (%s): a reservation is still in flight.",
		p.ID, p.Amount, orderNumber, order.Remaining())
}

// providerAuditDetail words a report that moved money in the ledger, for the request's trail.
func providerAuditDetail(r refund.RefundRecord, delta int64) string {
	if delta < 0 {
		return fmt.Sprintf("the payment provider reports refund %s of %s as %s: the amount was released in the ledger (%s)",
			r.ProviderRefundID, r.Amount, r.ProviderStatus, r.FailureReason)
	}
	return fmt.Sprintf("the payment provider reports refund %s of %s as %s: the amount is counted in the ledger again",
		r.ProviderRefundID, r.Amount, r.ProviderStatus)
}

// RecordDispute records what the provider reports about a dispute on the order's payment, if it is
// news (refund.Dispute.Supersedes: a closed dispute stays closed, open statuses follow the time of
// their report), with one write conditional on the order's version, which it bumps; a lost dispute
// adds its amount to the order's charged_back in that write (refund.Order.ChargebackAfter). It returns the
// dispute recorded before and whether this one replaced it. While the recorded dispute blocks refunds
// (open or lost), ReserveRefund refuses every refund of the order.
func (s *Store) RecordDispute(ctx context.Context, orderNumber string, d refund.Dispute) (prev *refund.Dispute, changed bool, err error) {
	if err := validID("order number", orderNumber); err != nil {
		return nil, false, err
	}
	if err := d.Validate(); err != nil {
		return nil, false, err
	}
	for attempt := 1; ; attempt++ {
		it, err := s.getOrderItem(ctx, orderNumber)
		if err != nil {
			return nil, false, err
		}
		if it == nil {
			return nil, false, notFound("Order %s was not found.", orderNumber)
		}
		if !d.Supersedes(it.Dispute) {
			return it.Dispute, false, nil
		}
		if it.Payment.Reference != d.PaymentReference || it.Currency != d.Amount.Currency {
			return it.Dispute, false, fmt.Errorf("dispute %s is on payment %s in %s, not order %s's", d.ID, d.PaymentReference, d.Amount.Currency, orderNumber)
		}
		av, err := marshalValue(d)
		if err != nil {
			return nil, false, fmt.Errorf("encode dispute %s: %w", d.ID, err)
		}
		// A lost dispute gave its amount back to the client: counted once (the same report again is
		// no news, so this write does not happen twice), in the same write as the dispute, so what
		// remains refundable never misses it.
		chargedBack := it.ChargebackAfter(it.Dispute, d)
		nowAV, err := marshalValue(s.now())
		if err != nil {
			return nil, false, fmt.Errorf("encode time: %w", err)
		}
		x := &expr{}
		_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(s.Table),
			Key:       key(orderPK(orderNumber), skOrder),
			UpdateExpression: aws.String("SET " + x.n("dispute") + " = " + x.v(av) +
				", " + x.n(attrDisputeBlocks) + " = " + x.v(&types.AttributeValueMemberBOOL{Value: d.BlocksRefunds()}) +
				", " + x.n(attrChargedBack) + " = " + x.i(chargedBack) +
				", " + x.n("updated_at") + " = " + x.v(nowAV) +
				", " + x.n("version") + " = " + x.n("version") + " + " + x.i(1)),
			ConditionExpression:       aws.String(x.n("version") + " = " + x.i(it.Version)),
			ExpressionAttributeNames:  x.Names(),
			ExpressionAttributeValues: x.Values(),
		})
		switch {
		case err == nil:
			return it.Dispute, true, nil
		case isConditionFailed(err) && attempt < maxApplyAttempts:
			continue // the ledger or the billing system changed the order meanwhile
		case isConditionFailed(err):
			return nil, false, conflict("Order %s kept changing while dispute %s was recorded; try again.", orderNumber, d.ID)
		default:
			return nil, false, fmt.Errorf("record dispute %s on order %s: %w", d.ID, orderNumber, err)
		}
	}
}

// The processing record of one provider event (PK=PEVENT#<id>, SK=PEVENT), claimed like a mail
// marker (mail.go: claim_id, claim_until) and final once processed_at is set; ttl =
// processed_at + refund.ProviderEventTTL.

// ClaimEvent claims the processing of the provider's event id for the delivery claimID (random, one
// per delivery) for lease, with one conditional write: it succeeds when the event was never seen,
// when its earlier claim expired unprocessed (that delivery died) or when the claim is this
// delivery's own. An event processed already is refund.EventProcessed; one another delivery is
// processing now is refund.EventInProgress.
func (s *Store) ClaimEvent(ctx context.Context, eventID, claimID string, lease time.Duration) (refund.ProviderEventClaim, error) {
	if err := validID("event id", eventID); err != nil {
		return 0, err
	}
	if claimID == "" || lease <= 0 {
		return 0, fmt.Errorf("claim event %s: a claim id and a positive lease are required", eventID)
	}
	now := s.now()
	x := &expr{}
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table),
		Key:       key(prefixEvent+eventID, skEvent),
		UpdateExpression: aws.String("SET " + x.n(attrClaimID) + " = " + x.s(claimID) + ", " +
			x.n(attrClaimedTo) + " = " + x.i(now.Add(lease).UnixMilli()) + ", " +
			x.n(AttrTTL) + " = " + x.i(now.Add(refund.ProviderEventTTL).Unix())),
		ConditionExpression: aws.String("attribute_not_exists(" + x.n(AttrPK) + ") OR (attribute_not_exists(" +
			x.n(attrEventProcessed) + ") AND (" + x.n(attrClaimedTo) + " < " + x.i(now.UnixMilli()) + " OR " +
			x.n(attrClaimID) + " = " + x.s(claimID) + "))"),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
	})
	if err == nil {
		return refund.EventClaimed, nil
	}
	if !isConditionFailed(err) {
		return 0, fmt.Errorf("claim event %s: %w", eventID, err)
	}
	item, err := s.getItem(ctx, prefixEvent+eventID, skEvent)
	if err != nil {
		return 0, fmt.Errorf("check event %s: %w", eventID, err)
	}
	if item != nil && item[attrEventProcessed] != nil {
		return refund.EventProcessed, nil
	}
	return refund.EventInProgress, nil
}

// MarkEventProcessed records that the provider's event id was processed, with a word for what it did
// (its outcome), which makes the record final. Marking again keeps the first time and outcome.
func (s *Store) MarkEventProcessed(ctx context.Context, eventID, outcome string) error {
	if err := validID("event id", eventID); err != nil {
		return err
	}
	now := s.now()
	at, err := marshalValue(now)
	if err != nil {
		return fmt.Errorf("encode time: %w", err)
	}
	x := &expr{}
	_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table),
		Key:       key(prefixEvent+eventID, skEvent),
		UpdateExpression: aws.String("SET " + x.n(attrEventProcessed) + " = if_not_exists(" + x.n(attrEventProcessed) + ", " + x.v(at) + "), " +
			x.n(attrEventOutcome) + " = if_not_exists(" + x.n(attrEventOutcome) + ", " + x.s(refund.Truncate(outcome, 200)) + "), " +
			x.n(AttrTTL) + " = " + x.i(now.Add(refund.ProviderEventTTL).Unix()) +
			" REMOVE " + x.n(attrClaimedTo) + ", " + x.n(attrClaimID)),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
	})
	if err != nil {
		return fmt.Errorf("mark event %s processed: %w", eventID, err)
	}
	return nil
}

// ReleaseEvent gives up the delivery claimID's claim on an event it could not process, so the
// provider's retry can claim it at once instead of waiting for the lease. It never touches an event
// processed already or claimed by another delivery.
func (s *Store) ReleaseEvent(ctx context.Context, eventID, claimID string) error {
	if err := validID("event id", eventID); err != nil {
		return err
	}
	x := &expr{}
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(s.Table),
		Key:              key(prefixEvent+eventID, skEvent),
		UpdateExpression: aws.String("SET " + x.n(attrClaimedTo) + " = " + x.i(0)),
		ConditionExpression: aws.String("attribute_not_exists(" + x.n(attrEventProcessed) + ") AND " +
			x.n(attrClaimID) + " = " + x.s(claimID)),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("release the claim on event %s: %w", eventID, err)
	}
	return nil
}
