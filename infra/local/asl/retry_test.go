package asl

import (
	"testing"
	"time"
)

func TestErrorMatches(t *testing.T) {
	tests := []struct {
		equals []string
		name   string
		want   bool
	}{
		{[]string{"States.ALL"}, "Lambda.Unknown", true},
		{[]string{"States.ALL"}, "PaymentError", true},
		{[]string{"States.ALL"}, "States.Timeout", true},
		{[]string{"States.ALL"}, "States.HeartbeatTimeout", true},
		{[]string{"States.ALL"}, "States.TaskFailed", true},
		{[]string{"States.ALL"}, "States.IntrinsicFailure", true},
		{[]string{"States.ALL"}, "States.ResultPathMatchFailure", true},
		{[]string{"States.ALL"}, "States.Runtime", false},
		{[]string{"States.ALL"}, "States.DataLimitExceeded", false},
		{[]string{"States.Runtime"}, "States.Runtime", false},
		{[]string{"States.TaskFailed"}, "Lambda.Unknown", true},
		{[]string{"States.TaskFailed"}, "States.TaskFailed", true},
		{[]string{"States.TaskFailed"}, "States.Permissions", true},
		{[]string{"States.TaskFailed"}, "States.Timeout", false},
		{[]string{"States.TaskFailed"}, "States.HeartbeatTimeout", false},
		{[]string{"States.TaskFailed"}, "States.Runtime", false},
		{[]string{"States.Timeout"}, "States.Timeout", true},
		{[]string{"States.Timeout"}, "States.HeartbeatTimeout", true},
		{[]string{"States.HeartbeatTimeout"}, "States.HeartbeatTimeout", true},
		{[]string{"States.HeartbeatTimeout"}, "States.Timeout", false},
		{[]string{"ErrorA", "ErrorB"}, "ErrorB", true},
		{[]string{"ErrorA", "ErrorB"}, "ErrorC", false},
		{[]string{"errora"}, "ErrorA", false},
		{[]string{"java.lang.Exception"}, "java.lang.Exception", true},
		{nil, "ErrorA", false},
	}
	for _, tt := range tests {
		if got := ErrorMatches(tt.equals, tt.name); got != tt.want {
			t.Errorf("ErrorMatches(%v, %q) = %v, want %v", tt.equals, tt.name, got, tt.want)
		}
	}
}

func TestRetrierDelay(t *testing.T) {
	sec := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	defaults := Retrier{IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2.0, JitterStrategy: "NONE"}
	tests := []struct {
		name    string
		r       Retrier
		attempt int
		rnd     func() float64
		want    time.Duration
	}{
		// AWS documentation: IntervalSeconds 3, BackoffRate 1.5 waits 3 and 4.5 seconds.
		{"doc first", Retrier{IntervalSeconds: 3, MaxAttempts: 2, BackoffRate: 1.5}, 1, nil, sec(3)},
		{"doc second", Retrier{IntervalSeconds: 3, MaxAttempts: 2, BackoffRate: 1.5}, 2, nil, sec(4.5)},
		{"defaults 1", defaults, 1, nil, sec(1)},
		{"defaults 2", defaults, 2, nil, sec(2)},
		{"defaults 3", defaults, 3, nil, sec(4)},
		{"backoff 1.0 is constant", Retrier{IntervalSeconds: 5, BackoffRate: 1}, 7, nil, sec(5)},
		{"MaxDelaySeconds caps", Retrier{IntervalSeconds: 1, BackoffRate: 2, MaxDelaySeconds: 5}, 4, nil, sec(5)},
		{"MaxDelaySeconds below the cap", Retrier{IntervalSeconds: 1, BackoffRate: 2, MaxDelaySeconds: 5}, 3, nil, sec(4)},
		{"FULL jitter scales the delay", Retrier{IntervalSeconds: 2, BackoffRate: 2, JitterStrategy: "FULL"}, 3, func() float64 { return 0.25 }, sec(2)},
		{"FULL jitter after the cap", Retrier{IntervalSeconds: 10, BackoffRate: 3, MaxDelaySeconds: 20, JitterStrategy: "FULL"}, 5, func() float64 { return 0.5 }, sec(10)},
		{"FULL jitter zero", Retrier{IntervalSeconds: 10, BackoffRate: 2, JitterStrategy: "FULL"}, 1, func() float64 { return 0 }, 0},
		{"NONE ignores rnd", Retrier{IntervalSeconds: 10, BackoffRate: 2, JitterStrategy: "NONE"}, 1, func() float64 { return 0 }, sec(10)},
		{"huge backoff saturates", Retrier{IntervalSeconds: 99999999, BackoffRate: 99, MaxAttempts: 99999999}, 1000, nil, time.Duration(1<<63 - 1)},
		{"huge backoff with cap", Retrier{IntervalSeconds: 99999999, BackoffRate: 99, MaxDelaySeconds: 31622400}, 1000, nil, sec(31622400)},
	}
	for _, tt := range tests {
		if got := tt.r.Delay(tt.attempt, tt.rnd); got != tt.want {
			t.Errorf("%s: Delay(%d) = %v, want %v", tt.name, tt.attempt, got, tt.want)
		}
	}
}

