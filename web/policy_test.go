package web

import (
	"strings"
	"testing"

	"refundflow/refund"
)

// The policy page says what the policy data says: change a figure and the words change with it.
func TestPolicyPageFollowsTheData(t *testing.T) {
	p := refund.DefaultPolicy()
	p.Version = "test-7"
	p.CoolingOffDays = 21
	p.Project.FeePercent = 8
	p.Project.CreditPercent = 120
	p.Project.CreditValidMonths = 1
	p.Subscription.MaxPauseMonths = 0
	p.Review.RefundAboveMajorUnits = map[string]int64{"EUR": 1234, "JPY": 50000}
	body, _ := render(t, PolicyPage{Policy: p, AnswerDays: 14, ReminderDays: 7})
	for _, want := range []string{
		"Version <strong>test-7</strong>", "an earlier version", `href="/policy"`,
		"within 21 days of the purchase date", "cancellation fee of 8% of the amount paid",
		"service credit worth 120% of it, usable for 1 month from", "EUR 1,234.00", "JPY 50,000",
		"You have 14 days to answer; we remind you after 7 days", p.RefundTiming,
		"“I ordered the same thing twice”",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("policy page lacks %q", want)
		}
	}
	if strings.Contains(body, "pause the subscription") {
		t.Error("a policy without pauses offers a pause")
	}
	current, _ := render(t, PolicyPage{Policy: refund.DefaultPolicy(), Current: true})
	if !strings.Contains(current, "in force today") || strings.Contains(current, "an earlier version") {
		t.Error("the current policy is not called current")
	}
}

// Every client page shows the company's identity: its name in the header and the title, its support
// address, postal address and the policy link in the footer.
func TestPagesShowTheCompany(t *testing.T) {
	SetCompany(refund.Company{Name: "Acme Consulting", SupportEmail: "help@acme.example", Address: "1 Main St, 99999 Town", LogoURL: "/assets/demo-logo.svg"})
	t.Cleanup(func() { SetCompany(refund.DefaultCompany()) })
	for name, p := range pages() {
		if notForClients(p) {
			continue
		}
		body, doc := render(t, p)
		for _, want := range []string{"– Acme Consulting</title>", `href="mailto:help@acme.example"`, "1 Main St<br>99999 Town", `href="/policy"`, `src="/assets/demo-logo.svg"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: lacks %q", name, want)
			}
		}
		if got := text(elements(doc, "header")[0]); !strings.Contains(got, "Acme Consulting") {
			t.Errorf("%s: header %q", name, got)
		}
	}
}
