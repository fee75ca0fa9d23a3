package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/payment"
	"refundflow/payment/checkout"
	"refundflow/refund"
)

// Taking payments: the sandbox's stand-in for a checkout at the provider, and the lookup the order
// route makes of every order's payment (payment.Gateway's LookupPayment). The payment item keeps,
// beside the amounts, what a provider reports about the card payment:
//
//	PK=SANDBOX#<paymentRef>  SK=PAYMENT  ... status ("succeeded" or "requires_capture"),
//	                                     threeDSecure ("authenticated" or "not_authenticated"),
//	                                     cardLast4

// Attribute names and values of the card facts on the payment item (its status is attrStatus).
const (
	attrThreeDSecure = "threeDSecure"
	attrCardLast4    = "cardLast4"

	statusSucceeded       = "succeeded"
	statusRequiresCapture = "requires_capture"
	threeDSAuthenticated  = "authenticated"
	threeDSNone           = "not_authenticated"
)

// CodeNotCaptured is the PaymentDeclined code of a refund of a payment that was never captured.
const CodeNotCaptured = "payment_not_captured"

// DefaultCardLast4 is the card a Checkout uses when it names none: Stripe's test Visa.
const DefaultCardLast4 = checkout.DefaultCardLast4

// Checkout is a card payment as a checkout at the provider leaves it (package checkout, whose JSON
// the local stack and a sandbox deployment take).
type Checkout = checkout.Checkout

// cardFacts are what the payment item says about the card payment beyond its amounts.
type cardFacts struct {
	status, threeDS, last4 string
}

func (c cardFacts) captured() bool { return c.status == statusSucceeded }

// same reports whether a stored payment's card facts are the checkout's. A payment Capture stored
// before the card was kept has no last four digits: it is the same payment whatever card the
// checkout names, so that demo orders load again into a table an older stack left.
func (c cardFacts) same(checkout cardFacts) bool {
	return c.status == checkout.status && c.threeDS == checkout.threeDS && (c.last4 == "" || c.last4 == checkout.last4)
}

// decodeCard reads the card facts of a payment item. An item written before they were kept came from
// Capture, which always stood for a captured 3-D Secure payment, so that is what a missing attribute
// means.
func decodeCard(item map[string]types.AttributeValue) cardFacts {
	c := cardFacts{status: statusSucceeded, threeDS: threeDSAuthenticated}
	if v, err := str(item, attrStatus); err == nil {
		c.status = v
	}
	if v, err := str(item, attrThreeDSecure); err == nil {
		c.threeDS = v
	}
	if v, err := str(item, attrCardLast4); err == nil {
		c.last4 = v
	}
	return c
}

// InvalidCheckoutError is TakePayment's error for a checkout the sandbox refuses (checkout.InvalidError).
type InvalidCheckoutError = checkout.InvalidError

