// Package submitfuncs builds the request form's function, SubmitRequest: the one client route that
// reads a secret (the email lookup key, see secrets.LookupKey), so it is a group of its own. The other
// client routes (formfuncs) then link neither the Secrets Manager client nor, in this binary, the
// PDF library they need, and no binary initialises a package it does not use at its cold start.
package submitfuncs

import (
	"context"

	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/secrets"
	"refundflow/handler"
)

// FunctionSubmitRequest is the logical ID of the request form's function, as template.yaml names it.
const FunctionSubmitRequest = "SubmitRequestFunction"

// SubmitRequest builds the SubmitRequestFunction handler (TABLE_NAME, STATE_MACHINE_ARN,
// PUBLIC_BASE_URL, SITE_ORIGINS, LOOKUP_KEY_SECRET_ARN, COMPANY_*).
func SubmitRequest(ctx context.Context, env lambdaenv.Env) (handler.SubmitRequest, error) {
	s := env.Store()
	h := handler.SubmitRequest{
		Store: lambdaenv.StoreOps{
			GetOrderOp: s.GetOrder, CreateRequestOp: s.CreateRequest, CreateUnmatchedRequestOp: s.CreateUnmatchedRequest,
			GetIdempotencyOp: s.GetIdempotency,
			PutIdempotencyOp: s.PutIdempotency, PutLinkCodeOp: s.PutLinkCode,
			ListRequestsByStatusOp: s.ListRequestsByStatus,
		},
		Workflow:      env.WorkflowStarter(),
		PublicBaseURL: env.PublicBaseURL(),
		Clock:         env.Clock,
		Logger:        env.Log(),
	}
	origins, err := env.CrossOrigin(h.PublicBaseURL)
	h.CrossOrigin = origins
	key, kerr := secrets.LookupKey(ctx, &env, FunctionSubmitRequest)
	if key != nil {
		h.LookupKey = key
	}
	return lambdaenv.Built(h, env.Done(FunctionSubmitRequest, lambdaenv.CheckBaseURL(h.PublicBaseURL), err, kerr, env.Pages()))
}
