package lambdaenv

import (
	"context"
	"time"

	"refundflow/dynamo"
	"refundflow/refund"
)

// StoreOps is a store made of the operations a function uses: the handlers' store ports
// (handler/ports.go) are interfaces, and a *dynamo.Store held in one would keep every one of its
// operations, and the DynamoDB calls behind them, in the binary. Every function that renders a page
// or an email links text/template, whose reflection makes the linker keep all exported methods of
// any type that is held in an interface (about 2 MB of the functions' 11; see WorkflowStarter for
// the same reason on Step Functions). So a builder sets the operations its handler's port names, as
// method values of the store (GetRequestOp: store.GetRequest), and hands the handler this. An
// operation not set is nil and calling it panics: awsenv's tests check that every builder sets every
// operation its handler's ports name.
type StoreOps struct {
	GetRequestOp             func(ctx context.Context, id string) (refund.RequestRecord, error)
	CreateRequestOp          func(ctx context.Context, req refund.Request, sub refund.Submission, statusLink refund.LinkCode, audit refund.AuditEntry) error
	CreateUnmatchedRequestOp func(ctx context.Context, req refund.Request, sub refund.Submission, statusLink refund.LinkCode, audit refund.AuditEntry) error
	ListRequestsByStatusOp   func(ctx context.Context, status refund.Status, limit int, cursor string) (requests []refund.RequestRecord, next string, err error)
	SubmittedBeforeOp        func(ctx context.Context, before time.Time, limit int, cursor string) (ids []string, next string, err error)
	TransitionOp             func(ctx context.Context, id string, from, to refund.Status, version int64, audit refund.AuditEntry, opts ...refund.ChangeOption) error
	DecideOp                 func(ctx context.Context, id string, status refund.Status, version int64, audit refund.AuditEntry, opts ...refund.ChangeOption) error
	CountRequestsByStatusOp  func(ctx context.Context, status refund.Status) (int, error)
	FindRequestsOp           func(ctx context.Context, search refund.Search, limit int) ([]refund.RequestRecord, error)
	ProposeReviewOp          func(ctx context.Context, id string, version int64, p refund.Proposal, audit refund.AuditEntry) error
	LastChangeOp             func(ctx context.Context, id string) (entry refund.AuditEntry, ok bool, err error)
	SaveFindingsOp           func(ctx context.Context, id string, v refund.Verification) error
	GetOrderOp               func(ctx context.Context, number string) (refund.Order, error)
	PutOrderOp               func(ctx context.Context, o refund.Order) (refund.Order, error)
	CloseOrderOp             func(ctx context.Context, number string, version int64, status refund.OrderStatus, requestID string) (refund.Order, error)
	GetOfferOp               func(ctx context.Context, requestID, offerID string) (refund.Offer, error)
	ListOffersOp             func(ctx context.Context, requestID string) ([]refund.Offer, int, error)
	GetConsentOp             func(ctx context.Context, requestID string) (refund.Consent, error)
	RecordConsentOp          func(ctx context.Context, c refund.Consent, version int64, audit refund.AuditEntry) error
	GetSignedAgreementOp     func(ctx context.Context, pdfHash string) (refund.SignedAgreement, error)
	ReserveRefundOp          func(ctx context.Context, orderNumber, requestID string, n int, amount refund.Money, audit refund.AuditEntry) (refund.RefundRecord, error)
	ApplyProviderRefundOp    func(ctx context.Context, orderNumber string, p refund.ProviderRefund, audit refund.AuditEntry) (refund.RefundRecord, refund.LedgerChange, error)
	ReopenOp                 func(ctx context.Context, id string, from refund.Status, version int64, audit refund.AuditEntry) error
	OrdersByPaymentOp        func(ctx context.Context, reference string) ([]refund.Order, error)
	RecordDisputeOp          func(ctx context.Context, orderNumber string, d refund.Dispute) (*refund.Dispute, bool, error)
	OpenRequestIDOp          func(ctx context.Context, orderNumber string) (string, error)
	ClaimEventOp             func(ctx context.Context, eventID, claimID string, lease time.Duration) (refund.ProviderEventClaim, error)
	MarkEventProcessedOp     func(ctx context.Context, eventID, outcome string) error
	ReleaseEventOp           func(ctx context.Context, eventID, claimID string) error
	FailRefundOp             func(ctx context.Context, orderNumber, requestID string, n int, reason string) error
	GetRefundOp              func(ctx context.Context, orderNumber, requestID string, n int) (refund.RefundRecord, error)
	ListOrderRefundsOp       func(ctx context.Context, orderNumber string) ([]refund.RefundRecord, error)
	SettleOutsideOp          func(ctx context.Context, id string, version int64, s refund.Settlement, n int, audit refund.AuditEntry, opts ...refund.ChangeOption) (refund.RefundRecord, error)
	PutCreditOp              func(ctx context.Context, c refund.Credit) error
	GetCreditOp              func(ctx context.Context, orderNumber, requestID string) (refund.Credit, error)
	ListOrderCreditsOp       func(ctx context.Context, orderNumber string) ([]refund.Credit, error)
	PutLinkCodeOp            func(ctx context.Context, l refund.LinkCode) error
	LookupLinkCodeOp         func(ctx context.Context, hash string, purpose refund.LinkPurpose) (refund.LinkCode, error)
	AppendAuditOp            func(ctx context.Context, e refund.AuditEntry) error
	ListAuditOp              func(ctx context.Context, requestID string) ([]refund.AuditEntry, error)
	GetFeedbackOp            func(ctx context.Context, requestID string) (refund.Feedback, error)
	PutFeedbackOp            func(ctx context.Context, f refund.Feedback) error
	ListFeedbackOp           func(ctx context.Context, limit int, cursor string) (feedback []refund.Feedback, next string, err error)
	GetIdempotencyOp         func(ctx context.Context, key string) (refund.IdempotencyRecord, error)
	PutIdempotencyOp         func(ctx context.Context, r refund.IdempotencyRecord) error
	SetTaskTokenOp           func(ctx context.Context, id string, kind refund.TokenKind, token string, requireStatus refund.Status) error
	GetTaskTokenOp           func(ctx context.Context, id string) (refund.TaskToken, error)
	GetResumeOp              func(ctx context.Context, id string) (refund.ResumeMarker, bool, error)
	PendingResumesOp         func(ctx context.Context, before time.Time, limit int, cursor string) (markers []refund.ResumeMarker, next string, err error)
	ClearResumeOp            func(ctx context.Context, id, outcome string) (cleared bool, err error)
	GetRequestAndTokenOp     func(ctx context.Context, id string) (refund.RequestRecord, refund.TaskToken, error)
	ClaimMailOp              func(ctx context.Context, requestID, event, claimID string, lease time.Duration) (refund.MailClaim, error)
	MarkMailSentOp           func(ctx context.Context, requestID, event, kind, subject string) error
	ListSentEmailsOp         func(ctx context.Context, requestID string) ([]refund.SentEmail, error)
	ReleaseMailOp            func(ctx context.Context, requestID, event, claimID string) error
	AddQuestionOp            func(ctx context.Context, requestID, text string, audit refund.AuditEntry) (refund.ThreadMessage, error)
	AddReplyOp               func(ctx context.Context, requestID, text string, audit refund.AuditEntry) (refund.ThreadMessage, error)
	ListThreadOp             func(ctx context.Context, requestID string) ([]refund.ThreadMessage, error)
	ThreadSummariesOp        func(ctx context.Context, requestIDs []string) (map[string]refund.ThreadSummary, error)
}

