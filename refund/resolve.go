package refund

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Resolve is step 3: it applies the policy to a verified request and its order, as of now, and returns
// the offers for the client and whether staff must review the case first. It is pure and deterministic:
// the same inputs always give the same offers, with the same IDs, texts and breakdowns.
//
// Resolve never trusts its inputs to be consistent: an invalid policy or order record, or an order that
// is closed, gives no offers and a review reason instead of a wrong amount.
//
// opts carry what the policy cannot know: the refundable increment of the order's payment provider
// (WithRefundIncrement) and the credits earlier requests granted on the order (WithCredits).
func Resolve(p Policy, req Request, order Order, now time.Time, opts ...ResolveOption) Resolution {
	cfg := resolveConfig{increment: 1}
	for _, o := range opts {
		o(&cfg)
	}
	res := Resolution{PolicyVersion: p.Version, Refundable: Money{Currency: order.Currency}}
	review := func(reason string) {
		res.NeedsReview = true
		res.ReviewReasons = append(res.ReviewReasons, reason)
	}
	if err := p.Validate(); err != nil {
		review(fmt.Sprintf("The refund policy %q is invalid (%v); nothing was calculated.", p.Version, err))
		return res
	}
	if err := order.Validate(); err != nil {
		review(fmt.Sprintf("The order record is inconsistent (%v); nothing was calculated.", err))
		return res
	}
	today := Day(now)
	purchased, _ := ParseDate(order.PurchaseDate)
	age := DaysBetween(purchased, today)
	if age < 0 && age >= -ClientDayTolerance {
		// Bought "tomorrow" in UTC: today on the client's calendar. Count from the purchase day.
		today, age = purchased, 0
	}
	switch {
	case age < 0:
		review(fmt.Sprintf("The order's purchase date %s is after today %s; nothing was calculated.", order.PurchaseDate, FormatDate(today)))
		return res
	case order.Status != OrderActive:
		review(fmt.Sprintf("The order is %s; nothing was calculated.", order.Status))
		return res
	}

	credited, other := cfg.credited(req.ID, order.Currency)
	if len(other) > 0 {
		review(fmt.Sprintf("The order has service credits in another currency than its %s (%s); nothing was calculated.", order.Currency, strings.Join(other, ", ")))
		return res
	}
	r := resolver{p: p, req: req, order: order, today: today, increment: cfg.increment, credited: credited}
	anyDate := slices.Contains(p.FullRefundReasonsBeforeWork, req.Reason)
	if !order.WorkStarted() && (age <= p.CoolingOffDays || anyDate) {
		res.CoolingOff = true
		r.coolingOff()
	} else {
		switch order.Service.Type {
		case ServiceProject:
			r.project()
		case ServiceSubscription:
			r.subscription()
		case ServiceHours:
			r.hours()
		}
	}
	res.Offers = r.offers
	res.Refundable = r.money(r.refundable)
	res.Calculation = r.calculation
	if res.Calculation == nil {
		res.Calculation = []Line{}
	}

	switch threshold, ok := p.ReviewThreshold(order.Currency); {
	case !ok && res.Refundable.Amount > 0:
		review(fmt.Sprintf("The policy sets no review threshold for %s, so every refund in it needs a staff decision.", order.Currency))
	case ok && res.Refundable.Amount > threshold.Amount:
		review(fmt.Sprintf("The refund of %s is above the %s that can be refunded without review.", res.Refundable, threshold))
	}
	if slices.Contains(p.Review.Reasons, req.Reason) {
		review(fmt.Sprintf("The reason given (%q) always needs a staff decision.", req.Reason.Label()))
	}
	switch {
	case !p.Review.Disputed:
	case order.Dispute != nil && order.Dispute.BlocksRefunds():
		review(fmt.Sprintf("The client opened a dispute (chargeback) on the payment with their bank (%s, %s): no refund can go to the card while it is open or after it was lost.",
			strings.ReplaceAll(string(order.Dispute.Status), "_", " "), order.Dispute.Amount))
	case order.Disputed:
		review("The order is flagged as disputed.")
	}
	if len(res.Offers) == 0 {
		review("Nothing can be refunded or offered under the automatic policy; staff decide whether to decline or make a goodwill offer.")
	}
	return res
}

