package asl

import (
	"math"
	"strconv"
	"time"
)

// WaitUntil returns when a Wait state that starts at now ends, from Seconds,
// Timestamp, SecondsPath or TimestampPath (the paths read the effective
// input). A SecondsPath value that is not a non-negative integer, a
// TimestampPath value that is not a timestamp, or a path that selects
// nothing is a States.Runtime error, worded as AWS words it ("The
// SecondsPath parameter references a negative value: $.wait == -1").
func (s *State) WaitUntil(input any, now time.Time) (time.Time, error) {
	switch {
	case s.Seconds != nil:
		return now.Add(time.Duration(*s.Seconds) * time.Second), nil
	case s.Timestamp != "":
		if !s.timestamp.IsZero() {
			return s.timestamp, nil
		}
		t, err := ParseTimestamp(s.Timestamp)
		if err != nil {
			return time.Time{}, errorf(ErrRuntime, "%v", err)
		}
		return t, nil
	case s.SecondsPath != "":
		v, found, err := refValue(input, s.SecondsPath)
		if err != nil {
			return time.Time{}, err
		}
		if !found {
			return time.Time{}, errorf(ErrRuntime, "The SecondsPath parameter does not reference an input value: %s", s.SecondsPath)
		}
		n, ok := longValue(v)
		if !ok {
			return time.Time{}, errorf(ErrRuntime, "The SecondsPath parameter cannot be parsed as a long value: %s == %s", s.SecondsPath, assignedText(v))
		}
		if n < 0 {
			return time.Time{}, errorf(ErrRuntime, "The SecondsPath parameter references a negative value: %s == %s", s.SecondsPath, assignedText(v))
		}
		return now.Add(seconds(n)), nil
	case s.TimestampPath != "":
		v, found, err := refValue(input, s.TimestampPath)
		if err != nil {
			return time.Time{}, err
		}
		if !found {
			return time.Time{}, errorf(ErrRuntime, "The TimestampPath parameter does not reference an input value: %s", s.TimestampPath)
		}
		str, _ := v.(string)
		t, err := ParseTimestamp(str)
		if err != nil {
			return time.Time{}, errorf(ErrRuntime, "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", s.TimestampPath, assignedText(v))
		}
		return t, nil
	}
	return time.Time{}, errorf(ErrRuntime, "state %q is not a Wait state with a duration", s.Name)
}

// refValue reads a reference path (SecondsPath, MaxConcurrencyPath ...)
// from the effective input; found is false when it selects nothing.
func refValue(input any, path string) (v any, found bool, err error) {
	p, err := cachedPath(path)
	if err != nil {
		return nil, false, errorf(ErrRuntime, "%v", err)
	}
	if !p.Definite() {
		v, err := p.Eval(input)
		return v, err == nil, err
	}
	v, missing := p.lookup(input)
	return v, missing == "", nil
}

// longValue reads an integer the way AWS reads SecondsPath: a JSON number
// written as an integer that fits in a Java long. 1.5, 1.0, 1e3, "10" and
// anything else are not.
func longValue(v any) (int64, bool) {
	if !isNumber(v) {
		return 0, false
	}
	n, err := strconv.ParseInt(numberString(v), 10, 64)
	return n, err == nil
}

// assignedText renders the value of a path in AWS's "<path> == <value>"
// messages: a string as it is, without quotes, anything else as JSON.
func assignedText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return mustEncode(v)
}

// seconds converts a non-negative number of seconds to a Duration,
// saturating where a Duration ends (about 292 years).
func seconds(n int64) time.Duration {
	if n > int64(math.MaxInt64/time.Second) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(n) * time.Second
}

// Timeout returns a Task's timeout from TimeoutSeconds or TimeoutSecondsPath
// (read from the effective input); 0 means none. A path value that is not a
// positive integer is a States.Runtime error.
func (s *State) Timeout(input any) (time.Duration, error) {
	return secondsField(s.TimeoutSeconds, s.TimeoutSecondsPath, "TimeoutSecondsPath", input)
}

// Heartbeat returns a Task's heartbeat interval from HeartbeatSeconds or
// HeartbeatSecondsPath; 0 means none.
func (s *State) Heartbeat(input any) (time.Duration, error) {
	return secondsField(s.HeartbeatSeconds, s.HeartbeatSecondsPath, "HeartbeatSecondsPath", input)
}

func secondsField(static int, path, field string, input any) (time.Duration, error) {
	if path == "" {
		return time.Duration(static) * time.Second, nil
	}
	v, err := OptPath{Set: true, Path: path}.Apply(input)
	if err != nil {
		return 0, err
	}
	n, ok := numberInt(v)
	if !ok || n < 1 || n > maxTimeoutSeconds {
		return 0, errorf(ErrRuntime, "The %s parameter does not reference a valid positive integer value: %s", field, mustEncode(v))
	}
	return time.Duration(n) * time.Second, nil
}

// FailError returns the error a Fail state reports: Error/Cause, or the
// strings ErrorPath/CausePath select (paths or intrinsic calls evaluated
// against the effective input and the context object).
func (s *State) FailError(input, ctx any, env Env) (*Error, error) {
	e := &Error{Name: s.Error, Cause: s.Cause}
	for _, f := range []struct {
		expr, field string
		dst         *string
	}{{s.ErrorPath, "ErrorPath", &e.Name}, {s.CausePath, "CausePath", &e.Cause}} {
		if f.expr == "" {
			continue
		}
		v, err := EvalField(f.expr, f.field, input, ctx, env)
		if err != nil {
			return nil, err
		}
		str, ok := v.(string)
		if !ok {
			return nil, errorf(ErrRuntime, "The %s %s must select a string, got %s", f.field, f.expr, mustEncode(v))
		}
		*f.dst = str
	}
	return e, nil
}
