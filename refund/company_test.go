package refund

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCompanyValidate(t *testing.T) {
	good := Company{Name: "Northwind IT Services", SupportEmail: "support@northwind.example", Address: "12 Harbour Street, 1000 Example City"}
	if err := good.Validate(); err != nil {
		t.Fatalf("good company: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Company)
		want string
	}{
		{"no name", func(c *Company) { c.Name = " " }, "company name is required"},
		{"name with a newline", func(c *Company) { c.Name = "A\nB" }, "company name must be"},
		{"display name in the address", func(c *Company) { c.SupportEmail = "Support <s@example.com>" }, "support email"},
		{"no address", func(c *Company) { c.Address = "" }, "company address is required"},
		{"logo over http", func(c *Company) { c.LogoURL = "http://example.com/logo.png" }, "logo URL"},
		{"logo protocol-relative", func(c *Company) { c.LogoURL = "//evil.example/logo.png" }, "logo URL"},
		{"policy with a quote", func(c *Company) { c.PolicyURL = `https://x.example/"onload` }, "policy URL"},
	} {
		c := good
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if got, want := strings.Join(good.AddressLines(), "|"), "12 Harbour Street|1000 Example City"; got != want {
		t.Errorf("AddressLines = %q, want %q", got, want)
	}
	if got, want := strings.Join(Company{Address: "A, B\nC"}.AddressLines(), "|"), "A, B|C"; got != want {
		t.Errorf("AddressLines with newlines = %q, want %q", got, want)
	}
}

// Every embedded policy file parses, and the policy in force is among the published ones.
func TestPublishedPolicies(t *testing.T) {
	cur := DefaultPolicy()
	p, ok := PublishedPolicy(cur.Version)
	if !ok || p.Version != cur.Version || p.Project.FeePercent != cur.Project.FeePercent {
		t.Fatalf("PublishedPolicy(%q) = %+v, %v", cur.Version, p, ok)
	}
	if _, ok := PublishedPolicy("1999-01-never"); ok {
		t.Error("an unpublished version was found")
	}
}

// A purchase date after today (beyond the client's calendar) is refused at once, next to the field;
// tomorrow in UTC is still today somewhere.
func TestNewRequestRefusesFuturePurchaseDates(t *testing.T) {
	now := time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC)
	sub := Submission{OrderNumber: "RF-1001", PurchaseDate: "2026-12-08", Email: "ada@example.com", Kind: "refund", Reason: "changed_mind"}
	_, err := NewRequest("req-1", sub, now)
	var e *Error
	if !errors.As(err, &e) || e.Fields["purchase_date"] != MsgFuturePurchaseDate {
		t.Fatalf("two days ahead: %v", err)
	}
	sub.PurchaseDate = "2026-12-07"
	if _, err := NewRequest("req-1", sub, now); err != nil {
		t.Errorf("tomorrow in UTC: %v", err)
	}
}
