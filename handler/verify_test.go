package handler_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"refundflow/agreementpdf"
	"refundflow/handler"
	"refundflow/refund"
	"refundflow/web"
)

// verifyEvent is a POST /verify from the site's own page with the given body and content type
// (base64-encoded, as API Gateway sends anything but text).
func verifyEvent(t testing.TB, contentType string, body []byte) events.APIGatewayV2HTTPRequest {
	ev := loadEvent(t, "post-feedback.json")
	setPath(&ev, "/verify", nil)
	ev.RouteKey, ev.RequestContext.RouteKey = "POST /verify", "POST /verify"
	ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	ev.Headers["content-type"] = contentType
	ev.Headers["content-length"] = fmt.Sprint(len(body))
	return ev
}

// verifyUpload is the page's form post: the file as the "pdf" part and the fingerprint field.
func verifyUpload(t testing.TB, pdf []byte, fingerprint string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, err := w.CreateFormFile("pdf", "agreement.pdf")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = part.Write(pdf)
	_ = w.WriteField("fingerprint", fingerprint)
	_ = w.Close()
	return verifyEvent(t, w.FormDataContentType(), buf.Bytes())
}

// tableItems counts the table's items, to show a check stores nothing.
func (f *httpFixture) tableItems() int32 {
	f.t.Helper()
	out, err := f.store.Client.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(f.store.Table), Select: "COUNT"})
	if err != nil {
		f.t.Fatal(err)
	}
	return out.Count
}

func TestVerifyAgreement(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusAwaitingConsent, true)
	wantStatus(t, mustCall(t, f.consentHandler(), consentAccept(t, s.consentCode, choices(t, f.openConsent(s.consentCode))[0], "Ana López")), http.StatusSeeOther)
	stored, err := f.store.GetConsent(context.Background(), s.id)
	if err != nil {
		t.Fatal(err)
	}
	pdf, _, err := agreementpdf.ForHandler(context.Background(), web.CurrentCompany(), stored, s.order.Number, f.request(s.id).PolicyVersion)
	if err != nil {
		t.Fatal(err)
	}
	hash := agreementpdf.Hash(pdf)
	changed := bytes.Clone(pdf)
	changed[len(changed)/2] ^= 1
	h := f.feedbackHandler()

	get := verifyEvent(t, "", nil)
	get.RequestContext.HTTP.Method, get.Body, get.RouteKey = http.MethodGet, "", "GET /verify"
	form := mustCall(t, h, get)
	wantStatus(t, form, http.StatusOK)
	if !strings.Contains(form.Body, `enctype="multipart/form-data"`) || !strings.Contains(form.Body, `name="fingerprint"`) {
		t.Errorf("the verify page lacks its form:\n%s", form.Body)
	}

	before := f.tableItems()
	jsonFP := func(fp string) events.APIGatewayV2HTTPRequest {
		ev := verifyEvent(t, "application/json", []byte(`{"fingerprint":"`+fp+`"}`))
		ev.Headers["accept"] = "application/json"
		return ev
	}
	foreign := verifyUpload(t, pdf, "")
	foreign.Headers["origin"] = "https://evil.example"
	for _, tc := range []struct {
		name   string
		ev     events.APIGatewayV2HTTPRequest
		status int
		want   string // in the body
	}{
		{"our PDF uploaded", verifyUpload(t, pdf, ""), http.StatusOK, "for order <strong>" + s.order.Number + "</strong>"},
		{"our PDF as application/pdf", verifyEvent(t, "application/pdf", pdf), http.StatusOK, "This is a genuine agreement"},
		{"fingerprint as JSON", jsonFP(hash), http.StatusOK, `"order_number":"` + s.order.Number + `"`},
		{"fingerprint in capitals with spaces", verifyUpload(t, nil, " "+strings.ToUpper(hash[:32])+" "+hash[32:]), http.StatusOK, hash},
		{"one byte changed", verifyUpload(t, changed, ""), http.StatusNotFound, "We did not issue this agreement"},
		{"one byte changed, JSON", func() events.APIGatewayV2HTTPRequest {
			ev := verifyEvent(t, "application/pdf", changed)
			ev.Headers["accept"] = "application/json"
			return ev
		}(), http.StatusNotFound, `"not_found"`},
		{"not a PDF", verifyUpload(t, []byte("GIF89a not a pdf"), ""), http.StatusBadRequest, "This file is not a PDF"},
		{"fingerprint too short", jsonFP(hash[:63]), http.StatusBadRequest, "this one has 63"},
		{"fingerprint too long", verifyUpload(t, nil, hash+"0"), http.StatusBadRequest, "this one has 65"},
		{"fingerprint not hex", jsonFP(strings.Repeat("z", 64)), http.StatusBadRequest, "0–9 and a–f"},
		{"nothing given", verifyUpload(t, nil, ""), http.StatusBadRequest, "Choose the agreement"},
		{"over 5 MB", verifyUpload(t, append([]byte("%PDF-1.3\n"), make([]byte, 5<<20)...), ""), http.StatusRequestEntityTooLarge, "at most 1024 KB"},
		{"another content type", verifyEvent(t, "text/plain", []byte(hash)), http.StatusUnsupportedMediaType, ""},
		{"from another website", foreign, http.StatusForbidden, ""},
	} {
		resp := mustCall(t, h, tc.ev)
		if resp.StatusCode != tc.status || !strings.Contains(resp.Body, tc.want) {
			t.Errorf("%s: status %d, want %d with %q:\n%.600s", tc.name, resp.StatusCode, tc.status, tc.want, resp.Body)
		}
		for _, private := range []string{"Ana", "López", "203.0.113", stored.TypedName, s.id} {
			if resp.StatusCode == http.StatusOK && strings.Contains(resp.Body, private) {
				t.Errorf("%s: the answer reveals %q", tc.name, private)
			}
		}
	}
	if got := f.tableItems(); got != before {
		t.Errorf("checks changed the table: %d items, had %d", got, before)
	}

	var answer handler.VerifyAnswer
	if err := json.Unmarshal([]byte(mustCall(t, h, jsonFP(hash)).Body), &answer); err != nil {
		t.Fatal(err)
	}
	if !answer.Genuine || answer.Fingerprint != hash || answer.OrderNumber != s.order.Number || !answer.SignedAt.Equal(stored.At) {
		t.Errorf("answer = %+v", answer)
	}
}