// GetRequest calls GetRequestOp (handler.RequestGetter).
func (s StoreOps) GetRequest(ctx context.Context, id string) (refund.RequestRecord, error) {
	return s.GetRequestOp(ctx, id)
}

// CreateRequest calls CreateRequestOp (handler.RequestCreator).
func (s StoreOps) CreateRequest(ctx context.Context, req refund.Request, sub refund.Submission, statusLink refund.LinkCode, audit refund.AuditEntry) error {
	return s.CreateRequestOp(ctx, req, sub, statusLink, audit)
}

// CreateUnmatchedRequest calls CreateUnmatchedRequestOp (handler.UnmatchedRequestCreator).
func (s StoreOps) CreateUnmatchedRequest(ctx context.Context, req refund.Request, sub refund.Submission, statusLink refund.LinkCode, audit refund.AuditEntry) error {
	return s.CreateUnmatchedRequestOp(ctx, req, sub, statusLink, audit)
}

// ListRequestsByStatus calls ListRequestsByStatusOp (handler.RequestLister).
func (s StoreOps) ListRequestsByStatus(ctx context.Context, status refund.Status, limit int, cursor string) (requests []refund.RequestRecord, next string, err error) {
	return s.ListRequestsByStatusOp(ctx, status, limit, cursor)
}

