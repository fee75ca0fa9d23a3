package workflowtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"refundflow/handler"
	"refundflow/mail"
	"refundflow/refund"
)

// take posts a request taken by staff member sub (POST /staff/api/requests) with an Idempotency-Key.
func (h *harness) take(sub, key string, in refund.StaffIntake) Answer {
	h.T.Helper()
	var headers map[string]string
	if key != "" {
		headers = map[string]string{"idempotency-key": key}
	}
	return h.StaffCall(sub, "POST", "/staff/api/requests", "/staff/api/requests", nil, headers, in)
}

// A client phones: an agent takes the request, the same workflow runs, the options email goes to the
// order's email on record, and the consent is the client's own act through that email's link. The
// audit trail names the agent and the channel; no staff route accepts the offer for the client.
func TestPhoneRequestThroughToARefund(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	in := refund.StaffIntake{OrderNumber: strings.ToLower(o.Number), Kind: "refund", Reason: string(refund.ReasonChangedMind),
		Details: "Called at 10:05: the project is no longer needed.", Channel: refund.ChannelPhone}
	a := h.take("agent-7", "call-1", in)
	if a.Status != http.StatusCreated {
		t.Fatalf("take answered %d: %s", a.Status, a.Body)
	}
	var got handler.TakenAnswer
	if err := json.Unmarshal([]byte(a.Body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Channel != refund.ChannelPhone || got.TakenBy != "staff:agent-7" || got.Status != refund.StatusSubmitted {
		t.Errorf("answer = %+v", got)
	}
	id := got.RequestID
	h.Track(id)
	// The agent's client retries with the same key: the same request, not a second one.
	again := h.take("agent-7", "call-1", in)
	if again.Status != http.StatusCreated || !strings.Contains(again.Body, id) {
		t.Errorf("replay answered %d: %s; want the first answer", again.Status, again.Body)
	}
	in2 := in
	in2.Details = "something else"
	if a := h.take("agent-7", "call-1", in2); a.Status != http.StatusConflict {
		t.Errorf("the same key with another body answered %d, want 409", a.Status)
	}
	h.Settle()
	h.WantStatus(id, refund.StatusAwaitingConsent)

	offers := h.Mails(mail.KindOffers, id)
	if len(offers) != 1 {
		t.Fatalf("%d options emails, want 1", len(offers))
	}
	if got, want := strings.Join(offers[0].To, ","), o.Email; got != want {
		t.Errorf("the options email went to %s, want the order's %s", got, want)
	}
	audit, _ := h.Store.ListAudit(h.Ctx, id)
	if len(audit) == 0 || audit[0].Actor != "staff:agent-7" || !strings.Contains(audit[0].Detail, "phone") {
		t.Errorf("first audit entry = %+v, want the agent and the channel", audit)
	}
	if r := h.Request(id); r.Channel != refund.ChannelPhone {
		t.Errorf("request channel = %q", r.Channel)
	}

	// No staff route accepts for the client: neither the review route nor a staff action.
	if a := h.Review(id, handler.ReviewDecision{Decision: "accept"}); a.Status != http.StatusBadRequest {
		t.Errorf("a staff 'accept' on the review route answered %d, want 400", a.Status)
	}
	if a := h.StaffAction("agent-7", id, handler.StaffActionRequest{Action: "accept", Note: "client said yes on the phone"}); a.Status != http.StatusBadRequest {
		t.Errorf("a staff 'accept' action answered %d, want 400", a.Status)
	}
	h.WantStatus(id, refund.StatusAwaitingConsent)

	h.accept(id, 0) // the client's own link
	h.WantStatus(id, refund.StatusCompleted)
	h.WantExecution(id, sfntypes.ExecutionStatusSucceeded)
	h.OneProviderRefund(o)
}

// Bad input: an unknown order is a 404 for staff, a second open request a 409, a missing channel a
// 400.
func TestTakingARequestRefuses(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	in := refund.StaffIntake{OrderNumber: o.Number, Kind: "refund", Reason: string(refund.ReasonChangedMind), Channel: refund.ChannelLetter}
	unknown := in
	unknown.OrderNumber = "RF-NOPE-1"
	if a := h.take("agent-1", "", unknown); a.Status != http.StatusNotFound {
		t.Errorf("unknown order answered %d, want 404: %s", a.Status, a.Body)
	}
	noChannel := in
	noChannel.Channel = "fax"
	if a := h.take("agent-1", "", noChannel); a.Status != http.StatusBadRequest || !strings.Contains(a.Body, "channel") {
		t.Errorf("channel fax answered %d, want 400 naming channel: %s", a.Status, a.Body)
	}
	a := h.take("agent-1", "", in)
	if a.Status != http.StatusCreated {
		t.Fatalf("take answered %d: %s", a.Status, a.Body)
	}
	var got handler.TakenAnswer
	_ = json.Unmarshal([]byte(a.Body), &got)
	h.Track(got.RequestID)
	if a := h.take("agent-2", "", in); a.Status != http.StatusConflict {
		t.Errorf("a second open request answered %d, want 409", a.Status)
	}
	h.Settle()
	// The client declines through their own link; the order is free again.
	code := h.ConsentCode(got.RequestID, mail.KindOffers)
	if st := h.postConsent(code, h.OpenConsent(code, "GET"), -1, "not now"); st != http.StatusSeeOther {
		t.Fatalf("decline answered %d", st)
	}
	h.Settle()
	h.WantStatus(got.RequestID, refund.StatusDeclined)
}
