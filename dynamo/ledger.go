package dynamo

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/refund"
)

// maxRefundAttempts bounds n so the zero-padded sort key keeps its order.
const maxRefundAttempts = 9999

// refundSK is the sort key of a refund record; n is zero-padded so records sort by attempt.
func refundSK(requestID string, n int) string {
	return fmt.Sprintf("%s%s#%04d", prefixRefund, requestID, n)
}

// refundItem is the stored form of a refund.RefundRecord.
type refundItem struct {
	PK string `json:"PK"`
	SK string `json:"SK"`
	refund.RefundRecord
}

// validRefundKey checks the identifiers of a refund record.
func validRefundKey(orderNumber, requestID string, n int) error {
	if err := validID("order number", orderNumber); err != nil {
		return err
	}
	if err := validID("request id", requestID); err != nil {
		return err
	}
	if n < 1 || n > maxRefundAttempts {
		return fmt.Errorf("refund attempt number %d is outside 1–%d", n, maxRefundAttempts)
	}
	return nil
}

// GetRefund returns refund attempt n of a request on an order, or CodeNotFound.
func (s *Store) GetRefund(ctx context.Context, orderNumber, requestID string, n int) (refund.RefundRecord, error) {
	if err := validRefundKey(orderNumber, requestID, n); err != nil {
		return refund.RefundRecord{}, err
	}
	r, ok, err := s.getRefund(ctx, orderNumber, requestID, n)
	if err == nil && !ok {
		err = notFound("Refund %d of request %s was not found.", n, requestID)
	}
	return r, err
}

func (s *Store) getRefund(ctx context.Context, orderNumber, requestID string, n int) (refund.RefundRecord, bool, error) {
	it, ok, err := getOne[refundItem](ctx, s, orderPK(orderNumber), refundSK(requestID, n), "refund "+refund.RefundIdempotencyKey(requestID, n))
	return it.RefundRecord, ok, err
}

// ReserveRefund reserves amount in the order's refund ledger for attempt n of the request's refund,
// before the provider is called. One transaction:
//   - puts the refund record (state reserved, the order's payment reference, the idempotency key),
//     only if attempt n does not exist yet;
//   - adds amount to the order's refunded total, on the condition that paid and currency are what
//     the reservation was computed from and refunded <= paid − amount, so the total refunded can never
//     exceed what was paid, whatever runs concurrently (DynamoDB conditions cannot do arithmetic, so
//     paid − amount is computed here and paid is pinned by the condition), and that no dispute at
//     the provider blocks refunds of the payment (RecordDispute);
//   - checks that the request is executing (no refund without a recorded acceptance or a staff
//     decision that moved it there);
//   - appends the audit entry (action "refund_reserved" unless set).
//
// Reserving attempt n again returns the existing record, whatever its state, if it has the same
// amount (so a retried step carries on with the same idempotency key); a different amount is
// CodeConflict. An amount beyond what remains is CodeConflict naming what remains; a request that
// is not executing is CodeConflict; an unknown order or request is CodeNotFound.
func (s *Store) ReserveRefund(ctx context.Context, orderNumber, requestID string, n int, amount refund.Money, audit refund.AuditEntry) (refund.RefundRecord, error) {
	if err := validRefundKey(orderNumber, requestID, n); err != nil {
		return refund.RefundRecord{}, err
	}
	if !amount.ValidPositive() {
		return refund.RefundRecord{}, fmt.Errorf("reserve refund %s: amount %s is not a positive amount in a valid currency", refund.RefundIdempotencyKey(requestID, n), amount)
	}
	if audit.Detail == "" {
		audit.Detail = fmt.Sprintf("refund attempt %d: %s", n, amount)
	}
	audit, err := s.prepareAudit(audit, requestID, "refund_reserved")
	if err != nil {
		return refund.RefundRecord{}, err
	}
	existing := func() (refund.RefundRecord, bool, error) {
		r, ok, err := s.getRefund(ctx, orderNumber, requestID, n)
		if err != nil || !ok {
			return r, ok, err
		}
		if r.Amount != amount {
			return r, true, conflict("Refund attempt %d of request %s was already reserved for %s, not %s.", n, requestID, r.Amount, amount)
		}
		return r, true, nil
	}
	if r, ok, err := existing(); ok || err != nil {
		return r, err
	}

	for attempt := 1; ; attempt++ {
		order, err := s.GetOrder(ctx, orderNumber)
		if err != nil {
			return refund.RefundRecord{}, err
		}
		if err := order.CheckRefund(amount); err != nil {
			return refund.RefundRecord{}, err
		}
		if order.Dispute != nil && order.Dispute.BlocksRefunds() {
			return refund.RefundRecord{}, errDisputed(order)
		}
		now := s.now()
		rec := refund.ReserveAttempt(order, requestID, n, amount, now)
		items, err := s.reservationItems(rec, order, audit, now)
		if err != nil {
			return refund.RefundRecord{}, err
		}
		err = s.transact(ctx, items)
		switch {
		case err == nil:
			return rec, nil
		case failedAt(err, 0):
			r, ok, err := existing()
			if !ok && err == nil {
				return refund.RefundRecord{}, conflict("Refund attempt %d of request %s changed meanwhile; try again.", n, requestID)
			}
			return r, err
		case failedAt(err, 1):
			cur, gerr := s.GetOrder(ctx, orderNumber)
			if gerr != nil {
				return refund.RefundRecord{}, gerr
			}
			if cur.Dispute != nil && cur.Dispute.BlocksRefunds() {
				return refund.RefundRecord{}, errDisputed(cur)
			}
			if (cur.Paid != order.Paid || cur.Currency != order.Currency || cur.ChargedBack != order.ChargedBack) && attempt < 3 {
				continue // the billing system changed the order meanwhile: compute again
			}
			if err := cur.CheckRefund(amount); err != nil {
				return refund.RefundRecord{}, err
			}
			return refund.RefundRecord{}, refund.ErrRefundExceeds(cur, amount)
		case failedAt(err, 2):
			req, gerr := s.GetRequest(ctx, requestID)
			if gerr != nil {
				return refund.RefundRecord{}, gerr
			}
			return refund.RefundRecord{}, conflict("Request %s is %s, not %s, so no refund can be reserved for it.", requestID, req.Status, refund.StatusExecuting)
		default:
			return refund.RefundRecord{}, fmt.Errorf("reserve refund %s on order %s: %w", rec.IdempotencyKey, orderNumber, err)
		}
	}
}

