package stack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/infra/local/samtemplate"
	"refundflow/infra/local/stepfunctions"
)

// Schedule is one Schedule (or ScheduleV2) event of template.yaml that the stack runs: EventBridge
// invoking a function every Every.
type Schedule struct {
	// Function is the logical ID of the function invoked.
	Function string
	// Event is the event's name under the function's Events.
	Event string
	// Expression is the schedule as the template writes it, e.g. "rate(5 minutes)".
	Expression string
	// Every is the rate.
	Every time.Duration
}

// scheduler runs the template's schedules on the stack's clock. In real time a goroutine wakes when
// a schedule is due; time travel (Stack.advance) stops at the first instant a schedule falls due
// inside the jump, runs it there and lets the workflows catch up, then jumps the rest of the way and
// runs what is due at the end. Runs missed inside a long jump are coalesced into those two, as
// EventBridge would not run a schedule more often than its rate either: a sweeper that runs every
// 5 minutes still acts within minutes of a decision, whichever way time moves.
type scheduler struct {
	clock  *stepfunctions.AdjustableClock
	log    *slog.Logger
	region string
	acct   string

	// mu serialises runs (real time and time travel) and guards jobs' next times and counts.
	mu   sync.Mutex
	jobs []*job

	stop chan struct{}
	done chan struct{}
}

// job is a schedule with its function and its next due time.
type job struct {
	Schedule
	handler lambda.Handler
	timeout time.Duration
	next    time.Time
	runs    int
}

// rateExpr matches EventBridge's rate expressions.
var rateExpr = regexp.MustCompile(`^rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)$`)

