// Command sandbox-events is the SandboxEventsFunction Lambda function, which template.yaml creates only with
// PaymentProvider=sandbox. It is wiring only (it imports only its own builder group): the handler is
// handler.SandboxEvents, built by awsenv/sandboxfuncs.SandboxEvents from the environment template.yaml gives the
// function.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/sandboxfuncs"
)

func main() {
	ctx := context.Background()
	env, err := lambdaenv.FromProcess(ctx)
	if err != nil {
		lambdaenv.Fail(env, sandboxfuncs.FunctionSandboxEvents, err)
	}
	h, err := sandboxfuncs.SandboxEvents(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, sandboxfuncs.FunctionSandboxEvents, err)
	}
	lambda.Start(lambdaenv.Settled(env, h.Handle))
}
