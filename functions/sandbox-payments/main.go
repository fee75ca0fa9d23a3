// Command sandbox-payments is the SandboxPaymentsFunction Lambda function, which template.yaml creates only with
// PaymentProvider=sandbox. It is wiring only (it imports only its own builder group): the handler is
// handler.SandboxPayments, built by awsenv/sandboxfuncs.SandboxPayments from the environment template.yaml gives the
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
		lambdaenv.Fail(env, sandboxfuncs.FunctionSandboxPayments, err)
	}
	h, err := sandboxfuncs.SandboxPayments(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, sandboxfuncs.FunctionSandboxPayments, err)
	}
	lambda.Start(lambdaenv.Settled(env, h.Handle))
}
