package handler

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/refund"
)

// ViewWaiting is the staff console's default view (GET /staff/api/requests?view=waiting): the work
// waiting for staff, the requests that need attention first, then those in review, each oldest
// first (the longest unchanged, so the oldest work comes first).
const ViewWaiting = "waiting"

// waitingStatuses are the statuses of ViewWaiting, in the order they are listed.
var waitingStatuses = []refund.Status{refund.StatusNeedsAttention, refund.StatusInReview}

// countedStatuses are the open statuses whose counts every list answer carries: a terminal status's
// partition grows for ever, so it is not counted.
var countedStatuses = []refund.Status{refund.StatusNeedsAttention, refund.StatusInReview, refund.StatusSubmitted,
	refund.StatusAwaitingConsent, refund.StatusExecuting}

// counts counts the requests of each open status.
func (h StaffApi) counts(ctx context.Context) (map[refund.Status]int, error) {
	out := make(map[refund.Status]int, len(countedStatuses))
	for _, st := range countedStatuses {
		n, err := h.Store.CountRequestsByStatus(ctx, st)
		if err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, nil
}

// waiting answers one page of ViewWaiting. Its cursor is the listing's own: "<i>.<status cursor>"
// with i the index of the status in waitingStatuses, so the page after the last one that needs
// attention is the first in review. A cursor of another shape is a 400, and the status cursor is
// checked by the store as any other.
func (h StaffApi) waiting(ctx context.Context, cursor string, limit int) (events.APIGatewayV2HTTPResponse, error) {
	phase, inner := 0, ""
	if cursor != "" {
		p, rest, ok := strings.Cut(cursor, ".")
		if !ok || (p != "0" && p != "1") || (p == "0" && rest == "") {
			return events.APIGatewayV2HTTPResponse{}, refund.InvalidField("cursor", "This page link is not valid any more; please start again from the first page.")
		}
		phase, inner = int(p[0]-'0'), rest
	}
	recs, next, err := h.Store.ListRequestsByStatus(ctx, waitingStatuses[phase], limit, inner)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	out := RequestList{Requests: make([]refund.Request, 0, len(recs)), View: ViewWaiting}
	switch {
	case next != "":
		out.Next = string(rune('0'+phase)) + "." + next
	case phase+1 < len(waitingStatuses):
		out.Next = string(rune('0'+phase+1)) + "."
	}
	for _, r := range recs {
		out.Requests = append(out.Requests, r.Request)
	}
	if out.Unanswered, err = h.unanswered(ctx, recs); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if cursor == "" {
		if out.Counts, err = h.counts(ctx); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
	}
	return apigw.JSON(http.StatusOK, out), nil
}

// listView routes the list's query: a search (q), a view, or a status.
func (h StaffApi) listView(ctx context.Context, req events.APIGatewayV2HTTPRequest, q url.Values, cursor string, limit int) (events.APIGatewayV2HTTPResponse, bool, error) {
	switch {
	case q.Has("q"):
		r, err := h.find(ctx, req, q.Get("q"))
		return r, true, err
	case q.Has("view") && q.Get("view") != ViewWaiting:
		return events.APIGatewayV2HTTPResponse{}, true, refund.InvalidField("view", "The only view is \"waiting\".")
	case q.Get("view") == ViewWaiting:
		r, err := h.waiting(ctx, cursor, limit)
		return r, true, err
	}
	return events.APIGatewayV2HTTPResponse{}, false, nil
}
