// Command agreement-pdf is the AgreementPdfFunction Lambda function: it makes the signed agreement's
// PDF that NotifyFunction attaches to the completed email. It is wiring only: the handler is
// handler.AgreementPdf, built by awsenv/pdffuncs.AgreementPdf; the binary links the PDF library and no
// AWS client.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/pdffuncs"
)

func main() {
	ctx := context.Background()
	env, err := lambdaenv.FromProcess(ctx)
	if err != nil {
		lambdaenv.Fail(env, pdffuncs.FunctionAgreementPdf, err)
	}
	h, err := pdffuncs.AgreementPdf(ctx, env)
	if err != nil {
		lambdaenv.Fail(env, pdffuncs.FunctionAgreementPdf, err)
	}
	lambda.Start(lambdaenv.Settled(env, h.Handle))
}
