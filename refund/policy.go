package refund

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"unicode/utf8"
)

// Policy is the company's published refund policy as data. Every decision records Version, so a
// decision can always be traced to the exact rules that made it. The default ships embedded
// (policy/default.json); LoadPolicy reads a replacement.
type Policy struct {
	// Version names this policy, e.g. "2025-06-default"; it appears in every offer and agreement.
	Version string `json:"version"`
	// CoolingOffDays: a request made within this many days after the purchase date (inclusive; the
	// purchase day is day 0) gets a full refund if no work has started.
	CoolingOffDays int `json:"cooling_off_days"`
	// MaxRequestAgeDays: requests made more than this many days after the purchase date are rejected.
	MaxRequestAgeDays int `json:"max_request_age_days"`
	// FullRefundReasonsBeforeWork lists reasons that get a full refund whenever no work has started,
	// whatever the date (by default: duplicate_order).
	FullRefundReasonsBeforeWork []Reason `json:"full_refund_reasons_before_work"`
	// RefundTiming says when refunded money reaches the card, as written in agreements.
	RefundTiming string `json:"refund_timing"`
	// Project holds the rules for fixed-price projects.
	Project ProjectPolicy `json:"project"`
	// Subscription holds the rules for support subscriptions.
	Subscription SubscriptionPolicy `json:"subscription"`
	// Hours holds the rules for prepaid consulting hours.
	Hours HoursPolicy `json:"hours"`
	// Review says which cases wait for a staff decision.
	Review ReviewPolicy `json:"review"`
}

// ProjectPolicy holds the rules for fixed-price projects after the cooling-off period.
type ProjectPolicy struct {
	// FeePercent is the cancellation fee, in percent of the amount paid.
	FeePercent int `json:"fee_percent"`
	// CreditPercent is the service credit offered instead of the refund, in percent of the refund
	// (110 = the refund plus 10%). Zero disables the credit and switch offers.
	CreditPercent int `json:"credit_percent"`
	// CreditValidMonths is how long a credit can be used, counted from the day of the offer.
	CreditValidMonths int `json:"credit_valid_months"`
	// OfferSwitchService adds the option of applying the credit to another service.
	OfferSwitchService bool `json:"offer_switch_service"`
}

// SubscriptionPolicy holds the rules for support subscriptions after the cooling-off period.
type SubscriptionPolicy struct {
	// MaxPauseMonths is the pause offered instead of cancelling; zero disables the pause offer.
	MaxPauseMonths int `json:"max_pause_months"`
	// OfferCancelAtPeriodEnd adds the option of running to the end of the paid period with no refund.
	OfferCancelAtPeriodEnd bool `json:"offer_cancel_at_period_end"`
}

// HoursPolicy holds the rules for prepaid consulting hours.
type HoursPolicy struct {
	// CreditPercent is the credit offered instead of the refund of unused hours, in percent of that
	// refund; zero disables the credit offer.
	CreditPercent int `json:"credit_percent"`
	// CreditValidMonths is how long the credit can be used.
	CreditValidMonths int `json:"credit_valid_months"`
}

// ReviewPolicy says which cases are not decided automatically but wait for staff.
type ReviewPolicy struct {
	// RefundAboveMajorUnits maps an ISO 4217 currency to the amount, in whole major units of that
	// currency, above which a refund needs review ({"EUR": 2000} means above EUR 2,000.00). Each
	// currency needs its own figure, because a major unit is worth very different amounts (KWD 2,000
	// is about EUR 6,000). A refund in a currency without an entry always needs review.
	RefundAboveMajorUnits map[string]int64 `json:"refund_above_major_units"`
	// Reasons lists reasons that always need review.
	Reasons []Reason `json:"reasons"`
	// Disputed sends orders flagged as disputed to review.
	Disputed bool `json:"disputed"`
}

//go:embed policy/default.json
var defaultPolicyJSON []byte

// defaultPolicy parses the embedded policy once. A broken embedded policy is a build defect, caught by
// the package's tests, so panicking is right.
var defaultPolicy = sync.OnceValue(func() Policy {
	p, err := LoadPolicy(bytes.NewReader(defaultPolicyJSON))
	if err != nil {
		panic(fmt.Sprintf("refund: embedded default policy: %v", err))
	}
	return p
})

// DefaultPolicy returns the embedded default policy. Each call returns an independent copy, so a
// caller changing it cannot affect others.
func DefaultPolicy() Policy {
	return defaultPolicy().clone()
}

// DefaultPolicyJSON returns the embedded default policy file, for a starting point to edit.
func DefaultPolicyJSON() []byte { return slices.Clone(defaultPolicyJSON) }

