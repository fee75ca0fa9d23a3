package awsenv

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"refundflow/apigw"
	"refundflow/awsenv/basicfuncs"
	"refundflow/awsenv/formfuncs"
	"refundflow/awsenv/httpclient"
	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/stafffuncs"
	"refundflow/awsenv/submitfuncs"
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
	for _, name := range []string{basicfuncs.FunctionWeb, submitfuncs.FunctionSubmitRequest, formfuncs.FunctionRequestStatus, formfuncs.FunctionRecordConsent, formfuncs.FunctionFeedback, stafffuncs.FunctionStaffApi} {
		if Builders()[name] == nil {
			t.Errorf("no builder for %s", name)
		}
	}
}

func TestHTTPBuildersReportEveryMissingVariable(t *testing.T) {
	ctx := context.Background()
	for name, want := range map[string]string{
		basicfuncs.FunctionWeb:            "COMPANY_NAME, COMPANY_SUPPORT_EMAIL, COMPANY_ADDRESS, STAFF_SIGNIN_URL, STAFF_CLIENT_ID, STAFF_REDIRECT_URI, STAFF_SIGNOUT_URI",
		submitfuncs.FunctionSubmitRequest: "TABLE_NAME, STATE_MACHINE_ARN, PUBLIC_BASE_URL, SITE_ORIGINS, LOOKUP_KEY_SECRET_ARN, COMPANY_NAME, COMPANY_SUPPORT_EMAIL, COMPANY_ADDRESS",
		formfuncs.FunctionRequestStatus:   "TABLE_NAME, PUBLIC_BASE_URL, SITE_ORIGINS, COMPANY_NAME, COMPANY_SUPPORT_EMAIL, COMPANY_ADDRESS",
		formfuncs.FunctionRecordConsent:   "TABLE_NAME, PUBLIC_BASE_URL, SITE_ORIGINS, COMPANY_NAME, COMPANY_SUPPORT_EMAIL, COMPANY_ADDRESS",
		formfuncs.FunctionFeedback:        "TABLE_NAME, PUBLIC_BASE_URL, SITE_ORIGINS, COMPANY_NAME, COMPANY_SUPPORT_EMAIL, COMPANY_ADDRESS",
		stafffuncs.FunctionStaffApi:       "TABLE_NAME, PAYMENT_PROVIDER, LOOKUP_KEY_SECRET_ARN, SEND_MAIL_FUNCTION, STATE_MACHINE_ARN",
	} {
		_, err := Builders()[name](ctx, httpEnv(nil, ""))
		var me *MissingError
		if !errors.As(err, &me) || strings.Join(me.Names, ", ") != want {
			t.Errorf("%s: %v, want missing %s", name, err, want)
		}
	}
}

// companyVars are the company's identity as template.yaml sets it.
var companyVars = map[string]string{
	VarCompanyName: "Northwind IT Services", VarCompanySupportEmail: "support@northwind.example",
	VarCompanyAddress: "12 Harbour Street, 1000 Example City",
}

// withCompany adds the company's identity to vars.
func withCompany(vars map[string]string) map[string]string {
	for k, v := range companyVars {
		vars[k] = v
	}
	return vars
}

// A company identity that is not one (a support address that is no email address, a logo on another
// scheme) stops the function at cold start, naming the problem.
func TestWebChecksTheCompany(t *testing.T) {
	vars := withCompany(map[string]string{VarCompanySupportEmail: "write to us", VarCompanyLogoURL: "javascript:alert(1)"})
	vars[VarCompanySupportEmail] = "write to us"
	_, err := basicfuncs.Web(context.Background(), httpEnv(vars, ""))
	if err == nil || !strings.Contains(err.Error(), "support email") || !strings.Contains(err.Error(), "logo URL") {
		t.Errorf("bad company: %v", err)
	}
	delete(vars, VarCompanyLogoURL)
	vars[VarCompanySupportEmail] = "support@northwind.example"
	for k, v := range staffSignInVars {
		vars[k] = v
	}
	if _, err := basicfuncs.Web(context.Background(), httpEnv(vars, "")); err != nil {
		t.Errorf("good company: %v", err)
	}
}

// staffSignInVars are the console's sign-in settings as template.yaml sets them.
var staffSignInVars = map[string]string{
	VarStaffSignInURL: "https://refundflow-staff.auth.eu-west-1.amazoncognito.com", VarStaffClientID: "4example0client0id0000000",
	VarStaffRedirectURI: "https://refunds.example.com/staff", VarStaffSignOutURI: "https://refunds.example.com/staff",
}

