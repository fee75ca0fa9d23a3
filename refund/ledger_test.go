package refund

import (
	"strings"
	"testing"
	"time"
)

func TestCheckRefund(t *testing.T) {
	o := baseOrder(100000)
	o.Refunded = 30000
	for _, tc := range []struct {
		amount Money
		want   string // "" when it can be refunded
	}{
		{Money{Amount: 70000, Currency: "EUR"}, ""},
		{Money{Amount: 1, Currency: "EUR"}, ""},
		{Money{Amount: 70001, Currency: "EUR"}, "more than the EUR 700.00 that remains refundable on order RF-1001"},
		{Money{Amount: 100, Currency: "USD"}, "Order RF-1001 is in EUR; a refund in USD is not possible."},
	} {
		err := o.CheckRefund(tc.amount)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want it refundable", tc.amount, err)
		case tc.want != "" && (ErrorCode(err) != CodeConflict || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want a conflict saying %q", tc.amount, err, tc.want)
		}
	}
}

func TestReserveAttempt(t *testing.T) {
	o := baseOrder(100000)
	now := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	r := ReserveAttempt(o, "req-1", 2, Money{Amount: 500, Currency: "EUR"}, now)
	if r.IdempotencyKey != "refund:req-1:2" || r.IdempotencyKey != RefundIdempotencyKey("req-1", 2) {
		t.Errorf("key %q", r.IdempotencyKey)
	}
	if r.State != RefundReserved || r.PaymentReference != o.Payment.Reference || r.OrderNumber != o.Number || !r.CreatedAt.Equal(now) {
		t.Errorf("record %+v", r)
	}
}

func TestCreditValidate(t *testing.T) {
	ok := Credit{OrderNumber: "RF-1", RequestID: "req-1", OfferID: "o", Amount: Money{Amount: 100, Currency: "EUR"}, ValidUntil: "2026-03-10"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Credit{
		{Amount: Money{Amount: 0, Currency: "EUR"}, ValidUntil: "2026-03-10"},
		{Amount: Money{Amount: MaxAmount + 1, Currency: "EUR"}, ValidUntil: "2026-03-10"},
		{Amount: Money{Amount: 100, Currency: "eur"}, ValidUntil: "2026-03-10"},
		{Amount: Money{Amount: 100, Currency: "EUR"}, ValidUntil: "next year"},
	} {
		if bad.Validate() == nil {
			t.Errorf("%+v passed", bad)
		}
	}
}

func TestFeedbackValidate(t *testing.T) {
	for _, tc := range []struct {
		f     Feedback
		field string
	}{
		{Feedback{Rating: 5, Comment: "  Quick and clear.  "}, ""},
		{Feedback{Rating: 0}, "rating"},
		{Feedback{Rating: 6}, "rating"},
		{Feedback{Rating: 3, Comment: "\xff"}, "comment"},
		{Feedback{Rating: 3, Comment: strings.Repeat("é", MaxFeedbackCommentRunes+1)}, "comment"},
	} {
		f := tc.f.Normalize()
		err := f.Validate()
		if tc.field == "" {
			if err != nil || f.Comment != "Quick and clear." {
				t.Errorf("%+v: %v, comment %q", tc.f, err, f.Comment)
			}
			continue
		}
		if e, ok := err.(*Error); !ok || e.Code != CodeInvalid || e.Fields[tc.field] == "" {
			t.Errorf("%+v: %v, want an invalid %s", tc.f, err, tc.field)
		}
	}
}

func TestChangeValidate(t *testing.T) {
	if err := NewChange(WithReviewMessage(strings.Repeat("x", MaxDetailsRunes))).Validate(); err != nil {
		t.Errorf("a message at the limit: %v", err)
	}
	err := NewChange(WithResume("approved"), WithReviewMessage(strings.Repeat("x", MaxDetailsRunes+1))).Validate()
	if e, ok := err.(*Error); !ok || e.Fields["message"] == "" {
		t.Errorf("a message over the limit: %v", err)
	}
	c := NewChange(WithOffers(2, []Offer{{ID: "a"}}), WithResume("approved"))
	if c.Offers == nil || c.Offers.Number != 2 || c.Resume == nil || *c.Resume != "approved" || c.ReviewMessage != nil {
		t.Errorf("change %+v", c)
	}
}

func TestWorkflowInputNamesTheExecutionAfterTheRequest(t *testing.T) {
	in := WorkflowInput{RequestID: "req-20250303-k5v3yq7n2mxb4tpwhd6c"}
	if got := in.ExecutionName(); got != in.RequestID {
		t.Errorf("execution name %q, want the request ID", got)
	}
	if ValidOutcome("accepted") != nil || ValidOutcome("") == nil || ValidOutcome("Accepted") == nil || ValidOutcome(strings.Repeat("a", MaxOutcome+1)) == nil {
		t.Error("ValidOutcome does not accept exactly lower-case words")
	}
}
