package workflowtest

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"refundflow/handler"
	"refundflow/mail"
	"refundflow/refund"
)

// aboveLimitOrder stores a project whose policy refund (EUR 2,750.00) is above the EUR 2,000.00 review
// threshold, the default four-eyes limit, and submits a request for it, which waits in review.
func aboveLimitOrder(h *harness) (refund.Order, string, []refund.Offer) {
	h.T.Helper()
	o := h.newOrder(refund.ServiceProject, func(o *refund.Order) {
		o.PurchaseDate = "2025-01-10"
		o.Paid = 500000
		o.Service.Project.Milestones = []refund.Milestone{
			{Name: "Discovery", Price: 200000, Status: refund.MilestoneDelivered},
			{Name: "Build", Price: 300000, Status: refund.MilestoneNotStarted},
		}
	})
	id := h.submitRequest(o, refund.ReasonChangedMind)
	h.WantStatus(id, refund.StatusInReview)
	offers, _, err := h.Store.ListOffers(h.Ctx, id)
	if err != nil || len(offers) == 0 || !offers[0].IsRefund() {
		h.T.Fatalf("offers = %+v, %v", offers, err)
	}
	return o, id, offers
}

// Ported from the review of issue 17 (review/money, TestReviewOneStaffMemberAdjustsAboveTheLimitAlone):
// DESIGN.md's four-eyes rule. One member of staff raises a refund to EUR 5,000.00, above the
// EUR 2,000.00 limit: the request stays in review and the client hears nothing until a second member
// of staff confirms.
func TestReviewOneStaffMemberAdjustsAboveTheLimitAlone(t *testing.T) {
	h := newHarness(t)
	_, id, offers := aboveLimitOrder(h)
	code, body := h.review(id, handler.ReviewDecision{Decision: handler.ReviewAdjust,
		Offers: []refund.OfferAdjustment{{ID: offers[0].ID, Kind: refund.OfferFullRefund, Amount: "5000.00"}}})
	if code != http.StatusOK {
		t.Fatalf("adjust answered %d: %s", code, body)
	}
	if got := h.Request(id).Status; got != refund.StatusInReview {
		t.Errorf("after one member of staff proposed and confirmed a refund of EUR 5,000.00 alone, the request is %s; "+
			"want it still in review until a second member of staff confirms", got)
	}
	if m := h.Mails(mail.KindOffers, id); len(m) > 0 {
		t.Errorf("the client was already sent %d offers email(s) with the single-approved amount", len(m))
	}
	closeCase(h, id)
}

