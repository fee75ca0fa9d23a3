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

	"refundflow/awsenv/basicfuncs"
	"refundflow/awsenv/formfuncs"
	"refundflow/awsenv/httpclient"
	"refundflow/sfnworkflow"
)

// secretsStandIn answers Secrets Manager's GetSecretValue (awsJson1_1) with the given value, so the
// CSRF secret is read through the real SDK client.
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
		json.NewEncoder(w).Encode(map[string]any{"ARN": in.SecretId, "Name": "csrf", "SecretString": value})
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
	for _, name := range []string{basicfuncs.FunctionWeb, formfuncs.FunctionSubmitRequest, formfuncs.FunctionRequestStatus, formfuncs.FunctionRecordConsent, formfuncs.FunctionFeedback, formfuncs.FunctionStaffApi} {
		if Builders()[name] == nil {
			t.Errorf("no builder for %s", name)
		}
	}
}

func TestHTTPBuildersReportEveryMissingVariable(t *testing.T) {
	ctx := context.Background()
	for name, want := range map[string]string{
		formfuncs.FunctionSubmitRequest: "TABLE_NAME, STATE_MACHINE_ARN, PUBLIC_BASE_URL, LOOKUP_KEY_SECRET_ARN",
		formfuncs.FunctionRequestStatus: "TABLE_NAME, PUBLIC_BASE_URL, CSRF_SECRET_ARN",
		formfuncs.FunctionRecordConsent: "TABLE_NAME, PUBLIC_BASE_URL, CSRF_SECRET_ARN",
		formfuncs.FunctionFeedback:      "TABLE_NAME, PUBLIC_BASE_URL, CSRF_SECRET_ARN",
		formfuncs.FunctionStaffApi:      "TABLE_NAME, LOOKUP_KEY_SECRET_ARN",
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

func TestHTTPBuildersWithCSRFSecret(t *testing.T) {
	ctx := context.Background()
	key := strings.Repeat("k7", 32)
	vars := map[string]string{
		VarTableName: "refunds", VarPublicBaseURL: "http://127.0.0.1:8080/", VarCSRFSecretARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:csrf",
	}
	h, err := formfuncs.RecordConsent(ctx, httpEnv(vars, secretsStandIn(t, key+"\n")))
	if err != nil {
		t.Fatal(err)
	}
	if string(h.CSRF.Key) != key || !h.CSRF.Insecure {
		t.Errorf("consent handler: key %q insecure %v", h.CSRF.Key, h.CSRF.Insecure)
	}
	vars[VarPublicBaseURL] = "https://refunds.example.com"
	s, err := formfuncs.RequestStatus(ctx, httpEnv(vars, secretsStandIn(t, key)))
	if err != nil || s.CSRF.Insecure {
		t.Errorf("https base: insecure %v, %v", s.CSRF.Insecure, err)
	}

	_, err = formfuncs.Feedback(ctx, httpEnv(vars, secretsStandIn(t, "short")))
	if err == nil || !strings.Contains(err.Error(), "at least 32") || strings.Contains(err.Error(), "short") {
		t.Errorf("short secret: %v (the value must not appear)", err)
	}
}

func TestSubmitRequestChecksBaseURL(t *testing.T) {
	vars := map[string]string{VarTableName: "t", VarStateMachineARN: "arn:aws:states:eu-west-1:123456789012:stateMachine:refund", VarPublicBaseURL: "refunds.example.com"}
	if _, err := formfuncs.SubmitRequest(context.Background(), httpEnv(vars, "")); err == nil || !strings.Contains(err.Error(), VarPublicBaseURL) {
		t.Errorf("bad base URL: %v", err)
	}
	vars[VarPublicBaseURL] = "https://refunds.example.com/"
	vars[formfuncs.VarLookupKeySecretARN] = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:lookup"
	key := strings.Repeat("q4", 32)
	h, err := formfuncs.SubmitRequest(context.Background(), httpEnv(vars, secretsStandIn(t, key)))
	if err != nil || h.PublicBaseURL != "https://refunds.example.com" || h.Workflow.(sfnworkflow.Client).StateMachineARN == "" || string(h.LookupKey) != key {
		t.Errorf("submit handler %+v, %v", h, err)
	}
	_, err = formfuncs.StaffApi(context.Background(), httpEnv(vars, secretsStandIn(t, "short")))
	if err == nil || !strings.Contains(err.Error(), "at least 32") || strings.Contains(err.Error(), "short") {
		t.Errorf("short lookup key: %v (the value must not appear)", err)
	}
}
