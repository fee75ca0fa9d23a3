package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"pgregory.net/rapid"

	"refundflow/dynamo/dynamotest"
	"refundflow/payment"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

// newTable returns a client and a fresh application table (dynamo.TableDefinition, via the
// dynamo/dynamotest harness) on the in-process local DynamoDB (ddblocal). The sandbox writes with
// TransactWriteItems, which dynalite lacks, so these tests use ddblocal even when DYNAMODB_ENDPOINT
// points at dynalite.
func newTable(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	b := dynamotest.Local(t)
	return b.Client, b.Table(t)
}

func eur(minor int64) refund.Money { return refund.Money{Amount: minor, Currency: "EUR"} }

// newGateway returns a sandbox on a fresh table with payment "pi_1" captured for EUR 100.00.
func newGateway(t *testing.T) *sandbox.Gateway {
	t.Helper()
	db, table := newTable(t)
	g := sandbox.New(db, table)
	if err := g.Capture(context.Background(), "pi_1", eur(10000)); err != nil {
		t.Fatalf("capture: %v", err)
	}
	return g
}

func req(key string, amount int64) payment.RefundRequest {
	return payment.RefundRequest{PaymentReference: "pi_1", Amount: eur(amount), IdempotencyKey: key, RequestID: "req-1"}
}

func state(t *testing.T, g *sandbox.Gateway, ref string) sandbox.State {
	t.Helper()
	st, err := g.Payment(context.Background(), ref)
	if err != nil {
		t.Fatalf("payment state: %v", err)
	}
	return st
}

func declinedCode(err error) string {
	var d *payment.PaymentDeclined
	if errors.As(err, &d) {
		return d.Code
	}
	return ""
}

func unknownCode(err error) string {
	var o *payment.PaymentOutcomeUnknown
	if errors.As(err, &o) {
		return o.Code
	}
	return ""
}

func TestRefundRecordsAndReplays(t *testing.T) {
	ctx := context.Background()
	g := newGateway(t)

	first, err := g.Refund(ctx, req("refund:req-1:1", 2500))
	if err != nil {
		t.Fatalf("refund: %v", err)
	}
	if got, want := first.Status, payment.StatusSucceeded; got != want {
		t.Errorf("status = %q, want %q", got, want)
	}
	if got, want := first.Amount, eur(2500); got != want {
		t.Errorf("amount = %v, want %v", got, want)
	}
	if first.ID == "" {
		t.Error("refund has no id")
	}

	// The same key and parameters return the same refund and move no more money.
	again, err := g.Refund(ctx, req("refund:req-1:1", 2500))
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if got, want := again, first; got != want {
		t.Errorf("replay = %+v, want %+v", got, want)
	}
	st := state(t, g, "pi_1")
	if got, want := st.Refunded, eur(2500); got != want {
		t.Errorf("refunded = %v, want %v", got, want)
	}
	if got, want := len(st.Refunds), 1; got != want {
		t.Fatalf("refund records = %d, want %d", got, want)
	}
	rec := st.Refunds[0]
	if got, want := rec.Refund, first; got != want {
		t.Errorf("record = %+v, want %+v", got, want)
	}
	if rec.IdempotencyKey != "refund:req-1:1" || rec.RequestID != "req-1" || rec.PaymentReference != "pi_1" {
		t.Errorf("record parameters = %+v", rec)
	}
}

