package mailfuncs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/lambdainvoke"
	"refundflow/handler"
	"refundflow/refund"
)

// agreementByLambda requires AGREEMENT_PDF_FUNCTION and returns NotifyFunction's maker of the signed
// agreement's PDF: a synchronous invocation of AgreementPdfFunction (its live alias), which links the
// PDF library so that Notify does not (handler.AgreementPdf says why). What cannot reach the function
// wraps handler.ErrAgreementUnavailable, so Notify's step is retried; an error the function itself
// returns (it cannot make this PDF) does not.
func agreementByLambda(env *lambdaenv.Env) handler.AgreementPDF {
	fn := lambdainvoke.Client{Function: env.Require(lambdaenv.VarAgreementPdfFunction), Endpoint: env.Endpoints.Lambda, Config: env.AWS}
	return func(ctx context.Context, company refund.Company, consent refund.Consent, orderNumber, policyVersion string) ([]byte, string, error) {
		payload, err := json.Marshal(handler.AgreementPdfInput{Company: company, Consent: consent, OrderNumber: orderNumber, PolicyVersion: policyVersion})
		if err != nil {
			return nil, "", fmt.Errorf("agreement of request %s: %w", consent.RequestID, err)
		}
		answer, err := fn.Invoke(ctx, payload)
		if errors.Is(err, lambdainvoke.ErrUnavailable) {
			return nil, "", fmt.Errorf("agreement of request %s: %w: %w", consent.RequestID, handler.ErrAgreementUnavailable, err)
		}
		if err != nil {
			return nil, "", fmt.Errorf("agreement of request %s: %w", consent.RequestID, err)
		}
		var out handler.AgreementPdfOutput
		if err := json.Unmarshal(answer, &out); err != nil || len(out.PDF) == 0 {
			return nil, "", fmt.Errorf("agreement of request %s: %s answered no PDF (%v)", consent.RequestID, fn.Function, err)
		}
		return out.PDF, out.FileName, nil
	}
}
