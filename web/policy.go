package web

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"refundflow/refund"
)

// PolicyPage is the published refund policy in words (GET /policy, and GET /policy/{version} for the
// version a request was decided under), rendered from the policy data itself, so the page can never
// say something other than what the calculation does.
type PolicyPage struct {
	// Policy is the policy shown.
	Policy refund.Policy
	// Current says this is the policy in force today; an earlier version says so and links to it.
	Current bool
	// AnswerDays is how long offers can be accepted and ReminderDays when the reminder goes out
	// (handler.ConsentPeriod and ConsentReminderAfter, in days); the sentence is left out when zero.
	AnswerDays, ReminderDays int
}

func (p PolicyPage) info() pageInfo {
	return pageInfo{template: "policy", title: "Refund and cancellation policy"}
}

// CurrentPath is the address of the policy in force, for an earlier version's page.
func (p PolicyPage) CurrentPath() string { return "/policy" }

// Threshold is one row of the review table: a currency and the refund above which staff decide.
type Threshold struct {
	Currency string
	Amount   string
}

// Thresholds lists the review thresholds by currency code.
func (p PolicyPage) Thresholds() []Threshold {
	var out []Threshold
	for _, cur := range slices.Sorted(maps.Keys(p.Policy.Review.RefundAboveMajorUnits)) {
		out = append(out, Threshold{Currency: cur, Amount: refund.MajorUnits(p.Policy.Review.RefundAboveMajorUnits[cur], cur).String()})
	}
	return out
}

// Rules returns the policy's rules as sections of sentences, in the order a client meets them.
func (p PolicyPage) Rules() []PolicySection {
	pol := p.Policy
	var out []PolicySection
	add := func(title string, lines ...string) {
		var kept []string
		for _, l := range lines {
			if l != "" {
				kept = append(kept, l)
			}
		}
		out = append(out, PolicySection{Title: title, Lines: kept})
	}

	any := ""
	if len(pol.FullRefundReasonsBeforeWork) > 0 {
		any = "Whatever the date, if no work has started, we refund everything in full when the reason is: " + reasonList(pol.FullRefundReasonsBeforeWork) + "."
	}
	add("Change of mind: the cooling-off period",
		"If you ask within "+days(pol.CoolingOffDays)+" of the purchase date (the purchase day counts as day 0) and no work has started on the order, we refund everything you paid that has not been refunded yet.",
		any,
		"We cannot accept requests made more than "+days(pol.MaxRequestAgeDays)+" after the purchase date.")

	pp := pol.Project
	proj := []string{
		"After the cooling-off period, or once work has started, a fixed-price project is refunded as follows: the amount paid, less anything already refunded or given as service credit, less the price of the milestones already delivered, less the share of the milestones in progress that matches their progress, less a cancellation fee of " + strconv.Itoa(pp.FeePercent) + "% of the amount paid. The result is never below zero.",
	}
	if pp.CreditPercent > 0 {
		credit := "Instead of that refund you can choose a service credit worth " + strconv.Itoa(pp.CreditPercent) + "% of it, usable for " + months(pp.CreditValidMonths) + " from the day of the offer"
		if pp.OfferSwitchService {
			credit += ", or apply the same credit to another of our services"
		}
		proj = append(proj, credit+".")
	}
	add("Fixed-price projects", proj...)

	sp := pol.Subscription
	sub := []string{"A support subscription is refunded for the unused days of the current paid period, in proportion to the price (the day of your request counts as used), less anything already refunded or given as service credit on the order."}
	if sp.MaxPauseMonths > 0 {
		sub = append(sub, "Instead, you can pause the subscription for "+months(sp.MaxPauseMonths)+", starting after the paid period.")
	}
	if sp.OfferCancelAtPeriodEnd {
		sub = append(sub, "Or you can let it run until the end of the paid period and end then, with no refund.")
	}
	add("Support subscriptions", sub...)

	hp := pol.Hours
	hours := []string{"Unused prepaid consulting hours are refunded at the rate you paid, less anything already refunded or given as service credit on the order."}
	if hp.CreditPercent > 0 {
		hours = append(hours, "Instead you can choose a service credit worth "+strconv.Itoa(hp.CreditPercent)+"% of that refund, usable for "+months(hp.CreditValidMonths)+" from the day of the offer.")
	}
	add("Prepaid consulting hours", hours...)

	var when []string
	when = append(when, "the refund is above the amount listed below for its currency (or its currency is not listed);")
	if len(pol.Review.Reasons) > 0 {
		when = append(when, "the reason given is "+reasonList(pol.Review.Reasons)+";")
	}
	if pol.Review.Disputed {
		when = append(when, "the payment of the order is disputed with the card issuer;")
	}
	when = append(when, "or the rules above leave nothing to refund or offer. Our team may then make a goodwill offer or explain why we cannot.")
	out = append(out, PolicySection{Title: "When a person decides",
		Lines: []string{"Most requests are answered automatically, within minutes. A person on our team looks at the request before any offer is made when:"},
		Items: when})

	add("How amounts are calculated",
		"Every amount is calculated exactly, in the smallest unit of its currency (the cent for euros), and rounded down only once, at the end; the offer shows each step of the calculation.",
		"A refund is also rounded down to the smallest amount the card payment can be refunded in, where the card network needs that (for example steps of 0.010 in Kuwaiti dinars).",
		"A refund never exceeds what you paid less what was already refunded.")

	add("Your agreement and the refund",
		"Nothing is refunded or changed until you accept an offer on the page our email links to, by typing your name as your signature. You can also decline, or withdraw your request until you accept.",
		answerDays(p.AnswerDays, p.ReminderDays),
		"Refunds go back to the card you paid with, only that card, and reach it "+pol.RefundTiming+". Service credits, pauses and cancellations are recorded on your account at once.")
	return out
}

// PolicySection is a titled group of sentences of the policy page, with an optional list after them.
type PolicySection struct {
	Title string
	Lines []string
	Items []string
}

// days says "14 days" or "1 day".
func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return strconv.Itoa(n) + " days"
}

// months says "3 months" or "1 month".
func months(n int) string {
	if n == 1 {
		return "1 month"
	}
	return strconv.Itoa(n) + " months"
}

// reasonList names reasons in words: "a duplicate order", "quality; not as described".
func reasonList(rs []refund.Reason) string {
	var names []string
	for _, r := range rs {
		names = append(names, "“"+r.Label()+"”")
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// answerDays says how long offers stay open; "" when the handler did not say.
func answerDays(answer, reminder int) string {
	if answer <= 0 {
		return ""
	}
	s := "You have " + days(answer) + " to answer"
	if reminder > 0 && reminder < answer {
		s += "; we remind you after " + days(reminder)
	}
	return s + ". Offers that are not accepted in that time expire, and nothing is changed."
}
