package handler_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"

	"refundflow/awsenv/lambdalog"
	"refundflow/handler"
	"refundflow/infra/local/samtemplate"
	"refundflow/refund"
)

// TestRoutedMetricCountsEachRoutingError checks the metric filters that TaskFunctionErrorsAlarm
// subtracts from the workflow functions' Errors against the lines VerifyConditions and
// ProposeResolution really write: each run that returns a routing error (RequestClosed,
// StaffReviewNeeded) matches its function's filter once, and a run that goes on through its Next, or
// fails, matches none; and the filters publish the very metric the alarm subtracts.
func TestRoutedMetricCountsEachRoutingError(t *testing.T) {
	tmpl, err := samtemplate.Load("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	patterns := map[string]string{} // log group -> filter pattern
	var metric string
	for _, r := range tmpl.ResourcesOfType("AWS::Logs::MetricFilter") {
		group, _ := r.Properties["LogGroupName"].(map[string]any)
		for _, tr := range r.Properties["MetricTransformations"].([]any) {
			m := tr.(map[string]any)
			if m["MetricName"] == "StepsRoutedByError" {
				patterns[fmt.Sprint(group["Ref"])], _ = r.Properties["FilterPattern"].(string)
				metric = fmt.Sprint(m["MetricNamespace"], "/", m["MetricName"])
			}
		}
	}
	for _, group := range []string{"VerifyConditionsFunctionLogs", "ProposeResolutionFunctionLogs"} {
		if patterns[group] == "" {
			t.Fatalf("template.yaml has no StepsRoutedByError filter on %s", group)
		}
	}
	subtracted := ""
	for _, r := range tmpl.ResourcesOfType("AWS::CloudWatch::Alarm") {
		if r.LogicalID != "TaskFunctionErrorsAlarm" {
			continue
		}
		for _, m := range r.Properties["Metrics"].([]any) {
			if stat, ok := m.(map[string]any)["MetricStat"].(map[string]any); ok {
				if mm := stat["Metric"].(map[string]any); mm["MetricName"] == "StepsRoutedByError" {
					subtracted = fmt.Sprint(mm["Namespace"], "/", mm["MetricName"])
				}
			}
		}
	}
	if subtracted != metric {
		t.Errorf("TaskFunctionErrorsAlarm reads %q, the filters publish %q", subtracted, metric)
	}

	var logs bytes.Buffer
	logger := slog.New(lambdalog.NewHandler(&logs, nil)) // the functions' log format
	// run runs a step and returns whether it routed by error and how many of its lines the filter
	// on its log group matched.
	run := func(f *taskFixture, group string, h interface {
		Handle(context.Context, handler.TaskInput) (handler.TaskOutput, error)
	}) (routed bool, matched int) {
		t.Helper()
		logs.Reset()
		_, err := h.Handle(f.ctx, handler.TaskInput{RequestID: f.id})
		_, routed = handler.RoutedOutcome(err)
		sc := bufio.NewScanner(bytes.NewReader(logs.Bytes()))
		for sc.Scan() {
			if matchesJSONFilter(t, patterns[group], sc.Text()) {
				matched++
			}
		}
		return routed, matched
	}
	verify := func(f *taskFixture) handler.VerifyConditions {
		return handler.VerifyConditions{Store: f.store, Logger: logger}
	}
	propose := func(f *taskFixture) handler.ProposeResolution {
		return handler.ProposeResolution{Store: f.store, Logger: logger}
	}
	want := func(name string, routed bool, matched int, wantRouted bool) {
		t.Helper()
		wantMatched := 0
		if wantRouted {
			wantMatched = 1
		}
		if routed != wantRouted || matched != wantMatched {
			t.Errorf("%s: routed %v, matched the filter %d times; want %v and %d", name, routed, matched, wantRouted, wantMatched)
		}
	}

	// The automatic path: nothing routed.
	f := newTaskFixture(t, refund.ServiceHours)
	r, n := run(f, "VerifyConditionsFunctionLogs", verify(f))
	want("verified", r, n, false)
	r, n = run(f, "ProposeResolutionFunctionLogs", propose(f))
	want("consent", r, n, false)

	// Staff review: ProposeResolution routes, each time it runs.
	f = newTaskFixture(t, refund.ServiceHours)
	o := f.order
	o.Disputed = true
	if _, err := f.store.PutOrder(f.ctx, o); err != nil {
		t.Fatal(err)
	}
	run(f, "VerifyConditionsFunctionLogs", verify(f))
	for range 2 {
		r, n = run(f, "ProposeResolutionFunctionLogs", propose(f))
		want("review", r, n, true)
	}

	// Rejected: VerifyConditions routes, and so would ProposeResolution for the closed request.
	f = newTaskFixture(t, refund.ServiceHours)
	o = f.order
	o.Email = "other@example.com"
	if _, err := f.store.PutOrder(f.ctx, o); err != nil {
		t.Fatal(err)
	}
	r, n = run(f, "VerifyConditionsFunctionLogs", verify(f))
	want("rejected", r, n, true)
	r, n = run(f, "ProposeResolutionFunctionLogs", propose(f))
	want("closed", r, n, true)

	// A failure is no route: an unknown request fails the step, unmatched.
	f = newTaskFixture(t, refund.ServiceHours)
	f.id = "req-unknown"
	r, n = run(f, "VerifyConditionsFunctionLogs", verify(f))
	want("failed", r, n, false)
}
