package refundflow_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"refundflow/handler"
	"refundflow/infra/local/samtemplate"
)

// A sandbox deployment (issue 15): with PaymentProvider=sandbox the stack has a checkout
// (SandboxPaymentsFunction, /sandbox/payments) and delivers the sandbox's events
// (SandboxEventsFunction, on a schedule); with PaymentProvider=stripe it has neither, nor anything
// that names them, so a production stack deploys without them.

// TestSandboxResourcesExistOnlyInASandboxDeployment evaluates the template's condition for both
// providers and checks what each stack gets: the sandbox's routes and schedule with the sandbox only,
// and every resource that names one of the sandbox's resources under the same condition (else
// CloudFormation refuses the Stripe stack: a Ref to a resource that does not exist).
func TestSandboxResourcesExistOnlyInASandboxDeployment(t *testing.T) {
	tmpl := loadTemplate(t)
	routes, err := tmpl.HttpRoutes()
	if err != nil {
		t.Fatal(err)
	}
	scheduled := scheduledFunctions(t, tmpl)
	for _, provider := range []string{"sandbox", "stripe"} {
		t.Run(provider, func(t *testing.T) {
			res := symbolic(tmpl)
			res.Parameters = map[string]string{}
			for k, v := range symbolic(tmpl).Parameters {
				res.Parameters[k] = v
			}
			res.Parameters["PaymentProvider"] = provider
			sandbox, err := samtemplate.EvalCondition(sandboxCondition, res)
			if err != nil {
				t.Fatal(err)
			}
			if sandbox != (provider == "sandbox") {
				t.Fatalf("condition %s = %v with PaymentProvider=%s", sandboxCondition, sandbox, provider)
			}
			exists := func(condition string) bool {
				if condition == "" {
					return true
				}
				ok, err := samtemplate.EvalCondition(condition, res)
				if err != nil {
					t.Fatal(err)
				}
				return ok
			}
			var checkout []string
			for _, r := range routes {
				if exists(r.Condition) && strings.HasPrefix(r.Path, handler.SandboxPaymentsPath) {
					checkout = append(checkout, r.RouteKey())
				}
			}
			slices.Sort(checkout)
			var want []string
			if sandbox {
				want = []string{"GET " + handler.SandboxPaymentsPath, "GET " + handler.SandboxPaymentsPath + "/{reference}",
					"POST " + handler.SandboxPaymentsPath, "POST " + handler.SandboxPaymentsPath + "/{reference}/actions"}
			}
			if !slices.Equal(checkout, want) {
				t.Errorf("routes of the checkout: %v, want %v", checkout, want)
			}
			delivers := false
			for id := range scheduled {
				if exists(tmpl.Resources[id].Condition) && id == "SandboxEventsFunction" {
					delivers = true
				}
			}
			if delivers != sandbox {
				t.Errorf("the sandbox's events are delivered on a schedule: %v, want %v", delivers, sandbox)
			}
		})
	}

	// Whatever exists in a Stripe stack names nothing that exists only in a sandbox one.
	for _, id := range sortedKeys(tmpl.Resources) {
		r := tmpl.Resources[id]
		for _, target := range references(r.Properties) {
			tr, ok := tmpl.Resources[target]
			if !ok || tr.Condition != sandboxCondition || tr.Condition == r.Condition {
				continue
			}
			t.Errorf("%s (condition %q) names %s, which exists only under condition %q", id, r.Condition, target, tr.Condition)
		}
	}
	for _, id := range []string{"SandboxPaymentsFunction", "SandboxEventsFunction"} {
		if got := tmpl.Resources[id].Condition; got != sandboxCondition {
			t.Errorf("%s: Condition %q, want %s", id, got, sandboxCondition)
		}
	}
}

// subRef matches the resources a Fn::Sub string names: ${X} and ${X.Attr}.
var subRef = regexp.MustCompile(`\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}`)

// references lists the resources a raw template value names (Ref, Fn::GetAtt, Fn::Sub), except in
// the branches of an Fn::If: choosing by a condition is how a value may name a conditional resource
// (cfn-lint checks those).
func references(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			switch k {
			case "Ref":
				out = append(out, fmt.Sprint(val))
				continue
			case "Fn::GetAtt":
				switch a := val.(type) {
				case []any:
					if len(a) > 0 {
						out = append(out, fmt.Sprint(a[0]))
					}
				case string:
					name, _, _ := strings.Cut(a, ".")
					out = append(out, name)
				}
				continue
			case "Fn::Sub":
				s := val
				if a, ok := val.([]any); ok && len(a) > 0 {
					s = a[0]
				}
				if str, ok := s.(string); ok {
					for _, m := range subRef.FindAllStringSubmatch(str, -1) {
						out = append(out, m[1])
					}
				}
			case "Fn::If":
				continue
			}
			out = append(out, references(val)...)
		}
	case []any:
		for _, e := range x {
			out = append(out, references(e)...)
		}
	}
	return out
}