func (p Policy) clone() Policy {
	p.FullRefundReasonsBeforeWork = slices.Clone(p.FullRefundReasonsBeforeWork)
	p.Review.Reasons = slices.Clone(p.Review.Reasons)
	p.Review.RefundAboveMajorUnits = maps.Clone(p.Review.RefundAboveMajorUnits)
	return p
}

// LoadPolicy reads a policy from JSON. It is strict, because a typo in a policy file must not silently
// change refunds: unknown fields, trailing data, missing version, out-of-range numbers and unknown
// reasons are all errors.
func LoadPolicy(r io.Reader) (Policy, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var p Policy
	if err := dec.Decode(&p); err != nil {
		return Policy{}, fmt.Errorf("load policy: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Policy{}, errors.New("load policy: unexpected data after the policy object")
	}
	if err := p.Validate(); err != nil {
		return Policy{}, fmt.Errorf("load policy %q: %w", p.Version, err)
	}
	return p, nil
}

// Validate checks every value of the policy against its allowed range and returns all problems at once.
func (p Policy) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(p.Version != "" && len(p.Version) <= 64 && utf8.ValidString(p.Version) && !hasControl(p.Version, false),
		"version must be 1–64 printable characters")
	check(p.CoolingOffDays >= 0 && p.CoolingOffDays <= 365, "cooling_off_days must be 0–365, got %d", p.CoolingOffDays)
	check(p.MaxRequestAgeDays >= 1 && p.MaxRequestAgeDays <= 3650, "max_request_age_days must be 1–3650, got %d", p.MaxRequestAgeDays)
	check(p.CoolingOffDays <= p.MaxRequestAgeDays, "cooling_off_days must not exceed max_request_age_days")
	check(p.RefundTiming != "" && len(p.RefundTiming) <= 200 && utf8.ValidString(p.RefundTiming) && !hasControl(p.RefundTiming, false),
		"refund_timing must be 1–200 printable characters")
	check(p.Project.FeePercent >= 0 && p.Project.FeePercent <= 100, "project.fee_percent must be 0–100, got %d", p.Project.FeePercent)
	check(p.Project.CreditPercent >= 0 && p.Project.CreditPercent <= 300, "project.credit_percent must be 0–300, got %d", p.Project.CreditPercent)
	check(p.Project.CreditValidMonths >= 1 && p.Project.CreditValidMonths <= 120, "project.credit_valid_months must be 1–120, got %d", p.Project.CreditValidMonths)
	check(p.Subscription.MaxPauseMonths >= 0 && p.Subscription.MaxPauseMonths <= 24, "subscription.max_pause_months must be 0–24, got %d", p.Subscription.MaxPauseMonths)
	check(p.Hours.CreditPercent >= 0 && p.Hours.CreditPercent <= 300, "hours.credit_percent must be 0–300, got %d", p.Hours.CreditPercent)
	check(p.Hours.CreditValidMonths >= 1 && p.Hours.CreditValidMonths <= 120, "hours.credit_valid_months must be 1–120, got %d", p.Hours.CreditValidMonths)
	for _, cur := range slices.Sorted(maps.Keys(p.Review.RefundAboveMajorUnits)) {
		n := p.Review.RefundAboveMajorUnits[cur]
		check(ValidCurrency(cur), "review.refund_above_major_units: %q is not an ISO 4217 currency code", cur)
		check(n >= 0 && n <= 1_000_000_000, "review.refund_above_major_units.%s must be 0–1000000000, got %d", cur, n)
	}
	checkReasons := func(field string, rs []Reason) {
		seen := map[Reason]bool{}
		for _, r := range rs {
			check(r.Valid(), "%s: unknown reason %q", field, r)
			check(!seen[r], "%s: reason %q listed twice", field, r)
			seen[r] = true
		}
	}
	checkReasons("full_refund_reasons_before_work", p.FullRefundReasonsBeforeWork)
	checkReasons("review.reasons", p.Review.Reasons)
	return errors.Join(errs...)
}

// ReviewThreshold returns the refund amount above which a request in currency needs staff review;
// ok is false when the policy names no threshold for the currency, and then every refund in it needs
// review.
func (p Policy) ReviewThreshold(currency string) (threshold Money, ok bool) {
	n, ok := p.Review.RefundAboveMajorUnits[currency]
	if !ok {
		return Money{Currency: currency}, false
	}
	return MajorUnits(n, currency), true
}

// creditValidMonths is how long a credit on an order for the service lasts: the hours rule's credit
// term for prepaid hours, and the project rule's, the company's general credit term, for the others
// (the subscription rule offers no credit of its own). Zero means the policy grants no credits there.
func (p Policy) creditValidMonths(service ServiceType) int {
	if service == ServiceHours {
		return p.Hours.CreditValidMonths
	}
	return p.Project.CreditValidMonths
}
