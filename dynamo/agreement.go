package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"refundflow/refund"
)

// Keys of the signed agreements' fingerprints: PK "PDF#<hex sha-256>", SK "PDF". Keyed by the hash so
// that /verify finds one with a GetItem (and the consent it belongs to with another), never a Scan.
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

// putAgreement records the fingerprint of an acceptance's PDF. RecordConsent writes it just before the
// consent's transaction, with a plain PutItem (half the write units of a transaction's put); if the
// transaction then fails, the item is an orphan that GetSignedAgreement refuses, since the request's
// consent does not name it.
func (s *Store) putAgreement(ctx context.Context, c refund.Consent) error {
	a := refund.SignedAgreement{PDFHash: c.PDFHash, RequestID: c.RequestID, OrderNumber: c.OrderNumber, SignedAt: c.At}
	item, err := marshal(agreementItem{PK: prefixAgreement + c.PDFHash, SK: skAgreement, SignedAgreement: a})
	if err != nil {
		return fmt.Errorf("encode agreement fingerprint for request %s: %w", c.RequestID, err)
	}
	if _, err := s.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item}); err != nil {
		return fmt.Errorf("store agreement fingerprint for request %s: %w", c.RequestID, err)
	}
	return nil
}

// GetSignedAgreement returns the signed agreement whose PDF has the hex SHA-256 pdfHash; CodeNotFound
// when no agreement we issued has it (or only an orphan fingerprint whose consent was never recorded:
// the request's consent must name the hash), CodeInvalid when pdfHash is not a hex SHA-256. Two
// GetItems, never a scan.
func (s *Store) GetSignedAgreement(ctx context.Context, pdfHash string) (refund.SignedAgreement, error) {
	if !refund.ValidHash(pdfHash) {
		return refund.SignedAgreement{}, refund.InvalidField("fingerprint", "A fingerprint is 64 hexadecimal characters (a SHA-256).")
	}
	it, ok, err := getOne[agreementItem](ctx, s, prefixAgreement+pdfHash, skAgreement, "signed agreement")
	if err != nil {
		return refund.SignedAgreement{}, err
	}
	notOurs := notFound("No agreement we issued has this fingerprint.")
	if !ok || validID("request id", it.RequestID) != nil {
		return refund.SignedAgreement{}, notOurs
	}
	c, ok, err := getOne[consentItem](ctx, s, requestPK(it.RequestID), skConsent, "consent of request "+it.RequestID)
	switch {
	case err != nil:
		return refund.SignedAgreement{}, err
	case !ok || c.PDFHash != pdfHash || c.Decision != refund.DecisionAccept:
		return refund.SignedAgreement{}, notOurs
	}
	return it.SignedAgreement, nil
}
