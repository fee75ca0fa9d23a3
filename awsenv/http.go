package awsenv

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"refundflow/apigw"
	"refundflow/handler"
)

// VarCSRFSecretARN is the Secrets Manager secret whose value signs the CSRF tokens of the client
// forms (status page, consent page, feedback page). Every function that issues or checks them reads
// the same secret, so a page rendered by one verifies in another.
const VarCSRFSecretARN = "CSRF_SECRET_ARN"

// The logical IDs of the HTTP functions in template.yaml.
const (
	FunctionWeb           = "WebFunction"
	FunctionSubmitRequest = "SubmitRequestFunction"
	FunctionRequestStatus = "RequestStatusFunction"
	FunctionRecordConsent = "RecordConsentFunction"
	FunctionFeedback      = "FeedbackFunction"
	FunctionStaffApi      = "StaffApiFunction"
)

// BuildWeb builds the Web function. It reads no environment: its pages hold no data.
func BuildWeb(_ context.Context, env Env) (handler.Web, error) {
	return handler.Web{}, env.done(FunctionWeb)
}

// BuildSubmitRequest builds the SubmitRequest function from TABLE_NAME, STATE_MACHINE_ARN and
// PUBLIC_BASE_URL.
func BuildSubmitRequest(_ context.Context, env Env) (handler.SubmitRequest, error) {
	h := handler.SubmitRequest{
		Store:           env.Store(),
		SFN:             env.workflowStarter(),
		StateMachineARN: env.Require(VarStateMachineARN),
		PublicBaseURL:   env.PublicBaseURL(),
		Clock:           env.Clock,
		Logger:          env.log(),
	}
	return h, env.done(FunctionSubmitRequest, CheckBaseURL(h.PublicBaseURL))
}

// BuildRequestStatus builds the RequestStatus function from TABLE_NAME, PUBLIC_BASE_URL (an http://
// base means the local stack, whose CSRF cookie cannot be Secure) and CSRF_SECRET_ARN.
func BuildRequestStatus(ctx context.Context, env Env) (handler.RequestStatus, error) {
	h := handler.RequestStatus{Store: env.Store(), SFN: env.taskCompleter(), Logger: env.log()}
	base := env.PublicBaseURL()
	csrf, err := env.CSRF(ctx, base)
	h.CSRF = csrf
	return h, env.done(FunctionRequestStatus, CheckBaseURL(base), err)
}

// BuildRecordConsent builds the RecordConsent function from TABLE_NAME, PUBLIC_BASE_URL and
// CSRF_SECRET_ARN.
func BuildRecordConsent(ctx context.Context, env Env) (handler.RecordConsent, error) {
	h := handler.RecordConsent{Store: env.Store(), SFN: env.taskCompleter(), Logger: env.log()}
	base := env.PublicBaseURL()
	csrf, err := env.CSRF(ctx, base)
	h.CSRF = csrf
	return h, env.done(FunctionRecordConsent, CheckBaseURL(base), err)
}

// BuildFeedback builds the Feedback function from TABLE_NAME, PUBLIC_BASE_URL and CSRF_SECRET_ARN.
func BuildFeedback(ctx context.Context, env Env) (handler.Feedback, error) {
	h := handler.Feedback{Store: env.Store(), Logger: env.log()}
	base := env.PublicBaseURL()
	csrf, err := env.CSRF(ctx, base)
	h.CSRF = csrf
	return h, env.done(FunctionFeedback, CheckBaseURL(base), err)
}

// BuildStaffApi builds the StaffApi function from TABLE_NAME.
func BuildStaffApi(_ context.Context, env Env) (handler.StaffApi, error) {
	h := handler.StaffApi{Store: env.Store(), SFN: env.taskCompleter(), Logger: env.log()}
	return h, env.done(FunctionStaffApi)
}

// CSRF requires CSRF_SECRET_ARN and returns the CSRF configuration signed with the secret's value,
// fetched now (at cold start) so that a missing or unreadable secret stops the function from starting
// instead of failing every form. base is the public base URL: with http:// (the local stack on
// 127.0.0.1) the cookie cannot be Secure, so it loses the __Host- prefix. The secret's value is used
// as the key as it is (template.yaml generates 64 random letters and digits); it must have at least
// apigw.MinCSRFKeyBytes bytes. The value is never logged or put in an error.
func (e *Env) CSRF(ctx context.Context, base string) (apigw.CSRF, error) {
	c := apigw.CSRF{Insecure: strings.HasPrefix(base, "http://")}
	arn := e.Require(VarCSRFSecretARN)
	if arn == "" {
		return c, nil // reported by Missing
	}
	out, err := e.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return c, fmt.Errorf("read the CSRF secret %s: %w", arn, err)
	}
	c.Key = []byte(strings.TrimSpace(aws.ToString(out.SecretString)))
	if err := c.Validate(); err != nil {
		return apigw.CSRF{}, fmt.Errorf("CSRF secret %s: its value has %d bytes, need at least %d random bytes", arn, len(c.Key), apigw.MinCSRFKeyBytes)
	}
	return c, nil
}