// ResolveOption adjusts Resolve for facts outside the policy.
type ResolveOption func(*resolveConfig)

// resolveConfig is what the options set.
type resolveConfig struct {
	increment int64
	credits   []Credit
}

// credited adds up the credits granted on the order by requests other than requestID, in the
// order's currency; other lists the credits in any other currency, which cannot be counted.
func (c resolveConfig) credited(requestID, currency string) (total int64, other []string) {
	for _, cr := range c.credits {
		switch {
		case cr.RequestID == requestID:
		case cr.Amount.Currency != currency:
			other = append(other, cr.Amount.String())
		default:
			total += max(cr.Amount.Amount, 0)
		}
	}
	return total, other
}

// WithRefundIncrement makes every refund offer a multiple of step minor units of the order's currency:
// the smallest amount the order's payment provider can refund, and the step of all it can refund (10
// for Stripe's three-decimal currencies, 100 for MGA at Stripe, 1 for most). The refund worked out by
// the rules is rounded down to it, with its own breakdown line. Credits are not paid out by the
// provider and keep the rules' amount. A step below 1 means 1, any amount.
func WithRefundIncrement(step int64) ResolveOption {
	return func(c *resolveConfig) { c.increment = max(step, 1) }
}

// WithCredits gives Resolve the service credits granted on the order so far (Credit records, by any
// request but the one being resolved, whose own credit is ignored). A credit was given instead of
// money for part of the service, so it counts in every later offer like an earlier refund, at its
// full amount (see the package documentation). A credit in another currency than the order's cannot
// be counted: the case then goes to staff with nothing calculated.
func WithCredits(credits []Credit) ResolveOption {
	return func(c *resolveConfig) { c.credits = append(c.credits, credits...) }
}

// resolver holds what the per-service rules share while they build offers.
type resolver struct {
	p      Policy
	req    Request
	order  Order
	today  time.Time
	offers []Offer
	// refundable and calculation record the refund worked out by the rule, even when it is zero.
	refundable  int64
	calculation []Line
	// increment is the step of the amounts the payment's provider can refund (WithRefundIncrement).
	increment int64
	// credited is what the credits earlier requests granted on the order add up to (WithCredits).
	credited int64
}

// money returns an amount in the order's currency.
func (r *resolver) money(amount int64) Money {
	return Money{Amount: amount, Currency: r.order.Currency}
}

// line returns a breakdown line in the order's currency.
func (r *resolver) line(label string, amount int64) Line {
	return Line{Label: label, Amount: r.money(amount)}
}

// add appends an offer, giving it its deterministic ID and the fields every offer shares.
func (r *resolver) add(o Offer) {
	o.ID = fmt.Sprintf("%s-%d-%s", r.req.ID, len(r.offers)+1, o.Kind)
	o.RequestID = r.req.ID
	o.OrderNumber = r.order.Number
	o.PolicyVersion = r.p.Version
	if o.Amount.Currency == "" {
		o.Amount.Currency = r.order.Currency
	}
	if o.Breakdown == nil {
		o.Breakdown = []Line{}
	}
	o.Terms = terms(r.p, r.order, o)
	r.offers = append(r.offers, o)
}

// creditLabel is the breakdown line of the credits earlier requests granted on the order.
const creditLabel = "Service credits already granted"

// chargebackLabel is the breakdown line of what the client's bank took back through a lost dispute.
const chargebackLabel = "Already returned by your bank (chargeback)"

