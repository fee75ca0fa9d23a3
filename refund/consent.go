package refund

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Decision is the client's answer to the offers.
type Decision string

// The decisions.
const (
	// DecisionAccept accepts one offer; the request moves to executing.
	DecisionAccept Decision = "accept"
	// DecisionDecline declines all offers; the request moves to declined (terminal).
	DecisionDecline Decision = "decline"
)

// Valid reports whether d is one of the defined decisions.
func (d Decision) Valid() bool { return d == DecisionAccept || d == DecisionDecline }

// Outcome is the word a recorded decision completes the workflow's consent wait with; the state
// machine routes on the same words (handler.OutcomeAccepted, handler.OutcomeDeclined).
func (d Decision) Outcome() string {
	if d == DecisionAccept {
		return "accepted"
	}
	return "declined"
}

// Consent is the record of the client's decision: exactly one per request, never changed.
type Consent struct {
	// RequestID is the request decided on.
	RequestID string `json:"request_id"`
	// Decision is accept or decline.
	Decision Decision `json:"decision"`
	// OfferID, OfferHash and AgreementText say exactly what was accepted: the offer, the hex SHA-256
	// of its canonical JSON with the agreement text (AgreementHash), and the text itself. Required
	// for accept; optional for decline (the offer the client was looking at).
	OfferID       string `json:"offer_id,omitempty"`
	OfferHash     string `json:"offer_hash,omitempty"`
	AgreementText string `json:"agreement_text,omitempty"`
	// TypedName is the full name the client typed as signature; required for accept.
	TypedName string `json:"typed_name,omitempty"`
	// DeclineReason is the client's reason for declining, if given.
	DeclineReason string `json:"decline_reason,omitempty"`
	// IP and UserAgent identify the client's browser.
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
	// LinkHash is the hash of the consent link code the decision came through; it is marked used.
	LinkHash string `json:"link_hash"`
	// At is when the decision was recorded; zero means now.
	At time.Time `json:"at"`
	// OrderNumber and PDFHash are set on an acceptance whose signed agreement PDF was made at consent
	// (agreementpdf, from this record with At, IP and user agent as stored): the order it names and the
	// PDF's hex SHA-256. The store then records the fingerprint (SignedAgreement) beside the consent, so
	// /verify can find it by the hash alone; the PDF itself is never stored, and neither field is in it.
	OrderNumber string `json:"order_number,omitempty"`
	PDFHash     string `json:"pdf_hash,omitempty"`
}

// SignedAgreement is what the table keeps of a signed agreement's PDF, keyed by the PDF's SHA-256:
// enough for /verify to say the document is ours and for which order, and nothing personal.
type SignedAgreement struct {
	// PDFHash is the hex SHA-256 of the PDF's bytes.
	PDFHash string `json:"pdf_hash"`
	// RequestID and OrderNumber say what the agreement is for.
	RequestID   string `json:"request_id"`
	OrderNumber string `json:"order_number"`
	// SignedAt is when the client accepted.
	SignedAt time.Time `json:"signed_at"`
}

// MaxAgreementText bounds a consent's agreement text, far above any real agreement.
const MaxAgreementText = 100_000

// Validate checks a consent before it is recorded. Mistakes a client can correct are CodeInvalid with
// a field message; a link hash that is not one is CodeNotFound, like any link that is not valid.
func (c Consent) Validate() error {
	if !c.Decision.Valid() {
		return InvalidField("decision", "Choose whether you accept an offer or decline.")
	}
	if !ValidHash(c.LinkHash) {
		return ErrLinkNotValid()
	}
	if c.Decision == DecisionAccept {
		switch {
		case c.OfferID == "":
			return InvalidField("offer_id", "Choose the offer you accept.")
		case !ValidHash(c.OfferHash):
			return InvalidField("offer_hash", "The offer you accepted could not be identified; please reload the page.")
		case c.AgreementText == "":
			return fmt.Errorf("record consent for request %s: the agreement text is required", c.RequestID)
		case utf8.RuneCountInString(c.TypedName) == 0:
			return InvalidField("typed_name", "Type your full name to sign.")
		}
	}
	if utf8.RuneCountInString(c.TypedName) > MaxNameRunes {
		return InvalidField("typed_name", fmt.Sprintf("Please shorten the name to at most %d characters.", MaxNameRunes))
	}
	if utf8.RuneCountInString(c.DeclineReason) > MaxDetailsRunes {
		return InvalidField("decline_reason", fmt.Sprintf("Please shorten your reason to at most %d characters.", MaxDetailsRunes))
	}
	if c.PDFHash != "" && (c.Decision != DecisionAccept || !ValidHash(c.PDFHash) || c.OrderNumber == "") {
		return fmt.Errorf("record consent for request %s: a PDF fingerprint needs an acceptance, a hex SHA-256 and the order number", c.RequestID)
	}
	if len(c.AgreementText) > MaxAgreementText {
		return fmt.Errorf("record consent for request %s: agreement text of %d bytes is too long", c.RequestID, len(c.AgreementText))
	}
	return nil
}

// AcceptsOffer reports whether the consent accepts an offer (and names it).
func (c Consent) AcceptsOffer() bool { return c.Decision == DecisionAccept && c.OfferID != "" }

// Check re-checks an acceptance against the request, the order and the offer as they are stored now,
// before any money moves: the decision accepts this offer, the offer is the request's own and for
// its order, in the order's currency, not negative, a refund has a captured payment to go back to,
// and the agreement hash recomputed from the offer and the order now equals the hash the client
// accepted (so the refund that is carried out is exactly the one the client read). The error says
// which check failed, for staff and logs; it holds no personal data. Whether the amount still fits
// in what remains refundable is the ledger's check (Order.CheckRefund), which knows whether this
// request already reserved it.
func (c Consent) Check(req Request, order Order, offer Offer) error {
	switch {
	case !c.AcceptsOffer():
		return errors.New("the recorded decision is not an acceptance of an offer")
	case offer.ID != c.OfferID || offer.RequestID != req.ID:
		return fmt.Errorf("offer %s does not belong to this request", offer.ID)
	case !strings.EqualFold(offer.OrderNumber, order.Number) || !strings.EqualFold(req.OrderNumber, order.Number):
		return fmt.Errorf("offer %s is for order %s, not %s", offer.ID, offer.OrderNumber, order.Number)
	case offer.Amount.Currency != order.Currency:
		return fmt.Errorf("offer %s is in %s but the order is in %s", offer.ID, offer.Amount.Currency, order.Currency)
	case offer.Amount.Amount < 0:
		return fmt.Errorf("offer %s has a negative amount", offer.ID)
	case offer.IsRefund() && (!order.Payment.Captured || order.Payment.Reference == ""):
		return fmt.Errorf("order %s has no captured payment to refund to", order.Number)
	}
	if got := AgreementHash(offer, Agreement(order, req, offer)); got != c.OfferHash {
		return fmt.Errorf("the agreement for offer %s changed after the client accepted it (hash %.12s…, accepted %.12s…)", offer.ID, got, c.OfferHash)
	}
	return nil
}

// ErrAlreadyDecided is the answer to every second decision on a request (a double submit, or a
// second link after the reminder). It is built fresh each time because callers may annotate it.
func ErrAlreadyDecided() error {
	return Errorf(CodeConflict, "Your decision on this request has already been recorded.")
}
