package dynamo

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/refund"
)

// orderItem is the stored form of an order. Paid and Refunded (inside refund.Order) are the refund
// ledger of the order's one payment; Version counts every change, including ledger changes.
type orderItem struct {
	PK string `json:"PK"`
	SK string `json:"SK"`
	refund.Order
	UpdatedAt time.Time `json:"updated_at"`
	// ClosedBy is the request whose execution cancelled the order or refunded it fully (CloseOrder);
	// the billing system cannot make such an order active again.
	ClosedBy string `json:"closed_by,omitempty"`
	// DisputeBlocks mirrors Order.Dispute.BlocksRefunds() (RecordDispute) as a top-level attribute,
	// so ReserveRefund's condition can read it.
	DisputeBlocks bool `json:"dispute_blocks,omitempty"`
	// GSI1PK and GSI1SK index the order by its payment reference (OrdersByPayment); empty when the
	// order has none.
	GSI1PK string `json:"GSI1PK,omitempty"`
	GSI1SK string `json:"GSI1SK,omitempty"`
}

// GetOrder returns the order with this number (compared without regard to case), or a CodeNotFound
// error.
func (s *Store) GetOrder(ctx context.Context, number string) (refund.Order, error) {
	if err := validID("order number", number); err != nil {
		return refund.Order{}, err
	}
	it, err := s.getOrderItem(ctx, number)
	if err != nil {
		return refund.Order{}, err
	}
	if it == nil {
		return refund.Order{}, notFound("Order %s was not found.", number)
	}
	return it.Order, nil
}

// getOrderItem reads an order item (with the time of its last change and who closed it); nil when
// there is none.
func (s *Store) getOrderItem(ctx context.Context, number string) (*orderItem, error) {
	o, ok, err := getOne[orderItem](ctx, s, orderPK(number), skOrder, "order "+number)
	if err != nil || !ok {
		return nil, err
	}
	return &o, nil
}

// PutOrder stores an order from the billing system and returns it as stored.
//
// With o.Version == 0 it creates the order (version 1, o.Refunded as the opening ledger balance);
// if the order exists it returns CodeConflict naming the current version. With o.Version == n it
// updates the order that is at version n (CodeConflict otherwise, CodeNotFound if there is none) and
// bumps the version. An update never writes Refunded: after creation the ledger belongs to
// ReserveRefund/FailRefund (and the provider's reports, ApplyProviderRefund), and the returned order
// carries the stored value. Nor does it write Dispute, which only the provider's events record
// (RecordDispute): a dispute the billing system sends is not taken. An update that would set
// Paid below what is already refunded, or change the currency once something is refunded, is a
// CodeConflict. An update that would make an order active again after Refundflow cancelled it or
// refunded it fully (CloseOrder) is a CodeConflict naming the field status: a stale record from the
// billing system must not undo what a request's execution recorded (a new purchase is a new order).
// The order is validated first (CodeInvalid with field messages).
func (s *Store) PutOrder(ctx context.Context, o refund.Order) (refund.Order, error) {
	expected := o.Version
	if expected == 0 {
		o.Version = 1
	}
	// Only the provider's events record a dispute and what a lost one gave back (RecordDispute); the
	// billing system's copy of them, if it sends one, is not taken.
	o.Dispute, o.ChargedBack = nil, 0
	if err := o.Validate(); err != nil {
		return refund.Order{}, err
	}
	now := s.now()
	if expected == 0 {
		return s.createOrder(ctx, o, now)
	}
	return s.updateOrder(ctx, o, expected, now)
}

