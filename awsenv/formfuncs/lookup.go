package formfuncs

import (
	"context"

	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/secrets"
	"refundflow/handler"
)

// FunctionSubmitRequest is the logical ID of the request form's function, as template.yaml names it.
// It is built here, beside the other client routes, because it reads a secret at cold start: the key
// of the hash of the client's email that staff find the request by (secrets.LookupKey).
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
	key, kerr := secrets.LookupKey(ctx, &env)
	h.LookupKey = key
	return lambdaenv.Built(h, env.Done(FunctionSubmitRequest, lambdaenv.CheckBaseURL(h.PublicBaseURL), err, kerr, env.Pages()))
}
