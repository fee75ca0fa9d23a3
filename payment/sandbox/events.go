package sandbox

// The sandbox's events: like Stripe, the sandbox tells what happens to a payment after the refund
// call through events in Stripe's format (the same JSON, signed the same way, sent to the same
// route: POST /webhooks/stripe), so every path of the provider events can be tried without Stripe.
//
// Each change records its events in the same transaction as the change itself, so no event is lost:
//
//	PK=SANDBOX#<paymentRef>  SK=EVENT#<time>#<id>  the event: type, payload, when it was delivered
//	PK=SANDBOXOUTBOX         SK=<time>#<id>        an event still to deliver: payload, attempts, next try
//	PK=SANDBOX#<paymentRef>  SK=DISPUTE            the payment's dispute
//
// Deliver sends what is due, oldest first, to an Endpoint, signed with the endpoint's secret, and
// retries what the endpoint refused with a growing delay, as Stripe does. The changes a person can
// make by hand (the local tools page) are here too: fail a refund later, let a pending refund
// succeed, refund from the "dashboard" (without Refundflow's idempotency key), open and close a
// dispute.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"

	"refundflow/payment"
	"refundflow/payment/checkout"
	"refundflow/refund"
)

const (
	outboxPK          = "SANDBOXOUTBOX"
	skEventPrefix     = "EVENT#"
	skDispute         = "DISPUTE"
	attrEventID       = "eventId"
	attrType          = "type"
	attrPayload       = "payload"
	attrDelivered     = "deliveredAt"
	attrAttempts      = "attempts"
	attrNextAttempt   = "nextAttempt"
	attrFailure       = "failureReason"
	attrReason        = "reason"
	attrDisputeID     = "disputeId"
	sortTimeLayout    = "2006-01-02T15:04:05.000000000Z"
	dashboardPrefix   = "dashboard_"
	maxDeliveryBackup = time.Hour
)

// Event is one event the sandbox made.
type Event struct {
	// ID is the event's id ("evt_sbx_..."), Type Stripe's event type.
	ID, Type string
	// PaymentReference is the payment the event is about.
	PaymentReference string
	// Created is when it was made, on the sandbox's clock.
	Created time.Time
	// Payload is the event's JSON body, as it is sent.
	Payload []byte
	// Delivered is when an endpoint acknowledged it (zero until then).
	Delivered time.Time

	// at is the event's place in its partitions: its creation time to the nanosecond and its id.
	at string
}

// place returns the event's place in its partitions ("<time>#<id>").
func (e Event) place() string {
	if e.at != "" {
		return e.at
	}
	return e.Created.UTC().Format(sortTimeLayout) + "#" + e.ID
}

// now returns the sandbox's clock reading in UTC.
func (g *Gateway) now() time.Time {
	if g.Now != nil {
		return g.Now().UTC()
	}
	return time.Now().UTC()
}

// randomID returns prefix and 24 random hex digits, shaped like a provider's ids.
func randomID(prefix string) (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate an id: %w", err)
	}
	return prefix + hex.EncodeToString(b[:]), nil
}

// stripeAmount converts an amount to Stripe's unit for its currency, as the events carry it.
func stripeAmount(m refund.Money) int64 {
	v, err := payment.UnitFor(Provider, m.Currency).ToProvider(m)
	if err != nil {
		return m.Amount // every amount the sandbox stores passed ToProvider once
	}
	return v
}

// chargeID is the id of the one charge of a sandbox payment.
func chargeID(ref string) string { return "ch_sbx_" + strings.TrimPrefix(ref, "pi_") }

// refundJSON is a refund in Stripe's format.
func refundJSON(r Record, failure string) map[string]any {
	metadata := map[string]string{}
	if !r.Dashboard() {
		metadata["idempotency_key"] = r.IdempotencyKey
		if r.RequestID != "" {
			metadata["request_id"] = r.RequestID
		}
	}
	obj := map[string]any{
		"id": r.Refund.ID, "object": "refund", "amount": stripeAmount(r.Refund.Amount),
		"currency": strings.ToLower(r.Refund.Amount.Currency), "charge": chargeID(r.PaymentReference),
		"payment_intent": r.PaymentReference, "status": string(r.Refund.Status), "metadata": metadata,
		"reason": "requested_by_customer", "created": r.CreatedAt.Unix(),
	}
	if failure != "" {
		obj["failure_reason"] = failure
	}
	return obj
}

