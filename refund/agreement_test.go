package refund

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden agreement texts in testdata/agreement")

// agreementCases resolves one order per service type and returns every offer with its order and
// request, named "<service>-<n>-<kind>".
func agreementCases(t *testing.T) map[string]struct {
	order Order
	req   Request
	offer Offer
} {
	t.Helper()
	out := map[string]struct {
		order Order
		req   Request
		offer Offer
	}{}
	add := func(name string, o Order, reason Reason, now string) {
		req := testRequest(reason)
		res := Resolve(DefaultPolicy(), req, o, at(t, now))
		for i, of := range res.Offers {
			out[name+"-"+string(rune('1'+i))+"-"+string(of.Kind)] = struct {
				order Order
				req   Request
				offer Offer
			}{o, req, of}
		}
	}
	add("project", projectOrder(100000, ms("Design", 30000, MilestoneDelivered, 0), ms("Build", 50001, MilestoneInProgress, 33), ms("Launch", 19999, MilestoneNotStarted, 0)),
		ReasonNoLongerNeeded, "2025-05-01")
	add("cooling-off", hoursOrder(100000, 10, 0, 100000), ReasonChangedMind, "2025-03-15")
	add("subscription", subscriptionOrder(31000, "2025-03-01", "2025-03-31", 31000, 1), ReasonTooExpensive, "2025-03-16")
	add("hours", hoursOrder(100000, 10, 3, 100000), ReasonNoLongerNeeded, "2025-03-05")
	return out
}

// TestAgreementGolden compares every agreement with a reviewed text in testdata/agreement, so a change
// in wording is a visible diff that a support lead can read. Run with -update to rewrite them.
func TestAgreementGolden(t *testing.T) {
	cases := agreementCases(t)
	if got, want := len(cases), 9; got != want {
		t.Fatalf("got %d agreement cases, want %d", got, want)
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			text := Agreement(c.order, c.req, c.offer)
			path := filepath.Join("testdata", "agreement", name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if text != string(want) {
				t.Errorf("agreement differs from %s:\n%s", path, text)
			}
		})
	}
}

// TestAgreementSays checks the facts every agreement must state, independent of the golden wording.
func TestAgreementSays(t *testing.T) {
	for name, c := range agreementCases(t) {
		text := Agreement(c.order, c.req, c.offer)
		must := []string{
			"Jane Doe", "RF-1001", "req-1", c.offer.ID, c.offer.EffectiveDate,
			"refund policy 2025-06-default", c.offer.Terms,
		}
		if c.offer.IsRefund() || c.offer.IsCredit() {
			must = append(must, c.offer.Amount.String())
		}
		switch {
		case c.offer.IsRefund():
			must = append(must, "the card ending 4242 used for the original 3-D Secure payment, within 5–10 business days")
		case c.offer.IsCredit():
			must = append(must, "until "+c.offer.ValidUntil)
		case c.offer.Kind == OfferPause:
			must = append(must, "paused for 3 months from 2025-04-01", "resumes automatically on 2025-07-01")
		case c.offer.Kind == OfferCancelAtPeriodEnd:
			must = append(must, "end of the paid period on 2025-03-31")
		}
		for _, m := range must {
			if !strings.Contains(text, m) {
				t.Errorf("%s: agreement does not say %q:\n%s", name, m, text)
			}
		}
		for _, l := range c.offer.Breakdown {
			if !strings.Contains(text, l.Label) || !strings.Contains(text, l.Amount.String()) {
				t.Errorf("%s: agreement misses breakdown line %q %s", name, l.Label, l.Amount)
			}
		}
	}
}

func TestAgreementCardWording(t *testing.T) {
	o := hoursOrder(100000, 10, 0, 100000)
	o.Payment.ThreeDSecure = false
	o.Payment.CardHint = ""
	res := Resolve(DefaultPolicy(), testRequest(ReasonChangedMind), o, at(t, "2025-03-02"))
	if got, want := res.Offers[0].Terms, "EUR 1,000.00 will be refunded to the card used for the original payment, within 5–10 business days. Refunds go back to the original payment only."; got != want {
		t.Errorf("terms = %q, want %q", got, want)
	}
}

func TestAgreementHash(t *testing.T) {
	c := agreementCases(t)["project-1-partial_refund"]
	text := Agreement(c.order, c.req, c.offer)
	h := AgreementHash(c.offer, text)
	if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Fatalf("hash %q is not hex SHA-256", h)
	}
	// A nil and an empty breakdown encode the same way, so an offer read back from storage still matches.
	pause := agreementCases(t)["subscription-2-pause"].offer
	nilBreakdown := pause
	nilBreakdown.Breakdown = nil
	if AgreementHash(pause, "x") != AgreementHash(nilBreakdown, "x") {
		t.Error("nil and empty breakdown hash differently")
	}
	if got, want := string(CanonicalJSON(Offer{ID: "o"}, "t")), `{"format":"refundflow-agreement-v1","offer":{"id":"o","request_id":"","order_number":"","kind":"","amount":{"amount":0,"currency":""},"breakdown":[],"terms":"","effective_date":"","policy_version":""},"text":"t"}`; got != want {
		t.Errorf("canonical JSON =\n%s\nwant\n%s", got, want)
	}
	// Another order (different customer) gives another text and so another hash.
	other := c.order
	other.CustomerName = "John Roe"
	if AgreementHash(c.offer, Agreement(other, c.req, c.offer)) == h {
		t.Error("changing the customer did not change the hash")
	}
}
