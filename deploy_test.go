package refundflow_test

// The template tests load template.yaml the way the local stack does (infra/local/samtemplate: the
// short-form tags, Globals merged) and check that what SAM deploys agrees with the code: routes,
// state machine substitutions and invoke permissions, IAM statements against what each function's
// code calls (iam_test.go), log groups and alarms (observability_test.go), and the deploy guide's
// parameter list (docs_test.go).

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"refundflow"
	"refundflow/handler"
	"refundflow/infra/local/samtemplate"
	"refundflow/testenv"
)

// loadTemplate parses the embedded template.yaml, the file SAM deploys, as the local stack does.
func loadTemplate(t *testing.T) *samtemplate.Template {
	t.Helper()
	tmpl, err := samtemplate.LoadFS(refundflow.Files, "template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// symbolic returns a resolver that keeps references visible: Ref X becomes "{Ref X}", GetAtt X.Arn
// becomes "{X.Arn}", and a parameter without a default becomes "{Param X}", so that a test can see
// which resource a policy or an environment variable points at.
func symbolic(tmpl *samtemplate.Template) samtemplate.Resolver {
	params := map[string]string{}
	for name, p := range tmpl.Parameters {
		if p.HasDefault {
			continue
		}
		params[name] = "{Param " + name + "}"
		if p.AllowedPattern != "" {
			// A URL, an email address or a domain prefix: keep the name visible inside a value the
			// pattern accepts.
			re := regexp.MustCompile(p.AllowedPattern)
			for _, v := range []string{params[name], "https://param-" + strings.ToLower(name) + ".example", "param-" + strings.ToLower(name) + "@example.com", "param-" + strings.ToLower(name)} {
				if re.MatchString(v) {
					params[name] = v
					break
				}
			}
		}
	}
	return samtemplate.Resolver{
		Template:   tmpl,
		Parameters: params,
		Ref: func(id string) (string, error) {
			if fn, prop, ok := samtemplate.RefProperty(id); ok {
				// The alias SAM publishes for a function with AutoPublishAlias.
				if f, err := tmpl.Function(fn); err != nil || prop != "Alias" || f.AutoPublishAlias == "" {
					return "", fmt.Errorf("Ref to %s, which SAM does not generate", id)
				}
				return "{Ref " + id + "}", nil
			}
			if _, ok := tmpl.Resources[id]; !ok {
				return "", fmt.Errorf("Ref to unknown resource %s", id)
			}
			return "{Ref " + id + "}", nil
		},
		GetAtt: func(id, attr string) (string, error) {
			if _, ok := tmpl.Resources[id]; !ok {
				return "", fmt.Errorf("GetAtt of unknown resource %s", id)
			}
			return "{" + id + "." + attr + "}", nil
		},
	}
}

// refTarget returns X for "{Ref X}", or "".
func refTarget(s string) string {
	if id, ok := strings.CutPrefix(s, "{Ref "); ok {
		return strings.TrimSuffix(id, "}")
	}
	return ""
}

// functions returns the template's functions by logical ID.
func functions(t *testing.T, tmpl *samtemplate.Template) map[string]samtemplate.Function {
	t.Helper()
	fns, err := tmpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]samtemplate.Function{}
	for _, f := range fns {
		out[f.LogicalID] = f
	}
	return out
}

// sortedKeys returns a set's members in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestEveryRouteInvokesATemplateFunction checks that each HttpApi route's function is a function of
// the template with code under functions/, that staff routes are behind the JWT authorizer and client
// routes are not, and that no function is left without a way to run (neither routed, invoked by the
// state machine, nor run on a schedule).
func TestEveryRouteInvokesATemplateFunction(t *testing.T) {
	tmpl := loadTemplate(t)
	fns := functions(t, tmpl)
	routes, err := tmpl.HttpRoutes()
	if err != nil {
		t.Fatalf("routes: %v", err)
	}
	if len(routes) == 0 {
		t.Fatal("template.yaml has no HttpApi routes")
	}
	used := map[string]bool{}
	for _, r := range routes {
		f, ok := fns[r.Function]
		if !ok {
			t.Errorf("route %s invokes %s, which is not a function of the template", r.RouteKey(), r.Function)
			continue
		}
		used[r.Function] = true
		if f.BuildMethod != "makefile" {
			t.Errorf("%s: Metadata.BuildMethod = %q, want makefile (the Makefile's build-%s target)", r.Function, f.BuildMethod, r.Function)
		}
		// The staff API, and a sandbox deployment's checkout but for its page (the billing system's
		// token takes payments there).
		staff := strings.HasPrefix(r.Path, "/staff/api/") ||
			strings.HasPrefix(r.Path, handler.SandboxPaymentsPath) && r.RouteKey() != "GET "+handler.SandboxPaymentsPath
		if got, want := r.Authorizer != "", staff; got != want {
			t.Errorf("route %s: behind an authorizer = %v, want %v (only the staff API and the sandbox checkout's JSON routes are)", r.RouteKey(), got, want)
		}
	}
	for _, id := range invokedByStateMachines(t, tmpl) {
		used[id] = true
	}
	for _, id := range invokedByFunctions(t, tmpl) {
		used[id] = true
	}
	for id, expr := range scheduledFunctions(t, tmpl) {
		used[id] = true
		if !scheduleExpression.MatchString(expr) {
			t.Errorf("%s: schedule %q is not a rate(...) or cron(...) expression", id, expr)
		}
		if f := fns[id]; f.BuildMethod != "makefile" {
			t.Errorf("%s: Metadata.BuildMethod = %q, want makefile", id, f.BuildMethod)
		}
	}
	for id := range fns {
		if !used[id] {
			t.Errorf("function %s is neither routed, invoked by a state machine or another function, nor scheduled", id)
		}
	}
}

// scheduleExpression matches an EventBridge schedule expression.
var scheduleExpression = regexp.MustCompile(`^(rate\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\)|cron\([^)]+\))$`)

// scheduledFunctions returns the functions that have a Schedule or ScheduleV2 event, with its
// expression (samtemplate's Function view keeps only HttpApi events, so the raw Events are read).
func scheduledFunctions(t *testing.T, tmpl *samtemplate.Template) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range tmpl.ResourcesOfType("AWS::Serverless::Function") {
		events, _ := r.Properties["Events"].(map[string]any)
		for name, raw := range events {
			ev, _ := raw.(map[string]any)
			props, _ := ev["Properties"].(map[string]any)
			switch ev["Type"] {
			case "Schedule":
				out[r.LogicalID] = fmt.Sprint(props["Schedule"])
			case "ScheduleV2":
				out[r.LogicalID] = fmt.Sprint(props["ScheduleExpression"])
			case "HttpApi":
			default:
				t.Errorf("%s: event %s has type %v, which neither the tests nor the local stack know", r.LogicalID, name, ev["Type"])
			}
		}
	}
	return out
}