// chargeJSON is the payment's charge in Stripe's format, listing its refunds (as Stripe did before
// API version 2022-11-15, so the reader's path for listed refunds is exercised too).
func chargeJSON(st State, failures map[string]string) map[string]any {
	var list []map[string]any
	for _, r := range st.Refunds {
		list = append(list, refundJSON(r, failures[r.Refund.ID]))
	}
	return map[string]any{
		"id": chargeID(st.Reference), "object": "charge", "amount": stripeAmount(st.Captured),
		"amount_refunded": stripeAmount(st.Refunded), "currency": strings.ToLower(st.Captured.Currency),
		"payment_intent": st.Reference, "refunded": st.Refunded.Amount == st.Captured.Amount,
		"refunds": map[string]any{"object": "list", "data": list, "has_more": false},
	}
}

// Dispute is a dispute on a sandbox payment.
type Dispute struct {
	ID, Reason string
	Status     refund.DisputeStatus
	Amount     refund.Money
	Created    time.Time
}

// disputeJSON is a dispute in Stripe's format.
func disputeJSON(ref string, d Dispute) map[string]any {
	return map[string]any{
		"id": d.ID, "object": "dispute", "amount": stripeAmount(d.Amount), "currency": strings.ToLower(d.Amount.Currency),
		"charge": chargeID(ref), "payment_intent": ref, "reason": d.Reason, "status": string(d.Status),
		"created": d.Created.Unix(), "is_charge_refundable": false, "livemode": false,
	}
}

// newEvent makes an event of type typ about object, created now.
func newEvent(typ, ref string, object any, now time.Time) (Event, error) {
	id, err := randomID("evt_sbx_")
	if err != nil {
		return Event{}, err
	}
	body, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "api_version": stripe.APIVersion, "created": now.Unix(), "livemode": false,
		"pending_webhooks": 1, "type": typ, "data": map[string]any{"object": object},
	})
	if err != nil {
		return Event{}, fmt.Errorf("encode %s event: %w", typ, err)
	}
	return Event{ID: id, Type: typ, PaymentReference: ref, Created: now, Payload: body}, nil
}

// eventPuts returns the transaction items that record events: the event under its payment and its
// entry in the outbox, due at once.
func (g *Gateway) eventPuts(evs ...Event) []types.TransactWriteItem {
	var items []types.TransactWriteItem
	for _, e := range evs {
		at := e.place()
		item := key(paymentPK(e.PaymentReference), skEventPrefix+at)
		item[attrEventID] = sv(e.ID)
		item[attrType] = sv(e.Type)
		item[attrPayload] = sv(string(e.Payload))
		item[attrCreatedAt] = sv(e.Created.Format(time.RFC3339Nano))
		outbox := key(outboxPK, at)
		outbox[attrEventID] = sv(e.ID)
		outbox[attrPaymentRef] = sv(e.PaymentReference)
		outbox[attrPayload] = sv(string(e.Payload))
		outbox[attrAttempts] = nv(0)
		outbox[attrNextAttempt] = nv(0)
		items = append(items,
			types.TransactWriteItem{Put: &types.Put{TableName: aws.String(g.table), Item: item}},
			types.TransactWriteItem{Put: &types.Put{TableName: aws.String(g.table), Item: outbox}})
	}
	return items
}

// refundEvents are the events of a refund just made (or made at the "dashboard"): refund.created and
// charge.refunded, with the payment as it is after the refund.
func (g *Gateway) refundEvents(st State, r Record, now time.Time) ([]Event, error) {
	created, err := newEvent(string(stripe.EventTypeRefundCreated), st.Reference, refundJSON(r, ""), now)
	if err != nil {
		return nil, err
	}
	st.Refunds = append(st.Refunds, r)
	st.Refunded.Amount += r.Refund.Amount.Amount
	charge, err := newEvent(string(stripe.EventTypeChargeRefunded), st.Reference, chargeJSON(st, nil), now)
	if err != nil {
		return nil, err
	}
	return []Event{created, charge}, nil
}

// ErrNoRefund is returned for a refund id the sandbox never made.
var ErrNoRefund = checkout.ErrNoRefund

// ErrRefundFinal is returned when a refund's status cannot change any more (failed or canceled), or
// cannot change as asked (only a pending refund succeeds later).
var ErrRefundFinal = checkout.ErrRefundFinal

