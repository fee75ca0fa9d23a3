package web

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"refundflow/refund"
)

// choiceSep separates the offer id from the hash in a consent radio button's value. Hashes are hex,
// so the last separator always ends the id.
const choiceSep = "|"

// SubmissionFromForm reads the request form's fields into a refund.Submission (raw, as typed; call
// Validate or refund.NewRequest next).
func SubmissionFromForm(v url.Values) refund.Submission {
	return refund.Submission{
		OrderNumber:  v.Get("order_number"),
		PurchaseDate: v.Get("purchase_date"),
		Email:        v.Get("email"),
		Kind:         v.Get("kind"),
		Reason:       v.Get("reason"),
		Details:      v.Get("details"),
		Name:         v.Get("name"),
	}
}

// The consent decisions the consent page's two forms post.
const (
	DecisionAccept  = "accept"
	DecisionDecline = "decline"
)

// ConsentForm is a consent decision, as the consent page posts it (ParseConsentForm) or as a JSON
// client sends it (the handler fills the same fields, then calls Normalize and Check).
type ConsentForm struct {
	// Decision is DecisionAccept or DecisionDecline.
	Decision string
	// OfferID and OfferHash name the chosen offer and the hash shown with it (accept only).
	OfferID   string
	OfferHash string
	// FullName is the typed signature, trimmed (accept only).
	FullName string
	// Agreed is the "I agree" box (accept only).
	Agreed bool
	// DeclineReason is the optional reason, with line breaks as "\n" (decline only).
	DeclineReason string
}

// ParseConsentForm reads and checks a consent POST of the consent page (see Check). The field
// errors, keyed like the page's fields, are ready for ConsentPage.Errors.
func ParseConsentForm(v url.Values) (ConsentForm, refund.FieldErrors) {
	f := ConsentForm{
		Decision:      v.Get("decision"),
		FullName:      v.Get("full_name"),
		Agreed:        v.Get("agree") == "yes",
		DeclineReason: v.Get("decline_reason"),
	}
	if f.Decision == DecisionAccept {
		choice := v.Get("offer")
		if i := strings.LastIndex(choice, choiceSep); i > 0 {
			f.OfferID, f.OfferHash = choice[:i], choice[i+len(choiceSep):]
		}
	}
	f = f.Normalize()
	errs := f.Check()
	if _, ok := errs["offer"]; ok {
		f.OfferID, f.OfferHash = "", ""
	}
	return f, errs
}

// Normalize trims the typed name and the reason, and turns the reason's "\r\n" into "\n".
func (f ConsentForm) Normalize() ConsentForm {
	f.FullName = strings.TrimSpace(f.FullName)
	f.DeclineReason = normalizeText(f.DeclineReason)
	return f
}

// Check returns what is wrong with a normalised decision, keyed like the consent page's fields
// (decision, offer, full_name, agree, decline_reason), or nil. An accept needs a chosen offer with
// its hash, a typed full name and the agree box; a decline needs nothing but may carry a reason.
// Whether the offer and hash belong to the request is for the handler to check.
func (f ConsentForm) Check() refund.FieldErrors {
	errs := refund.FieldErrors{}
	switch f.Decision {
	case DecisionAccept:
		if f.OfferID == "" || !refund.ValidHash(f.OfferHash) {
			errs["offer"] = "Choose one of the options."
		}
		switch {
		case f.FullName == "":
			errs["full_name"] = "Type your full name: it is your signature."
		case !utf8.ValidString(f.FullName) || hasControl(f.FullName, false):
			errs["full_name"] = "Your name contains characters we cannot read. Please type it again."
		case utf8.RuneCountInString(f.FullName) > refund.MaxNameRunes:
			errs["full_name"] = "Please shorten your name to at most " + strconv.Itoa(refund.MaxNameRunes) + " characters."
		}
		if !f.Agreed {
			errs["agree"] = "Tick the box to confirm that you agree to the agreement text."
		}
	case DecisionDecline:
		switch {
		case !utf8.ValidString(f.DeclineReason) || hasControl(f.DeclineReason, true):
			errs["decline_reason"] = "Your reason contains characters we cannot read. Please type it again."
		case utf8.RuneCountInString(f.DeclineReason) > refund.MaxDetailsRunes:
			errs["decline_reason"] = "Please shorten your reason to at most " + strconv.Itoa(refund.MaxDetailsRunes) + " characters."
		}
	default:
		errs["decision"] = "Choose whether you accept an option or decline."
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// FeedbackForm is a feedback answer, as the feedback page posts it (ParseFeedbackForm) or as a JSON
// client sends it.
type FeedbackForm struct {
	// Rating is 1 (very poor) to 5 (very good).
	Rating int
	// Comment is optional, with line breaks as "\n".
	Comment string
}

// ParseFeedbackForm reads and checks a feedback POST of the feedback page (see Check).
func ParseFeedbackForm(v url.Values) (FeedbackForm, refund.FieldErrors) {
	f := FeedbackForm{Comment: v.Get("comment")}
	if r, err := strconv.Atoi(v.Get("rating")); err == nil && len(v.Get("rating")) == 1 {
		f.Rating = r
	}
	f = f.Normalize()
	errs := f.Check()
	if _, ok := errs["rating"]; ok {
		f.Rating = 0
	}
	return f, errs
}

// Normalize trims the comment and turns its "\r\n" into "\n".
func (f FeedbackForm) Normalize() FeedbackForm {
	f.Comment = normalizeText(f.Comment)
	return f
}

// Check returns what is wrong with a normalised answer, keyed rating and comment, or nil: a rating
// from 1 to 5 is required, the comment is optional and at most refund.MaxDetailsRunes characters.
func (f FeedbackForm) Check() refund.FieldErrors {
	errs := refund.FieldErrors{}
	if f.Rating < 1 || f.Rating > 5 {
		errs["rating"] = "Choose a rating from 1 to 5."
	}
	switch {
	case !utf8.ValidString(f.Comment) || hasControl(f.Comment, true):
		errs["comment"] = "Your comment contains characters we cannot read. Please type it again."
	case utf8.RuneCountInString(f.Comment) > refund.MaxDetailsRunes:
		errs["comment"] = "Please shorten your comment to at most " + strconv.Itoa(refund.MaxDetailsRunes) + " characters."
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// normalizeText trims free text and turns the "\r\n" browsers send into "\n".
func normalizeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimSpace(s)
}

// hasControl reports whether s has a control character (newline and tab allowed in text).
func hasControl(s string, text bool) bool {
	for _, r := range s {
		if text && (r == '\n' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return true
		}
	}
	return false
}
