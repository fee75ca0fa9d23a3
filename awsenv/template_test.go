package awsenv

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"

	"refundflow/awsenv/paymentfuncs"
	"refundflow/infra/local/samtemplate"
)

// templateValues are plausible values for every variable template.yaml sets, so each builder can
// finish: the sandbox payment provider (no Stripe key to fetch) and secrets served by a stand-in.
var templateValues = map[string]string{
	VarTableName:              "refundflow-table",
	VarStateMachineARN:        "arn:aws:states:eu-west-1:123456789012:stateMachine:refund",
	VarPublicBaseURL:          "https://refunds.example.com",
	VarMailFrom:               "refunds@example.com",
	VarMailConfigurationSet:   "refundflow-mail",
	VarStaffEmail:             "staff@example.com, lead@example.com",
	VarCompanyName:            "Northwind IT Services",
	VarCompanySupportEmail:    "support@northwind.example",
	VarCompanyAddress:         "12 Harbour Street, 1000 Example City",
	VarCompanyLogoURL:         "/assets/demo-logo.svg",
	VarCompanyPolicyURL:       "",
	VarPaymentProvider:        ProviderSandbox,
	VarStaffSignInURL:         "https://refundflow-staff.auth.eu-west-1.amazoncognito.com",
	VarStaffClientID:          "4example0client0id0000000",
	VarStaffRedirectURI:       "https://refunds.example.com/staff",
	VarStaffSignOutURI:        "https://refunds.example.com/staff",
	VarPaymentSecretARN:       "arn:aws:secretsmanager:eu-west-1:123456789012:secret:payment",
	VarSiteOrigins:            "https://www.example.com,https://shop.example.com",
	VarFourEyesLimits:         "EUR 2000.00, USD 2500.00",
	VarLookupKeySecretARN:     "arn:aws:secretsmanager:eu-west-1:123456789012:secret:lookup",
	VarStripeWebhookSecretARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhook",
	VarAgreementPdfFunction:   "arn:aws:lambda:eu-west-1:123456789012:function:AgreementPdfFunction:live",
}

// TestBuildersAgreeWithTheTemplate checks that awsenv builds exactly the functions template.yaml
// declares, and that each builder reads exactly the environment variables its function's Environment
// sets: none that the template forgot (the function would fail at cold start in AWS), none that the
// template sets for nothing.
func TestBuildersAgreeWithTheTemplate(t *testing.T) {
	tmpl, err := samtemplate.Load("../template.yaml")
	if err != nil {
		t.Fatalf("load template.yaml: %v", err)
	}
	fns, err := tmpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	secrets := secretsStandIn(t, strings.Repeat("k", 64))
	inTemplate := map[string]bool{}
	for _, f := range fns {
		inTemplate[f.LogicalID] = true
		t.Run(f.LogicalID, func(t *testing.T) {
			build, ok := Builders()[f.LogicalID]
			if !ok {
				t.Fatalf("template.yaml declares %s, but awsenv.Builders has no builder for it", f.LogicalID)
			}
			var declared []string
			for name := range f.Environment {
				declared = append(declared, name)
			}
			sort.Strings(declared)
			var mu sync.Mutex
			read := map[string]bool{}
			env := httpEnv(nil, secrets)
			env.Getenv = func(name string) string {
				mu.Lock()
				read[name] = true
				mu.Unlock()
				if _, ok := f.Environment[name]; !ok {
					return "" // only what the template sets is there in AWS
				}
				return templateValues[name]
			}
			h, err := build(context.Background(), env)
			if err != nil {
				t.Fatalf("build with the template's environment: %v", err)
			}
			if h == nil {
				t.Fatal("builder returned no handler")
			}
			var got []string
			for name := range read {
				got = append(got, name)
			}
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(declared, ",") {
				t.Errorf("builder reads %v\ntemplate sets %v", got, declared)
			}
			for _, name := range declared {
				if _, ok := templateValues[name]; !ok {
					t.Errorf("template variable %s has no test value; add it to templateValues", name)
				}
			}
		})
	}
	for id := range Builders() {
		if !inTemplate[id] {
			t.Errorf("awsenv.Builders has %s, which template.yaml does not declare", id)
		}
	}
}