// findRefund returns the payment's state and its refund with the provider id refundID.
func (g *Gateway) findRefund(ctx context.Context, ref, refundID string) (State, Record, error) {
	st, err := g.Payment(ctx, ref)
	if err != nil {
		return State{}, Record{}, err
	}
	for _, r := range st.Refunds {
		if r.Refund.ID == refundID {
			return st, r, nil
		}
	}
	return State{}, Record{}, fmt.Errorf("refund %s of payment %s: %w", refundID, ref, ErrNoRefund)
}

// FailRefund makes a refund the sandbox accepted fail later, as a bank that sends the money back
// does: its status becomes failed with reason (Stripe's failure_reason, e.g.
// "expired_or_canceled_card"), the payment's refunded total drops by its amount, and the events
// refund.failed and charge.refund.updated are recorded. A refund already failed is ErrRefundFinal.
func (g *Gateway) FailRefund(ctx context.Context, ref, refundID, reason string) error {
	return g.moveRefund(ctx, ref, refundID, payment.RefundStatus(refund.ProviderRefundFailed), reason)
}

// SucceedRefund finishes a pending refund: its status becomes succeeded, and refund.updated is
// recorded. Only a pending refund can; anything else is ErrRefundFinal.
func (g *Gateway) SucceedRefund(ctx context.Context, ref, refundID string) error {
	return g.moveRefund(ctx, ref, refundID, payment.StatusSucceeded, "")
}

// moveRefund changes a refund's status and records its events, in one transaction conditional on the
// status it had.
func (g *Gateway) moveRefund(ctx context.Context, ref, refundID string, to payment.RefundStatus, reason string) error {
	_, r, err := g.findRefund(ctx, ref, refundID)
	if err != nil {
		return err
	}
	from := r.Refund.Status
	failing := to == payment.RefundStatus(refund.ProviderRefundFailed)
	switch {
	case from == payment.RefundStatus(refund.ProviderRefundFailed) || from == payment.RefundStatus(refund.ProviderRefundCanceled):
		return fmt.Errorf("refund %s is %s: %w", refundID, from, ErrRefundFinal)
	case !failing && from != payment.StatusPending:
		return fmt.Errorf("refund %s is %s, not pending: %w", refundID, from, ErrRefundFinal)
	}
	now := g.now()
	r.Refund.Status = to
	var evs []Event
	if failing {
		failed, err := newEvent(string(stripe.EventTypeRefundFailed), ref, refundJSON(r, reason), now)
		if err != nil {
			return err
		}
		updated, err := newEvent(string(stripe.EventTypeChargeRefundUpdated), ref, refundJSON(r, reason), now)
		if err != nil {
			return err
		}
		evs = []Event{failed, updated}
	} else {
		updated, err := newEvent(string(stripe.EventTypeRefundUpdated), ref, refundJSON(r, ""), now)
		if err != nil {
			return err
		}
		evs = []Event{updated}
	}
	set := "SET #status = :to"
	values := map[string]types.AttributeValue{":to": sv(string(to)), ":from": sv(string(from))}
	if reason != "" {
		set += ", failureReason = :reason"
		values[":reason"] = sv(reason)
	}
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName:                 aws.String(g.table),
		Key:                       key(paymentPK(ref), skRefundPrefix+r.IdempotencyKey),
		UpdateExpression:          aws.String(set),
		ConditionExpression:       aws.String("#status = :from"),
		ExpressionAttributeNames:  map[string]string{"#status": attrStatus},
		ExpressionAttributeValues: values,
	}}}
	if failing {
		// A failed refund gives the money back to the merchant's balance: it no longer counts
		// against what the payment can still refund.
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:                 aws.String(g.table),
			Key:                       key(paymentPK(ref), skPaymentValue),
			UpdateExpression:          aws.String("SET refunded = refunded - :amt"),
			ConditionExpression:       aws.String("refunded >= :amt"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":amt": nv(r.Refund.Amount.Amount)},
		}})
	}
	items = append(items, g.eventPuts(evs...)...)
	_, err = g.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		return fmt.Errorf("refund %s changed meanwhile: %w", refundID, ErrRefundFinal)
	}
	if err != nil {
		return fmt.Errorf("move sandbox refund %s to %s: %w", refundID, to, err)
	}
	g.sendSoon(ctx)
	return nil
}

