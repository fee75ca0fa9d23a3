// Package sandbox is a payment provider stand-in for demos, the local stack and tests. It behaves like a
// real provider where the refund workflow can tell the difference: captured payments, refunds that are
// idempotent on their key (the same key and parameters return the same refund, the same key with other
// parameters is refused), never more refunded in total than was captured, and failures on demand.
//
// Its state lives in the application's DynamoDB table, through the real *dynamodb.Client, so it
// survives process restarts and is shared by every Lambda instance:
//
//	PK=SANDBOX#<paymentRef>  SK=PAYMENT                  captured amount, currency, refunded so far
//	PK=SANDBOX#<paymentRef>  SK=REFUND#<idempotencyKey>  one issued refund
//	PK=SANDBOXKEY#<key>      SK=KEY                      the idempotency key's claim (keys are global,
//	                                                     as at Stripe, not per payment)
//
// A refund is one TransactWriteItems: claim the key, record the refund, and raise the payment's refunded
// total under the condition that it stays within the captured amount. DynamoDB decides every race.
//
// The sandbox counts in the domain's ISO 4217 minor units, but it takes only the amounts Stripe can
// refund (payment.UnitFor applies Stripe's currency rules to the sandbox too): a refund of KWD 1.234 or
// of MGA 100.50 is refused with CodeInvalidRequest, as the Stripe adapter refuses it before calling
// Stripe. Staging and the local stack then round offers and refuse amounts exactly as production does.
//
// Its errors follow payment's rule: a *payment.PaymentDeclined only when nothing was refunded under
// the idempotency key (every refusal comes after the key was found unused, or before anything could
// be sent), a *payment.PaymentOutcomeUnknown when the key was used with other parameters or an
// injected FaultUnauthorized refuses the call, a *payment.PaymentUnavailable otherwise.
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/payment"
	"refundflow/payment/checkout"
	"refundflow/refund"
)

// Provider is the name the sandbox reports in errors and expects in refund.Payment.Provider.
const Provider = "sandbox"

// Fault is a failure the sandbox can be told to produce on its next calls.
type Fault string

// The faults FailNext can inject.
const (
	// FaultUnavailable fails the call with *payment.PaymentUnavailable before anything is recorded, like
	// a provider that is down.
	FaultUnavailable Fault = "unavailable"
	// FaultTimeoutAfterSuccess records the refund and then fails with *payment.PaymentUnavailable, like
	// a response lost on the way back. A retry with the same key must return the recorded refund, not
	// make a second one.
	FaultTimeoutAfterSuccess Fault = "timeout_after_success"
	// FaultDeclined fails a call with a new idempotency key with *payment.PaymentDeclined (code
	// CodeDeclined), recording nothing. A call with a key used before gets that key's saved answer
	// instead, as at Stripe, where a key's answer is replayed whatever the call would get now; the
	// fault is used up either way. So a decline always means that nothing was refunded under the key.
	FaultDeclined Fault = "declined"
	// FaultUnauthorized fails the call with *payment.PaymentOutcomeUnknown (code CodeUnauthorized),
	// recording nothing, like a provider that refuses the API key during a key rotation: the call
	// says nothing about a refund an earlier call with the same key may have made.
	FaultUnauthorized Fault = "unauthorized"
	// FaultPending makes the refund pending instead of succeeded, as a provider that has accepted a
	// refund and not finished it yet (SucceedRefund or FailRefund finishes it).
	FaultPending Fault = "pending"
)

// CodeDisputed is the PaymentDeclined code of a refund of a payment whose dispute blocks refunds
// (open, or lost), Stripe's code for it.
const CodeDisputed = "charge_disputed"

// CodeUnauthorized is the PaymentOutcomeUnknown code of an injected FaultUnauthorized.
const CodeUnauthorized = "sandbox_unauthorized"

// CodeDeclined is the PaymentDeclined code of an injected FaultDeclined.
const CodeDeclined = "sandbox_declined"

