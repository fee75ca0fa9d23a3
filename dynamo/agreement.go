package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/refund"
)

// Keys of the signed agreements' fingerprints: PK "PDF#<hex sha-256>", SK "PDF". Keyed by the hash so
// that /verify finds one with a GetItem, never a Scan.
const (
	prefixAgreement = "PDF#"
	skAgreement     = "PDF"
)

// agreementItem is the stored form of a refund.SignedAgreement.
type agreementItem struct {
	PK string `json:"PK"`
	SK string `json:"SK"`
	refund.SignedAgreement
}

// agreementPut returns the transaction item that records the fingerprint of an acceptance's PDF
// (RecordConsent writes it with the consent, so every fingerprint belongs to a recorded consent).
func (s *Store) agreementPut(c refund.Consent) (types.TransactWriteItem, error) {
	a := refund.SignedAgreement{PDFHash: c.PDFHash, RequestID: c.RequestID, OrderNumber: c.OrderNumber, SignedAt: c.At}
	item, err := marshal(agreementItem{PK: prefixAgreement + c.PDFHash, SK: skAgreement, SignedAgreement: a})
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return creates(types.Put{TableName: aws.String(s.Table), Item: item}), nil
}

// GetSignedAgreement returns the signed agreement whose PDF has the hex SHA-256 pdfHash; CodeNotFound
// when no agreement we issued has it, CodeInvalid when pdfHash is not a hex SHA-256.
func (s *Store) GetSignedAgreement(ctx context.Context, pdfHash string) (refund.SignedAgreement, error) {
	if !refund.ValidHash(pdfHash) {
		return refund.SignedAgreement{}, refund.InvalidField("fingerprint", "A fingerprint is 64 hexadecimal characters (a SHA-256).")
	}
	it, ok, err := getOne[agreementItem](ctx, s, prefixAgreement+pdfHash, skAgreement, "signed agreement")
	if err == nil && !ok {
		err = notFound("No agreement we issued has this fingerprint.")
	}
	return it.SignedAgreement, err
}