// DashboardRefund refunds amount of the payment as staff would from the provider's dashboard:
// without Refundflow's idempotency key or request, so only the provider's events tell Refundflow. It
// follows the sandbox's rules (never more than captured, not while a dispute blocks refunds) and
// records refund.created and charge.refunded.
func (g *Gateway) DashboardRefund(ctx context.Context, ref string, amount refund.Money) (payment.Refund, error) {
	key, err := randomID(dashboardPrefix)
	if err != nil {
		return payment.Refund{}, err
	}
	return g.refund(ctx, payment.RefundRequest{PaymentReference: ref, Amount: amount, IdempotencyKey: key})
}

// disputeOf reads the payment's dispute; ok is false when it has none.
func (g *Gateway) disputeOf(ctx context.Context, ref string) (Dispute, bool, error) {
	out, err := g.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(g.table), Key: key(paymentPK(ref), skDispute), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Dispute{}, false, fmt.Errorf("read sandbox dispute: %w", err)
	}
	if out.Item == nil {
		return Dispute{}, false, nil
	}
	id, e1 := str(out.Item, attrDisputeID)
	status, e2 := str(out.Item, attrStatus)
	amt, e3 := num(out.Item, attrAmount)
	cur, e4 := str(out.Item, attrCurrency)
	created, e5 := str(out.Item, attrCreatedAt)
	if err := errors.Join(e1, e2, e3, e4, e5); err != nil {
		return Dispute{}, false, fmt.Errorf("decode sandbox dispute: %w", err)
	}
	reason, _ := str(out.Item, attrReason)
	at, err := time.Parse(time.RFC3339Nano, created)
	if err != nil {
		return Dispute{}, false, fmt.Errorf("decode sandbox dispute time: %w", err)
	}
	return Dispute{ID: id, Reason: reason, Status: refund.DisputeStatus(status), Amount: refund.Money{Amount: amt, Currency: cur}, Created: at}, true, nil
}

// DisputeOf returns the payment's dispute, if it has one.
func (g *Gateway) DisputeOf(ctx context.Context, ref string) (Dispute, bool, error) {
	return g.disputeOf(ctx, ref)
}

// ErrDisputeState is returned when a dispute cannot be opened (one is open already) or closed (none
// is open).
var ErrDisputeState = checkout.ErrDisputeState

// OpenDispute opens a dispute (a chargeback) on the payment for its whole captured amount, as the
// client's bank would, with a reason ("fraudulent", "product_not_received", ...): status
// needs_response, and charge.dispute.created recorded. While it is open (and after it is lost) the
// sandbox refuses refunds of the payment (charge_disputed), as Stripe does.
func (g *Gateway) OpenDispute(ctx context.Context, ref, reason string) (Dispute, error) {
	pay, found, err := g.payment(ctx, ref)
	if err != nil {
		return Dispute{}, err
	}
	if !found {
		return Dispute{}, fmt.Errorf("sandbox payment %q: %w", ref, ErrNoPayment)
	}
	if d, ok, err := g.disputeOf(ctx, ref); err != nil {
		return Dispute{}, err
	} else if ok && !d.Status.Closed() {
		return Dispute{}, fmt.Errorf("payment %s already has dispute %s open: %w", ref, d.ID, ErrDisputeState)
	}
	id, err := randomID("dp_sbx_")
	if err != nil {
		return Dispute{}, err
	}
	if reason == "" {
		reason = "fraudulent"
	}
	now := g.now()
	d := Dispute{ID: id, Reason: reason, Status: refund.DisputeNeedsResponse, Amount: pay.captured, Created: now}
	ev, err := newEvent(string(stripe.EventTypeChargeDisputeCreated), ref, disputeJSON(ref, d), now)
	if err != nil {
		return Dispute{}, err
	}
	return d, g.writeDispute(ctx, ref, d, "", ev)
}

// CloseDispute closes the payment's open dispute, won or lost, and records charge.dispute.closed.
func (g *Gateway) CloseDispute(ctx context.Context, ref string, won bool) (Dispute, error) {
	d, ok, err := g.disputeOf(ctx, ref)
	if err != nil {
		return Dispute{}, err
	}
	if !ok || d.Status.Closed() {
		return Dispute{}, fmt.Errorf("payment %s has no open dispute: %w", ref, ErrDisputeState)
	}
	from := string(d.Status)
	d.Status = refund.DisputeLost
	if won {
		d.Status = refund.DisputeWon
	}
	ev, err := newEvent(string(stripe.EventTypeChargeDisputeClosed), ref, disputeJSON(ref, d), g.now())
	if err != nil {
		return Dispute{}, err
	}
	return d, g.writeDispute(ctx, ref, d, from, ev)
}

