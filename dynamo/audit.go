package dynamo

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/refund"
)

// AuditEntry is one line of a request's append-only audit trail: who did what, when, and from where.
// It never holds link codes, task tokens or other secrets.
type AuditEntry struct {
	// RequestID is the request the entry belongs to. Methods that take an entry alongside a request
	// fill it in.
	RequestID string `json:"request_id"`
	// At is when it happened; zero means "now" (the store's clock).
	At time.Time `json:"at"`
	// Actor is ActorClient, StaffActor(sub) or SystemActor(function).
	Actor string `json:"actor"`
	// Action names what happened, e.g. "submitted", "status_changed", "viewed", "consent_accepted".
	// Methods that write an entry with a change fill in a default when it is empty.
	Action string `json:"action"`
	// From and To are the status change the entry records, if any. Transition fills them in.
	From refund.Status `json:"from,omitempty"`
	To   refund.Status `json:"to,omitempty"`
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

// Actors that are not a person with an id.
const (
	// ActorClient is the client, acting through a link or the form.
	ActorClient = "client"
)

// StaffActor names a member of staff by their identity provider subject.
func StaffActor(sub string) string { return "staff:" + sub }

// SystemActor names a function of the system, e.g. SystemActor("VerifyConditions").
func SystemActor(function string) string { return "system:" + function }

// Bounds on audit fields. Values beyond them are cut, not refused: the audit trail must never make an
// action fail because a browser sent a long user agent.
const (
	maxAuditIP        = 64
	maxAuditUserAgent = 512
	maxAuditShort     = 200
	maxAuditDetail    = 4000
	maxAuditEntries   = 10000
)

// auditItem is the stored form of an AuditEntry.
type auditItem struct {
	PK string `json:"PK"`
	SK string `json:"SK"`
	AuditEntry
}

// prepareAudit fills defaults and cuts fields to their bounds. It returns an error only for a missing
// actor, which is a programming mistake.
func (s *Store) prepareAudit(e AuditEntry, requestID, defaultAction string) (AuditEntry, error) {
	if requestID != "" {
		e.RequestID = requestID
	}
	if err := validID("request id", e.RequestID); err != nil {
		return e, err
	}
	if strings.TrimSpace(e.Actor) == "" {
		return e, fmt.Errorf("audit entry for request %s: actor is required", e.RequestID)
	}
	if e.Action == "" {
		e.Action = defaultAction
	}
	if e.Action == "" {
		return e, fmt.Errorf("audit entry for request %s: action is required", e.RequestID)
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	e.At = e.At.UTC()
	e.Actor = truncate(e.Actor, maxAuditShort)
	e.Action = truncate(e.Action, maxAuditShort)
	e.IP = truncate(e.IP, maxAuditIP)
	e.UserAgent = truncate(e.UserAgent, maxAuditUserAgent)
	e.Detail = truncate(e.Detail, maxAuditDetail)
	return e, nil
}

// auditSeq numbers the audit entries this process writes, so that entries with the same time (a
// test clock, or two writes within a clock tick) keep the order in which they were written.
var auditSeq atomic.Uint32

// auditPut returns the transaction item that appends e. The sort key is the time, then this
// process's sequence number (order within one instant), then random hex (no collision between
// processes); attribute_not_exists makes the trail append-only.
func (s *Store) auditPut(e AuditEntry) (types.TransactWriteItem, error) {
	item, err := marshal(auditItem{
		PK:         requestPK(e.RequestID),
		SK:         fmt.Sprintf("%s%s#%08x%s", prefixAudit, sortTime(e.At), auditSeq.Add(1), randomHex(4)),
		AuditEntry: e,
	})
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode audit entry: %w", err)
	}
	x := &expr{}
	return types.TransactWriteItem{Put: &types.Put{
		TableName:                aws.String(s.Table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(" + x.n(AttrPK) + ")"),
		ExpressionAttributeNames: x.Names(),
	}}, nil
}

// AppendAudit adds an entry to a request's audit trail on its own, for events that change nothing
// else (a link viewed, an email sent). Changes of state write their entry inside their transaction
// instead. The request does not have to exist.
func (s *Store) AppendAudit(ctx context.Context, e AuditEntry) error {
	e.Version = 0 // an entry on its own changes no version
	e, err := s.prepareAudit(e, "", "")
	if err != nil {
		return err
	}
	put, err := s.auditPut(e)
	if err != nil {
		return err
	}
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                put.Put.TableName,
		Item:                     put.Put.Item,
		ConditionExpression:      put.Put.ConditionExpression,
		ExpressionAttributeNames: put.Put.ExpressionAttributeNames,
	})
	if isConditionFailed(err) {
		// The sort key ends in fresh random bits, so the entry can only exist because an earlier
		// attempt of this very call (an SDK retry after a lost response) wrote it.
		return nil
	}
	if err != nil {
		return fmt.Errorf("append audit entry %q for request %s: %w", e.Action, e.RequestID, err)
	}
	return nil
}

// ListAudit returns a request's whole audit trail, oldest first. It follows DynamoDB's pages, so a
// trail larger than 1 MB comes back whole. An unknown request has an empty trail.
func (s *Store) ListAudit(ctx context.Context, requestID string) ([]AuditEntry, error) {
	if err := validID("request id", requestID); err != nil {
		return nil, err
	}
	items, err := s.queryAll(ctx, requestPK(requestID), prefixAudit, maxAuditEntries)
	if err != nil {
		return nil, fmt.Errorf("list audit of request %s: %w", requestID, err)
	}
	entries := make([]AuditEntry, 0, len(items))
	for _, it := range items {
		var a auditItem
		if err := unmarshal(it, &a); err != nil {
			return nil, fmt.Errorf("decode audit entry of request %s: %w", requestID, err)
		}
		entries = append(entries, a.AuditEntry)
	}
	// The sort key already orders by time; sorting again guards against a backend that returns pages
	// differently. Stable, so entries of the same instant keep the key order (the order written).
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].At.Before(entries[j].At) })
	return entries, nil
}