func TestRefundRefusals(t *testing.T) {
	ctx := context.Background()
	g := newGateway(t)
	if err := g.Capture(ctx, "pi_usd", refund.Money{Amount: 500, Currency: "USD"}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Refund(ctx, req("k-used", 1000)); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		req  payment.RefundRequest
		code string
	}{
		{"unknown payment", payment.RefundRequest{PaymentReference: "pi_nope", Amount: eur(1), IdempotencyKey: "k2"}, payment.CodePaymentNotFound},
		{"other currency", payment.RefundRequest{PaymentReference: "pi_usd", Amount: eur(1), IdempotencyKey: "k3"}, payment.CodeCurrencyMismatch},
		{"more than captured", req("k4", 10001), payment.CodeExceedsRefundable},
		{"more than left", req("k5", 9001), payment.CodeExceedsRefundable},
		{"zero amount", req("k6", 0), payment.CodeInvalidRequest},
		{"negative amount", req("k7", -5), payment.CodeInvalidRequest},
		{"no key", req("", 5), payment.CodeInvalidRequest},
		{"bad currency", payment.RefundRequest{PaymentReference: "pi_1", Amount: refund.Money{Amount: 5, Currency: "eur"}, IdempotencyKey: "k8"}, payment.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := g.Refund(ctx, tt.req)
			if got, want := declinedCode(err), tt.code; got != want {
				t.Errorf("declined code = %q, want %q (err %v)", got, want, err)
			}
		})
	}
	// A key used with other parameters has a refund under it: that is no refusal, which would let the
	// caller release its reservation, but an unknown outcome.
	for _, tt := range []struct {
		name string
		req  payment.RefundRequest
	}{
		{"same key, other amount", req("k-used", 1001)},
		{"same key, other request", payment.RefundRequest{PaymentReference: "pi_1", Amount: eur(1000), IdempotencyKey: "k-used", RequestID: "req-2"}},
		{"same key, other payment", payment.RefundRequest{PaymentReference: "pi_usd", Amount: refund.Money{Amount: 1000, Currency: "EUR"}, IdempotencyKey: "k-used", RequestID: "req-1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := g.Refund(ctx, tt.req)
			if got, want := unknownCode(err), payment.CodeIdempotencyMismatch; got != want || payment.IsDeclined(err) {
				t.Errorf("err = %v, want PaymentOutcomeUnknown(%s)", err, want)
			}
		})
	}
	// None of the refusals moved money: exactly the first refund is recorded.
	st := state(t, g, "pi_1")
	if got, want := st.Refunded, eur(1000); got != want {
		t.Errorf("refunded = %v, want %v", got, want)
	}
	if got, want := len(st.Refunds), 1; got != want {
		t.Errorf("refund records = %d, want %d", got, want)
	}
	if got, want := len(state(t, g, "pi_usd").Refunds), 0; got != want {
		t.Errorf("pi_usd refunds = %d, want %d", got, want)
	}

	// The rest can still be refunded, to the last cent, and not one cent more.
	if _, err := g.Refund(ctx, req("k9", 9000)); err != nil {
		t.Fatalf("refund the rest: %v", err)
	}
	if _, err := g.Refund(ctx, req("k10", 1)); declinedCode(err) != payment.CodeExceedsRefundable {
		t.Errorf("refund after full: err = %v, want %s", err, payment.CodeExceedsRefundable)
	}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()

	t.Run("unavailable records nothing, retry succeeds", func(t *testing.T) {
		g := newGateway(t)
		g.FailNext(2, sandbox.FaultUnavailable)
		for i := 0; i < 2; i++ {
			if _, err := g.Refund(ctx, req("k", 700)); !payment.IsUnavailable(err) {
				t.Fatalf("call %d: err = %v, want PaymentUnavailable", i, err)
			}
			if got := len(state(t, g, "pi_1").Refunds); got != 0 {
				t.Fatalf("call %d recorded %d refunds", i, got)
			}
		}
		r, err := g.Refund(ctx, req("k", 700))
		if err != nil {
			t.Fatalf("third call: %v", err)
		}
		if got, want := state(t, g, "pi_1").Refunds[0].Refund, r; got != want {
			t.Errorf("record = %+v, want %+v", got, want)
		}
	})

	t.Run("timeout after success: the retry returns the same refund", func(t *testing.T) {
		g := newGateway(t)
		g.FailNext(1, sandbox.FaultTimeoutAfterSuccess)
		_, err := g.Refund(ctx, req("k", 700))
		var u *payment.PaymentUnavailable
		if !errors.As(err, &u) || u.Reason != "timeout" {
			t.Fatalf("err = %v, want PaymentUnavailable(timeout)", err)
		}
		st := state(t, g, "pi_1")
		if got, want := len(st.Refunds), 1; got != want {
			t.Fatalf("refunds after lost response = %d, want %d", got, want)
		}
		r, err := g.Refund(ctx, req("k", 700))
		if err != nil {
			t.Fatalf("retry: %v", err)
		}
		if got, want := r, st.Refunds[0].Refund; got != want {
			t.Errorf("retry = %+v, want the recorded %+v", got, want)
		}
		if got, want := state(t, g, "pi_1").Refunded, eur(700); got != want {
			t.Errorf("refunded = %v, want %v (counted once)", got, want)
		}
	})

	t.Run("declined records nothing", func(t *testing.T) {
		g := newGateway(t)
		g.FailNext(1, sandbox.FaultDeclined)
		if _, err := g.Refund(ctx, req("k", 700)); declinedCode(err) != sandbox.CodeDeclined {
			t.Fatalf("err = %v, want PaymentDeclined(%s)", err, sandbox.CodeDeclined)
		}
		if got := len(state(t, g, "pi_1").Refunds); got != 0 {
			t.Errorf("declined call recorded %d refunds", got)
		}
		if _, err := g.Refund(ctx, req("k", 700)); err != nil {
			t.Errorf("next call: %v", err)
		}
	})

	t.Run("unauthorized after a lost answer is no refusal", func(t *testing.T) {
		g := newGateway(t)
		g.FailNext(1, sandbox.FaultTimeoutAfterSuccess)
		g.FailNext(1, sandbox.FaultUnauthorized)
		if _, err := g.Refund(ctx, req("k", 700)); !payment.IsUnavailable(err) {
			t.Fatalf("first call: err = %v, want PaymentUnavailable", err)
		}
		_, err := g.Refund(ctx, req("k", 700))
		if unknownCode(err) != sandbox.CodeUnauthorized || payment.IsDeclined(err) {
			t.Fatalf("second call: err = %v, want PaymentOutcomeUnknown(%s)", err, sandbox.CodeUnauthorized)
		}
		if got := len(state(t, g, "pi_1").Refunds); got != 1 {
			t.Errorf("refunds = %d, want the one the first call made", got)
		}
	})

	// A decline says nothing was refunded under the key, and ExecuteResolution releases the
	// reservation on it: an injected decline of a key that already holds a refund would release
	// money the sandbox refunded. Stripe replays a used key's saved answer, and so does the sandbox.
	t.Run("declined after a lost answer replays the refund", func(t *testing.T) {
		g := newGateway(t)
		g.FailNext(1, sandbox.FaultTimeoutAfterSuccess)
		g.FailNext(1, sandbox.FaultDeclined)
		if _, err := g.Refund(ctx, req("k", 700)); !payment.IsUnavailable(err) {
			t.Fatalf("first call: err = %v, want PaymentUnavailable (the lost answer)", err)
		}
		r, err := g.Refund(ctx, req("k", 700))
		st := state(t, g, "pi_1")
		if err != nil || len(st.Refunds) != 1 || r != st.Refunds[0].Refund {
			t.Fatalf("retry of the used key = %+v, %v; want the recorded refund %+v", r, err, st.Refunds)
		}
		if _, err := g.Refund(ctx, req("k2", 100)); err != nil {
			t.Errorf("the decline was used up by the replay, but the next new key got %v", err)
		}
	})

	t.Run("queued faults run in order", func(t *testing.T) {
		g := newGateway(t)
		g.FailNext(1, sandbox.FaultDeclined)
		g.FailNext(1, sandbox.FaultUnavailable)
		_, err1 := g.Refund(ctx, req("k", 1))
		_, err2 := g.Refund(ctx, req("k", 1))
		_, err3 := g.Refund(ctx, req("k", 1))
		if !payment.IsDeclined(err1) || !payment.IsUnavailable(err2) || err3 != nil {
			t.Errorf("errors = %v, %v, %v; want declined, unavailable, nil", err1, err2, err3)
		}
	})
}

