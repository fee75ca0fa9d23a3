package dynamo

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/refund"
)

// maxAuditEntries bounds a request's audit trail as read back, a guard against a runaway partition.
const maxAuditEntries = 10000

// auditItem is the stored form of a refund.AuditEntry.
type auditItem struct {
	PK string `json:"PK"`
	SK string `json:"SK"`
	refund.AuditEntry
}

// prepareAudit fills defaults and cuts fields to their bounds (refund.AuditEntry.Bounded). It returns
// an error only for a missing actor or action, which is a programming mistake.
func (s *Store) prepareAudit(e refund.AuditEntry, requestID, defaultAction string) (refund.AuditEntry, error) {
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
	return e.Bounded(), nil
}

// auditSeq numbers the audit entries this process writes, so that entries with the same time (a
// test clock, or two writes within a clock tick) keep the order in which they were written.
var auditSeq atomic.Uint32

// auditPut returns the transaction item that appends e. The sort key is the time, then this
// process's sequence number (order within one instant), then random hex (no collision between
// processes); attribute_not_exists makes the trail append-only.
func (s *Store) auditPut(e refund.AuditEntry) (types.TransactWriteItem, error) {
	item, err := marshal(auditItem{
		PK:         requestPK(e.RequestID),
		SK:         fmt.Sprintf("%s%s#%08x%s", prefixAudit, sortTime(e.At), auditSeq.Add(1), randomHex(4)),
		AuditEntry: e,
	})
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode audit entry: %w", err)
	}
	return creates(types.Put{TableName: aws.String(s.Table), Item: item}), nil
}

// AppendAudit adds an entry to a request's audit trail on its own, for events that change nothing
// else (a link viewed, an email sent). Changes of state write their entry inside their transaction
// instead. The request does not have to exist.
func (s *Store) AppendAudit(ctx context.Context, e refund.AuditEntry) error {
	e.Version = 0 // an entry on its own changes no version
	e, err := s.prepareAudit(e, "", "")
	if err != nil {
		return err
	}
	put, err := s.auditPut(e)
	if err != nil {
		return err
	}
	// An entry that exists already was written by an earlier attempt of this very call (an SDK
	// retry after a lost response): the sort key ends in fresh random bits.
	if _, err := s.create(ctx, put); err != nil {
		return fmt.Errorf("append audit entry %q for request %s: %w", e.Action, e.RequestID, err)
	}
	return nil
}

// ListAudit returns a request's whole audit trail, oldest first. It follows DynamoDB's pages, so a
// trail larger than 1 MB comes back whole. An unknown request has an empty trail.
func (s *Store) ListAudit(ctx context.Context, requestID string) ([]refund.AuditEntry, error) {
	if err := validID("request id", requestID); err != nil {
		return nil, err
	}
	items, err := s.queryAll(ctx, requestPK(requestID), prefixAudit, maxAuditEntries)
	if err != nil {
		return nil, fmt.Errorf("list audit of request %s: %w", requestID, err)
	}
	entries, err := decodeItems(items, "audit entry of request "+requestID, func(it auditItem) refund.AuditEntry { return it.AuditEntry })
	if err != nil {
		return nil, err
	}
	// The sort key already orders by time; sorting again guards against a backend that returns pages
	// differently. Stable, so entries of the same instant keep the key order (the order written).
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].At.Before(entries[j].At) })
	return entries, nil
}
