package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"refundflow/dynamo"
	"refundflow/payment/sandbox"
	"refundflow/refund"
	"refundflow/web"
)

// DemoOrder is one demo order as it was loaded into a new table: what a person types into the form.
// What a request for it leads to is not kept with it, because it changes: the stack's clock moves on
// (time travel, days between restarts with a data directory) and requests refund the order. Stack.
// DemoStatus works it out whenever it is shown.
type DemoOrder struct {
	// Order is the order as stored when it was loaded.
	Order refund.Order
}

// demoOrders returns the demo orders, dated relative to today so that, on a fresh stack, the policy's
// windows apply the same way whenever it starts: one per service type and stage, and one whose refund
// is large enough to need staff review.
func demoOrders(today time.Time) []DemoOrder {
	day := func(offset int) string { return today.AddDate(0, 0, offset).Format(refund.DateLayout) }
	pay := func(ref, hint string) refund.Payment {
		return refund.Payment{Provider: "sandbox", Reference: ref, CardHint: hint, ThreeDSecure: true, Captured: true}
	}
	return []DemoOrder{
		{
			Order: refund.Order{Number: "RF-1001", CustomerName: "Ada Lovelace", Email: "ada@example.com", PurchaseDate: day(-3),
				Currency: "EUR", Paid: 180000, Payment: pay("pi_demo_1001", "4242"), Status: refund.OrderActive,
				Service: refund.Service{Type: refund.ServiceProject, Project: &refund.Project{Milestones: []refund.Milestone{
					{Name: "Discovery", Price: 60000, Status: refund.MilestoneNotStarted},
					{Name: "Build", Price: 120000, Status: refund.MilestoneNotStarted},
				}}}},
		},
		{
			Order: refund.Order{Number: "RF-1002", CustomerName: "Grace Hopper", Email: "grace@example.com", PurchaseDate: day(-60),
				Currency: "EUR", Paid: 240000, Payment: pay("pi_demo_1002", "1881"), Status: refund.OrderActive,
				Service: refund.Service{Type: refund.ServiceProject, Project: &refund.Project{Milestones: []refund.Milestone{
					{Name: "Discovery", Price: 60000, Status: refund.MilestoneDelivered},
					{Name: "Build", Price: 120000, Status: refund.MilestoneInProgress, Progress: 50},
					{Name: "Launch", Price: 60000, Status: refund.MilestoneNotStarted},
				}}}},
		},
		{
			Order: refund.Order{Number: "RF-1003", CustomerName: "Alan Turing", Email: "alan@example.com", PurchaseDate: day(-40),
				Currency: "EUR", Paid: 30000, Payment: pay("pi_demo_1003", "0005"), Status: refund.OrderActive,
				Service: refund.Service{Type: refund.ServiceSubscription, Subscription: &refund.Subscription{
					PeriodStart: day(-10), PeriodEnd: day(19), PricePerPeriod: 30000, TicketsUsed: 2,
				}}},
		},
		{
			Order: refund.Order{Number: "RF-1004", CustomerName: "Katherine Johnson", Email: "katherine@example.com", PurchaseDate: day(-30),
				Currency: "USD", Paid: 200000, Payment: pay("pi_demo_1004", "4444"), Status: refund.OrderActive,
				Service: refund.Service{Type: refund.ServiceHours, Hours: &refund.Hours{Purchased: 20, Used: 5, TotalPrice: 200000}}},
		},
		{
			Order: refund.Order{Number: "RF-1005", CustomerName: "Edsger Dijkstra", Email: "edsger@example.com", PurchaseDate: day(-5),
				Currency: "EUR", Paid: 1200000, Payment: pay("pi_demo_1005", "3063"), Status: refund.OrderActive,
				Service: refund.Service{Type: refund.ServiceProject, Project: &refund.Project{Milestones: []refund.Milestone{
					{Name: "Architecture", Price: 400000, Status: refund.MilestoneNotStarted},
					{Name: "Implementation", Price: 800000, Status: refund.MilestoneNotStarted},
				}}}},
		},
	}
}

// loadDemoOrders makes the demo orders as an integrator makes any order: each one's card payment is
// taken at the sandbox provider (takePayment, the call behind POST /_local/payments), then the order
// is sent through the order route with the billing system's token, which checks it against the
// payment. Orders that already exist (an external DynamoDB kept from an earlier run) are left as they
// are.
func (s *Stack) loadDemoOrders(ctx context.Context, now time.Time) ([]DemoOrder, error) {
	store := dynamo.New(s.DynamoDB, s.TableName)
	demos := demoOrders(now.UTC())
	for i, d := range demos {
		o := d.Order
		checkout := sandbox.Checkout{Reference: o.Payment.Reference, Amount: refund.Money{Amount: o.Paid, Currency: o.Currency}, CardLast4: o.Payment.CardHint}
		if _, err := s.takePayment(ctx, checkout); err != nil {
			return nil, fmt.Errorf("demo payment %s: %w", o.Payment.Reference, err)
		}
		status, body, err := s.putOrder(ctx, o)
		switch {
		case err != nil:
			return nil, fmt.Errorf("demo order %s: %w", o.Number, err)
		case status == http.StatusCreated:
			if err := json.Unmarshal(body, &demos[i].Order); err != nil {
				return nil, fmt.Errorf("demo order %s: %w", o.Number, err)
			}
		case status == http.StatusConflict:
			if demos[i].Order, err = store.GetOrder(ctx, o.Number); err != nil {
				return nil, fmt.Errorf("demo order %s: %w", o.Number, err)
			}
		default:
			return nil, describePut(o.Number, status, body)
		}
	}
	return demos, nil
}