// The four-eyes rule end to end: the proposer cannot confirm (403), a second member of staff can, and
// only then do the adjusted offers reach the client; both names are in the audit trail.
func TestFourEyesSecondStaffMemberConfirms(t *testing.T) {
	for _, decision := range []string{handler.ReviewApprove, handler.ReviewAdjust} {
		t.Run(decision, func(t *testing.T) {
			h := newHarness(t)
			_, id, offers := aboveLimitOrder(h)
			d := handler.ReviewDecision{Decision: decision}
			if decision == handler.ReviewAdjust {
				d.Offers = []refund.OfferAdjustment{{ID: offers[0].ID, Kind: refund.OfferFullRefund, Amount: "5000.00"}}
			}
			if code, body := h.review(id, d); code != http.StatusOK || !strings.Contains(body, "awaiting_confirmation") {
				t.Fatalf("proposal answered %d: %s", code, body)
			}
			if code, body := h.review(id, handler.ReviewDecision{Decision: handler.ReviewConfirm}); code != http.StatusForbidden {
				t.Errorf("the proposer's own confirmation answered %d, want 403: %s", code, body)
			}
			if got := h.Request(id).Status; got != refund.StatusInReview {
				t.Fatalf("after the proposer's own confirmation the request is %s, want in_review", got)
			}
			a := h.ReviewAs("staff-2", id, handler.ReviewDecision{Decision: handler.ReviewConfirm})
			h.Settle()
			if a.Status != http.StatusOK {
				t.Fatalf("the second member of staff's confirmation answered %d: %s", a.Status, a.Body)
			}
			h.WantStatus(id, refund.StatusAwaitingConsent)
			if m := h.Mails(mail.KindOffers, id); len(m) != 1 {
				t.Errorf("offers emails after the confirmation = %d, want 1", len(m))
			}
			cur, _, err := h.Store.ListOffers(h.Ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			want := offers[0].Amount.Amount
			if decision == handler.ReviewAdjust {
				want = 500000
			}
			if got := cur[0].Amount.Amount; got != want {
				t.Errorf("offer after confirmation = %d, want %d", got, want)
			}
			trail := auditActions(h, id)
			action := "review_approved"
			if decision == handler.ReviewAdjust {
				action = "offers_adjusted"
			}
			for _, want := range []string{"review_proposed by staff:staff-1: ", action + " by staff:staff-2: confirms the " + decision + " proposed by staff:staff-1"} {
				if !strings.Contains(trail, want) {
					t.Errorf("audit trail lacks %q:\n%s", want, trail)
				}
			}
			h.accept(id, 0)
			h.WantStatus(id, refund.StatusCompleted)
			if got := h.Order(h.Request(id).OrderNumber).Refunded; got != want {
				t.Errorf("refunded after acceptance = %d, want %d", got, want)
			}
		})
	}
}

// Below the limit one decision suffices.
func TestFourEyesBelowTheLimitOneDecision(t *testing.T) {
	h := newHarness(t)
	_, id, offers := aboveLimitOrder(h)
	code, body := h.review(id, handler.ReviewDecision{Decision: handler.ReviewAdjust,
		Offers: []refund.OfferAdjustment{{ID: offers[0].ID, Kind: refund.OfferPartialRefund, Amount: "1500.00"}}})
	if code != http.StatusOK || strings.Contains(body, "awaiting_confirmation") {
		t.Fatalf("adjust to EUR 1,500.00 answered %d: %s", code, body)
	}
	h.WantStatus(id, refund.StatusAwaitingConsent)
	closeCase(h, id)
}

// Two second members of staff confirming at once: exactly one confirmation stands; the other is a 409.
func TestFourEyesConcurrentConfirmations(t *testing.T) {
	h := newHarness(t)
	_, id, _ := aboveLimitOrder(h)
	if code, body := h.review(id, handler.ReviewDecision{Decision: handler.ReviewApprove}); code != http.StatusOK {
		t.Fatalf("proposal answered %d: %s", code, body)
	}
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i, sub := range []string{"staff-2", "staff-3"} {
		wg.Go(func() { codes[i] = h.ReviewAs(sub, id, handler.ReviewDecision{Decision: handler.ReviewConfirm}).Status })
	}
	wg.Wait()
	h.Settle()
	ok := 0
	for _, c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
		default:
			t.Errorf("a confirmation answered %d", c)
		}
	}
	if ok != 1 {
		t.Errorf("confirmations that stood = %d (answers %v), want exactly 1", ok, codes)
	}
	if got := strings.Count(auditActions(h, id), "review_approved by"); got != 1 {
		t.Errorf("review_approved entries = %d, want 1", got)
	}
	closeCase(h, id)
}

// A proposal on a request that changed since (here: another member of staff's smaller adjustment,
// which needs no second person) cannot be confirmed: 409 saying what changed.
func TestFourEyesProposalThenChangedRequestIsAConflict(t *testing.T) {
	h := newHarness(t)
	_, id, offers := aboveLimitOrder(h)
	if code, body := h.review(id, handler.ReviewDecision{Decision: handler.ReviewApprove}); code != http.StatusOK {
		t.Fatalf("proposal answered %d: %s", code, body)
	}
	a := h.ReviewAs("staff-2", id, handler.ReviewDecision{Decision: handler.ReviewAdjust,
		Offers: []refund.OfferAdjustment{{ID: offers[0].ID, Kind: refund.OfferPartialRefund, Amount: "1000.00"}}})
	if a.Status != http.StatusOK {
		t.Fatalf("the smaller adjustment answered %d: %s", a.Status, a.Body)
	}
	c := h.ReviewAs("staff-3", id, handler.ReviewDecision{Decision: handler.ReviewConfirm})
	h.Settle()
	if c.Status != http.StatusConflict || !strings.Contains(c.Body, "Last change: ") {
		t.Errorf("confirming a proposal on a changed request answered %d: %s; want 409 saying what changed", c.Status, c.Body)
	}
	closeCase(h, id)
}

// closeCase ends a request the test left open, as the harness's invariants require: a request in
// review is rejected, one awaiting consent accepts its first offer.
func closeCase(h *harness, id string) {
	h.T.Helper()
	switch h.Request(id).Status {
	case refund.StatusInReview:
		if code, body := h.review(id, handler.ReviewDecision{Decision: handler.ReviewReject, Message: "Closed by the test."}); code != http.StatusOK {
			h.T.Fatalf("reject answered %d: %s", code, body)
		}
	case refund.StatusAwaitingConsent:
		h.accept(id, 0)
	}
}

// auditActions lists the request's audit trail as "action by actor: detail" lines.
func auditActions(h *harness, id string) string {
	h.T.Helper()
	entries, err := h.Store.ListAudit(h.Ctx, id)
	if err != nil {
		h.T.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(e.Action + " by " + e.Actor + ": " + e.Detail + "\n")
	}
	return b.String()
}
