package asl

import (
	"time"
)

// WaitUntil returns when a Wait state that starts at now ends, from Seconds,
// Timestamp, SecondsPath or TimestampPath (the paths read the effective
// input). A SecondsPath value that is not a non-negative integer, or a
// TimestampPath value that is not a timestamp, is a States.Runtime error.
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
		v, err := Get(input, s.SecondsPath)
		if err != nil {
			return time.Time{}, err
		}
		n, ok := numberInt(v)
		if !ok || n < 0 || n > maxTimeoutSeconds {
			return time.Time{}, errorf(ErrRuntime, "The SecondsPath parameter does not reference a valid integer value: %s", mustEncode(v))
		}
		return now.Add(time.Duration(n) * time.Second), nil
	case s.TimestampPath != "":
		v, err := Get(input, s.TimestampPath)
		if err != nil {
			return time.Time{}, err
		}
		str, _ := v.(string)
		t, err := ParseTimestamp(str)
		if err != nil {
			return time.Time{}, errorf(ErrRuntime, "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s", mustEncode(v))
		}
		return t, nil
	}
	return time.Time{}, errorf(ErrRuntime, "state %q is not a Wait state with a duration", s.Name)
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
	v, err := Get(input, path)
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
		v, err := EvalExpr(f.expr, input, ctx, env)
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
