package refund

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on what the form accepts. They are part of the contract with the web form, which shows them.
const (
	// MaxOrderNumberLen is the longest accepted order number.
	MaxOrderNumberLen = 40
	// MaxDetailsRunes is the longest accepted free-text explanation, in characters (runes).
	MaxDetailsRunes = 2000
	// MaxNameRunes is the longest accepted name.
	MaxNameRunes = 200
	// MaxEmailLen is the longest accepted email address (the SMTP path limit).
	MaxEmailLen = 254
)

// DateLayout is the layout of every calendar date in the JSON schema and the form: "2006-01-02".
// Dates are days, compared in UTC.
const DateLayout = "2006-01-02"

// RequestKind says what the client asks for.
type RequestKind string

// The request kinds.
const (
	// KindCancellation: stop the service (a refund may follow from the policy).
	KindCancellation RequestKind = "cancellation"
	// KindRefund: get money back for the service.
	KindRefund RequestKind = "refund"
)

// RequestKinds returns the kinds the form offers, in display order.
func RequestKinds() []RequestKind { return []RequestKind{KindCancellation, KindRefund} }

// Valid reports whether k is one of the defined kinds.
func (k RequestKind) Valid() bool { return k == KindCancellation || k == KindRefund }

// Label returns the kind as the form shows it.
func (k RequestKind) Label() string {
	switch k {
	case KindCancellation:
		return "Cancel a service"
	case KindRefund:
		return "Ask for a refund"
	}
	return string(k)
}

// Reason is the client's reason for the request, chosen from a fixed list.
type Reason string

// The reasons, as the form offers them.
const (
	ReasonChangedMind        Reason = "changed_mind"
	ReasonNoLongerNeeded     Reason = "no_longer_needed"
	ReasonTooExpensive       Reason = "too_expensive"
	ReasonQuality            Reason = "quality"
	ReasonNotAsDescribed     Reason = "not_as_described"
	ReasonServiceNotProvided Reason = "service_not_provided"
	ReasonDuplicateOrder     Reason = "duplicate_order"
	ReasonOther              Reason = "other"
)

// Reasons returns every reason in the order the form lists them.
func Reasons() []Reason {
	return []Reason{
		ReasonChangedMind, ReasonNoLongerNeeded, ReasonTooExpensive, ReasonQuality, ReasonNotAsDescribed,
		ReasonServiceNotProvided, ReasonDuplicateOrder, ReasonOther,
	}
}

// Valid reports whether r is one of the listed reasons.
func (r Reason) Valid() bool {
	for _, v := range Reasons() {
		if v == r {
			return true
		}
	}
	return false
}

// Label returns the reason as people read it on the form and in emails.
func (r Reason) Label() string {
	switch r {
	case ReasonChangedMind:
		return "I changed my mind"
	case ReasonNoLongerNeeded:
		return "I no longer need the service"
	case ReasonTooExpensive:
		return "It is too expensive"
	case ReasonQuality:
		return "I am not satisfied with the quality"
	case ReasonNotAsDescribed:
		return "The service is not as described"
	case ReasonServiceNotProvided:
		return "The service was not provided"
	case ReasonDuplicateOrder:
		return "I ordered the same thing twice"
	case ReasonOther:
		return "Another reason"
	}
	return string(r)
}

// Submission is what the web form (or a JSON POST) sends. Fields are raw user input until Normalize
// and Validate have run.
type Submission struct {
	OrderNumber  string `json:"order_number"`
	PurchaseDate string `json:"purchase_date"`
	Email        string `json:"email"`
	Kind         string `json:"kind"`
	Reason       string `json:"reason"`
	Details      string `json:"details"`
	Name         string `json:"name"`
	// EmailLookup is the keyed hash of Email (EmailLookup) that staff find the request by; set by the
	// server, never taken from the client.
	EmailLookup string `json:"email_lookup,omitempty"`
}

// Normalize returns the submission as the rest of the system stores it: every field trimmed, the email,
// kind and reason lower-cased, the order number upper-cased (order numbers are compared without regard
// to case), and line breaks in the details turned into "\n" (browsers send "\r\n" from text areas).
// Normalize does not validate; invalid UTF-8 stays invalid so that Validate can reject it.
func (s Submission) Normalize() Submission {
	s.OrderNumber = strings.ToUpper(strings.TrimSpace(s.OrderNumber))
	s.PurchaseDate = strings.TrimSpace(s.PurchaseDate)
	s.Email = strings.ToLower(strings.TrimSpace(s.Email))
	s.Kind = strings.ToLower(strings.TrimSpace(s.Kind))
	s.Reason = strings.ToLower(strings.TrimSpace(s.Reason))
	s.Details = strings.ReplaceAll(s.Details, "\r\n", "\n")
	s.Details = strings.ReplaceAll(s.Details, "\r", "\n")
	s.Details = strings.TrimSpace(s.Details)
	s.Name = strings.TrimSpace(s.Name)
	return s
}