// Gateway is the sandbox provider. It implements payment.Gateway. Its fault queue is per value, so tests
// running in parallel each use their own Gateway (they may share the table).
type Gateway struct {
	db    tableOps
	table string

	// Now stamps refunds and events; nil means the wall clock. The local stack and the tests pass
	// their clocks, so events follow time travel.
	Now func() time.Time
	// Changed, when set, is called after each change that recorded events, so whoever delivers them
	// (the local stack's delivery loop, which calls Deliver) can send them at once, as Stripe sends
	// them within seconds. It must not block. The gateway itself never delivers: the refund call of
	// ExecuteResolution stays one write, with no webhook call and no outbox permissions in its path.
	Changed func()

	mu     sync.Mutex
	faults []Fault
}

var _ payment.Gateway = (*Gateway)(nil)

// New returns a sandbox gateway keeping its state in table through db.
func New(db *dynamodb.Client, table string) *Gateway {
	return &Gateway{db: opsOf(db), table: table}
}

// tableOps are the DynamoDB operations the sandbox calls, as method values of its client. The
// Gateway goes into interfaces (payment.Gateway), and a *dynamodb.Client in a field of it would keep
// all of the client's ~60 operations in every binary that also runs templates (their reflection
// keeps each exported method of such types): 0.5 MB of code and more of types in StaffApi.
type tableOps struct {
	GetItem            func(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem            func(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem         func(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem         func(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query              func(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems func(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// NewCheckout returns a sandbox gateway for a sandbox deployment's checkout (SandboxPayments): it
// takes payments, reads them back and does what a person does at the provider (Act), recording the
// events, but delivers none. It holds the table's GetItem, PutItem, Query and TransactWriteItems and
// no other operation, so the function links, and is granted, no more. Its other methods fail with an
// error naming the operation it lacks.
func NewCheckout(db *dynamodb.Client, table string) *Gateway {
	ops := withoutOps()
	ops.GetItem, ops.PutItem, ops.Query, ops.TransactWriteItems = db.GetItem, db.PutItem, db.Query, db.TransactWriteItems
	return &Gateway{db: ops, table: table}
}

// NewOutbox returns a sandbox gateway that only delivers the recorded events (Deliver, MarkDelivered,
// PendingEvents): it holds the table's Query, UpdateItem and DeleteItem and no other operation, so a
// function built with it (a sandbox deployment's SandboxEvents) links, and is granted, no more. Its
// other methods fail with an error naming the operation it lacks.
func NewOutbox(db *dynamodb.Client, table string) *Gateway {
	ops := withoutOps()
	ops.Query, ops.UpdateItem, ops.DeleteItem = db.Query, db.UpdateItem, db.DeleteItem
	return &Gateway{db: ops, table: table}
}

// withoutOps returns table operations that each fail, for the narrow gateways to fill in.
func withoutOps() tableOps {
	return tableOps{GetItem: lacking[dynamodb.GetItemInput, dynamodb.GetItemOutput]("GetItem"),
		PutItem:            lacking[dynamodb.PutItemInput, dynamodb.PutItemOutput]("PutItem"),
		UpdateItem:         lacking[dynamodb.UpdateItemInput, dynamodb.UpdateItemOutput]("UpdateItem"),
		DeleteItem:         lacking[dynamodb.DeleteItemInput, dynamodb.DeleteItemOutput]("DeleteItem"),
		Query:              lacking[dynamodb.QueryInput, dynamodb.QueryOutput]("Query"),
		TransactWriteItems: lacking[dynamodb.TransactWriteItemsInput, dynamodb.TransactWriteItemsOutput]("TransactWriteItems")}
}

// lacking is a table operation a narrow gateway does not hold.
func lacking[I, O any](name string) func(context.Context, *I, ...func(*dynamodb.Options)) (*O, error) {
	return func(context.Context, *I, ...func(*dynamodb.Options)) (*O, error) {
		return nil, fmt.Errorf("this sandbox gateway was built without DynamoDB's %s", name)
	}
}

func opsOf(c *dynamodb.Client) tableOps {
	return tableOps{GetItem: c.GetItem, PutItem: c.PutItem, UpdateItem: c.UpdateItem, DeleteItem: c.DeleteItem,
		Query: c.Query, TransactWriteItems: c.TransactWriteItems}
}

// FailNext makes the next n calls to Refund fail with fault, after any faults already queued.
func (g *Gateway) FailNext(n int, fault Fault) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := 0; i < n; i++ {
		g.faults = append(g.faults, fault)
	}
}

// nextFault takes the next queued fault, "" if there is none.
func (g *Gateway) nextFault() Fault {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.faults) == 0 {
		return ""
	}
	f := g.faults[0]
	g.faults = g.faults[1:]
	return f
}

// Attribute names of the sandbox items.
const (
	attrPK         = "PK"
	attrSK         = "SK"
	attrCaptured   = "captured"
	attrRefunded   = "refunded"
	attrCurrency   = "currency"
	attrAmount     = "amount"
	attrRefundID   = "refundId"
	attrPaymentRef = "paymentRef"
	attrRequestID  = "requestId"
	attrKey        = "idempotencyKey"
	attrStatus     = "status"
	attrCreatedAt  = "createdAt"
)

func paymentPK(ref string) string { return "SANDBOX#" + ref }
func keyPK(key string) string     { return "SANDBOXKEY#" + key }

const (
	skPaymentValue = "PAYMENT"
	skRefundPrefix = "REFUND#"
	skKey          = "KEY"
)

func sv(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func nv(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: sv(pk), attrSK: sv(sk)}
}

// Capture records a captured card payment of amount under ref, as the provider would after a
// successful 3-D Secure checkout with the card ending 4242 (TakePayment with Checkout{Reference: ref,
// Amount: amount}). Capturing the same ref again with the same amount is a no-op; with a different
// amount it is an error.
func (g *Gateway) Capture(ctx context.Context, ref string, amount refund.Money) error {
	_, err := g.TakePayment(ctx, Checkout{Reference: ref, Amount: amount})
	return err
}

// paymentItem is the stored state of a payment (checkout.go has the attributes beyond the amounts).
type paymentItem struct {
	captured refund.Money
	refunded int64
	card     cardFacts
}

// payment reads the payment item with a strongly consistent read.
func (g *Gateway) payment(ctx context.Context, ref string) (paymentItem, bool, error) {
	out, err := g.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(g.table),
		Key:            key(paymentPK(ref), skPaymentValue),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return paymentItem{}, false, fmt.Errorf("read sandbox payment: %w", err)
	}
	if out.Item == nil {
		return paymentItem{}, false, nil
	}
	captured, err1 := num(out.Item, attrCaptured)
	refunded, err2 := num(out.Item, attrRefunded)
	cur, err3 := str(out.Item, attrCurrency)
	if err := errors.Join(err1, err2, err3); err != nil {
		return paymentItem{}, false, fmt.Errorf("decode sandbox payment: %w", err)
	}
	return paymentItem{captured: refund.Money{Amount: captured, Currency: cur}, refunded: refunded, card: decodeCard(out.Item)}, true, nil
}

// Refund returns req.Amount to the captured payment req.PaymentReference. See the package comment for
// the guarantees; errors are *payment.PaymentUnavailable or *payment.PaymentDeclined.
func (g *Gateway) Refund(ctx context.Context, req payment.RefundRequest) (payment.Refund, error) {
	if err := req.Validate(); err != nil {
		return payment.Refund{}, &payment.PaymentDeclined{Provider: Provider, Code: payment.CodeInvalidRequest, Message: err.Error()}
	}
	if _, err := payment.UnitFor(Provider, req.Amount.Currency).ToProvider(req.Amount); err != nil {
		return payment.Refund{}, &payment.PaymentDeclined{Provider: Provider, Code: payment.CodeInvalidRequest, Message: err.Error()}
	}
	// Faults that stop a call before the provider looks at the key: the provider is down, or it
	// refuses the API key (at Stripe, authentication comes before the idempotency layer).
	fault := g.nextFault()
	switch fault {
	case FaultUnavailable:
		return payment.Refund{}, &payment.PaymentUnavailable{Provider: Provider, Reason: "injected"}
	case FaultUnauthorized:
		return payment.Refund{}, &payment.PaymentOutcomeUnknown{Provider: Provider, Code: CodeUnauthorized, Message: "The sandbox was told to refuse the API key."}
	}

	// A key used before answers from its record, like Stripe's idempotency layer, which replays the
	// saved answer of a key whatever the call would get now: an injected decline can only refuse a
	// new key, so a declined call never hides a refund made under its key.
	r, found, err := g.replay(ctx, req)
	switch {
	case !found && err == nil && fault == FaultDeclined:
		return payment.Refund{}, &payment.PaymentDeclined{Provider: Provider, Code: CodeDeclined, Message: "The sandbox was told to decline this refund."}
	case !found && err == nil:
		r, err = g.refundWith(ctx, req, fault == FaultPending)
	}
	if err != nil {
		return payment.Refund{}, err
	}
	if fault == FaultTimeoutAfterSuccess {
		return payment.Refund{}, &payment.PaymentUnavailable{Provider: Provider, Reason: "timeout",
			Err: errors.New("injected: the refund was recorded but the response was lost")}
	}
	return r, nil
}

// refund is Refund without fault injection: a key used before answers from its record, a new one
// makes a succeeded refund.
func (g *Gateway) refund(ctx context.Context, req payment.RefundRequest) (payment.Refund, error) {
	if r, found, err := g.replay(ctx, req); err != nil || found {
		return r, err
	}
	return g.refundWith(ctx, req, false)
}

// refundWith makes a new refund, pending or succeeded, under a key that replay found unused, and
// records its events.
func (g *Gateway) refundWith(ctx context.Context, req payment.RefundRequest, pending bool) (payment.Refund, error) {
	pay, found, err := g.payment(ctx, req.PaymentReference)
	if err != nil {
		return payment.Refund{}, unavailable("storage", err)
	}
	if !found {
		return payment.Refund{}, declined(payment.CodePaymentNotFound, "No captured payment has this reference.")
	}
	if !pay.card.captured() {
		return payment.Refund{}, declined(CodeNotCaptured, "The payment was authorised but never captured: no money was taken, so none can be refunded.")
	}
	if d, ok, err := g.disputeOf(ctx, req.PaymentReference); err != nil {
		return payment.Refund{}, unavailable("storage", err)
	} else if ok && (!d.Status.Closed() || d.Status == refund.DisputeLost) {
		return payment.Refund{}, declined(CodeDisputed, "The payment has been disputed ("+string(d.Status)+"), so it cannot be refunded.")
	}
	if pay.captured.Currency != req.Amount.Currency {
		return payment.Refund{}, declined(payment.CodeCurrencyMismatch,
			fmt.Sprintf("The payment was made in %s, the refund asks for %s.", pay.captured.Currency, req.Amount.Currency))
	}
	// captured is immutable, so "refunded + amount <= captured" becomes "refunded <= captured - amount",
	// a condition DynamoDB can evaluate atomically with the write.
	maxBefore := pay.captured.Amount - req.Amount.Amount
	if maxBefore < 0 {
		return payment.Refund{}, exceeds(pay, req.Amount)
	}

	id, err := newRefundID(req.IdempotencyKey)
	if err != nil {
		return payment.Refund{}, unavailable("storage", err)
	}
	status := payment.StatusSucceeded
	if pending {
		status = payment.StatusPending
	}
	at := g.now()
	st, err := g.Payment(ctx, req.PaymentReference)
	if err != nil {
		return payment.Refund{}, unavailable("storage", err)
	}
	made := Record{Refund: payment.Refund{ID: id, Status: status, Amount: req.Amount}, PaymentReference: req.PaymentReference,
		IdempotencyKey: req.IdempotencyKey, RequestID: req.RequestID, CreatedAt: at}
	evs, err := g.refundEvents(st, made, at)
	if err != nil {
		return payment.Refund{}, unavailable("storage", err)
	}
	now := at.Format(time.RFC3339Nano)
	record := func(pk, sk string) map[string]types.AttributeValue {
		item := key(pk, sk)
		item[attrRefundID] = sv(id)
		item[attrPaymentRef] = sv(req.PaymentReference)
		item[attrAmount] = nv(req.Amount.Amount)
		item[attrCurrency] = sv(req.Amount.Currency)
		item[attrKey] = sv(req.IdempotencyKey)
		item[attrStatus] = sv(string(status))
		item[attrCreatedAt] = sv(now)
		if req.RequestID != "" {
			item[attrRequestID] = sv(req.RequestID)
		}
		return item
	}
	_, err = g.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: append([]types.TransactWriteItem{
			{Put: &types.Put{
				TableName:           aws.String(g.table),
				Item:                record(keyPK(req.IdempotencyKey), skKey),
				ConditionExpression: aws.String("attribute_not_exists(PK)"),
			}},
			{Put: &types.Put{
				TableName:           aws.String(g.table),
				Item:                record(paymentPK(req.PaymentReference), skRefundPrefix+req.IdempotencyKey),
				ConditionExpression: aws.String("attribute_not_exists(PK)"),
			}},
			{Update: &types.Update{
				TableName:           aws.String(g.table),
				Key:                 key(paymentPK(req.PaymentReference), skPaymentValue),
				UpdateExpression:    aws.String("SET refunded = refunded + :amt"),
				ConditionExpression: aws.String("attribute_exists(PK) AND currency = :cur AND refunded <= :max"),
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":amt": nv(req.Amount.Amount), ":cur": sv(req.Amount.Currency), ":max": nv(maxBefore),
				},
			}},
		}, g.eventPuts(evs...)...),
	})
	var tce *types.TransactionCanceledException
	switch {
	case err == nil:
		g.sendSoon(ctx)
		return made.Refund, nil
	case errors.As(err, &tce):
		reasons := tce.CancellationReasons
		if len(reasons) < 3 {
			return payment.Refund{}, unavailable("conflict", err)
		}
		if conditionFailed(reasons[0]) || conditionFailed(reasons[1]) {
			// A concurrent call with the same key won the race: answer from its record.
			if r, found, err := g.replay(ctx, req); err != nil || found {
				return r, err
			}
			return payment.Refund{}, unavailable("conflict", errors.New("idempotency key claimed but not readable yet"))
		}
		if conditionFailed(reasons[2]) {
			latest, _, rerr := g.payment(ctx, req.PaymentReference)
			if rerr != nil {
				return payment.Refund{}, unavailable("storage", rerr)
			}
			return payment.Refund{}, exceeds(latest, req.Amount)
		}
		// Cancelled for another reason (TransactionConflict with a concurrent transaction on the same
		// items, throttling): nothing was written, so a retry is safe.
		return payment.Refund{}, unavailable("conflict", err)
	default:
		return payment.Refund{}, unavailable("storage", err)
	}
}

// replay answers a request whose idempotency key was already used: the stored refund if the parameters
// match, a PaymentOutcomeUnknown with CodeIdempotencyMismatch if they do not (a refund exists under the
// key, so this is no refusal). found is false for a new key.
func (g *Gateway) replay(ctx context.Context, req payment.RefundRequest) (payment.Refund, bool, error) {
	out, err := g.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(g.table),
		Key:            key(keyPK(req.IdempotencyKey), skKey),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return payment.Refund{}, false, unavailable("storage", fmt.Errorf("read idempotency key: %w", err))
	}
	if out.Item == nil {
		return payment.Refund{}, false, nil
	}
	rec, err := decodeRecord(out.Item)
	if err != nil {
		return payment.Refund{}, false, unavailable("storage", err)
	}
	if rec.PaymentReference != req.PaymentReference || rec.Refund.Amount != req.Amount || rec.RequestID != req.RequestID {
		return payment.Refund{}, true, &payment.PaymentOutcomeUnknown{Provider: Provider, Code: payment.CodeIdempotencyMismatch,
			Message: "This idempotency key was already used for a refund with different parameters."}
	}
	return rec.Refund, true, nil
}

