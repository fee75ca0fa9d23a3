package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/refund"
)

// requestItem is the stored form of a request.
type requestItem struct {
	PK     string `json:"PK"`
	SK     string `json:"SK"`
	GSI1PK string `json:"GSI1PK"`
	GSI1SK string `json:"GSI1SK"`
	refund.RequestRecord
	TaskToken  string     `json:"task_token,omitempty"`
	TokenSetAt *time.Time `json:"token_set_at,omitempty"`
}

// gsi1Status returns the GSI1 key values that list a request under its status, oldest change first.
func gsi1Status(status refund.Status, updated time.Time, id string) (string, string) {
	return prefixStatus + string(status), sortTime(updated) + "#" + id
}

// newRequestItem builds the item of a newly submitted request.
func newRequestItem(req refund.Request, sub refund.Submission) requestItem {
	pk, sk := gsi1Status(req.Status, req.UpdatedAt, req.ID)
	return requestItem{
		PK: requestPK(req.ID), SK: skRequest, GSI1PK: pk, GSI1SK: sk,
		RequestRecord: refund.RequestRecord{Request: req, Submission: sub.Normalize(), StatusVersion: req.Version},
	}
}

// openLockItem is the one-open-request-per-order lock.
type openLockItem struct {
	PK        string    `json:"PK"`
	SK        string    `json:"SK"`
	RequestID string    `json:"request_id"`
	CreatedAt time.Time `json:"created_at"`
}

// prepareNewRequest validates a request for CreateRequest and fills its defaults.
func (s *Store) prepareNewRequest(req refund.Request) (refund.Request, error) {
	if err := validID("request id", req.ID); err != nil {
		return req, err
	}
	if !refund.ValidOrderNumber(req.OrderNumber) {
		return req, invalid("order_number", "The order number is not valid.")
	}
	if req.Status != refund.StatusSubmitted {
		return req, fmt.Errorf("create request %s: status must be %s, not %q", req.ID, refund.StatusSubmitted, req.Status)
	}
	if req.Version == 0 {
		req.Version = 1
	}
	now := s.now()
	if req.CreatedAt.IsZero() {
		req.CreatedAt = now
	}
	if req.UpdatedAt.IsZero() {
		req.UpdatedAt = req.CreatedAt
	}
	req.CreatedAt, req.UpdatedAt = req.CreatedAt.UTC(), req.UpdatedAt.UTC()
	return req, nil
}

// CreateRequest stores a newly submitted request whose submission named its order (refund.Matches) in
// one transaction with: the order's open-request lock (so the database, not a read-then-write,
// guarantees one open request per order), the status link code (purpose refund.LinkStatus unless
// set), and the "submitted" audit entry.
//
// req must have status submitted (refund.NewRequest makes one); version 0 is stored as 1, zero times
// as now. sub is stored normalised. A second open request for the same order is CodeConflict "There
// is already an open request for order ..." (a lock of the old layout counts while its request is
// open, see legacy.go); a reused request ID or link hash is CodeConflict too.
func (s *Store) CreateRequest(ctx context.Context, req refund.Request, sub refund.Submission, statusLink refund.LinkCode, audit refund.AuditEntry) error {
	return s.createRequest(ctx, req, sub, statusLink, audit, true)
}

// CreateUnmatchedRequest stores a newly submitted request whose submission did not name an order (no
// order has the number, or the purchase date or email differ) like CreateRequest, but without the
// order's open-request lock: the request is marked Unmatched, and the workflow rejects it as naming
// no order. So whoever sends a wrong date or email can neither learn from the answer whether the
// order has an open request nor block its real client from asking.
func (s *Store) CreateUnmatchedRequest(ctx context.Context, req refund.Request, sub refund.Submission, statusLink refund.LinkCode, audit refund.AuditEntry) error {
	return s.createRequest(ctx, req, sub, statusLink, audit, false)
}

