package handler

import (
	"context"
	"fmt"
	"net/url"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
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
	if page.Outcome != nil && h.AgreementPDF != nil {
		page.AgreementURL = agreementPath(rec.ID, code)
	}
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

// withStatusLink adds to a consent link's page, once an acceptance is recorded, the download of the
// signed agreement, opened with the same consent code (GET /consent/{code}/agreement): the client
// keeps it without looking for another email. The page gets no status link: a consent code does not
// open the status page (each code opens only what its email is for), so the page says where that
// link is (web.LinkPage.StatusNote).
func withStatusLink(p web.LinkPage, v consentView, code string) web.LinkPage {
	if v.req.ID == "" || code == "" {
		return p
	}
	if v.answer.found && !v.answer.declined && (p.State == web.LinkAccepted || p.State == web.LinkRecorded) {
		p.AgreementURL = "/consent/" + url.PathEscape(code) + "/agreement"
	}
	return p
}

// AgreementPDF makes the PDF of an accepted consent (agreementpdf.Render through the wiring, so only
// the functions that serve it link the PDF library; NotifyFunction asks AgreementPdfFunction): its
// bytes and its file name. An error that wraps ErrAgreementUnavailable means the PDF maker could not
// be reached, not that the PDF cannot be made.
type AgreementPDF func(ctx context.Context, company refund.Company, consent refund.Consent, orderNumber, policyVersion string) (pdf []byte, fileName string, err error)

// agreementPath is the download address of a request's signed agreement, with the page's code.
func agreementPath(id, code string) string {
	return "/requests/" + url.PathEscape(id) + "/agreement?t=" + url.QueryEscape(code)
}

// errNoAgreement is the answer for a request without a signed agreement: like an unknown request.
func errNoAgreement() error {
	return refund.Errorf(refund.CodeNotFound, "There is no signed agreement for this request: it exists once you accept an offer.")
}

// agreement answers GET /requests/{id}/agreement?t=<code> with the PDF of the accepted consent, made
// again from the stored record (nothing is stored but the record; the same record gives the same
// bytes). A wrong or expired code is 404, as on the status page.
func (h RequestStatus) agreement(ctx context.Context, req events.APIGatewayV2HTTPRequest, id string) (events.APIGatewayV2HTTPResponse, error) {
	q, err := apigw.Query(req)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, errUnknownRequest()
	}
	rec, err := h.lookup(ctx, id, q.Get("t"))
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if h.AgreementPDF == nil {
		return events.APIGatewayV2HTTPResponse{}, errNoAgreement()
	}
	c, err := h.Store.GetConsent(ctx, rec.ID)
	switch {
	case refund.ErrorCode(err) == refund.CodeNotFound:
		return events.APIGatewayV2HTTPResponse{}, errNoAgreement()
	case err != nil:
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("agreement of request %s: %w", rec.ID, err)
	case c.Decision != refund.DecisionAccept:
		return events.APIGatewayV2HTTPResponse{}, errNoAgreement()
	}
	return agreementResponse(ctx, h.AgreementPDF, c, rec.OrderNumber, rec.PolicyVersion)
}

// agreement answers GET /consent/{code}/agreement with the PDF of the acceptance recorded through that
// consent link, made again from the stored record. A code that is unknown or expired, or a link
// without an acceptance, is 404.
func (h RecordConsent) agreement(ctx context.Context, code string) (events.APIGatewayV2HTTPResponse, error) {
	v, err := h.load(ctx, code)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if v.req.ID == "" || v.closed == nil || v.closed.State != web.LinkRecorded || !v.answer.found || v.answer.declined || h.AgreementPDF == nil {
		return events.APIGatewayV2HTTPResponse{}, errNoAgreement()
	}
	c, err := h.Store.GetConsent(ctx, v.req.ID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("agreement of request %s: %w", v.req.ID, err)
	}
	return agreementResponse(ctx, h.AgreementPDF, c, v.req.OrderNumber, v.req.PolicyVersion)
}

// agreementResponse renders the PDF of an accepted consent as a download that is never cached.
func agreementResponse(ctx context.Context, render AgreementPDF, c refund.Consent, orderNumber, policyVersion string) (events.APIGatewayV2HTTPResponse, error) {
	data, name, err := render(ctx, web.CurrentCompany(), c, orderNumber, policyVersion)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("agreement of request %s: %w", c.RequestID, err)
	}
	resp := apigw.Static(data, "application/pdf")
	resp.Headers["Cache-Control"] = apigw.CacheNoStore
	resp.Headers["Content-Disposition"] = `attachment; filename="` + name + `"`
	return resp, nil
}