// parseRate turns "rate(5 minutes)" into its duration. cron(...) schedules are not run locally.
func parseRate(expr string) (time.Duration, error) {
	m := rateExpr.FindStringSubmatch(expr)
	if m == nil {
		return 0, fmt.Errorf("schedule %q: the local stack runs rate(N minutes|hours|days) schedules only", expr)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n > 100000 {
		return 0, fmt.Errorf("schedule %q: the rate is out of range", expr)
	}
	unit := map[string]time.Duration{"minute": time.Minute, "minutes": time.Minute, "hour": time.Hour, "hours": time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour}[m[2]]
	return time.Duration(n) * unit, nil
}

// templateSchedules reads the Schedule and ScheduleV2 events of the template's functions (the
// samtemplate Function view keeps only HttpApi events). A schedule that is switched off (Enabled:
// false, State: DISABLED) is left out, as EventBridge would not run it.
func templateSchedules(t *samtemplate.Template) ([]Schedule, error) {
	var out []Schedule
	for _, r := range t.ResourcesOfType("AWS::Serverless::Function") {
		events, _ := r.Properties["Events"].(map[string]any)
		for name, raw := range events {
			ev, _ := raw.(map[string]any)
			props, _ := ev["Properties"].(map[string]any)
			var expr any
			switch ev["Type"] {
			case "Schedule":
				expr = props["Schedule"]
			case "ScheduleV2":
				expr = props["ScheduleExpression"]
			default:
				continue
			}
			if props["Enabled"] == false || props["State"] == "DISABLED" {
				continue
			}
			s, ok := expr.(string)
			if !ok {
				return nil, fmt.Errorf("function %s, event %s: the schedule must be a plain string", r.LogicalID, name)
			}
			every, err := parseRate(s)
			if err != nil {
				return nil, fmt.Errorf("function %s, event %s: %w", r.LogicalID, name, err)
			}
			out = append(out, Schedule{Function: r.LogicalID, Event: name, Expression: s, Every: every})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Function+"/"+out[i].Event < out[j].Function+"/"+out[j].Event })
	return out, nil
}

// startSchedules builds the scheduler from the template's schedules and starts its real-time loop.
// As in EventBridge, a rate schedule first runs one period after it is created.
func (s *Stack) startSchedules(t *samtemplate.Template, handlers map[string]lambda.Handler) error {
	list, err := templateSchedules(t)
	if err != nil {
		return err
	}
	sc := &scheduler{clock: s.Clock, log: s.log, region: Region, acct: AccountID, stop: make(chan struct{}), done: make(chan struct{})}
	now := s.Clock.Now()
	for _, sch := range list {
		f, err := t.Function(sch.Function)
		if err != nil {
			return err
		}
		h, ok := handlers[sch.Function]
		if !ok && f.Condition != "" {
			continue // its Condition is false with the stack's parameters: no function, no schedule
		}
		if !ok {
			return fmt.Errorf("schedule %s of %s: the stack did not build the function", sch.Event, sch.Function)
		}
		if sch.Function == sandboxEventsID {
			// The stack's delivery loop invokes it every second (provider.go), as soon as Stripe
			// sends; its deployed schedule would only add stops to every time-travel jump.
			continue
		}
		timeout := time.Duration(f.Timeout) * time.Second
		if timeout == 0 {
			timeout = 3 * time.Second // Lambda's default
		}
		// Admitted through the save gate: a scheduled invocation is top-level, as a route's is
		// (persister.gate). The sandbox deliverer above is not: it calls the webhook route.
		sc.jobs = append(sc.jobs, &job{Schedule: sch, handler: s.admitted(h), timeout: timeout, next: now.Add(sch.Every)})
	}
	s.schedules = sc
	go sc.loop()
	return nil
}

// Schedules lists the template schedules the stack runs.
func (s *Stack) Schedules() []Schedule {
	if s.schedules == nil {
		return nil
	}
	out := make([]Schedule, len(s.schedules.jobs))
	for i, j := range s.schedules.jobs {
		out[i] = j.Schedule
	}
	return out
}

// ScheduleRuns returns how often each schedule ran, by "Function/Event".
func (s *Stack) ScheduleRuns() map[string]int {
	out := map[string]int{}
	if s.schedules == nil {
		return out
	}
	s.schedules.mu.Lock()
	defer s.schedules.mu.Unlock()
	for _, j := range s.schedules.jobs {
		out[j.Function+"/"+j.Event] = j.runs
	}
	return out
}

// stopSchedules stops the real-time loop and waits for a run in progress. Safe on a stack whose
// Start failed before the scheduler existed, and safe to call twice.
func (s *Stack) stopSchedules() {
	sc := s.schedules
	if sc == nil {
		return
	}
	sc.mu.Lock()
	select {
	case <-sc.stop:
	default:
		close(sc.stop)
	}
	sc.mu.Unlock()
	<-sc.done
}

// advance is time travel: it moves the clock forward by d, stopping at the first schedule due inside
// the jump to run it and let the workflows it woke catch up, then runs what is due at the end.
func (s *Stack) advance(ctx context.Context, d time.Duration) {
	target := s.Clock.Now().Add(d)
	if s.schedules != nil {
		if first, ok := s.schedules.firstDue(); ok && first.Before(target) {
			s.Clock.Advance(first.Sub(s.Clock.Now()))
			s.schedules.runDue(ctx)
			_ = s.Engine.WaitIdle(ctx) // the caller waits again and reports a failure
		}
	}
	if rest := target.Sub(s.Clock.Now()); rest > 0 {
		s.Clock.Advance(rest)
	}
	if s.schedules != nil {
		s.schedules.runDue(ctx)
	}
}

// firstDue returns the earliest next run of any schedule.
func (sc *scheduler) firstDue() (time.Time, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	var first time.Time
	for _, j := range sc.jobs {
		if first.IsZero() || j.next.Before(first) {
			first = j.next
		}
	}
	return first, !first.IsZero()
}

// loop runs due schedules in real time until stop. It checks at least once a second, so a clock
// that time travel moved is noticed at once.
func (sc *scheduler) loop() {
	defer close(sc.done)
	for {
		wait := time.Second
		if first, ok := sc.firstDue(); ok {
			wait = min(wait, max(first.Sub(sc.clock.Now()), 0))
		}
		t := time.NewTimer(wait)
		select {
		case <-sc.stop:
			t.Stop()
			return
		case <-t.C:
		}
		sc.runDue(context.Background())
	}
}

// runDue invokes, once, every schedule due at the clock's time, and moves each one's next run past
// now (runs missed meanwhile are not made up one by one). A failed invocation is logged, as
// EventBridge's would be in the function's log and Errors metric.
func (sc *scheduler) runDue(ctx context.Context) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	select {
	case <-sc.stop:
		return
	default:
	}
	now := sc.clock.Now()
	for _, j := range sc.jobs {
		if j.next.After(now) {
			continue
		}
		for !j.next.After(now) {
			j.next = j.next.Add(j.Every)
		}
		j.runs++
		payload, err := sc.event(j, now)
		if err != nil {
			sc.log.Error("scheduled event", "function", j.Function, "error", err.Error())
			continue
		}
		runCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), j.timeout)
		_, err = j.handler.Invoke(runCtx, payload)
		cancel()
		if err != nil {
			sc.log.Warn("scheduled invocation failed", "function", j.Function, "event", j.Event, "error", err.Error())
		}
	}
}

// event is the EventBridge "Scheduled Event" a rule of the schedule would send.
func (sc *scheduler) event(j *job, at time.Time) ([]byte, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	h := hex.EncodeToString(id)
	return json.Marshal(map[string]any{
		"version":     "0",
		"id":          h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32],
		"detail-type": "Scheduled Event",
		"source":      "aws.events",
		"account":     sc.acct,
		"time":        at.UTC().Format(time.RFC3339),
		"region":      sc.region,
		"resources":   []string{fmt.Sprintf("arn:aws:events:%s:%s:rule/%s-%s%s", sc.region, sc.acct, stackName, j.Function, j.Event)},
		"detail":      map[string]any{},
	})
}
