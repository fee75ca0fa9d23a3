package handler

import (
	"context"
	"fmt"
	"time"

	"refundflow/refund"
)

// The ports: what the handlers need of the world outside, declared here by the code that uses it.
// Each interface below is one operation of the store. Each handler's struct names its store as an
// interface of its own (VerifyConditionsStore, ...) made of the operations it uses and no other, so a
// reader of a handler sees what its step may read and write. *dynamo.Store implements them all on
// the one table (awsenv hands each function only its operations, see lambdaenv.StoreOps);
// sfnworkflow.Client implements the workflow's (workflow.go). Errors are *refund.Error with the codes
// each operation documents on the store; any other error is a failure of the store itself.

// RequestGetter reads a stored request; an unknown one is CodeNotFound.
type RequestGetter interface {
	GetRequest(ctx context.Context, id string) (refund.RequestRecord, error)
}

// RequestCreator stores a new submitted request with its order's open-request lock, its status link
// and its first audit entry; a second open request for the order is CodeConflict.
type RequestCreator interface {
	CreateRequest(ctx context.Context, req refund.Request, sub refund.Submission, statusLink refund.LinkCode, audit refund.AuditEntry) error
}

// UnmatchedRequestCreator stores a new submitted request whose submission named no order, without any
// order's lock, marked unmatched, with its status link and its first audit entry.
type UnmatchedRequestCreator interface {
	CreateUnmatchedRequest(ctx context.Context, req refund.Request, sub refund.Submission, statusLink refund.LinkCode, audit refund.AuditEntry) error
}

// RequestLister lists one page of the requests that have a status, the longest-unchanged first.
type RequestLister interface {
	ListRequestsByStatus(ctx context.Context, status refund.Status, limit int, cursor string) (requests []refund.RequestRecord, next string, err error)
}

// SubmittedLister lists one page of the IDs of the requests left submitted since before a time.
type SubmittedLister interface {
	SubmittedBefore(ctx context.Context, before time.Time, limit int, cursor string) (ids []string, next string, err error)
}

// Transitioner moves a request from one status to another if it is still at a version, with its
// audit entry and the options' changes, in one write; a request that moved meanwhile is CodeConflict.
type Transitioner interface {
	Transition(ctx context.Context, id string, from, to refund.Status, version int64, audit refund.AuditEntry, opts ...refund.ChangeOption) error
}

// Decider records a decision that keeps the request's status (an approval, the workflow's offers) if
// the request is still at a version; of two decisions on one version, the second is CodeConflict.
type Decider interface {
	Decide(ctx context.Context, id string, status refund.Status, version int64, audit refund.AuditEntry, opts ...refund.ChangeOption) error
}

// RequestCounter counts the requests of a status.
type RequestCounter interface {
	CountRequestsByStatus(ctx context.Context, status refund.Status) (int, error)
}

// RequestFinder finds the requests of an order number, an email's keyed hash, a request ID or a refund
// reference, newest first.
type RequestFinder interface {
	FindRequests(ctx context.Context, search refund.Search, limit int) ([]refund.RequestRecord, error)
}

// ReviewProposer records a review decision above the four-eyes limit for a second member of staff to
// confirm; a request that changed, or already has a proposal, is CodeConflict.
type ReviewProposer interface {
	ProposeReview(ctx context.Context, id string, version int64, p refund.Proposal, audit refund.AuditEntry) error
}

// LastChangeReader reads the audit entry of a request's latest change (status change or decision).
type LastChangeReader interface {
	LastChange(ctx context.Context, id string) (entry refund.AuditEntry, ok bool, err error)
}

// FindingsSaver stores verification findings on a request without changing its status or version.
type FindingsSaver interface {
	SaveFindings(ctx context.Context, id string, v refund.Verification) error
}

// OrderGetter reads an order; an unknown one is CodeNotFound.
type OrderGetter interface {
	GetOrder(ctx context.Context, number string) (refund.Order, error)
}

// OrderPutter stores an order from the billing system: version 0 creates it, version n updates it
// from n.
type OrderPutter interface {
	PutOrder(ctx context.Context, o refund.Order) (refund.Order, error)
}

