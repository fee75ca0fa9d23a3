package refundflow_test

// Checks of the template's production settings that no local run exercises: how the scheduled
// sweeper is invoked, and more (see each test).

import (
	"fmt"
	"strconv"
	"testing"
	"time"

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