// conditionFailed reports whether a transaction item was cancelled by its condition expression.
func conditionFailed(r types.CancellationReason) bool {
	return aws.ToString(r.Code) == "ConditionalCheckFailed"
}

func unavailable(reason string, err error) error {
	return &payment.PaymentUnavailable{Provider: Provider, Reason: reason, Err: err}
}

func declined(code, msg string) error {
	return &payment.PaymentDeclined{Provider: Provider, Code: code, Message: msg}
}

func exceeds(p paymentItem, amount refund.Money) error {
	left := refund.Money{Amount: p.captured.Amount - p.refunded, Currency: p.captured.Currency}
	return declined(payment.CodeExceedsRefundable,
		fmt.Sprintf("A refund of %s would exceed what is left of the captured %s (%s).", amount, p.captured, left))
}

// refundIDKey encodes an idempotency key into a refund id: base32 (extended hex alphabet, lower
// case, no padding), so the id keeps to letters, digits and underscores like a provider's.
var refundIDKey = base32.HexEncoding.WithPadding(base32.NoPadding)

// newRefundID returns a random refund id shaped like a provider's: "re_sbx_", 24 hex digits, "_" and
// the refund's idempotency key encoded (refundIDKey). Carrying the key lets RefundRequestID find the
// refund's record with one read of the key's item, where a lookup item keyed by the id would cost a
// write on every refund. A key too long for the id to stay within payment.MaxKeyLen is left out (its
// refund cannot be looked up by id).
func newRefundID(idempotencyKey string) (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate refund id: %w", err)
	}
	id := "re_sbx_" + hex.EncodeToString(b[:])
	if enc := strings.ToLower(refundIDKey.EncodeToString([]byte(idempotencyKey))); idempotencyKey != "" && len(id)+1+len(enc) <= payment.MaxKeyLen {
		id += "_" + enc
	}
	return id, nil
}

