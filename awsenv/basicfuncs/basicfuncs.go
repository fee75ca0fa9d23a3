// Package basicfuncs builds the functions that need only the table and Step Functions: Web,
// VerifyConditions, ProposeResolution, MarkNeedsAttention and ResumeDecisions. It links no other AWS service (see awsenv/lambdaenv for why that matters at cold
// start).
package basicfuncs

import (
	"context"

	"refundflow"
	"refundflow/awsenv/lambdaenv"
	"refundflow/handler"
)

// The logical IDs of the functions built here, as template.yaml names them.
const (
	FunctionWeb                = "WebFunction"
	FunctionVerifyConditions   = "VerifyConditionsFunction"
	FunctionProposeResolution  = "ProposeResolutionFunction"
	FunctionMarkNeedsAttention = "MarkNeedsAttentionFunction"
)

// Web builds the WebFunction handler (COMPANY_*: its pages hold no data but the company's identity;
// STAFF_SIGNIN_URL, STAFF_CLIENT_ID, STAFF_REDIRECT_URI, STAFF_SIGNOUT_URI: the console's sign-in;
// the contract it serves is the one embedded in the binary, refundflow.OpenAPI).
func Web(_ context.Context, env lambdaenv.Env) (handler.Web, error) {
	err := env.Pages()
	signIn, signInErr := env.StaffSignIn()
	h := handler.Web{OpenAPI: refundflow.OpenAPI, StaffSignIn: signIn}
	return lambdaenv.Built(h, env.Done(FunctionWeb, err, signInErr))
}

// VerifyConditions builds the VerifyConditionsFunction handler (TABLE_NAME).
func VerifyConditions(_ context.Context, env lambdaenv.Env) (handler.VerifyConditions, error) {
	s := env.Store()
	store := lambdaenv.StoreOps{
		GetRequestOp: s.GetRequest, GetOrderOp: s.GetOrder, SaveFindingsOp: s.SaveFindings,
		TransitionOp: s.Transition,
	}
	h := handler.VerifyConditions{Store: store, Logger: env.Log()}
	return lambdaenv.Built(h, env.Done(FunctionVerifyConditions))
}

// ProposeResolution builds the ProposeResolutionFunction handler (TABLE_NAME).
func ProposeResolution(_ context.Context, env lambdaenv.Env) (handler.ProposeResolution, error) {
	s := env.Store()
	store := lambdaenv.StoreOps{
		GetRequestOp: s.GetRequest, GetOrderOp: s.GetOrder, ListOrderCreditsOp: s.ListOrderCredits,
		ListOffersOp: s.ListOffers, DecideOp: s.Decide, TransitionOp: s.Transition,
	}
	h := handler.ProposeResolution{Store: store, Logger: env.Log()}
	return lambdaenv.Built(h, env.Done(FunctionProposeResolution))
}

// MarkNeedsAttention builds the MarkNeedsAttentionFunction handler (TABLE_NAME).
func MarkNeedsAttention(_ context.Context, env lambdaenv.Env) (handler.MarkNeedsAttention, error) {
	s := env.Store()
	store := lambdaenv.StoreOps{
		GetRequestOp: s.GetRequest, TransitionOp: s.Transition, SetTaskTokenOp: s.SetTaskToken,
	}
	h := handler.MarkNeedsAttention{Store: store, Waits: env.TaskCompleter(), Logger: env.Log()}
	return lambdaenv.Built(h, env.Done(FunctionMarkNeedsAttention))
}
