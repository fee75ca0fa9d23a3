package awsenv

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"refundflow/apigw"
	"refundflow/awsenv/basicfuncs"
	"refundflow/awsenv/formfuncs"
	"refundflow/awsenv/httpclient"
	"refundflow/awsenv/paymentfuncs"
	"refundflow/sfnworkflow"
)

// secretsStandIn answers Secrets Manager's GetSecretValue (awsJson1_1) with the given value, so a
// secret (the Stripe key) is read through the real SDK client.
func secretsStandIn(t *testing.T, value string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
			http.Error(w, "unexpected operation", http.StatusBadRequest)
			return
		}
		var in struct{ SecretId string }
		json.NewDecoder(r.Body).Decode(&in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(map[string]any{"ARN": in.SecretId, "Name": "payment", "SecretString": value})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func httpEnv(vars map[string]string, secretsURL string) Env {
	return Env{
		Getenv: mapEnv(vars),
		AWS: aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
			RetryMaxAttempts: 1, HTTPClient: httpclient.New(nil)},
		Endpoints: Endpoints{SecretsManager: secretsURL},
	}
}

func TestHTTPBuildersAreRegistered(t *testing.T) {
	for _, name := range []string{basicfuncs.FunctionWeb, basicfuncs.FunctionSubmitRequest, formfuncs.FunctionRequestStatus, formfuncs.FunctionRecordConsent, formfuncs.FunctionFeedback, paymentfuncs.FunctionStaffApi} {
		if Builders()[name] == nil {
			t.Errorf("no builder for %s", name)
		}
	}
}

func TestHTTPBuildersReportEveryMissingVariable(t *testing.T) {
	ctx := context.Background()
	for name, want := range map[string]string{
		basicfuncs.FunctionSubmitRequest: "TABLE_NAME, STATE_MACHINE_ARN, PUBLIC_BASE_URL, SITE_ORIGINS",
		formfuncs.FunctionRequestStatus:  "TABLE_NAME, PUBLIC_BASE_URL, SITE_ORIGINS",
		formfuncs.FunctionRecordConsent:  "TABLE_NAME, PUBLIC_BASE_URL, SITE_ORIGINS",
		formfuncs.FunctionFeedback:       "TABLE_NAME, PUBLIC_BASE_URL, SITE_ORIGINS",
		paymentfuncs.FunctionStaffApi:    "TABLE_NAME, PAYMENT_PROVIDER, STATE_MACHINE_ARN",
	} {
		_, err := Builders()[name](ctx, httpEnv(nil, ""))
		var me *MissingError
		if !errors.As(err, &me) || strings.Join(me.Names, ", ") != want {
			t.Errorf("%s: %v, want missing %s", name, err, want)
		}
	}
	if _, err := Builders()[basicfuncs.FunctionWeb](ctx, httpEnv(nil, "")); err != nil {
		t.Errorf("Web needs nothing, got %v", err)
	}
}

// TestHTTPBuildersTrustTheSiteOrigins checks that the functions behind the client routes trust
// the site itself (PUBLIC_BASE_URL's origin) and the company's websites (SITE_ORIGINS), and stop at
// start on a malformed origin, naming the variable.
func TestHTTPBuildersTrustTheSiteOrigins(t *testing.T) {
	ctx := context.Background()
	vars := map[string]string{
		VarTableName: "refunds", VarStateMachineARN: "arn:aws:states:eu-west-1:123456789012:stateMachine:refund",
		VarPublicBaseURL: "https://refunds.example.com/", VarSiteOrigins: " https://www.example.com, https://shop.example.com ",
	}
	want := "https://refunds.example.com https://www.example.com https://shop.example.com"
	for name, build := range map[string]func() (apigw.CrossOrigin, error){
		formfuncs.FunctionRecordConsent: func() (apigw.CrossOrigin, error) {
			h, err := formfuncs.RecordConsent(ctx, httpEnv(vars, ""))
			return h.CrossOrigin, err
		},
		formfuncs.FunctionRequestStatus: func() (apigw.CrossOrigin, error) {
			h, err := formfuncs.RequestStatus(ctx, httpEnv(vars, ""))
			return h.CrossOrigin, err
		},
		formfuncs.FunctionFeedback: func() (apigw.CrossOrigin, error) {
			h, err := formfuncs.Feedback(ctx, httpEnv(vars, ""))
			return h.CrossOrigin, err
		},
		basicfuncs.FunctionSubmitRequest: func() (apigw.CrossOrigin, error) {
			h, err := basicfuncs.SubmitRequest(ctx, httpEnv(vars, ""))
			return h.CrossOrigin, err
		},
	} {
		c, err := build()
		if got := strings.Join(c.Trusted(), " "); err != nil || got != want {
			t.Errorf("%s trusts %q (%v), want %q", name, got, err, want)
		}
	}
	vars[VarSiteOrigins] = "https://www.example.com/shop"
	if _, err := formfuncs.Feedback(ctx, httpEnv(vars, "")); err == nil || !strings.Contains(err.Error(), VarSiteOrigins) {
		t.Errorf("an origin with a path: %v, want an error naming %s", err, VarSiteOrigins)
	}
}

func TestSubmitRequestChecksBaseURL(t *testing.T) {
	vars := map[string]string{VarTableName: "t", VarStateMachineARN: "arn:aws:states:eu-west-1:123456789012:stateMachine:refund", VarPublicBaseURL: "refunds.example.com", VarSiteOrigins: "https://www.example.com"}
	if _, err := basicfuncs.SubmitRequest(context.Background(), httpEnv(vars, "")); err == nil || !strings.Contains(err.Error(), VarPublicBaseURL) {
		t.Errorf("bad base URL: %v", err)
	}
	vars[VarPublicBaseURL] = "https://refunds.example.com/"
	h, err := basicfuncs.SubmitRequest(context.Background(), httpEnv(vars, ""))
	if err != nil || h.PublicBaseURL != "https://refunds.example.com" || h.Workflow.(sfnworkflow.Client).StateMachineARN == "" {
		t.Errorf("submit handler %+v, %v", h, err)
	}
}