// SubmittedBefore calls SubmittedBeforeOp (handler.SubmittedLister).
func (s StoreOps) SubmittedBefore(ctx context.Context, before time.Time, limit int, cursor string) (ids []string, next string, err error) {
	return s.SubmittedBeforeOp(ctx, before, limit, cursor)
}

// Transition calls TransitionOp (handler.Transitioner).
func (s StoreOps) Transition(ctx context.Context, id string, from, to refund.Status, version int64, audit refund.AuditEntry, opts ...refund.ChangeOption) error {
	return s.TransitionOp(ctx, id, from, to, version, audit, opts...)
}

// Decide calls DecideOp (handler.Decider).
func (s StoreOps) Decide(ctx context.Context, id string, status refund.Status, version int64, audit refund.AuditEntry, opts ...refund.ChangeOption) error {
	return s.DecideOp(ctx, id, status, version, audit, opts...)
}

// CountRequestsByStatus calls CountRequestsByStatusOp (handler.RequestCounter).
func (s StoreOps) CountRequestsByStatus(ctx context.Context, status refund.Status) (int, error) {
	return s.CountRequestsByStatusOp(ctx, status)
}

// FindRequests calls FindRequestsOp (handler.RequestFinder).
func (s StoreOps) FindRequests(ctx context.Context, search refund.Search, limit int) ([]refund.RequestRecord, error) {
	return s.FindRequestsOp(ctx, search, limit)
}

// ProposeReview calls ProposeReviewOp (handler.ReviewProposer).
func (s StoreOps) ProposeReview(ctx context.Context, id string, version int64, p refund.Proposal, audit refund.AuditEntry) error {
	return s.ProposeReviewOp(ctx, id, version, p, audit)
}

// LastChange calls LastChangeOp (handler.LastChangeReader).
func (s StoreOps) LastChange(ctx context.Context, id string) (entry refund.AuditEntry, ok bool, err error) {
	return s.LastChangeOp(ctx, id)
}

// SaveFindings calls SaveFindingsOp (handler.FindingsSaver).
func (s StoreOps) SaveFindings(ctx context.Context, id string, v refund.Verification) error {
	return s.SaveFindingsOp(ctx, id, v)
}

// GetOrder calls GetOrderOp (handler.OrderGetter).
func (s StoreOps) GetOrder(ctx context.Context, number string) (refund.Order, error) {
	return s.GetOrderOp(ctx, number)
}

// PutOrder calls PutOrderOp (handler.OrderPutter).
func (s StoreOps) PutOrder(ctx context.Context, o refund.Order) (refund.Order, error) {
	return s.PutOrderOp(ctx, o)
}

// CloseOrder calls CloseOrderOp (handler.OrderCloser).
func (s StoreOps) CloseOrder(ctx context.Context, number string, version int64, status refund.OrderStatus, requestID string) (refund.Order, error) {
	return s.CloseOrderOp(ctx, number, version, status, requestID)
}

// GetOffer calls GetOfferOp (handler.OfferGetter).
func (s StoreOps) GetOffer(ctx context.Context, requestID, offerID string) (refund.Offer, error) {
	return s.GetOfferOp(ctx, requestID, offerID)
}

