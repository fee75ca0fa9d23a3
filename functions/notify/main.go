// Command notify is the NotifyFunction Lambda function: the workflow step that sends the received
// and outcome emails. It is wiring only: the handler is handler.Notify, built by awsenv.Notify from
// the environment template.yaml gives the function.
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
		awsenv.Fail(env, "NotifyFunction", err)
	}
	h, err := awsenv.Notify(ctx, env)
	if err != nil {
		awsenv.Fail(env, "NotifyFunction", err)
	}
	lambda.Start(h.Handle)
}
