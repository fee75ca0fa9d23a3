package refundflow_test

import (
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"refundflow/infra/local/samtemplate"
	"refundflow/testenv"
)

// resourcesOfType returns the template's resources of one type, resolved with res.
func resourcesOfType(t *testing.T, tmpl *samtemplate.Template, res samtemplate.Resolver, typ string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, r := range tmpl.ResourcesOfType(typ) {
		v, err := samtemplate.ResolveValue(r.Properties, res)
		if err != nil {
			t.Fatalf("%s: %v", r.LogicalID, err)
		}
		out[r.LogicalID], _ = v.(map[string]any)
	}
	return out
}

// TestEveryFunctionLogsToARetainedLogGroup checks that each function has a log group under the name
// Lambda writes to, /aws/lambda/<function name>, kept for LogRetentionDays, and that the functions
// log JSON (so the slog lines stay whole records in CloudWatch).
func TestEveryFunctionLogsToARetainedLogGroup(t *testing.T) {
	tmpl := loadTemplate(t)
	groups := resourcesOfType(t, tmpl, symbolic(tmpl), "AWS::Logs::LogGroup")
	byName := map[string]map[string]any{}
	for id, props := range groups {
		if got, want := fmt.Sprint(tmpl.Resources[id].Properties["RetentionInDays"]), "map[Ref:LogRetentionDays]"; got != want {
			t.Errorf("log group %s: RetentionInDays = %s, want !Ref LogRetentionDays", id, got)
		}
		byName[fmt.Sprint(props["LogGroupName"])] = props
	}
	for id, f := range functions(t, tmpl) {
		if byName["/aws/lambda/{Ref "+id+"}"] == nil {
			t.Errorf("%s has no log group /aws/lambda/${%s} with retention", id, id)
		}
		lc, _ := f.Properties["LoggingConfig"].(map[string]any)
		if got := fmt.Sprint(lc["LogFormat"]); got != "JSON" {
			t.Errorf("%s: LoggingConfig.LogFormat = %s, want JSON", id, got)
		}
		if got := fmt.Sprint(f.Properties["Tracing"]); got != "Active" {
			t.Errorf("%s: Tracing = %s, want Active (X-Ray)", id, got)
		}
	}
	sms, err := tmpl.StateMachines()
	if err != nil {
		t.Fatal(err)
	}
	for _, sm := range sms {
		dests, err := samtemplate.ResolveValue(sm.Logging.Destinations, symbolic(tmpl))
		if err != nil {
			t.Fatal(err)
		}
		ok := false
		for _, d := range asList(dests) {
			dm, _ := d.(map[string]any)
			cw, _ := dm["CloudWatchLogsLogGroup"].(map[string]any)
			arn := fmt.Sprint(cw["LogGroupArn"])
			if id, found := strings.CutSuffix(strings.TrimPrefix(arn, "{"), ".Arn}"); found && groups[id] != nil {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s logs to no log group of this template (so none with retention)", sm.LogicalID)
		}
	}
}

// TestAlarmsCoverEveryFunctionAndTheWorkflow checks that every function is in one alarm on Errors
// and one on Throttles, that each metric math alarm sums all its metrics within CloudWatch's ten
// metrics per alarm, that the workflow's failed and timed-out executions and the API's 5xx answers
// are alarmed on, and that every alarm notifies the stack's AlarmTopic, or AlarmTopicArn when one is
// given, both when it fires and when it recovers.
func TestAlarmsCoverEveryFunctionAndTheWorkflow(t *testing.T) {
	tmpl := loadTemplate(t)
	const topic = "arn:aws:sns:us-east-1:123456789012:alarms"
	for _, given := range []string{"", topic} {
		res := symbolic(tmpl)
		res.Parameters["AlarmTopicArn"] = given
		want := "[" + given + "]"
		if given == "" {
			want = "[{Ref AlarmTopic}]"
		}
		for id, a := range resourcesOfType(t, tmpl, res, "AWS::CloudWatch::Alarm") {
			for _, key := range []string{"AlarmActions", "OKActions"} {
				if got := fmt.Sprint(a[key]); got != want {
					t.Errorf("%s: %s with AlarmTopicArn %q = %s, want %s", id, key, given, got, want)
				}
			}
		}
	}
	res := symbolic(tmpl)
	alarms := resourcesOfType(t, tmpl, res, "AWS::CloudWatch::Alarm")
	covered := map[string]map[string]int{"Errors": {}, "Throttles": {}}
	plain := map[string]string{} // namespace/metric -> dimension value, for single-metric alarms
	for id, a := range alarms {
		if a["AlarmDescription"] == nil {
			t.Errorf("%s has no AlarmDescription", id)
		}
		metrics := asList(a["Metrics"])
		if len(metrics) == 0 {
			dims := asList(a["Dimensions"])
			value := ""
			if len(dims) > 0 {
				value = fmt.Sprint(dims[0].(map[string]any)["Value"])
			}
			plain[fmt.Sprintf("%v/%v", a["Namespace"], a["MetricName"])] = value
			continue
		}
		if len(metrics) > 11 {
			t.Errorf("%s has %d metrics; an alarm takes at most 10 plus the expression", id, len(metrics))
		}
		var expr string
		ids := map[string]bool{}
		for _, m := range metrics {
			mm := m.(map[string]any)
			if e, ok := mm["Expression"].(string); ok {
				if expr != "" {
					t.Errorf("%s has two expressions", id)
				}
				expr = e
				if mm["ReturnData"] != true {
					t.Errorf("%s: the expression does not return data", id)
				}
				continue
			}
			if mm["ReturnData"] != false {
				t.Errorf("%s: metric %v must not return data (only the sum does)", id, mm["Id"])
			}
			ids[fmt.Sprint(mm["Id"])] = true
			stat := mm["MetricStat"].(map[string]any)
			metric := stat["Metric"].(map[string]any)
			name := fmt.Sprint(metric["MetricName"])
			if metric["Namespace"] != "AWS/Lambda" || covered[name] == nil {
				continue // not a function's errors or throttles (the table's throttles, say)
			}
			dim := asList(metric["Dimensions"])[0].(map[string]any)
			covered[name][refTarget(fmt.Sprint(dim["Value"]))]++
		}
		used := map[string]bool{}
		for _, m := range regexp.MustCompile(`[a-z][A-Za-z0-9_]*`).FindAllString(expr, -1) {
			used[m] = true
		}
		for mid := range ids {
			if !used[mid] {
				t.Errorf("%s: metric %s is not in the expression %q", id, mid, expr)
			}
		}
	}
	for id := range functions(t, tmpl) {
		for metric, fns := range covered {
			if got := fns[id]; got != 1 {
				t.Errorf("%s is in %d alarms on %s, want 1", id, got, metric)
			}
		}
	}
	for _, want := range []string{"AWS/States/ExecutionsFailed", "AWS/States/ExecutionsTimedOut"} {
		if got := plain[want]; got != "{Ref RefundStateMachine}" {
			t.Errorf("no alarm on %s of RefundStateMachine (got %q)", want, got)
		}
	}
	if got := plain["AWS/ApiGateway/5xx"]; got != "{Ref HttpApi}" {
		t.Errorf("no alarm on the HTTP API's 5xx answers (got %q)", got)
	}
}

// TestTableIsProtected checks the table's protections: on-demand billing, point-in-time recovery,
// TTL on the attribute the code writes, deletion protection from a parameter, and the policies that
// keep the table when the stack is deleted or an update would replace it, except when the operation
// that created it rolls back.
func TestTableIsProtected(t *testing.T) {
	tmpl := loadTemplate(t)
	tables, err := tmpl.Tables()
	if err != nil || len(tables) != 1 {
		t.Fatalf("want one table: %d, %v", len(tables), err)
	}
	tb := tables[0]
	if tb.BillingMode != "PAY_PER_REQUEST" {
		t.Errorf("BillingMode = %s, want PAY_PER_REQUEST", tb.BillingMode)
	}
	if fmt.Sprint(tb.PointInTimeRecovery) != "true" {
		t.Errorf("point-in-time recovery = %v, want true", tb.PointInTimeRecovery)
	}
	if tb.TimeToLive == nil || !tb.TimeToLive.Enabled || tb.TimeToLive.AttributeName != "ttl" {
		t.Errorf("TTL = %+v, want enabled on ttl", tb.TimeToLive)
	}
	v, err := samtemplate.ResolveValue(tb.DeletionProtectionEnabled, symbolic(tmpl))
	if err != nil || v != "true" {
		t.Errorf("DeletionProtectionEnabled = %v (%v), want the TableDeletionProtection parameter defaulting to true", v, err)
	}
	if p := tmpl.Parameters["TableDeletionProtection"]; p.Default != "true" {
		t.Errorf("TableDeletionProtection defaults to %q, want true", p.Default)
	}
	r := tmpl.Resources[tb.LogicalID]
	if got, want := r.DeletionPolicy, "RetainExceptOnCreate"; got != want {
		t.Errorf("DeletionPolicy = %q, want %q", got, want)
	}
	if got, want := r.UpdateReplacePolicy, "Retain"; got != want {
		t.Errorf("UpdateReplacePolicy = %q, want %q (a replacement must not delete the data)", got, want)
	}
}

// TestTemplatePassesCfnLint runs cfn-lint, which applies the SAM transform and checks the result
// against CloudFormation's resource specifications (circular dependencies, unknown properties,
// wrong types). It is part of the machine image; without it the test skips, or fails under
// REFUNDFLOW_REQUIRE_ALL=1 (CI).
func TestTemplatePassesCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		testenv.Missing(t, "cfn-lint is not installed (it is part of the machine image; pip install cfn-lint)")
	}
	out, err := exec.Command(bin, "template.yaml").CombinedOutput()
	if err != nil {
		t.Errorf("cfn-lint template.yaml: %v\n%s", err, out)
	}
}

// TestFunctionsLogWithTheInvocationContext checks that the functions' code logs through the
// context-taking slog methods (InfoContext(ctx, ...)), because the log handler takes the Lambda
// request id from the context: a line logged without it cannot be tied to its request. Two exemptions:
// awsenv, whose builders run at cold start before there is an invocation, and apigw, whose
// internal-error lines go through the default logger (awsenv.FromProcess makes it the JSON handler)
// with the API Gateway request id of the event, which the API's access log records too.
func TestFunctionsLogWithTheInvocationContext(t *testing.T) {
	p := loadProgram(t)
	var names []string
	for _, m := range []string{"Debug", "Info", "Warn", "Error"} {
		names = append(names, "(*log/slog.Logger)."+m, "log/slog."+m, "log.Print", "log.Printf", "log.Println")
	}
	for _, s := range p.CallSites(names...) {
		if s.In != nil && s.In.Pkg() != nil {
			if path := s.In.Pkg().Path(); path == p.Module()+"/awsenv" || path == p.Module()+"/apigw" {
				continue
			}
		}
		t.Errorf("%s: %s logs without the invocation's context; use %sContext(ctx, ...)", s.At, s.Callee.FullName(), s.Callee.Name())
	}
}