// paidLines starts a breakdown from what was paid minus what was already refunded, returned by the
// client's bank (a lost dispute) and credited.
func (r *resolver) paidLines() []Line {
	lines := []Line{r.line("Amount paid", r.order.Paid)}
	if r.order.Refunded > 0 {
		lines = append(lines, r.line("Already refunded", -r.order.Refunded))
	}
	if r.order.ChargedBack > 0 {
		lines = append(lines, r.line(chargebackLabel, -r.order.ChargedBack))
	}
	if r.credited > 0 {
		lines = append(lines, r.line(creditLabel, -r.credited))
	}
	return lines
}

// coolingOff offers back everything not yet refunded, less the credits already granted.
func (r *resolver) coolingOff() {
	amount, lines := r.order.Remaining().Amount-r.credited, r.paidLines()
	if amount < 0 {
		lines = append(lines, r.line("Earlier credits already cover what was paid", -amount))
		amount = 0
	}
	r.refundOffer(amount, lines)
}

// refundOffer records the refund worked out by a rule, rounded down to the provider's refundable
// increment, and adds the refund offer for it (full_refund when it returns everything not yet
// refunded, partial_refund otherwise) if it is positive.
func (r *resolver) refundOffer(amount int64, lines []Line) {
	if rest := amount % max(r.increment, 1); amount > 0 && rest != 0 {
		label := fmt.Sprintf("Rounded down to a multiple of %s, the smallest amount the card payment can be refunded in", r.money(r.increment))
		lines = append(slices.Clone(lines), r.line(label, -rest))
		amount -= rest
	}
	r.refundable, r.calculation = amount, slices.Clone(lines)
	if amount <= 0 {
		return
	}
	kind := OfferPartialRefund
	if amount == r.order.Remaining().Amount {
		kind = OfferFullRefund
	}
	r.add(Offer{Kind: kind, Amount: r.money(amount), Breakdown: lines, EffectiveDate: FormatDate(r.today)})
}

// creditOffer adds a credit (or, for switch, a switch-service offer) worth pct percent of the refund
// amount, rounded down, valid for months from today, if it is positive.
func (r *resolver) creditOffer(kind OfferKind, amount int64, lines []Line, pct, months int) {
	if amount <= 0 || pct <= 0 {
		return
	}
	credit, ok := mulDiv(amount, int64(pct), 100)
	if !ok || credit <= 0 {
		return
	}
	lines = slices.Clone(lines)
	switch {
	case pct > 100:
		lines = append(lines, r.line(fmt.Sprintf("Extra credit: %d%% on top of the refundable amount, rounded down", pct-100), credit-amount))
	case pct < 100:
		lines = append(lines, r.line(fmt.Sprintf("Credit is %d%% of the refundable amount, rounded down", pct), credit-amount))
	}
	r.add(Offer{
		Kind:          kind,
		Amount:        r.money(credit),
		Breakdown:     lines,
		EffectiveDate: FormatDate(r.today),
		ValidUntil:    FormatDate(AddMonths(r.today, months)),
	})
}

// settle finishes a breakdown whose lines sum to shown, where the exact (unrounded) result is
// exact100/100 minor units. It appends the rounding line (rounding the result down) and, if deductions
// exceed what remains, a line waiving the excess so the result is never negative. It returns the
// final amount and lines; the lines always add up to the amount.
func (r *resolver) settle(lines []Line, shown, exact100 int64) (int64, []Line) {
	if exact100 <= 0 {
		if shown != 0 {
			label := "Deductions above what remains are waived"
			if shown > 0 {
				label = r.roundingLabel()
			}
			lines = append(lines, r.line(label, -shown))
		}
		return 0, lines
	}
	amount := exact100 / 100 // floor, as exact100 > 0
	if d := amount - shown; d != 0 {
		lines = append(lines, r.line(r.roundingLabel(), d))
	}
	return amount, lines
}