func TestCapture(t *testing.T) {
	ctx := context.Background()
	db, table := newTable(t)
	g := sandbox.New(db, table)
	if err := g.Capture(ctx, "pi_c", eur(100)); err != nil {
		t.Fatal(err)
	}
	if err := g.Capture(ctx, "pi_c", eur(100)); err != nil {
		t.Errorf("capturing again with the same amount: %v", err)
	}
	if err := g.Capture(ctx, "pi_c", eur(101)); err == nil {
		t.Error("capturing again with another amount succeeded")
	}
	if err := g.Capture(ctx, "pi_bad", eur(0)); err == nil {
		t.Error("capturing zero succeeded")
	}
	if _, err := g.Payment(ctx, "pi_missing"); !errors.Is(err, sandbox.ErrNoPayment) {
		t.Errorf("Payment(missing) err = %v, want ErrNoPayment", err)
	}
	st := state(t, g, "pi_c")
	if got, want := st.Captured, eur(100); got != want {
		t.Errorf("captured = %v, want %v", got, want)
	}
	if got, want := st.Refunded, eur(0); got != want {
		t.Errorf("refunded = %v, want %v", got, want)
	}
}

// Fifty concurrent calls with one key make one refund, and every caller sees it.
func TestConcurrentSameKey(t *testing.T) {
	ctx := context.Background()
	g := newGateway(t)
	const callers = 50
	results := make([]payment.Refund, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { results[i], errs[i] = g.Refund(ctx, req("refund:req-1:1", 4000)) })
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if results[i] != results[0] {
			t.Errorf("caller %d got %+v, caller 0 got %+v", i, results[i], results[0])
		}
	}
	st := state(t, g, "pi_1")
	if got, want := len(st.Refunds), 1; got != want {
		t.Errorf("refund records = %d, want %d", got, want)
	}
	if got, want := st.Refunded, eur(4000); got != want {
		t.Errorf("refunded = %v, want %v", got, want)
	}
}

