// Command send-mail is the SendMailFunction Lambda function: it writes and sends the emails of
// StaffApi and StripeWebhook, which invoke it. It is wiring only: the handler is handler.SendMail,
// built by awsenv/mailfuncs.SendMail from the environment template.yaml gives the function.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/mailfuncs"
)

func main() {
	ctx := context.Background()
	env, err := lambdaenv.FromProcess(ctx)
	if err != nil {
		lambdaenv.Fail(env, mailfuncs.FunctionSendMail, err)
	}
	h, err := mailfuncs.SendMail(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, mailfuncs.FunctionSendMail, err)
	}
	lambda.Start(lambdaenv.Settled(env, h.Handle))
}
