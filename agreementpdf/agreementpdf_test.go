package agreementpdf_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"refundflow/agreementpdf"
	"refundflow/refund"
	"refundflow/testenv"
)

// sample is an accepted consent as the store keeps it, with the agreement refund.Agreement writes.
func sample() agreementpdf.Document {
	order := refund.Order{Number: "RF-1001", CustomerName: "Zoë Müller", PurchaseDate: "2026-12-03", Paid: 180000, Currency: "EUR",
		Payment: refund.Payment{CardHint: "4242", ThreeDSecure: true}, Service: refund.Service{Type: refund.ServiceProject}}
	req := refund.Request{ID: "req-20261206-abc", Kind: refund.KindRefund, Reason: refund.ReasonChangedMind}
	offer := refund.Offer{ID: "req-20261206-abc-1-partial_refund", Kind: refund.OfferPartialRefund, Amount: refund.Money{Amount: 171000, Currency: "EUR"},
		Breakdown: []refund.Line{{Label: "Amount paid", Amount: refund.Money{Amount: 180000, Currency: "EUR"}},
			{Label: "Cancellation fee (5% of the amount paid)", Amount: refund.Money{Amount: -9000, Currency: "EUR"}}},
		Terms: "EUR 1,710.00 will be refunded to the card ending 4242, within 5–10 business days.", EffectiveDate: "2026-12-06", PolicyVersion: "2025-06-default"}
	text := refund.Agreement(order, req, offer)
	return agreementpdf.Document{
		Company: refund.Company{Name: "Northwind IT Services", SupportEmail: "support@northwind.example", Address: "12 Harbour Street, 1000 Example City"},
		Consent: refund.Consent{RequestID: req.ID, Decision: refund.DecisionAccept, OfferID: offer.ID, OfferHash: refund.AgreementHash(offer, text),
			AgreementText: text, TypedName: "Zoë Müller", IP: "203.0.113.7", UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0",
			At: time.Date(2026, 12, 6, 21, 12, 3, 0, time.UTC)},
		OrderNumber: order.Number, PolicyVersion: offer.PolicyVersion,
	}
}

// The PDF is reproducible byte for byte from the record: rendering it again (as a download months
// later does) gives the same bytes, and any change of the record changes them.
func TestRenderIsReproducible(t *testing.T) {
	d := sample()
	a, err := agreementpdf.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := agreementpdf.Render(d)
	if !bytes.Equal(a, b) || !bytes.HasPrefix(a, []byte("%PDF-")) {
		t.Fatalf("two renders differ (%d and %d bytes) or are no PDF", len(a), len(b))
	}
	d.Consent.TypedName = "Zoe Muller"
	if c, _ := agreementpdf.Render(d); bytes.Equal(a, c) {
		t.Error("a different signature gives the same PDF")
	}
	d = sample()
	d.Consent.Decision = refund.DecisionDecline
	if _, err := agreementpdf.Render(d); err == nil {
		t.Error("a decline has a PDF")
	}
	if got, want := sample().FileName(), "agreement-RF-1001.pdf"; got != want {
		t.Errorf("FileName = %q, want %q", got, want)
	}
}

// pdftotext reads back the agreement text, word for word, and the signature record; pdftoppm renders
// the first page as a test artifact (testout/agreementpdf/) for a person to look at.
func TestPDFReadsBackAsTheAgreement(t *testing.T) {
	for _, tool := range []string{"pdftotext", "pdftoppm"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, tool+" is not installed (scripts/poppler.sh installs poppler-utils); the PDF is not read back")
		}
	}
	d := sample()
	data, err := agreementpdf.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, d.FileName())
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	got := strings.Join(strings.Fields(string(out)), " ")
	want := strings.Join(strings.Fields(d.Consent.AgreementText), " ")
	if !strings.Contains(got, want) {
		t.Errorf("the PDF's text does not contain the agreement text\n got: %s\nwant: %s", got, want)
	}
	for _, w := range []string{"Zoë Müller (typed name)", "6 December 2026 at 21:12:03 UTC", "203.0.113.7", d.Consent.OfferHash,
		agreementpdf.TextHash(d.Consent.AgreementText), "Northwind IT Services", "12 Harbour Street", "support@northwind.example"} {
		if !strings.Contains(got, w) {
			t.Errorf("the PDF lacks %q", w)
		}
	}
	artifacts := filepath.Join(moduleRoot(t), "testout", "agreementpdf")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(artifacts, d.FileName()), data, 0o644)
	if out, err := exec.Command("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", file, filepath.Join(artifacts, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
}

// moduleRoot is the directory of go.mod, one up from this package.
func moduleRoot(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}