// placeholder matches a DefinitionSubstitutions placeholder in a definition.
var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// TestStateMachineSubstitutionsMatchTheDefinition checks both directions: every ${Placeholder} in
// the definition file has a substitution (an unfilled one reaches Step Functions as text and the
// deployment fails), and every substitution is used (a leftover means the file and template drifted).
func TestStateMachineSubstitutionsMatchTheDefinition(t *testing.T) {
	tmpl := loadTemplate(t)
	sms, err := tmpl.StateMachines()
	if err != nil {
		t.Fatal(err)
	}
	if len(sms) == 0 {
		t.Fatal("no state machine in template.yaml")
	}
	for _, sm := range sms {
		def, err := fs.ReadFile(refundflow.Files, sm.DefinitionUri)
		if err != nil {
			t.Fatalf("%s: DefinitionUri %q: %v", sm.LogicalID, sm.DefinitionUri, err)
		}
		used := map[string]bool{}
		for _, m := range placeholder.FindAllStringSubmatch(string(def), -1) {
			used[m[1]] = true
			if _, ok := sm.DefinitionSubstitutions[m[1]]; !ok {
				t.Errorf("%s: %s uses ${%s}, which DefinitionSubstitutions does not fill", sm.LogicalID, sm.DefinitionUri, m[1])
			}
		}
		for name := range sm.DefinitionSubstitutions {
			if !used[name] {
				t.Errorf("%s: substitution %s is not used in %s", sm.LogicalID, name, sm.DefinitionUri)
			}
		}
		if !sm.Tracing {
			t.Errorf("%s: X-Ray tracing is off", sm.LogicalID)
		}
		if sm.Logging == nil || sm.Logging.Level == "" || sm.Logging.Level == "OFF" {
			t.Errorf("%s: execution logging is off", sm.LogicalID)
		} else if sm.Logging.IncludeExecutionData {
			t.Errorf("%s: logging includes execution data (inputs and outputs); keep personal data out of logs", sm.LogicalID)
		}
	}
}