// TestTaskBuildersReportEveryMissingVariable checks the fail-fast message: one error naming every
// missing variable.
func TestTaskBuildersReportEveryMissingVariable(t *testing.T) {
	ctx := context.Background()
	for name, want := range map[string]string{
		"VerifyConditionsFunction":   "TABLE_NAME",
		"ProposeResolutionFunction":  "TABLE_NAME",
		"RequestStaffReviewFunction": "TABLE_NAME, PUBLIC_BASE_URL, MAIL_FROM, MAIL_CONFIGURATION_SET, COMPANY_NAME, COMPANY_SUPPORT_EMAIL, COMPANY_ADDRESS, STAFF_EMAIL",
		"RequestConsentFunction":     "TABLE_NAME, PUBLIC_BASE_URL, MAIL_FROM, MAIL_CONFIGURATION_SET, COMPANY_NAME, COMPANY_SUPPORT_EMAIL, COMPANY_ADDRESS",
		"ExecuteResolutionFunction":  "TABLE_NAME, PAYMENT_PROVIDER",
		"NotifyFunction":             "TABLE_NAME, PUBLIC_BASE_URL, MAIL_FROM, MAIL_CONFIGURATION_SET, COMPANY_NAME, COMPANY_SUPPORT_EMAIL, COMPANY_ADDRESS, STAFF_EMAIL, AGREEMENT_PDF_FUNCTION",
		"MarkNeedsAttentionFunction": "TABLE_NAME",
	} {
		_, err := Builders()[name](ctx, httpEnv(nil, ""))
		if err == nil || !strings.Contains(err.Error(), name+": missing environment") || !strings.Contains(err.Error(), want+" (set in template.yaml)") {
			t.Errorf("%s without environment: %v\nwant the missing %s", name, err, want)
		}
	}
}

func TestBuildersRefuseBadValues(t *testing.T) {
	ctx := context.Background()
	vars := map[string]string{}
	for k, v := range templateValues {
		vars[k] = v
	}
	vars[VarPaymentProvider] = "paypal"
	if _, err := Builders()["ExecuteResolutionFunction"](ctx, httpEnv(vars, "")); err == nil || !strings.Contains(err.Error(), "PAYMENT_PROVIDER") {
		t.Errorf("unknown provider: %v", err)
	}
	vars[VarPaymentProvider] = ProviderStripe
	vars[VarPaymentSecretARN] = ""
	if _, err := Builders()["ExecuteResolutionFunction"](ctx, httpEnv(vars, "")); err == nil || !strings.Contains(err.Error(), "PAYMENT_SECRET_ARN") {
		t.Errorf("stripe without a secret: %v", err)
	}
	vars[VarPublicBaseURL] = "refunds.example.com"
	if _, err := Builders()["NotifyFunction"](ctx, httpEnv(vars, "")); err == nil || !strings.Contains(err.Error(), "public base URL") {
		t.Errorf("relative base URL: %v", err)
	}
}

func TestStripeKeyIsReadAtColdStart(t *testing.T) {
	vars := map[string]string{}
	for k, v := range templateValues {
		vars[k] = v
	}
	vars[VarPaymentProvider] = ProviderStripe
	h, err := paymentfuncs.ExecuteResolution(context.Background(), httpEnv(vars, secretsStandIn(t, `{"key":"sk_test_123"}`)))
	if err != nil || h.Payment == nil {
		t.Fatalf("ExecuteResolution with a Stripe secret = %v, %v", h, err)
	}
	_, err = paymentfuncs.ExecuteResolution(context.Background(), httpEnv(vars, secretsStandIn(t, "pk_test_public")))
	if err == nil || strings.Contains(err.Error(), "pk_test_public") {
		t.Errorf("a publishable key must be refused without being quoted: %v", err)
	}
}
