package awsenv

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/handler"
)

// Builder builds one function's Lambda handler from an Env.
type Builder func(context.Context, Env) (lambda.Handler, error)

// Builders returns the builder of every function in template.yaml, by logical ID
// ("VerifyConditionsFunction"). The local stack builds every function from it, and the
// template-agreement test checks that it lists exactly the template's functions and that each builder
// reads exactly the variables of its function's Environment.
//
// It is a function, not a package-level map, on purpose: a function's main calls only its own
// builder, and the linker then leaves every other handler (and its dependencies) out of the binary.
// A map filled at init would keep all thirteen in every binary (26 MB instead of about 11).
func Builders() map[string]Builder {
	type (
		task   = handler.TaskInput
		result = handler.TaskOutput
		in     = events.APIGatewayV2HTTPRequest
		out    = events.APIGatewayV2HTTPResponse
	)
	return map[string]Builder{
		FunctionWeb:                  Adapt[in, out](BuildWeb),
		FunctionSubmitRequest:        Adapt[in, out](BuildSubmitRequest),
		FunctionRequestStatus:        Adapt[in, out](BuildRequestStatus),
		FunctionRecordConsent:        Adapt[in, out](BuildRecordConsent),
		FunctionFeedback:             Adapt[in, out](BuildFeedback),
		FunctionStaffApi:             Adapt[in, out](BuildStaffApi),
		"VerifyConditionsFunction":   Adapt[task, result](VerifyConditions),
		"ProposeResolutionFunction":  Adapt[task, result](ProposeResolution),
		"RequestStaffReviewFunction": Adapt[task, result](RequestStaffReview),
		"RequestConsentFunction":     Adapt[task, result](RequestConsent),
		"ExecuteResolutionFunction":  Adapt[task, result](ExecuteResolution),
		"NotifyFunction":             Adapt[task, result](Notify),
		"MarkNeedsAttentionFunction": Adapt[task, result](MarkNeedsAttention),
	}
}

// Adapt turns a typed builder into a Builder: the handler's Handle method becomes a lambda.Handler
// through lambda.NewHandler, exactly as lambda.Start would serve it (same JSON decoding, same error
// names).
func Adapt[I, O any, H interface {
	Handle(context.Context, I) (O, error)
}](build func(context.Context, Env) (H, error)) Builder {
	return func(ctx context.Context, env Env) (lambda.Handler, error) {
		h, err := build(ctx, env)
		if err != nil {
			return nil, err
		}
		return lambda.NewHandler(h.Handle), nil
	}
}
