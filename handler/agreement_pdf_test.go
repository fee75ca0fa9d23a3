package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/agreementpdf"
	"refundflow/handler"
	"refundflow/refund"
)

// TestAgreementPdfMakesTheSameBytesThroughTheInvocation checks what the fingerprint recorded at
// consent relies on: the PDF AgreementPdfFunction makes from the record Notify sends — JSON in, the
// PDF back as base64 JSON, as Lambda carries them — is byte for byte the one RecordConsent and the
// downloads make in process.
func TestAgreementPdfMakesTheSameBytesThroughTheInvocation(t *testing.T) {
	company := refund.Company{Name: "Northwind IT Services", SupportEmail: "support@northwind.example", Address: "12 Harbour Street, 1000 Example City"}
	consent := refund.Consent{
		RequestID: "req-2025-0042", Decision: refund.DecisionAccept, OfferID: "full_refund", OfferHash: strings.Repeat("ab", 32),
		AgreementText: "I accept a full refund of EUR 120.00 to the card that paid.", TypedName: "Ana López",
		IP: "203.0.113.7", UserAgent: "Mozilla/5.0 (iPhone)", LinkHash: "x",
		At: time.Date(2025, 3, 3, 14, 5, 9, 123456789, time.UTC),
	}
	want, wantName, err := agreementpdf.ForHandler(context.Background(), company, consent, "RF-1042", "2025-06-default")
	if err != nil {
		t.Fatal(err)
	}
	in, err := json.Marshal(handler.AgreementPdfInput{Company: company, Consent: consent, OrderNumber: "RF-1042", PolicyVersion: "2025-06-default"})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := lambda.NewHandler(handler.AgreementPdf{Render: agreementpdf.ForHandler}.Handle).Invoke(context.Background(), in)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	var out handler.AgreementPdfOutput
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.PDF, want) || out.FileName != wantName {
		t.Errorf("through the invocation: %d bytes %q, in process: %d bytes %q; they must be the same document", len(out.PDF), out.FileName, len(want), wantName)
	}
}

func TestAgreementPdfRefusesWhatIsNoAgreement(t *testing.T) {
	h := handler.AgreementPdf{Render: agreementpdf.ForHandler}
	for name, c := range map[string]refund.Consent{
		"declined":   {RequestID: "r1", Decision: refund.DecisionDecline},
		"no request": {Decision: refund.DecisionAccept},
		"empty":      {},
	} {
		if _, err := h.Handle(context.Background(), handler.AgreementPdfInput{Consent: c}); err == nil {
			t.Errorf("%s: made a PDF, want a refusal", name)
		}
	}
}
