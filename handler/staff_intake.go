package handler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/refund"
)

// TakenAnswer is the answer to POST /staff/api/requests (201 Created; a replay with the same
// Idempotency-Key gets it again with Idempotent-Replayed: true).
type TakenAnswer struct {
	// RequestID identifies the request; its workflow's execution has the same name.
	RequestID string `json:"requestId"`
	// Status is the request's status when it was taken: "submitted".
	Status refund.Status `json:"status"`
	// Channel is how the client reached the company.
	Channel refund.Channel `json:"channel"`
	// TakenBy is the member of staff who took it ("staff:<sub>").
	TakenBy string `json:"taken_by"`
}

// staffIntakeScope prefixes the Idempotency-Key of a staff intake, so that a key sent to another
// route can never answer with this route's record.
const staffIntakeScope = "POST /staff/api/requests:"

// take creates a request for a client who phoned or wrote (POST /staff/api/requests): the same
// workflow as the web form runs (verification, policy, review rules), with the order's purchase date,
// email and name from the order on record, so the options email goes to the order's email on record
// only, and consent stays the client's own act through that email's link. No staff route accepts or
// declines for the client. The audit trail's first entry names the member of staff and the channel.
//
// An unknown order is 404 (staff may know which orders exist); an order with an open request is 409.
// With an Idempotency-Key header a retry with the same body gets the first answer (and starts the
// workflow if the first attempt could not); the same key with another body is 409.
func (h StaffApi) take(ctx context.Context, req events.APIGatewayV2HTTPRequest, actor string) (events.APIGatewayV2HTTPResponse, error) {
	var in refund.StaffIntake
	if err := apigw.DecodeJSON(req, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	key, err := idempotencyKey(req)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if key != "" {
		key = staffIntakeScope + strings.TrimPrefix(key, idempotencyKeyScope)
	}
	fingerprint := intakeFingerprint(in)
	if key != "" {
		rec, err := h.Store.GetIdempotency(ctx, key)
		switch refund.ErrorCode(err) {
		case "":
			return h.replayTaken(ctx, req, rec, fingerprint)
		case refund.CodeNotFound:
		default:
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("read idempotency record: %w", err)
		}
	}
	if !refund.ValidOrderNumber(strings.ToUpper(strings.TrimSpace(in.OrderNumber))) {
		return events.APIGatewayV2HTTPResponse{}, refund.InvalidField("order_number", "must be an order number: letters, digits and dashes")
	}
	order, err := h.Store.GetOrder(ctx, in.OrderNumber)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err // 404 for an unknown order: staff may know
	}
	now := h.Clock.now()
	id, err := NewRequestID(now)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	r, sub, err := refund.NewTakenRequest(id, in, order, now)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	// Found later by the email like a request from the form (the key is StaffApi's LookupKey).
	if sub.EmailLookup, err = emailLookup(ctx, h.LookupKey, sub.Email); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	code, err := NewCode()
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	link := refund.LinkCode{Hash: refund.HashCode(code), Purpose: refund.LinkStatus, ExpiresAt: now.Add(DefaultStatusLinkTTL)}
	audit := refund.AuditEntry{Actor: actor, Action: "submitted", Detail: fmt.Sprintf("taken by %s by %s", actor, in.Channel)}
	err = h.Store.CreateRequest(ctx, r, sub, link, audit)
	if refund.ErrorCode(err) == refund.CodeConflict && key != "" {
		// A retry racing its own first attempt.
		if rec, gerr := h.Store.GetIdempotency(ctx, key); gerr == nil {
			return h.replayTaken(ctx, req, rec, fingerprint)
		}
	}
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	answer := TakenAnswer{RequestID: id, Status: r.Status, Channel: r.Channel, TakenBy: actor}
	if key != "" {
		body, _ := json.Marshal(answer)
		rec := refund.IdempotencyRecord{Key: key, Fingerprint: fingerprint, StatusCode: http.StatusCreated,
			ContentType: "application/json", Body: string(body), RequestID: id}
		if err := h.Store.PutIdempotency(ctx, rec); err != nil {
			logger(h.Logger).WarnContext(ctx, "store idempotency record", "requestId", id, "error", err.Error())
		}
	}
	logger(h.Logger).InfoContext(ctx, "request taken by staff", "requestId", id, "channel", string(r.Channel), "actor", actor)
	if _, err := h.Workflow.Start(ctx, refund.WorkflowInput{RequestID: id}); err != nil {
		return h.takeStartFailed(ctx, req, id, key, err)
	}
	return apigw.JSON(http.StatusCreated, answer), nil
}

// replayTaken answers a retry with a key already used: the same body gets the first answer (and the
// workflow is started if it is not running yet); another body is refused.
func (h StaffApi) replayTaken(ctx context.Context, req events.APIGatewayV2HTTPRequest, rec refund.IdempotencyRecord, fingerprint string) (events.APIGatewayV2HTTPResponse, error) {
	if rec.Fingerprint != fingerprint {
		return events.APIGatewayV2HTTPResponse{}, &refund.Error{Code: refund.CodeConflict,
			Message: "This Idempotency-Key was already used for a different request. Use a new key for a new request."}
	}
	if _, err := h.Workflow.Start(ctx, refund.WorkflowInput{RequestID: rec.RequestID}); err != nil {
		return h.takeStartFailed(ctx, req, rec.RequestID, "replay", err)
	}
	resp := apigw.JSON(rec.StatusCode, json.RawMessage(rec.Body))
	resp.Headers["Idempotent-Replayed"] = "true"
	return resp, nil
}

// takeStartFailed answers 503 when the workflow could not be started: the request is stored and
// stays submitted; a retry with the same key starts it, and so does the sweeper within minutes.
func (h StaffApi) takeStartFailed(ctx context.Context, req events.APIGatewayV2HTTPRequest, id, key string, err error) (events.APIGatewayV2HTTPResponse, error) {
	logger(h.Logger).ErrorContext(ctx, "start workflow", "requestId", id, "error", err.Error(), "idempotencyKey", key != "")
	return unavailableJSON(req, "The request "+id+" is saved but its processing could not start just now; it starts within minutes, or send it again with the same Idempotency-Key.")
}

// intakeFingerprint identifies an intake for the idempotency check: the SHA-256 of its JSON with
// the fields trimmed and the words that ignore case lower-cased.
func intakeFingerprint(in refund.StaffIntake) string {
	in.OrderNumber = strings.ToUpper(strings.TrimSpace(in.OrderNumber))
	in.Kind, in.Reason = strings.ToLower(strings.TrimSpace(in.Kind)), strings.ToLower(strings.TrimSpace(in.Reason))
	in.Details = strings.TrimSpace(strings.ReplaceAll(in.Details, "\r\n", "\n"))
	in.Channel = refund.Channel(strings.ToLower(strings.TrimSpace(string(in.Channel))))
	data, _ := json.Marshal(in)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