// invokedByStateMachines returns the logical IDs of the functions the template's state machines
// invoke, read from the definitions' Task states (FunctionName or Resource) through the substitutions.
func invokedByStateMachines(t *testing.T, tmpl *samtemplate.Template) []string {
	t.Helper()
	sms, err := tmpl.StateMachines()
	if err != nil {
		t.Fatal(err)
	}
	res := symbolic(tmpl)
	out := map[string]bool{}
	for _, sm := range sms {
		for id := range invokedBy(t, tmpl, res, sm) {
			out[id] = true
		}
	}
	return sortedKeys(out)
}

// invokedByFunctions returns the functions another function invokes: those whose alias
// (!Ref X.Alias) is the value of another function's environment variable, which that function's
// policy must let it invoke (iam_test checks the grant against the code's calls).
func invokedByFunctions(t *testing.T, tmpl *samtemplate.Template) []string {
	t.Helper()
	fns := functions(t, tmpl)
	out := map[string]bool{}
	for _, f := range fns {
		for _, v := range f.Environment {
			m, ok := v.(map[string]any)
			if !ok {
				continue
			}
			ref, _ := m["Ref"].(string)
			if id, prop, ok := samtemplate.RefProperty(ref); ok && prop == "Alias" {
				if _, isFn := fns[id]; isFn {
					out[id] = true
				}
			}
		}
	}
	return sortedKeys(out)
}

// invokedBy returns the functions one state machine's Task states invoke.
func invokedBy(t *testing.T, tmpl *samtemplate.Template, res samtemplate.Resolver, sm samtemplate.StateMachine) map[string]bool {
	t.Helper()
	subs, err := sm.ResolveSubstitutions(res)
	if err != nil {
		t.Fatal(err)
	}
	def, err := fs.ReadFile(refundflow.Files, sm.DefinitionUri)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(def, &doc); err != nil {
		t.Fatalf("%s: %v", sm.DefinitionUri, err)
	}
	out := map[string]bool{}
	// functionOf maps a FunctionName (or Resource) value to the function it names.
	functionOf := func(state, v string) {
		m := placeholder.FindStringSubmatch(v)
		if m == nil {
			if strings.Contains(v, ":lambda:") || strings.Contains(v, ":function:") {
				t.Errorf("%s: state %s invokes %q, a function not named through a substitution", sm.LogicalID, state, v)
			}
			return
		}
		target := subs[m[1]]
		id := functionID(target)
		if r, ok := tmpl.Resources[id]; !ok || r.Type != samtemplate.TypeFunction {
			t.Errorf("%s: state %s invokes ${%s} = %s, which is not a function of the template", sm.LogicalID, state, m[1], target)
			return
		}
		out[id] = true
	}
	var walk func(states map[string]any)
	walk = func(states map[string]any) {
		for name, raw := range states {
			st, _ := raw.(map[string]any)
			switch st["Type"] {
			case "Task":
				resource, _ := st["Resource"].(string)
				if strings.HasPrefix(resource, "arn:aws:states:::lambda:invoke") {
					params, _ := st["Parameters"].(map[string]any)
					if params == nil {
						params, _ = st["Arguments"].(map[string]any)
					}
					fn, _ := params["FunctionName"].(string)
					functionOf(name, fn)
				} else {
					functionOf(name, resource)
				}
			case "Parallel":
				branches, _ := st["Branches"].([]any)
				for _, b := range branches {
					bm, _ := b.(map[string]any)
					sub, _ := bm["States"].(map[string]any)
					walk(sub)
				}
			case "Map":
				for _, key := range []string{"ItemProcessor", "Iterator"} {
					if p, ok := st[key].(map[string]any); ok {
						sub, _ := p["States"].(map[string]any)
						walk(sub)
					}
				}
			}
		}
	}
	states, _ := doc["States"].(map[string]any)
	walk(states)
	return out
}

