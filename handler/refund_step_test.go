package handler_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"refundflow/apigw"
	"refundflow/refund"
)

// A refund staff type must be an amount the payment's provider can refund: KWD at Stripe (and so at
// the sandbox) goes in steps of 10 fils. The 400 names the field and the nearest valid amounts.
func TestStaffReviewAdjustRefundsInProviderSteps(t *testing.T) {
	f := newHTTPFixture(t)
	o := projectOrder(fmt.Sprintf("RF-2025-%04d", f.seq.Add(1)))
	o.Currency = "KWD"
	s := f.seedOrder(o, refund.StatusInReview, true)
	h := f.staffHandler()
	var refundOffer refund.Offer
	for _, of := range s.offers {
		if of.IsRefund() {
			refundOffer = of
		}
	}
	if refundOffer.ID == "" {
		t.Fatalf("no refund offer among %+v", s.offers)
	}

	for _, tc := range []struct {
		amount string
		want   string // in the field's message
	}{
		{"123.455", "the nearest amounts are KWD 123.450 and KWD 123.460"},
		{"0.005", "the nearest amounts are KWD 0.010"},
		{"999.995", "the nearest amounts are KWD 999.990 and KWD 1,000.000"},
	} {
		resp := mustCall(t, h, reviewEvent(t, s.id, map[string]any{"decision": "adjust",
			"offers": []map[string]string{{"id": refundOffer.ID, "kind": "partial_refund", "amount": tc.amount}}}))
		var body apigw.ErrorBody
		decodeJSON(t, resp, &body)
		if msg := body.Error.Fields["offers[0].amount"]; resp.StatusCode != http.StatusBadRequest || !strings.Contains(msg, tc.want) {
			t.Errorf("KWD %s: status %d, offers[0].amount %q; want 400 with %q", tc.amount, resp.StatusCode, msg, tc.want)
		}
	}
	if got := f.request(s.id).OfferSet; got != 1 {
		t.Fatalf("refused adjustments changed the offer set to %d", got)
	}

	resp := mustCall(t, h, reviewEvent(t, s.id, map[string]any{"decision": "adjust",
		"offers": []map[string]string{{"id": refundOffer.ID, "kind": "partial_refund", "amount": "123.45"}}}))
	wantStatus(t, resp, http.StatusOK)
	offers, _, err := f.store.ListOffers(context.Background(), s.id)
	if err != nil || len(offers) != 1 || offers[0].Amount != (refund.Money{Amount: 123450, Currency: "KWD"}) {
		t.Errorf("offers = %+v, %v; want one refund of KWD 123.450", offers, err)
	}
}