// ListOffers calls ListOffersOp (handler.OfferLister).
func (s StoreOps) ListOffers(ctx context.Context, requestID string) ([]refund.Offer, int, error) {
	return s.ListOffersOp(ctx, requestID)
}

// GetConsent calls GetConsentOp (handler.ConsentGetter).
func (s StoreOps) GetConsent(ctx context.Context, requestID string) (refund.Consent, error) {
	return s.GetConsentOp(ctx, requestID)
}

// GetSignedAgreement calls GetSignedAgreementOp (handler.SignedAgreementGetter).
func (s StoreOps) GetSignedAgreement(ctx context.Context, pdfHash string) (refund.SignedAgreement, error) {
	return s.GetSignedAgreementOp(ctx, pdfHash)
}

// RecordConsent calls RecordConsentOp (handler.ConsentRecorder).
func (s StoreOps) RecordConsent(ctx context.Context, c refund.Consent, version int64, audit refund.AuditEntry) error {
	return s.RecordConsentOp(ctx, c, version, audit)
}

// ReserveRefund calls ReserveRefundOp (handler.RefundReserver).
func (s StoreOps) ReserveRefund(ctx context.Context, orderNumber, requestID string, n int, amount refund.Money, audit refund.AuditEntry) (refund.RefundRecord, error) {
	return s.ReserveRefundOp(ctx, orderNumber, requestID, n, amount, audit)
}

// ApplyProviderRefund calls ApplyProviderRefundOp (handler.ProviderRefundRecorder).
func (s StoreOps) ApplyProviderRefund(ctx context.Context, orderNumber string, p refund.ProviderRefund, audit refund.AuditEntry) (refund.RefundRecord, refund.LedgerChange, error) {
	return s.ApplyProviderRefundOp(ctx, orderNumber, p, audit)
}

// Reopen calls ReopenOp (handler.Reopener).
func (s StoreOps) Reopen(ctx context.Context, id string, from refund.Status, version int64, audit refund.AuditEntry) error {
	return s.ReopenOp(ctx, id, from, version, audit)
}

// OrdersByPayment calls OrdersByPaymentOp (handler.PaymentOrderFinder).
func (s StoreOps) OrdersByPayment(ctx context.Context, reference string) ([]refund.Order, error) {
	return s.OrdersByPaymentOp(ctx, reference)
}

// RecordDispute calls RecordDisputeOp (handler.DisputeRecorder).
func (s StoreOps) RecordDispute(ctx context.Context, orderNumber string, d refund.Dispute) (*refund.Dispute, bool, error) {
	return s.RecordDisputeOp(ctx, orderNumber, d)
}

// OpenRequestID calls OpenRequestIDOp (handler.OpenRequestFinder).
func (s StoreOps) OpenRequestID(ctx context.Context, orderNumber string) (string, error) {
	return s.OpenRequestIDOp(ctx, orderNumber)
}

// ClaimEvent calls ClaimEventOp (handler.EventClaimer).
func (s StoreOps) ClaimEvent(ctx context.Context, eventID, claimID string, lease time.Duration) (refund.ProviderEventClaim, error) {
	return s.ClaimEventOp(ctx, eventID, claimID, lease)
}

// MarkEventProcessed calls MarkEventProcessedOp (handler.EventProcessedMarker).
func (s StoreOps) MarkEventProcessed(ctx context.Context, eventID, outcome string) error {
	return s.MarkEventProcessedOp(ctx, eventID, outcome)
}

// ReleaseEvent calls ReleaseEventOp (handler.EventReleaser).
func (s StoreOps) ReleaseEvent(ctx context.Context, eventID, claimID string) error {
	return s.ReleaseEventOp(ctx, eventID, claimID)
}

// FailRefund calls FailRefundOp (handler.RefundFailer).
func (s StoreOps) FailRefund(ctx context.Context, orderNumber, requestID string, n int, reason string) error {
	return s.FailRefundOp(ctx, orderNumber, requestID, n, reason)
}

