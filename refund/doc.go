// Package refund is the business of Refundflow: orders, the refund policy, checking a client's request
// against the order (verification), working out what to offer (resolution), the agreement text the
// client accepts, and what is recorded about a request: consents, the audit trail, link codes, the
// ledger's refunds, credits and feedback. It is pure Go with no infrastructure or storage imports and
// no clock: every rule takes "now" as an argument, so the same request, order and policy always give
// the same answer, to the cent. Storage (package dynamo) and the handlers use its types as they are.
//
// # Money
//
// Amounts are whole minor units (cents for EUR, yen for JPY, fils for KWD) with an ISO 4217 currency
// code. No floating point is used anywhere. Every division rounds down to the minor unit, in the
// company's favour by at most one minor unit per division, and when rounding happened the breakdown
// shows it as its own line ("Rounding down to the cent"). The lines of a breakdown always add up
// exactly to the amount offered. No refund ever exceeds what the client paid minus what was already
// refunded on the order, and no offered amount is ever negative.
//
// A refund goes back through the payment provider, which may only refund in larger steps than the
// minor unit: Stripe takes Bahraini, Jordanian and Kuwaiti dinars, Omani rials and Tunisian dinars
// in steps of 10 thousandths (the last digit 0) and Malagasy ariary only whole. The provider's step for the order's
// currency is given to Resolve (WithRefundIncrement; this package knows no provider), and the refund
// the rules work out is rounded down to it on a line of its own ("Rounded down to a multiple of KWD
// 0.010, the smallest amount the card payment can be refunded in"), so the lines still add up. Credits
// are not paid out by the provider and keep the rules' amount. Staff adjusting a refund must type a
// multiple of the step too.
//
// # Dates
//
// Dates are calendar days ("2025-03-01"), compared in UTC. The purchase day is day 0, so "within 14
// days of purchase" means up to and including the 14th day after it: for an order bought on 1 March, a
// request on 15 March is within the cooling-off period and a request on 16 March is not. The same
// counting applies to the maximum request age (365 days by default: day 365 is accepted, day 366 is
// rejected).
//
// The client enters the purchase date from their own calendar, which can be up to 14 hours ahead of
// UTC (UTC+14): a purchase date up to one day after today's UTC date is therefore accepted, and counts
// as bought today (day 0, offers effective on the purchase day). A date two or more days ahead is in
// the future.
//
// Months are calendar months: "12 months from 15 March" is 15 March of the next year, and a month
// that is shorter ends the count on its last day, so one month after 31 January is 28 February (29
// in a leap year) and three months after 30 November is 28 February. Credits' last day of use and
// the end of a pause are counted this way.
//
// # Verification (step 2)
//
// A request is checked in this order, and the first failed check ends the verification: the form is
// complete and well formed; the purchase date is not in the future; an order exists with this order
// number, this purchase date and this email address (case and surrounding spaces do not matter); the
// order is still active (not cancelled, not fully refunded); the request comes no later than the
// maximum request age; and a completed (captured) card payment exists to refund to. A wrong order
// number, a wrong date and a wrong email all give the same answer, "We could not find an order with this
// order number, purchase date and email address", so the form cannot be used to find out which orders
// exist or whose they are.
//
// # Resolution (step 3)
//
// Cooling-off: a request made within 14 days of the purchase date, before any work started or any part
// of the service was used (no project milestone started, no support ticket used, no consulting hour
// used), gets a full refund of everything not yet refunded. A request with the reason "I ordered the
// same thing twice" (duplicate_order) gets the same full refund whenever it is made, as long as no work
// has started.
//
// Fixed-price projects after cooling-off: the value of the work done is the full price of every
// delivered milestone plus, for each milestone in progress, its price times its percentage of
// completion. A cancellation fee of 5% of the amount paid is charged. The refund is the amount paid,
// minus what was already refunded, minus the work done, minus the fee; if that is below zero, the
// client owes nothing more and the refund is zero. Instead of the money, the client may take a service
// credit worth 110% of the refund, valid for 12 months, either for any of our services or applied to a
// switch to another service.
//
// Support subscriptions after cooling-off: the unused days of the current period are refunded, at the
// period price times unused days divided by the days in the period. The day of the request counts as
// used. Alternatives: pause the subscription for 3 months starting after the paid period (nothing
// charged, nothing refunded), or let it run to the end of the paid period and stop (nothing refunded,
// nothing more charged).
//
// Prepaid consulting hours after cooling-off: unused hours are refunded at the rate they were bought
// at (total price times unused hours divided by hours bought). Alternative: a service credit worth 110%
// of that refund, valid for 12 months.
//
// Earlier refunds count in every later offer. For subscriptions and hours, everything already refunded
// on the order (by an earlier request, or before the order reached Refundflow) is subtracted from the
// value of the unused days or hours, because it has already paid back part of them: the same unused
// part is never refunded twice. The result is never below zero (the breakdown then says the earlier
// refunds already cover the unused part), and it is also limited to what is not yet refunded on the
// order; the breakdown shows both. For projects the amount already refunded is part of the rule above,
// and the cooling-off refund is everything not yet refunded.
//
// Earlier credits count the same way. A service credit (or a credit applied to a switch) that an
// earlier request granted on the order was given instead of money for part of the service, so every
// later offer subtracts it as it subtracts earlier refunds, at the credit's full amount (which is more
// than the refund it replaced when the policy adds extra credit): from the unused days or hours, from
// the project rule's amount paid, and from the cooling-off refund. The breakdown shows it on a line of
// its own ("Service credits already granted"), and the result is never below zero. A credit does not
// move the ledger, so what remains refundable on the order (paid minus refunded), which bounds every
// refund and what staff may offer, does not change. A credit in another currency than the order's
// cannot be compared: such a case goes to staff with nothing calculated.
//
// A request whose execution refunds or credits the order, or ends the service, leaves the order
// cancelled (or fully refunded when nothing paid remains), and so closed for later requests; a pause
// leaves it active. The close is recorded with the request's name even when the billing system had
// already cancelled the order. The billing system cannot make an order that Refundflow closed active
// again (a new purchase is a new order), so a stale order record cannot undo a refund, a credit or a
// cancellation.
//
// Every refund offered is rounded down to an amount the card payment's provider can refund (see Money);
// for most currencies that changes nothing. An offer that returns everything not yet refunded is
// called a full refund; any smaller refund is a partial refund. Accepting a refund or a credit also cancels the service. Whether the client asked to
// "cancel" or for a "refund" does not change the amounts: both are settled by the same rules. When
// nothing can be refunded or offered, the case goes to staff.
//
// Staff review: the offers are worked out as above, but a member of staff must approve them before the
// client sees them when the refund is above the review threshold of the order's currency (EUR
// 2,000.00; exactly 2,000.00 does not need review), when the reason is "quality", "not as described"
// or "service not provided", or when the order is flagged as disputed. The threshold is set per
// currency, because a major unit is worth very different amounts (KWD 2,000 is about EUR 6,000): the
// default policy sets about EUR 2,000 in each currency it names (USD 2,200, GBP 1,700, JPY 320,000,
// KWD 650, ...; check them when exchange rates move). A refund in a currency the policy names no
// threshold for always needs review. Staff decide once per review: of two decisions made at the same
// time, one stands and the other is refused.
//
// # Policy as data
//
// All the numbers above (14 days, 365 days, 5%, 110%, 12 months, 3 months, the review threshold of
// each currency, the review reasons, the refund timing text) live in a versioned policy file,
// policy/default.json, which is
// embedded in the program and can be replaced by another file (LoadPolicy). Every verification, offer
// and agreement records the policy version it used.
//
// # Agreement (step 4)
//
// For each offer there is a plain-text agreement naming the customer, the order, the request, what is
// cancelled and from which day, the amount and its breakdown, where the money goes ("the card ending
// 4242 used for the original 3-D Secure payment, within 5–10 business days") or what credit is granted
// and until when, or the pause and its dates, and the policy version. The agreement and the offer are
// hashed together (SHA-256 over a canonical encoding); the client's consent carries that hash, so the
// refund that is executed is exactly the one the client read and accepted.
//
// # Staff adjustments
//
// In a review, staff may change the amounts of the offers before the client sees them (AdjustOffers):
// a refund is more than zero, at most what remains refundable, and a multiple of the provider's
// step, and it is a full refund exactly when it returns everything that remains; a credit is at
// most the larger of the credit offered and what remains; a pause or an end at the period's end has
// no amount. The adjusted offer gets its own breakdown line ("Adjusted by our team") and terms that
// name the new amount. Offers never change: an adjustment makes a new offer set with new IDs.
//
// When the policy gives no money (no offers at all, or only a pause or an end at the period's end),
// staff may make a goodwill offer instead: a refund (the same limits as any refund: more than zero,
// at most what remains refundable, a multiple of the provider's step) or a service credit (more than
// zero, at most what remains refundable, usable as long as the policy's credits for the service),
// with one breakdown line ("Goodwill offer by our team"), taking effect from the day of the request.
// A review with no offers cannot be approved: there would be nothing to send the client, so staff
// reject it (the client is told why) or make a goodwill offer.
//
// # Consent and money
//
// The client's decision is recorded once per request (Consent): the offer accepted, the hash of the
// offer with its agreement text, the text itself and the name typed as signature, through a link
// code whose SHA-256 alone is stored (LinkCode). Before any money moves, the acceptance is checked
// again against the request, the order and the offer as they are stored then (Consent.Check): a
// changed offer, order or agreement stops the execution.
//
// A refund goes through the order's ledger (RefundRecord): it is reserved (the order's refunded
// total grows) before the payment provider is called, only if it fits in what remains
// (Order.CheckRefund), and is sent with the idempotency key refund:<requestId>:<n>
// (RefundIdempotencyKey), so a retried step never refunds twice. Only a definite refusal by the
// provider releases the reservation. A credit (Credit) is recorded instead of money for credit
// offers. A case that needs attention leaves it only by a staff action (StaffAction): a retry
// replays the same attempt unless the provider refused it for certain (RetryAttempt), a settlement
// outside the provider is a ledger record of its own (Settlement), or a close with a message.
//
// # Records
//
// Every request has an append-only audit trail (AuditEntry): who (the client, a member of staff, a
// function of the system), what, when, and for the client's actions from where; every change of the
// request's state has exactly one entry. Feedback (Feedback) is a rating from 1 to 5 with an
// optional comment, once per request. A request's thread (ThreadMessage) holds the client's questions,
// sent from the status page in plain text (NormalizeMessage; at most QuestionsPerDay a day, beyond
// which ErrTooManyQuestions says when the client can write again), and the staff's replies; each
// message is also an audit entry, and ThreadSummary counts the questions awaiting a reply.
//
// Every request has one workflow execution, named after the request, whose input is the request's ID
// and nothing else (WorkflowInput); a completed request reopened because its refund failed later gets
// one more, named after the failed attempt (WorkflowInput.Reopened), whose only work is to park it for
// a staff action. A decision recorded while the workflow waits (a consent, a
// withdrawal, a staff decision) is recorded together with a resume marker (ResumeMarker), so it
// reaches the workflow even when telling it fails the first time; each email about a request goes
// out once per event (MailClaim).
//
// # Requests
//
// A request moves through a small state machine (see CanTransition): submitted, then rejected, in
// review, or awaiting the client's consent; then executing and completed, or declined, expired or
// withdrawn. "Needs attention" marks a case a person must look at and is not final. Rejected,
// completed, declined, withdrawn, expired, review-rejected and closed are final: no transition moves a
// request out of them. The one exception is not a transition: a completed request whose refund the
// provider reports as failed later is reopened to needs attention (CanReopen, Request.Reopen), because
// the money did not go back. A request a member of staff took for a client (StaffIntake) names its
// Channel.
package refund