// createRequest is CreateRequest (lock true) and CreateUnmatchedRequest (lock false).
func (s *Store) createRequest(ctx context.Context, req refund.Request, sub refund.Submission, statusLink refund.LinkCode, audit refund.AuditEntry, lock bool) error {
	req, err := s.prepareNewRequest(req)
	if err != nil {
		return err
	}
	if statusLink.Purpose == "" {
		statusLink.Purpose = refund.LinkStatus
	}
	if statusLink.CreatedAt.IsZero() {
		statusLink.CreatedAt = req.CreatedAt
	}
	statusLink, err = s.prepareLink(statusLink, req.ID)
	if err != nil {
		return err
	}
	if audit.Action == "" {
		audit.Action = "submitted"
	}
	audit.To = refund.StatusSubmitted
	if audit.At.IsZero() {
		audit.At = req.CreatedAt
	}
	audit.Version = req.Version
	audit, err = s.prepareAudit(audit, req.ID, "")
	if err != nil {
		return err
	}
	if lock {
		open, err := s.legacyOpenRequest(ctx, req.OrderNumber)
		if err != nil {
			return fmt.Errorf("create request %s for order %s: %w", req.ID, req.OrderNumber, err)
		}
		if open != "" {
			return openRequestConflict(req.OrderNumber)
		}
	}

	it := newRequestItem(req, sub)
	it.Unmatched = !lock
	reqItem, err := marshal(it)
	if err != nil {
		return fmt.Errorf("encode request %s: %w", req.ID, err)
	}
	linkPut, err := s.linkPut(statusLink)
	if err != nil {
		return err
	}
	auditPut, err := s.auditPut(audit)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{creates(types.Put{TableName: aws.String(s.Table), Item: reqItem}), linkPut, auditPut}
	if lock {
		lockItem, err := marshal(openLockItem{PK: lockPK(req.OrderNumber), SK: skOpen, RequestID: req.ID, CreatedAt: req.CreatedAt})
		if err != nil {
			return fmt.Errorf("encode open-request lock for request %s: %w", req.ID, err)
		}
		items = append(items, creates(types.Put{TableName: aws.String(s.Table), Item: lockItem}))
	}
	if err := s.putLookups(ctx, req, sub); err != nil {
		return err
	}
	err = s.transact(ctx, items)
	switch {
	case err == nil:
		return nil
	case lock && failedAt(err, 3):
		return openRequestConflict(req.OrderNumber)
	case failedAt(err, 0):
		return conflict("A request with ID %s already exists.", req.ID)
	case failedAt(err, 1):
		return conflict("This status link code already exists.")
	default:
		return fmt.Errorf("create request %s for order %s: %w", req.ID, req.OrderNumber, err)
	}
}

// openRequestConflict is the answer to a submitter who named an order that has an open request.
func openRequestConflict(orderNumber string) error {
	return conflict("There is already an open request for order %s. We will keep you informed about it by email; please wait for it to finish before sending another.", orderNumber)
}

// OpenRequestID returns the ID of the order's open request (the one holding the order's lock, or a
// lock of the old layout whose request is still open), or "" when the order has none. The order
// number is compared without regard to case.
func (s *Store) OpenRequestID(ctx context.Context, orderNumber string) (string, error) {
	if err := validID("order number", orderNumber); err != nil {
		return "", err
	}
	lock, ok, err := getOne[openLockItem](ctx, s, lockPK(orderNumber), skOpen, "open request of order "+orderNumber)
	if err != nil || ok {
		return lock.RequestID, err
	}
	return s.legacyOpenRequest(ctx, orderNumber)
}

// GetRequest returns the stored request, or CodeNotFound.
func (s *Store) GetRequest(ctx context.Context, id string) (refund.RequestRecord, error) {
	it, err := s.mustGetRequestItem(ctx, id)
	return it.RequestRecord, err
}

// getRequestItem reads the full request item, token included.
func (s *Store) getRequestItem(ctx context.Context, id string) (requestItem, bool, error) {
	if err := validID("request id", id); err != nil {
		return requestItem{}, false, err
	}
	return getOne[requestItem](ctx, s, requestPK(id), skRequest, "request "+id)
}

// mustGetRequestItem is getRequestItem for a request that must exist: an unknown one is CodeNotFound.
func (s *Store) mustGetRequestItem(ctx context.Context, id string) (requestItem, error) {
	it, ok, err := s.getRequestItem(ctx, id)
	if err == nil && !ok {
		err = notFound("Request %s was not found.", id)
	}
	return it, err
}