// writeDispute stores the payment's dispute (conditional on its status being from, or on there being
// none open when from is "") with its event.
func (g *Gateway) writeDispute(ctx context.Context, ref string, d Dispute, from string, ev Event) error {
	item := key(paymentPK(ref), skDispute)
	item[attrDisputeID] = sv(d.ID)
	item[attrStatus] = sv(string(d.Status))
	item[attrReason] = sv(d.Reason)
	item[attrAmount] = nv(d.Amount.Amount)
	item[attrCurrency] = sv(d.Amount.Currency)
	item[attrCreatedAt] = sv(d.Created.Format(time.RFC3339Nano))
	put := &types.Put{TableName: aws.String(g.table), Item: item, ExpressionAttributeNames: map[string]string{"#status": attrStatus}}
	if from == "" {
		put.ConditionExpression = aws.String("attribute_not_exists(PK) OR #status IN (:won, :lost)")
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":won": sv(string(refund.DisputeWon)), ":lost": sv(string(refund.DisputeLost))}
	} else {
		put.ConditionExpression = aws.String("#status = :from")
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":from": sv(from)}
	}
	_, err := g.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: append([]types.TransactWriteItem{{Put: put}}, g.eventPuts(ev)...),
	})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		return fmt.Errorf("the dispute of payment %s changed meanwhile: %w", ref, ErrDisputeState)
	}
	if err != nil {
		return fmt.Errorf("write sandbox dispute of %s: %w", ref, err)
	}
	g.sendSoon(ctx)
	return nil
}

// Events returns the events of one payment, oldest first.
func (g *Gateway) Events(ctx context.Context, ref string) ([]Event, error) {
	items, err := g.query(ctx, paymentPK(ref), skEventPrefix)
	if err != nil {
		return nil, err
	}
	out := make([]Event, 0, len(items))
	for _, item := range items {
		e, err := decodeEvent(item)
		if err != nil {
			return nil, err
		}
		e.PaymentReference = ref
		if at, err := str(item, attrDelivered); err == nil {
			e.Delivered, _ = time.Parse(time.RFC3339Nano, at)
		}
		out = append(out, e)
	}
	return out, nil
}

// PendingEvents returns every event not delivered yet, oldest first, due or not.
func (g *Gateway) PendingEvents(ctx context.Context) ([]Event, error) {
	items, err := g.query(ctx, outboxPK, "")
	if err != nil {
		return nil, err
	}
	out := make([]Event, 0, len(items))
	for _, item := range items {
		e, err := decodeEvent(item)
		if err != nil {
			return nil, err
		}
		e.PaymentReference, _ = str(item, attrPaymentRef)
		out = append(out, e)
	}
	return out, nil
}

// decodeEvent reads an event item (an event under its payment, or an outbox entry).
func decodeEvent(item map[string]types.AttributeValue) (Event, error) {
	id, e1 := str(item, attrEventID)
	payload, e2 := str(item, attrPayload)
	if err := errors.Join(e1, e2); err != nil {
		return Event{}, fmt.Errorf("decode sandbox event: %w", err)
	}
	var head struct {
		Type    string `json:"type"`
		Created int64  `json:"created"`
	}
	if err := json.Unmarshal([]byte(payload), &head); err != nil {
		return Event{}, fmt.Errorf("decode sandbox event %s: %w", id, err)
	}
	sk, _ := str(item, attrSK)
	return Event{ID: id, Type: head.Type, Created: time.Unix(head.Created, 0).UTC(), Payload: []byte(payload),
		at: strings.TrimPrefix(sk, skEventPrefix)}, nil
}

// query reads a whole partition (sort keys starting with prefix), consistently.
func (g *Gateway) query(ctx context.Context, pk, prefix string) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	var start map[string]types.AttributeValue
	for {
		in := &dynamodb.QueryInput{
			TableName:                 aws.String(g.table),
			KeyConditionExpression:    aws.String("PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(pk)},
			ConsistentRead:            aws.Bool(true),
			ExclusiveStartKey:         start,
		}
		if prefix != "" {
			in.KeyConditionExpression = aws.String("PK = :pk AND begins_with(SK, :sk)")
			in.ExpressionAttributeValues[":sk"] = sv(prefix)
		}
		out, err := g.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("query sandbox %s: %w", pk, err)
		}
		items = append(items, out.Items...)
		if len(out.LastEvaluatedKey) == 0 {
			return items, nil
		}
		start = out.LastEvaluatedKey
	}
}

