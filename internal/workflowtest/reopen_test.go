package workflowtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"refundflow/handler"
	"refundflow/mail"
	"refundflow/refund"
)

// failLater completes a refund request (project order, first offer), then has the provider fail its
// refund later and delivers the provider's events (each twice: Stripe delivers at least once). It
// returns the order and the request, which is then reopened.
func (h *harness) failLater() (refund.Order, string) {
	h.T.Helper()
	o := h.newOrder(refund.ServiceProject)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.accept(id, 0)
	h.WantStatus(id, refund.StatusCompleted)
	h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
	if err := h.Pay.FailRefund(h.Ctx, o.Payment.Reference, h.OneProviderRefund(o).Refund.ID, "expired_or_canceled_card"); err != nil {
		h.T.Fatal(err)
	}
	h.deliverEvents(o)
	return o, id
}

// deliverEvents delivers every event of the order's payment twice, in order, and settles.
func (h *harness) deliverEvents(o refund.Order) {
	h.T.Helper()
	evs, err := h.Pay.Events(h.Ctx, o.Payment.Reference)
	if err != nil {
		h.T.Fatal(err)
	}
	for range 2 {
		for _, e := range evs {
			if a := h.DeliverEvent(e.Payload); a.Status != http.StatusOK {
				h.T.Fatalf("delivery of %s answered %d: %s", e.Type, a.Status, a.Body)
			}
		}
	}
	h.Settle()
}

// A completed request whose refund failed later is reopened to needs attention after its execution
// ended: the webhook starts one new execution for it (<id>-reopened-1, once however often the event
// comes), which parks on the staff-action wait; the request holds the order's open-request lock again,
// so the client cannot open a second request meanwhile. A staff retry then uses attempt 2 (the
// provider said for certain attempt 1 failed): one new refund under refund:<id>:2, the request
// completes, the client gets the completed email of attempt 2, and the lock is released.
func TestRefundFailedLaterThenStaffRetry(t *testing.T) {
	h := newHarness(t)
	o, id := h.failLater()

	h.WantStaffWait(id)
	arns := h.Executions(id)
	if got, want := len(arns), 2; got != want {
		t.Fatalf("request %s has %d executions, want its own and one reopened: %v", id, got, arns)
	}
	if !strings.HasSuffix(arns[1], ":"+id+"-reopened-1") {
		t.Errorf("the reopened execution is %s, want one named %s-reopened-1", arns[1], id)
	}
	if got := h.Order(o.Number).Refunded; got != 0 {
		t.Errorf("after the failed refund the ledger counts %d refunded, want 0", got)
	}
	if got, err := h.Store.OpenRequestID(h.Ctx, o.Number); err != nil || got != id {
		t.Errorf("open request of %s = %q, %v; want the reopened %s", o.Number, got, err, id)
	}
	sub := refund.Submission{OrderNumber: o.Number, PurchaseDate: o.PurchaseDate, Email: o.Email,
		Kind: string(refund.KindRefund), Reason: string(refund.ReasonChangedMind), Details: "Again.", Name: o.CustomerName}
	if a := h.submitRaw(sub); a.Status != http.StatusConflict {
		t.Errorf("a second request while the reopened one is open answered %d, want 409: %s", a.Status, a.Body)
	}
	h.OneMail(mail.KindRefundFailed, id)
	h.OneMail(mail.KindStaffRefundFailed, id)

	r := h.staffAct(id, retry, http.StatusOK)
	if got, want := r.IdempotencyKey, refund.RefundIdempotencyKey(id, 2); got != want || !r.Delivered {
		t.Errorf("retry uses %q (delivered %v), want %q, delivered", got, r.Delivered, want)
	}
	h.WantStatus(id, refund.StatusCompleted)
	h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
	keys := h.providerKeys(o)
	if got, want := strings.Join(keys, " "), refund.RefundIdempotencyKey(id, 1)+" "+refund.RefundIdempotencyKey(id, 2); got != want {
		t.Errorf("provider refunds under %q, want the failed attempt 1 and one new under attempt 2: %q", got, want)
	}
	c, _ := h.Store.GetConsent(h.Ctx, id)
	offer, _ := h.Store.GetOffer(h.Ctx, id, c.OfferID)
	if got, want := h.Order(o.Number).Refunded, offer.Amount.Amount; got != want {
		t.Errorf("the ledger counts %d refunded, want the accepted %d once", got, want)
	}
	if got, err := h.Store.OpenRequestID(h.Ctx, o.Number); err != nil || got != "" {
		t.Errorf("open request of %s after the retry completed = %q, %v; want none", o.Number, got, err)
	}
	if n := len(h.Mails(mail.KindCompleted, id)); n < 1 || n > 2 {
		t.Errorf("%d completed emails, want the retry's (and at most the first attempt's before it)", n)
	}
	// The provider's events of the new refund change nothing, and start nothing.
	h.deliverEvents(o)
	h.WantStatus(id, refund.StatusCompleted)
	if got := len(h.Executions(id)); got != 2 {
		t.Errorf("request %s has %d executions after the events were delivered again, want 2", id, got)
	}
}