// maxTransactItems is DynamoDB's limit on the items of one TransactWriteItems.
const maxTransactItems = 100

// Transition moves request id from status from to status to, if it is still at version, in one
// transaction with the audit entry (From/To filled in; action "status_changed" unless set). Moving
// to a terminal status also releases the order's open-request lock, so the client can send a new
// request. The new version is version+1.
//
// A move the state machine does not allow (refund.CanTransition) is CodeConflict without touching the
// table. If the request is no longer at from/version, the error is CodeConflict saying what it is
// now and what changed it last; an unknown request is CodeNotFound.
func (s *Store) Transition(ctx context.Context, id string, from, to refund.Status, version int64, audit refund.AuditEntry, opts ...refund.ChangeOption) error {
	if err := validID("request id", id); err != nil {
		return err
	}
	if !refund.CanTransition(from, to) {
		return conflict("A request that is %s cannot become %s.", from, to)
	}
	audit.From, audit.To = from, to
	return s.change(ctx, id, from, to, version, audit, "status_changed", opts)
}

// Reopen moves request id, still at status from and version, to needs attention because its refund
// failed after the provider accepted it (refund.CanReopen: from is executing or completed), in one
// transaction with the audit entry. It is the one way out of completed; Transition keeps every final
// status final. A completed request takes the order's open-request lock again in the same
// transaction, so the client cannot open a second request while staff settle the money still owed;
// its move to a final status releases it, as for any request. When the order already has a newer open
// request (the client opened one after the first completed), that request keeps the lock and the
// reopened one goes to needs attention without it: the money is owed either way, and the order's
// ledger still bounds every refund of both.
func (s *Store) Reopen(ctx context.Context, id string, from refund.Status, version int64, audit refund.AuditEntry) error {
	if err := validID("request id", id); err != nil {
		return err
	}
	if !refund.CanReopen(from) {
		return conflict("A request that is %s cannot be reopened: only an executing or completed request whose refund failed later can.", from)
	}
	audit.From, audit.To = from, refund.StatusNeedsAttention
	if from == refund.StatusCompleted {
		cur, err := s.mustGetRequestItem(ctx, id)
		if err != nil {
			return err
		}
		if !cur.Unmatched {
			lock, err := s.takeLock(cur.OrderNumber, id)
			if err != nil {
				return err
			}
			err = s.change(ctx, id, from, refund.StatusNeedsAttention, version, audit, "reopened", nil, lock)
			if !errors.Is(err, errLockHeld) {
				return err
			}
		}
	}
	return s.change(ctx, id, from, refund.StatusNeedsAttention, version, audit, "reopened", nil)
}

// errLockHeld is change's answer when the order's open-request lock it was to take belongs to
// another request.
var errLockHeld = errors.New("the order's open-request lock belongs to another request")

// takeLock returns the transaction item that puts the order's open-request lock for the request,
// unless another request holds it (the request's own lock, still there, is put again).
func (s *Store) takeLock(orderNumber, requestID string) (types.TransactWriteItem, error) {
	item, err := marshal(openLockItem{PK: lockPK(orderNumber), SK: skOpen, RequestID: requestID, CreatedAt: s.now()})
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode open-request lock for request %s: %w", requestID, err)
	}
	x := &expr{}
	return types.TransactWriteItem{Put: &types.Put{
		TableName:                 aws.String(s.Table),
		Item:                      item,
		ConditionExpression:       aws.String("attribute_not_exists(" + x.n(AttrPK) + ") OR " + x.n("request_id") + " = " + x.s(requestID)),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
	}}, nil
}

