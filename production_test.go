package refundflow_test

// Checks of the template's production settings that no local run exercises: how the scheduled
// sweeper is invoked, what the alarms watch, where email bounces go (see each test).

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"refundflow/handler"
	"refundflow/infra/local/samtemplate"
)

// intProp reads an integer property of a resolved map ("" and -1 when it is missing).
func intProp(m map[string]any, key string) int {
	v, ok := m[key]
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(fmt.Sprint(v))
	if err != nil {
		return -1
	}
	return n
}

// TestScheduledFunctionsNeverOverlap checks each scheduled function: one instance at most (reserved
// concurrency 1), no retry of a failed or throttled invocation, neither by EventBridge nor by
// Lambda's asynchronous queue, and an event that waited longer than most of a period dropped, so that
// two runs never overlap and a late run never follows the next one. Its timeout must fit in a period.
func TestScheduledFunctionsNeverOverlap(t *testing.T) {
	tmpl := loadTemplate(t)
	res := symbolic(tmpl)
	fns := functions(t, tmpl)
	scheduled := scheduledFunctions(t, tmpl)
	if len(scheduled) == 0 {
		t.Fatal("no scheduled function")
	}
	for id, expr := range scheduled {
		every, err := rateOf(expr)
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		v, err := samtemplate.ResolveValue(fns[id].Properties, res)
		if err != nil {
			t.Fatal(err)
		}
		props := v.(map[string]any)
		if got := intProp(props, "ReservedConcurrentExecutions"); got != 1 {
			t.Errorf("%s: ReservedConcurrentExecutions = %d, want 1", id, got)
		}
		if timeout := time.Duration(fns[id].Timeout) * time.Second; timeout <= 0 || timeout >= every {
			t.Errorf("%s: Timeout %s does not fit in the schedule's period %s", id, timeout, every)
		}
		eic, _ := props["EventInvokeConfig"].(map[string]any)
		events, _ := props["Events"].(map[string]any)
		var retry map[string]any
		for _, raw := range events {
			ev, _ := raw.(map[string]any)
			if ev["Type"] == "Schedule" || ev["Type"] == "ScheduleV2" {
				p, _ := ev["Properties"].(map[string]any)
				retry, _ = p["RetryPolicy"].(map[string]any)
			}
		}
		for what, m := range map[string]map[string]any{"EventInvokeConfig": eic, "the schedule's RetryPolicy": retry} {
			if got := intProp(m, "MaximumRetryAttempts"); got != 0 {
				t.Errorf("%s: %s MaximumRetryAttempts = %d, want 0", id, what, got)
			}
			age := time.Duration(intProp(m, "MaximumEventAgeInSeconds")) * time.Second
			if age < time.Minute || age >= every {
				t.Errorf("%s: %s MaximumEventAgeInSeconds = %s, want at least a minute and less than the period %s", id, what, age, every)
			}
		}
	}
}

// rateOf reads a rate(...) schedule expression.
func rateOf(expr string) (time.Duration, error) {
	m := scheduleExpression.FindStringSubmatch(expr)
	if m == nil || m[2] == "" {
		return 0, fmt.Errorf("schedule %q is not a rate(...) expression", expr)
	}
	var n int
	var unit string
	if _, err := fmt.Sscanf(expr, "rate(%d %s", &n, &unit); err != nil {
		return 0, fmt.Errorf("schedule %q: %v", expr, err)
	}
	switch unit {
	case "minute)", "minutes)":
		return time.Duration(n) * time.Minute, nil
	case "hour)", "hours)":
		return time.Duration(n) * time.Hour, nil
	}
	return time.Duration(n) * 24 * time.Hour, nil
}

// alarm returns the resolved properties of the template's alarm id.
func alarm(t *testing.T, id string) map[string]any {
	t.Helper()
	tmpl := loadTemplate(t)
	a := resourcesOfType(t, tmpl, symbolic(tmpl), "AWS::CloudWatch::Alarm")[id]
	if a == nil {
		t.Fatalf("template.yaml has no alarm %s", id)
	}
	return a
}

// dimension returns the value of a metric's dimension.
func dimension(dims any, name string) string {
	for _, d := range asList(dims) {
		if dm, _ := d.(map[string]any); dm["Name"] == name {
			return fmt.Sprint(dm["Value"])
		}
	}
	return ""
}

