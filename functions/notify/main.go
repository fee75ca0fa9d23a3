// Command notify is the NotifyFunction Lambda function: the workflow step that sends the received
// and outcome emails. It is wiring only (it imports only its own builder group, so the binary links
// and initialises no other AWS client): the handler is handler.Notify, built by
// awsenv/mailfuncs.Notify from the environment template.yaml gives the function. The signed
// agreement's PDF comes from AgreementPdfFunction (functions/agreement-pdf), so this binary does not
// link the PDF library.
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
		lambdaenv.Fail(env, mailfuncs.FunctionNotify, err)
	}
	h, err := mailfuncs.Notify(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, mailfuncs.FunctionNotify, err)
	}
	lambda.Start(lambdaenv.Settled(env, h.Handle))
}
