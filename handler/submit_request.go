package handler

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/refund"
	"refundflow/web"
)

// SubmitRequest accepts the request form: POST /requests with a form body (answered 303 to the
// status page) or a JSON refund.Submission (answered 202 {"requestId","status","statusUrl"}).
//
// It validates the submission, gives the request a new ID, and reads the order it names. A submission
// that names the order (number, purchase date and email together, refund.Matches) is stored with the
// order's open-request lock, the status link code (its hash) and the "submitted" audit entry in one
// transaction, so a second open request for the same order is refused by the database (409). Any
// other submission (no such order, or a wrong date or email) is stored the same way without a lock,
// marked unmatched, and answered exactly as a matching one without an open request is; the workflow
// rejects it as naming no order. So the answer tells only someone who already knows the order's
// number, date and email that it has an open request, and a wrong guess cannot block the order.
// Then it starts the workflow with the request ID as execution name and {"requestId"} as input, so
// no personal data reaches Step Functions and a resubmission cannot start a second workflow.
//
// With an Idempotency-Key header, a retry with the same key and the same submission gets the first
// answer (for the same request) instead of a 409, and starts the workflow if the first attempt could
// not; the same key with a different submission is a 409. If the workflow cannot be started the answer
// is 503: the request is stored, and a retry with the same key starts it. A retry without a key gets
// the 409 of the open request, and starts that request's workflow if it is still submitted.
type SubmitRequest struct {
	// Store stores the request, its status links and the first answers to idempotent retries.
	Store SubmitRequestStore
	// Workflow starts the request's workflow.
	Workflow WorkflowStarter
	// PublicBaseURL builds the absolute statusUrl of JSON answers (env PUBLIC_BASE_URL, no trailing
	// slash); never the request's Host header.
	PublicBaseURL string
	// Clock stamps the request; nil means the wall clock.
	Clock Clock
	// LookupKey keys the hash of the client's email that staff find the request by
	// (refund.EmailLookup); StaffApi uses the same key. Nil stores no email lookup. A submission
	// without an Idempotency-Key needs it only once the order has been read, so a key still being
	// read at a cold start is waited for after that read, not before it.
	LookupKey LookupKey
	// StatusLinkTTL is how long the status link works; DefaultStatusLinkTTL when zero.
	StatusLinkTTL time.Duration
	// CrossOrigin refuses requests that a browser posts from a website other than the site and the
	// company's own (SITE_ORIGINS).
	CrossOrigin apigw.CrossOrigin
	// Logger receives problems that do not fail the request; nil discards.
	Logger *slog.Logger
}

// SubmitRequestStore is the table as SubmitRequest uses it.
type SubmitRequestStore interface {
	OrderGetter
	RequestCreator
	UnmatchedRequestCreator
	IdempotencyRecords
	LinkPutter
	RequestLister
}

// DefaultStatusLinkTTL is how long a status link works: long enough for any request to finish and be
// looked back on, short enough that the table's TTL eventually removes it.
const DefaultStatusLinkTTL = 400 * 24 * time.Hour

// IdempotencyKeyHeader is the optional header that makes a retried POST /requests safe.
const IdempotencyKeyHeader = "Idempotency-Key"

// maxIdempotencyKeyLen bounds the header; a UUID has 36 characters.
const maxIdempotencyKeyLen = 255

// SubmitAnswer is the JSON answer to a submission (202 Accepted).
type SubmitAnswer struct {
	// RequestID identifies the request; the workflow's execution has the same name.
	RequestID string `json:"requestId"`
	// Status is the request's status when it was accepted: "submitted".
	Status refund.Status `json:"status"`
	// StatusURL is the status page, with the status code that opens it.
	StatusURL string `json:"statusUrl"`
}

// Handle answers one API Gateway event; errors become error pages or JSON errors through
// apigw.Handle.
func (h SubmitRequest) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return apigw.Handle(h.serve)(ctx, req)
}