// errDisputed is the CodeConflict of a refund reserved while the order's payment has a dispute that
// blocks refunds (open, or lost).
func errDisputed(o refund.Order) error {
	return conflict("The payment of order %s has a dispute (chargeback) that is %s at the payment provider, so no refund can be made to it.",
		o.Number, strings.ReplaceAll(string(o.Dispute.Status), "_", " "))
}

// reservationItems builds the reservation transaction: refund record, ledger update, request check,
// audit entry, in that order (ReserveRefund decodes cancellations by position). The ledger update
// pins paid and currency to what the reservation was computed from and requires refunded <= paid −
// amount: DynamoDB conditions cannot do arithmetic, so the bound is computed here.
func (s *Store) reservationItems(rec refund.RefundRecord, order refund.Order, audit refund.AuditEntry, now time.Time) ([]types.TransactWriteItem, error) {
	recItem, err := marshal(refundItem{PK: orderPK(order.Number), SK: refundSK(rec.RequestID, rec.N), RefundRecord: rec})
	if err != nil {
		return nil, fmt.Errorf("encode refund %s: %w", rec.IdempotencyKey, err)
	}
	nowAV, err := marshalValue(now)
	if err != nil {
		return nil, fmt.Errorf("encode time: %w", err)
	}
	put := creates(types.Put{TableName: aws.String(s.Table), Item: recItem})
	// A reservation also requires that no dispute blocks refunds of the payment (RecordDispute).
	ledger := s.ledgerAdd(order, rec.Amount, nowAV, true)
	cx := &expr{}
	check := types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName:                 aws.String(s.Table),
		Key:                       key(requestPK(rec.RequestID), skRequest),
		ConditionExpression:       aws.String(cx.n("status") + " = " + cx.s(string(refund.StatusExecuting))),
		ExpressionAttributeNames:  cx.Names(),
		ExpressionAttributeValues: cx.Values(),
	}}
	auditPut, err := s.auditPut(audit)
	if err != nil {
		return nil, err
	}
	return []types.TransactWriteItem{put, ledger, check, auditPut}, nil
}

