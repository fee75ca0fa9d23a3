package handler

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/refund"
	"refundflow/web"
)

// VerifyBody is the JSON body of POST /verify: the fingerprint (hex SHA-256) of an agreement's PDF.
// The PDF itself is sent as the body with Content-Type application/pdf, or as the "pdf" part of a
// multipart/form-data post (the page's form).
type VerifyBody struct {
	Fingerprint string `json:"fingerprint"`
}

// VerifyAnswer is the JSON answer of POST /verify for an agreement we issued (200): its fingerprint,
// the order it is for and when it was signed, which the document itself shows; nothing else. A
// document or fingerprint that matches no agreement is 404 not_found.
type VerifyAnswer struct {
	Genuine     bool      `json:"genuine"`
	Fingerprint string    `json:"fingerprint"`
	OrderNumber string    `json:"order_number"`
	SignedAt    time.Time `json:"signed_at"`
}

// msgNotOurs is the JSON message for a document or fingerprint that matches no agreement.
const msgNotOurs = "This matches no agreement we issued: it is not one of ours, or it was changed after we issued it."

// verify answers /verify, the public check of a signed agreement: GET shows the form, POST checks a
// PDF (multipart "pdf" part, or an application/pdf body) or a fingerprint by the PDF's SHA-256, with
// one read of the table (the fingerprint's own item, written at consent; never a scan). It stores
// nothing and names only the order and the time of signing.
func (h Feedback) verify(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	switch m := apigw.Method(req); m {
	case http.MethodGet, http.MethodHead:
		return apigw.Page(http.StatusOK, web.VerifyPage{})
	case http.MethodPost:
	default:
		return events.APIGatewayV2HTTPResponse{}, errMethod(m)
	}
	hash, entered, err := readVerify(req)
	if err != nil {
		return verifyProblem(req, entered, err)
	}
	found, err := h.Store.GetSignedAgreement(ctx, hash)
	switch refund.ErrorCode(err) {
	case "":
	case refund.CodeNotFound:
		if apigw.WantsJSON(req) {
			return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeNotFound, msgNotOurs)
		}
		return apigw.Page(http.StatusNotFound, web.VerifyPage{NotOurs: true, Fingerprint: entered})
	default:
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("verify an agreement: %w", err)
	}
	if apigw.WantsJSON(req) {
		return apigw.JSON(http.StatusOK, VerifyAnswer{Genuine: true, Fingerprint: found.PDFHash, OrderNumber: found.OrderNumber, SignedAt: found.SignedAt.UTC()}), nil
	}
	return apigw.Page(http.StatusOK, web.VerifyPage{Found: &found})
}

// verifyProblem answers a check that could not be made: the form again with the message beside the
// field (browsers) or the error body (JSON); too large is 413, anything else 400 or 415.
func verifyProblem(req events.APIGatewayV2HTTPRequest, entered string, err error) (events.APIGatewayV2HTTPResponse, error) {
	var e *refund.Error
	if apigw.WantsJSON(req) || !errors.As(err, &e) {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	status, d := apigw.Describe(req, err)
	fields := d.Fields
	if len(fields) == 0 {
		fields = refund.FieldErrors{"pdf": d.Message}
	}
	return apigw.Page(status, web.VerifyPage{Fingerprint: entered, Errors: fields})
}

// readVerify reads a check's input and returns the hex SHA-256 to look up, with the fingerprint as
// entered (to show again). Errors are CodeInvalid with a field message, CodeTooLarge or
// CodeUnsupportedMediaType.
func readVerify(req events.APIGatewayV2HTTPRequest) (hash, entered string, err error) {
	body, err := apigw.BodyLimit(req, web.MaxVerifyBytes)
	if err != nil {
		if refund.ErrorCode(err) == apigw.CodeTooLarge {
			return "", "", &refund.Error{Code: apigw.CodeTooLarge, Err: err,
				Message: fmt.Sprintf("The file is too large: an agreement is a few kilobytes, and at most %d KB is accepted.", web.MaxVerifyBytes>>10)}
		}
		return "", "", err
	}
	mt, params, _ := mime.ParseMediaType(apigw.Header(req, "content-type"))
	var pdf []byte
	switch mt {
	case "multipart/form-data":
		pdf, entered, err = readVerifyMultipart(body, params["boundary"])
		if err != nil {
			return "", entered, err
		}
	case "application/pdf":
		pdf = body
	case "application/json", "application/x-www-form-urlencoded":
		var b VerifyBody
		values, err := apigw.FormOrJSON(req, &b)
		if err != nil {
			return "", "", err
		}
		entered = b.Fingerprint
		if values != nil {
			entered = values.Get("fingerprint")
		}
	default:
		return "", "", &refund.Error{Code: apigw.CodeUnsupportedMediaType,
			Message: "Send the PDF as multipart/form-data (field pdf) or application/pdf, or the fingerprint as JSON or a form field."}
	}
	if len(pdf) > 0 {
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			return "", entered, refund.InvalidField("pdf", "This file is not a PDF. Choose the agreement's PDF file as we sent it.")
		}
		sum := sha256.Sum256(pdf)
		return hex.EncodeToString(sum[:]), entered, nil
	}
	fp := strings.ToLower(strings.Join(strings.Fields(entered), ""))
	switch {
	case fp == "":
		return "", entered, refund.InvalidField("pdf", "Choose the agreement's PDF file, or enter its fingerprint.")
	case !refund.ValidHash(fp):
		return "", entered, refund.InvalidField("fingerprint", fmt.Sprintf("A fingerprint is 64 characters, 0–9 and a–f; this one has %d.", len([]rune(fp))))
	}
	return fp, entered, nil
}

// readVerifyMultipart reads the page's form: the "pdf" file part and the "fingerprint" field. An empty
// file part (no file chosen) counts as none.
func readVerifyMultipart(body []byte, boundary string) (pdf []byte, fingerprint string, err error) {
	bad := func(cause error) error {
		return &refund.Error{Code: refund.CodeInvalid, Message: "The form could not be read; please choose the file again.", Err: cause}
	}
	if boundary == "" {
		return nil, "", bad(errors.New("multipart without boundary"))
	}
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	for parts := 0; ; parts++ {
		p, err := r.NextPart()
		if err == io.EOF {
			return pdf, fingerprint, nil
		}
		if err != nil || parts >= apigw.MaxFormFields {
			return nil, fingerprint, bad(err)
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, fingerprint, bad(err)
		}
		switch p.FormName() {
		case "pdf":
			pdf = data
		case "fingerprint":
			fingerprint = string(data)
		}
	}
}