func (h SubmitRequest) serve(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if route, _ := matchRoute(req, "/requests"); route == "" {
		return events.APIGatewayV2HTTPResponse{}, errPageNotFound()
	}
	if m := apigw.Method(req); m != http.MethodPost {
		return events.APIGatewayV2HTTPResponse{}, errMethod(m)
	}
	if err := h.CrossOrigin.Check(req); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	sub, err := readSubmission(req)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	key, err := idempotencyKey(req)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	now := h.Clock.now()
	id, err := NewRequestID(now)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	r, err := refund.NewRequest(id, sub, now)
	if err != nil {
		return h.formError(req, sub, err)
	}
	// Staff find the request by the email's keyed hash; never by anything the client sent for it. The
	// fingerprint that tells a retry from another submission has always covered that hash, so with an
	// Idempotency-Key it is computed first; without one, only once the order has been read, which
	// gives a lookup key still being read at a cold start (secrets.LookupKey) time to arrive.
	setLookup := func() (err error) {
		sub.EmailLookup, err = emailLookup(ctx, h.LookupKey, sub.Email)
		return err
	}
	if key != "" {
		if err := setLookup(); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
	}
	fingerprint := submissionFingerprint(sub)

	if key != "" {
		rec, err := h.Store.GetIdempotency(ctx, key)
		switch refund.ErrorCode(err) {
		case "":
			return h.replay(ctx, req, rec, fingerprint)
		case refund.CodeNotFound:
		default:
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("read idempotency record: %w", err)
		}
	}

	code, err := NewCode()
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	link := refund.LinkCode{Hash: refund.HashCode(code), Purpose: refund.LinkStatus, ExpiresAt: now.Add(h.linkTTL())}
	create, err := h.creator(ctx, sub, r.OrderNumber)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if key == "" {
		if err := setLookup(); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
	}
	err = create(ctx, r, sub, link, clientAudit(req, "submitted"))
	if refund.ErrorCode(err) == refund.CodeConflict && key != "" {
		// A retry racing its own first attempt: if that attempt has stored its answer by now, this
		// is the same submission, not a second request.
		if rec, gerr := h.Store.GetIdempotency(ctx, key); gerr == nil {
			return h.replay(ctx, req, rec, fingerprint)
		}
	}
	if refund.ErrorCode(err) == refund.CodeConflict {
		h.restartStuck(ctx, r.OrderNumber)
	}
	if err != nil {
		return h.formError(req, sub, err)
	}

	if key != "" {
		// Stored before the workflow starts, so that a retry after a failed start finds it.
		body, _ := json.Marshal(idempotentAnswer{RequestID: id, Status: r.Status})
		rec := refund.IdempotencyRecord{
			Key: key, Fingerprint: fingerprint, StatusCode: successStatus(req),
			ContentType: "application/json", Body: string(body), RequestID: id,
		}
		if err := h.Store.PutIdempotency(ctx, rec); err != nil {
			// The request is stored; only the retry shortcut is lost. Carry on.
			logger(h.Logger).WarnContext(ctx, "store idempotency record", "requestId", id, "error", err.Error())
		}
	}
	if err := h.start(ctx, id); err != nil {
		return h.startFailed(ctx, req, id, key, err)
	}
	return h.accepted(req, id, r.Status, code, false)
}

// creator returns how to store the submission: with the order's open-request lock when it names the
// order, or unmatched, without a lock, when no order has the number or its date or email differ.
// Only a store failure is an error; which of the two it is shows in nothing but the store's answer
// to a second open request, which only a matching submitter can get.
func (h SubmitRequest) creator(ctx context.Context, sub refund.Submission, number string) (func(context.Context, refund.Request, refund.Submission, refund.LinkCode, refund.AuditEntry) error, error) {
	o, err := h.Store.GetOrder(ctx, number)
	switch refund.ErrorCode(err) {
	case "":
		if refund.Matches(sub, &o) {
			return h.Store.CreateRequest, nil
		}
	case refund.CodeNotFound:
	default:
		return nil, fmt.Errorf("read the order of a submission: %w", err)
	}
	return h.Store.CreateUnmatchedRequest, nil
}

// idempotencyKeyScope prefixes the client's key, so that the same key sent to another route could
// never answer with this route's record.
const idempotencyKeyScope = "POST /requests:"

// idempotencyKey returns the scoped Idempotency-Key, or "" when the header is absent. A key that is
// too long or not printable ASCII is refused (400): it would be ambiguous in logs and proxies.
func idempotencyKey(req events.APIGatewayV2HTTPRequest) (string, error) {
	k := strings.TrimSpace(apigw.Header(req, IdempotencyKeyHeader))
	if k == "" {
		return "", nil
	}
	bad := len(k) > maxIdempotencyKeyLen
	for i := 0; i < len(k) && !bad; i++ {
		bad = k[i] < 0x21 || k[i] > 0x7e
	}
	if bad {
		msg := fmt.Sprintf("The Idempotency-Key header must be 1–%d printable ASCII characters without spaces, such as a UUID.", maxIdempotencyKeyLen)
		return "", refund.InvalidField(IdempotencyKeyHeader, msg)
	}
	return idempotencyKeyScope + k, nil
}

