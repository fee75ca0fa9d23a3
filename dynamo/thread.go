package dynamo

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"refundflow/refund"
)

// A request's thread (refund.ThreadMessage) lives in the request's partition:
//
//	REQ#<id>  MSG#<time>#<seq><rand>  refund.ThreadMessage (append-only)
//	REQ#<id>  THREAD                  {questions, answered, last_question_at}; GSI1 = QUESTIONS /
//	                                  <first unanswered question's time>#<id> while a question waits
//	REQ#<id>  QDAY#<yyyy-mm-dd>       {n}: the client's questions that day (UTC); ttl two days on
//
// A question is one transaction: the day's counter goes up only while it is below
// refund.QuestionsPerDay (a condition on the counter itself, so concurrent questions cannot both take
// the last place), with the message, the thread's counts and the audit entry. A reply is one
// transaction too: the message, the audit entry, and answered = questions on the thread item, which
// leaves GSI1, the queue of threads awaiting a reply.

const (
	prefixMessage  = "MSG#"
	prefixQDay     = "QDAY#"
	skThread       = "THREAD"
	gsi1Questions  = "QUESTIONS"
	maxThreadItems = 5000
	// qdayKeep is how long a day's question counter is kept after its day (TTL deletes it later;
	// nothing reads a counter of another day).
	qdayKeep = 48 * time.Hour
)

// messageItem is the stored form of a refund.ThreadMessage.
type messageItem struct {
	PK string `json:"PK"`
	SK string `json:"SK"`
	refund.ThreadMessage
}

// threadItem is the stored form of a request's thread counts.
type threadItem struct {
	RequestID      string    `json:"request_id"`
	Questions      int       `json:"questions"`
	Answered       int       `json:"answered"`
	LastQuestionAt time.Time `json:"last_question_at"`
}

// AddQuestion stores a client's message on a request's thread with its audit entry (action
// refund.ActionQuestion, the message as detail), if the client has sent fewer than
// refund.QuestionsPerDay that day (UTC, by the store's clock); the next one is CodeTooMany
// (refund.ErrTooManyQuestions). The text must be normalised already (refund.NormalizeMessage). It
// returns the message as stored.
func (s *Store) AddQuestion(ctx context.Context, requestID, text string, audit refund.AuditEntry) (refund.ThreadMessage, error) {
	m, msgPut, auditPut, err := s.threadMessage(requestID, refund.FromClient, text, audit, refund.ActionQuestion)
	if err != nil {
		return m, err
	}
	c := &expr{}
	counter := types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(s.Table),
		Key:       key(requestPK(requestID), prefixQDay+refund.QuestionDay(m.At)),
		UpdateExpression: aws.String("SET " + c.n("n") + " = if_not_exists(" + c.n("n") + ", " + c.i(0) + ") + " + c.i(1) +
			", " + c.n(AttrTTL) + " = " + c.i(refund.NextQuestionDay(m.At).Add(qdayKeep).Unix())),
		ConditionExpression:       aws.String("attribute_not_exists(" + c.n("n") + ") OR " + c.n("n") + " < " + c.i(refund.QuestionsPerDay)),
		ExpressionAttributeNames:  c.Names(),
		ExpressionAttributeValues: c.Values(),
	}}
	h := &expr{}
	head := types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(s.Table),
		Key:       key(requestPK(requestID), skThread),
		UpdateExpression: aws.String("SET " + h.n("questions") + " = if_not_exists(" + h.n("questions") + ", " + h.i(0) + ") + " + h.i(1) +
			", " + h.n("answered") + " = if_not_exists(" + h.n("answered") + ", " + h.i(0) + ")" +
			", " + h.n("last_question_at") + " = " + h.s(m.At.Format(time.RFC3339Nano)) +
			", " + h.n("request_id") + " = " + h.s(requestID) +
			", " + h.n(AttrGSI1PK) + " = " + h.s(gsi1Questions) +
			", " + h.n(AttrGSI1SK) + " = if_not_exists(" + h.n(AttrGSI1SK) + ", " + h.s(sortTime(m.At)+"#"+requestID) + ")"),
		ExpressionAttributeNames:  h.Names(),
		ExpressionAttributeValues: h.Values(),
	}}
	err = s.transact(ctx, []types.TransactWriteItem{counter, msgPut, head, auditPut})
	switch {
	case failedAt(err, 0):
		return refund.ThreadMessage{}, refund.ErrTooManyQuestions(m.At)
	case err != nil:
		return refund.ThreadMessage{}, fmt.Errorf("add question to request %s: %w", requestID, err)
	}
	return m, nil
}