// ledgerAdd returns the update that adds amount to the order's refunded total, pinning paid, currency
// and charged_back (a lost dispute's amount, refund.Order.ChargedBack) to what the caller computed
// from and requiring refunded <= paid − charged back − amount: DynamoDB
// conditions cannot do arithmetic, so the bound is computed here. With undisputed, it also requires
// that no dispute blocks refunds of the payment (a refund to be made at the provider); a settlement
// outside the provider records money that already went back, so it does not ask.
func (s *Store) ledgerAdd(order refund.Order, amount refund.Money, nowAV types.AttributeValue, undisputed bool) types.TransactWriteItem {
	// What the client's bank took back through a lost dispute is pinned like paid: a chargeback
	// recorded meanwhile fails the condition, and the caller computes again.
	maxBefore := order.Paid - order.ChargedBack - amount.Amount
	ox := &expr{}
	cond := ox.n("paid") + " = " + ox.i(order.Paid) +
		" AND " + ox.n("currency") + " = " + ox.s(order.Currency) +
		" AND " + ox.n("refunded") + " <= " + ox.i(maxBefore)
	if order.ChargedBack == 0 {
		cond += " AND (attribute_not_exists(" + ox.n(attrChargedBack) + ") OR " + ox.n(attrChargedBack) + " = " + ox.i(0) + ")"
	} else {
		cond += " AND " + ox.n(attrChargedBack) + " = " + ox.i(order.ChargedBack)
	}
	if undisputed {
		cond += " AND (attribute_not_exists(" + ox.n(attrDisputeBlocks) + ") OR " + ox.n(attrDisputeBlocks) + " = " + ox.v(&types.AttributeValueMemberBOOL{Value: false}) + ")"
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(s.Table),
		Key:       key(orderPK(order.Number), skOrder),
		UpdateExpression: aws.String("SET " + ox.n("refunded") + " = " + ox.n("refunded") + " + " + ox.i(amount.Amount) +
			", " + ox.n("version") + " = " + ox.n("version") + " + " + ox.i(1) +
			", " + ox.n("updated_at") + " = " + ox.v(nowAV)),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  ox.Names(),
		ExpressionAttributeValues: ox.Values(),
	}}
}