// roundingLabel names the rounding line in words that fit the currency.
func (r *resolver) roundingLabel() string {
	if Exponent(r.order.Currency) == 2 {
		return "Rounding down to the cent"
	}
	return "Rounding down to the smallest currency unit"
}

// lessSettled subtracts what was already refunded on the order, and the credits already granted on
// it, from the value of the unused part of a service (hours, subscription days), adding the lines
// that show them, and never goes below zero (a line then says the earlier refunds or credits already
// cover it): an earlier refund, by Refundflow or before it, or a credit given instead of one, has
// already paid back part of what is unused, and must never be paid back again.
func (r *resolver) lessSettled(amount int64, lines []Line) (int64, []Line) {
	// Money the client's bank took back (a lost dispute) is paid back like a refund.
	returned := r.order.Refunded + r.order.ChargedBack
	if returned <= 0 && r.credited <= 0 {
		return amount, lines
	}
	if r.order.Refunded > 0 {
		lines = append(lines, r.line("Already refunded", -r.order.Refunded))
	}
	if r.order.ChargedBack > 0 {
		lines = append(lines, r.line(chargebackLabel, -r.order.ChargedBack))
	}
	if r.credited > 0 {
		lines = append(lines, r.line(creditLabel, -r.credited))
	}
	if amount -= returned + r.credited; amount < 0 {
		label := "Earlier refunds already cover the unused part"
		switch {
		case returned <= 0:
			label = "Earlier credits already cover the unused part"
		case r.credited > 0:
			label = "Earlier refunds and credits already cover the unused part"
		}
		lines = append(lines, r.line(label, -amount))
		amount = 0
	}
	return amount, lines
}

// capToRemaining limits amount to what is not yet refunded on the order, adding the line that explains
// the cut.
func (r *resolver) capToRemaining(amount int64, lines []Line) (int64, []Line) {
	remaining := r.order.Remaining()
	if amount <= remaining.Amount {
		return amount, lines
	}
	label := fmt.Sprintf("Limited to what is not yet refunded (paid %s, already refunded %s)", r.money(r.order.Paid), r.money(r.order.Refunded))
	if r.order.ChargedBack > 0 {
		label = fmt.Sprintf("Limited to what is not yet returned (paid %s, already refunded %s, returned by your bank %s)",
			r.money(r.order.Paid), r.money(r.order.Refunded), r.money(r.order.ChargedBack))
	}
	return remaining.Amount, append(lines, r.line(label, remaining.Amount-amount))
}

// project applies the fixed-price project rule: refund = paid − already refunded − credits already
// granted − delivered milestones − in-progress milestones × progress − fee, rounded down, never below
// zero; alternatives are a credit and a switch to another service.
func (r *resolver) project() {
	pp := r.p.Project
	lines := r.paidLines()
	shown := r.order.Paid - r.order.Refunded - r.order.ChargedBack - r.credited
	// exact100 is the exact refund times 100, so percentages stay integers until the final division.
	exact100 := 100 * shown
	for _, m := range r.order.Service.Project.Milestones {
		switch m.Status {
		case MilestoneDelivered:
			if m.Price > 0 {
				lines = append(lines, r.line("Delivered: "+m.Name, -m.Price))
				shown -= m.Price
				exact100 -= 100 * m.Price
			}
		case MilestoneInProgress:
			work := m.Price * int64(m.Progress) // ≤ 10^14, no overflow
			if work > 0 {
				lines = append(lines, r.line(fmt.Sprintf("In progress: %s (%d%% of %s)", m.Name, m.Progress, r.money(m.Price)), -(work/100)))
				shown -= work / 100
				exact100 -= work
			}
		}
	}
	if fee := r.order.Paid * int64(pp.FeePercent); fee > 0 {
		lines = append(lines, r.line(fmt.Sprintf("Cancellation fee (%d%% of the amount paid)", pp.FeePercent), -(fee/100)))
		shown -= fee / 100
		exact100 -= fee
	}
	amount, lines := r.settle(lines, shown, exact100)
	r.refundOffer(amount, lines)
	r.creditOffer(OfferServiceCredit, amount, lines, pp.CreditPercent, pp.CreditValidMonths)
	if pp.OfferSwitchService {
		r.creditOffer(OfferSwitchService, amount, lines, pp.CreditPercent, pp.CreditValidMonths)
	}
}

