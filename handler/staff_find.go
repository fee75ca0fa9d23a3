package handler

import (
	"context"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/refund"
)

// find answers GET /staff/api/requests?q=<text>: the requests an order number, a client's email
// (exact, without regard to case), a request ID or a refund reference names, newest first, in one
// page (Next is always ""). The email is looked up by its keyed hash (refund.EmailLookup with
// LookupKey) and is neither logged nor stored in clear.
func (h StaffApi) find(ctx context.Context, q string) (events.APIGatewayV2HTTPResponse, error) {
	search, err := refund.ParseSearch(q)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if search.Kind == refund.SearchEmail {
		if len(h.LookupKey) == 0 {
			return events.APIGatewayV2HTTPResponse{}, refund.InvalidField("q",
				"Finding requests by email is not set up here (no lookup key); search by order number or request ID.")
		}
		search.Value = refund.EmailLookup(h.LookupKey, search.Value)
	}
	recs, err := h.Store.FindRequests(ctx, search, 0)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	out := RequestList{Requests: make([]refund.Request, 0, len(recs)), Found: string(search.Kind)}
	for _, r := range recs {
		out.Requests = append(out.Requests, r.Request)
	}
	if out.Unanswered, err = h.unanswered(ctx, recs); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, out), nil
}
