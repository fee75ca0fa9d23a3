package dynamo

import (
	"context"
	"fmt"
	"refundflow/refund"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Resume markers: a decision recorded for a request whose workflow is parked on a task token (a
// consent, a withdrawal, a staff review decision) must reach the workflow even when the
// SendTaskSuccess right after it fails. The transaction that records the decision also puts a small
// marker item,
//
//	REQ#<id>  RESUME  {request_id, outcome, recorded_at}; GSI1 = RESUME / <recorded_at>#<id>
//
// which the caller clears once the workflow took the outcome (or its wait is gone). A marker that
// stays pending is found by the ResumeDecisions sweeper with one Query of the GSI1 partition RESUME,
// which holds pending markers only, and delivered again. Markers are never deleted by the code (IAM
// allows DeleteItem only under ORDER#): clearing moves the marker to the GSI1 partition RESUMED,
// which nothing reads, and sets its TTL, so DynamoDB deletes the item later.

const (
	skResume    = "RESUME"
	gsi1Resume  = "RESUME"
	gsi1Resumed = "RESUMED"
	// resumeKeep is how long a cleared marker stays before TTL deletes it, so the audit of what was
	// resumed can be read for a while.
	resumeKeep = 30 * 24 * time.Hour
)

// resumeItem is the stored form of a refund.ResumeMarker. GSI1PK is RESUME while it is pending.
type resumeItem struct {
	PK     string `json:"PK"`
	SK     string `json:"SK"`
	GSI1PK string `json:"GSI1PK"`
	GSI1SK string `json:"GSI1SK"`
	refund.ResumeMarker
	ClearedAt *time.Time `json:"cleared_at,omitempty"`
	TTL       int64      `json:"ttl,omitempty"`
}

// resumePut returns the transaction item that records a pending marker, replacing any earlier
// marker of the request (the latest decision is the one to deliver; the workflow re-reads the
// status anyway).
func (s *Store) resumePut(id, outcome string, at time.Time) (types.TransactWriteItem, error) {
	if err := refund.ValidOutcome(outcome); err != nil {
		return types.TransactWriteItem{}, err
	}
	at = at.UTC()
	item, err := marshal(resumeItem{
		PK: requestPK(id), SK: skResume, GSI1PK: gsi1Resume, GSI1SK: sortTime(at) + "#" + id,
		ResumeMarker: refund.ResumeMarker{RequestID: id, Outcome: outcome, RecordedAt: at},
	})
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode resume marker of request %s: %w", id, err)
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: item}}, nil
}

// GetResume returns the request's resume marker and whether it is still pending; a request without
// one gives a zero marker and false.
func (s *Store) GetResume(ctx context.Context, id string) (refund.ResumeMarker, bool, error) {
	if err := validID("request id", id); err != nil {
		return refund.ResumeMarker{}, false, err
	}
	it, _, err := getOne[resumeItem](ctx, s, requestPK(id), skResume, "resume marker of request "+id)
	return it.ResumeMarker, err == nil && it.GSI1PK == gsi1Resume, err
}

// ClearResume marks the request's pending marker for outcome as done: it leaves the sweeper's
// listing and expires by TTL. It is conditional on the marker still being
// pending with that outcome, so a newer decision recorded meanwhile stays pending; cleared reports
// whether this call cleared it (false: already cleared, replaced, or never written).
func (s *Store) ClearResume(ctx context.Context, id, outcome string) (cleared bool, err error) {
	if err := validID("request id", id); err != nil {
		return false, err
	}
	now := s.now()
	nowAV, err := marshalValue(now)
	if err != nil {
		return false, fmt.Errorf("encode time: %w", err)
	}
	x := &expr{}
	// The GSI1 partition key moves to RESUMED instead of being removed: minidyn (one of the contract
	// suite's backends) ignores REMOVE of an index key attribute, and the sweeper's Query reads only
	// the RESUME partition either way.
	update := "SET " + x.n("cleared_at") + " = " + x.v(nowAV) + ", " + x.n(AttrTTL) + " = " + x.i(now.Add(resumeKeep).Unix()) +
		", " + x.n(AttrGSI1PK) + " = " + x.s(gsi1Resumed)
	cond := x.n(AttrGSI1PK) + " = " + x.s(gsi1Resume) + " AND " + x.n("outcome") + " = " + x.s(outcome)
	_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.Table),
		Key:                       key(requestPK(id), skResume),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("clear resume marker of request %s: %w", id, err)
	}
	return true, nil
}

// PendingResumes returns one page of the pending markers recorded before `before`, oldest first.
// limit is the page size (1–1000; 0 means 50); cursor is "" for the first page and otherwise the
// next cursor of the previous page; next is "" after the last page. The index is eventually
// consistent: a marker cleared a moment ago can still be listed, so callers read the marker again
// (GetResume) or act idempotently.
func (s *Store) PendingResumes(ctx context.Context, before time.Time, limit int, cursor string) (markers []refund.ResumeMarker, next string, err error) {
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > 1000:
		return nil, "", invalid("limit", "The page size must be between 1 and 1000.")
	}
	start, err := decodeCursor(cursor, gsi1Resume)
	if err != nil {
		return nil, "", err
	}
	x := &expr{}
	out, err := s.Client.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.Table),
		IndexName: aws.String(IndexGSI1),
		// Sort keys are <recorded_at>#<id>; a key that starts with a time before `before` sorts
		// below the bare time, whatever the id.
		KeyConditionExpression:    aws.String(x.n(AttrGSI1PK) + " = " + x.s(gsi1Resume) + " AND " + x.n(AttrGSI1SK) + " < " + x.s(sortTime(before))),
		ExpressionAttributeNames:  x.Names(),
		ExpressionAttributeValues: x.Values(),
		ExclusiveStartKey:         start,
		Limit:                     aws.Int32(int32(limit)),
		ScanIndexForward:          aws.Bool(true),
	})
	if err != nil {
		return nil, "", fmt.Errorf("list pending resume markers: %w", err)
	}
	markers, err = decodeItems(out.Items, "resume marker", func(it resumeItem) refund.ResumeMarker { return it.ResumeMarker })
	if err != nil {
		return nil, "", err
	}
	if next, err = encodeCursor(out.LastEvaluatedKey); err != nil {
		return nil, "", err
	}
	return markers, next, nil
}

// GetRequestAndToken reads a request and its stored task token with one strongly consistent read
// (the sweeper needs both, and they must belong to the same moment). An unknown request is
// CodeNotFound.
func (s *Store) GetRequestAndToken(ctx context.Context, id string) (refund.RequestRecord, refund.TaskToken, error) {
	it, err := s.mustGetRequestItem(ctx, id)
	return it.RequestRecord, it.taskToken(), err
}
