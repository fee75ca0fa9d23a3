package handler

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/apigw"
	"refundflow/payment"
	"refundflow/refund"
)

// find answers GET /staff/api/requests?q=<text>: the requests an order number, a client's email
// (exact, without regard to case), a request ID or a refund reference names, newest first, in one
// page (Next is always ""). The email is looked up by its keyed hash (refund.EmailLookup with
// LookupKey) and is neither logged nor stored in clear. The provider's refund id ("re_...", the refund
// reference of the outcome email) is asked of the provider (Refunds): the refund's metadata names its
// request, which is then read; the table keeps no item keyed by the provider's id, so finding by it
// costs no write on the refund's path. An unknown refund, or one made for no request of ours, finds
// nothing; a provider that cannot be reached is a 503.
func (h StaffApi) find(ctx context.Context, req events.APIGatewayV2HTTPRequest, q string) (events.APIGatewayV2HTTPResponse, error) {
	search, err := refund.ParseSearch(q)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	found := string(search.Kind)
	if search.Kind == refund.SearchProviderRefund {
		id, err := h.providerRefundRequest(ctx, search.Value)
		switch {
		case payment.IsUnavailable(err):
			logger(h.Logger).WarnContext(ctx, "payment provider unavailable for a refund search", "error", err.Error())
			return unavailableJSON(req, "The payment provider could not be reached to look the refund up. Search again in a minute, or by order number.")
		case err != nil:
			return events.APIGatewayV2HTTPResponse{}, err
		case id == "":
			return apigw.JSON(http.StatusOK, RequestList{Requests: []refund.Request{}, Unanswered: map[string]int{}, Found: found}), nil
		}
		search = refund.Search{Kind: refund.SearchRequest, Value: id}
	}
	if search.Kind == refund.SearchEmail {
		if h.LookupKey == nil {
			return events.APIGatewayV2HTTPResponse{}, refund.InvalidField("q",
				"Finding requests by email is not set up here (no lookup key); search by order number or request ID.")
		}
		if search.Value, err = emailLookup(ctx, h.LookupKey, search.Value); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
	}
	recs, err := h.Store.FindRequests(ctx, search, 0)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	out := RequestList{Requests: make([]refund.Request, 0, len(recs)), Found: found}
	for _, r := range recs {
		out.Requests = append(out.Requests, r.Request)
	}
	if out.Unanswered, err = h.unanswered(ctx, recs); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, out), nil
}

// providerRefundRequest returns the request ID the provider's refund refundID was made for: "" for a
// refund the provider does not know, one made without a request ID, or one whose request ID is not a
// request ID at all (a refund of another system's on the same account).
func (h StaffApi) providerRefundRequest(ctx context.Context, refundID string) (string, error) {
	if h.Refunds == nil {
		return "", errors.New("find by provider refund: no payment provider to ask")
	}
	id, err := h.Refunds.RefundRequestID(ctx, refundID)
	if errors.Is(err, payment.ErrRefundNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if s, perr := refund.ParseSearch(id); perr != nil || s.Kind != refund.SearchRequest {
		return "", nil
	}
	return strings.ToLower(id), nil
}