// SettleOutside records a staff member's settlement of a request that needs attention: money that
// went back to the client outside the payment provider. One transaction:
//   - moves the request from needs_attention to completed at version (so of two staff actions on
//     one version exactly one stands), releasing the order's open-request lock, with the resume
//     marker opts may add (refund.WithResume) and the audit entry (action "settled_outside");
//   - puts the settlement as refund attempt n of the request (refund.Settlement.SettledRecord), only
//     if n is not taken;
//   - adds the amount to the order's refunded total with ReserveRefund's condition, so refunded ≤ paid
//     holds and later offers count it.
//
// An amount beyond what remains is CodeInvalid naming what remains (the staff member typed it); a
// request no longer at needs_attention/version, or an attempt number taken meanwhile, is
// CodeConflict; an unknown order or request is CodeNotFound.
func (s *Store) SettleOutside(ctx context.Context, id string, version int64, settlement refund.Settlement, n int, audit refund.AuditEntry, opts ...refund.ChangeOption) (refund.RefundRecord, error) {
	if err := validID("request id", id); err != nil {
		return refund.RefundRecord{}, err
	}
	cur, err := s.mustGetRequestItem(ctx, id)
	if err != nil {
		return refund.RefundRecord{}, err
	}
	if err := validRefundKey(cur.OrderNumber, id, n); err != nil {
		return refund.RefundRecord{}, err
	}
	ch := refund.NewChange(opts...)
	if err := ch.Validate(); err != nil {
		return refund.RefundRecord{}, err
	}
	from, to := refund.StatusNeedsAttention, refund.StatusCompleted
	audit.From, audit.To, audit.Version = from, to, version+1
	audit, err = s.prepareAudit(audit, id, "settled_outside")
	if err != nil {
		return refund.RefundRecord{}, err
	}
	for attempt := 1; ; attempt++ {
		order, err := s.GetOrder(ctx, cur.OrderNumber)
		if err != nil {
			return refund.RefundRecord{}, err
		}
		if err := settlement.Validate(order); err != nil {
			// Another action on the request may have moved the ledger first: that is the conflict.
			if r, gerr := s.GetRequest(ctx, id); gerr == nil && (r.Status != from || r.Version != version) {
				return refund.RefundRecord{}, s.explainChange(ctx, id, from, to, version, ch)
			}
			return refund.RefundRecord{}, err
		}
		now := s.now()
		rec := settlement.SettledRecord(order, id, n, now)
		update, err := s.statusUpdate(id, from, to, version, now, ch)
		if err != nil {
			return refund.RefundRecord{}, err
		}
		auditPut, err := s.auditPut(audit)
		if err != nil {
			return refund.RefundRecord{}, err
		}
		recItem, err := marshal(refundItem{PK: orderPK(order.Number), SK: refundSK(id, n), RefundRecord: rec})
		if err != nil {
			return refund.RefundRecord{}, fmt.Errorf("encode settlement %s: %w", rec.IdempotencyKey, err)
		}
		nowAV, err := marshalValue(now)
		if err != nil {
			return refund.RefundRecord{}, fmt.Errorf("encode time: %w", err)
		}
		items := []types.TransactWriteItem{update, creates(types.Put{TableName: aws.String(s.Table), Item: recItem}),
			s.ledgerAdd(order, rec.Amount, nowAV, false), auditPut, s.releaseLock(order.Number, id)}
		if ch.Resume != nil {
			marker, err := s.resumePut(id, *ch.Resume, now)
			if err != nil {
				return refund.RefundRecord{}, err
			}
			items = append(items, marker)
		}
		err = s.transactReleasing(ctx, items, 4, order.Number, id)
		switch {
		case err == nil:
			return rec, nil
		case failedAt(err, 0):
			return refund.RefundRecord{}, s.explainChange(ctx, id, from, to, version, ch)
		case failedAt(err, 1):
			return refund.RefundRecord{}, conflict("Refund attempt %d of request %s was recorded meanwhile; reload it.", n, id)
		case failedAt(err, 2):
			// A concurrent action on the request may have moved the ledger first: that is the conflict.
			if r, gerr := s.GetRequest(ctx, id); gerr == nil && (r.Status != from || r.Version != version) {
				return refund.RefundRecord{}, s.explainChange(ctx, id, from, to, version, ch)
			}
			now, gerr := s.GetOrder(ctx, cur.OrderNumber)
			if gerr != nil {
				return refund.RefundRecord{}, gerr
			}
			if (now.Paid != order.Paid || now.Currency != order.Currency || now.Refunded != order.Refunded || now.ChargedBack != order.ChargedBack) && attempt < 3 {
				continue // the order changed meanwhile: check again
			}
			if err := settlement.Validate(now); err != nil {
				return refund.RefundRecord{}, err
			}
			return refund.RefundRecord{}, conflict("Order %s changed meanwhile; reload the request and try again.", cur.OrderNumber)
		default:
			return refund.RefundRecord{}, fmt.Errorf("settle request %s outside: %w", id, err)
		}
	}
}

