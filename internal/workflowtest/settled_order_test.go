package workflowtest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/apigw"
	"refundflow/handler"
	"refundflow/refund"
)

// Earlier refunds and cancellations recorded by Refundflow count in every later offer (issue 17):
// after a refund of the unused hours, the billing system's stale record (status active) cannot
// reopen the order, so no later request refunds the same hours again.
func TestSettledOrderStaysSettled(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceHours, afterCoolingOff) // 10 of 40 hours used: 30 unused
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.acceptKind(id, refund.OfferPartialRefund)
	h.WantStatus(id, refund.StatusCompleted)
	settled := h.Order(o.Number)
	if settled.Status != refund.OrderCancelled || settled.Refunded != 60000 {
		t.Fatalf("order after the refund: %s, %d refunded; want cancelled, 60000", settled.Status, settled.Refunded)
	}

	// The billing system sends its record again, at the current version, still saying active.
	stale := o
	stale.Version = settled.Version
	a := h.PutOrder(stale)
	if a.Status != http.StatusConflict {
		t.Fatalf("stale order update answered %d %s, want 409", a.Status, a.Body)
	}
	var body apigw.ErrorBody
	if err := json.Unmarshal([]byte(a.Body), &body); err != nil || !strings.Contains(body.Error.Fields["status"], "cannot become active again") {
		t.Errorf("the 409 does not name the field status: %s", a.Body)
	}
	if got := h.Order(o.Number); got.Status != refund.OrderCancelled {
		t.Fatalf("order is %s after the refused update", got.Status)
	}

	// A later request for the same order finds it settled.
	again := h.submitRequest(o, refund.ReasonChangedMind)
	h.WantStatus(again, refund.StatusRejected)
	h.OneProviderRefund(o)
}

// A credit counts like a refund, also when the billing system cancelled the order first (review of
// issue 17): ExecuteResolution then found the status already cancelled and did not record its close,
// so the billing system's stale record (status active) was accepted, and a second request was
// offered, and paid, the refund of the same 30 unused hours whose EUR 660.00 credit the first
// request had granted. Now the close is always recorded, so the stale record is refused; and an
// order closed without it (by the code before this fix) still offers nothing for the hours, because
// the rules subtract the credits granted on the order like earlier refunds.
func TestCreditCountsWhenTheBillingSystemCancelledFirst(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceHours, afterCoolingOff) // 10 of 40 hours used: EUR 600.00 unused
	first := h.submitRequest(o, refund.ReasonChangedMind)
	h.Intercept("ExecuteResolution", func(ctx context.Context, in handler.TaskInput, next func() (handler.TaskOutput, error)) (handler.TaskOutput, error) {
		// The billing system cancels the order on its side just before the execution runs.
		cancelled := h.Order(o.Number)
		cancelled.Status = refund.OrderCancelled
		if a := h.PutOrder(cancelled); a.Status != http.StatusOK {
			t.Errorf("billing cancel answered %d %s", a.Status, a.Body)
		}
		return next()
	})
	h.acceptKind(first, refund.OfferServiceCredit)
	h.Intercept("ExecuteResolution", nil)
	h.WantStatus(first, refund.StatusCompleted)
	credit, err := h.Store.GetCredit(h.Ctx, o.Number, first)
	if err != nil {
		t.Fatalf("credit of the first request: %v", err)
	}

	// The billing system's stale record, still active, at the current version.
	stale := o
	stale.Version = h.Order(o.Number).Version
	if a := h.PutOrder(stale); a.Status != http.StatusConflict || !strings.Contains(a.Body, "cancelled by request "+first) {
		t.Errorf("a stale billing record reopening the order after request %s granted %s answered %d %s, want 409 naming the request",
			first, credit.Amount, a.Status, a.Body)
	}

	// An order closed without the request's name (as the code before this fix left it) is reopened.
	_, err = h.Store.Client.UpdateItem(h.Ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(h.Store.Table),
		Key:              map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "ORDER#" + strings.ToUpper(o.Number)}, "SK": &types.AttributeValueMemberS{Value: "ORDER"}},
		UpdateExpression: aws.String("REMOVE closed_by"),
	})
	if err != nil {
		t.Fatal(err)
	}
	stale.Version = h.Order(o.Number).Version
	if a := h.PutOrder(stale); a.Status != http.StatusOK {
		t.Fatalf("reopening the legacy order answered %d %s", a.Status, a.Body)
	}
	second := h.submitRequest(o, refund.ReasonChangedMind)
	offers, _, err := h.Store.ListOffers(h.Ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	for _, of := range offers {
		t.Errorf("second request offers %s %s for the hours the first request's credit of %s already paid for", of.Kind, of.Amount, credit.Amount)
	}
	h.WantStatus(second, refund.StatusInReview) // nothing to offer: staff decide
	if code, body := h.review(second, handler.ReviewDecision{Decision: handler.ReviewReject, Message: "Your credit covers the unused hours."}); code != http.StatusOK {
		t.Fatalf("reject answered %d %s", code, body)
	}
	if got := h.ProviderRefunds(o); len(got) != 0 {
		t.Errorf("the provider refunded %d times", len(got))
	}
}