// Decide records a decision that keeps the request's status but must still be made exactly once:
// a staff approval or adjustment of a review, the workflow's offers. Like Transition it is one
// transaction that requires the request to have status and version, moves the version to
// version+1, and writes the audit entry (whose Action is required) with the options' changes
// (refund.WithOffers, WithResume, WithPolicyVersion, ...). So of two decisions made on the same version
// exactly one is stored, and the other is CodeConflict saying what changed; an unknown request is
// CodeNotFound. UpdatedAt and the status listing are not touched: they follow status changes only.
func (s *Store) Decide(ctx context.Context, id string, status refund.Status, version int64, audit refund.AuditEntry, opts ...refund.ChangeOption) error {
	if err := validID("request id", id); err != nil {
		return err
	}
	if audit.Action == "" {
		return fmt.Errorf("decide on request %s: the audit entry's action is required", id)
	}
	audit.From, audit.To = "", ""
	return s.change(ctx, id, status, status, version, audit, "", opts)
}

// change writes a versioned change of a request (a Transition when from != to, a Decide otherwise):
// the request update first, then the audit entry, the lock taken (lock, at most one: Reopen) or
// released, the resume marker and the offers, whose positions the error decoding below relies on.
func (s *Store) change(ctx context.Context, id string, from, to refund.Status, version int64, audit refund.AuditEntry, defaultAction string, opts []refund.ChangeOption, lock ...types.TransactWriteItem) error {
	ch := refund.NewChange(opts...)
	if err := ch.Validate(); err != nil {
		return err
	}
	now := s.now()
	audit.Version = version + 1
	audit, err := s.prepareAudit(audit, id, defaultAction)
	if err != nil {
		return err
	}
	update, err := s.statusUpdate(id, from, to, version, now, ch)
	if err != nil {
		return err
	}
	auditPut, err := s.auditPut(audit)
	if err != nil {
		return err
	}
	items := append([]types.TransactWriteItem{update, auditPut}, lock...)
	release, lockOrder := -1, ""
	if to != from && to.Terminal() {
		cur, err := s.mustGetRequestItem(ctx, id)
		if err != nil {
			return err
		}
		if !cur.Unmatched {
			release, lockOrder = len(items), cur.OrderNumber
			items = append(items, s.releaseLock(cur.OrderNumber, id))
		}
	}
	if ch.Resume != nil {
		marker, err := s.resumePut(id, *ch.Resume, now)
		if err != nil {
			return err
		}
		items = append(items, marker)
	}
	firstOffer := len(items)
	if ch.Offers != nil {
		puts, err := s.offerPuts(id, *ch.Offers, now)
		if err != nil {
			return err
		}
		items = append(items, puts...)
	}
	if len(items) > maxTransactItems {
		return fmt.Errorf("change request %s: %d transaction items, more than DynamoDB's %d", id, len(items), maxTransactItems)
	}
	err = s.transactReleasing(ctx, items, release, lockOrder, id)
	switch {
	case err == nil:
		return nil
	case failedAt(err, 0):
		return s.explainChange(ctx, id, from, to, version, ch)
	case len(lock) > 0 && failedAt(err, 2):
		return errLockHeld
	}
	if ch.Offers != nil {
		for i, o := range ch.Offers.Offers {
			if failedAt(err, firstOffer+i) {
				return conflict("Offer %s already exists; offers never change, so a new set needs new offer IDs.", o.ID)
			}
		}
	}
	if from == to {
		return fmt.Errorf("record %s on request %s: %w", audit.Action, id, err)
	}
	return fmt.Errorf("move request %s from %s to %s: %w", id, from, to, err)
}