// Validate normalises the submission and checks the shape of every field, returning one message per
// invalid field (nil when everything is fine). It checks format only: whether the purchase date is in
// the future or matches an order is decided by Verify, which knows the clock and the order.
func (s Submission) Validate() FieldErrors {
	s = s.Normalize()
	errs := FieldErrors{}

	switch {
	case !utf8.ValidString(s.OrderNumber):
		errs["order_number"] = msgUnreadable
	case s.OrderNumber == "":
		errs["order_number"] = "Enter the order number from your order confirmation."
	case !ValidOrderNumber(s.OrderNumber):
		errs["order_number"] = "An order number has only letters, digits and dashes (-), at most 40 characters. Please copy it from your order confirmation."
	}

	switch {
	case !utf8.ValidString(s.PurchaseDate):
		errs["purchase_date"] = msgUnreadable
	case s.PurchaseDate == "":
		errs["purchase_date"] = "Enter the purchase date shown on your order confirmation."
	default:
		if _, err := ParseDate(s.PurchaseDate); err != nil {
			errs["purchase_date"] = "Enter the purchase date as year-month-day, for example 2025-03-01."
		}
	}

	switch {
	case !utf8.ValidString(s.Email):
		errs["email"] = msgUnreadable
	case s.Email == "":
		errs["email"] = "Enter the email address you used for the order."
	case !ValidEmail(s.Email):
		errs["email"] = "Enter a complete email address, like name@example.com."
	}

	if !RequestKind(s.Kind).Valid() {
		errs["kind"] = "Choose whether you want to cancel a service or ask for a refund."
	}
	if !Reason(s.Reason).Valid() {
		errs["reason"] = "Choose the reason that fits best from the list."
	}

	switch {
	case !utf8.ValidString(s.Details):
		errs["details"] = msgUnreadable
	case utf8.RuneCountInString(s.Details) > MaxDetailsRunes:
		errs["details"] = "Please shorten your explanation to at most 2000 characters."
	case hasControl(s.Details, true):
		errs["details"] = msgControl
	case s.Details == "" && Reason(s.Reason) == ReasonOther:
		errs["details"] = "Please tell us in a few words what your reason is."
	}

	switch {
	case !utf8.ValidString(s.Name):
		errs["name"] = msgUnreadable
	case utf8.RuneCountInString(s.Name) > MaxNameRunes:
		errs["name"] = "Please shorten the name to at most 200 characters."
	case hasControl(s.Name, false):
		errs["name"] = msgControl
	}

	if len(errs) == 0 {
		return nil
	}
	return errs
}

const (
	msgUnreadable = "This field contains characters we cannot read. Please type it again."
	msgControl    = "This field contains invisible control characters. Please type it again instead of pasting it."
)

// ValidOrderNumber reports whether s looks like an order number: 1 to 40 ASCII letters, digits and
// dashes.
func ValidOrderNumber(s string) bool {
	if s == "" || len(s) > MaxOrderNumberLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ValidEmail is a deliberately simple shape check for an email address: one "@", a non-empty local part
// of at most 64 bytes, a domain of dot-separated labels (letters, digits, dashes, at least two labels,
// none empty or starting/ending with a dash), no spaces or control characters, at most 254 bytes. Mail
// delivery is the real test; this only catches typing mistakes.
func ValidEmail(s string) bool {
	if len(s) > MaxEmailLen || !utf8.ValidString(s) || hasControl(s, false) {
		return false
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || len(local) > 64 || strings.Contains(domain, "@") {
		return false
	}
	for _, r := range local {
		if r <= ' ' || r == 0x7f || unicode.IsControl(r) || unicode.IsSpace(r) || strings.ContainsRune(`"(),:;<>[\]`, r) {
			return false
		}
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return false
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			// Internationalised domain names are allowed as Unicode letters; punycode is plain ASCII.
			if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-') {
				return false
			}
		}
	}
	return true
}

// hasControl reports whether s contains a control character: C0/C1 controls, the Unicode line and
// paragraph separators, and the bidirectional embedding, override and isolate controls (which can make
// text shown to staff read differently from what it is). With text set, newline and tab are allowed
// because a free-text field legitimately has them.
func hasControl(s string, text bool) bool {
	for _, r := range s {
		if text && (r == '\n' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' {
			return true
		}
	}
	return false
}

// ParseDate parses a "2006-01-02" calendar date as midnight UTC. It rejects every other layout and
// impossible dates such as 2025-02-30.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, err
	}
	return t, nil
}

// Day returns the UTC calendar day of t as midnight UTC, so that date comparisons ignore the time of day
// and the caller's time zone.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// DaysBetween returns the number of whole calendar days from a to b (negative if b is before a), both
// taken as UTC days.
func DaysBetween(a, b time.Time) int {
	// Unix seconds rather than time.Duration: a Duration overflows after 292 years, dates do not.
	return int((Day(b).Unix() - Day(a).Unix()) / 86400)
}

// AddMonths returns the UTC day months calendar months after t's, on the same day of the month, or
// on the target month's last day when it is shorter: a month after 31 January is 28 February (29 in
// a leap year), not 3 March as time.AddDate gives. Credits' and pauses' end dates use it.
func AddMonths(t time.Time, months int) time.Time {
	y, m, d := t.UTC().Date()
	first := time.Date(y, m+time.Month(months), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), 0, 0, 0, 0, time.UTC)
}

// ClientDayTolerance is how many days a date the client enters may be after today's UTC date: the
// client types the day of their own calendar, which is up to 14 hours ahead of UTC (UTC+14), so it
// can be tomorrow in UTC. Such a date counts as today.
const ClientDayTolerance = 1

// FormatDate formats t's UTC day as "2006-01-02".
func FormatDate(t time.Time) string { return t.UTC().Format(DateLayout) }