// TestSweepStoppingIsAlarmed checks the heartbeat of every scheduled function: an alarm on its
// invocations that fires when none happened for two to four periods, with missing data (which is what
// a stopped schedule produces) counted as breaching.
func TestSweepStoppingIsAlarmed(t *testing.T) {
	tmpl := loadTemplate(t)
	alarms := resourcesOfType(t, tmpl, symbolic(tmpl), "AWS::CloudWatch::Alarm")
	for id, expr := range scheduledFunctions(t, tmpl) {
		every, err := rateOf(expr)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for name, a := range alarms {
			if a["Namespace"] != "AWS/Lambda" || a["MetricName"] != "Invocations" || dimension(a["Dimensions"], "FunctionName") != "{Ref "+id+"}" {
				continue
			}
			found = true
			if a["ComparisonOperator"] != "LessThanThreshold" || fmt.Sprint(a["Threshold"]) != "1" || a["TreatMissingData"] != "breaching" {
				t.Errorf("%s: %v %v, missing data %v; want LessThanThreshold 1, missing data breaching", name, a["ComparisonOperator"], a["Threshold"], a["TreatMissingData"])
			}
			silence := time.Duration(intProp(a, "DatapointsToAlarm")*intProp(a, "Period")) * time.Second
			if silence < 2*every || silence > 4*every || intProp(a, "DatapointsToAlarm") != intProp(a, "EvaluationPeriods") {
				t.Errorf("%s fires after %s without a run (%d of %d periods); want 2 to 4 times the schedule's %s, every period empty",
					name, silence, intProp(a, "DatapointsToAlarm"), intProp(a, "EvaluationPeriods"), every)
			}
		}
		if !found {
			t.Errorf("no alarm on the invocations of the scheduled %s: nobody would notice it stopped", id)
		}
	}
}

// TestExecuteResolutionNearItsTimeoutIsAlarmed checks the alarm on ExecuteResolution's longest run:
// between half and 95 % of the function's timeout, so it fires before a Lambda timeout (which Step
// Functions does not retry) and not on ordinary runs.
func TestExecuteResolutionNearItsTimeoutIsAlarmed(t *testing.T) {
	a := alarm(t, "ExecuteResolutionNearTimeoutAlarm")
	fn := functions(t, loadTemplate(t))["ExecuteResolutionFunction"]
	if a["Namespace"] != "AWS/Lambda" || a["MetricName"] != "Duration" || a["Statistic"] != "Maximum" ||
		dimension(a["Dimensions"], "FunctionName") != "{Ref ExecuteResolutionFunction}" {
		t.Fatalf("ExecuteResolutionNearTimeoutAlarm is on %v/%v %v of %v, want the Maximum AWS/Lambda Duration of ExecuteResolutionFunction",
			a["Namespace"], a["MetricName"], a["Statistic"], a["Dimensions"])
	}
	threshold, _ := strconv.ParseFloat(fmt.Sprint(a["Threshold"]), 64)
	timeoutMs := float64(fn.Timeout) * 1000
	if threshold < timeoutMs/2 || threshold > timeoutMs*0.95 {
		t.Errorf("threshold %v ms for a %d s timeout; want 50 %% to 95 %% of it", threshold, fn.Timeout)
	}
}

// TestTableThrottlesAreAlarmed checks that the throttle alarm sums the read and write throttle events
// of the table and of every index.
func TestTableThrottlesAreAlarmed(t *testing.T) {
	tmpl := loadTemplate(t)
	tables, err := tmpl.Tables()
	if err != nil || len(tables) != 1 {
		t.Fatalf("want one table: %v", err)
	}
	want := map[string]bool{}
	for _, metric := range []string{"ReadThrottleEvents", "WriteThrottleEvents"} {
		want[metric+" "] = true
		for _, ix := range tables[0].GlobalSecondaryIndexes {
			want[metric+" "+ix.Name] = true
		}
	}
	a := alarm(t, "TableThrottlesAlarm")
	for _, m := range asList(a["Metrics"]) {
		mm, _ := m.(map[string]any)
		stat, _ := mm["MetricStat"].(map[string]any)
		metric, _ := stat["Metric"].(map[string]any)
		if metric == nil {
			continue
		}
		if dimension(metric["Dimensions"], "TableName") != "{Ref "+tables[0].LogicalID+"}" {
			t.Errorf("metric %v is not on the table", mm["Id"])
		}
		delete(want, fmt.Sprint(metric["MetricName"])+" "+dimension(metric["Dimensions"], "GlobalSecondaryIndexName"))
	}
	for m := range want {
		t.Errorf("TableThrottlesAlarm leaves out %s", m)
	}
}