// DemoReason is the reason Outcome of DemoStatus assumes: a refund asked for without any complaint,
// which the policy decides by the order's age and use alone. Other reasons lead elsewhere (a quality
// complaint always goes to staff review; "I ordered the same thing twice" is refunded in full at any
// age while nothing has started).
const DemoReason = refund.ReasonChangedMind

// DemoStatus is a demo order as it stands at the stack's clock.
type DemoStatus struct {
	// Order is the order as the table holds it now (with what was refunded since), or as it was loaded
	// if the table no longer has it.
	Order refund.Order
	// Today is the stack's day it was worked out for, "2006-01-02".
	Today string
	// About describes the order on that day: "project of EUR 1,800.00 bought 3 days ago, nothing
	// started".
	About string
	// Outcome says what a refund request for DemoReason, sent that day, leads to: the offers the
	// policy makes, a staff review, a refusal, or that the order's open request must end first.
	Outcome string
}

// DemoStatus works out each demo order's status at the stack's clock, from the order and its open
// request as the table holds them, with the same policy and checks as the workflow's functions
// (refund.Verify and refund.Resolve with the default policy, which the template's functions use). So
// the banner and the local page say what is true when they are shown: after time travel, after days
// between restarts with a data directory, and after requests that refunded an order.
func (s *Stack) DemoStatus(ctx context.Context) []DemoStatus {
	store := dynamo.New(s.DynamoDB, s.TableName)
	now := s.Clock.Now()
	out := make([]DemoStatus, 0, len(s.Demo))
	for _, d := range s.Demo {
		out = append(out, demoStatus(ctx, store, d.Order, now))
	}
	return out
}

// demoStatus reads one demo order and its open request and describes them at now.
func demoStatus(ctx context.Context, store *dynamo.Store, loaded refund.Order, now time.Time) DemoStatus {
	st := DemoStatus{Order: loaded, Today: refund.FormatDate(now)}
	o, err := store.GetOrder(ctx, loaded.Number)
	switch {
	case refund.ErrorCode(err) == refund.CodeNotFound:
		st.About = describeOrder(loaded, now)
		st.Outcome = "refused: the order is no longer in the table, so the form finds no order with these details"
		return st
	case err != nil:
		st.About = describeOrder(loaded, now)
		st.Outcome = "unknown: the order could not be read (" + err.Error() + ")"
		return st
	}
	st.Order = o
	st.About = describeOrder(o, now)
	open, err := store.OpenRequestID(ctx, o.Number)
	if err != nil {
		st.Outcome = "unknown: the order's open request could not be read (" + err.Error() + ")"
		return st
	}
	if open != "" {
		status := "open"
		if rec, err := store.GetRequest(ctx, open); err == nil {
			status = web.StatusLabel(rec.Status)
		}
		st.Outcome = fmt.Sprintf("refused for now: request %s is still open (%s), and an order takes one request at a time", open, status)
		return st
	}
	st.Outcome = demoOutcome(refund.DefaultPolicy(), o, now)
	return st
}

// describeOrder says what the order is on now's day: what was bought, how long ago, and how much of it
// was used or refunded.
func describeOrder(o refund.Order, now time.Time) string {
	today := refund.Day(now)
	var what, use []string
	paid := refund.Money{Amount: o.Paid, Currency: o.Currency}
	svc := o.Service
	switch {
	case svc.Type == refund.ServiceProject && svc.Project != nil:
		what = append(what, "project of "+paid.String())
		if !o.WorkStarted() {
			use = append(use, "nothing started")
			break
		}
		for _, m := range svc.Project.Milestones {
			switch m.Status {
			case refund.MilestoneDelivered:
				use = append(use, m.Name+" delivered")
			case refund.MilestoneInProgress:
				use = append(use, fmt.Sprintf("%s %d%% done", m.Name, m.Progress))
			default:
				use = append(use, m.Name+" not started")
			}
		}
	case svc.Type == refund.ServiceSubscription && svc.Subscription != nil:
		sub := svc.Subscription
		what = append(what, fmt.Sprintf("support subscription of %s a period", refund.Money{Amount: sub.PricePerPeriod, Currency: o.Currency}))
		start, err1 := refund.ParseDate(sub.PeriodStart)
		end, err2 := refund.ParseDate(sub.PeriodEnd)
		switch {
		case err1 != nil || err2 != nil:
		case today.Before(start):
			use = append(use, "its period starts on "+sub.PeriodStart)
		case today.After(end):
			use = append(use, fmt.Sprintf("its paid period ended on %s, %s", sub.PeriodEnd, daysAgo(refund.DaysBetween(end, today))))
		default:
			use = append(use, fmt.Sprintf("day %d of %d of its period (to %s)", refund.DaysBetween(start, today)+1, refund.DaysBetween(start, end)+1, sub.PeriodEnd))
		}
		if sub.TicketsUsed > 0 {
			use = append(use, plural(sub.TicketsUsed, "ticket", "tickets")+" used")
		}
	case svc.Type == refund.ServiceHours && svc.Hours != nil:
		what = append(what, fmt.Sprintf("%d consulting hours for %s", svc.Hours.Purchased, paid))
		use = append(use, fmt.Sprintf("%d used", svc.Hours.Used))
	default:
		what = append(what, svc.Type.Label()+" for "+paid.String())
	}
	if purchased, err := refund.ParseDate(o.PurchaseDate); err == nil {
		what = append(what, "bought "+daysAgo(refund.DaysBetween(purchased, today)))
	}
	if o.Refunded > 0 {
		use = append(use, refund.Money{Amount: o.Refunded, Currency: o.Currency}.String()+" refunded")
	}
	switch o.Status {
	case refund.OrderFullyRefunded:
		use = append(use, "fully refunded")
	case refund.OrderCancelled:
		use = append(use, "cancelled")
	}
	return strings.Join(append([]string{strings.Join(what, " ")}, use...), ", ")
}

