// Package basic builds the functions that need only the table and Step Functions: Web, SubmitRequest,
// StaffApi, VerifyConditions, ProposeResolution, MarkNeedsAttention and ResumeDecisions. It links no
// other AWS service (see awsenv/lambdaenv for why that matters at cold start).
package basic

import (
	"context"

	"refundflow/awsenv/lambdaenv"
	"refundflow/handler"
)

// The logical IDs of the functions built here, as template.yaml names them.
const (
	FunctionWeb                = "WebFunction"
	FunctionSubmitRequest      = "SubmitRequestFunction"
	FunctionStaffApi           = "StaffApiFunction"
	FunctionVerifyConditions   = "VerifyConditionsFunction"
	FunctionProposeResolution  = "ProposeResolutionFunction"
	FunctionMarkNeedsAttention = "MarkNeedsAttentionFunction"
)

// Web builds the WebFunction handler. It reads no environment: its pages hold no data.
func Web(_ context.Context, env lambdaenv.Env) (handler.Web, error) {
	return lambdaenv.Built(handler.Web{}, env.Done(FunctionWeb))
}

// SubmitRequest builds the SubmitRequestFunction handler (TABLE_NAME, STATE_MACHINE_ARN,
// PUBLIC_BASE_URL).
func SubmitRequest(_ context.Context, env lambdaenv.Env) (handler.SubmitRequest, error) {
	h := handler.SubmitRequest{
		Store:         env.Store(),
		Workflow:      env.WorkflowStarter(),
		PublicBaseURL: env.PublicBaseURL(),
		Clock:         env.Clock,
		Logger:        env.Log(),
	}
	return lambdaenv.Built(h, env.Done(FunctionSubmitRequest, lambdaenv.CheckBaseURL(h.PublicBaseURL)))
}

// StaffApi builds the StaffApiFunction handler (TABLE_NAME).
func StaffApi(_ context.Context, env lambdaenv.Env) (handler.StaffApi, error) {
	h := handler.StaffApi{Store: env.Store(), Waits: env.TaskCompleter(), Logger: env.Log()}
	return lambdaenv.Built(h, env.Done(FunctionStaffApi))
}

// VerifyConditions builds the VerifyConditionsFunction handler (TABLE_NAME).
func VerifyConditions(_ context.Context, env lambdaenv.Env) (handler.VerifyConditions, error) {
	h := handler.VerifyConditions{Store: env.Store(), Logger: env.Log()}
	return lambdaenv.Built(h, env.Done(FunctionVerifyConditions))
}

// ProposeResolution builds the ProposeResolutionFunction handler (TABLE_NAME).
func ProposeResolution(_ context.Context, env lambdaenv.Env) (handler.ProposeResolution, error) {
	h := handler.ProposeResolution{Store: env.Store(), Logger: env.Log()}
	return lambdaenv.Built(h, env.Done(FunctionProposeResolution))
}

// MarkNeedsAttention builds the MarkNeedsAttentionFunction handler (TABLE_NAME).
func MarkNeedsAttention(_ context.Context, env lambdaenv.Env) (handler.MarkNeedsAttention, error) {
	h := handler.MarkNeedsAttention{Store: env.Store(), Logger: env.Log()}
	return lambdaenv.Built(h, env.Done(FunctionMarkNeedsAttention))
}