// The console's sign-in settings are needed, and its URLs must not send codes or tokens over plain
// HTTP (but the local stack's loopback address may).
func TestWebChecksTheStaffSignIn(t *testing.T) {
	for _, tc := range []struct {
		name, key, value, want string
	}{
		{"all set", "", "", ""},
		{"no client", VarStaffClientID, "", "STAFF_CLIENT_ID"},
		{"plain http sign-in", VarStaffSignInURL, "http://sign-in.example.com", "STAFF_SIGNIN_URL"},
		{"relative redirect", VarStaffRedirectURI, "/staff", "STAFF_REDIRECT_URI"},
		{"local stack", VarStaffSignInURL, "http://127.0.0.1:8080/_local/signin", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := withCompany(map[string]string{})
			for k, v := range staffSignInVars {
				vars[k] = v
			}
			if tc.key != "" {
				vars[tc.key] = tc.value
			}
			h, err := basicfuncs.Web(context.Background(), httpEnv(vars, ""))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("build: %v", err)
				}
				if got := h.StaffSignIn.ClientID; got != vars[VarStaffClientID] {
					t.Errorf("client ID %q", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("build: %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

// TestHTTPBuildersTrustTheSiteOrigins checks that the functions behind the client routes trust
// the site itself (PUBLIC_BASE_URL's origin) and the company's websites (SITE_ORIGINS), and stop at
// start on a malformed origin, naming the variable.
func TestHTTPBuildersTrustTheSiteOrigins(t *testing.T) {
	ctx := context.Background()
	vars := withCompany(map[string]string{
		VarTableName: "refunds", VarStateMachineARN: "arn:aws:states:eu-west-1:123456789012:stateMachine:refund",
		VarPublicBaseURL: "https://refunds.example.com/", VarSiteOrigins: " https://www.example.com, https://shop.example.com ",
	})
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
		submitfuncs.FunctionSubmitRequest: func() (apigw.CrossOrigin, error) {
			v := map[string]string{VarLookupKeySecretARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:lookup"}
			for k, x := range vars {
				v[k] = x
			}
			h, err := submitfuncs.SubmitRequest(ctx, httpEnv(v, secretsStandIn(t, strings.Repeat("q4", 32))))
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

// TestLookupKeyReadInTheBackground: in a Lambda function (Env.Background set) the builder does not wait for
// the email lookup key; the handler waits for it where it needs it, and a read that fails stops the
// function with the reason, without the secret's value.
func TestLookupKeyReadInTheBackground(t *testing.T) {
	vars := withCompany(map[string]string{VarTableName: "t", VarStateMachineARN: "arn:aws:states:eu-west-1:123456789012:stateMachine:refund",
		VarPublicBaseURL: "https://refunds.example.com", VarSiteOrigins: "https://www.example.com",
		VarLookupKeySecretARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:lookup"})
	stand := func(value string, release <-chan struct{}) string {
		inner := secretsStandIn(t, value)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-release
			u, _ := url.Parse(inner)
			httputil.NewSingleHostReverseProxy(u).ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	type stopped struct {
		function string
		err      error
	}
	stops := make(chan stopped, 1)
	envWith := func(secretsURL string) Env {
		e := httpEnv(vars, secretsURL)
		e.Background = &lambdaenv.Background{Stop: func(function string, err error) { stops <- stopped{function, err} }}
		return e
	}

	key := strings.Repeat("k7", 32)
	release := make(chan struct{})
	h, err := submitfuncs.SubmitRequest(context.Background(), envWith(stand(key, release)))
	if err != nil || h.LookupKey == nil {
		t.Fatalf("the builder waited for the key or failed: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	if _, err := h.LookupKey.Key(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the key before the secret answered: %v, want the caller's deadline", err)
	}
	cancel()
	close(release)
	if got, err := h.LookupKey.Key(context.Background()); err != nil || string(got) != key {
		t.Errorf("lookup key %q, %v; want the secret's value", got, err)
	}

	open := make(chan struct{})
	close(open)
	if _, err := submitfuncs.SubmitRequest(context.Background(), envWith(stand("short", open))); err != nil {
		t.Fatalf("the builder failed before the read ended: %v", err)
	}
	select {
	case s := <-stops:
		if s.function != submitfuncs.FunctionSubmitRequest || s.err == nil || !strings.Contains(s.err.Error(), "at least 32") || strings.Contains(s.err.Error(), "short") {
			t.Errorf("stopped %s with %v; want %s stopped for the short key, without its value", s.function, s.err, submitfuncs.FunctionSubmitRequest)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a short lookup key did not stop the function")
	}
}

func TestSubmitRequestChecksBaseURL(t *testing.T) {
	vars := withCompany(map[string]string{VarTableName: "t", VarStateMachineARN: "arn:aws:states:eu-west-1:123456789012:stateMachine:refund", VarPublicBaseURL: "refunds.example.com", VarSiteOrigins: "https://www.example.com"})
	if _, err := submitfuncs.SubmitRequest(context.Background(), httpEnv(vars, "")); err == nil || !strings.Contains(err.Error(), VarPublicBaseURL) {
		t.Errorf("bad base URL: %v", err)
	}
	vars[VarPublicBaseURL] = "https://refunds.example.com/"
	vars[VarLookupKeySecretARN] = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:lookup"
	key := strings.Repeat("q4", 32)
	h, err := submitfuncs.SubmitRequest(context.Background(), httpEnv(vars, secretsStandIn(t, key)))
	if err != nil || h.PublicBaseURL != "https://refunds.example.com" || h.Workflow.(sfnworkflow.Client).StateMachineARN == "" || h.LookupKey == nil {
		t.Fatalf("submit handler %+v, %v", h, err)
	}
	if got, err := h.LookupKey.Key(context.Background()); err != nil || string(got) != key {
		t.Errorf("lookup key %q, %v; want the secret's value", got, err)
	}
	_, err = submitfuncs.SubmitRequest(context.Background(), httpEnv(vars, secretsStandIn(t, "short")))
	if err == nil || !strings.Contains(err.Error(), "at least 32") || strings.Contains(err.Error(), "short") {
		t.Errorf("short lookup key: %v (the value must not appear)", err)
	}
}
