package web

import "refundflow/refund"

// Heading names the request by what the client knows: "Refund request for order RF-1001". The
// request ID is only a reference, shown small.
func (p StatusPage) Heading() string {
	what := "Request"
	switch p.Request.Kind {
	case refund.KindRefund:
		what = "Refund request"
	case refund.KindCancellation:
		what = "Cancellation request"
	}
	return what + " for order " + p.Request.OrderNumber
}

// ShowFindings reports whether the page lists the checks. After a staff review found nothing to offer,
// every check may have passed: listing them as passed above a refusal would contradict it, so the
// staff's explanation stands alone.
func (p StatusPage) ShowFindings() bool {
	return len(p.Findings) > 0 && p.Request.Status != refund.StatusReviewRejected
}

// StaffExplanation is the staff's message to the client after a review found no offer possible
// (the same words the email gives); "" otherwise.
func (p StatusPage) StaffExplanation() string {
	if p.Request.Status != refund.StatusReviewRejected {
		return ""
	}
	if p.StaffMessage != "" {
		return p.StaffMessage
	}
	return "After reviewing your request and your order, we cannot offer a refund or an alternative under our refund policy."
}

// Next says what happens next and by when, for the request's status.
func (p StatusPage) Next() string {
	switch p.Request.Status {
	case refund.StatusSubmitted:
		return "We are checking your request against your order and our refund policy. This usually takes a minute; we then email you your options."
	case refund.StatusInReview:
		return "A person on our team is looking at your request. We email you as soon as they have decided, usually within two business days."
	case refund.StatusAwaitingConsent:
		s := "Choose one of the options below, or decline them, on the page the link in our email opens."
		if !p.AnswerBy.IsZero() {
			s += " You can answer until " + formatTime(p.AnswerBy) + "; after that the offers expire and nothing is changed."
		}
		return s
	case refund.StatusExecuting:
		if p.Outcome != nil && p.Outcome.Offer.IsRefund() && p.RefundTiming != "" {
			return "We are carrying out what you accepted. We email you when it is done; the money then reaches your card " + p.RefundTiming + "."
		}
		return "We are carrying out what you accepted. We email you when it is done."
	case refund.StatusCompleted:
		if p.Outcome != nil && p.Outcome.Offer.IsRefund() && p.RefundTiming != "" {
			return "Nothing more is needed from you. The money reaches your card " + p.RefundTiming + " after the refund date."
		}
		return "Nothing more is needed from you."
	case refund.StatusNeedsAttention:
		return "Something needs a closer look, and a person on our team is on it. We email you as soon as it is sorted out; nothing is needed from you."
	case refund.StatusRejected, refund.StatusReviewRejected, refund.StatusDeclined, refund.StatusWithdrawn, refund.StatusExpired:
		return "This request is closed and nothing more will happen with it. You are welcome to send a new request."
	}
	return ""
}

// OfferSummary is one offer as the status page lists it while the client's answer is awaited.
type OfferSummary struct {
	Label  string
	Amount string
	Terms  string
}

// OfferList returns the offers awaiting the client's answer, summarised.
func (p StatusPage) OfferList() []OfferSummary {
	var out []OfferSummary
	for _, o := range p.Offers {
		s := OfferSummary{Label: o.Kind.Label(), Terms: o.Terms}
		if !o.Amount.IsZero() {
			s.Amount = o.Amount.String()
		}
		out = append(out, s)
	}
	return out
}
