// Package pdffuncs builds AgreementPdfFunction, the function that makes the signed agreement's PDF
// for NotifyFunction. It is the only builder group that links the PDF library, and it links no AWS
// service at all: the function reads and writes nothing (see handler.AgreementPdf).
package pdffuncs

import (
	"context"

	"refundflow/agreementpdf"
	"refundflow/awsenv/lambdaenv"
	"refundflow/handler"
)

// FunctionAgreementPdf is the logical ID of the function built here, as template.yaml names it.
const FunctionAgreementPdf = "AgreementPdfFunction"

// AgreementPdf builds the AgreementPdfFunction handler. It needs no variable: everything the
// document shows comes in the call.
func AgreementPdf(_ context.Context, env lambdaenv.Env) (handler.AgreementPdf, error) {
	return lambdaenv.Built(handler.AgreementPdf{Render: agreementpdf.ForHandler}, env.Done(FunctionAgreementPdf))
}
