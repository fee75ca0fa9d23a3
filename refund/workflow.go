package refund

import (
	"fmt"
	"time"
)

// The workflow. Every request has one workflow execution, named after the request, so a form sent
// twice cannot start a second one (a completed request reopened because its refund failed later gets
// one more, WorkflowInput.Reopened, after the first ended). Its input is the request's ID and nothing else: no personal data
// reaches the workflow engine or its history. The workflow parks on a task token while it waits for
// a staff review or the client's consent; a decision recorded for a parked request (a consent, a
// withdrawal, a staff decision) is recorded together with a resume marker, so that it reaches the
// workflow even when telling it fails the first time.

// WorkflowInput is the input of a request's workflow execution.
type WorkflowInput struct {
	// RequestID is the request the execution is about.
	RequestID string `json:"requestId"`
	// Reopened is, for the execution of a completed request reopened because its refund attempt
	// failed later at the provider, that attempt's number; 0 for the request's first execution. The
	// request's first execution has ended by then, and the new one only parks it for a staff action.
	Reopened int `json:"reopened,omitempty"`
}

// ExecutionName is the name of the request's execution: the request ID, so that starting it again
// finds the one that exists; for a reopened request <requestId>-reopened-<n>, so that a repeated
// provider event finds the one it started (a request is reopened at most once per refund attempt).
func (in WorkflowInput) ExecutionName() string {
	if in.Reopened > 0 {
		return fmt.Sprintf("%s-reopened-%d", in.RequestID, in.Reopened)
	}
	return in.RequestID
}

// ResumeMarker is a recorded decision that still has to reach the request's parked workflow wait.
type ResumeMarker struct {
	// RequestID is the request the decision is about.
	RequestID string `json:"request_id"`
	// Outcome is what the parked wait is completed with, e.g. "accepted" (Decision.Outcome).
	Outcome string `json:"outcome"`
	// RecordedAt is when the decision was recorded.
	RecordedAt time.Time `json:"recorded_at"`
}

// MaxOutcome bounds a resume marker's outcome word.
const MaxOutcome = 64

// ValidOutcome checks an outcome word before it is recorded: 1 to MaxOutcome lower-case letters and
// underscores, like every outcome the workflow routes on.
func ValidOutcome(outcome string) error {
	bad := outcome == "" || len(outcome) > MaxOutcome
	for _, r := range outcome {
		bad = bad || !(r >= 'a' && r <= 'z' || r == '_')
	}
	if bad {
		return fmt.Errorf("resume marker: outcome %q is not valid", Truncate(outcome, MaxOutcome))
	}
	return nil
}

// MailClaim is the answer to claiming the one sending of an email (a request's email for one event):
// each email goes out once per request and event, even when two runs of a workflow step send it at
// the same instant.
type MailClaim int

const (
	// MailClaimed: this run holds the claim and sends the email, then marks it sent (or releases the
	// claim when sending failed).
	MailClaimed MailClaim = iota + 1
	// MailAlreadySent: the email went out already; nothing to do.
	MailAlreadySent
	// MailInProgress: another run holds an unexpired claim and is sending it now.
	MailInProgress
)

// String names the answer for logs and test failures.
func (c MailClaim) String() string {
	switch c {
	case MailClaimed:
		return "claimed"
	case MailAlreadySent:
		return "already sent"
	case MailInProgress:
		return "in progress"
	}
	return fmt.Sprintf("MailClaim(%d)", int(c))
}

// SentEmail is one email that went out about a request, as the case's timeline shows it to staff:
// its kind and subject, never its recipient (the subjects name the order and the request, no person).
type SentEmail struct {
	// Kind is the email's kind ("received", "offers", "staff_review", ...).
	Kind string `json:"kind"`
	// Subject is the subject line as it was sent.
	Subject string `json:"subject"`
	// SentAt is when it went out.
	SentAt time.Time `json:"sent_at"`
}

// IdempotencyTTL is how long the first answer to a submission sent with an Idempotency-Key answers
// its retries.
const IdempotencyTTL = 24 * time.Hour

// IdempotencyRecord is the first answer given to a submission that carried an Idempotency-Key, so a
// retry with the same key gets the same answer (and the same request).
type IdempotencyRecord struct {
	// Key is the client's key, scoped by the caller (e.g. "POST /requests:" + header). Only its
	// SHA-256 is stored; the key itself is not.
	Key string `json:"-"`
	// Fingerprint identifies the submission the key was first used with (e.g. a hash of the body), so
	// a key reused for a different submission can be refused.
	Fingerprint string `json:"fingerprint,omitempty"`
	// StatusCode, ContentType and Body are the answer.
	StatusCode  int    `json:"status_code"`
	ContentType string `json:"content_type,omitempty"`
	Body        string `json:"body,omitempty"`
	// RequestID is the refund request the answer created, if any.
	RequestID string `json:"request_id,omitempty"`
	// CreatedAt is set by the store; the record answers until CreatedAt + IdempotencyTTL.
	CreatedAt time.Time `json:"created_at"`
}