// RefundRequestID returns the request ID of the sandbox refund refundID (payment.Gateway): it reads
// the record of the idempotency key the id carries (newRefundID) and checks that the record is of
// this refund. An id that carries no key, or whose key's record is of another refund, is
// payment.ErrRefundNotFound; a storage failure, a *payment.PaymentUnavailable.
func (g *Gateway) RefundRequestID(ctx context.Context, refundID string) (string, error) {
	notFound := fmt.Errorf("sandbox refund %q: %w", refundID, payment.ErrRefundNotFound)
	rest, ok := strings.CutPrefix(refundID, "re_sbx_")
	if !ok || len(rest) < 26 || rest[24] != '_' {
		return "", notFound
	}
	k, err := refundIDKey.DecodeString(strings.ToUpper(rest[25:]))
	if err != nil || len(k) == 0 {
		return "", notFound
	}
	out, err := g.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(g.table),
		Key:            key(keyPK(string(k)), skKey),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return "", unavailable("storage", fmt.Errorf("read idempotency key: %w", err))
	}
	if out.Item == nil {
		return "", notFound
	}
	rec, err := decodeRecord(out.Item)
	if err != nil {
		return "", unavailable("storage", err)
	}
	if rec.Refund.ID != refundID {
		return "", notFound
	}
	return rec.RequestID, nil
}