// statusUpdate returns the conditional update that moves a request from one status to another at a
// version, keeping GSI1 in step, plus any extra changes. With from == to the status, UpdatedAt and
// GSI1 stay as they are and only the version moves (a Decide).
func (s *Store) statusUpdate(id string, from, to refund.Status, version int64, now time.Time, ch refund.Change) (types.TransactWriteItem, error) {
	x := &expr{}
	update := "SET " + x.n("version") + " = " + x.n("version") + " + " + x.i(1)
	if to != from {
		nowAV, err := marshalValue(now)
		if err != nil {
			return types.TransactWriteItem{}, fmt.Errorf("encode time: %w", err)
		}
		gpk, gsk := gsi1Status(to, now, id)
		update += ", " + x.n("status") + " = " + x.s(string(to)) +
			", " + x.n("status_version") + " = " + x.i(version+1) +
			", " + x.n("updated_at") + " = " + x.v(nowAV) +
			", " + x.n(AttrGSI1PK) + " = " + x.s(gpk) +
			", " + x.n(AttrGSI1SK) + " = " + x.s(gsk)
	}
	if ch.ReviewMessage != nil {
		update += ", " + x.n("review_message") + " = " + x.s(*ch.ReviewMessage)
	}
	if ch.PolicyVersion != nil {
		update += ", " + x.n("policy_version") + " = " + x.s(*ch.PolicyVersion)
	}
	if ch.Verification != nil {
		av, err := marshalValue(*ch.Verification)
		if err != nil {
			return types.TransactWriteItem{}, fmt.Errorf("encode verification of request %s: %w", id, err)
		}
		update += ", " + x.n("verification") + " = " + x.v(av)
	}
	if ch.RefundAttempt != nil {
		update += ", " + x.n("refund_attempt") + " = " + x.i(int64(*ch.RefundAttempt))
	}
	cond := x.n("status") + " = " + x.s(string(from)) + " AND " + x.n("version") + " = " + x.i(version)
	if ch.Offers != nil {
		update += ", " + x.n("offer_set") + " = " + x.i(int64(ch.Offers.Number))
		// The version already pins the set; naming it too makes a caller's wrong set number a
		// conflict rather than a silent jump.
		if prev := ch.Offers.Number - 1; prev == 0 {
			cond += " AND (attribute_not_exists(" + x.n("offer_set") + ") OR " + x.n("offer_set") + " = " + x.i(0) + ")"
		} else {
			cond += " AND " + x.n("offer_set") + " = " + x.i(int64(prev))
		}
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                           aws.String(s.Table),
		Key:                                 key(requestPK(id), skRequest),
		UpdateExpression:                    aws.String(update),
		ConditionExpression:                 aws.String(cond),
		ExpressionAttributeNames:            x.Names(),
		ExpressionAttributeValues:           x.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}, nil
}

// releaseLock returns the transaction item that deletes an order's open-request lock if it belongs to
// the request (or is already gone), so that a terminal move never fails over a missing lock and never
// removes another request's lock. An unmatched request holds no lock and has no release: another
// request may hold the order's lock, and the condition would fail the move.
func (s *Store) releaseLock(orderNumber, requestID string) types.TransactWriteItem {
	x := &expr{}
	return types.TransactWriteItem{Delete: &types.Delete{
		TableName:                 aws.String(s.Table),
		Key:                       key(lockPK(orderNumber), skOpen),
		ConditionExpression:       aws.String("attribute_not_exists(" + x.n(AttrPK) + ") OR " + x.n("request_id") + " = " + x.s(requestID)),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
	}}
}

// transactReleasing runs the transaction items, whose item at index release (when release >= 0) is
// releaseLock's for the request's order. When that item's condition failed because another request
// holds the order's lock (a request reopened after the client opened a newer one: Reopen), it runs
// them again without it: the request's end must neither fail over that lock nor remove it. The lock
// is read only then, so a request's usual end costs no extra read.
func (s *Store) transactReleasing(ctx context.Context, items []types.TransactWriteItem, release int, orderNumber, requestID string) error {
	err := s.transact(ctx, items)
	if err == nil || release < 0 || !failedAt(err, release) {
		return err
	}
	lock, ok, gerr := getOne[openLockItem](ctx, s, lockPK(orderNumber), skOpen, "open request of order "+orderNumber)
	if gerr != nil || !ok || lock.RequestID == requestID {
		return err
	}
	return s.transact(ctx, slices.Delete(slices.Clone(items), release, release+1))
}

// explainChange reads the request after a failed change condition and says what is true now (the
// staff API adds which change got there first, see LastChange).
func (s *Store) explainChange(ctx context.Context, id string, from, to refund.Status, version int64, ch refund.Change) error {
	cur, err := s.GetRequest(ctx, id)
	if err != nil {
		return err
	}
	switch {
	case cur.Status != from && from != to:
		return conflict("Request %s is %s now, so it cannot move from %s to %s.", id, cur.Status, from, to)
	case cur.Status != from:
		return conflict("Request %s is %s now, not %s; reload it.", id, cur.Status, from)
	case cur.Version != version:
		return conflict("Request %s was changed by someone else (version %d, not %d); reload it and try again.", id, cur.Version, version)
	case ch.Offers != nil && cur.OfferSet != ch.Offers.Number-1:
		return conflict("Request %s has offer set %d now, so the offers cannot become set %d; reload it and try again.", id, cur.OfferSet, ch.Offers.Number)
	case from == to:
		return conflict("Request %s could not record the decision; reload it and try again.", id)
	default:
		return conflict("Request %s could not move from %s to %s; reload it and try again.", id, from, to)
	}
}