// subscription applies the support-plan rule: refund the unused days of the current period
// (price × unused days / period days, rounded down), minus what was already refunded and credited on
// the order, never below zero and at most what is not yet refunded; alternatives are a pause and cancelling at
// the end of the period.
func (r *resolver) subscription() {
	s := r.order.Service.Subscription
	start, _ := ParseDate(s.PeriodStart)
	end, _ := ParseDate(s.PeriodEnd)
	periodDays := int64(DaysBetween(start, end) + 1)
	// The day of the request counts as used: the service was available on it.
	used := int64(DaysBetween(start, r.today) + 1)
	used = max(0, min(used, periodDays))
	unused := periodDays - used

	lines := []Line{r.line(fmt.Sprintf("Current period %s to %s (%d days)", s.PeriodStart, s.PeriodEnd, periodDays), s.PricePerPeriod)}
	usedValue, _ := mulDiv(s.PricePerPeriod, used, periodDays) // bounded by validation
	if usedValue > 0 {
		lines = append(lines, r.line(fmt.Sprintf("Used: %d of %d days", used, periodDays), -usedValue))
	}
	prorated, _ := mulDiv(s.PricePerPeriod, unused, periodDays)
	if d := prorated - (s.PricePerPeriod - usedValue); d != 0 {
		lines = append(lines, r.line(r.roundingLabel(), d))
	}
	amount, lines := r.lessSettled(prorated, lines)
	amount, lines = r.capToRemaining(amount, lines)
	r.refundOffer(amount, lines)

	// The pause and the end of the service start after the paid period, or today if the record's
	// period is already over.
	periodEnd := end
	if periodEnd.Before(r.today) {
		periodEnd = r.today
	}
	if n := r.p.Subscription.MaxPauseMonths; n > 0 {
		from := periodEnd.AddDate(0, 0, 1)
		r.add(Offer{Kind: OfferPause, Amount: r.money(0), EffectiveDate: FormatDate(from), PauseMonths: n})
	}
	if r.p.Subscription.OfferCancelAtPeriodEnd {
		r.add(Offer{Kind: OfferCancelAtPeriodEnd, Amount: r.money(0), EffectiveDate: FormatDate(periodEnd)})
	}
}

// hours applies the prepaid-hours rule: refund the unused hours at the bought rate
// (total price × unused / purchased, rounded down), minus what was already refunded and credited on
// the order, never below zero and at most what is not yet refunded; the alternative is a credit.
func (r *resolver) hours() {
	h := r.order.Service.Hours
	purchased, used := int64(h.Purchased), int64(h.Used)
	lines := []Line{r.line(fmt.Sprintf("Prepaid hours bought: %d", purchased), h.TotalPrice)}
	usedValue, _ := mulDiv(h.TotalPrice, used, purchased) // bounded by validation
	if usedValue > 0 {
		lines = append(lines, r.line(fmt.Sprintf("Used: %d of %d hours at the bought rate", used, purchased), -usedValue))
	}
	unusedValue, _ := mulDiv(h.TotalPrice, purchased-used, purchased)
	if d := unusedValue - (h.TotalPrice - usedValue); d != 0 {
		lines = append(lines, r.line(r.roundingLabel(), d))
	}
	amount, lines := r.lessSettled(unusedValue, lines)
	amount, lines = r.capToRemaining(amount, lines)
	r.refundOffer(amount, lines)
	r.creditOffer(OfferServiceCredit, amount, lines, r.p.Hours.CreditPercent, r.p.Hours.CreditValidMonths)
}