// TakePayment records a card payment as a checkout at the provider leaves it and returns what
// LookupPayment will report about it. Taking a payment under a reference that exists with the same
// amount and options is a no-op (so the demo orders can be loaded again); with others it is an error.
func (g *Gateway) TakePayment(ctx context.Context, c Checkout) (refund.PaymentFacts, error) {
	if c.Reference == "" {
		ref, err := newPaymentRef()
		if err != nil {
			return refund.PaymentFacts{}, err
		}
		c.Reference = ref
	}
	if c.CardLast4 == "" {
		c.CardLast4 = DefaultCardLast4
	}
	probe := payment.RefundRequest{PaymentReference: c.Reference, Amount: c.Amount, IdempotencyKey: "checkout"}
	if err := probe.Validate(); err != nil {
		return refund.PaymentFacts{}, &checkout.InvalidError{Err: fmt.Errorf("take sandbox payment %q: %w", c.Reference, err)}
	}
	if _, err := payment.UnitFor(Provider, c.Amount.Currency).ToProvider(c.Amount); err != nil {
		return refund.PaymentFacts{}, &checkout.InvalidError{Err: fmt.Errorf("take sandbox payment %q: %w", c.Reference, err)}
	}
	if !validLast4(c.CardLast4) {
		return refund.PaymentFacts{}, &checkout.InvalidError{Err: fmt.Errorf("take sandbox payment %q: the card's last four digits must be four digits, not %q", c.Reference, c.CardLast4)}
	}
	card := cardFacts{status: statusSucceeded, threeDS: threeDSAuthenticated, last4: c.CardLast4}
	if c.AuthorizeOnly {
		card.status = statusRequiresCapture
	}
	if c.WithoutThreeDSecure {
		card.threeDS = threeDSNone
	}
	item := key(paymentPK(c.Reference), skPaymentValue)
	item[attrCaptured] = nv(c.Amount.Amount)
	item[attrCurrency] = sv(c.Amount.Currency)
	item[attrRefunded] = nv(0)
	item[attrCreatedAt] = sv(time.Now().UTC().Format(time.RFC3339Nano))
	item[attrStatus] = sv(card.status)
	item[attrThreeDSecure] = sv(card.threeDS)
	item[attrCardLast4] = sv(card.last4)
	_, err := g.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(g.table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		existing, found, gerr := g.payment(ctx, c.Reference)
		if gerr != nil {
			return refund.PaymentFacts{}, fmt.Errorf("take sandbox payment %q: %w", c.Reference, gerr)
		}
		if found && existing.captured == c.Amount && existing.card.same(card) {
			return existing.facts(c.Reference), nil
		}
		return refund.PaymentFacts{}, &checkout.InvalidError{Err: fmt.Errorf("take sandbox payment %q: a payment of %s with other details has this reference", c.Reference, existing.captured)}
	}
	if err != nil {
		return refund.PaymentFacts{}, fmt.Errorf("take sandbox payment %q: %w", c.Reference, err)
	}
	return paymentItem{captured: c.Amount, card: card}.facts(c.Reference), nil
}

// LookupPayment reports the payment ref as a provider would (payment.Gateway): payment.ErrPaymentNotFound
// for a reference never taken, a *payment.PaymentUnavailable when the table cannot be read.
func (g *Gateway) LookupPayment(ctx context.Context, ref string) (refund.PaymentFacts, error) {
	if !validRef(ref) {
		return refund.PaymentFacts{}, fmt.Errorf("sandbox payment %q: %w", ref, payment.ErrPaymentNotFound)
	}
	pay, found, err := g.payment(ctx, ref)
	if err != nil {
		return refund.PaymentFacts{}, unavailable("storage", err)
	}
	if !found {
		return refund.PaymentFacts{}, fmt.Errorf("sandbox payment %q: %w", ref, payment.ErrPaymentNotFound)
	}
	return pay.facts(ref), nil
}

// facts turns a stored payment into what a provider reports about it.
func (p paymentItem) facts(ref string) refund.PaymentFacts {
	return refund.PaymentFacts{Provider: Provider, Reference: ref, Captured: p.card.captured(), Amount: p.captured,
		Refunded: p.refunded, ThreeDSecure: p.card.threeDS == threeDSAuthenticated, CardLast4: p.card.last4}
}

// validRef reports whether ref has the shape of a payment reference (what RefundRequest.Validate
// accepts), so a key is never built from anything else.
func validRef(ref string) bool {
	return payment.RefundRequest{PaymentReference: ref, Amount: refund.Money{Amount: 1, Currency: "EUR"}, IdempotencyKey: "lookup"}.Validate() == nil
}

func validLast4(s string) bool {
	if len(s) != 4 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// newPaymentRef returns a new payment reference shaped like a Stripe PaymentIntent's.
func newPaymentRef() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate payment reference: %w", err)
	}
	return "pi_sbx_" + hex.EncodeToString(b[:]), nil
}