// readSubmission reads the body as a form or as JSON, by its Content-Type.
func readSubmission(req events.APIGatewayV2HTTPRequest) (refund.Submission, error) {
	mt, _, _ := mime.ParseMediaType(apigw.Header(req, "content-type"))
	switch strings.ToLower(mt) {
	case "application/json":
		var sub refund.Submission
		if err := apigw.DecodeJSON(req, &sub); err != nil {
			return refund.Submission{}, err
		}
		return sub, nil
	case "application/x-www-form-urlencoded":
		values, err := apigw.Form(req)
		if err != nil {
			return refund.Submission{}, err
		}
		return web.SubmissionFromForm(values), nil
	default:
		return refund.Submission{}, &refund.Error{Code: apigw.CodeUnsupportedMediaType,
			Message: "Send the request as a form (application/x-www-form-urlencoded) or as JSON (application/json).",
			Err:     fmt.Errorf("submit request: content type %q", apigw.Header(req, "content-type"))}
	}
}

// formError answers a refused submission: JSON clients get the error body; browsers get the form
// again with what they typed and the messages (400 for invalid fields, 409 for an open request).
func (h SubmitRequest) formError(req events.APIGatewayV2HTTPRequest, sub refund.Submission, err error) (events.APIGatewayV2HTTPResponse, error) {
	code := refund.ErrorCode(err)
	if apigw.WantsJSON(req) || (code != refund.CodeInvalid && code != refund.CodeConflict) {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	status, d := apigw.Describe(req, err)
	page := web.FormPage{Values: sub}
	if code == refund.CodeInvalid && len(d.Fields) > 0 {
		page.Errors = d.Fields
	} else {
		page.Message = d.Message
	}
	return apigw.Page(status, page)
}

// idempotentAnswer is the stored form of a first answer. The status link code is deliberately not
// part of it: only hashes of link codes are ever stored, so a replay gets a fresh status code for
// the same request.
type idempotentAnswer struct {
	RequestID string        `json:"requestId"`
	Status    refund.Status `json:"status"`
}

// successStatus is the status of a successful answer for this client: 202 for JSON, 303 for a form.
func successStatus(req events.APIGatewayV2HTTPRequest) int {
	if apigw.WantsJSON(req) {
		return http.StatusAccepted
	}
	return http.StatusSeeOther
}

// replay answers a retry that carries a key already used: the same submission gets the first
// answer (and the workflow is started if it is not running yet); another submission is refused.
func (h SubmitRequest) replay(ctx context.Context, req events.APIGatewayV2HTTPRequest, rec refund.IdempotencyRecord, fingerprint string) (events.APIGatewayV2HTTPResponse, error) {
	if rec.Fingerprint != fingerprint {
		return events.APIGatewayV2HTTPResponse{}, &refund.Error{Code: refund.CodeConflict,
			Message: "This Idempotency-Key was already used for a different request. Use a new key for a new request."}
	}
	var first idempotentAnswer
	if err := json.Unmarshal([]byte(rec.Body), &first); err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("decode stored answer for request %s: %w", rec.RequestID, err)
	}
	if first.RequestID == "" {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("stored answer for request %s has no request id", rec.RequestID)
	}
	if err := h.start(ctx, first.RequestID); err != nil {
		return h.startFailed(ctx, req, first.RequestID, "replay", err)
	}
	code, err := NewCode()
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	link := refund.LinkCode{Hash: refund.HashCode(code), RequestID: first.RequestID, Purpose: refund.LinkStatus,
		ExpiresAt: h.Clock.now().Add(h.linkTTL())}
	if err := h.Store.PutLinkCode(ctx, link); err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("status link for replayed request %s: %w", first.RequestID, err)
	}
	return h.accepted(req, first.RequestID, first.Status, code, true)
}

