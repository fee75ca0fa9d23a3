package web

import (
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"refundflow/refund"
)

// FuzzParseConsentForm posts arbitrary consent forms. It must never panic; an accepted acceptance has
// an offer id, a 64-hex-digit hash, a readable signature of at most refund.MaxNameRunes characters
// and the agree box; an accepted decline has a readable reason of bounded length.
func FuzzParseConsentForm(f *testing.F) {
	hash := strings.Repeat("ab", 32)
	f.Add("decision=accept&offer=req-1-full_refund%7C"+hash+"&full_name=Ada+Lovelace&agree=yes", "")
	f.Add("decision=decline&decline_reason=Too+late%0D%0Athanks", "")
	f.Add("decision=accept&offer=%7C"+hash+"&full_name=%20%20&agree=on", "")
	f.Add("decision=accept&offer=a%7Cb%7C"+hash+"&full_name=%FF&agree=yes", "")
	f.Add("decision=DECLINE&decline_reason=%E2%80%AE", "")
	f.Add("", "decision=accept&full_name=\u202eevil")
	f.Fuzz(func(t *testing.T, body, extra string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			v = url.Values{}
		}
		if e, err := url.ParseQuery(extra); err == nil {
			for k, vs := range e {
				v[k] = append(v[k], vs...)
			}
		}
		form, errs := ParseConsentForm(v)
		for field, msg := range errs {
			if msg == "" || !utf8.ValidString(msg) {
				t.Fatalf("no readable message for %s", field)
			}
		}
		if errs != nil {
			return
		}
		switch form.Decision {
		case DecisionAccept:
			if form.OfferID == "" || !refund.ValidHash(form.OfferHash) || !form.Agreed || form.FullName == "" ||
				!utf8.ValidString(form.FullName) || utf8.RuneCountInString(form.FullName) > refund.MaxNameRunes || hasControl(form.FullName, false) {
				t.Fatalf("accepted a bad acceptance: %+v", form)
			}
		case DecisionDecline:
			if !utf8.ValidString(form.DeclineReason) || utf8.RuneCountInString(form.DeclineReason) > refund.MaxDetailsRunes {
				t.Fatalf("accepted a bad decline: %+v", form)
			}
		default:
			t.Fatalf("accepted decision %q", form.Decision)
		}
	})
}

// FuzzParseFeedbackForm posts arbitrary feedback forms: an accepted one has a rating from 1 to 5 and
// a readable comment of bounded length.
func FuzzParseFeedbackForm(f *testing.F) {
	f.Add("rating=5&comment=Quick+and+clear.%0D%0AThanks")
	f.Add("rating=05&comment=")
	f.Add("rating=+5")
	f.Add("rating=6")
	f.Add("rating=-1&rating=3")
	f.Add("rating=3&comment=%00")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form, errs := ParseFeedbackForm(v)
		if errs != nil {
			return
		}
		if form.Rating < 1 || form.Rating > 5 || !utf8.ValidString(form.Comment) || utf8.RuneCountInString(form.Comment) > refund.MaxDetailsRunes || strings.Contains(form.Comment, "\r") {
			t.Fatalf("accepted %+v", form)
		}
	})
}

// FuzzSubmissionFromForm reads arbitrary request forms into submissions and validates them, as POST
// /requests does: nothing may panic, and what validates becomes a request.
func FuzzSubmissionFromForm(f *testing.F) {
	f.Add("order_number=RF-1001&purchase_date=2025-03-01&email=ada%40example.com&kind=refund&reason=changed_mind&details=x&name=Ada")
	f.Add("order_number=%3Cscript%3E&purchase_date=2025-02-30&email=%40&kind=&reason=other")
	f.Add("order_number=RF-1001&order_number=RF-1002&kind=refund&kind=cancellation")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		sub := SubmissionFromForm(v)
		if errs := sub.Validate(); errs == nil {
			if _, err := refund.NewRequest("req-fuzz", sub, time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)); err != nil {
				t.Fatalf("a valid submission did not become a request: %v", err)
			}
		}
	})
}
