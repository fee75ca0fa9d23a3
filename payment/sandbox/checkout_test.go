package sandbox_test

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/payment"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

// A payment taken at the sandbox is reported by LookupPayment as a provider reports it: captured or
// not, its amount, 3-D Secure or not, the card, and what was refunded since.
func TestTakePaymentAndLookUp(t *testing.T) {
	ctx := context.Background()
	db, table := newTable(t)
	g := sandbox.New(db, table)
	for _, tt := range []struct {
		name string
		c    sandbox.Checkout
		want refund.PaymentFacts
	}{
		{"captured with 3-D Secure", sandbox.Checkout{Amount: eur(180000)},
			refund.PaymentFacts{Captured: true, Amount: eur(180000), ThreeDSecure: true, CardLast4: sandbox.DefaultCardLast4}},
		{"another card", sandbox.Checkout{Amount: refund.Money{Amount: 5000, Currency: "JPY"}, CardLast4: "0005"},
			refund.PaymentFacts{Captured: true, Amount: refund.Money{Amount: 5000, Currency: "JPY"}, ThreeDSecure: true, CardLast4: "0005"}},
		{"authorised only", sandbox.Checkout{Amount: eur(100), AuthorizeOnly: true},
			refund.PaymentFacts{Amount: eur(100), ThreeDSecure: true, CardLast4: sandbox.DefaultCardLast4}},
		{"without 3-D Secure", sandbox.Checkout{Amount: eur(100), WithoutThreeDSecure: true},
			refund.PaymentFacts{Captured: true, Amount: eur(100), CardLast4: sandbox.DefaultCardLast4}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			taken, err := g.TakePayment(ctx, tt.c)
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(`^pi_sbx_[0-9a-f]{24}$`).MatchString(taken.Reference) {
				t.Errorf("reference %q, want pi_sbx_ and 24 hex digits", taken.Reference)
			}
			want := tt.want
			want.Provider, want.Reference = sandbox.Provider, taken.Reference
			if taken != want {
				t.Errorf("TakePayment = %+v, want %+v", taken, want)
			}
			got, err := g.LookupPayment(ctx, taken.Reference)
			if err != nil || got != want {
				t.Errorf("LookupPayment = %+v, %v; want %+v", got, err, want)
			}
		})
	}

	// Refunds show in the lookup; an uncaptured payment cannot be refunded.
	taken, err := g.TakePayment(ctx, sandbox.Checkout{Amount: eur(10000)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Refund(ctx, payment.RefundRequest{PaymentReference: taken.Reference, Amount: eur(2500), IdempotencyKey: "k-1"}); err != nil {
		t.Fatal(err)
	}
	if got, err := g.LookupPayment(ctx, taken.Reference); err != nil || got.Refunded != 2500 {
		t.Errorf("refunded after a refund = %d, %v; want 2500", got.Refunded, err)
	}
	auth, err := g.TakePayment(ctx, sandbox.Checkout{Amount: eur(10000), AuthorizeOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.Refund(ctx, payment.RefundRequest{PaymentReference: auth.Reference, Amount: eur(100), IdempotencyKey: "k-2"})
	if got := declinedCode(err); got != sandbox.CodeNotCaptured {
		t.Errorf("refund of an uncaptured payment: %v (code %q), want declined %s", err, got, sandbox.CodeNotCaptured)
	}

	// Unknown and malformed references are not found; nothing is read for a malformed one.
	for _, ref := range []string{"pi_nobody", "", "pi with space", "pi_\x00"} {
		if _, err := g.LookupPayment(ctx, ref); !errors.Is(err, payment.ErrPaymentNotFound) {
			t.Errorf("LookupPayment(%q) = %v, want ErrPaymentNotFound", ref, err)
		}
	}
}

// The same reference again is a no-op with the same checkout and an error with another one; Capture
// is TakePayment with the defaults.
func TestTakePaymentAgain(t *testing.T) {
	ctx := context.Background()
	db, table := newTable(t)
	g := sandbox.New(db, table)
	c := sandbox.Checkout{Reference: "pi_demo_1", Amount: eur(5000)}
	first, err := g.TakePayment(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := g.TakePayment(ctx, c); err != nil || again != first {
		t.Errorf("the same checkout again = %+v, %v; want %+v", again, err, first)
	}
	if err := g.Capture(ctx, "pi_demo_1", eur(5000)); err != nil {
		t.Errorf("Capture of the same payment: %v", err)
	}
	for _, other := range []sandbox.Checkout{
		{Reference: "pi_demo_1", Amount: eur(5001)},
		{Reference: "pi_demo_1", Amount: eur(5000), WithoutThreeDSecure: true},
		{Reference: "pi_demo_1", Amount: eur(5000), CardLast4: "1111"},
	} {
		if _, err := g.TakePayment(ctx, other); err == nil {
			t.Errorf("TakePayment(%+v) over another payment succeeded", other)
		}
	}
	for _, bad := range []sandbox.Checkout{
		{Amount: eur(0)},
		{Amount: refund.Money{Amount: 1234, Currency: "KWD"}}, // Stripe takes dinars in steps of 0.010
		{Amount: eur(100), CardLast4: "42"},
	} {
		if _, err := g.TakePayment(ctx, bad); err == nil {
			t.Errorf("TakePayment(%+v) succeeded", bad)
		}
	}
}

// A payment item written before the card facts were kept came from Capture, a captured 3-D Secure
// payment: that is how it is reported.
func TestLookUpPaymentWrittenBeforeCardFacts(t *testing.T) {
	ctx := context.Background()
	db, table := newTable(t)
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "SANDBOX#pi_old"}, "SK": &types.AttributeValueMemberS{Value: "PAYMENT"},
		"captured": &types.AttributeValueMemberN{Value: "1000"}, "currency": &types.AttributeValueMemberS{Value: "EUR"},
		"refunded": &types.AttributeValueMemberN{Value: "0"}, "createdAt": &types.AttributeValueMemberS{Value: "2026-01-01T00:00:00Z"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := sandbox.New(db, table).LookupPayment(ctx, "pi_old")
	want := refund.PaymentFacts{Provider: sandbox.Provider, Reference: "pi_old", Captured: true, Amount: eur(1000), ThreeDSecure: true}
	if err != nil || got != want {
		t.Errorf("LookupPayment = %+v, %v; want %+v", got, err, want)
	}
	// The demo orders' checkout finds it the same payment (a stack restarted on a table an older one
	// left), whatever card it names; another amount is still another payment.
	g := sandbox.New(db, table)
	if _, err := g.TakePayment(ctx, sandbox.Checkout{Reference: "pi_old", Amount: eur(1000), CardLast4: "1117"}); err != nil {
		t.Errorf("the same checkout over the old payment: %v", err)
	}
	if _, err := g.TakePayment(ctx, sandbox.Checkout{Reference: "pi_old", Amount: eur(1001)}); err == nil {
		t.Error("another amount over the old payment succeeded")
	}
}