// A reopened request settled outside the provider completes through its new execution, with the
// settlement counted in the ledger and no new provider refund.
func TestRefundFailedLaterThenSettledOutside(t *testing.T) {
	h := newHarness(t)
	o, id := h.failLater()
	h.WantStaffWait(id)

	remaining := h.Order(o.Number).Remaining()
	settle := handler.StaffActionRequest{Action: refund.StaffActionSettledOutside, Note: "The card was closed; paid by bank transfer.",
		Settlement: &refund.Settlement{Amount: remaining, Method: "bank transfer", Reference: "TR-REOPENED-1"}}
	r := h.staffAct(id, settle, http.StatusOK)
	if r.Settlement == nil || r.Settlement.N != 2 {
		t.Errorf("settlement = %+v, want attempt 2", r.Settlement)
	}
	h.WantStatus(id, refund.StatusCompleted)
	h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
	if got, want := h.Order(o.Number).Refunded, remaining.Amount; got != want {
		t.Errorf("the ledger counts %d refunded, want the settled %d", got, want)
	}
	if n := len(h.ProviderRefunds(o)); n != 1 {
		t.Errorf("the provider has %d refunds, want only the failed one", n)
	}
	found := false
	for _, m := range h.Mails(mail.KindCompleted, id) {
		found = found || strings.Contains(m.Text, "TR-REOPENED-1")
	}
	if !found {
		t.Errorf("no completed email names the settlement")
	}
	if got, err := h.Store.OpenRequestID(h.Ctx, o.Number); err != nil || got != "" {
		t.Errorf("open request of %s after the settlement = %q, %v; want none", o.Number, got, err)
	}
}

// The reopened execution's first step routes by the named error RequestNeedsAttention straight to the
// staff-action wait: it never proposes offers or calls the provider.
func TestReopenedExecutionOnlyParks(t *testing.T) {
	h := newHarness(t)
	_, id := h.failLater()
	arns := h.Executions(id)
	out, err := h.SFN.GetExecutionHistory(h.Ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arns[len(arns)-1]), MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, e := range out.Events {
		if e.StateEnteredEventDetails != nil {
			states = append(states, aws.ToString(e.StateEnteredEventDetails.Name))
		}
	}
	if got, want := strings.Join(states, " "), "VerifyConditions MarkNeedsAttention NotifyAttention AwaitStaffAction"; got != want {
		t.Errorf("the reopened execution entered %q, want %q", got, want)
	}
}

// submitRaw posts the JSON form once and returns the answer, whatever it is.
func (h *harness) submitRaw(sub refund.Submission) Answer {
	h.T.Helper()
	body, _ := json.Marshal(sub)
	return Call(h.Ctx, h.HTTP.Submit.Handle, Event("POST", "/requests", "/requests", "", nil,
		map[string]string{"content-type": "application/json", "accept": "application/json"}, string(body)))
}