// AddReply stores a staff reply on a request's thread with its audit entry (action
// refund.ActionReply; the entry's detail as given, which holds the reply and the staff's note), and
// marks every question sent so far answered, which takes the thread out of the queue of questions
// awaiting a reply. The text must be normalised already. It returns the message as stored.
func (s *Store) AddReply(ctx context.Context, requestID, text string, audit refund.AuditEntry) (refund.ThreadMessage, error) {
	m, msgPut, auditPut, err := s.threadMessage(requestID, refund.FromStaff, text, audit, refund.ActionReply)
	if err != nil {
		return m, err
	}
	h := &expr{}
	head := types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(s.Table),
		Key:       key(requestPK(requestID), skThread),
		// answered takes the count of questions as this transaction sees it: a question written after
		// it stays unanswered.
		UpdateExpression: aws.String("SET " + h.n("answered") + " = if_not_exists(" + h.n("questions") + ", " + h.i(0) + ")" +
			", " + h.n("questions") + " = if_not_exists(" + h.n("questions") + ", " + h.i(0) + ")" +
			" REMOVE " + h.n(AttrGSI1PK) + ", " + h.n(AttrGSI1SK)),
		ExpressionAttributeNames:  h.Names(),
		ExpressionAttributeValues: h.Values(),
	}}
	if err := s.transact(ctx, []types.TransactWriteItem{msgPut, head, auditPut}); err != nil {
		return refund.ThreadMessage{}, fmt.Errorf("add reply to request %s: %w", requestID, err)
	}
	return m, nil
}

// threadMessage prepares a message of the thread and its audit entry as transaction items.
func (s *Store) threadMessage(requestID string, from refund.MessageFrom, text string, audit refund.AuditEntry, action string) (refund.ThreadMessage, types.TransactWriteItem, types.TransactWriteItem, error) {
	var none types.TransactWriteItem
	if err := validID("request id", requestID); err != nil {
		return refund.ThreadMessage{}, none, none, err
	}
	audit.Action = action
	if audit.Detail == "" {
		audit.Detail = text
	}
	audit.Version = 0 // a message changes no version of the request
	audit, err := s.prepareAudit(audit, requestID, action)
	if err != nil {
		return refund.ThreadMessage{}, none, none, err
	}
	m := refund.ThreadMessage{
		RequestID: requestID, At: audit.At, From: from, Actor: audit.Actor, Text: text,
		ID: fmt.Sprintf("%s#%08x%s", sortTime(audit.At), auditSeq.Add(1), randomHex(4)),
	}
	item, err := marshal(messageItem{PK: requestPK(requestID), SK: prefixMessage + m.ID, ThreadMessage: m})
	if err != nil {
		return m, none, none, fmt.Errorf("encode message of request %s: %w", requestID, err)
	}
	put, err := s.auditPut(audit)
	if err != nil {
		return m, none, none, err
	}
	return m, creates(types.Put{TableName: aws.String(s.Table), Item: item}), put, nil
}

