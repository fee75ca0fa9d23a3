package web

import (
	"slices"
	"strings"
	"testing"

	"refundflow/refund"
)

// The readable agreement keeps every word of the signed text, in order, for every kind of offer.
func TestAgreementBlocksKeepTheText(t *testing.T) {
	order := refund.Order{Number: "RF-1001", CustomerName: "Ada Lovelace", PurchaseDate: "2025-03-01", Paid: 180000, Currency: "EUR",
		Service: refund.Service{Type: refund.ServiceProject}}
	req := refund.Request{ID: "REQ-1", Kind: refund.KindRefund, Reason: refund.ReasonChangedMind}
	for _, o := range []refund.Offer{
		sampleOffer("REQ-1-1-full_refund", refund.OfferFullRefund, 120000),
		sampleOffer("REQ-1-2-service_credit", refund.OfferServiceCredit, 130000),
		{ID: "REQ-1-3-pause", Kind: refund.OfferPause, EffectiveDate: "2025-04-01", PauseMonths: 3, Amount: refund.Money{Currency: "EUR"}},
	} {
		text := refund.Agreement(order, req, o)
		blocks := AgreementBlocks(text)
		if got, want := blockWords(blocks), strings.Fields(text); !slices.Equal(got, want) {
			t.Errorf("%s: words differ\n got %q\nwant %q", o.Kind, got, want)
		}
		var rows, fields, headings int
		for _, b := range blocks {
			rows += len(b.Rows)
			fields += len(b.Fields)
			if b.Heading != "" {
				headings++
			}
		}
		if fields != 4 || headings < 4 || len(o.Breakdown) > 0 && rows != len(o.Breakdown)+1 {
			t.Errorf("%s: %d fields, %d headings, %d rows for %d breakdown lines\n%s", o.Kind, fields, headings, rows, len(o.Breakdown), text)
		}
	}
}