// TestMailBouncesAndComplaintsReachSomeone checks that every function that sends email names the
// stack's configuration set, that the set publishes bounces and complaints to an SNS topic of the
// stack, and that the account's bounce and complaint rates are alarmed on at or below the levels
// where SES reviews an account (5 % and 0.1 %).
func TestMailBouncesAndComplaintsReachSomeone(t *testing.T) {
	tmpl := loadTemplate(t)
	res := symbolic(tmpl)
	sets := map[string]bool{}
	for _, r := range tmpl.ResourcesOfType("AWS::SES::ConfigurationSetEventDestination") {
		v, err := samtemplate.ResolveValue(r.Properties, res)
		if err != nil {
			t.Fatal(err)
		}
		p := v.(map[string]any)
		dest, _ := p["EventDestination"].(map[string]any)
		types := map[string]bool{}
		for _, e := range asList(dest["MatchingEventTypes"]) {
			types[strings.ToLower(fmt.Sprint(e))] = true
		}
		sns, _ := dest["SnsDestination"].(map[string]any)
		topic := tmpl.Resources[refTarget(fmt.Sprint(sns["TopicARN"]))]
		if dest["Enabled"] == true && types["bounce"] && types["complaint"] && topic.Type == "AWS::SNS::Topic" {
			sets[refTarget(fmt.Sprint(p["ConfigurationSetName"]))] = true
		}
	}
	senders := 0
	for id, f := range functions(t, tmpl) {
		env, err := f.ResolveEnvironment(res)
		if err != nil {
			t.Fatal(err)
		}
		if env["MAIL_FROM"] == "" {
			continue
		}
		senders++
		set := refTarget(env["MAIL_CONFIGURATION_SET"])
		if tmpl.Resources[set].Type != "AWS::SES::ConfigurationSet" || !sets[set] {
			t.Errorf("%s sends email in configuration set %q, which publishes no bounces and complaints to an SNS topic of the stack", id, env["MAIL_CONFIGURATION_SET"])
		}
	}
	if senders == 0 {
		t.Fatal("no function sends email")
	}
	for id, limit := range map[string]float64{"MailBounceRateAlarm": 0.05, "MailComplaintRateAlarm": 0.001} {
		a := alarm(t, id)
		threshold, _ := strconv.ParseFloat(fmt.Sprint(a["Threshold"]), 64)
		if a["Namespace"] != "AWS/SES" || !strings.HasPrefix(fmt.Sprint(a["MetricName"]), "Reputation.") || threshold <= 0 || threshold > limit {
			t.Errorf("%s: %v/%v at %v, want an AWS/SES Reputation rate at or below %v", id, a["Namespace"], a["MetricName"], a["Threshold"], limit)
		}
	}
}

