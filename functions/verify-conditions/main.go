// Command verify-conditions is the VerifyConditionsFunction Lambda function: the workflow step that
// verifies a request against the order and the policy. It is wiring only: the handler is
// handler.VerifyConditions, built by awsenv.VerifyConditions from the environment template.yaml
// gives the function.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/awsenv"
)

func main() {
	ctx := context.Background()
	env, err := awsenv.FromProcess(ctx)
	if err != nil {
		awsenv.Fail(env, "VerifyConditionsFunction", err)
	}
	h, err := awsenv.VerifyConditions(ctx, env)
	if err != nil {
		awsenv.Fail(env, "VerifyConditionsFunction", err)
	}
	lambda.Start(h.Handle)
}
