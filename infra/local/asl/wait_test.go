package asl

import (
	"fmt"
	"testing"
	"time"
)

func TestWaitUntil(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	wait := func(field string) *State {
		t.Helper()
		sm := MustParse(fmt.Sprintf(`{"StartAt": "W", "States": {"W": {"Type": "Wait", %s, "End": true}}}`, field))
		return sm.States["W"]
	}
	tests := []struct {
		name  string
		field string
		input string
		want  time.Time
		err   string
	}{
		{"Seconds", `"Seconds": 10`, `{}`, now.Add(10 * time.Second), ""},
		{"Seconds zero", `"Seconds": 0`, `{}`, now, ""},
		{"14 days", `"Seconds": 1209600`, `{}`, now.Add(14 * 24 * time.Hour), ""},
		{"Timestamp", `"Timestamp": "2024-05-02T00:00:00Z"`, `{}`, time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC), ""},
		{"Timestamp in the past", `"Timestamp": "2020-01-01T00:00:00+01:00"`, `{}`, time.Date(2019, 12, 31, 23, 0, 0, 0, time.UTC), ""},
		{"SecondsPath", `"SecondsPath": "$.delay"`, `{"delay": 90}`, now.Add(90 * time.Second), ""},
		{"SecondsPath integral decimal", `"SecondsPath": "$.delay"`, `{"delay": 5.0}`, time.Time{}, ErrRuntime},
		{"SecondsPath fraction", `"SecondsPath": "$.delay"`, `{"delay": 1.5}`, time.Time{}, ErrRuntime},
		{"SecondsPath negative", `"SecondsPath": "$.delay"`, `{"delay": -1}`, time.Time{}, ErrRuntime},
		{"SecondsPath string", `"SecondsPath": "$.delay"`, `{"delay": "10"}`, time.Time{}, ErrRuntime},
		{"SecondsPath missing", `"SecondsPath": "$.delay"`, `{}`, time.Time{}, ErrRuntime},
		{"TimestampPath", `"TimestampPath": "$.at"`, `{"at": "2024-05-01T12:30:00.5Z"}`, now.Add(30*time.Minute + 500*time.Millisecond), ""},
		{"TimestampPath invalid", `"TimestampPath": "$.at"`, `{"at": "tomorrow"}`, time.Time{}, ErrRuntime},
		{"TimestampPath number", `"TimestampPath": "$.at"`, `{"at": 5}`, time.Time{}, ErrRuntime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := wait(tt.field).WaitUntil(dec(t, tt.input), now)
			if got, want := errName(err), tt.err; got != want {
				t.Fatalf("error = %v, want name %q", err, want)
			}
			if !got.Equal(tt.want) {
				t.Errorf("WaitUntil = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := (&State{Name: "P", Type: TypePass}).WaitUntil(nil, now); errName(err) != ErrRuntime {
		t.Errorf("WaitUntil on a Pass state: %v", err)
	}
}

func TestTimeoutAndHeartbeat(t *testing.T) {
	task := func(fields string) *State {
		t.Helper()
		sm := MustParse(fmt.Sprintf(`{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "%s", %s "End": true}}}`, lambdaARN, fields))
		return sm.States["T"]
	}
	tests := []struct {
		name, fields, input string
		timeout, heartbeat  time.Duration
		err                 string
	}{
		{"none", ``, `{}`, 0, 0, ""},
		{"static", `"TimeoutSeconds": 1209600, "HeartbeatSeconds": 3600,`, `{}`, 14 * 24 * time.Hour, time.Hour, ""},
		{"paths", `"TimeoutSecondsPath": "$.t", "HeartbeatSecondsPath": "$.h",`, `{"t": 300, "h": 60}`, 5 * time.Minute, time.Minute, ""},
		{"path zero", `"TimeoutSecondsPath": "$.t",`, `{"t": 0}`, 0, 0, ErrRuntime},
		{"path missing", `"TimeoutSecondsPath": "$.t",`, `{}`, 0, 0, ErrRuntime},
		{"path not a number", `"HeartbeatSecondsPath": "$.h",`, `{"h": "60"}`, 0, 0, ErrRuntime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := task(tt.fields)
			in := dec(t, tt.input)
			to, err1 := st.Timeout(in)
			hb, err2 := st.Heartbeat(in)
			err := err1
			if err == nil {
				err = err2
			}
			if got, want := errName(err), tt.err; got != want {
				t.Fatalf("error = %v, want name %q", err, want)
			}
			if tt.err == "" && (to != tt.timeout || hb != tt.heartbeat) {
				t.Errorf("Timeout, Heartbeat = %v, %v; want %v, %v", to, hb, tt.timeout, tt.heartbeat)
			}
		})
	}
}

func TestFailError(t *testing.T) {
	fail := func(fields string) *State {
		t.Helper()
		return MustParse(fmt.Sprintf(`{"StartAt": "F", "States": {"F": {"Type": "Fail" %s}}}`, fields)).States["F"]
	}
	tests := []struct {
		name, fields, input string
		want                Error
		err                 string
	}{
		{"static", `, "Error": "ConsentExpired", "Cause": "no answer"`, `{}`, Error{Name: "ConsentExpired", Cause: "no answer"}, ""},
		{"empty", ``, `{}`, Error{}, ""},
		{"paths", `, "ErrorPath": "$.e.name", "CausePath": "$.e.why"`, `{"e": {"name": "PaymentError", "why": "declined"}}`, Error{Name: "PaymentError", Cause: "declined"}, ""},
		{"intrinsic", `, "Error": "E", "CausePath": "States.Format('request {} failed', $.id)"`, `{"id": "r-1"}`, Error{Name: "E", Cause: "request r-1 failed"}, ""},
		{"context", `, "ErrorPath": "$$.State.Name"`, `{}`, Error{Name: "F"}, ""},
		{"path not a string", `, "ErrorPath": "$.e"`, `{"e": 5}`, Error{}, ErrRuntime},
		{"path missing", `, "CausePath": "$.c"`, `{}`, Error{}, ErrRuntime},
	}
	ctx := Context{StateName: "F"}.Value()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fail(tt.fields).FailError(dec(t, tt.input), ctx, Env{})
			if got, want := errName(err), tt.err; got != want {
				t.Fatalf("error = %v, want name %q", err, want)
			}
			if tt.err == "" && *got != tt.want {
				t.Errorf("FailError = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestSubstitute(t *testing.T) {
	def := `{"Resource": "${RequestConsentFunctionArn}", "Other": "${RequestConsentFunctionArn}", "T": "${TableName}", "Path": "$.a"}`
	got, err := Substitute(def, map[string]string{"RequestConsentFunctionArn": lambdaARN, "TableName": "refunds", "Unused": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"Resource": "` + lambdaARN + `", "Other": "` + lambdaARN + `", "T": "refunds", "Path": "$.a"}`; got != want {
		t.Errorf("Substitute = %s\nwant %s", got, want)
	}
	_, err = Substitute(`{"a": "${B}", "b": "${A}", "c": "${B}"}`, map[string]string{})
	if err == nil || err.Error() != "definition substitution: no value for ${A}, ${B}" {
		t.Errorf("missing placeholders: %v", err)
	}
	if got, err := Substitute(`{"p": "$$.Execution.Id", "q": "States.Format('{}', $.a)"}`, nil); err != nil || got != `{"p": "$$.Execution.Id", "q": "States.Format('{}', $.a)"}` {
		t.Errorf("text without placeholders must pass unchanged: %q, %v", got, err)
	}
}