// PaymentLookup reads a payment at the payment provider (payment.Gateway's LookupPayment): what it
// captured, in which currency, what it refunded, the card and its 3-D Secure authentication. An
// unknown reference is payment.ErrPaymentNotFound; a provider that cannot be reached, a
// *payment.PaymentUnavailable.
type PaymentLookup interface {
	LookupPayment(ctx context.Context, reference string) (refund.PaymentFacts, error)
}

// ProviderRefundLookup reads a refund at the payment provider (payment.Gateway's RefundRequestID):
// the request ID Refundflow made it for, "" if none. An unknown refund is payment.ErrRefundNotFound;
// a provider that cannot be reached, a *payment.PaymentUnavailable.
type ProviderRefundLookup interface {
	RefundRequestID(ctx context.Context, refundID string) (string, error)
}

// OrderCloser records that a request's execution cancelled an order or refunded it fully, if the
// order is still at a version.
type OrderCloser interface {
	CloseOrder(ctx context.Context, number string, version int64, status refund.OrderStatus, requestID string) (refund.Order, error)
}

// OfferGetter reads one offer of a request, from any set.
type OfferGetter interface {
	GetOffer(ctx context.Context, requestID, offerID string) (refund.Offer, error)
}

// OfferLister reads a request's current set of offers and its number.
type OfferLister interface {
	ListOffers(ctx context.Context, requestID string) ([]refund.Offer, int, error)
}

// ConsentGetter reads the consent recorded for a request; none is CodeNotFound.
type ConsentGetter interface {
	GetConsent(ctx context.Context, requestID string) (refund.Consent, error)
}

// SignedAgreementGetter finds a signed agreement by its PDF's hex SHA-256; none is CodeNotFound.
type SignedAgreementGetter interface {
	GetSignedAgreement(ctx context.Context, pdfHash string) (refund.SignedAgreement, error)
}

// ConsentRecorder records the client's decision with the link's use, the status change, the audit
// entry and the resume marker in one write; a second decision is CodeConflict.
type ConsentRecorder interface {
	RecordConsent(ctx context.Context, c refund.Consent, version int64, audit refund.AuditEntry) error
}

// RefundReserver reserves a refund attempt in an order's ledger before the provider is called; more
// than remains is CodeConflict.
type RefundReserver interface {
	ReserveRefund(ctx context.Context, orderNumber, requestID string, n int, amount refund.Money, audit refund.AuditEntry) (refund.RefundRecord, error)
}

// ProviderRefundRecorder records what the payment provider reports about a refund of an order's
// payment (its answer to the refund call, or its events): a report that is no news changes nothing,
// a refund made outside Refundflow gets a record and is counted, a failure releases the amount once;
// a refund that does not fit the ledger yet is CodeConflict.
type ProviderRefundRecorder interface {
	ApplyProviderRefund(ctx context.Context, orderNumber string, p refund.ProviderRefund, audit refund.AuditEntry) (refund.RefundRecord, refund.LedgerChange, error)
}

// RefundFailer releases a reserved refund attempt that the provider refused for good.
type RefundFailer interface {
	FailRefund(ctx context.Context, orderNumber, requestID string, n int, reason string) error
}

// RefundLedger moves money in an order's ledger: it reserves a refund attempt before the provider is
// called, records the provider's answer, or releases it after the provider refused it.
type RefundLedger interface {
	RefundReserver
	ProviderRefundRecorder
	RefundFailer
}

// RefundGetter reads one refund attempt; an unknown one is CodeNotFound.
type RefundGetter interface {
	GetRefund(ctx context.Context, orderNumber, requestID string, n int) (refund.RefundRecord, error)
}

// RefundLister reads every refund attempt on an order.
type RefundLister interface {
	ListOrderRefunds(ctx context.Context, orderNumber string) ([]refund.RefundRecord, error)
}

// Reopener moves an executing or completed request whose refund failed after the provider accepted
// it to needs attention (refund.CanReopen); no other path leaves completed.
type Reopener interface {
	Reopen(ctx context.Context, id string, from refund.Status, version int64, audit refund.AuditEntry) error
}

// PaymentOrderFinder finds the orders whose payment has a provider reference (normally one; none for
// a payment Refundflow does not know).
type PaymentOrderFinder interface {
	OrdersByPayment(ctx context.Context, reference string) ([]refund.Order, error)
}

// DisputeRecorder records what the provider reports about a dispute on an order's payment, if it is
// news, and returns the dispute recorded before.
type DisputeRecorder interface {
	RecordDispute(ctx context.Context, orderNumber string, d refund.Dispute) (prev *refund.Dispute, changed bool, err error)
}

