package refund

import (
	"fmt"
	"strings"
	"time"
)

// Verify is step 2: it checks a client's submission against the order on record and the policy, as of
// now. order is nil when no order has the submitted number.
//
// The checks run in a fixed order and stop at the first failure, so that a client only learns about
// an order after proving they know its number, purchase date and email together: an unknown number, a
// wrong date and a wrong email all give the same FindingOrderNotMatched with the same message.
func Verify(p Policy, sub Submission, order *Order, now time.Time) Verification {
	v := Verification{PolicyVersion: p.Version}
	pass := func(code, msg string) {
		v.Findings = append(v.Findings, Finding{Code: code, Message: msg, Passed: true})
	}
	fail := func(code, msg string) Verification {
		v.Findings = append(v.Findings, Finding{Code: code, Message: msg})
		v.OK = false
		return v
	}

	if errs := sub.Validate(); errs != nil {
		return fail(FindingInvalidSubmission, "Some fields of the form need correcting: "+errs.String()+".")
	}
	sub = sub.Normalize()
	today := Day(now)
	date, _ := ParseDate(sub.PurchaseDate) // Validate guarantees the layout
	if DaysBetween(today, date) > ClientDayTolerance {
		return fail(FindingDateInFuture, "The purchase date you entered is in the future. Please check it against your order confirmation.")
	}

	if !matches(sub, order) {
		return fail(FindingOrderNotMatched, "We could not find an order with this order number, purchase date and email address. Please check all three against your order confirmation.")
	}
	pass(FindingOrderMatched, fmt.Sprintf("We found order %s.", order.Number))

	if order.Status == OrderActive && order.ChargedBack > 0 && order.Remaining().IsZero() {
		return fail(FindingOrderClosed, fmt.Sprintf("The payment for order %s has already been returned to you in full, by refunds or by your bank after a dispute (chargeback), so there is nothing left to refund.", order.Number))
	}
	if order.Status != OrderActive || order.Paid > 0 && order.Remaining().IsZero() {
		return fail(FindingOrderClosed, fmt.Sprintf("Order %s has already been cancelled or fully refunded, so there is nothing left to cancel or refund.", order.Number))
	}
	pass(FindingOrderOpen, fmt.Sprintf("Order %s is active.", order.Number))

	purchased, err := ParseDate(order.PurchaseDate)
	if err != nil {
		// matches compared the dates, so this cannot happen for a matched order; fail closed anyway.
		return fail(FindingOrderNotMatched, "We could not find an order with this order number, purchase date and email address. Please check all three against your order confirmation.")
	}
	if age := DaysBetween(purchased, today); age > p.MaxRequestAgeDays {
		return fail(FindingTooOld, fmt.Sprintf("Requests can be made up to %d days after the purchase date. Order %s was bought on %s, %d days ago, so it can no longer be cancelled or refunded through this form.",
			p.MaxRequestAgeDays, order.Number, order.PurchaseDate, age))
	}
	pass(FindingWithinAge, fmt.Sprintf("Your request is within %d days of the purchase date.", p.MaxRequestAgeDays))

	if !order.Payment.Captured || strings.TrimSpace(order.Payment.Reference) == "" {
		return fail(FindingNoCardPayment, fmt.Sprintf("We could not find a completed card payment for order %s to refund to. Please contact our support team so that a person can help you.", order.Number))
	}
	pass(FindingCardPayment, "We found the card payment that any refund will go back to.")

	pass(FindingOK, "Your request meets the conditions of our refund policy; we are now preparing your options.")
	v.OK = true
	return v
}

// Matches reports whether the submission names the order: the same order number (ignoring case), the
// same purchase day and the same email (ignoring case and surrounding spaces). A nil order (none has
// the number) matches nothing. The form decides by it alone whether a submission may take the order's
// open-request lock, so that what it answers says nothing about an order the submitter did not name.
func Matches(sub Submission, order *Order) bool { return matches(sub.Normalize(), order) }

// matches reports whether the normalised submission names this order: same number (ignoring case),
// same purchase day, same email (ignoring case and surrounding spaces).
func matches(sub Submission, order *Order) bool {
	if order == nil || !strings.EqualFold(strings.TrimSpace(order.Number), sub.OrderNumber) {
		return false
	}
	got, err1 := ParseDate(sub.PurchaseDate)
	want, err2 := ParseDate(strings.TrimSpace(order.PurchaseDate))
	if err1 != nil || err2 != nil || !got.Equal(want) {
		return false
	}
	return strings.EqualFold(strings.TrimSpace(order.Email), sub.Email)
}
