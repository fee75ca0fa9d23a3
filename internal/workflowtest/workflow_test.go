package workflowtest

import (
	"strings"
	"testing"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"refundflow/mail"
	"refundflow/refund"
)

func TestHappyPathProject(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceProject)
	id := h.submitRequest(o, refund.ReasonChangedMind)

	h.wantStatus(id, refund.StatusAwaitingConsent)
	h.wantExecution(id, sfntypes.ExecutionStatusRunning)
	offers := h.oneMail(mail.KindOffers, id)
	if got, want := strings.Join(offers.To, ","), o.Email; got != want {
		t.Errorf("offers email went to %q, want the order's %q", got, want)
	}
	h.accept(id, 0)

	h.wantStatus(id, refund.StatusCompleted)
	h.wantExecution(id, sfntypes.ExecutionStatusSucceeded)
	t.Log(h.historySummary(id))
}