// CompleteRefund records that the provider confirmed refund attempt n, with the provider's refund id.
// It is idempotent: completing again with the same provider id returns the record. Completing an
// attempt that failed, or completing with a different provider id, is CodeConflict; an attempt that
// was never reserved is CodeNotFound. It is a single conditional write (no transaction): the ledger
// already counted the amount at reservation.
func (s *Store) CompleteRefund(ctx context.Context, orderNumber, requestID string, n int, providerRefundID string) (refund.RefundRecord, error) {
	if err := validRefundKey(orderNumber, requestID, n); err != nil {
		return refund.RefundRecord{}, err
	}
	if providerRefundID == "" || len(providerRefundID) > maxKeyPartLen {
		return refund.RefundRecord{}, fmt.Errorf("complete refund %s: the provider refund id is required", refund.RefundIdempotencyKey(requestID, n))
	}
	nowAV, err := marshalValue(s.now())
	if err != nil {
		return refund.RefundRecord{}, fmt.Errorf("encode time: %w", err)
	}
	x := &expr{}
	pid := x.s(providerRefundID)
	update := "SET " + x.n("state") + " = " + x.s(string(refund.RefundSucceeded)) + ", " + x.n("provider_refund_id") + " = " + pid +
		", " + x.n("updated_at") + " = " + x.v(nowAV)
	cond := "attribute_exists(" + x.n(AttrPK) + ") AND (" + x.n("state") + " = " + x.s(string(refund.RefundReserved)) +
		" OR (" + x.n("state") + " = " + x.s(string(refund.RefundSucceeded)) + " AND " + x.n("provider_refund_id") + " = " + pid + "))"
	out, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.Table),
		Key:                       key(orderPK(orderNumber), refundSK(requestID, n)),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
		ReturnValues:              types.ReturnValueAllNew,
	})
	if isConditionFailed(err) {
		r, ok, gerr := s.getRefund(ctx, orderNumber, requestID, n)
		switch {
		case gerr != nil:
			return refund.RefundRecord{}, gerr
		case !ok:
			return refund.RefundRecord{}, notFound("Refund attempt %d of request %s was never reserved.", n, requestID)
		case r.State == refund.RefundFailed:
			return refund.RefundRecord{}, conflict("Refund attempt %d of request %s was released after a failure and cannot complete.", n, requestID)
		default:
			return refund.RefundRecord{}, conflict("Refund attempt %d of request %s already completed with provider refund %s.", n, requestID, r.ProviderRefundID)
		}
	}
	if err != nil {
		return refund.RefundRecord{}, fmt.Errorf("complete refund %s: %w", refund.RefundIdempotencyKey(requestID, n), err)
	}
	var it refundItem
	if err := unmarshal(out.Attributes, &it); err != nil {
		return refund.RefundRecord{}, fmt.Errorf("decode refund %s: %w", refund.RefundIdempotencyKey(requestID, n), err)
	}
	return it.RefundRecord, nil
}

// FailRefund records that the provider refused refund attempt n for good and releases its amount from
// the order's ledger, in one transaction. Call it only when the provider's answer is a definite
// refusal: after a timeout or a 5xx the refund may have happened, so retry with the same idempotency
// key instead. Failing again is a no-op; failing an attempt that succeeded is CodeConflict; an attempt
// that was never reserved is CodeNotFound.
func (s *Store) FailRefund(ctx context.Context, orderNumber, requestID string, n int, reason string) error {
	if err := validRefundKey(orderNumber, requestID, n); err != nil {
		return err
	}
	rec, ok, err := s.getRefund(ctx, orderNumber, requestID, n)
	switch {
	case err != nil:
		return err
	case !ok:
		return notFound("Refund attempt %d of request %s was never reserved.", n, requestID)
	case rec.State == refund.RefundFailed:
		return nil
	case rec.State == refund.RefundSucceeded:
		return conflict("Refund attempt %d of request %s succeeded at the provider and cannot be released.", n, requestID)
	}
	nowAV, err := marshalValue(s.now())
	if err != nil {
		return fmt.Errorf("encode time: %w", err)
	}
	rx := &expr{}
	mark := types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(s.Table),
		Key:       key(orderPK(orderNumber), refundSK(requestID, n)),
		UpdateExpression: aws.String("SET " + rx.n("state") + " = " + rx.s(string(refund.RefundFailed)) +
			", " + rx.n("failure_reason") + " = " + rx.s(refund.Truncate(reason, refund.MaxAuditDetail)) +
			", " + rx.n("updated_at") + " = " + rx.v(nowAV)),
		ConditionExpression:       aws.String(rx.n("state") + " = " + rx.s(string(refund.RefundReserved))),
		ExpressionAttributeNames:  rx.Names(),
		ExpressionAttributeValues: rx.Values(),
	}}
	ox := &expr{}
	release := types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(s.Table),
		Key:       key(orderPK(orderNumber), skOrder),
		UpdateExpression: aws.String("SET " + ox.n("refunded") + " = " + ox.n("refunded") + " - " + ox.i(rec.Amount.Amount) +
			", " + ox.n("version") + " = " + ox.n("version") + " + " + ox.i(1) +
			", " + ox.n("updated_at") + " = " + ox.v(nowAV)),
		ConditionExpression:       aws.String(ox.n("refunded") + " >= " + ox.i(rec.Amount.Amount)),
		ExpressionAttributeNames:  ox.Names(),
		ExpressionAttributeValues: ox.Values(),
	}}
	err = s.transact(ctx, []types.TransactWriteItem{mark, release})
	switch {
	case err == nil:
		return nil
	case failedAt(err, 0):
		cur, _, gerr := s.getRefund(ctx, orderNumber, requestID, n)
		if gerr != nil {
			return gerr
		}
		if cur.State == refund.RefundFailed {
			return nil // failed concurrently by another try
		}
		return conflict("Refund attempt %d of request %s succeeded at the provider and cannot be released.", n, requestID)
	default:
		return fmt.Errorf("release refund %s on order %s: %w", rec.IdempotencyKey, orderNumber, err)
	}
}