// TestVerifyRefusesAnOrphanFingerprint: the fingerprint is written just before the consent's
// transaction; when the transaction fails (here: the request changed meanwhile), /verify does not call
// that PDF genuine.
func TestVerifyRefusesAnOrphanFingerprint(t *testing.T) {
	f := newHTTPFixture(t)
	s := f.seed(refund.StatusAwaitingConsent, true)
	rec := f.request(s.id)
	o := s.offers[0]
	text := refund.Agreement(s.order, rec.Request, o)
	orphan := strings.Repeat("e", 64)
	c := refund.Consent{
		RequestID: s.id, Decision: refund.DecisionAccept, OfferID: o.ID, OfferHash: refund.AgreementHash(o, text), AgreementText: text,
		TypedName: "Ana López", LinkHash: refund.HashCode(s.consentCode), OrderNumber: s.order.Number, PDFHash: orphan,
	}
	if err := f.store.RecordConsent(context.Background(), c, rec.Version-1, refund.AuditEntry{Actor: refund.ActorClient}); refund.ErrorCode(err) != refund.CodeConflict {
		t.Fatalf("record with a stale version: %v, want a conflict", err)
	}
	if _, err := f.store.GetSignedAgreement(context.Background(), orphan); refund.ErrorCode(err) != refund.CodeNotFound {
		t.Errorf("an orphan fingerprint: %v, want not found", err)
	}
	ev := verifyEvent(t, "application/json", []byte(`{"fingerprint":"`+orphan+`"}`))
	wantStatus(t, mustCall(t, f.feedbackHandler(), ev), http.StatusNotFound)
}
