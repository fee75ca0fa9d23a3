package refund

import (
	"fmt"
	"strings"
	"time"
)

// fataler is what test helpers need from *testing.T and *rapid.T alike.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// date parses a test date or fails the test.
func date(t fataler, s string) time.Time {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatalf("bad test date %q: %v", s, err)
	}
	return d
}

// at returns a moment in the middle of the UTC day s, so tests also show that the time of day does not
// matter.
func at(t fataler, s string) time.Time { return date(t, s).Add(15*time.Hour + 30*time.Minute) }

// baseOrder is a valid active EUR order with a captured 3-D Secure card payment; tests set the service.
func baseOrder(paid int64) Order {
	return Order{
		Number:       "RF-1001",
		CustomerName: "Jane Doe",
		Email:        "jane@example.com",
		PurchaseDate: "2025-03-01",
		Currency:     "EUR",
		Paid:         paid,
		Payment: Payment{
			Provider: "sandbox", Reference: "pi_123", CardHint: "4242", ThreeDSecure: true, Captured: true,
		},
		Status:  OrderActive,
		Version: 1,
	}
}

func projectOrder(paid int64, ms ...Milestone) Order {
	o := baseOrder(paid)
	o.Service = Service{Type: ServiceProject, Project: &Project{Milestones: ms}}
	return o
}

func subscriptionOrder(paid int64, start, end string, price int64, tickets int) Order {
	o := baseOrder(paid)
	o.Service = Service{Type: ServiceSubscription, Subscription: &Subscription{
		PeriodStart: start, PeriodEnd: end, PricePerPeriod: price, TicketsUsed: tickets,
	}}
	return o
}

func hoursOrder(paid int64, purchased, used int, total int64) Order {
	o := baseOrder(paid)
	o.Service = Service{Type: ServiceHours, Hours: &Hours{Purchased: purchased, Used: used, TotalPrice: total}}
	return o
}

func ms(name string, price int64, status MilestoneStatus, progress int) Milestone {
	return Milestone{Name: name, Price: price, Status: status, Progress: progress}
}

func testRequest(reason Reason) Request {
	return Request{ID: "req-1", OrderNumber: "RF-1001", Kind: KindRefund, Reason: reason, Status: StatusSubmitted, Version: 1}
}

// lines renders a breakdown compactly ("label=amount" per line) so that table tests can state the
// expected breakdown exactly, in minor units.
func lines(ls []Line) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = fmt.Sprintf("%s=%d", l.Label, l.Amount.Amount)
	}
	return strings.Join(parts, " | ")
}

// offerSummary renders one offer as "kind amount [breakdown] valid_until/pause" for table tests.
func offerSummary(o Offer) string {
	s := fmt.Sprintf("%s %d", o.Kind, o.Amount.Amount)
	if len(o.Breakdown) > 0 {
		s += " [" + lines(o.Breakdown) + "]"
	}
	if o.EffectiveDate != "" {
		s += " from " + o.EffectiveDate
	}
	if o.ValidUntil != "" {
		s += " until " + o.ValidUntil
	}
	if o.PauseMonths != 0 {
		s += fmt.Sprintf(" pause %d", o.PauseMonths)
	}
	return s
}