// TestStateMachineMayInvokeExactlyItsFunctions checks that every function a state machine's Task
// states invoke is in its LambdaInvokePolicy list (else the execution fails with AccessDenied), and
// that the list has no function the definition does not invoke.
func TestStateMachineMayInvokeExactlyItsFunctions(t *testing.T) {
	tmpl := loadTemplate(t)
	res := symbolic(tmpl)
	sms, err := tmpl.StateMachines()
	if err != nil {
		t.Fatal(err)
	}
	for _, sm := range sms {
		invoked := invokedBy(t, tmpl, res, sm)
		if len(invoked) == 0 {
			t.Errorf("%s invokes no function", sm.LogicalID)
		}
		allowed := map[string]bool{}
		policies, _ := sm.Policies.([]any)
		for _, p := range policies {
			pm, _ := p.(map[string]any)
			lip, ok := pm["LambdaInvokePolicy"]
			if !ok {
				continue
			}
			v, err := samtemplate.ResolveValue(lip, res)
			if err != nil {
				t.Fatalf("%s: LambdaInvokePolicy: %v", sm.LogicalID, err)
			}
			name, _ := v.(map[string]any)["FunctionName"].(string)
			id := refTarget(name)
			if id == "" {
				t.Errorf("%s: LambdaInvokePolicy FunctionName %q is not a Ref to a function", sm.LogicalID, name)
				continue
			}
			allowed[id] = true
		}
		for id := range invoked {
			if !allowed[id] {
				t.Errorf("%s invokes %s, which its LambdaInvokePolicy list leaves out", sm.LogicalID, id)
			}
		}
		for id := range allowed {
			if !invoked[id] {
				t.Errorf("%s may invoke %s, which its definition never invokes", sm.LogicalID, id)
			}
		}
	}
}

// TestMakefileBuildsEveryFunction checks the Makefile against the template: FUNCTIONS lists exactly
// the template's functions (make package builds that list), and build-<LogicalId>, the target
// `sam build` calls for BuildMethod: makefile, builds ./functions/<name> for Lambda (linux/arm64,
// static, lambda.norpc, trimmed and stripped) into $(ARTIFACTS_DIR)/bootstrap.
func TestMakefileBuildsEveryFunction(t *testing.T) {
	raw, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(raw), "\\\n", " ")
	m := regexp.MustCompile(`(?m)^FUNCTIONS\s*:=(.*)$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("the Makefile has no FUNCTIONS := list")
	}
	listed := map[string]bool{}
	for _, f := range strings.Fields(m[1]) {
		listed[f+"Function"] = true
	}
	fns := functions(t, loadTemplate(t))
	if got, want := strings.Join(sortedKeys(listed), " "), strings.Join(sortedKeys(fns), " "); got != want {
		t.Errorf("Makefile FUNCTIONS:\n got %s\nwant %s (template.yaml)", got, want)
	}
	makeBin, err := exec.LookPath("make")
	if err != nil {
		testenv.Missing(t, "make is not installed")
	}
	for id := range fns {
		dir := "./functions/" + kebab(strings.TrimSuffix(id, "Function"))
		if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
			t.Errorf("%s: %v", id, err)
		}
		out, err := exec.Command(makeBin, "-n", "build-"+id, "ARTIFACTS_DIR=/tmp/artifacts").CombinedOutput()
		if err != nil {
			t.Errorf("make -n build-%s: %v\n%s", id, err, out)
			continue
		}
		cmd := string(out)
		for _, want := range []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "go build", "-tags lambda.norpc", "-trimpath",
			`-ldflags "-s -w -buildid="`, "-o /tmp/artifacts/bootstrap", dir} {
			if !strings.Contains(cmd, want) {
				t.Errorf("make build-%s runs %q, which lacks %s", id, strings.TrimSpace(cmd), want)
			}
		}
	}
}
