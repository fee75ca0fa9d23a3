// Command resume-decisions is the ResumeDecisionsFunction Lambda function: the sweeper EventBridge
// runs every five minutes to deliver recorded decisions (consent, withdrawal, staff review) whose
// SendTaskSuccess failed, so no workflow waits days for a decision it should have had at once. It is
// wiring only (it imports only its own builder group): the handler is handler.ResumeDecisions, built
// by awsenv/basicfuncs.ResumeDecisions from the environment template.yaml gives the function.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/awsenv/basicfuncs"
	"refundflow/awsenv/lambdaenv"
)

func main() {
	ctx := context.Background()
	env, err := lambdaenv.FromProcess(ctx)
	if err != nil {
		lambdaenv.Fail(env, basicfuncs.FunctionResumeDecisions, err)
	}
	h, err := basicfuncs.ResumeDecisions(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, basicfuncs.FunctionResumeDecisions, err)
	}
	lambda.Start(lambdaenv.Settled(env, h.Handle))
}