// ListOrderRefunds returns every refund attempt on the order, by request and attempt number.
func (s *Store) ListOrderRefunds(ctx context.Context, orderNumber string) ([]refund.RefundRecord, error) {
	if err := validID("order number", orderNumber); err != nil {
		return nil, err
	}
	items, err := s.queryAll(ctx, orderPK(orderNumber), prefixRefund, 100_000)
	if err != nil {
		return nil, fmt.Errorf("list refunds of order %s: %w", orderNumber, err)
	}
	out, err := decodeItems(items, "refund of order "+orderNumber, func(it refundItem) refund.RefundRecord { return it.RefundRecord })
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].RequestID != out[j].RequestID {
			return out[i].RequestID < out[j].RequestID
		}
		return out[i].N < out[j].N
	})
	return out, nil
}

// creditItem is the stored form of a refund.Credit.
type creditItem struct {
	PK string `json:"PK"`
	SK string `json:"SK"`
	refund.Credit
}

// PutCredit records the credit a request granted (one per request). Recording the same credit again
// (same offer, amount and end date) is fine, so a retried step succeeds; a different credit for the
// same request is CodeConflict.
func (s *Store) PutCredit(ctx context.Context, c refund.Credit) error {
	if err := validID("order number", c.OrderNumber); err != nil {
		return err
	}
	if err := validID("request id", c.RequestID); err != nil {
		return err
	}
	if err := validID("offer id", c.OfferID); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	c.CreatedAt = c.CreatedAt.UTC()
	item, err := marshal(creditItem{PK: orderPK(c.OrderNumber), SK: prefixCredit + c.RequestID, Credit: c})
	if err != nil {
		return fmt.Errorf("encode credit for request %s: %w", c.RequestID, err)
	}
	exists, err := s.create(ctx, creates(types.Put{TableName: aws.String(s.Table), Item: item}))
	if exists {
		cur, gerr := s.GetCredit(ctx, c.OrderNumber, c.RequestID)
		if gerr != nil {
			return gerr
		}
		if cur.Same(c) {
			return nil
		}
		return conflict("Request %s already granted a different credit (%s until %s).", c.RequestID, cur.Amount, cur.ValidUntil)
	}
	if err != nil {
		return fmt.Errorf("put credit for request %s: %w", c.RequestID, err)
	}
	return nil
}

// ListOrderCredits returns every credit granted on the order, by request (the rules subtract them
// from later offers, refund.WithCredits).
func (s *Store) ListOrderCredits(ctx context.Context, orderNumber string) ([]refund.Credit, error) {
	if err := validID("order number", orderNumber); err != nil {
		return nil, err
	}
	items, err := s.queryAll(ctx, orderPK(orderNumber), prefixCredit, 100_000)
	if err != nil {
		return nil, fmt.Errorf("list credits of order %s: %w", orderNumber, err)
	}
	return decodeItems(items, "credit of order "+orderNumber, func(it creditItem) refund.Credit { return it.Credit })
}

// GetCredit returns the credit a request granted on an order, or CodeNotFound.
func (s *Store) GetCredit(ctx context.Context, orderNumber, requestID string) (refund.Credit, error) {
	if err := validID("order number", orderNumber); err != nil {
		return refund.Credit{}, err
	}
	if err := validID("request id", requestID); err != nil {
		return refund.Credit{}, err
	}
	it, ok, err := getOne[creditItem](ctx, s, orderPK(orderNumber), prefixCredit+requestID, "credit of request "+requestID)
	if err == nil && !ok {
		err = notFound("No credit was granted by request %s.", requestID)
	}
	return it.Credit, err
}