// ListThread returns a request's thread, oldest first; an unknown request has an empty thread.
func (s *Store) ListThread(ctx context.Context, requestID string) ([]refund.ThreadMessage, error) {
	if err := validID("request id", requestID); err != nil {
		return nil, err
	}
	items, err := s.queryAll(ctx, requestPK(requestID), prefixMessage, maxThreadItems)
	if err != nil {
		return nil, fmt.Errorf("list thread of request %s: %w", requestID, err)
	}
	msgs, err := decodeItems(items, "message of request "+requestID, func(it messageItem) refund.ThreadMessage { return it.ThreadMessage })
	if err != nil {
		return nil, err
	}
	sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].At.Before(msgs[j].At) })
	return msgs, nil
}

// maxBatchGet is the most keys one BatchGetItem takes.
const maxBatchGet = 100

// ThreadSummaries returns the counts of the threads of the requests ids, by request id; a request
// without a thread is absent. It reads them with one BatchGetItem per 100 requests rather than one
// read each, so a page of the staff queue costs one round trip for its questions (and the same
// capacity). Keys that DynamoDB leaves unprocessed (over its size or throughput limits) are asked for
// again, after a pause that doubles, up to maxBatchAttempts times.
func (s *Store) ThreadSummaries(ctx context.Context, ids []string) (map[string]refund.ThreadSummary, error) {
	out := make(map[string]refund.ThreadSummary, len(ids))
	seen := make(map[string]bool, len(ids))
	keys := make([]map[string]types.AttributeValue, 0, len(ids))
	for _, id := range ids {
		if err := validID("request id", id); err != nil {
			return nil, err
		}
		if !seen[id] {
			seen[id] = true
			keys = append(keys, key(requestPK(id), skThread))
		}
	}
	for len(keys) > 0 {
		n := min(len(keys), maxBatchGet)
		pending := map[string]types.KeysAndAttributes{s.Table: {Keys: keys[:n], ConsistentRead: aws.Bool(true)}}
		keys = keys[n:]
		delay := 20 * time.Millisecond
		for attempt := 1; len(pending) > 0; attempt++ {
			if attempt > 1 {
				if attempt > maxBatchAttempts {
					return nil, fmt.Errorf("get threads: %d keys still unprocessed after %d attempts", len(pending[s.Table].Keys), maxBatchAttempts)
				}
				select {
				case <-ctx.Done():
					return nil, fmt.Errorf("get threads: %w", ctx.Err())
				case <-time.After(delay):
				}
				delay *= 2
			}
			res, err := s.Client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return nil, fmt.Errorf("get threads: %w", err)
			}
			for _, item := range res.Responses[s.Table] {
				var it struct {
					PK string `json:"PK"`
					threadItem
				}
				if err := unmarshal(item, &it); err != nil {
					return nil, fmt.Errorf("decode thread: %w", err)
				}
				id := strings.TrimPrefix(it.PK, prefixRequest)
				out[id] = it.summary(id)
			}
			pending = res.UnprocessedKeys
		}
	}
	return out, nil
}

// maxBatchAttempts is how many times a batch read asks for keys that DynamoDB leaves unprocessed.
const maxBatchAttempts = 5

// summary returns the counts of a stored thread.
func (it threadItem) summary(requestID string) refund.ThreadSummary {
	return refund.ThreadSummary{RequestID: requestID, Questions: it.Questions, Unanswered: max(it.Questions-it.Answered, 0), LastQuestionAt: it.LastQuestionAt}
}

// ListUnansweredThreads returns one page of the threads with a question awaiting a staff reply, the
// longest-waiting first (by its first unanswered question). limit and cursor work as in
// ListRequestsByStatus.
func (s *Store) ListUnansweredThreads(ctx context.Context, limit int, cursor string) (threads []refund.ThreadSummary, next string, err error) {
	items, next, err := s.queryGSI1(ctx, gsi1Questions, "", limit, cursor, true)
	if err != nil {
		return nil, "", fmt.Errorf("list unanswered threads: %w", err)
	}
	threads, err = decodeItems(items, "thread", func(it threadItem) refund.ThreadSummary { return it.summary(it.RequestID) })
	if err != nil {
		return nil, "", err
	}
	return threads, next, nil
}
