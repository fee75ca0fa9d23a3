package refund_test

import (
	"errors"
	"testing"
	"time"

	"refundflow/refund"
)

func TestRetryAttempt(t *testing.T) {
	rec := func(n int, s refund.RefundState) refund.RefundRecord { return refund.RefundRecord{N: n, State: s} }
	outside := rec(3, refund.RefundSucceeded)
	outside.SettledOutside = true
	for _, tc := range []struct {
		name    string
		records []refund.RefundRecord
		want    int
	}{
		{"no attempt yet", nil, 1},
		{"outcome unknown: the same key", []refund.RefundRecord{rec(1, refund.RefundReserved)}, 1},
		{"succeeded: the same key", []refund.RefundRecord{rec(1, refund.RefundSucceeded)}, 1},
		{"refused for certain: the next key", []refund.RefundRecord{rec(1, refund.RefundFailed)}, 2},
		{"the latest attempt counts", []refund.RefundRecord{rec(2, refund.RefundReserved), rec(1, refund.RefundFailed)}, 2},
		{"twice refused", []refund.RefundRecord{rec(1, refund.RefundFailed), rec(2, refund.RefundFailed)}, 3},
		{"settled outside is not an attempt", []refund.RefundRecord{rec(1, refund.RefundFailed), outside}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := refund.RetryAttempt(tc.records), tc.want; got != want {
				t.Errorf("RetryAttempt = %d, want %d", got, want)
			}
		})
	}
	if got, want := refund.NextAttempt([]refund.RefundRecord{rec(1, refund.RefundFailed), outside}), 4; got != want {
		t.Errorf("NextAttempt = %d, want %d", got, want)
	}
}

func TestSettlementValidate(t *testing.T) {
	o := refund.Order{Number: "RF-1", Currency: "EUR", Paid: 10_000, Refunded: 4_000}
	eur := func(n int64) refund.Money { return refund.Money{Amount: n, Currency: "EUR"} }
	for _, tc := range []struct {
		name  string
		s     refund.Settlement
		field string
	}{
		{"all that remains", refund.Settlement{Amount: eur(6_000), Method: "bank transfer", Reference: "TR-1"}, ""},
		{"a cent more than remains", refund.Settlement{Amount: eur(6_001), Method: "bank transfer", Reference: "TR-1"}, "amount"},
		{"another currency", refund.Settlement{Amount: refund.Money{Amount: 100, Currency: "USD"}, Method: "x", Reference: "y"}, "amount"},
		{"zero", refund.Settlement{Amount: eur(0), Method: "x", Reference: "y"}, "amount"},
		{"no reference", refund.Settlement{Amount: eur(100), Method: "x"}, "reference"},
		{"a control character", refund.Settlement{Amount: eur(100), Method: "x\x1b[2J", Reference: "y"}, "method"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Validate(o)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if got, want := refund.ErrorCode(err), refund.CodeInvalid; got != want {
				t.Fatalf("Validate code = %q (%v), want %q", got, err, want)
			}
			var e *refund.Error
			if ok := errors.As(err, &e); !ok || e.Fields[tc.field] == "" {
				t.Errorf("Validate = %v, want a message for %s", err, tc.field)
			}
		})
	}
	r := refund.Settlement{Amount: eur(500), Method: " bank transfer ", Reference: "TR-9"}.SettledRecord(o, "r1", 2, time.Unix(0, 0))
	if !r.SettledOutside || r.State != refund.RefundSucceeded || r.N != 2 || r.ProviderRefundID != "TR-9" || r.Method != "bank transfer" {
		t.Errorf("SettledRecord = %+v", r)
	}
}
