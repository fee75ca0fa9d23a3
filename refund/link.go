package refund

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// LinkPurpose says what a link code opens. A code only works for its own purpose.
type LinkPurpose string

// The link purposes.
const (
	// LinkStatus opens the request's status page (and allows withdrawing).
	LinkStatus LinkPurpose = "status"
	// LinkConsent opens the offers and records the client's decision.
	LinkConsent LinkPurpose = "consent"
	// LinkFeedback opens the feedback form.
	LinkFeedback LinkPurpose = "feedback"
)

// Valid reports whether p is one of the defined purposes.
func (p LinkPurpose) Valid() bool { return p == LinkStatus || p == LinkConsent || p == LinkFeedback }

// LinkGrace is how long an expired link code is kept before it may be deleted, so that an old link
// shows "this link has expired" (410) for a while instead of "unknown link" (404).
const LinkGrace = 30 * 24 * time.Hour

// LinkCode is the stored side of a link sent by email. The code itself (>= 128 random bits) is only in
// the email; the table holds its SHA-256.
type LinkCode struct {
	// Hash is the lower-case hex SHA-256 of the code (HashCode).
	Hash string `json:"hash"`
	// RequestID is the request the link belongs to.
	RequestID string `json:"request_id"`
	// Purpose says what the link opens.
	Purpose LinkPurpose `json:"purpose"`
	// CreatedAt is set by the store when zero.
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is when the link stops working; zero means never.
	ExpiresAt time.Time `json:"expires_at"`
	// UsedAt is when the link recorded a decision (consent links); zero means unused.
	UsedAt time.Time `json:"used_at"`
}

// Expired reports whether the link has expired at time now.
func (l LinkCode) Expired(now time.Time) bool {
	return !l.ExpiresAt.IsZero() && !now.Before(l.ExpiresAt)
}

// HashCode returns the lower-case hex SHA-256 of a link code, the form the table stores and looks up.
func HashCode(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// ValidHash reports whether h looks like a lower-case hex SHA-256 (HashCode's, AgreementHash's).
func ValidHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// ErrLinkNotValid is the answer to every link that is not a live link of its purpose: unknown,
// malformed or of another purpose alike, so a link reveals nothing about the codes that exist. It is
// built fresh each time because callers may annotate the error they get.
func ErrLinkNotValid() error {
	return Errorf(CodeNotFound, "This link is not valid. Please use the link from your most recent email.")
}