// OpenRequestFinder reads the ID of an order's open request ("" when it has none).
type OpenRequestFinder interface {
	OpenRequestID(ctx context.Context, orderNumber string) (string, error)
}

// EventClaimer claims the processing of one provider event for one delivery, for a lease.
type EventClaimer interface {
	ClaimEvent(ctx context.Context, eventID, claimID string, lease time.Duration) (refund.ProviderEventClaim, error)
}

// EventProcessedMarker records that a provider event was processed.
type EventProcessedMarker interface {
	MarkEventProcessed(ctx context.Context, eventID, outcome string) error
}

// EventReleaser gives up a delivery's claim on an event it could not process.
type EventReleaser interface {
	ReleaseEvent(ctx context.Context, eventID, claimID string) error
}

// EventClaims make each provider event processed once: a delivery claims it, processes it and marks it
// processed, or releases its claim when processing failed.
type EventClaims interface {
	EventClaimer
	EventProcessedMarker
	EventReleaser
}

// Settler records a settlement outside the provider for a request that needs attention: the
// request completes and the order's ledger counts the amount, in one write (refunded ≤ paid holds).
type Settler interface {
	SettleOutside(ctx context.Context, id string, version int64, s refund.Settlement, n int, audit refund.AuditEntry, opts ...refund.ChangeOption) (refund.RefundRecord, error)
}

// CreditPutter records the credit a request granted; the same credit again is not an error.
type CreditPutter interface {
	PutCredit(ctx context.Context, c refund.Credit) error
}

// CreditLister reads every credit granted on an order.
type CreditLister interface {
	ListOrderCredits(ctx context.Context, orderNumber string) ([]refund.Credit, error)
}

// CreditGetter reads the credit a request granted; none is CodeNotFound.
type CreditGetter interface {
	GetCredit(ctx context.Context, orderNumber, requestID string) (refund.Credit, error)
}

// LinkPutter stores the hash of a new link code.
type LinkPutter interface {
	PutLinkCode(ctx context.Context, l refund.LinkCode) error
}

// LinkLookup finds a link code by its hash for one purpose: an unknown one is CodeNotFound, an
// expired one is returned with CodeGone.
type LinkLookup interface {
	LookupLinkCode(ctx context.Context, hash string, purpose refund.LinkPurpose) (refund.LinkCode, error)
}

// AuditAppender adds an entry to a request's audit trail on its own (a link viewed).
type AuditAppender interface {
	AppendAudit(ctx context.Context, e refund.AuditEntry) error
}

// AuditLister reads a request's whole audit trail, oldest first.
type AuditLister interface {
	ListAudit(ctx context.Context, requestID string) ([]refund.AuditEntry, error)
}

// FeedbackGetter reads a request's feedback; none is CodeNotFound.
type FeedbackGetter interface {
	GetFeedback(ctx context.Context, requestID string) (refund.Feedback, error)
}

// FeedbackPutter stores a request's feedback, once; a second one is CodeConflict.
type FeedbackPutter interface {
	PutFeedback(ctx context.Context, f refund.Feedback) error
}

// FeedbackLister lists one page of all feedback, newest first.
type FeedbackLister interface {
	ListFeedback(ctx context.Context, limit int, cursor string) (feedback []refund.Feedback, next string, err error)
}

// IdempotencyGetter reads the first answer to a submission sent with an Idempotency-Key; none (or
// one too old) is CodeNotFound.
type IdempotencyGetter interface {
	GetIdempotency(ctx context.Context, key string) (refund.IdempotencyRecord, error)
}

// IdempotencyPutter stores the first answer to a submission sent with an Idempotency-Key; a live one
// stored already is CodeConflict.
type IdempotencyPutter interface {
	PutIdempotency(ctx context.Context, r refund.IdempotencyRecord) error
}

// IdempotencyRecords keeps the first answer to a submission sent with an Idempotency-Key.
type IdempotencyRecords interface {
	IdempotencyGetter
	IdempotencyPutter
}

// TokenSetter stores the task token of the wait a request is parked in, if the request still has a
// status (CodeConflict otherwise).
type TokenSetter interface {
	SetTaskToken(ctx context.Context, id string, kind refund.TokenKind, token string, requireStatus refund.Status) error
}

