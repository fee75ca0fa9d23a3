package awsenv

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/awsenv/basicfuncs"
	"refundflow/awsenv/eventfuncs"
	"refundflow/awsenv/formfuncs"
	"refundflow/awsenv/mailfuncs"
	"refundflow/awsenv/paymentfuncs"
	"refundflow/awsenv/pdffuncs"
	"refundflow/awsenv/sandboxfuncs"
	"refundflow/awsenv/stafffuncs"
	"refundflow/awsenv/submitfuncs"
	"refundflow/handler"
)

// Builder builds one function's Lambda handler from an Env.
type Builder func(context.Context, Env) (lambda.Handler, error)

// Builders returns the builder of every function in template.yaml, by logical ID
// ("VerifyConditionsFunction"). The local stack builds every function from it, and the
// template-agreement test checks that it lists exactly the template's functions and that each builder
// reads exactly the variables of its function's Environment.
//
// It is a function, not a package-level map, on purpose: even a binary that imported this package
// would link only the builders it calls. The functions' mains do not import it at all (see the
// package comment): they call their own builder in its subpackage, which the IAM test checks.
func Builders() map[string]Builder {
	type (
		task   = handler.TaskInput
		result = handler.TaskOutput
		in     = events.APIGatewayV2HTTPRequest
		out    = events.APIGatewayV2HTTPResponse
	)
	return map[string]Builder{
		basicfuncs.FunctionWeb:                 Adapt[in, out](basicfuncs.Web),
		submitfuncs.FunctionSubmitRequest:      Adapt[in, out](submitfuncs.SubmitRequest),
		formfuncs.FunctionRequestStatus:        Adapt[in, out](formfuncs.RequestStatus),
		formfuncs.FunctionRecordConsent:        Adapt[in, out](formfuncs.RecordConsent),
		formfuncs.FunctionFeedback:             Adapt[in, out](formfuncs.Feedback),
		stafffuncs.FunctionStaffApi:            Adapt[in, out](stafffuncs.StaffApi),
		basicfuncs.FunctionVerifyConditions:    Adapt[task, result](basicfuncs.VerifyConditions),
		basicfuncs.FunctionProposeResolution:   Adapt[task, result](basicfuncs.ProposeResolution),
		mailfuncs.FunctionRequestStaffReview:   Adapt[task, result](mailfuncs.RequestStaffReview),
		mailfuncs.FunctionRequestConsent:       Adapt[task, result](mailfuncs.RequestConsent),
		paymentfuncs.FunctionExecuteResolution: Adapt[task, result](paymentfuncs.ExecuteResolution),
		mailfuncs.FunctionNotify:               Adapt[task, result](mailfuncs.Notify),
		basicfuncs.FunctionMarkNeedsAttention:  Adapt[task, result](basicfuncs.MarkNeedsAttention),
		basicfuncs.FunctionResumeDecisions:     Adapt[events.EventBridgeEvent, handler.ResumeReport](basicfuncs.ResumeDecisions),
		eventfuncs.FunctionStripeWebhook:       Adapt[in, out](eventfuncs.StripeWebhook),
		pdffuncs.FunctionAgreementPdf:          Adapt[handler.AgreementPdfInput, handler.AgreementPdfOutput](pdffuncs.AgreementPdf),
		mailfuncs.FunctionSendMail:             Adapt[handler.SendMailInput, handler.SendMailOutput](mailfuncs.SendMail),
		// Only in a sandbox deployment (template.yaml's condition SandboxProvider).
		sandboxfuncs.FunctionSandboxPayments: Adapt[in, out](sandboxfuncs.SandboxPayments),
		sandboxfuncs.FunctionSandboxEvents:   Adapt[events.EventBridgeEvent, handler.SandboxDelivery](sandboxfuncs.SandboxEvents),
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
