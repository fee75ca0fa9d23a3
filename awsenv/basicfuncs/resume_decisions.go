package basicfuncs

import (
	"context"

	"refundflow/awsenv/lambdaenv"
	"refundflow/handler"
)

// FunctionResumeDecisions is the logical ID of the scheduled sweeper in template.yaml.
const FunctionResumeDecisions = "ResumeDecisionsFunction"

// ResumeDecisions builds the ResumeDecisionsFunction handler (TABLE_NAME, STATE_MACHINE_ARN): the
// table and the two Step Functions calls its policy grants, SendTaskSuccess (recorded decisions) and
// StartExecution on the refund state machine (requests left submitted).
func ResumeDecisions(_ context.Context, env lambdaenv.Env) (handler.ResumeDecisions, error) {
	s := env.Store()
	store := lambdaenv.StoreOps{
		PendingResumesOp: s.PendingResumes, GetResumeOp: s.GetResume,
		GetRequestAndTokenOp: s.GetRequestAndToken, ClearResumeOp: s.ClearResume,
		SubmittedBeforeOp: s.SubmittedBefore,
	}
	flow := env.SweeperCalls()
	h := handler.ResumeDecisions{Store: store, Waits: flow, Workflow: flow, Clock: env.Clock, Logger: env.Log()}
	return lambdaenv.Built(h, env.Done(FunctionResumeDecisions))
}