// daysAgo says how long ago something was, n days before today.
func daysAgo(n int) string {
	switch {
	case n == 0:
		return "today"
	case n == 1:
		return "yesterday"
	case n < 0:
		return "in " + plural(-n, "day", "days") + " (after today)"
	}
	return plural(n, "day", "days") + " ago"
}

// plural is "1 day" or "3 days".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// demoOutcome is what a refund request for DemoReason, sent at now, leads to: verification, then the
// policy's offers and whether staff review them first, as the workflow's functions decide them.
func demoOutcome(p refund.Policy, o refund.Order, now time.Time) string {
	sub := refund.Submission{OrderNumber: o.Number, PurchaseDate: o.PurchaseDate, Email: o.Email,
		Kind: string(refund.KindRefund), Reason: string(DemoReason)}
	if v := refund.Verify(p, sub, &o, now); !v.OK {
		return "refused: " + v.Findings[len(v.Findings)-1].Message
	}
	req := refund.Request{ID: "demo", OrderNumber: o.Number, Kind: refund.KindRefund, Reason: DemoReason, CreatedAt: now}
	res := refund.Resolve(p, req, o, now)
	var b strings.Builder
	var why []string
	for _, r := range res.ReviewReasons {
		why = append(why, sentenceClause(r))
	}
	switch {
	case res.NeedsReview && len(res.Offers) == 0:
		b.WriteString("staff review, with no offer the policy makes by itself (" + strings.Join(why, "; ") + ")")
	case res.NeedsReview:
		b.WriteString("staff review first (" + strings.Join(why, "; ") + "), then " + offerList(res.Offers))
	case !slices.ContainsFunc(res.Offers, refund.Offer.IsRefund):
		b.WriteString("no refund, but " + offerList(res.Offers))
	default:
		b.WriteString(offerList(res.Offers))
	}
	purchased, err := refund.ParseDate(o.PurchaseDate)
	if err != nil {
		return b.String()
	}
	lastDay := refund.FormatDate(purchased.AddDate(0, 0, p.CoolingOffDays))
	switch {
	case res.CoolingOff:
		fmt.Fprintf(&b, " (cooling-off until %s)", lastDay)
	case !o.WorkStarted() && refund.DaysBetween(purchased, refund.Day(now)) > p.CoolingOffDays:
		fmt.Fprintf(&b, " (the %d-day cooling-off ended on %s)", p.CoolingOffDays, lastDay)
	}
	return b.String()
}

// offerList names the offers in words: "partial refund of EUR 1,080.00, service credit of EUR 1,188.00
// or switch to another service with EUR 1,188.00 credit".
func offerList(offers []refund.Offer) string {
	var names []string
	for _, o := range offers {
		switch o.Kind {
		case refund.OfferFullRefund, refund.OfferPartialRefund, refund.OfferServiceCredit:
			names = append(names, strings.ToLower(o.Kind.Label())+" of "+o.Amount.String())
		case refund.OfferSwitchService:
			names = append(names, "switch to another service with "+o.Amount.String()+" credit")
		case refund.OfferPause:
			names = append(names, fmt.Sprintf("a pause of %s from %s", plural(o.PauseMonths, "month", "months"), o.EffectiveDate))
		case refund.OfferCancelAtPeriodEnd:
			names = append(names, "cancel at the end of the period on "+o.EffectiveDate)
		default:
			names = append(names, strings.ToLower(o.Kind.Label()))
		}
	}
	switch len(names) {
	case 0:
		return "no offer"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// sentenceClause turns a sentence into a clause to put in parentheses: lower-case start, no full stop.
func sentenceClause(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if s == "" {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[size:]
}
