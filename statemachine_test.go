package refundflow_test

import (
	"encoding/json"
	"io/fs"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"refundflow"
	"refundflow/handler"
)

// lambdaTransientErrors are the errors AWS recommends every Lambda task retries: failures of the
// Lambda service or of the call to it, never of the function's code
// (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
var lambdaTransientErrors = []string{
	"Lambda.ClientExecutionTimeoutException",
	"Lambda.ServiceException",
	"Lambda.AWSLambdaException",
	"Lambda.SdkClientException",
	"Lambda.TooManyRequestsException",
}

// aslState is the part of an ASL state the tests below read.
type aslState struct {
	Type           string
	Resource       string
	TimeoutSeconds int
	Parameters     map[string]any
	Next           string
	Default        string
	End            bool
	Choices        []struct{ Next string }
	Retry          []aslRetrier
	Catch          []struct {
		ErrorEquals []string
		Next        string
	}
}

// aslRetrier is one Retry entry.
type aslRetrier struct {
	ErrorEquals     []string
	IntervalSeconds *float64
	MaxAttempts     *int
	BackoffRate     *float64
	MaxDelaySeconds float64
}

// worstWait is the longest a retrier can wait between attempts in total, and how many attempts it
// adds, with ASL's defaults (1 s, 3 attempts, rate 2.0).
func (r aslRetrier) worstWait() (time.Duration, int) {
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
	total := 0.0
	for k := range attempts {
		d := interval * math.Pow(rate, float64(k))
		if r.MaxDelaySeconds > 0 {
			d = min(d, r.MaxDelaySeconds)
		}
		total += d
	}
	return time.Duration(total * float64(time.Second)), attempts
}

// loadASL reads the refund state machine's definition: its TimeoutSeconds, its states, and the
// function (logical ID) each Lambda task invokes, read through the template's substitutions.
func loadASL(t *testing.T) (timeout int, startAt string, states map[string]aslState, fnOf map[string]string) {
	t.Helper()
	tmpl := loadTemplate(t)
	sms, err := tmpl.StateMachines()
	if err != nil || len(sms) != 1 {
		t.Fatalf("want one state machine, got %d (%v)", len(sms), err)
	}
	sm := sms[0]
	raw, err := fs.ReadFile(refundflow.Files, sm.DefinitionUri)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		TimeoutSeconds int
		StartAt        string
		States         map[string]aslState
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", sm.DefinitionUri, err)
	}
	subs, err := sm.ResolveSubstitutions(symbolic(tmpl))
	if err != nil {
		t.Fatal(err)
	}
	fnOf = map[string]string{}
	for name, st := range doc.States {
		if !strings.HasPrefix(st.Resource, "arn:aws:states:::lambda:invoke") {
			continue
		}
		fn, _ := st.Parameters["FunctionName"].(string)
		m := placeholder.FindStringSubmatch(fn)
		if m == nil {
			t.Fatalf("state %s invokes %q, not a ${placeholder}", name, fn)
		}
		fnOf[name] = functionID(subs[m[1]])
	}
	return doc.TimeoutSeconds, doc.StartAt, doc.States, fnOf
}

// functionID returns the function's logical ID in a symbolic reference to it: {X.Arn}, {Ref X} or
// {Ref X.Alias}.
func functionID(ref string) string {
	if id := refTarget(ref); id != "" {
		return strings.TrimSuffix(id, ".Alias")
	}
	id, _ := strings.CutSuffix(strings.TrimPrefix(ref, "{"), ".Arn}")
	return id
}

// TestEveryLambdaTaskRetriesLambdasTransientErrors checks that each Lambda task retries every error
// of AWS's recommended transient list, so that a hiccup of the Lambda service never sends a request to
// needs attention.
func TestEveryLambdaTaskRetriesLambdasTransientErrors(t *testing.T) {
	_, _, states, fnOf := loadASL(t)
	if len(fnOf) == 0 {
		t.Fatal("no Lambda task in the state machine")
	}
	for name := range fnOf {
		retried := map[string]bool{}
		for _, r := range states[name].Retry {
			for _, e := range r.ErrorEquals {
				retried[e] = true
			}
		}
		for _, e := range lambdaTransientErrors {
			if !retried[e] && !retried["States.ALL"] {
				t.Errorf("state %s does not retry %s", name, e)
			}
		}
	}
}

