package refund

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Company is who the client deals with: the company that sells the services and runs Refundflow. Its
// name, contact and address appear on every page and email, so a client always knows whom they are
// agreeing with and how to reach a person. It is deployment configuration (template.yaml's Company*
// parameters), not data in the table.
type Company struct {
	// Name is the company's name, e.g. "Northwind IT Services".
	Name string `json:"name"`
	// SupportEmail is where clients can write with questions.
	SupportEmail string `json:"support_email"`
	// Address is the postal address, one line or several separated by newlines or ", ".
	Address string `json:"address"`
	// LogoURL is an optional image shown beside the name on the pages: a path on the site
	// ("/assets/logo.svg") or an https URL the pages' Content-Security-Policy allows.
	LogoURL string `json:"logo_url,omitempty"`
	// PolicyURL optionally replaces the site's own published policy page (/policy) in links, for a
	// company that publishes its policy on its own website.
	PolicyURL string `json:"policy_url,omitempty"`
}

// DefaultCompany is the identity shown when none is configured (tests, tools): a plain name and no
// contact, so nothing pretends to be a real company.
func DefaultCompany() Company { return Company{Name: "Refundflow"} }

// AddressLines returns the postal address split into lines (at newlines, or at commas when it is
// one line), without empty lines.
func (c Company) AddressLines() []string {
	sep := "\n"
	if !strings.Contains(c.Address, "\n") {
		sep = ","
	}
	var out []string
	for _, l := range strings.Split(c.Address, sep) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Validate checks the identity as configured: a name, a support address that is an email address,
// a postal address, and links that are absolute https URLs or site paths. It returns every problem
// at once, so a deployment is fixed in one go.
func (c Company) Validate() error {
	var errs []error
	text := func(field, v string, limit int, multiline bool) {
		switch {
		case strings.TrimSpace(v) == "":
			errs = append(errs, fmt.Errorf("%s is required", field))
		case utf8.RuneCountInString(v) > limit || !utf8.ValidString(v) || hasControl(v, multiline):
			errs = append(errs, fmt.Errorf("%s must be at most %d printable characters", field, limit))
		}
	}
	text("company name", c.Name, 120, false)
	text("company address", c.Address, 300, true)
	if a, err := mail.ParseAddress(c.SupportEmail); err != nil || a.Address != c.SupportEmail {
		errs = append(errs, fmt.Errorf("company support email %q is not a bare email address", c.SupportEmail))
	}
	link := func(field, v string) {
		if v == "" {
			return
		}
		ok := (strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//")) &&
			len(v) <= 500 && !strings.ContainsAny(v, " \t\r\n\"'<>")
		if !ok {
			errs = append(errs, fmt.Errorf("%s %q must be an https:// URL or a path starting with /", field, v))
		}
	}
	link("company logo URL", c.LogoURL)
	link("policy URL", c.PolicyURL)
	return errors.Join(errs...)
}
