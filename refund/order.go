package refund

import (
	"fmt"
	"unicode/utf8"
)

// ServiceType names the kind of service an order is for; each has its own refund rules.
type ServiceType string

// The service types.
const (
	// ServiceProject is a fixed-price project delivered in milestones.
	ServiceProject ServiceType = "project"
	// ServiceSubscription is a support plan billed per period.
	ServiceSubscription ServiceType = "subscription"
	// ServiceHours is a block of prepaid consulting hours.
	ServiceHours ServiceType = "hours"
)

// Label returns the service type as people read it.
func (t ServiceType) Label() string {
	switch t {
	case ServiceProject:
		return "fixed-price project"
	case ServiceSubscription:
		return "support subscription"
	case ServiceHours:
		return "prepaid consulting hours"
	}
	return string(t)
}

// OrderStatus is the billing status of an order.
type OrderStatus string

// The order statuses.
const (
	// OrderActive: the order is running and can be cancelled or refunded.
	OrderActive OrderStatus = "active"
	// OrderCancelled: the service was already cancelled.
	OrderCancelled OrderStatus = "cancelled"
	// OrderFullyRefunded: everything paid has been refunded.
	OrderFullyRefunded OrderStatus = "fully_refunded"
)

// MilestoneStatus is the state of one project milestone.
type MilestoneStatus string

// The milestone statuses.
const (
	MilestoneNotStarted MilestoneStatus = "not_started"
	MilestoneInProgress MilestoneStatus = "in_progress"
	MilestoneDelivered  MilestoneStatus = "delivered"
)

// Order is the billing system's record of what a client bought and paid. Its JSON form is the schema
// the billing system PUTs. Amounts are minor units of Currency.
type Order struct {
	// Number is the order number printed on the confirmation, e.g. "RF-2025-0042".
	Number string `json:"number"`
	// CustomerName is the client's name as on the order.
	CustomerName string `json:"customer_name"`
	// Email is the email on record; consent emails go here, never to an address typed in the form.
	Email string `json:"email"`
	// PurchaseDate is the day of purchase, "2006-01-02".
	PurchaseDate string `json:"purchase_date"`
	// Currency is the ISO 4217 code of every amount on the order.
	Currency string `json:"currency"`
	// Paid is what the client paid, in minor units.
	Paid int64 `json:"paid"`
	// Refunded is what has already been refunded on this order, in minor units.
	Refunded int64 `json:"refunded"`
	// Payment is the original card payment, the only place refunds go.
	Payment Payment `json:"payment"`
	// Status is the billing status.
	Status OrderStatus `json:"status"`
	// Disputed is set when the billing system or staff flagged the order as disputed; such orders
	// always go to staff review (see UnderDispute for the provider's disputes).
	Disputed bool `json:"disputed"`
	// Dispute is the latest dispute (chargeback) the client opened with their bank against the
	// payment, as the payment provider's events report it; nil when there was none. The billing
	// system cannot set it: only the provider's events do.
	Dispute *Dispute `json:"dispute,omitempty"`
	// ChargedBack is what the client's bank took back from the payment through disputes the company
	// lost (chargebacks), in minor units: money the client already has back, which no refund or
	// settlement may return again (Remaining). It is not a refund, so the ledger (Refunded) does not
	// count it and still equals the provider's refunds. Only the provider's events set it
	// (ChargebackAfter); the billing system cannot.
	ChargedBack int64 `json:"charged_back,omitempty"`
	// Service describes what was bought and how much of it was used.
	Service Service `json:"service"`
	// Version increases with every change of the record, for conditional writes.
	Version int64 `json:"version"`
}

// Payment is the original card payment of an order. Card numbers are never stored: only the last four
// digits, to tell the client which card gets the money.
type Payment struct {
	// Provider names the payment provider, e.g. "stripe" or "sandbox".
	Provider string `json:"provider"`
	// Reference identifies the payment at the provider, e.g. a Stripe PaymentIntent id.
	Reference string `json:"reference"`
	// CardHint is the last four digits of the card, e.g. "4242"; empty if unknown.
	CardHint string `json:"card_hint"`
	// ThreeDSecure records that the payment was 3-D Secure authenticated.
	ThreeDSecure bool `json:"three_d_secure"`
	// Captured records that the money was actually taken; only captured payments can be refunded.
	Captured bool `json:"captured"`
}

