package stack

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"refundflow"
	"refundflow/awsenv"
	"refundflow/awsenv/httpclient"
	"refundflow/infra/local/samtemplate"
)

// The stack and template.yaml must agree, or the local system is not the deployed one. These tests
// parse the template independently of the stack and compare: every route, function, environment
// variable, state machine placeholder and table of the template is served, built, substituted or
// created, and the stack serves nothing the template lacks. (That each awsenv builder reads exactly its
// function's variables is awsenv's TestBuildersAgreeWithTheTemplate.)

// parsedTemplate parses, apart from the stack, the template.yaml it embeds (refundflow.Files, the file
// SAM deploys).
func parsedTemplate(t *testing.T) *samtemplate.Template {
	t.Helper()
	tmpl, err := samtemplate.LoadFS(refundflow.Files, "template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// pathWithParams fills a route's {params} (and {greedy+}) with a harmless value.
func pathWithParams(path string) string {
	return regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "x-agreement-test")
}

// gatewayNotFound is API Gateway's own answer for a request that matches no route.
const gatewayNotFound = `{"message":"Not Found"}`

func TestStackServesExactlyTheTemplateRoutes(t *testing.T) {
	t.Parallel()
	tmpl := parsedTemplate(t)
	s := startStack(t)
	routes, err := tmpl.HttpRoutes()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, r := range routes {
		want[r.RouteKey()] = r.Function
	}
	if got := s.Routes; !equal(sortedKeys(got), sortedKeys(want)) {
		t.Errorf("stack routes %v\ntemplate routes %v", sortedKeys(got), sortedKeys(want))
	}
	for key, fn := range want {
		if got := s.Routes[key]; got != fn {
			t.Errorf("route %s invokes %q locally, %q in the template", key, got, fn)
		}
	}
	served := map[string]string{}
	for _, r := range s.gw.Routes() {
		served[r.Method+" "+r.Path] = r.Name
	}
	if !equal(sortedKeys(served), sortedKeys(want)) {
		t.Errorf("the gateway serves %v\ntemplate routes %v", sortedKeys(served), sortedKeys(want))
	}

	// Over HTTP: every route reaches its function (the gateway's own 404 means it did not), and the
	// routes behind the JWT authorizer refuse a request without the token.
	v := newVisitor(t, s)
	for _, r := range routes {
		if strings.HasPrefix(r.Path, "/_local") {
			t.Errorf("template route %s is shadowed by the local stack's own pages", r.RouteKey())
		}
		path := pathWithParams(r.Path)
		header := map[string]string{"Accept": "application/json"}
		if r.Authorizer != "" {
			if p := v.do(r.Method, path, nil, header); p.Status != http.StatusUnauthorized {
				t.Errorf("%s without a token: %s", r.RouteKey(), p)
			}
			header["Authorization"] = "Bearer " + s.StaffToken
		}
		p := v.do(r.Method, path, strings.NewReader("{}"), header)
		if strings.TrimSpace(string(p.Body)) == gatewayNotFound || p.Status == http.StatusUnauthorized || p.Status >= 500 {
			t.Errorf("%s did not reach %s: %s", r.RouteKey(), r.Function, p)
		}
		if p.Header.Get("Apigw-Requestid") == "" {
			t.Errorf("%s was not answered by the gateway (no Apigw-Requestid)", r.RouteKey())
		}
	}

	// Nothing else: other methods and paths get the gateway's 404, as in AWS.
	for _, probe := range []struct{ method, path string }{
		{http.MethodDelete, "/requests/x"},
		{http.MethodPut, "/"},
		{http.MethodPut, "/requests"},
		{http.MethodGet, "/consent"},
		{http.MethodGet, "/staff/api/orders/RF-1001"},
		{http.MethodPost, "/feedback"},
		{http.MethodGet, "/admin"},
		{http.MethodGet, "/assets/a/b"},
	} {
		key := probe.method + " " + probe.path
		if _, ok := want[key]; ok {
			t.Fatalf("probe %s is a template route; pick another", key)
		}
		p := v.do(probe.method, probe.path, nil, map[string]string{"Authorization": "Bearer " + s.StaffToken})
		if p.Status != http.StatusNotFound || strings.TrimSpace(string(p.Body)) != gatewayNotFound {
			t.Errorf("%s is not in the template but answers %s", key, p)
		}
	}
}

func TestStackBuildsExactlyTheTemplateFunctions(t *testing.T) {
	t.Parallel()
	tmpl := parsedTemplate(t)
	s := startStack(t)
	fns, err := tmpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range fns {
		want = append(want, f.LogicalID)
	}
	sort.Strings(want)
	if !equal(s.Functions, want) {
		t.Errorf("stack functions %v\ntemplate functions %v", s.Functions, want)
	}
	if got := sortedKeys(awsenv.Builders()); !equal(got, want) {
		t.Errorf("awsenv builders %v\ntemplate functions %v", got, want)
	}

	// Each function got the template's environment with every value resolved to the local stack's
	// resources.
	local := map[string]string{
		awsenv.VarTableName:       s.TableName,
		awsenv.VarStateMachineARN: s.StateMachineARN,
		awsenv.VarPublicBaseURL:   s.URL,
		awsenv.VarMailFrom:        localMailFrom,
		awsenv.VarStaffEmail:      localStaffEmail,
		awsenv.VarPaymentProvider: "sandbox",
		awsenv.VarSiteOrigins:     s.URL,
		awsenv.VarCompanyName:     demoCompanyName,
		// The console signs in at the stack's stand-in of the hosted sign-in and comes back to /staff.
		awsenv.VarStaffSignInURL:   s.URL + SignInPath,
		awsenv.VarStaffRedirectURI: s.URL + "/staff",
		awsenv.VarStaffSignOutURI:  s.URL + "/staff",
	}
	secrets := secretsmanager.New(secretsmanager.Options{Region: Region, BaseEndpoint: aws.String(s.SecretsManagerURL),
		Credentials: credentials.NewStaticCredentialsProvider("outside", "tool", ""), HTTPClient: httpclient.New(nil)})
	for _, f := range fns {
		got := s.Environment[f.LogicalID]
		if !equal(sortedKeys(got), sortedKeys(f.Environment)) {
			t.Errorf("%s: environment %v, template sets %v", f.LogicalID, sortedKeys(got), sortedKeys(f.Environment))
		}
		for name, v := range got {
			if v == "" && name != awsenv.VarCompanyPolicyURL || strings.Contains(v, "${") {
				t.Errorf("%s: %s=%q is not resolved", f.LogicalID, name, v)
			}
			if w, ok := local[name]; ok && v != w {
				t.Errorf("%s: %s=%q, want the local %q", f.LogicalID, name, v, w)
			}
			if strings.HasSuffix(name, "_SECRET_ARN") {
				// The secret exists in the Secrets Manager stand-in (the payment key is empty: the
				// sandbox provider needs none).
				_, err := secrets.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(v)})
				var missing *smtypes.ResourceNotFoundException
				if errors.As(err, &missing) {
					t.Errorf("%s: %s=%s is not in the local Secrets Manager", f.LogicalID, name, v)
				}
			}
		}
	}
}