// LastChange returns the latest entry of the request's audit trail that changed its version (a
// status change or a decision), for telling the loser of a race what got there first; ok is false
// when the trail has none. It reads the whole trail, so only the staff API, whose conflicts a person
// reads, calls it.
func (s *Store) LastChange(ctx context.Context, id string) (entry refund.AuditEntry, ok bool, err error) {
	entries, err := s.ListAudit(ctx, id)
	if err != nil {
		return refund.AuditEntry{}, false, err
	}
	for _, e := range entries {
		if e.Version > 0 && (!ok || e.Version >= entry.Version) {
			entry, ok = e, true
		}
	}
	return entry, ok, nil
}

// SaveFindings stores the verification findings on the request without changing its status or
// version (findings are not state; Transition with WithVerification stores them together with a
// status change). An unknown request is CodeNotFound.
func (s *Store) SaveFindings(ctx context.Context, id string, v refund.Verification) error {
	if err := validID("request id", id); err != nil {
		return err
	}
	av, err := marshalValue(v)
	if err != nil {
		return fmt.Errorf("encode verification of request %s: %w", id, err)
	}
	x := &expr{}
	_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.Table),
		Key:                       key(requestPK(id), skRequest),
		UpdateExpression:          aws.String("SET " + x.n("verification") + " = " + x.v(av)),
		ConditionExpression:       aws.String("attribute_exists(" + x.n(AttrPK) + ")"),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
	})
	if isConditionFailed(err) {
		return notFound("Request %s was not found.", id)
	}
	if err != nil {
		return fmt.Errorf("save findings of request %s: %w", id, err)
	}
	return nil
}

// maxTaskToken bounds a stored token (Step Functions documents up to 2048 characters).
const maxTaskToken = 8192

// SetTaskToken stores the task token of the wait the request is parked in, replacing any earlier one
// (the reminder phase stores a fresh token). It is conditional on the request having status
// requireStatus (awaiting_consent or in_review), so a late step cannot park a token on a request that
// was already decided: then it is CodeConflict naming the current status, and the caller should act
// on that status instead. The version is not changed: a token is not a state change, and bumping it
// would make a concurrent consent fail for no reason.
func (s *Store) SetTaskToken(ctx context.Context, id string, kind refund.TokenKind, token string, requireStatus refund.Status) error {
	if err := validID("request id", id); err != nil {
		return err
	}
	if !kind.Valid() {
		return fmt.Errorf("set task token of request %s: kind %q is not valid", id, kind)
	}
	if token == "" || len(token) > maxTaskToken {
		return fmt.Errorf("set task token of request %s: token must be 1–%d bytes", id, maxTaskToken)
	}
	nowAV, err := marshalValue(s.now())
	if err != nil {
		return fmt.Errorf("encode time: %w", err)
	}
	x := &expr{}
	update := "SET " + x.n("task_token") + " = " + x.s(token) + ", " + x.n("token_kind") + " = " + x.s(string(kind)) +
		", " + x.n("token_set_at") + " = " + x.v(nowAV)
	cond := "attribute_exists(" + x.n(AttrPK) + ") AND " + x.n("status") + " = " + x.s(string(requireStatus))
	_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.Table),
		Key:                       key(requestPK(id), skRequest),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
	})
	if isConditionFailed(err) {
		cur, gerr := s.GetRequest(ctx, id)
		if gerr != nil {
			return gerr
		}
		return conflict("Request %s is %s now, not %s; the task token was not stored.", id, cur.Status, requireStatus)
	}
	if err != nil {
		return fmt.Errorf("set %s task token of request %s: %w", kind, id, err)
	}
	return nil
}

