package awsenv

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"refundflow/awsenv/basicfuncs"
	"refundflow/awsenv/eventfuncs"
	"refundflow/awsenv/formfuncs"
	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/mailfuncs"
	"refundflow/awsenv/paymentfuncs"
	"refundflow/awsenv/pdffuncs"
	"refundflow/awsenv/sandboxfuncs"
	"refundflow/awsenv/stafffuncs"
	"refundflow/awsenv/submitfuncs"
)

// built builds one function's handler with the template's environment, for looking inside it.
func built[H any](build func(context.Context, Env) (H, error)) func(*testing.T, Env) any {
	return func(t *testing.T, env Env) any {
		t.Helper()
		h, err := build(context.Background(), env)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
}

// TestBuildersGiveEveryOperationTheHandlerNames checks what the compiler cannot: a builder hands its
// handler the store as lambdaenv.StoreOps (method values, so that the binary links only those
// operations), and an operation it forgot would be nil and panic when the handler calls it. Every
// operation of every store port a handler holds (its Store, its Emails' markers) must be set.
func TestBuildersGiveEveryOperationTheHandlerNames(t *testing.T) {
	builders := map[string]func(*testing.T, Env) any{
		basicfuncs.FunctionWeb: built(basicfuncs.Web), submitfuncs.FunctionSubmitRequest: built(submitfuncs.SubmitRequest),
		formfuncs.FunctionRequestStatus: built(formfuncs.RequestStatus), formfuncs.FunctionRecordConsent: built(formfuncs.RecordConsent),
		formfuncs.FunctionFeedback: built(formfuncs.Feedback), stafffuncs.FunctionStaffApi: built(stafffuncs.StaffApi),
		basicfuncs.FunctionVerifyConditions: built(basicfuncs.VerifyConditions), basicfuncs.FunctionProposeResolution: built(basicfuncs.ProposeResolution),
		mailfuncs.FunctionRequestStaffReview: built(mailfuncs.RequestStaffReview), mailfuncs.FunctionRequestConsent: built(mailfuncs.RequestConsent),
		paymentfuncs.FunctionExecuteResolution: built(paymentfuncs.ExecuteResolution), mailfuncs.FunctionNotify: built(mailfuncs.Notify),
		basicfuncs.FunctionMarkNeedsAttention: built(basicfuncs.MarkNeedsAttention), basicfuncs.FunctionResumeDecisions: built(basicfuncs.ResumeDecisions),
		eventfuncs.FunctionStripeWebhook: built(eventfuncs.StripeWebhook), pdffuncs.FunctionAgreementPdf: built(pdffuncs.AgreementPdf),
		mailfuncs.FunctionSendMail:           built(mailfuncs.SendMail),
		sandboxfuncs.FunctionSandboxPayments: built(sandboxfuncs.SandboxPayments), sandboxfuncs.FunctionSandboxEvents: built(sandboxfuncs.SandboxEvents),
	}
	if got, want := len(builders), len(Builders()); got != want {
		t.Fatalf("this test knows %d builders, awsenv.Builders has %d", got, want)
	}
	env := httpEnv(templateValues, secretsStandIn(t, strings.Repeat("k", 64)))
	for id, build := range builders {
		t.Run(id, func(t *testing.T) {
			var missing []string
			var walk func(path string, v reflect.Value)
			walk = func(path string, v reflect.Value) {
				for i := range v.NumField() {
					f, ft := v.Field(i), v.Type().Field(i)
					switch {
					case !ft.IsExported():
					case f.Kind() == reflect.Struct:
						walk(path+ft.Name+".", f)
					case f.Kind() == reflect.Interface && !f.IsNil():
						ops, ok := f.Elem().Interface().(lambdaenv.StoreOps)
						if ft.Name == "Store" && !ok {
							t.Errorf("%s%s is a %s, not lambdaenv.StoreOps: the binary keeps every operation of it", path, ft.Name, f.Elem().Type())
						}
						if !ok {
							continue
						}
						port := ft.Type
						for m := range port.NumMethod() {
							name := port.Method(m).Name
							if op := reflect.ValueOf(ops).FieldByName(name + "Op"); !op.IsValid() || op.IsNil() {
								missing = append(missing, path+ft.Name+"."+name)
							}
						}
					}
				}
			}
			walk("", reflect.ValueOf(build(t, env)))
			if len(missing) > 0 {
				t.Errorf("the builder does not give its handler %s", strings.Join(missing, ", "))
			}
		})
	}
}