// TokenGetter reads the task token stored on a request (a zero one when none is).
type TokenGetter interface {
	GetTaskToken(ctx context.Context, id string) (refund.TaskToken, error)
}

// ResumeGetter reads a request's resume marker and whether it is still pending.
type ResumeGetter interface {
	GetResume(ctx context.Context, id string) (refund.ResumeMarker, bool, error)
}

// ResumeLister lists one page of the resume markers still pending that were recorded before a time.
type ResumeLister interface {
	PendingResumes(ctx context.Context, before time.Time, limit int, cursor string) (markers []refund.ResumeMarker, next string, err error)
}

// ResumeClearer marks a request's pending resume marker for an outcome done; cleared is false when it
// was cleared already or replaced by a newer decision.
type ResumeClearer interface {
	ClearResume(ctx context.Context, id, outcome string) (cleared bool, err error)
}

// RequestTokenGetter reads a request and its stored task token with one read.
type RequestTokenGetter interface {
	GetRequestAndToken(ctx context.Context, id string) (refund.RequestRecord, refund.TaskToken, error)
}

// DecisionDelivery is what delivering a recorded decision to the parked workflow reads and clears
// (deliverDecision): the request with its task token, read together, and its resume marker.
type DecisionDelivery interface {
	RequestTokenGetter
	ResumeClearer
}

// MailClaimer claims the sending of a request's email for an event for one run, for a lease.
type MailClaimer interface {
	ClaimMail(ctx context.Context, requestID, event, claimID string, lease time.Duration) (refund.MailClaim, error)
}

// MailSentMarker records that a request's email for an event was sent, with its kind and subject
// (both empty when the event is marked without an email).
type MailSentMarker interface {
	MarkMailSent(ctx context.Context, requestID, event, kind, subject string) error
}

// SentEmailLister reads the emails that went out about a request, oldest first.
type SentEmailLister interface {
	ListSentEmails(ctx context.Context, requestID string) ([]refund.SentEmail, error)
}

// MailReleaser gives up a run's claim whose email could not be sent.
type MailReleaser interface {
	ReleaseMail(ctx context.Context, requestID, event, claimID string) error
}

// MailMarkers make each email go out once per request and event (Emails): a run claims the marker,
// sends, and marks it sent, or releases its claim when sending failed.
type MailMarkers interface {
	MailClaimer
	MailSentMarker
	MailReleaser
}

// QuestionAdder stores a client's message on a request's thread with its audit entry, within the
// daily limit (the next one is CodeTooMany with its RetryAfter).
type QuestionAdder interface {
	AddQuestion(ctx context.Context, requestID, text string, audit refund.AuditEntry) (refund.ThreadMessage, error)
}

// ReplyAdder stores a staff reply on a request's thread with its audit entry and marks the questions
// so far answered.
type ReplyAdder interface {
	AddReply(ctx context.Context, requestID, text string, audit refund.AuditEntry) (refund.ThreadMessage, error)
}

// ThreadLister reads a request's thread, oldest first.
type ThreadLister interface {
	ListThread(ctx context.Context, requestID string) ([]refund.ThreadMessage, error)
}

// ThreadSummariesGetter reads the counts of the threads of several requests at once (how many
// questions await a reply), by request id; a request without a thread is absent.
type ThreadSummariesGetter interface {
	ThreadSummaries(ctx context.Context, requestIDs []string) (map[string]refund.ThreadSummary, error)
}

// LookupKey gives the key of the hash under which requests are found by their client's email
// (refund.EmailLookup). A function reads it from Secrets Manager in the background from its start
// (awsenv/secrets.LookupKey), so that the read overlaps its first invocation instead of delaying it;
// Key waits for that read, or for ctx.
type LookupKey interface {
	Key(ctx context.Context) ([]byte, error)
}

// StaticKey is a lookup key known when the handler is built (tests, the workflow harness).
type StaticKey []byte

// Key returns k.
func (k StaticKey) Key(context.Context) ([]byte, error) { return k, nil }

// emailLookup is refund.EmailLookup of email with key's key; "" without a key (nil key).
func emailLookup(ctx context.Context, key LookupKey, email string) (string, error) {
	if key == nil {
		return "", nil
	}
	k, err := key.Key(ctx)
	if err != nil {
		return "", fmt.Errorf("the email lookup key: %w", err)
	}
	return refund.EmailLookup(k, email), nil
}
