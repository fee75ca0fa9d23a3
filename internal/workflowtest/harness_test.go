package workflowtest

import (
	"fmt"
	"net/http"
	"testing"

	"refundflow/handler"
	"refundflow/mail"
	"refundflow/refund"
)

// harness is the shared Harness with this suite's client: it sends each action once, fails the test
// on an answer it did not expect, and settles after it.
type harness struct{ *Harness }

func newHarness(t testing.TB) *harness {
	t.Helper()
	return &harness{New(t, Options{})}
}

// newOrder stores an order of the service type (see Harness.NewOrder).
func (h *harness) newOrder(service refund.ServiceType, opts ...func(*refund.Order)) refund.Order {
	h.T.Helper()
	return h.NewOrder(service, opts...)
}

// submitRequest posts the JSON form for the order and returns the new request's id; settle runs the
// execution to its first wait.
func (h *harness) submitRequest(o refund.Order, reason refund.Reason, opts ...func(*refund.Submission)) string {
	h.T.Helper()
	id, _ := h.SubmitRequest(o, reason, "", opts...)
	h.Settle()
	return id
}

// postConsent POSTs a decision from an opened page (see tryPostConsent) and returns the HTTP status.
func (h *harness) postConsent(code string, p ConsentPage, choice int, declineReason string) int {
	h.T.Helper()
	status, err := h.tryPostConsent(code, p, choice, declineReason)
	if err != nil {
		h.T.Fatal(err)
	}
	return status
}

// tryPostConsent POSTs a decision from an opened page: accept the offer at index choice, or decline
// (choice < 0) with a reason. It does not fail the test, for use from other goroutines.
func (h *harness) tryPostConsent(code string, p ConsentPage, choice int, declineReason string) (int, error) {
	if choice >= len(p.Choices) {
		return 0, fmt.Errorf("the consent page shows %d offers, not %d:\n%s", len(p.Choices), choice+1, p.Body)
	}
	a := h.PostConsent(code, p, choice, declineReason)
	if a.Err != nil {
		return 0, fmt.Errorf("POST consent: %w", a.Err)
	}
	return a.Status, nil
}

// accept opens the latest offers email's link and accepts the offer at index choice; it settles.
func (h *harness) accept(id string, choice int) {
	h.T.Helper()
	code := h.ConsentCode(id, mail.KindOffers)
	p := h.OpenConsent(code, "GET")
	if p.Status != http.StatusOK {
		h.T.Fatalf("consent page answered %d:\n%s", p.Status, p.Body)
	}
	if got := h.postConsent(code, p, choice, ""); got != http.StatusSeeOther {
		h.T.Fatalf("accept answered %d, want 303", got)
	}
	h.Settle()
}

// withdraw posts the withdraw form with the status code, and settles.
func (h *harness) withdraw(id, statusCode string) int {
	h.T.Helper()
	a := h.Withdraw(id, statusCode)
	if a.Err != nil {
		h.T.Fatalf("withdraw: %v", a.Err)
	}
	h.Settle()
	return a.Status
}

// statusCode returns the status link code of a submission this harness made.
func (h *harness) statusCode(id string) string {
	h.T.Helper()
	code := h.StatusCode(id)
	if code == "" {
		h.T.Fatalf("no status code recorded for request %s (submitted by this harness?)", id)
	}
	return code
}

// review posts a staff decision through the staff API as staff member "staff-1", and settles.
func (h *harness) review(id string, decision handler.ReviewDecision) (int, string) {
	h.T.Helper()
	a := h.Review(id, decision)
	if a.Err != nil {
		h.T.Fatalf("staff review: %v", a.Err)
	}
	h.Settle()
	return a.Status, a.Body
}
