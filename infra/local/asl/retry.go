package asl

import (
	"math"
	"time"
)

// Delay returns how long to wait before retry number attempt (1 for the
// first retry): IntervalSeconds × BackoffRate^(attempt-1), capped at
// MaxDelaySeconds when set. With JitterStrategy "FULL" the delay is drawn
// uniformly from [0, computed delay) using rnd, which returns a float in
// [0, 1); rnd may be nil otherwise.
func (r Retrier) Delay(attempt int, rnd func() float64) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	rate := r.BackoffRate
	if rate < 1 {
		rate = 1
	}
	secs := float64(r.IntervalSeconds) * math.Pow(rate, float64(attempt-1))
	if r.MaxDelaySeconds > 0 && secs > float64(r.MaxDelaySeconds) {
		secs = float64(r.MaxDelaySeconds)
	}
	if r.JitterStrategy == "FULL" && rnd != nil {
		secs *= rnd()
	}
	// Clamp before converting: math.Pow grows past what a Duration holds.
	if maxSecs := float64(math.MaxInt64) / float64(time.Second); math.IsInf(secs, 1) || secs > maxSecs {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(math.Round(secs * float64(time.Second)))
}

// CanRetry reports whether retry number attempt (1-based) is allowed.
func (r Retrier) CanRetry(attempt int) bool {
	return attempt >= 1 && attempt <= r.MaxAttempts
}

// FindRetrier returns the index of the first retrier whose ErrorEquals
// matches errName, or -1. Step Functions uses only that retrier for the
// error, even if its attempts are used up.
func FindRetrier(retry []Retrier, errName string) int {
	for i, r := range retry {
		if ErrorMatches(r.ErrorEquals, errName) {
			return i
		}
	}
	return -1
}

// FindCatcher returns the index of the first catcher whose ErrorEquals
// matches errName, or -1.
func FindCatcher(catch []Catcher, errName string) int {
	for i, c := range catch {
		if ErrorMatches(c.ErrorEquals, errName) {
			return i
		}
	}
	return -1
}

// ErrorOutput is the value a Catcher passes on: {"Error": name, "Cause": cause}.
func ErrorOutput(e *Error) map[string]any {
	return map[string]any{"Error": e.Name, "Cause": e.Cause}
}

// RetryCounts is what one state execution remembers about its retries. The
// zero value is ready to use; the runtime keeps one per running state and
// drops it when the state is left. Nothing is allocated until an error is
// retried, so parked executions pay nothing for it.
//
// AWS documents two counters: the backoff grows with every use of a retrier
// ("a retrier's parameters apply across all visits to the retrier"), while
// MaxAttempts limits the retries of each error name ("it has already reached
// its limit of two retries for that particular error"), as in the complex
// retry scenario of the error-handling guide.
type RetryCounts struct {
	// Uses counts retries per retrier index.
	Uses []int
	// PerError counts retries per retrier index and error name.
	PerError []map[string]int
	// Total counts all retries of the state; it is $$.State.RetryCount.
	Total int
}

// NextRetry decides what happens to an error raised by a state with
// retriers: the first retrier whose ErrorEquals matches is the only one
// considered; if it still allows a retry of this error, NextRetry records
// the retry in counts and returns the delay to wait and true. It returns
// false when no retrier matches or the matching one is used up, and the
// error goes on to Catch. rnd feeds FULL jitter and may be nil.
func (s *State) NextRetry(counts *RetryCounts, errName string, rnd func() float64) (time.Duration, bool) {
	i := FindRetrier(s.Retry, errName)
	if i < 0 {
		return 0, false
	}
	r := s.Retry[i]
	for len(counts.Uses) < len(s.Retry) {
		counts.Uses = append(counts.Uses, 0)
		counts.PerError = append(counts.PerError, nil)
	}
	if counts.PerError[i][errName] >= r.MaxAttempts {
		return 0, false
	}
	if counts.PerError[i] == nil {
		counts.PerError[i] = map[string]int{}
	}
	counts.PerError[i][errName]++
	counts.Uses[i]++
	counts.Total++
	return r.Delay(counts.Uses[i], rnd), true
}