// TestTaskErrorsAlarmIgnoresSelfHealingRetries checks that TaskFunctionErrorsAlarm cannot be set off
// by retries that heal: for every Lambda task, and every task followed by the next one on a path (an
// outage that two steps in a row ride out), the errors of all its retriers but the last attempt
// (which succeeds), placed as the retriers' back-off spaces them (without jitter, which only brings
// them closer), at every alignment with the alarm's periods, must not fill as many consecutive
// periods as the alarm needs. A path goes on through a routing catcher too (a named error that is
// not a States.* one, such as RequestClosed); the routing error itself is left out of the alarm's sum
// (StepsRoutedByError; TestRoutedMetricCountsEachRoutingError checks that), so only the retries
// before it count.
func TestTaskErrorsAlarmIgnoresSelfHealingRetries(t *testing.T) {
	a := alarm(t, "TaskFunctionErrorsAlarm")
	period := intProp(a, "Period")
	for _, m := range asList(a["Metrics"]) {
		if stat, _ := m.(map[string]any)["MetricStat"].(map[string]any); stat != nil {
			period = intProp(stat, "Period")
		}
	}
	need := intProp(a, "DatapointsToAlarm")
	if need < 0 {
		need = intProp(a, "EvaluationPeriods")
	}
	if period <= 0 || need <= 0 {
		t.Fatalf("TaskFunctionErrorsAlarm: period %d, datapoints %d", period, need)
	}
	_, _, states, fnOf := loadASL(t)
	// errorsOf returns the times (seconds from the first) at which a task's self-healing retries fail.
	errorsOf := func(name string) (times []float64, end float64) {
		for _, r := range states[name].Retry {
			interval, attempts, rate := 1.0, 3, 2.0
			if r.IntervalSeconds != nil {
				interval = *r.IntervalSeconds
			}
			if r.MaxAttempts != nil {
				attempts = *r.MaxAttempts
			}
			if r.BackoffRate != nil {
				rate = *r.BackoffRate
			}
			for k := range attempts {
				times = append(times, end)
				d := interval * math.Pow(rate, float64(k))
				if r.MaxDelaySeconds > 0 {
					d = min(d, r.MaxDelaySeconds)
				}
				end += d
			}
		}
		return times, end
	}
	next := func(st aslState) []string {
		out := []string{st.Next, st.Default}
		for _, c := range st.Choices {
			out = append(out, c.Next)
		}
		return out
	}
	// routes returns the states a task's routing catchers go on to.
	routes := func(st aslState) []string {
		var out []string
		for _, c := range st.Catch {
			if !slices.ContainsFunc(c.ErrorEquals, func(e string) bool { return strings.HasPrefix(e, "States.") }) {
				out = append(out, c.Next)
			}
		}
		return out
	}
	// nextTasks returns the Lambda tasks reachable from a state through Choice states only.
	var nextTasks func(name string, seen map[string]bool) []string
	nextTasks = func(name string, seen map[string]bool) []string {
		if name == "" || seen[name] {
			return nil
		}
		seen[name] = true
		if _, ok := fnOf[name]; ok {
			return []string{name}
		}
		var out []string
		for _, n := range next(states[name]) {
			out = append(out, nextTasks(n, seen)...)
		}
		return out
	}
	worst, worstChain := 0, ""
	for name := range fnOf {
		first, end := errorsOf(name)
		chains := map[string][]float64{name: first}
		for _, n := range append(next(states[name]), routes(states[name])...) {
			for _, task := range nextTasks(n, map[string]bool{}) {
				more, _ := errorsOf(task)
				chain := append([]float64{}, first...)
				for _, x := range more {
					chain = append(chain, end+x)
				}
				chains[name+" then "+task] = chain
			}
		}
		for label, times := range chains {
			for offset := 0; offset < period; offset++ {
				filled := map[int]bool{}
				for _, x := range times {
					filled[(int(x)+offset)/period] = true
				}
				run := 0
				for p := 0; p <= (int(times[len(times)-1])+offset)/period; p++ {
					if filled[p] {
						run++
						if run > worst {
							worst, worstChain = run, label
						}
					} else {
						run = 0
					}
				}
			}
		}
	}
	t.Logf("self-healing retries fill at most %d consecutive %d s periods (%s); the alarm needs %d", worst, period, worstChain, need)
	if worst >= need {
		t.Errorf("retries that heal (%s) can fill %d consecutive periods of %d s; TaskFunctionErrorsAlarm fires at %d", worstChain, worst, period, need)
	}
}

// TestEverythingInvokesAliases checks that every function publishes a version under an alias on each
// deploy, of any change to it (code or configuration), and that the state machine invokes the
// aliases: SAM points the routes and schedules of a function with AutoPublishAlias at the alias, so
// nothing runs $LATEST and rolling back is one alias update.
func TestEverythingInvokesAliases(t *testing.T) {
	tmpl := loadTemplate(t)
	for id, f := range functions(t, tmpl) {
		if f.AutoPublishAlias == "" {
			t.Errorf("%s has no AutoPublishAlias: its events would invoke $LATEST", id)
		}
		if f.Properties["AutoPublishAliasAllProperties"] != true {
			t.Errorf("%s: AutoPublishAliasAllProperties is not true: a change of its environment would not publish a version", id)
		}
	}
	sms, err := tmpl.StateMachines()
	if err != nil {
		t.Fatal(err)
	}
	for _, sm := range sms {
		subs, err := sm.ResolveSubstitutions(symbolic(tmpl))
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range subs {
			if id := functionID(v); tmpl.Resources[id].Type == samtemplate.TypeFunction && v != "{Ref "+id+".Alias}" {
				t.Errorf("%s: ${%s} = %s, want !Ref %s.Alias", sm.LogicalID, name, v, id)
			}
		}
	}
}