// GetRefund calls GetRefundOp (handler.RefundGetter).
func (s StoreOps) GetRefund(ctx context.Context, orderNumber, requestID string, n int) (refund.RefundRecord, error) {
	return s.GetRefundOp(ctx, orderNumber, requestID, n)
}

// ListOrderRefunds calls ListOrderRefundsOp (handler.RefundLister).
func (s StoreOps) ListOrderRefunds(ctx context.Context, orderNumber string) ([]refund.RefundRecord, error) {
	return s.ListOrderRefundsOp(ctx, orderNumber)
}

// SettleOutside calls SettleOutsideOp (handler.Settler).
func (s StoreOps) SettleOutside(ctx context.Context, id string, version int64, st refund.Settlement, n int, audit refund.AuditEntry, opts ...refund.ChangeOption) (refund.RefundRecord, error) {
	return s.SettleOutsideOp(ctx, id, version, st, n, audit, opts...)
}

// PutCredit calls PutCreditOp (handler.CreditPutter).
func (s StoreOps) PutCredit(ctx context.Context, c refund.Credit) error {
	return s.PutCreditOp(ctx, c)
}

// GetCredit calls GetCreditOp (handler.CreditGetter).
func (s StoreOps) GetCredit(ctx context.Context, orderNumber, requestID string) (refund.Credit, error) {
	return s.GetCreditOp(ctx, orderNumber, requestID)
}

// ListOrderCredits calls ListOrderCreditsOp (handler.CreditLister).
func (s StoreOps) ListOrderCredits(ctx context.Context, orderNumber string) ([]refund.Credit, error) {
	return s.ListOrderCreditsOp(ctx, orderNumber)
}

// PutLinkCode calls PutLinkCodeOp (handler.LinkPutter).
func (s StoreOps) PutLinkCode(ctx context.Context, l refund.LinkCode) error {
	return s.PutLinkCodeOp(ctx, l)
}

// LookupLinkCode calls LookupLinkCodeOp (handler.LinkLookup).
func (s StoreOps) LookupLinkCode(ctx context.Context, hash string, purpose refund.LinkPurpose) (refund.LinkCode, error) {
	return s.LookupLinkCodeOp(ctx, hash, purpose)
}

// AppendAudit calls AppendAuditOp (handler.AuditAppender).
func (s StoreOps) AppendAudit(ctx context.Context, e refund.AuditEntry) error {
	return s.AppendAuditOp(ctx, e)
}

// ListAudit calls ListAuditOp (handler.AuditLister).
func (s StoreOps) ListAudit(ctx context.Context, requestID string) ([]refund.AuditEntry, error) {
	return s.ListAuditOp(ctx, requestID)
}

// GetFeedback calls GetFeedbackOp (handler.FeedbackGetter).
func (s StoreOps) GetFeedback(ctx context.Context, requestID string) (refund.Feedback, error) {
	return s.GetFeedbackOp(ctx, requestID)
}

// PutFeedback calls PutFeedbackOp (handler.FeedbackPutter).
func (s StoreOps) PutFeedback(ctx context.Context, f refund.Feedback) error {
	return s.PutFeedbackOp(ctx, f)
}

// ListFeedback calls ListFeedbackOp (handler.FeedbackLister).
func (s StoreOps) ListFeedback(ctx context.Context, limit int, cursor string) (feedback []refund.Feedback, next string, err error) {
	return s.ListFeedbackOp(ctx, limit, cursor)
}

// GetIdempotency calls GetIdempotencyOp (handler.IdempotencyGetter).
func (s StoreOps) GetIdempotency(ctx context.Context, key string) (refund.IdempotencyRecord, error) {
	return s.GetIdempotencyOp(ctx, key)
}

// PutIdempotency calls PutIdempotencyOp (handler.IdempotencyPutter).
func (s StoreOps) PutIdempotency(ctx context.Context, r refund.IdempotencyRecord) error {
	return s.PutIdempotencyOp(ctx, r)
}

