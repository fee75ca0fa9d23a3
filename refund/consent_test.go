package refund

import (
	"strings"
	"testing"
)

func TestConsentValidate(t *testing.T) {
	hash := HashCode("code")
	accept := Consent{RequestID: "req-1", Decision: DecisionAccept, OfferID: "req-1-1-full_refund", OfferHash: hash,
		AgreementText: "I agree.", TypedName: "Jane Doe", LinkHash: hash}
	for _, tc := range []struct {
		name  string
		edit  func(*Consent)
		code  Code   // "" for a plain error, "-" for none
		field string // the field named, for CodeInvalid
	}{
		{"valid acceptance", func(*Consent) {}, "-", ""},
		{"valid decline", func(c *Consent) { *c = Consent{RequestID: "req-1", Decision: DecisionDecline, LinkHash: hash} }, "-", ""},
		{"no decision", func(c *Consent) { c.Decision = "maybe" }, CodeInvalid, "decision"},
		{"a link hash that is not one", func(c *Consent) { c.LinkHash = "abc" }, CodeNotFound, ""},
		{"no offer", func(c *Consent) { c.OfferID = "" }, CodeInvalid, "offer_id"},
		{"no offer hash", func(c *Consent) { c.OfferHash = "" }, CodeInvalid, "offer_hash"},
		{"no agreement text", func(c *Consent) { c.AgreementText = "" }, "", ""},
		{"no name", func(c *Consent) { c.TypedName = "" }, CodeInvalid, "typed_name"},
		{"a long name", func(c *Consent) { c.TypedName = strings.Repeat("é", MaxNameRunes+1) }, CodeInvalid, "typed_name"},
		{"a long reason", func(c *Consent) { c.DeclineReason = strings.Repeat("x", MaxDetailsRunes+1) }, CodeInvalid, "decline_reason"},
		{"a long agreement", func(c *Consent) { c.AgreementText = strings.Repeat("x", MaxAgreementText+1) }, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := accept
			tc.edit(&c)
			err := c.Validate()
			switch {
			case tc.code == "-":
				if err != nil {
					t.Errorf("Validate = %v, want nil", err)
				}
			case tc.code == "":
				if err == nil || ErrorCode(err) != CodeInternal {
					t.Errorf("Validate = %v, want a plain error (a programming mistake)", err)
				}
			default:
				if got := ErrorCode(err); got != tc.code {
					t.Fatalf("Validate = %v, want code %s", err, tc.code)
				}
				if tc.field != "" && err.(*Error).Fields[tc.field] == "" {
					t.Errorf("Validate = %v, want a message for %s", err, tc.field)
				}
			}
		})
	}
}

func TestDecisionOutcome(t *testing.T) {
	if got, want := DecisionAccept.Outcome(), "accepted"; got != want {
		t.Errorf("accept: %q, want %q", got, want)
	}
	if got, want := DecisionDecline.Outcome(), "declined"; got != want {
		t.Errorf("decline: %q, want %q", got, want)
	}
	for _, d := range []Decision{DecisionAccept, DecisionDecline} {
		if err := ValidOutcome(d.Outcome()); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
}

// TestConsentCheck is the check before money moves: every way an acceptance can stop matching what
// is stored refuses, with the reason, and the unchanged acceptance passes.
func TestConsentCheck(t *testing.T) {
	order := projectOrder(100000, ms("All", 100000, MilestoneNotStarted, 0))
	req := testRequest(ReasonChangedMind)
	res := Resolve(DefaultPolicy(), req, order, at(t, "2025-03-05"))
	offer := res.Offers[0]
	accepted := Consent{RequestID: req.ID, Decision: DecisionAccept, OfferID: offer.ID,
		OfferHash: AgreementHash(offer, Agreement(order, req, offer))}
	if err := accepted.Check(req, order, offer); err != nil {
		t.Fatalf("the acceptance as made: %v", err)
	}
	for _, tc := range []struct {
		name   string
		edit   func(c *Consent, r *Request, o *Order, of *Offer)
		reason string
	}{
		{"a decline", func(c *Consent, _ *Request, _ *Order, _ *Offer) { c.Decision = DecisionDecline }, "not an acceptance"},
		{"another offer", func(c *Consent, _ *Request, _ *Order, _ *Offer) { c.OfferID = "req-1-2-x" }, "does not belong"},
		{"another request's offer", func(_ *Consent, _ *Request, _ *Order, of *Offer) { of.RequestID = "req-2" }, "does not belong"},
		{"another order", func(_ *Consent, r *Request, _ *Order, _ *Offer) { r.OrderNumber = "RF-9" }, "is for order"},
		{"another currency", func(_ *Consent, _ *Request, o *Order, _ *Offer) { o.Currency = "USD" }, "but the order is in USD"},
		{"a negative amount", func(_ *Consent, _ *Request, _ *Order, of *Offer) { of.Amount.Amount = -1 }, "negative"},
		{"no captured payment", func(_ *Consent, _ *Request, o *Order, _ *Offer) { o.Payment.Captured = false }, "no captured payment"},
		{"the order changed its customer", func(_ *Consent, _ *Request, o *Order, _ *Offer) { o.CustomerName = "Someone Else" }, "agreement for offer"},
		{"the amount changed", func(_ *Consent, _ *Request, _ *Order, of *Offer) { of.Amount.Amount-- }, "agreement for offer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, r, o, of := accepted, req, order, offer
			tc.edit(&c, &r, &o, &of)
			err := c.Check(r, o, of)
			if err == nil || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("Check = %v, want a refusal saying %q", err, tc.reason)
			}
		})
	}
}