// TestStaffSignInIsInTheStack checks the staff user pool: MFA required (TOTP), users created by
// administrators only, the staff group the handler checks, the console's app client (authorization
// code, no secret, not the billing scope) and the billing system's (client credentials and exactly
// the billing scope, which the pool's resource server defines), the authorizer trusting the pool and
// both clients, and the billing scope required by the order route and by no other.
func TestStaffSignInIsInTheStack(t *testing.T) {
	tmpl := loadTemplate(t)
	res := symbolic(tmpl)
	resolved := func(typ string) map[string]map[string]any { return resourcesOfType(t, tmpl, res, typ) }
	pools := resolved("AWS::Cognito::UserPool")
	if len(pools) != 1 {
		t.Fatalf("want one user pool, got %d", len(pools))
	}
	var poolID string
	for id, p := range pools {
		poolID = id
		if p["MfaConfiguration"] != "ON" || fmt.Sprint(p["EnabledMfas"]) != "[SOFTWARE_TOKEN_MFA]" {
			t.Errorf("%s: MFA %v %v, want ON with SOFTWARE_TOKEN_MFA only", id, p["MfaConfiguration"], p["EnabledMfas"])
		}
		if admin, _ := p["AdminCreateUserConfig"].(map[string]any); admin["AllowAdminCreateUserOnly"] != true {
			t.Errorf("%s: anyone may sign up", id)
		}
	}
	groups := 0
	for _, g := range resolved("AWS::Cognito::UserPoolGroup") {
		if g["GroupName"] == handler.StaffGroup && g["UserPoolId"] == "{Ref "+poolID+"}" {
			groups++
		}
	}
	if groups != 1 {
		t.Errorf("the pool has %d groups named %q, want 1", groups, handler.StaffGroup)
	}
	scopes := map[string]bool{}
	for _, rs := range resolved("AWS::Cognito::UserPoolResourceServer") {
		for _, sc := range asList(rs["Scopes"]) {
			scopes[fmt.Sprintf("%v/%v", rs["Identifier"], sc.(map[string]any)["ScopeName"])] = true
		}
	}
	if !scopes[handler.OrdersWriteScope] {
		t.Errorf("no resource server defines %s (defined: %v)", handler.OrdersWriteScope, sortedKeys(scopes))
	}
	console, billing := "", ""
	for id, c := range resolved("AWS::Cognito::UserPoolClient") {
		flows, clientScopes := fmt.Sprint(c["AllowedOAuthFlows"]), asList(c["AllowedOAuthScopes"])
		switch flows {
		case "[code]":
			console = id
			if c["GenerateSecret"] == true {
				t.Errorf("%s: a browser app has a secret", id)
			}
			if len(asList(c["CallbackURLs"])) == 0 || len(asList(c["LogoutURLs"])) == 0 {
				t.Errorf("%s: no callback or sign-out URLs", id)
			}
			for _, sc := range clientScopes {
				if sc == handler.OrdersWriteScope {
					t.Errorf("%s: a person's token may carry the billing scope", id)
				}
			}
		case "[client_credentials]":
			billing = id
			if c["GenerateSecret"] != true || fmt.Sprint(clientScopes) != "["+handler.OrdersWriteScope+"]" {
				t.Errorf("%s: secret %v, scopes %v; want a secret and exactly %s", id, c["GenerateSecret"], clientScopes, handler.OrdersWriteScope)
			}
		default:
			t.Errorf("%s: OAuth flows %s, want [code] (the console) or [client_credentials] (the billing system)", id, flows)
		}
	}
	if console == "" || billing == "" {
		t.Fatalf("console client %q, billing client %q: want both", console, billing)
	}
	api, err := tmpl.HttpApi("HttpApi")
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range api.Authorizers {
		issuer, audience, err := a.ResolveJWT(res)
		if err != nil {
			t.Fatal(err)
		}
		if want := "https://cognito-idp.us-east-1.amazonaws.com/{Ref " + poolID + "}"; issuer != want {
			t.Errorf("authorizer %s: issuer %s, want %s", name, issuer, want)
		}
		if got, want := fmt.Sprint(audience), fmt.Sprintf("[{Ref %s} {Ref %s}]", console, billing); got != want {
			t.Errorf("authorizer %s: audience %s, want %s", name, got, want)
		}
	}
	routes, err := tmpl.HttpRoutes()
	if err != nil {
		t.Fatal(err)
	}
	// A sandbox deployment's checkout (its JSON routes under /sandbox/payments) takes the billing
	// system's token too: its payments exist to have orders registered against them.
	billingRoutes := map[string]bool{"PUT /staff/api/orders/{number}": true,
		"POST " + handler.SandboxPaymentsPath: true, "GET " + handler.SandboxPaymentsPath + "/{reference}": true,
		"POST " + handler.SandboxPaymentsPath + "/{reference}/actions": true}
	for _, r := range routes {
		billingOnly := billingRoutes[r.RouteKey()]
		if got := fmt.Sprint(r.Scopes); billingOnly != (got == "["+handler.OrdersWriteScope+"]") || (!billingOnly && len(r.Scopes) > 0) {
			t.Errorf("route %s: scopes %s; only the order route and the sandbox checkout's require %s, and they nothing else", r.RouteKey(), got, handler.OrdersWriteScope)
		}
		if billingOnly && r.Path != "/staff/api/orders/{number}" && r.Condition != "SandboxProvider" {
			t.Errorf("route %s takes payments at the sandbox, but its function is not only in a sandbox deployment (Condition %q)", r.RouteKey(), r.Condition)
		}
	}
}
