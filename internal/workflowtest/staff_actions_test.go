package workflowtest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"refundflow/handler"
	"refundflow/mail"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

// staffAct posts a staff action as "staff-1", wants want, settles, and returns the decoded answer.
func (h *harness) staffAct(id string, a handler.StaffActionRequest, want int) handler.StaffActionResult {
	h.T.Helper()
	ans := h.StaffAction("staff-1", id, a)
	if ans.Status != want {
		h.T.Fatalf("staff action %s answered %d, want %d: %s", a.Action, ans.Status, want, ans.Body)
	}
	h.Settle()
	var r handler.StaffActionResult
	if want == http.StatusOK {
		if err := json.Unmarshal([]byte(ans.Body), &r); err != nil {
			h.T.Fatalf("decode staff action answer: %v\n%s", err, ans.Body)
		}
	}
	return r
}

// providerKeys lists the idempotency keys of the provider's refunds of the order's payment.
func (h *harness) providerKeys(o refund.Order) []string {
	var keys []string
	for _, p := range h.ProviderRefunds(o) {
		keys = append(keys, p.IdempotencyKey)
	}
	return keys
}

var retry = handler.StaffActionRequest{Action: refund.StaffActionRetry, Note: "The provider is back; trying again."}

// The provider was down through every try: the outcome of attempt 1 is unknown, so a staff retry
// replays attempt 1's idempotency key, and the request completes with one refund.
func TestStaffRetryAfterAnOutageReplaysTheSameKey(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.Pay.FailNext(5, sandbox.FaultUnavailable)
	h.accept(id, 0)
	h.WantStaffWait(id)

	r := h.staffAct(id, retry, http.StatusOK)
	if got, want := r.IdempotencyKey, refund.RefundIdempotencyKey(id, 1); got != want || !r.Delivered {
		t.Errorf("retry uses %q (delivered %v), want %q, delivered", got, r.Delivered, want)
	}
	h.WantStatus(id, refund.StatusCompleted)
	h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
	if got, want := strings.Join(h.providerKeys(o), " "), refund.RefundIdempotencyKey(id, 1); got != want {
		t.Errorf("provider refunds under %q, want one under %q", got, want)
	}
	h.OneMail(mail.KindCompleted, id)
	audit, _ := h.Store.ListAudit(h.Ctx, id)
	found := false
	for _, e := range audit {
		found = found || e.Action == "retry" && e.Actor == "staff:staff-1" && strings.Contains(e.Detail, "The provider is back")
	}
	if !found {
		t.Errorf("no audit entry names the staff retry with its note: %+v", audit)
	}
}

// The provider refunded but its answer was lost, and then refused the API key: the refund exists
// under attempt 1's key. The staff retry replays that key, so the provider answers with the refund
// it made, and there is exactly one refund.
func TestStaffRetryAfterALostAnswerMakesOneRefund(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.Pay.FailNext(1, sandbox.FaultTimeoutAfterSuccess)
	h.Pay.FailNext(1, sandbox.FaultUnauthorized)
	h.accept(id, 0)
	h.WantStaffWait(id)
	if n := len(h.ProviderRefunds(o)); n != 1 {
		t.Fatalf("the provider made %d refunds before the retry, want 1", n)
	}

	h.staffAct(id, retry, http.StatusOK)
	h.WantStatus(id, refund.StatusCompleted)
	if got, want := strings.Join(h.providerKeys(o), " "), refund.RefundIdempotencyKey(id, 1); got != want {
		t.Errorf("provider refunds under %q, want one under %q", got, want)
	}
}

// The provider refused attempt 1 for certain (its amount was released): only then does a retry use
// a new attempt, refund:<id>:2, and the ledger check still gates it.
func TestStaffRetryAfterACertainRefusalUsesAttempt2(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.Pay.FailNext(1, sandbox.FaultDeclined)
	h.accept(id, 0)
	h.WantStaffWait(id)
	if got := h.Order(o.Number).Refunded; got != 0 {
		t.Fatalf("after the refusal the ledger counts %d refunded, want 0", got)
	}

	r := h.staffAct(id, retry, http.StatusOK)
	if got, want := r.IdempotencyKey, refund.RefundIdempotencyKey(id, 2); got != want {
		t.Errorf("retry uses %q, want %q", got, want)
	}
	h.WantStatus(id, refund.StatusCompleted)
	if got, want := strings.Join(h.providerKeys(o), " "), refund.RefundIdempotencyKey(id, 2); got != want {
		t.Errorf("provider refunds under %q, want one under %q", got, want)
	}
	first, err := h.Store.GetRefund(h.Ctx, o.Number, id, 1)
	if err != nil || first.State != refund.RefundFailed {
		t.Errorf("attempt 1 = %+v, %v; want failed", first, err)
	}
	c, _ := h.Store.GetConsent(h.Ctx, id)
	offer, _ := h.Store.GetOffer(h.Ctx, id, c.OfferID)
	if got, want := h.Order(o.Number).Refunded, offer.Amount.Amount; got != want {
		t.Errorf("the ledger counts %d refunded, want the accepted %d", got, want)
	}
}

// Two members of staff press retry at once: one retry stands, the other is a 409 naming it, and the
// provider refunds once.
func TestTwoStaffRetriesAtOnce(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.Pay.FailNext(1, sandbox.FaultDeclined)
	h.accept(id, 0)
	h.WantStaffWait(id)

	answers := make([]Answer, 4)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = h.StaffAction("staff-"+string(rune('a'+i)), id, retry)
		}()
	}
	wg.Wait()
	h.Settle()
	ok := 0
	for _, a := range answers {
		switch a.Status {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
		default:
			t.Errorf("a retry answered %d: %s", a.Status, a.Body)
		}
	}
	if ok != 1 {
		t.Errorf("%d retries stood, want exactly 1: %+v", ok, answers)
	}
	h.WantStatus(id, refund.StatusCompleted)
	if got := len(h.ProviderRefunds(o)); got != 1 {
		t.Errorf("the provider made %d refunds, want 1", got)
	}
}

