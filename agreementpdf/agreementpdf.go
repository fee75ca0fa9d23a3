// Package agreementpdf makes the signed agreement a client keeps: a PDF made from the stored consent
// record alone (the agreement text the client accepted, the typed name, when, from which address and
// browser, the offer's fingerprint), with the company's identity. It stores nothing: the same record
// gives the same bytes every time (a fixed creation date taken from the consent, sorted catalog, no
// random document ID), so the document is reproducible and its SHA-256 is a stable fingerprint.
//
// The PDF is written with codeberg.org/go-pdf/fpdf and its standard fonts (Helvetica and Courier in the
// Windows-1252 encoding, which every PDF reader has, so nothing is embedded): characters outside
// Windows-1252 are shown as "?" in the PDF, while the stored text keeps them.
package agreementpdf

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"refundflow/refund"
)

// Document is what the PDF shows.
type Document struct {
	// Company is the party the client agreed with.
	Company refund.Company
	// Consent is the stored acceptance: its agreement text, typed name, time, IP, user agent, offer
	// ID and hash.
	Consent refund.Consent
	// OrderNumber names the order.
	OrderNumber string
	// PolicyVersion is the refund policy the offer was made under.
	PolicyVersion string
}

// FileName is the download's file name: "agreement-RF-1001.pdf".
func (d Document) FileName() string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, d.OrderNumber)
	return "agreement-" + safe + ".pdf"
}

// TextHash returns the hex SHA-256 of the agreement text as stored and signed.
func TextHash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// Hash returns the hex SHA-256 of a PDF's bytes.
func Hash(pdf []byte) string {
	sum := sha256.Sum256(pdf)
	return hex.EncodeToString(sum[:])
}

// Render writes the PDF of an accepted consent.
func Render(d Document) ([]byte, error) {
	c := d.Consent
	if c.Decision != refund.DecisionAccept || c.AgreementText == "" || c.At.IsZero() {
		return nil, fmt.Errorf("agreement PDF of request %s: only an accepted consent with its text and time has one", c.RequestID)
	}
	at := c.At.UTC().Truncate(time.Second)
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(at)
	pdf.SetModificationDate(at)
	pdf.SetCatalogSort(true)
	pdf.SetCompression(true)
	pdf.SetTitle("Signed agreement, order "+d.OrderNumber, true)
	pdf.SetAuthor(d.Company.Name, true)
	pdf.SetCreator("Refundflow", true)
	pdf.SetMargins(18, 18, 18)
	pdf.SetAutoPageBreak(true, 18)
	tr := pdf.UnicodeTranslatorFromDescriptor("") // Windows-1252, the standard fonts' encoding
	width, _ := pdf.GetPageSize()
	width -= 36
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("Helvetica", "", 8)
		pdf.SetTextColor(90, 90, 90)
		pdf.CellFormat(0, 5, tr(fmt.Sprintf("%s - signed agreement, order %s - page %d", d.Company.Name, d.OrderNumber, pdf.PageNo())), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()

	pdf.SetFont("Helvetica", "B", 15)
	pdf.MultiCell(width, 7, tr(d.Company.Name), "", "L", false)
	pdf.SetFont("Helvetica", "", 9)
	pdf.SetTextColor(60, 60, 60)
	contact := append(d.Company.AddressLines(), d.Company.SupportEmail)
	for _, l := range contact {
		if l != "" {
			pdf.MultiCell(width, 4.5, tr(l), "", "L", false)
		}
	}
	pdf.Ln(4)
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont("Helvetica", "B", 13)
	pdf.MultiCell(width, 6, tr("Signed agreement for order "+d.OrderNumber), "", "L", false)
	pdf.SetFont("Helvetica", "", 9.5)
	pdf.MultiCell(width, 5, tr("This is the agreement you accepted, word for word, followed by the record of your signature."), "", "L", false)
	pdf.Ln(3)

	// The agreement text, line by line in a fixed-width font, so its calculation table keeps its columns.
	pdf.SetFont("Courier", "", 8.5)
	for _, line := range strings.Split(strings.TrimRight(c.AgreementText, "\n"), "\n") {
		if line == "" {
			pdf.Ln(3)
			continue
		}
		pdf.MultiCell(width, 4, tr(line), "", "L", false)
	}
	pdf.Ln(5)

	pdf.SetFont("Helvetica", "B", 11)
	pdf.MultiCell(width, 6, "Signature", "", "L", false)
	rows := [][2]string{
		{"Signed by", c.TypedName + " (typed name)"},
		{"Accepted on", at.Format("2 January 2006 at 15:04:05 UTC")},
		{"From address", c.IP},
		{"Browser", c.UserAgent},
		{"Request", c.RequestID},
		{"Order", d.OrderNumber},
		{"Offer", c.OfferID},
		{"Refund policy", d.PolicyVersion},
		{"Offer fingerprint", c.OfferHash},
		{"Text fingerprint", TextHash(c.AgreementText)},
	}
	for _, r := range rows {
		if r[1] == "" {
			continue
		}
		pdf.SetFont("Helvetica", "B", 9)
		pdf.CellFormat(36, 5, tr(r[0]), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 9)
		pdf.MultiCell(width-36, 5, tr(r[1]), "", "L", false)
	}
	pdf.Ln(3)
	pdf.SetFont("Helvetica", "", 8.5)
	pdf.SetTextColor(60, 60, 60)
	pdf.MultiCell(width, 4.5, tr("The offer fingerprint is the SHA-256 of the offer and this text as recorded when you accepted; the text fingerprint is the SHA-256 of the agreement text above. We can reproduce this document byte for byte from our record; write to "+d.Company.SupportEmail+" to have it checked."), "", "L", false)

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("agreement PDF of request %s: %w", c.RequestID, err)
	}
	return buf.Bytes(), nil
}

// ForHandler renders an accepted consent's PDF with its file name, in the shape of
// handler.AgreementPDF, for the wiring to hand to the functions that make it.
func ForHandler(_ context.Context, company refund.Company, consent refund.Consent, orderNumber, policyVersion string) ([]byte, string, error) {
	d := Document{Company: company, Consent: consent, OrderNumber: orderNumber, PolicyVersion: policyVersion}
	data, err := Render(d)
	return data, d.FileName(), err
}
