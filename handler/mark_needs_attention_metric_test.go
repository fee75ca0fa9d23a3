package handler_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"refundflow/awsenv/lambdalog"
	"refundflow/handler"
	"refundflow/infra/local/samtemplate"
	"refundflow/refund"
)

// jsonFilterTerm is one `($.field = "value")` or `($.field IS TRUE|FALSE)` term of a CloudWatch Logs
// JSON filter pattern.
var jsonFilterTerm = regexp.MustCompile(`^\(?\s*\$\.([A-Za-z0-9_]+)\s*(?:=\s*"([^"*]*)"|IS (TRUE|FALSE))\s*\)?$`)

// matchesJSONFilter reports whether a JSON log line matches a filter pattern of the form
// { (term) && (term) ... }, the only form this test reads.
func matchesJSONFilter(t *testing.T, pattern, line string) bool {
	t.Helper()
	body, ok := strings.CutPrefix(strings.TrimSpace(pattern), "{")
	body, ok2 := strings.CutSuffix(strings.TrimSpace(body), "}")
	if !ok || !ok2 || strings.Contains(body, "||") {
		t.Fatalf("filter pattern %q is not { term && term ... }", pattern)
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(line), &fields); err != nil {
		return false
	}
	for _, term := range strings.Split(body, "&&") {
		m := jsonFilterTerm.FindStringSubmatch(strings.TrimSpace(term))
		if m == nil {
			t.Fatalf("filter term %q is not ($.field = \"value\") nor ($.field IS TRUE|FALSE)", term)
		}
		v, present := fields[m[1]]
		switch {
		case m[3] != "":
			if b, isBool := v.(bool); !isBool || b != (m[3] == "TRUE") {
				return false
			}
		case !present || fmt.Sprint(v) != m[2]:
			return false
		}
	}
	return true
}

// TestNeedsAttentionMetricCountsEachMove checks the metric filter behind NeedsAttentionAlarm against
// the lines MarkNeedsAttention really writes: the move of a request to needs_attention matches it
// once, and a second run for the same request (a Step Functions retry) and a run for a request whose
// final status stands do not.
func TestNeedsAttentionMetricCountsEachMove(t *testing.T) {
	tmpl, err := samtemplate.Load("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var pattern string
	for _, r := range tmpl.ResourcesOfType("AWS::Logs::MetricFilter") {
		if group, _ := r.Properties["LogGroupName"].(map[string]any); group["Ref"] == "MarkNeedsAttentionFunctionLogs" {
			pattern, _ = r.Properties["FilterPattern"].(string)
		}
	}
	if pattern == "" {
		t.Fatal("template.yaml has no metric filter on MarkNeedsAttentionFunctionLogs")
	}

	var logs bytes.Buffer
	logger := slog.New(lambdalog.NewHandler(&logs, nil)) // the functions' log format
	count := func() int {
		n := 0
		sc := bufio.NewScanner(bytes.NewReader(logs.Bytes()))
		for sc.Scan() {
			if matchesJSONFilter(t, pattern, sc.Text()) {
				n++
			}
		}
		logs.Reset()
		return n
	}

	f := newTaskFixture(t, refund.ServiceHours)
	h := handler.MarkNeedsAttention{Store: f.store, Logger: logger}
	f.run(h, handler.TaskInput{Error: "PaymentDeclined"})
	if got, want := count(), 1; got != want {
		t.Errorf("moving a request to needs_attention matched the filter %d times, want %d", got, want)
	}
	f.run(h, handler.TaskInput{Error: "PaymentDeclined"})
	if got := count(); got != 0 {
		t.Errorf("running again for a request already needing attention matched %d times, want 0", got)
	}

	g := newTaskFixture(t, refund.ServiceHours)
	if err := g.store.Transition(g.ctx, g.id, refund.StatusSubmitted, refund.StatusWithdrawn, 1, refund.AuditEntry{Actor: refund.ActorClient}); err != nil {
		t.Fatal(err)
	}
	g.run(handler.MarkNeedsAttention{Store: g.store, Logger: logger}, handler.TaskInput{Error: "States.Timeout"})
	if got := count(); got != 0 {
		t.Errorf("a request whose final status stands matched %d times, want 0", got)
	}
}
