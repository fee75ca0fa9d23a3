package basic

import (
	"context"

	"refundflow/awsenv/lambdaenv"
	"refundflow/handler"
)

// FunctionResumeDecisions is the logical ID of the scheduled sweeper in template.yaml.
const FunctionResumeDecisions = "ResumeDecisionsFunction"

// ResumeDecisions builds the ResumeDecisionsFunction handler (TABLE_NAME): the table and the one
// Step Functions call its policy grants, SendTaskSuccess.
func ResumeDecisions(_ context.Context, env lambdaenv.Env) (*handler.ResumeDecisions, error) {
	h := &handler.ResumeDecisions{Store: env.Store(), SFN: env.TaskCompleter(), Clock: env.Clock, Logger: env.Log()}
	return lambdaenv.Built(h, env.Done(FunctionResumeDecisions))
}