// GetTaskToken returns the stored task token of the request; a zero TaskToken (Token == "") when none
// was stored. An unknown request is CodeNotFound.
func (s *Store) GetTaskToken(ctx context.Context, id string) (refund.TaskToken, error) {
	it, err := s.mustGetRequestItem(ctx, id)
	return it.taskToken(), err
}

// taskToken returns the item's stored task token (a zero one when none is stored).
func (it requestItem) taskToken() refund.TaskToken {
	t := refund.TaskToken{Kind: it.TokenKind, Token: it.TaskToken}
	if it.TokenSetAt != nil {
		t.SetAt = it.TokenSetAt.UTC()
	}
	return t
}

// ListRequestsByStatus returns one page of the requests that have status, the longest-unchanged
// first, for the staff console. limit is the page size (1–1000; 0 means 50); a page can be shorter
// than limit when DynamoDB's 1 MB page limit applies. cursor is "" for the first page, and otherwise
// the next cursor a previous call returned for the same status; next is "" after the last page.
// Cursors are opaque to clients; a cursor that was tampered with or belongs to another listing is
// CodeInvalid. The index is eventually consistent: a request that just changed status may show up a
// moment later.
func (s *Store) ListRequestsByStatus(ctx context.Context, status refund.Status, limit int, cursor string) (requests []refund.RequestRecord, next string, err error) {
	if !status.Valid() {
		return nil, "", invalid("status", fmt.Sprintf("%q is not a request status.", refund.Truncate(string(status), 40)))
	}
	items, next, err := s.queryGSI1(ctx, prefixStatus+string(status), "", limit, cursor, true)
	if err != nil {
		return nil, "", fmt.Errorf("list %s requests: %w", status, err)
	}
	requests, err = decodeItems(items, string(status)+" request", func(it requestItem) refund.RequestRecord { return it.RequestRecord })
	if err != nil {
		return nil, "", err
	}
	return requests, next, nil
}

// SubmittedBefore returns one page of the IDs of the requests that entered status submitted before
// `before` and are still there, the longest-waiting first: the sweeper starts their workflow in case
// it never started. limit and cursor work as in ListRequestsByStatus; next is "" after the last page.
// The index is eventually consistent: a request that moved on a moment ago can still be listed.
func (s *Store) SubmittedBefore(ctx context.Context, before time.Time, limit int, cursor string) (ids []string, next string, err error) {
	// Sort keys are <updated>#<id>; a key that starts with a time before `before` sorts below the
	// bare time, whatever the id.
	items, next, err := s.queryGSI1(ctx, prefixStatus+string(refund.StatusSubmitted), sortTime(before), limit, cursor, true)
	if err != nil {
		return nil, "", fmt.Errorf("list requests submitted before %s: %w", sortTime(before), err)
	}
	ids, err = decodeItems(items, "submitted request", func(it requestItem) string { return it.ID })
	if err != nil {
		return nil, "", err
	}
	return ids, next, nil
}

// queryGSI1 reads one page of a GSI1 partition; with below set, only the sort keys below it.
func (s *Store) queryGSI1(ctx context.Context, pk, below string, limit int, cursor string, forward bool) ([]map[string]types.AttributeValue, string, error) {
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > 1000:
		return nil, "", invalid("limit", "The page size must be between 1 and 1000.")
	}
	start, err := decodeCursor(cursor, pk)
	if err != nil {
		return nil, "", err
	}
	x := &expr{}
	cond := x.n(AttrGSI1PK) + " = " + x.s(pk)
	if below != "" {
		cond += " AND " + x.n(AttrGSI1SK) + " < " + x.s(below)
	}
	out, err := s.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		IndexName:                 aws.String(IndexGSI1),
		KeyConditionExpression:    aws.String(cond),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
		ExclusiveStartKey:         start,
		Limit:                     aws.Int32(int32(limit)),
		ScanIndexForward:          aws.Bool(forward),
	})
	if err != nil {
		return nil, "", err
	}
	next, err := encodeCursor(out.LastEvaluatedKey)
	if err != nil {
		return nil, "", err
	}
	return out.Items, next, nil
}