// MarkDelivered records that an endpoint acknowledged event e: it leaves the outbox.
func (g *Gateway) MarkDelivered(ctx context.Context, e Event) error {
	at := e.place()
	if _, err := g.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(g.table), Key: key(outboxPK, at)}); err != nil {
		return fmt.Errorf("take event %s out of the sandbox outbox: %w", e.ID, err)
	}
	_, err := g.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(g.table),
		Key:                       key(paymentPK(e.PaymentReference), skEventPrefix+at),
		UpdateExpression:          aws.String("SET deliveredAt = if_not_exists(deliveredAt, :now)"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": sv(time.Now().UTC().Format(time.RFC3339Nano))},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("mark event %s delivered: %w", e.ID, err)
	}
	return nil
}

// Endpoint is where the sandbox sends its events: the webhook route of a Refundflow and its signing
// secret, as they would be registered at Stripe.
type Endpoint struct {
	// URL is the route, e.g. https://api.example.com/webhooks/stripe.
	URL string
	// Secret is the endpoint's signing secret (the value of the WebhookSecret secret).
	Secret string
	// Client sends the requests; nil means a client with a 10 s timeout.
	Client *http.Client
}

// Sign returns the Stripe-Signature header of payload, signed with secret at t (Stripe's v1 scheme,
// stripe-go's webhook.ComputeSignature).
func Sign(payload []byte, secret string, t time.Time) string {
	return "t=" + strconv.FormatInt(t.Unix(), 10) + ",v1=" + hex.EncodeToString(webhook.ComputeSignature(t, payload, secret))
}

// Delivery counts what one Deliver did.
type Delivery struct {
	// Delivered events were acknowledged (2xx); Refused ones were answered otherwise or not at all
	// and wait for their next try; Waiting ones were not due yet.
	Delivered int `json:"delivered"`
	Refused   int `json:"refused"`
	Waiting   int `json:"waiting"`
}

// Deliver sends every event that is due to the endpoint, oldest first, each signed at the moment it
// is sent (with the wall clock, as the signature's age is checked against the receiver's wall
// clock). An acknowledged event leaves the outbox; a refused one is tried again after a delay that
// grows with each try (up to an hour), as Stripe retries.
func (g *Gateway) Deliver(ctx context.Context, to Endpoint) (Delivery, error) {
	var rep Delivery
	if to.URL == "" || to.Secret == "" {
		return rep, errors.New("deliver sandbox events: the endpoint needs a URL and a secret")
	}
	client := to.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	items, err := g.query(ctx, outboxPK, "")
	if err != nil {
		return rep, err
	}
	for _, item := range items {
		e, err := decodeEvent(item)
		if err != nil {
			return rep, err
		}
		e.PaymentReference, _ = str(item, attrPaymentRef)
		next, _ := num(item, attrNextAttempt)
		if next > time.Now().UnixMilli() {
			rep.Waiting++
			continue
		}
		if status, err := post(ctx, client, to, e.Payload); err == nil && status/100 == 2 {
			if err := g.MarkDelivered(ctx, e); err != nil {
				return rep, err
			}
			rep.Delivered++
			continue
		}
		rep.Refused++
		attempts, _ := num(item, attrAttempts)
		delay := min(time.Duration(1<<min(attempts, 20))*time.Second, maxDeliveryBackup)
		sk, _ := str(item, attrSK)
		_, err = g.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(g.table),
			Key:                       key(outboxPK, sk),
			UpdateExpression:          aws.String("SET attempts = attempts + :one, nextAttempt = :next"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": nv(1), ":next": nv(time.Now().Add(delay).UnixMilli())},
		})
		var ccf *types.ConditionalCheckFailedException
		if err != nil && !errors.As(err, &ccf) {
			return rep, fmt.Errorf("schedule the next try of event %s: %w", e.ID, err)
		}
	}
	return rep, nil
}

// post sends one signed event and returns the answer's status.
func post(ctx context.Context, client *http.Client, to Endpoint, payload []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to.URL, bytes.NewReader(payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks) Refundflow-sandbox")
	req.Header.Set("Stripe-Signature", Sign(payload, to.Secret, time.Now()))
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, nil
}

// sendSoon tells Changed, if set, that events are waiting in the outbox.
func (g *Gateway) sendSoon(context.Context) {
	if g.Changed != nil {
		g.Changed()
	}
}