// TestExecutionTimeoutOutlastsTheLongestPath checks that the state machine's own TimeoutSeconds is
// set, and longer than the longest path a request can legitimately take: every task's waits (staff
// review, consent, reminder) and every attempt its retriers allow, each attempt as long as the task's
// timeout or its function's, plus the back-off between attempts. Shorter, and a slow but healthy
// request would be cut off; unset, a stuck execution would live for a year and the timed-out alarm
// could never fire.
func TestExecutionTimeoutOutlastsTheLongestPath(t *testing.T) {
	timeout, startAt, states, fnOf := loadASL(t)
	if timeout <= 0 {
		t.Fatal("the state machine has no TimeoutSeconds")
	}
	fns := functions(t, loadTemplate(t))
	// The one loop of the workflow: a dispute opened at the payment provider while the client decides
	// takes the request back to staff review (Decision → RequestStaffReview), from where it can come
	// to the client's consent again. StripeWebhook does that once per request (a second dispute sends
	// the request to needs attention instead), so a path takes that edge at most once.
	bounded := map[[2]string]int{{"Decision", "RequestStaffReview"}: 1}
	type at struct {
		name  string
		taken int // how often the bounded edge was taken on the way here
	}
	worst := map[at]time.Duration{} // state -> longest time from entering it to the end
	visiting := map[at]bool{}
	var longest func(here at) time.Duration
	longest = func(here at) time.Duration {
		if d, ok := worst[here]; ok {
			return d
		}
		name := here.name
		if visiting[here] {
			t.Fatalf("state %s is on a cycle; bound the loop and extend this test", name)
		}
		visiting[here] = true
		st, ok := states[name]
		if !ok {
			t.Fatalf("no state %s", name)
		}
		own := time.Duration(0)
		if st.Type == "Task" {
			fn := fns[fnOf[name]]
			attempt := time.Duration(fn.Timeout) * time.Second
			if fn.Timeout == 0 {
				attempt = 3 * time.Second // Lambda's default
			}
			attempts, timeoutRetried := 1, false
			for _, r := range st.Retry {
				wait, n := r.worstWait()
				own += wait
				attempts += n
				timeoutRetried = timeoutRetried || slices.Contains(r.ErrorEquals, "States.Timeout") || slices.Contains(r.ErrorEquals, "States.ALL")
			}
			own += time.Duration(attempts) * attempt
			if st.TimeoutSeconds > 0 {
				// A wait for a task token: one attempt waits its full timeout, every attempt when
				// a timeout is retried.
				waits := 1
				if timeoutRetried {
					waits = attempts
				}
				own += time.Duration(waits) * time.Duration(st.TimeoutSeconds) * time.Second
			}
		}
		next := []string{st.Next, st.Default}
		for _, c := range st.Choices {
			if name == "AfterStaffAction" && c.Next == "ExecuteResolution" {
				// A staff retry: a person starts the next round, whose wait for staff
				// (AwaitStaffAction, no timeout of its own) the execution's timeout bounds.
				continue
			}
			next = append(next, c.Next)
		}
		for _, c := range st.Catch {
			next = append(next, c.Next)
		}
		after := time.Duration(0)
		for _, n := range next {
			if n == "" {
				continue
			}
			to := at{name: n, taken: here.taken}
			if limit, ok := bounded[[2]string{name, n}]; ok {
				if here.taken >= limit {
					continue
				}
				to.taken++
			}
			after = max(after, longest(to))
		}
		visiting[here] = false
		worst[here] = own + after
		return worst[here]
	}
	path := longest(at{name: startAt})
	limit := time.Duration(timeout) * time.Second
	t.Logf("longest legitimate path %s (%.1f days); TimeoutSeconds %d (%.1f days)", path, path.Hours()/24, timeout, limit.Hours()/24)
	if limit <= path {
		t.Errorf("TimeoutSeconds %d (%s) does not outlast the longest legitimate path, %s", timeout, limit, path)
	}
	// Not far beyond either: a stuck execution should reach the timed-out alarm within days.
	if slack := limit - path; slack > 7*24*time.Hour {
		t.Errorf("TimeoutSeconds %d leaves %s beyond the longest path; a stuck execution would go unnoticed that long", timeout, slack)
	}
}

// TestStepsRouteByTheirNamedErrors checks the routes VerifyConditions and ProposeResolution take by
// error instead of through a Choice state (issue 16): the name of each routing error type in handler
// (its Lambda error type, the Go type's name) is caught, by a catcher ahead of any catch-all, and
// sent to the state that outcome goes on to; and no retrier retries it, since the same request would
// route the same way again.
func TestStepsRouteByTheirNamedErrors(t *testing.T) {
	_, _, states, _ := loadASL(t)
	errorType := func(err error) string { return reflect.TypeOf(err).Elem().Name() } // aws-lambda-go's name of a pointer
	for _, tc := range []struct {
		state string
		err   error
		next  string
	}{
		{"VerifyConditions", &handler.RequestClosed{}, "NotifyOutcome"},
		{"ProposeResolution", &handler.RequestClosed{}, "NotifyOutcome"},
		{"ProposeResolution", &handler.StaffReviewNeeded{}, "NotifyReceived"},
		{"VerifyConditions", &handler.RequestNeedsAttention{}, "MarkNeedsAttention"},
	} {
		name := errorType(tc.err)
		st, ok := states[tc.state]
		if !ok {
			t.Fatalf("no state %s", tc.state)
		}
		caught := ""
		for _, c := range st.Catch {
			if slices.Contains(c.ErrorEquals, name) || slices.Contains(c.ErrorEquals, "States.ALL") || slices.Contains(c.ErrorEquals, "States.TaskFailed") {
				caught = c.Next
				break
			}
		}
		if caught != tc.next {
			t.Errorf("%s: %s goes to %q, want %s", tc.state, name, caught, tc.next)
		}
		for _, r := range st.Retry {
			if slices.Contains(r.ErrorEquals, name) || slices.Contains(r.ErrorEquals, "States.ALL") || slices.Contains(r.ErrorEquals, "States.TaskFailed") {
				t.Errorf("%s retries %s (%v), which routes", tc.state, name, r.ErrorEquals)
			}
		}
	}
}
