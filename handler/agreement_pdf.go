package handler

import (
	"context"
	"errors"
	"fmt"

	"refundflow/refund"
)

// AgreementPdf is the AgreementPdfFunction Lambda function: it makes the signed agreement's PDF of an
// accepted consent for NotifyFunction, which attaches it to the completed email. It is a function of
// its own so that the PDF library (fpdf, with the image decoders and encoders it brings) stays out of
// NotifyFunction's bootstrap, which it put over the 12 MB every bootstrap must stay under (issue 14).
// It reads and writes nothing: the document is made from what the call carries, which Notify has
// already read (the consent record, the order number, the policy version, the company).
type AgreementPdf struct {
	// Render makes the PDF (agreementpdf.ForHandler).
	Render AgreementPDF
}

// AgreementPdfInput is what NotifyFunction sends: everything the document shows. It carries personal
// data (the typed name, IP and user agent of the consent), so it is never logged.
type AgreementPdfInput struct {
	Company       refund.Company `json:"company"`
	Consent       refund.Consent `json:"consent"`
	OrderNumber   string         `json:"order_number"`
	PolicyVersion string         `json:"policy_version"`
}

// AgreementPdfOutput is the PDF (base64 in the JSON answer) and its file name. A PDF is some 10 KB, far
// below the 6 MB a synchronous invocation may answer.
type AgreementPdfOutput struct {
	PDF      []byte `json:"pdf"`
	FileName string `json:"file_name"`
}

// ErrAgreementUnavailable is wrapped by an AgreementPDF error that says the PDF maker could not be
// reached (Lambda throttled the call, the network failed, the call timed out), as opposed to a PDF
// that cannot be made: the first is worth retrying, the second is not.
var ErrAgreementUnavailable = errors.New("the signed agreement's PDF maker is unavailable")

// Handle makes the PDF. Only an accepted consent has an agreement; anything else is refused.
func (h AgreementPdf) Handle(ctx context.Context, in AgreementPdfInput) (AgreementPdfOutput, error) {
	if in.Consent.Decision != refund.DecisionAccept || in.Consent.RequestID == "" {
		return AgreementPdfOutput{}, fmt.Errorf("no signed agreement: the call carries no accepted consent (request %q, decision %q)", in.Consent.RequestID, in.Consent.Decision)
	}
	if h.Render == nil {
		return AgreementPdfOutput{}, errors.New("AgreementPdf has no Render")
	}
	data, name, err := h.Render(ctx, in.Company, in.Consent, in.OrderNumber, in.PolicyVersion)
	if err != nil {
		return AgreementPdfOutput{}, err
	}
	return AgreementPdfOutput{PDF: data, FileName: name}, nil
}