func (s *Store) createOrder(ctx context.Context, o refund.Order, now time.Time) (refund.Order, error) {
	it := orderItem{PK: orderPK(o.Number), SK: skOrder, Order: o, UpdatedAt: now}
	if o.Payment.Reference != "" {
		it.GSI1PK, it.GSI1SK = gsi1Payment(o.Payment.Reference, o.Number)
	}
	item, err := marshal(it)
	if err != nil {
		return refund.Order{}, fmt.Errorf("encode order %s: %w", o.Number, err)
	}
	exists, err := s.create(ctx, creates(types.Put{TableName: aws.String(s.Table), Item: item}))
	if exists {
		cur, gerr := s.getOrderItem(ctx, o.Number)
		if gerr != nil {
			return refund.Order{}, gerr
		}
		if cur == nil {
			return refund.Order{}, conflict("Order %s already exists; send its current version to update it.", o.Number)
		}
		if cur.UpdatedAt.Equal(now) && reflect.DeepEqual(cur.Order, o) {
			return o, nil // an SDK retry of a write that succeeded found its own item
		}
		return refund.Order{}, conflict("Order %s already exists at version %d; send that version to update it.", o.Number, cur.Version)
	}
	if err != nil {
		return refund.Order{}, fmt.Errorf("create order %s: %w", o.Number, err)
	}
	return o, nil
}

func (s *Store) updateOrder(ctx context.Context, o refund.Order, expected int64, now time.Time) (refund.Order, error) {
	x := &expr{}
	set := func(attr string, v any) (string, error) {
		av, err := marshalValue(v)
		if err != nil {
			return "", fmt.Errorf("encode order %s field %s: %w", o.Number, attr, err)
		}
		return x.n(attr) + " = " + x.v(av), nil
	}
	fields := []struct {
		attr string
		v    any
	}{
		{"number", o.Number}, {"customer_name", o.CustomerName}, {"email", o.Email},
		{"purchase_date", o.PurchaseDate}, {"currency", o.Currency}, {"paid", o.Paid},
		{"payment", o.Payment}, {"status", o.Status}, {"disputed", o.Disputed},
		{"service", o.Service}, {"updated_at", now},
	}
	update := "SET "
	for i, f := range fields {
		part, err := set(f.attr, f.v)
		if err != nil {
			return refund.Order{}, err
		}
		if i > 0 {
			update += ", "
		}
		update += part
	}
	update += ", " + x.n("version") + " = " + x.n("version") + " + " + x.i(1)
	if o.Payment.Reference != "" {
		gpk, gsk := gsi1Payment(o.Payment.Reference, o.Number)
		update += ", " + x.n(AttrGSI1PK) + " = " + x.s(gpk) + ", " + x.n(AttrGSI1SK) + " = " + x.s(gsk)
	} else {
		update += " REMOVE " + x.n(AttrGSI1PK) + ", " + x.n(AttrGSI1SK)
	}
	cond := x.n("version") + " = " + x.i(expected) +
		" AND " + x.n("refunded") + " <= " + x.i(o.Paid) +
		" AND (" + x.n("currency") + " = " + x.s(o.Currency) + " OR " + x.n("refunded") + " = " + x.i(0) + ")"
	if o.Status == refund.OrderActive {
		cond += " AND attribute_not_exists(" + x.n("closed_by") + ")"
	}
	out, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.Table),
		Key:                       key(orderPK(o.Number), skOrder),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
		ReturnValues:              types.ReturnValueAllNew,
	})
	if isConditionFailed(err) {
		it, gerr := s.getOrderItem(ctx, o.Number)
		if gerr == nil && it == nil {
			gerr = notFound("Order %s was not found.", o.Number)
		}
		var cur refund.Order
		if it != nil {
			cur = it.Order
		}
		switch {
		case gerr != nil:
			return refund.Order{}, gerr // not found, or a read failure
		case cur.Version != expected:
			return refund.Order{}, conflict("Order %s has changed since version %d; it is now at version %d.", o.Number, expected, cur.Version)
		case it.ClosedBy != "" && o.Status == refund.OrderActive:
			msg := fmt.Sprintf("is %s: request %s settled the order, so it cannot become active again; send status %s (a new purchase is a new order)",
				cur.Status, it.ClosedBy, cur.Status)
			return refund.Order{}, &refund.Error{Code: refund.CodeConflict, Fields: refund.FieldErrors{"status": msg},
				Message: fmt.Sprintf("Order %s was %s by request %s and cannot become active again.", o.Number, closedWord(cur.Status), it.ClosedBy)}
		case cur.Refunded > o.Paid:
			return refund.Order{}, conflict("Order %s already has %s refunded, more than the new paid amount.", o.Number, refund.Money{Amount: cur.Refunded, Currency: cur.Currency})
		default:
			return refund.Order{}, conflict("The currency of order %s cannot change after a refund.", o.Number)
		}
	}
	if err != nil {
		return refund.Order{}, fmt.Errorf("update order %s: %w", o.Number, err)
	}
	var stored orderItem
	if err := unmarshal(out.Attributes, &stored); err != nil {
		return refund.Order{}, fmt.Errorf("decode order %s: %w", o.Number, err)
	}
	return stored.Order, nil
}