// Service is the service an order is for. Exactly the detail matching Type is set.
type Service struct {
	Type         ServiceType   `json:"type"`
	Project      *Project      `json:"project,omitempty"`
	Subscription *Subscription `json:"subscription,omitempty"`
	Hours        *Hours        `json:"hours,omitempty"`
}

// Project is a fixed-price project made of milestones.
type Project struct {
	Milestones []Milestone `json:"milestones"`
}

// Milestone is one priced part of a project.
type Milestone struct {
	// Name is shown in the refund breakdown.
	Name string `json:"name"`
	// Price is the milestone's share of the project price, in minor units.
	Price int64 `json:"price"`
	// Status says whether work has started or been delivered.
	Status MilestoneStatus `json:"status"`
	// Progress is the percent done (0–100) of an in-progress milestone; ignored otherwise.
	Progress int `json:"progress"`
}

// Subscription is a support plan billed per period.
type Subscription struct {
	// PeriodStart and PeriodEnd are the first and last day (inclusive) of the current paid period.
	PeriodStart string `json:"period_start"`
	PeriodEnd   string `json:"period_end"`
	// PricePerPeriod is what one period costs, in minor units.
	PricePerPeriod int64 `json:"price_per_period"`
	// TicketsUsed counts support tickets opened in the current period.
	TicketsUsed int `json:"tickets_used"`
}

// Hours is a block of prepaid consulting hours.
type Hours struct {
	// Purchased and Used are whole hours.
	Purchased int `json:"purchased"`
	Used      int `json:"used"`
	// TotalPrice is what the block cost, in minor units.
	TotalPrice int64 `json:"total_price"`
}

// Limits that keep orders realistic and all arithmetic inside int64.
const (
	// MaxMilestones is the most milestones a project may have.
	MaxMilestones = 200
	// MaxHours is the largest block of hours.
	MaxHours = 1_000_000
	// MaxPeriodDays is the longest subscription period (a little over two years).
	MaxPeriodDays = 800
)

// Validate checks that the order is complete and consistent, returning an *Error with CodeInvalid and
// one message per bad field (JSON paths such as "service.project.milestones[2].progress"), or nil.
func (o Order) Validate() error {
	errs := FieldErrors{}
	if !ValidOrderNumber(o.Number) {
		errs["number"] = "must be 1–40 letters, digits or dashes"
	}
	if o.CustomerName == "" || !utf8.ValidString(o.CustomerName) || utf8.RuneCountInString(o.CustomerName) > MaxNameRunes || hasControl(o.CustomerName, false) {
		errs["customer_name"] = "must be a name of 1–200 printable characters"
	}
	if !ValidEmail(o.Email) {
		errs["email"] = "must be a valid email address"
	}
	if _, err := ParseDate(o.PurchaseDate); err != nil {
		errs["purchase_date"] = "must be a date like 2025-03-01"
	}
	if !ValidCurrency(o.Currency) {
		errs["currency"] = "must be a three-letter ISO 4217 code such as EUR"
	}
	if o.Paid < 0 || o.Paid > MaxAmount {
		errs["paid"] = fmt.Sprintf("must be between 0 and %d minor units", MaxAmount)
	}
	if o.Refunded < 0 || o.Refunded > o.Paid {
		errs["refunded"] = "must be between 0 and the amount paid"
	}
	if o.ChargedBack < 0 || o.ChargedBack > o.Paid {
		errs["charged_back"] = "must be between 0 and the amount paid"
	}
	if o.Payment.CardHint != "" && (len(o.Payment.CardHint) != 4 || !allDigits(o.Payment.CardHint)) {
		errs["payment.card_hint"] = "must be exactly the last four digits of the card"
	}
	if len(o.Payment.Reference) > 255 || hasControl(o.Payment.Reference, false) {
		errs["payment.reference"] = "must be at most 255 printable characters"
	}
	switch o.Status {
	case OrderActive, OrderCancelled, OrderFullyRefunded:
	default:
		errs["status"] = "must be active, cancelled or fully_refunded"
	}
	if o.Version < 0 {
		errs["version"] = "must not be negative"
	}
	o.Service.validate(errs)
	return errs.Err()
}

