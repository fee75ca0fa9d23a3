package handler

import (
	"context"
	"fmt"
	"net/url"

	"refundflow/refund"
	"refundflow/web"
)

// details adds to the status page what the client needs to act or to know what comes next: the
// offers and their amounts while the client's answer is awaited, the staff's explanation after a
// review found nothing to offer, and when refunded money arrives (issue 14). It lives beside
// request_status.go so that page's handler stays as it was.
func (h RequestStatus) details(ctx context.Context, rec refund.RequestRecord, code string, page *web.StatusPage) error {
	page.RefundTiming = policyFor(rec.PolicyVersion).RefundTiming
	page.StaffMessage = rec.ReviewMessage
	if rec.Status != refund.StatusAwaitingConsent {
		return nil
	}
	offers, _, err := h.Store.ListOffers(ctx, rec.ID)
	if err != nil {
		return fmt.Errorf("status page of request %s: %w", rec.ID, err)
	}
	page.Offers = offers
	page.AnswerBy = consentDeadline(rec)
	return nil
}

// policyFor returns the published policy a request was decided under, or the policy in force when
// the version is unknown (not decided yet, or a version no longer embedded).
func policyFor(version string) refund.Policy {
	if p, ok := refund.PublishedPolicy(version); ok {
		return p
	}
	return refund.DefaultPolicy()
}

// withStatusLink links a consent link's page to the request's status page, opened with the same
// consent code (RequestStatus accepts it while it lives), once the answer is recorded: the client
// then follows the request, and downloads the signed agreement, without looking for another email.
func withStatusLink(p web.LinkPage, v consentView, code string) web.LinkPage {
	if v.req.ID == "" || code == "" {
		return p
	}
	switch p.State {
	case web.LinkAccepted, web.LinkDeclined, web.LinkRecorded:
		p.StatusURL = "/requests/" + url.PathEscape(v.req.ID) + "?t=" + url.QueryEscape(code)
	}
	return p
}