// Fifty concurrent refunds of a tenth of the payment with different keys: exactly ten succeed, the rest
// are declined, and the total is exactly what was captured.
func TestConcurrentNeverOverRefunds(t *testing.T) {
	ctx := context.Background()
	g := newGateway(t)
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			_, err := g.Refund(ctx, req(fmt.Sprintf("refund:req-%d:1", i), 1000))
			switch {
			case err == nil:
				ok.Add(1)
			case declinedCode(err) == payment.CodeExceedsRefundable:
				refused.Add(1)
			default:
				t.Errorf("refund %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if got, want := ok.Load(), int64(10); got != want {
		t.Errorf("successful refunds = %d, want %d", got, want)
	}
	if got, want := refused.Load(), int64(40); got != want {
		t.Errorf("refused refunds = %d, want %d", got, want)
	}
	st := state(t, g, "pi_1")
	if got, want := st.Refunded, eur(10000); got != want {
		t.Errorf("refunded = %v, want %v", got, want)
	}
	if got, want := len(st.Refunds), 10; got != want {
		t.Errorf("refund records = %d, want %d", got, want)
	}
}

// A model-based property test: any sequence of refunds (new and reused keys, other amounts, injected
// faults) keeps the sandbox in agreement with a simple model, and never refunds more than captured.
func TestRefundProperties(t *testing.T) {
	db, table := newTable(t)
	ctx := context.Background()
	var run atomic.Int64
	rapid.Check(t, func(rt *rapid.T) {
		ref := fmt.Sprintf("pi_prop_%d", run.Add(1))
		g := sandbox.New(db, table)
		captured := rapid.Int64Range(1, 5000).Draw(rt, "captured")
		if err := g.Capture(ctx, ref, eur(captured)); err != nil {
			rt.Fatal(err)
		}
		type issued struct {
			amount int64
			id     string
		}
		model := map[string]issued{} // idempotency key → refund
		var total int64
		steps := rapid.IntRange(1, 8).Draw(rt, "steps")
		for range steps {
			k := fmt.Sprintf("%s:%d", ref, rapid.IntRange(0, 5).Draw(rt, "key"))
			amount := rapid.Int64Range(1, captured).Draw(rt, "amount")
			fault := rapid.SampledFrom([]sandbox.Fault{"", "", "", sandbox.FaultUnavailable, sandbox.FaultTimeoutAfterSuccess, sandbox.FaultDeclined}).Draw(rt, "fault")
			if fault != "" {
				g.FailNext(1, fault)
			}
			r, err := g.Refund(ctx, payment.RefundRequest{PaymentReference: ref, Amount: eur(amount), IdempotencyKey: k})

			prev, used := model[k]
			switch {
			case fault == sandbox.FaultUnavailable:
				if !payment.IsUnavailable(err) {
					rt.Fatalf("injected unavailable: err = %v", err)
				}
			case fault == sandbox.FaultDeclined && !used:
				if declinedCode(err) != sandbox.CodeDeclined {
					rt.Fatalf("injected decline: err = %v", err)
				}
			case used && prev.amount != amount:
				if unknownCode(err) != payment.CodeIdempotencyMismatch {
					rt.Fatalf("reused key with other amount: err = %v", err)
				}
			case used:
				if fault == sandbox.FaultTimeoutAfterSuccess {
					if !payment.IsUnavailable(err) {
						rt.Fatalf("replay with lost response: err = %v", err)
					}
				} else if err != nil || r.ID != prev.id {
					rt.Fatalf("replay: got %+v, %v; want id %s", r, err, prev.id)
				}
			case total+amount > captured:
				if declinedCode(err) != payment.CodeExceedsRefundable {
					rt.Fatalf("over-refund: err = %v", err)
				}
			default:
				if fault == sandbox.FaultTimeoutAfterSuccess {
					if !payment.IsUnavailable(err) {
						rt.Fatalf("lost response: err = %v", err)
					}
				} else if err != nil {
					rt.Fatalf("refund: %v", err)
				}
				// The refund happened either way; learn its id from the record.
				st, serr := g.Payment(ctx, ref)
				if serr != nil {
					rt.Fatal(serr)
				}
				for _, rec := range st.Refunds {
					if rec.IdempotencyKey == k {
						model[k] = issued{amount: amount, id: rec.Refund.ID}
					}
				}
				if _, ok := model[k]; !ok {
					rt.Fatalf("refund with key %s not recorded", k)
				}
				total += amount
			}

			st, serr := g.Payment(ctx, ref)
			if serr != nil {
				rt.Fatal(serr)
			}
			var sum int64
			for _, rec := range st.Refunds {
				sum += rec.Refund.Amount.Amount
			}
			if st.Refunded.Amount != total || sum != total || len(st.Refunds) != len(model) {
				rt.Fatalf("state refunded=%d sum=%d records=%d; model total=%d records=%d",
					st.Refunded.Amount, sum, len(st.Refunds), total, len(model))
			}
			if total > captured {
				rt.Fatalf("refunded %d of %d captured", total, captured)
			}
		}
	})
}

// aws-lambda-go reports a handler error's type name (the pointer's element type) as errorType, which is
// what the state machine's Retry and Catch match (see lambda/errors.go in aws-lambda-go). The sandbox's
// errors, passed through payment.TaskError, must be reported as the names refund.asl.json uses.
func TestErrorTypeNamesForStateMachine(t *testing.T) {
	ctx := context.Background()
	g := newGateway(t)
	g.FailNext(1, sandbox.FaultUnavailable)
	g.FailNext(1, sandbox.FaultDeclined)
	g.FailNext(1, sandbox.FaultUnauthorized)
	_, err1 := g.Refund(ctx, req("k", 1))
	_, err2 := g.Refund(ctx, req("k", 1))
	_, err3 := g.Refund(ctx, req("k", 1))
	for _, tt := range []struct {
		err  error
		want string
	}{{err1, "PaymentUnavailable"}, {err2, "PaymentDeclined"}, {err3, "PaymentOutcomeUnknown"}} {
		wrapped := fmt.Errorf("execute request req-1: %w", tt.err)
		if got, want := lambdaErrorType(payment.TaskError(wrapped)), tt.want; got != want {
			t.Errorf("errorType = %q, want %q", got, want)
		}
		if got := lambdaErrorType(wrapped); got == tt.want {
			t.Errorf("a wrapped error already reports %q; TaskError would be unnecessary", got)
		}
	}
}

// lambdaErrorType mirrors aws-lambda-go's getErrorType.
func lambdaErrorType(err error) string {
	typ := reflect.TypeOf(err)
	if typ.Kind() == reflect.Pointer {
		return typ.Elem().Name()
	}
	return typ.Name()
}

// BenchmarkRefund measures one new refund (key read, payment read, three-item transaction) and one
// replay (key read) against the local DynamoDB over HTTP.
func BenchmarkRefund(b *testing.B) {
	ctx := context.Background()
	db, table := newTable(b)
	g := sandbox.New(db, table)
	if err := g.Capture(ctx, "pi_bench", eur(refund.MaxAmount)); err != nil {
		b.Fatal(err)
	}
	b.Run("new", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			r := payment.RefundRequest{PaymentReference: "pi_bench", Amount: eur(1), IdempotencyKey: fmt.Sprintf("bench:%d", i)}
			if _, err := g.Refund(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("replay", func(b *testing.B) {
		r := payment.RefundRequest{PaymentReference: "pi_bench", Amount: eur(1), IdempotencyKey: "bench:1"}
		for b.Loop() {
			if _, err := g.Refund(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The sandbox takes only the amounts Stripe can refund, so the local stack refuses what production
// would: three-decimal dinars in steps of 10, MGA in whole ariary. ISK is whole krónur in both units.
func TestRefundsFollowStripeCurrencyRules(t *testing.T) {
	ctx := context.Background()
	g := newGateway(t)
	for _, c := range []refund.Money{{Amount: 100_000, Currency: "KWD"}, {Amount: 100_000, Currency: "MGA"}, {Amount: 100_000, Currency: "ISK"}} {
		if err := g.Capture(ctx, "pi_"+c.Currency, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		amount refund.Money
		ok     bool
	}{
		{refund.Money{Amount: 1234, Currency: "KWD"}, false},
		{refund.Money{Amount: 1230, Currency: "KWD"}, true},
		{refund.Money{Amount: 10050, Currency: "MGA"}, false},
		{refund.Money{Amount: 10000, Currency: "MGA"}, true},
		{refund.Money{Amount: 5001, Currency: "ISK"}, true},
	} {
		r := payment.RefundRequest{PaymentReference: "pi_" + tt.amount.Currency, Amount: tt.amount, IdempotencyKey: fmt.Sprintf("k:%s:%d", tt.amount.Currency, tt.amount.Amount), RequestID: "req-1"}
		got, err := g.Refund(ctx, r)
		switch {
		case tt.ok && (err != nil || got.Amount != tt.amount):
			t.Errorf("refund %s = %+v, %v; want it refunded", tt.amount, got, err)
		case !tt.ok && declinedCode(err) != payment.CodeInvalidRequest:
			t.Errorf("refund %s: err = %v, want PaymentDeclined(%s)", tt.amount, err, payment.CodeInvalidRequest)
		}
	}
	if got, want := payment.RefundIncrement(sandbox.Provider, "KWD"), int64(10); got != want {
		t.Errorf("RefundIncrement(%q, KWD) = %d, want %d (Stripe's rules)", sandbox.Provider, got, want)
	}
}
