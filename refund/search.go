package refund

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SearchKind says what a staff search text is.
type SearchKind string

// The kinds of search text staff type into the console's one search box.
const (
	// SearchRequest is a request ID ("req-...").
	SearchRequest SearchKind = "request"
	// SearchOrder is an order number.
	SearchOrder SearchKind = "order"
	// SearchEmail is a client's email address, matched exactly without regard to case through its
	// keyed hash (EmailLookup), never in clear.
	SearchEmail SearchKind = "email"
	// SearchRefund is a refund reference: the provider idempotency key "refund:<requestId>:<n>".
	SearchRefund SearchKind = "refund"
	// SearchProviderRefund is the payment provider's refund id ("re_..."), which the outcome email
	// calls the refund reference. The table keeps no item keyed by it (that would cost a write on
	// every refund): the caller asks the provider which request the refund was made for (its
	// metadata request_id) and then reads that request. The value keeps its case: provider ids are
	// case-sensitive.
	SearchProviderRefund SearchKind = "provider_refund"
)

// MaxSearchRunes bounds a search text.
const MaxSearchRunes = 200

// Search is a parsed search: its kind and the value to look up (the request ID of a refund
// reference; the normalised email, which the caller replaces by its keyed hash before storage sees
// it).
type Search struct {
	Kind  SearchKind
	Value string
}

// ParseSearch reads a staff search text: an email (it contains "@"), a provider refund id ("re_..."),
// a refund reference ("refund:<requestId>:<n>"), a request ID ("req-..."), or else an order number. A text that is empty,
// longer than MaxSearchRunes, not UTF-8, with control characters, or none of these is CodeInvalid
// with a message for the member of staff.
func ParseSearch(q string) (Search, error) {
	q = strings.TrimSpace(q)
	switch {
	case q == "":
		return Search{}, InvalidField("q", "Type an order number, a client's email, a request ID or a refund reference.")
	case !utf8.ValidString(q) || utf8.RuneCountInString(q) > MaxSearchRunes:
		return Search{}, InvalidField("q", fmt.Sprintf("The search text must be readable text of at most %d characters.", MaxSearchRunes))
	case strings.ContainsFunc(q, unicode.IsControl):
		return Search{}, InvalidField("q", "The search text contains control characters; type it again.")
	case strings.Contains(q, "@"):
		return Search{Kind: SearchEmail, Value: strings.ToLower(q)}, nil
	}
	if strings.HasPrefix(q, "re_") {
		// An order number has no underscore, so "re_" can only be a provider refund id.
		if !validProviderRefundID(q) {
			return Search{}, InvalidField("q", "A payment provider's refund reference reads re_ and letters, digits or underscores.")
		}
		return Search{Kind: SearchProviderRefund, Value: q}, nil
	}
	lower := strings.ToLower(q)
	if rest, ok := strings.CutPrefix(lower, "refund:"); ok {
		i := strings.LastIndexByte(rest, ':')
		if n, err := strconv.Atoi(rest[i+1:]); i > 0 && err == nil && n >= 0 && validRequestID(rest[:i]) {
			return Search{Kind: SearchRefund, Value: rest[:i]}, nil
		}
		return Search{}, InvalidField("q", "A refund reference reads refund:<request ID>:<number>.")
	}
	if strings.HasPrefix(lower, "req-") && validRequestID(lower) {
		return Search{Kind: SearchRequest, Value: lower}, nil
	}
	if ValidOrderNumber(q) {
		return Search{Kind: SearchOrder, Value: strings.ToUpper(q)}, nil
	}
	return Search{}, InvalidField("q", "Type an order number, a client's email, a request ID or a refund reference.")
}

// validProviderRefundID reports whether s looks like a provider refund id: "re_" and ASCII letters,
// digits and underscores, at most 255 bytes, so it is safe in the provider's URL path.
func validProviderRefundID(s string) bool {
	if len(s) <= len("re_") || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// validRequestID reports whether s looks like a request ID: "req-" and letters, digits and dashes.
func validRequestID(s string) bool {
	return strings.HasPrefix(s, "req-") && len(s) <= 80 && ValidOrderNumber(s)
}

// EmailLookup returns the keyed hash under which a request is found by its client's email: hex
// HMAC-SHA256 with key of the email trimmed and lower-cased. Only the hash is stored in a key, so the
// table's keys and the index hold no email in clear, and without the key (a secret, not in the
// table) nobody can test guesses against them. An empty key or email gives "".
func EmailLookup(key []byte, email string) string {
	email = strings.ToLower(strings.TrimSpace(email))
	if len(key) == 0 || email == "" {
		return ""
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("refundflow email lookup v1\x00" + email))
	return hex.EncodeToString(m.Sum(nil))
}