// Record is one refund as the sandbox stored it.
type Record struct {
	// Refund is what Refund returned for it.
	Refund payment.Refund
	// PaymentReference, IdempotencyKey and RequestID are the request's parameters.
	PaymentReference string
	IdempotencyKey   string
	RequestID        string
	// FailureReason is the reason a refund that failed later failed with (FailRefund).
	FailureReason string
	// CreatedAt is when the refund was recorded.
	CreatedAt time.Time
}

// Dashboard reports whether the refund was made at the "dashboard" (DashboardRefund), outside
// Refundflow: its events carry no idempotency key of Refundflow's.
func (r Record) Dashboard() bool { return strings.HasPrefix(r.IdempotencyKey, dashboardPrefix) }

// State is everything the sandbox knows about one payment, for assertions and the local stack's pages.
type State struct {
	// Reference is the payment reference.
	Reference string
	// Captured is the amount captured.
	Captured refund.Money
	// Refunded is the running total the sandbox keeps on the payment item.
	Refunded refund.Money
	// Refunds lists the refunds in idempotency-key order.
	Refunds []Record
}

// ErrNoPayment is returned by Payment for a reference that was never captured.
var ErrNoPayment = checkout.ErrNoPayment

// Payment returns the state of the payment ref, read consistently: the payment item and every refund
// recorded against it. It returns ErrNoPayment if ref was never captured.
func (g *Gateway) Payment(ctx context.Context, ref string) (State, error) {
	st := State{Reference: ref}
	var start map[string]types.AttributeValue
	found := false
	for {
		out, err := g.db.Query(ctx, &dynamodb.QueryInput{
			TableName:              aws.String(g.table),
			KeyConditionExpression: aws.String("PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": sv(paymentPK(ref)),
			},
			ConsistentRead:    aws.Bool(true),
			ExclusiveStartKey: start,
		})
		if err != nil {
			return State{}, fmt.Errorf("query sandbox payment %q: %w", ref, err)
		}
		for _, item := range out.Items {
			sk, _ := str(item, attrSK)
			switch {
			case sk == skPaymentValue:
				captured, err1 := num(item, attrCaptured)
				refunded, err2 := num(item, attrRefunded)
				cur, err3 := str(item, attrCurrency)
				if err := errors.Join(err1, err2, err3); err != nil {
					return State{}, fmt.Errorf("decode sandbox payment %q: %w", ref, err)
				}
				st.Captured = refund.Money{Amount: captured, Currency: cur}
				st.Refunded = refund.Money{Amount: refunded, Currency: cur}
				found = true
			case strings.HasPrefix(sk, skRefundPrefix):
				rec, err := decodeRecord(item)
				if err != nil {
					return State{}, fmt.Errorf("decode sandbox refund %q: %w", sk, err)
				}
				st.Refunds = append(st.Refunds, rec)
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		start = out.LastEvaluatedKey
	}
	if !found {
		return State{}, fmt.Errorf("sandbox payment %q: %w", ref, ErrNoPayment)
	}
	return st, nil
}

// decodeRecord reads a refund record or key claim item.
func decodeRecord(item map[string]types.AttributeValue) (Record, error) {
	id, e1 := str(item, attrRefundID)
	ref, e2 := str(item, attrPaymentRef)
	amt, e3 := num(item, attrAmount)
	cur, e4 := str(item, attrCurrency)
	k, e5 := str(item, attrKey)
	status, e6 := str(item, attrStatus)
	created, e7 := str(item, attrCreatedAt)
	if err := errors.Join(e1, e2, e3, e4, e5, e6, e7); err != nil {
		return Record{}, fmt.Errorf("decode sandbox refund: %w", err)
	}
	reqID, _ := str(item, attrRequestID) // optional
	failure, _ := str(item, attrFailure) // only on failed refunds
	at, err := time.Parse(time.RFC3339Nano, created)
	if err != nil {
		return Record{}, fmt.Errorf("decode sandbox refund time: %w", err)
	}
	return Record{
		Refund:           payment.Refund{ID: id, Status: payment.RefundStatus(status), Amount: refund.Money{Amount: amt, Currency: cur}},
		PaymentReference: ref,
		IdempotencyKey:   k,
		RequestID:        reqID,
		FailureReason:    failure,
		CreatedAt:        at,
	}, nil
}

func str(item map[string]types.AttributeValue, name string) (string, error) {
	v, ok := item[name].(*types.AttributeValueMemberS)
	if !ok {
		return "", fmt.Errorf("attribute %s: missing or not a string", name)
	}
	return v.Value, nil
}

func num(item map[string]types.AttributeValue, name string) (int64, error) {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("attribute %s: missing or not a number", name)
	}
	i, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("attribute %s: %w", name, err)
	}
	return i, nil
}