// closedWord says how an order was closed, for messages.
func closedWord(s refund.OrderStatus) string {
	if s == refund.OrderFullyRefunded {
		return "fully refunded"
	}
	return "cancelled"
}

// CloseOrder records the billing status a request's execution leaves its order in, cancelled or
// fully refunded, if the order is still at version (CodeConflict otherwise, so the caller reads
// again; CodeNotFound for an unknown order), bumping the version. It remembers the request, so that
// an update from the billing system cannot make the order active again (PutOrder). It returns the
// order as stored.
//
// The close is recorded even when the order already has the status (the billing system cancelled it
// first): the status alone does not protect what the request granted, the request's name does. It
// is idempotent: closing an order that this request already closed with this status changes nothing
// (not even the version) and returns the order as stored, so a retried step does not bump the
// version under the billing system.
func (s *Store) CloseOrder(ctx context.Context, number string, version int64, status refund.OrderStatus, requestID string) (refund.Order, error) {
	if err := validID("order number", number); err != nil {
		return refund.Order{}, err
	}
	if err := validID("request id", requestID); err != nil {
		return refund.Order{}, err
	}
	if status != refund.OrderCancelled && status != refund.OrderFullyRefunded {
		return refund.Order{}, fmt.Errorf("close order %s: status must be cancelled or fully_refunded, not %q", number, status)
	}
	nowAV, err := marshalValue(s.now())
	if err != nil {
		return refund.Order{}, fmt.Errorf("encode time: %w", err)
	}
	x := &expr{}
	out, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table),
		Key:       key(orderPK(number), skOrder),
		UpdateExpression: aws.String("SET " + x.n("status") + " = " + x.s(string(status)) + ", " + x.n("closed_by") + " = " + x.s(requestID) +
			", " + x.n("updated_at") + " = " + x.v(nowAV) + ", " + x.n("version") + " = " + x.n("version") + " + " + x.i(1)),
		ConditionExpression: aws.String(x.n("version") + " = " + x.i(version) +
			" AND NOT (" + x.n("closed_by") + " = " + x.s(requestID) + " AND " + x.n("status") + " = " + x.s(string(status)) + ")"),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
		ReturnValues:              types.ReturnValueAllNew,
	})
	if isConditionFailed(err) {
		cur, gerr := s.getOrderItem(ctx, number)
		switch {
		case gerr != nil:
			return refund.Order{}, gerr
		case cur == nil:
			return refund.Order{}, notFound("Order %s was not found.", number)
		case cur.ClosedBy == requestID && cur.Status == status:
			return cur.Order, nil // closed by this request already
		}
		return refund.Order{}, conflict("Order %s has changed since version %d; it is now at version %d.", number, version, cur.Version)
	}
	if err != nil {
		return refund.Order{}, fmt.Errorf("close order %s: %w", number, err)
	}
	var stored orderItem
	if err := unmarshal(out.Attributes, &stored); err != nil {
		return refund.Order{}, fmt.Errorf("decode order %s: %w", number, err)
	}
	return stored.Order, nil
}