// accepted is the success answer: 303 to the status page for a browser, 202 with SubmitAnswer for
// JSON. Replays carry Idempotent-Replayed: true.
func (h SubmitRequest) accepted(req events.APIGatewayV2HTTPRequest, id string, status refund.Status, code string, replayed bool) (events.APIGatewayV2HTTPResponse, error) {
	path := "/requests/" + id + "?t=" + code // both are URL-safe by construction
	var resp events.APIGatewayV2HTTPResponse
	if apigw.WantsJSON(req) {
		resp = apigw.JSON(http.StatusAccepted, SubmitAnswer{RequestID: id, Status: status, StatusURL: h.PublicBaseURL + path})
	} else {
		resp = apigw.Redirect(path)
	}
	if replayed {
		resp.Headers["Idempotent-Replayed"] = "true"
	}
	return resp, nil
}

// start starts the request's workflow: its execution, named after the request, with the request ID
// as its only input (refund.WorkflowInput), so no personal data reaches Step Functions. SubmitRequest
// and the sweeper send exactly the same name and input, so a second start of a running execution
// returns it, and one of an execution that ended (existed) counts as started.
func (h SubmitRequest) start(ctx context.Context, id string) error {
	_, err := h.Workflow.Start(ctx, refund.WorkflowInput{RequestID: id})
	return err
}

// maxStuckPages bounds the look for stuck requests: submitted is a state requests leave within
// seconds, so one page almost always holds them all.
const maxStuckPages = 3

// restartStuck starts the workflow of the order's requests that are still submitted. It runs when a
// submission is refused because the order already has an open request: if that request's workflow
// never started (StartExecution failed and the client retried without an Idempotency-Key), the
// retry starts it now, so the "we will keep you informed" of the 409 comes true. Starting a workflow
// that runs or ran is harmless (execution name = request id). Failures are only logged: the 409
// stands either way.
func (h SubmitRequest) restartStuck(ctx context.Context, orderNumber string) {
	log := logger(h.Logger)
	cursor := ""
	for range maxStuckPages {
		recs, next, err := h.Store.ListRequestsByStatus(ctx, refund.StatusSubmitted, 100, cursor)
		if err != nil {
			log.WarnContext(ctx, "look for a stuck submitted request", "error", err.Error())
			return
		}
		for _, r := range recs {
			if r.OrderNumber != orderNumber {
				continue
			}
			if err := h.start(ctx, r.ID); err != nil {
				log.WarnContext(ctx, "restart workflow of a submitted request", "requestId", r.ID, "error", err.Error())
			}
		}
		if next == "" {
			return
		}
		cursor = next
	}
}

// startFailed answers 503 when the workflow could not be started. The request is stored and stays
// submitted; with an Idempotency-Key the retry starts it.
func (h SubmitRequest) startFailed(ctx context.Context, req events.APIGatewayV2HTTPRequest, id, key string, err error) (events.APIGatewayV2HTTPResponse, error) {
	logger(h.Logger).ErrorContext(ctx, "start workflow", "requestId", id, "error", err.Error(), "idempotencyKey", key != "")
	msg := "We saved your request but could not start processing it just now. Please send it again in a minute"
	if key != "" {
		msg += " with the same Idempotency-Key; it will not be stored twice."
	} else {
		msg += "."
	}
	return unavailable(req, msg)
}

func (h SubmitRequest) linkTTL() time.Duration {
	if h.StatusLinkTTL > 0 {
		return h.StatusLinkTTL
	}
	return DefaultStatusLinkTTL
}

// submissionFingerprint identifies a submission for the idempotency check: the SHA-256 of its
// normalised JSON, so a retry that differs only in spacing or case where case does not matter is
// the same submission, whether it came as a form or as JSON.
func submissionFingerprint(sub refund.Submission) string {
	data, _ := json.Marshal(sub.Normalize())
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// requestIDEncoding is lower-case base32 without padding: letters and digits only, so an ID is safe
// in URLs, DynamoDB keys and Step Functions execution names (which refuse spaces, brackets,
// wildcards and most punctuation, and allow at most 80 characters).
var requestIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewRequestID returns a new request ID such as "req-20250303-k5v3yq7n2mxb4tpwhd6c": the day of
// submission, for people scanning lists, and 100 random bits, so IDs cannot be guessed or collide.
func NewRequestID(now time.Time) (string, error) {
	b := make([]byte, 13)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes for a request id: %w", err)
	}
	return "req-" + now.UTC().Format("20060102") + "-" + requestIDEncoding.EncodeToString(b)[:20], nil
}