// validate adds the service's field errors to errs.
func (s Service) validate(errs FieldErrors) {
	set := 0
	for _, p := range []bool{s.Project != nil, s.Subscription != nil, s.Hours != nil} {
		if p {
			set++
		}
	}
	switch s.Type {
	case ServiceProject:
		if s.Project == nil || set != 1 {
			errs["service"] = "a project order needs exactly the project details"
			return
		}
		if len(s.Project.Milestones) == 0 || len(s.Project.Milestones) > MaxMilestones {
			errs["service.project.milestones"] = fmt.Sprintf("must list 1–%d milestones", MaxMilestones)
		}
		for i, m := range s.Project.Milestones {
			path := fmt.Sprintf("service.project.milestones[%d]", i)
			if m.Name == "" || !utf8.ValidString(m.Name) || utf8.RuneCountInString(m.Name) > MaxNameRunes || hasControl(m.Name, false) {
				errs[path+".name"] = "must be a name of 1–200 printable characters"
			}
			if m.Price < 0 || m.Price > MaxAmount {
				errs[path+".price"] = fmt.Sprintf("must be between 0 and %d minor units", MaxAmount)
			}
			switch m.Status {
			case MilestoneNotStarted, MilestoneDelivered:
				if m.Progress != 0 && m.Progress != 100 {
					errs[path+".progress"] = "is only meaningful for a milestone in progress"
				}
			case MilestoneInProgress:
				if m.Progress < 0 || m.Progress > 100 {
					errs[path+".progress"] = "must be a percentage from 0 to 100"
				}
			default:
				errs[path+".status"] = "must be not_started, in_progress or delivered"
			}
		}
	case ServiceSubscription:
		if s.Subscription == nil || set != 1 {
			errs["service"] = "a subscription order needs exactly the subscription details"
			return
		}
		sub := s.Subscription
		start, err1 := ParseDate(sub.PeriodStart)
		end, err2 := ParseDate(sub.PeriodEnd)
		if err1 != nil {
			errs["service.subscription.period_start"] = "must be a date like 2025-03-01"
		}
		if err2 != nil {
			errs["service.subscription.period_end"] = "must be a date like 2025-03-31"
		}
		if err1 == nil && err2 == nil {
			if d := DaysBetween(start, end); d < 0 || d >= MaxPeriodDays {
				errs["service.subscription.period_end"] = fmt.Sprintf("must be on or after the period start, at most %d days later", MaxPeriodDays-1)
			}
		}
		if sub.PricePerPeriod < 0 || sub.PricePerPeriod > MaxAmount {
			errs["service.subscription.price_per_period"] = fmt.Sprintf("must be between 0 and %d minor units", MaxAmount)
		}
		if sub.TicketsUsed < 0 {
			errs["service.subscription.tickets_used"] = "must not be negative"
		}
	case ServiceHours:
		if s.Hours == nil || set != 1 {
			errs["service"] = "an hours order needs exactly the hours details"
			return
		}
		h := s.Hours
		if h.Purchased < 1 || h.Purchased > MaxHours {
			errs["service.hours.purchased"] = fmt.Sprintf("must be between 1 and %d", MaxHours)
		}
		if h.Used < 0 || h.Used > h.Purchased {
			errs["service.hours.used"] = "must be between 0 and the hours purchased"
		}
		if h.TotalPrice < 0 || h.TotalPrice > MaxAmount {
			errs["service.hours.total_price"] = fmt.Sprintf("must be between 0 and %d minor units", MaxAmount)
		}
	default:
		errs["service.type"] = "must be project, subscription or hours"
	}
}

// Remaining returns what has been paid and not yet returned to the client, by a refund or by the
// client's bank through a lost dispute (ChargedBack): the most any refund or settlement on this order
// can be.
func (o Order) Remaining() Money {
	r := o.Paid - o.Refunded - o.ChargedBack
	if r < 0 {
		r = 0
	}
	return Money{Amount: r, Currency: o.Currency}
}

// WorkStarted reports whether any work was done or any service used: a project milestone started or
// delivered, a support ticket used in the current period, or an hour used. Cooling-off refunds require
// that nothing has started.
func (o Order) WorkStarted() bool {
	switch o.Service.Type {
	case ServiceProject:
		if o.Service.Project == nil {
			return false
		}
		for _, m := range o.Service.Project.Milestones {
			if m.Status != MilestoneNotStarted {
				return true
			}
		}
	case ServiceSubscription:
		return o.Service.Subscription != nil && o.Service.Subscription.TicketsUsed > 0
	case ServiceHours:
		return o.Service.Hours != nil && o.Service.Hours.Used > 0
	}
	return false
}
