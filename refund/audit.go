package refund

import (
	"time"
	"unicode/utf8"
)

// AuditEntry is one line of a request's append-only audit trail: who did what, when, and from where.
// It never holds link codes, task tokens or other secrets.
type AuditEntry struct {
	// RequestID is the request the entry belongs to. Writes that take an entry alongside a request
	// fill it in.
	RequestID string `json:"request_id"`
	// At is when it happened; zero means "now" (the store's clock).
	At time.Time `json:"at"`
	// Actor is ActorClient, StaffActor(sub) or SystemActor(function).
	Actor string `json:"actor"`
	// Action names what happened, e.g. "submitted", "status_changed", "viewed", "consent_accepted".
	// Writes that record an entry with a change fill in a default when it is empty.
	Action string `json:"action"`
	// From and To are the status change the entry records, if any. A transition fills them in.
	From Status `json:"from,omitempty"`
	To   Status `json:"to,omitempty"`
	// IP and UserAgent identify the client for client actions.
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
	// Detail is a short free text for people (an error name, a staff note).
	Detail string `json:"detail,omitempty"`
	// Version is the request version the entry's change produced (the entry of every write that
	// moves the version has it, so each version has exactly one entry); 0 for entries that record
	// no change of the request, such as a link viewed. The store sets it.
	Version int64 `json:"version,omitempty"`
}

// ActorClient is the actor of what the client does, through a link or the form.
const ActorClient = "client"

// StaffActor names a member of staff by their identity provider subject.
func StaffActor(sub string) string { return "staff:" + sub }

// SystemActor names a function of the system, e.g. SystemActor("VerifyConditions").
func SystemActor(function string) string { return "system:" + function }

// Bounds on audit fields. Values beyond them are cut, not refused: the audit trail must never make an
// action fail because a browser sent a long user agent.
const (
	// MaxAuditIP bounds AuditEntry.IP (and Consent.IP), in bytes.
	MaxAuditIP = 64
	// MaxAuditUserAgent bounds AuditEntry.UserAgent (and Consent.UserAgent), in bytes.
	MaxAuditUserAgent = 512
	// MaxAuditShort bounds AuditEntry.Actor and AuditEntry.Action, in bytes.
	MaxAuditShort = 200
	// MaxAuditDetail bounds AuditEntry.Detail (and a refund's failure reason), in bytes.
	MaxAuditDetail = 4000
)

// Bounded returns the entry with every text field cut to its bound (never inside a UTF-8 sequence).
func (e AuditEntry) Bounded() AuditEntry {
	e.Actor = Truncate(e.Actor, MaxAuditShort)
	e.Action = Truncate(e.Action, MaxAuditShort)
	e.IP = Truncate(e.IP, MaxAuditIP)
	e.UserAgent = Truncate(e.UserAgent, MaxAuditUserAgent)
	e.Detail = Truncate(e.Detail, MaxAuditDetail)
	return e
}

// Truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