func TestStackSubstitutesEveryStateMachinePlaceholder(t *testing.T) {
	t.Parallel()
	tmpl := parsedTemplate(t)
	s := startStack(t)
	sms, err := tmpl.StateMachines()
	if err != nil {
		t.Fatal(err)
	}
	if len(sms) != 1 {
		t.Fatalf("the template has %d state machines; the stack handles one (Stack.StateMachineARN)", len(sms))
	}
	sm := sms[0]
	def, err := fs.ReadFile(refundflow.Files, sm.DefinitionUri)
	if err != nil {
		t.Fatal(err)
	}
	placeholders := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{([^}]+)\}`).FindAllStringSubmatch(string(def), -1) {
		placeholders[m[1]] = true
	}
	if len(placeholders) == 0 {
		t.Fatalf("%s has no ${placeholders}; the test reads the wrong file?", sm.DefinitionUri)
	}
	if got, want := sortedKeys(sm.DefinitionSubstitutions), sortedKeys(placeholders); !equal(got, want) {
		t.Errorf("template DefinitionSubstitutions %v\nplaceholders in %s %v", got, sm.DefinitionUri, want)
	}
	if got, want := sortedKeys(s.Substitutions), sortedKeys(placeholders); !equal(got, want) {
		t.Errorf("stack substitutions %v\nplaceholders %v", got, want)
	}
	// A function ARN, qualified with the function's alias: the workflow invokes what was published
	// as live, never $LATEST.
	fnARN := regexp.MustCompile(`^arn:aws:lambda:` + Region + `:` + AccountID + `:function:([A-Za-z0-9]+)(?::([A-Za-z0-9_-]+))?$`)
	for name, v := range s.Substitutions {
		m := fnARN.FindStringSubmatch(v)
		if m == nil {
			t.Errorf("${%s} = %q, not a function ARN", name, v)
			continue
		}
		if !contains(s.Functions, m[1]) {
			t.Errorf("${%s} names %s, which the stack did not build", name, m[1])
			continue
		}
		if want := strings.TrimSuffix(name, "Arn"); m[1] != want {
			t.Errorf("${%s} names %s, want %s (one name everywhere)", name, m[1], want)
		}
		if f, err := tmpl.Function(m[1]); err != nil || f.AutoPublishAlias == "" || m[2] != f.AutoPublishAlias {
			t.Errorf("${%s} = %q: want the function's alias (AutoPublishAlias), not $LATEST", name, v)
		}
	}

	// The engine runs the definition with every placeholder replaced, and every Lambda task names a
	// function of the stack.
	client := sfn.New(sfn.Options{Region: Region, BaseEndpoint: aws.String(s.StepFunctionsURL),
		Credentials: credentials.NewStaticCredentialsProvider("outside", "tool", ""), HTTPClient: httpclient.New(nil)})
	out, err := client.DescribeStateMachine(context.Background(), &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(s.StateMachineARN)})
	if err != nil {
		t.Fatalf("describe %s: %v", s.StateMachineARN, err)
	}
	running := aws.ToString(out.Definition)
	if strings.Contains(running, "${") {
		t.Errorf("the running definition still has placeholders")
	}
	var doc any
	if err := json.Unmarshal([]byte(running), &doc); err != nil {
		t.Fatalf("running definition: %v", err)
	}
	var names []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if fn, ok := v["FunctionName"].(string); ok {
				names = append(names, fn)
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(doc)
	if len(names) == 0 {
		t.Fatal("no Lambda task names a FunctionName in the running definition")
	}
	for _, n := range names {
		if m := fnARN.FindStringSubmatch(n); m == nil || !contains(s.Functions, m[1]) {
			t.Errorf("a task invokes %q, not a function of the stack", n)
		}
	}
}

func TestStackCreatesTheTemplateTable(t *testing.T) {
	t.Parallel()
	tmpl := parsedTemplate(t)
	s := startStack(t)
	tables, err := tmpl.Tables()
	if err != nil || len(tables) != 1 {
		t.Fatalf("template tables %v, %v; the stack expects one", tables, err)
	}
	db := outsideDynamoDB(s)
	res := s.resolver(tmpl, nil)
	in, err := tables[0].CreateTableInput(res)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(in.TableName), s.TableName; got != want {
		t.Errorf("the functions use table %s, the template names it %s", want, got)
	}
	desc, err := db.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(s.TableName)})
	if err != nil {
		t.Fatal(err)
	}
	keys := func(ks any) string { b, _ := json.Marshal(ks); return string(b) }
	if got, want := keys(desc.Table.KeySchema), keys(in.KeySchema); got != want {
		t.Errorf("key schema %s, template %s", got, want)
	}
	var gotIdx, wantIdx []string
	for _, g := range desc.Table.GlobalSecondaryIndexes {
		gotIdx = append(gotIdx, aws.ToString(g.IndexName)+keys(g.KeySchema))
	}
	for _, g := range in.GlobalSecondaryIndexes {
		wantIdx = append(wantIdx, aws.ToString(g.IndexName)+keys(g.KeySchema))
	}
	if !equal(gotIdx, wantIdx) {
		t.Errorf("indexes %v, template %v", gotIdx, wantIdx)
	}
}

// TestStackServesEveryTemplateEvent reads every event of every function in the template (not through
// the stack's own reading of them) and checks that the stack serves it: an HttpApi event is a route
// of the gateway (TestStackServesExactlyTheTemplateRoutes checks those in detail), a Schedule or
// ScheduleV2 event runs on the stack's clock with the template's rate, and no other event type
// exists, because the stack would silently not run it.
func TestStackServesEveryTemplateEvent(t *testing.T) {
	t.Parallel()
	tmpl := parsedTemplate(t)
	s := startStack(t)
	wantSchedules := map[string]string{}
	for _, r := range tmpl.ResourcesOfType("AWS::Serverless::Function") {
		events, _ := r.Properties["Events"].(map[string]any)
		for name, raw := range events {
			ev, _ := raw.(map[string]any)
			props, _ := ev["Properties"].(map[string]any)
			switch typ := ev["Type"]; typ {
			case "HttpApi":
				key := strings.ToUpper(props["Method"].(string)) + " " + props["Path"].(string)
				if got := s.Routes[key]; got != r.LogicalID {
					t.Errorf("%s event %s (%s): the stack routes it to %q", r.LogicalID, name, key, got)
				}
			case "Schedule":
				if r.LogicalID == sandboxEventsID {
					// The stack invokes it every second instead (provider.go); TestSandboxEventsReachTheWebhook.
					if !contains(s.Functions, r.LogicalID) || s.deliverFn == nil {
						t.Errorf("%s: the stack did not build it, or its delivery loop does not invoke it", r.LogicalID)
					}
					continue
				}
				wantSchedules[r.LogicalID+"/"+name] = props["Schedule"].(string)
			case "ScheduleV2":
				wantSchedules[r.LogicalID+"/"+name] = props["ScheduleExpression"].(string)
			default:
				t.Errorf("%s event %s has type %v, which the local stack does not run", r.LogicalID, name, typ)
			}
		}
	}
	if len(wantSchedules) == 0 {
		t.Fatal("the template has no Schedule event; the sweeper's schedule is gone?")
	}
	got := map[string]string{}
	for _, sch := range s.Schedules() {
		got[sch.Function+"/"+sch.Event] = sch.Expression
		if want, err := parseRate(sch.Expression); err != nil || sch.Every != want {
			t.Errorf("schedule %s/%s runs every %v, its expression %q says %v (%v)", sch.Function, sch.Event, sch.Every, sch.Expression, want, err)
		}
		if !contains(s.Functions, sch.Function) {
			t.Errorf("schedule %s/%s invokes %s, which the stack did not build", sch.Function, sch.Event, sch.Function)
		}
	}
	if !equal(sortedKeys(got), sortedKeys(wantSchedules)) {
		t.Errorf("stack schedules %v\ntemplate schedules %v", sortedKeys(got), sortedKeys(wantSchedules))
	}
	for k, want := range wantSchedules {
		if got[k] != want {
			t.Errorf("schedule %s: the stack runs %q, the template says %q", k, got[k], want)
		}
	}
}