// Settled outside: the ledger counts the money that went back by bank transfer, an amount beyond
// what remains is refused (400), and the client gets the completed email with the reference.
func TestStaffSettledOutside(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.Pay.FailNext(1, sandbox.FaultDeclined)
	h.accept(id, 0)
	h.WantStaffWait(id)

	remaining := h.Order(o.Number).Remaining()
	too := remaining
	too.Amount++
	settle := handler.StaffActionRequest{Action: refund.StaffActionSettledOutside, Note: "The card was closed; paid by bank transfer.",
		Settlement: &refund.Settlement{Amount: too, Method: "bank transfer", Reference: "TR-2025-0314"}}
	h.staffAct(id, settle, http.StatusBadRequest)
	h.WantStaffWait(id)

	half := refund.Money{Amount: remaining.Amount / 2, Currency: remaining.Currency}
	settle.Settlement.Amount = half
	r := h.staffAct(id, settle, http.StatusOK)
	if r.Settlement == nil || !r.Settlement.SettledOutside || r.Settlement.Amount != half {
		t.Errorf("settlement = %+v", r.Settlement)
	}
	h.WantStatus(id, refund.StatusCompleted)
	h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
	after := h.Order(o.Number)
	if got, want := after.Refunded, half.Amount; got != want {
		t.Errorf("the ledger counts %d refunded, want the settled %d", got, want)
	}
	if got, want := after.Remaining().Amount, remaining.Amount-half.Amount; got != want {
		t.Errorf("remaining after the settlement = %d, want %d: later offers must count it", got, want)
	}
	if n := len(h.ProviderRefunds(o)); n != 0 {
		t.Errorf("the provider made %d refunds, want none", n)
	}
	m := h.OneMail(mail.KindCompleted, id)
	for _, want := range []string{half.String(), "bank transfer", "TR-2025-0314"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("completed email lacks %q:\n%s", want, m.Text)
		}
	}
	// Done is done: no second action.
	h.staffAct(id, retry, http.StatusConflict)
}

// Close: the message goes to the client by email, escaped in the HTML, and the request is closed.
func TestStaffClose(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.Pay.FailNext(1, sandbox.FaultDeclined)
	h.accept(id, 0)
	h.WantStaffWait(id)

	h.staffAct(id, handler.StaffActionRequest{Action: refund.StaffActionClose, Note: "agreed on the phone"}, http.StatusBadRequest)
	msg := "As agreed on the phone, we keep the project running. <script>alert(1)</script>"
	h.staffAct(id, handler.StaffActionRequest{Action: refund.StaffActionClose, Note: "agreed on the phone", Message: msg}, http.StatusOK)
	h.WantStatus(id, refund.StatusClosed)
	h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
	m := h.OneMail(mail.KindClosed, id)
	if !strings.Contains(m.Text, msg) {
		t.Errorf("closed email lacks the message:\n%s", m.Text)
	}
	if strings.Contains(m.HTML, "<script>") || !strings.Contains(m.HTML, "&lt;script&gt;") {
		t.Errorf("closed email's HTML does not escape the message:\n%s", m.HTML)
	}
	if got := h.Order(o.Number).Refunded; got != 0 {
		t.Errorf("closing moved %d", got)
	}
}

// Retry needs an accepted offer: a request that failed before the client accepted one is settled or
// closed instead, and a note is required.
func TestStaffRetryNeedsAnAcceptedOfferAndANote(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	h.FailNextInvocation("ProposeResolution", errors.New("disk on fire"))
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.WantStaffWait(id)
	h.staffAct(id, handler.StaffActionRequest{Action: refund.StaffActionRetry}, http.StatusBadRequest)
	h.staffAct(id, retry, http.StatusConflict)
	h.WantStaffWait(id)
	h.staffAct(id, handler.StaffActionRequest{Action: refund.StaffActionClose, Note: "n", Message: "We will call you."}, http.StatusOK)
	h.WantStatus(id, refund.StatusClosed)
}

// The provider refuses attempt 1 and then the retry's attempt 2 as well: staff are told each time the
// request comes back to needs attention (the client once), and the next retry uses attempt 3.
func TestStaffRetryRefusedAgainTellsStaffAgain(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.Pay.FailNext(1, sandbox.FaultDeclined)
	h.accept(id, 0)
	h.WantStaffWait(id)

	h.Pay.FailNext(1, sandbox.FaultDeclined)
	if r := h.staffAct(id, retry, http.StatusOK); r.RefundAttempt != 2 {
		t.Fatalf("first retry uses attempt %d, want 2", r.RefundAttempt)
	}
	h.WantStaffWait(id)
	if n := len(h.Mails(mail.KindStaffNeedsAttention, id)); n != 2 {
		t.Errorf("staff got %d needs-attention emails, want one per time the request needed attention, 2", n)
	}
	if n := len(h.Mails(mail.KindNeedsAttention, id)); n != 1 {
		t.Errorf("the client got %d needs-attention emails, want 1", n)
	}
	if r := h.staffAct(id, retry, http.StatusOK); r.RefundAttempt != 3 {
		t.Fatalf("second retry uses attempt %d, want 3", r.RefundAttempt)
	}
	h.WantStatus(id, refund.StatusCompleted)
	if got, want := strings.Join(h.providerKeys(o), " "), refund.RefundIdempotencyKey(id, 3); got != want {
		t.Errorf("provider refunds under %q, want one under %q", got, want)
	}
}