// TestComplexRetryScenario replays the AWS documentation's "complex retry
// scenario": errors ErrorA, ErrorB, ErrorC, ErrorB, ErrorB against two
// retriers wait 1, 2, 5 and 4 seconds, then the fifth error goes to Catch
// because ErrorB has had its two retries.
func TestComplexRetryScenario(t *testing.T) {
	sm, err := Parse([]byte(`{"StartAt": "X", "States": {
	  "X": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:task:X", "Next": "Y",
	    "Retry": [{"ErrorEquals": ["ErrorA", "ErrorB"], "IntervalSeconds": 1, "BackoffRate": 2.0, "MaxAttempts": 2},
	              {"ErrorEquals": ["ErrorC"], "IntervalSeconds": 5}],
	    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Z"}]},
	  "Y": {"Type": "Succeed"}, "Z": {"Type": "Succeed"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	st := sm.States["X"]
	var counts RetryCounts
	var waits []time.Duration
	caught := ""
	for _, e := range []string{"ErrorA", "ErrorB", "ErrorC", "ErrorB", "ErrorB"} {
		if d, ok := st.NextRetry(&counts, e, nil); ok {
			waits = append(waits, d)
			continue
		}
		if c := FindCatcher(st.Catch, e); c >= 0 {
			caught = st.Catch[c].Next
		}
	}
	if counts.Total != 4 {
		t.Errorf("RetryCount = %d, want 4", counts.Total)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 4 * time.Second}
	if len(waits) != len(want) {
		t.Fatalf("waits = %v, want %v", waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Errorf("wait %d = %v, want %v", i, waits[i], want[i])
		}
	}
	if caught != "Z" {
		t.Errorf("fifth error went to %q, want Z", caught)
	}
}

func TestRetrierDefaultsFromParse(t *testing.T) {
	sm, err := Parse([]byte(`{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:F", "End": true,
	  "Retry": [{"ErrorEquals": ["A"]}, {"ErrorEquals": ["B"], "MaxAttempts": 0, "IntervalSeconds": 7, "BackoffRate": 1.5, "MaxDelaySeconds": 60, "JitterStrategy": "FULL"}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	r := sm.States["T"].Retry
	if got, want := r[0], (Retrier{ErrorEquals: []string{"A"}, IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: "NONE"}); !retrierEqual(got, want) {
		t.Errorf("defaults = %+v, want %+v", got, want)
	}
	if got, want := r[1], (Retrier{ErrorEquals: []string{"B"}, IntervalSeconds: 7, MaxAttempts: 0, BackoffRate: 1.5, MaxDelaySeconds: 60, JitterStrategy: "FULL"}); !retrierEqual(got, want) {
		t.Errorf("explicit = %+v, want %+v", got, want)
	}
	if r[1].CanRetry(1) {
		t.Error("MaxAttempts 0 must never retry")
	}
	if !r[0].CanRetry(3) || r[0].CanRetry(4) {
		t.Error("MaxAttempts 3 allows retries 1 to 3 only")
	}
}

func retrierEqual(a, b Retrier) bool {
	if len(a.ErrorEquals) != len(b.ErrorEquals) {
		return false
	}
	for i := range a.ErrorEquals {
		if a.ErrorEquals[i] != b.ErrorEquals[i] {
			return false
		}
	}
	return a.IntervalSeconds == b.IntervalSeconds && a.MaxAttempts == b.MaxAttempts && a.BackoffRate == b.BackoffRate &&
		a.MaxDelaySeconds == b.MaxDelaySeconds && a.JitterStrategy == b.JitterStrategy
}

func TestErrorOutput(t *testing.T) {
	got := ErrorOutput(&Error{Name: "PaymentError", Cause: `{"errorMessage":"declined"}`})
	if got, want := enc(t, got), `{"Cause":"{\"errorMessage\":\"declined\"}","Error":"PaymentError"}`; got != want {
		t.Errorf("ErrorOutput = %s, want %s", got, want)
	}
}

func TestNextRetry(t *testing.T) {
	st := &State{Retry: []Retrier{
		{ErrorEquals: []string{"States.Timeout"}, MaxAttempts: 0, IntervalSeconds: 1, BackoffRate: 2},
		{ErrorEquals: []string{"States.ALL"}, MaxAttempts: 2, IntervalSeconds: 3, BackoffRate: 1.5},
	}}
	var counts RetryCounts
	// AWS documentation: "retries any error except States.Timeout".
	if _, ok := st.NextRetry(&counts, ErrTimeout, nil); ok {
		t.Error("States.Timeout must not be retried (MaxAttempts 0 in the first matching retrier)")
	}
	for i, want := range []time.Duration{3 * time.Second, 4500 * time.Millisecond} {
		d, ok := st.NextRetry(&counts, "Boom", nil)
		if !ok || d != want {
			t.Errorf("retry %d = %v, %v; want %v", i+1, d, ok, want)
		}
	}
	if _, ok := st.NextRetry(&counts, "Boom", nil); ok {
		t.Error("a third retry of Boom exceeds MaxAttempts 2")
	}
	if _, ok := st.NextRetry(&counts, ErrRuntime, nil); ok {
		t.Error("States.Runtime is never retried")
	}
	if _, ok := (&State{}).NextRetry(&counts, "Boom", nil); ok {
		t.Error("a state without Retry never retries")
	}
}
