package handler

// The thread of a request: the client's questions from the status page (RequestStatus, POST
// /requests/{id}/questions) and the staff's replies (StaffApi, POST /staff/api/requests/{id}/replies),
// each an audited write. The thread's text is plain text everywhere: html/template escapes it on the
// status page and in the emails, the console sets it as textContent, and JSON carries it as a string.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/mail"
	"refundflow/refund"
	"refundflow/web"
)

// QuestionBody is the JSON body of POST /requests/{id}/questions: the status link's code (t) and the
// message (the same fields the status page's form posts).
type QuestionBody struct {
	T       string `json:"t"`
	Message string `json:"message"`
}

// ThreadItem is one message of the thread as the client sees it: who wrote (client or staff, never
// which member of staff), when, and the text.
type ThreadItem struct {
	At   time.Time          `json:"at"`
	From refund.MessageFrom `json:"from"`
	Text string             `json:"text"`
}

// clientThread turns the stored thread into the client's view of it.
func clientThread(thread []refund.ThreadMessage) []ThreadItem {
	out := make([]ThreadItem, 0, len(thread))
	for _, m := range thread {
		out = append(out, ThreadItem{At: m.At, From: m.From, Text: m.Text})
	}
	return out
}

// webThread turns the stored thread into the status page's.
func webThread(thread []refund.ThreadMessage) []web.ThreadEntry {
	out := make([]web.ThreadEntry, 0, len(thread))
	for _, m := range thread {
		out = append(out, web.ThreadEntry{At: m.At, FromStaff: m.From == refund.FromStaff, Text: m.Text})
	}
	return out
}

// ask stores the client's question. Browsers go back to the status page, at the thread; JSON gets the
// StatusView with the thread (201). Over the day's limit it is 429 with when the client can write
// again (refund.ErrTooManyQuestions).
func (h RequestStatus) ask(ctx context.Context, req events.APIGatewayV2HTTPRequest, id string) (events.APIGatewayV2HTTPResponse, error) {
	var body QuestionBody
	form, err := apigw.FormOrJSON(req, &body)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if form != nil {
		body = QuestionBody{T: form.Get("t"), Message: form.Get("message")}
	}
	if _, err := h.lookup(ctx, id, body.T); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	text, err := refund.NormalizeMessage("message", body.Message)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if _, err := h.Store.AddQuestion(ctx, id, text, clientAudit(req, refund.ActionQuestion)); err != nil {
		if refund.ErrorCode(err) == refund.CodeTooMany {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("question on request %s: %w", id, err)
	}
	if !apigw.WantsJSON(req) {
		return apigw.Redirect("/requests/" + url.PathEscape(id) + "?t=" + url.QueryEscape(body.T) + "&sent=question#questions"), nil
	}
	rec, err := h.Store.GetRequest(ctx, id)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("question on request %s: %w", id, err)
	}
	rec, entries, err := h.consistent(ctx, rec)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	thread, err := h.Store.ListThread(ctx, id)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("question on request %s: %w", id, err)
	}
	v := statusView(rec, entries)
	v.Thread = clientThread(thread)
	return apigw.JSON(http.StatusCreated, v), nil
}

// ReplyBody is the body of POST /staff/api/requests/{id}/replies.
type ReplyBody struct {
	// Message is the reply: emailed to the order's email on record and shown on the status page.
	Message string `json:"message"`
	// Note is required: why, for the audit trail (never sent to the client).
	Note string `json:"note"`
}

// ReplyResult is the answer to a staff reply.
type ReplyResult struct {
	// Reply is the message as stored.
	Reply refund.ThreadMessage `json:"reply"`
	// Thread is the whole thread after the reply, oldest first.
	Thread []refund.ThreadMessage `json:"thread"`
	// Emailed says whether the reply email went out now. When false the reply is stored and shown
	// on the status page, and Message says that the email could not be sent.
	Emailed bool   `json:"emailed"`
	Message string `json:"message,omitempty"`
}

// msgReplyNotEmailed is the answer to a reply that is stored but whose email failed.
const msgReplyNotEmailed = "The reply is saved and shown on the client's status page, but the email could not be sent just now. Do not send it again; tell the client another way if it is urgent."

// reply stores a staff reply and emails it to the order's email on record, with a fresh status link
// (only the hashes of the client's links are stored, so the email needs a link of its own).
func (h StaffApi) reply(ctx context.Context, req events.APIGatewayV2HTTPRequest, actor, id string) (events.APIGatewayV2HTTPResponse, error) {
	var body ReplyBody
	if err := apigw.DecodeJSON(req, &body); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	text, err := refund.NormalizeMessage("message", body.Message)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	note := strings.TrimSpace(strings.ReplaceAll(body.Note, "\r\n", "\n"))
	if note == "" {
		return events.APIGatewayV2HTTPResponse{}, refund.InvalidField("note", "Write a note for the audit trail: why this answer.")
	}
	if len([]rune(note)) > maxReviewMessageRunes {
		return events.APIGatewayV2HTTPResponse{}, refund.InvalidField("note", fmt.Sprintf("Please shorten the note to at most %d characters.", maxReviewMessageRunes))
	}
	rec, err := h.Store.GetRequest(ctx, id)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	order, err := h.Store.GetOrder(ctx, rec.OrderNumber)
	switch refund.ErrorCode(err) {
	case "":
	case refund.CodeNotFound:
		return events.APIGatewayV2HTTPResponse{}, refund.Errorf(refund.CodeConflict,
			"Request %s has no order on record, so there is no email address to answer to.", id)
	default:
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("reply on request %s: %w", id, err)
	}
	audit := refund.AuditEntry{Actor: actor, Detail: "reply: " + text + "\nnote: " + note}
	m, err := h.Store.AddReply(ctx, id, text, audit)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	result := ReplyResult{Reply: m}
	// Each reply is its own email event, sent at most once (the mail marker); a failure is reported,
	// not retried here: a second POST would be a second reply.
	sent, err := h.Emails.once(ctx, id, "reply:"+m.ID, mail.KindReply, func() (mail.Data, error) {
		now := h.Clock.now()
		code, err := newLinkCode(ctx, h.Store, id, refund.LinkStatus, now, now.Add(DefaultStatusLinkTTL))
		if err != nil {
			return mail.Data{}, err
		}
		d := clientData(rec, order)
		d.StatusCode, d.StaffMessage = code, text
		return d, nil
	})
	if err != nil {
		logger(h.Logger).WarnContext(ctx, "send reply email", "requestId", id, "error", err.Error())
		result.Message = msgReplyNotEmailed
	}
	result.Emailed = sent && err == nil
	if result.Thread, err = h.Store.ListThread(ctx, id); err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("reply on request %s: %w", id, err)
	}
	return apigw.JSON(http.StatusCreated, result), nil
}

// unanswered counts, for a page of requests, the client's questions awaiting a reply: one batch read
// of the requests' thread counts (a page has at most 100 requests).
func (h StaffApi) unanswered(ctx context.Context, recs []refund.RequestRecord) (map[string]int, error) {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	sums, err := h.Store.ThreadSummaries(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	out := map[string]int{}
	for id, sum := range sums {
		if sum.Unanswered > 0 {
			out[id] = sum.Unanswered
		}
	}
	return out, nil
}