// SetTaskToken calls SetTaskTokenOp (handler.TokenSetter).
func (s StoreOps) SetTaskToken(ctx context.Context, id string, kind refund.TokenKind, token string, requireStatus refund.Status) error {
	return s.SetTaskTokenOp(ctx, id, kind, token, requireStatus)
}

// GetTaskToken calls GetTaskTokenOp (handler.TokenGetter).
func (s StoreOps) GetTaskToken(ctx context.Context, id string) (refund.TaskToken, error) {
	return s.GetTaskTokenOp(ctx, id)
}

// GetResume calls GetResumeOp (handler.ResumeGetter).
func (s StoreOps) GetResume(ctx context.Context, id string) (refund.ResumeMarker, bool, error) {
	return s.GetResumeOp(ctx, id)
}

// PendingResumes calls PendingResumesOp (handler.ResumeLister).
func (s StoreOps) PendingResumes(ctx context.Context, before time.Time, limit int, cursor string) (markers []refund.ResumeMarker, next string, err error) {
	return s.PendingResumesOp(ctx, before, limit, cursor)
}

// ClearResume calls ClearResumeOp (handler.ResumeClearer).
func (s StoreOps) ClearResume(ctx context.Context, id, outcome string) (cleared bool, err error) {
	return s.ClearResumeOp(ctx, id, outcome)
}

// GetRequestAndToken calls GetRequestAndTokenOp (handler.RequestTokenGetter).
func (s StoreOps) GetRequestAndToken(ctx context.Context, id string) (refund.RequestRecord, refund.TaskToken, error) {
	return s.GetRequestAndTokenOp(ctx, id)
}

// ClaimMail calls ClaimMailOp (handler.MailClaimer).
func (s StoreOps) ClaimMail(ctx context.Context, requestID, event, claimID string, lease time.Duration) (refund.MailClaim, error) {
	return s.ClaimMailOp(ctx, requestID, event, claimID, lease)
}

// MarkMailSent calls MarkMailSentOp (handler.MailSentMarker).
func (s StoreOps) MarkMailSent(ctx context.Context, requestID, event, kind, subject string) error {
	return s.MarkMailSentOp(ctx, requestID, event, kind, subject)
}

// ListSentEmails calls ListSentEmailsOp (handler.SentEmailLister).
func (s StoreOps) ListSentEmails(ctx context.Context, requestID string) ([]refund.SentEmail, error) {
	return s.ListSentEmailsOp(ctx, requestID)
}

// ReleaseMail calls ReleaseMailOp (handler.MailReleaser).
func (s StoreOps) ReleaseMail(ctx context.Context, requestID, event, claimID string) error {
	return s.ReleaseMailOp(ctx, requestID, event, claimID)
}

// AddQuestion calls AddQuestionOp (handler.QuestionAdder).
func (s StoreOps) AddQuestion(ctx context.Context, requestID, text string, audit refund.AuditEntry) (refund.ThreadMessage, error) {
	return s.AddQuestionOp(ctx, requestID, text, audit)
}

// AddReply calls AddReplyOp (handler.ReplyAdder).
func (s StoreOps) AddReply(ctx context.Context, requestID, text string, audit refund.AuditEntry) (refund.ThreadMessage, error) {
	return s.AddReplyOp(ctx, requestID, text, audit)
}

// ListThread calls ListThreadOp (handler.ThreadLister).
func (s StoreOps) ListThread(ctx context.Context, requestID string) ([]refund.ThreadMessage, error) {
	return s.ListThreadOp(ctx, requestID)
}

// ThreadSummaries calls ThreadSummariesOp (handler.ThreadSummariesGetter).
func (s StoreOps) ThreadSummaries(ctx context.Context, requestIDs []string) (map[string]refund.ThreadSummary, error) {
	return s.ThreadSummariesOp(ctx, requestIDs)
}

// MailMarkers are the operations of store that handler.Emails needs to send each email once.
func MailMarkers(store *dynamo.Store) StoreOps {
	return StoreOps{ClaimMailOp: store.ClaimMail, MarkMailSentOp: store.MarkMailSent, ReleaseMailOp: store.ReleaseMail}
}
