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
}

// GetOrder returns the order with this number (compared without regard to case), or a CodeNotFound
// error.
func (s *Store) GetOrder(ctx context.Context, number string) (refund.Order, error) {
	if err := validID("order number", number); err != nil {
		return refund.Order{}, err
	}
	o, _, err := s.getOrderItem(ctx, number)
	if err != nil {
		return refund.Order{}, err
	}
	if o == nil {
		return refund.Order{}, notFound("Order %s was not found.", number)
	}
	return *o, nil
}

// getOrderItem reads an order and the time of its last change; nil when there is none.
func (s *Store) getOrderItem(ctx context.Context, number string) (*refund.Order, time.Time, error) {
	item, err := s.getItem(ctx, orderPK(number), skOrder)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("get order %s: %w", number, err)
	}
	if item == nil {
		return nil, time.Time{}, nil
	}
	var o orderItem
	if err := unmarshal(item, &o); err != nil {
		return nil, time.Time{}, fmt.Errorf("decode order %s: %w", number, err)
	}
	return &o.Order, o.UpdatedAt, nil
}

// PutOrder stores an order from the billing system and returns it as stored.
//
// With o.Version == 0 it creates the order (version 1, o.Refunded as the opening ledger balance);
// if the order exists it returns CodeConflict naming the current version. With o.Version == n it
// updates the order that is at version n (CodeConflict otherwise, CodeNotFound if there is none) and
// bumps the version. An update never writes Refunded: after creation the ledger belongs to
// ReserveRefund/FailRefund, and the returned order carries the stored value. An update that would set
// Paid below what is already refunded, or change the currency once something is refunded, is a
// CodeConflict. The order is validated first (CodeInvalid with field messages).
func (s *Store) PutOrder(ctx context.Context, o refund.Order) (refund.Order, error) {
	expected := o.Version
	if expected == 0 {
		o.Version = 1
	}
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
	item, err := marshal(orderItem{PK: orderPK(o.Number), SK: skOrder, Order: o, UpdatedAt: now})
	if err != nil {
		return refund.Order{}, fmt.Errorf("encode order %s: %w", o.Number, err)
	}
	x := &expr{}
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.Table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(" + x.n(AttrPK) + ")"),
		ExpressionAttributeNames: x.Names(),
	})
	if isConditionFailed(err) {
		cur, updated, gerr := s.getOrderItem(ctx, o.Number)
		if gerr != nil {
			return refund.Order{}, gerr
		}
		if cur == nil {
			return refund.Order{}, conflict("Order %s already exists; send its current version to update it.", o.Number)
		}
		if updated.Equal(now) && reflect.DeepEqual(*cur, o) {
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
	cond := x.n("version") + " = " + x.i(expected) +
		" AND " + x.n("refunded") + " <= " + x.i(o.Paid) +
		" AND (" + x.n("currency") + " = " + x.s(o.Currency) + " OR " + x.n("refunded") + " = " + x.i(0) + ")"
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
		cur, gerr := s.GetOrder(ctx, o.Number)
		switch {
		case gerr != nil:
			return refund.Order{}, gerr // not found, or a read failure
		case cur.Version != expected:
			return refund.Order{}, conflict("Order %s has changed since version %d; it is now at version %d.", o.Number, expected, cur.Version)
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
