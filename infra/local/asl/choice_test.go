package asl

import (
	"fmt"
	"testing"
)

// parseRule parses one top-level Choice rule (without Next) through Parse,
// so the rule is validated exactly as in a definition.
func parseRule(t *testing.T, rule string) *ChoiceRule {
	t.Helper()
	def := fmt.Sprintf(`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[%s],"Default":"D"},"N":{"Type":"Succeed"},"D":{"Type":"Succeed"}}}`,
		rule[:len(rule)-1]+`,"Next":"N"}`)
	sm, err := Parse([]byte(def))
	if err != nil {
		t.Fatalf("parse rule %s: %v", rule, err)
	}
	return sm.States["C"].Choices[0]
}

func TestChoiceOperators(t *testing.T) {
	in := `{"s": "b", "n": 10, "f": 10.5, "big": 9007199254740993, "t": true, "nul": null,
	  "ts": "2016-08-18T17:33:00Z", "tsOff": "2016-08-18T19:33:00+02:00", "tsFrac": "2016-08-18T17:33:00.001Z",
	  "str2": "c", "n2": 10.0, "t2": false, "ts2": "2016-08-18T17:33:01Z", "obj": {}, "arr": [], "file": "log-2024.txt",
	  "star": "a*b", "bs": "a\\b", "emoji": "\ud83d\ude00", "fullwidth": "\uff61", "lower": "2016-08-18t17:33:00z"}`
	tests := []struct {
		rule string
		want bool
		err  string
	}{
		// Strings (Java compareTo order).
		{`{"Variable":"$.s","StringEquals":"b"}`, true, ""},
		{`{"Variable":"$.s","StringEquals":"B"}`, false, ""},
		{`{"Variable":"$.s","StringLessThan":"c"}`, true, ""},
		{`{"Variable":"$.s","StringLessThan":"b"}`, false, ""},
		{`{"Variable":"$.s","StringGreaterThan":"a"}`, true, ""},
		{`{"Variable":"$.s","StringGreaterThan":"b"}`, false, ""},
		{`{"Variable":"$.s","StringLessThanEquals":"b"}`, true, ""},
		{`{"Variable":"$.s","StringLessThanEquals":"a"}`, false, ""},
		{`{"Variable":"$.s","StringGreaterThanEquals":"b"}`, true, ""},
		{`{"Variable":"$.s","StringGreaterThanEquals":"c"}`, false, ""},
		{`{"Variable":"$.emoji","StringLessThan":"\uff61"}`, true, ""},
		{`{"Variable":"$.s","StringEqualsPath":"$.s"}`, true, ""},
		{`{"Variable":"$.s","StringEqualsPath":"$.str2"}`, false, ""},
		{`{"Variable":"$.s","StringLessThanPath":"$.str2"}`, true, ""},
		{`{"Variable":"$.s","StringGreaterThanPath":"$.str2"}`, false, ""},
		{`{"Variable":"$.s","StringLessThanEqualsPath":"$.s"}`, true, ""},
		{`{"Variable":"$.str2","StringGreaterThanEqualsPath":"$.s"}`, true, ""},
		{`{"Variable":"$.n","StringEquals":"10"}`, false, ""},                   // no type coercion
		{`{"Variable":"$.s","StringEqualsPath":"$.n"}`, false, ""},              // operand of another type
		{`{"Variable":"$.ts","StringEquals":"2016-08-18T17:33:00Z"}`, true, ""}, // timestamps are strings too

		// StringMatches: * wildcard, \* literal star, \\ literal backslash.
		{`{"Variable":"$.file","StringMatches":"log-*.txt"}`, true, ""},
		{`{"Variable":"$.file","StringMatches":"*.txt"}`, true, ""},
		{`{"Variable":"$.file","StringMatches":"log-*"}`, true, ""},
		{`{"Variable":"$.file","StringMatches":"*"}`, true, ""},
		{`{"Variable":"$.file","StringMatches":"*2024*"}`, true, ""},
		{`{"Variable":"$.file","StringMatches":"log-*.csv"}`, false, ""},
		{`{"Variable":"$.file","StringMatches":"log-2024.txt"}`, true, ""},
		{`{"Variable":"$.file","StringMatches":"LOG-*"}`, false, ""},
		{`{"Variable":"$.star","StringMatches":"a\\*b"}`, true, ""},
		{`{"Variable":"$.file","StringMatches":"log\\*"}`, false, ""},
		{`{"Variable":"$.star","StringMatches":"a\\**"}`, true, ""},
		{`{"Variable":"$.bs","StringMatches":"a\\\\b"}`, true, ""},
		{`{"Variable":"$.bs","StringMatches":"a\\\\*"}`, true, ""},
		{`{"Variable":"$.bs","StringMatches":"a\\"}`, false, ErrRuntime},   // open escape at the end
		{`{"Variable":"$.bs","StringMatches":"a\\b*"}`, false, ErrRuntime}, // open escape before b
		{`{"Variable":"$.n","StringMatches":"*"}`, false, ""},

		// Numbers: exact comparison, no coercion.
		{`{"Variable":"$.n","NumericEquals":10}`, true, ""},
		{`{"Variable":"$.n","NumericEquals":10.0}`, true, ""},
		{`{"Variable":"$.n","NumericEquals":1e1}`, true, ""},
		{`{"Variable":"$.n","NumericEquals":11}`, false, ""},
		{`{"Variable":"$.big","NumericEquals":9007199254740992}`, false, ""}, // would be equal as float64
		{`{"Variable":"$.big","NumericGreaterThan":9007199254740992}`, true, ""},
		{`{"Variable":"$.n","NumericLessThan":10.5}`, true, ""},
		{`{"Variable":"$.n","NumericLessThan":10}`, false, ""},
		{`{"Variable":"$.n","NumericGreaterThan":9.99}`, true, ""},
		{`{"Variable":"$.n","NumericGreaterThan":10}`, false, ""},
		{`{"Variable":"$.n","NumericLessThanEquals":10}`, true, ""},
		{`{"Variable":"$.n","NumericLessThanEquals":9}`, false, ""},
		{`{"Variable":"$.n","NumericGreaterThanEquals":10}`, true, ""},
		{`{"Variable":"$.n","NumericGreaterThanEquals":10.000001}`, false, ""},
		{`{"Variable":"$.n","NumericGreaterThan":-1e400}`, true, ""},
		{`{"Variable":"$.n","NumericEqualsPath":"$.n2"}`, true, ""},
		{`{"Variable":"$.n","NumericLessThanPath":"$.f"}`, true, ""},
		{`{"Variable":"$.f","NumericGreaterThanPath":"$.n"}`, true, ""},
		{`{"Variable":"$.n","NumericLessThanEqualsPath":"$.n2"}`, true, ""},
		{`{"Variable":"$.n","NumericGreaterThanEqualsPath":"$.f"}`, false, ""},
		{`{"Variable":"$.s","NumericEquals":10}`, false, ""},
		{`{"Variable":"$.n","NumericEqualsPath":"$.s"}`, false, ""},

		// Booleans.
		{`{"Variable":"$.t","BooleanEquals":true}`, true, ""},
		{`{"Variable":"$.t","BooleanEquals":false}`, false, ""},
		{`{"Variable":"$.s","BooleanEquals":true}`, false, ""},
		{`{"Variable":"$.t2","BooleanEqualsPath":"$.t2"}`, true, ""},
		{`{"Variable":"$.t","BooleanEqualsPath":"$.t2"}`, false, ""},

		// Timestamps: compared as instants, offsets and fractions included.
		{`{"Variable":"$.ts","TimestampEquals":"2016-08-18T17:33:00Z"}`, true, ""},
		{`{"Variable":"$.tsOff","TimestampEquals":"2016-08-18T17:33:00Z"}`, true, ""},
		{`{"Variable":"$.tsFrac","TimestampGreaterThan":"2016-08-18T17:33:00Z"}`, true, ""},
		{`{"Variable":"$.ts","TimestampLessThan":"2016-08-18T17:33:00.5Z"}`, true, ""},
		{`{"Variable":"$.ts","TimestampLessThan":"2016-08-18T17:33:00Z"}`, false, ""},
		{`{"Variable":"$.ts","TimestampGreaterThan":"2016-08-18T17:33:00Z"}`, false, ""},
		{`{"Variable":"$.ts","TimestampLessThanEquals":"2016-08-18T17:33:00Z"}`, true, ""},
		{`{"Variable":"$.ts","TimestampGreaterThanEquals":"2016-08-18T17:33:01Z"}`, false, ""},
		{`{"Variable":"$.ts","TimestampEqualsPath":"$.tsOff"}`, true, ""},
		{`{"Variable":"$.ts","TimestampLessThanPath":"$.ts2"}`, true, ""},
		{`{"Variable":"$.ts2","TimestampGreaterThanPath":"$.ts"}`, true, ""},
		{`{"Variable":"$.ts","TimestampLessThanEqualsPath":"$.tsOff"}`, true, ""},
		{`{"Variable":"$.ts","TimestampGreaterThanEqualsPath":"$.ts2"}`, false, ""},
		{`{"Variable":"$.s","TimestampEquals":"2016-08-18T17:33:00Z"}`, false, ""},     // not a timestamp
		{`{"Variable":"$.lower","TimestampEquals":"2016-08-18T17:33:00Z"}`, false, ""}, // lowercase t/z are not accepted
		{`{"Variable":"$.ts","TimestampEqualsPath":"$.s"}`, false, ""},

		// Type tests.
		{`{"Variable":"$.s","IsPresent":true}`, true, ""},
		{`{"Variable":"$.nope","IsPresent":true}`, false, ""},
		{`{"Variable":"$.nope","IsPresent":false}`, true, ""},
		{`{"Variable":"$.nul","IsPresent":true}`, true, ""},
		{`{"Variable":"$.nul","IsNull":true}`, true, ""},
		{`{"Variable":"$.s","IsNull":true}`, false, ""},
		{`{"Variable":"$.s","IsNull":false}`, true, ""},
		{`{"Variable":"$.f","IsNumeric":true}`, true, ""},
		{`{"Variable":"$.s","IsNumeric":true}`, false, ""},
		{`{"Variable":"$.s","IsNumeric":false}`, true, ""},
		{`{"Variable":"$.s","IsString":true}`, true, ""},
		{`{"Variable":"$.obj","IsString":true}`, false, ""},
		{`{"Variable":"$.t","IsBoolean":true}`, true, ""},
		{`{"Variable":"$.nul","IsBoolean":true}`, false, ""},
		{`{"Variable":"$.ts","IsTimestamp":true}`, true, ""},
		{`{"Variable":"$.s","IsTimestamp":true}`, false, ""},
		{`{"Variable":"$.s","IsTimestamp":false}`, true, ""},
		{`{"Variable":"$.lower","IsTimestamp":true}`, false, ""},

		// Boolean logic.
		{`{"And":[{"Variable":"$.n","NumericGreaterThanEquals":10},{"Variable":"$.n","NumericLessThan":30}]}`, true, ""},
		{`{"And":[{"Variable":"$.n","NumericGreaterThan":10},{"Variable":"$.nope","IsPresent":true}]}`, false, ""},
		{`{"Or":[{"Variable":"$.n","NumericEquals":1},{"Variable":"$.s","StringEquals":"b"}]}`, true, ""},
		{`{"Or":[{"Variable":"$.n","NumericEquals":1},{"Variable":"$.s","StringEquals":"x"}]}`, false, ""},
		{`{"Not":{"Variable":"$.s","StringEquals":"x"}}`, true, ""},
		{`{"Not":{"Variable":"$.s","StringEquals":"b"}}`, false, ""},
		{`{"Not":{"And":[{"Variable":"$.t","BooleanEquals":true},{"Or":[{"Variable":"$.nope","IsPresent":true},{"Not":{"Variable":"$.nul","IsNull":true}}]}]}}`, true, ""},
		// Short-circuit: a later missing variable is not evaluated.
		{`{"Or":[{"Variable":"$.t","BooleanEquals":true},{"Variable":"$.nope","StringEquals":"x"}]}`, true, ""},
		{`{"And":[{"Variable":"$.t","BooleanEquals":false},{"Variable":"$.nope","StringEquals":"x"}]}`, false, ""},

		// A Variable or operand path that selects nothing is a runtime error.
		{`{"Variable":"$.nope","StringEquals":"x"}`, false, ErrRuntime},
		{`{"Variable":"$.nope","IsNull":true}`, false, ErrRuntime},
		{`{"Variable":"$.s","StringEqualsPath":"$.nope"}`, false, ErrRuntime},
		{`{"Not":{"Variable":"$.nope","NumericEquals":1}}`, false, ErrRuntime},
		// Context object paths.
		{`{"Variable":"$$.Execution.Name","StringEquals":"exec-1"}`, true, ""},
		{`{"Variable":"$.s","StringEqualsPath":"$$.State.Name"}`, false, ""},
	}
	ctx := dec(t, `{"Execution":{"Name":"exec-1"},"State":{"Name":"C"}}`)
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			r := parseRule(t, tt.rule)
			got, err := r.MatchWith(dec(t, in), ctx)
			if got, want := errName(err), tt.err; got != want {
				t.Fatalf("error = %v, want name %q", err, want)
			}
			if got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestChoiceDocExample runs the Choice state example of the AWS
// documentation: input {"type": "Private", "value": 22} goes to ValueInTwenties.
func TestChoiceDocExample(t *testing.T) {
	sm, err := Parse([]byte(`{"StartAt": "ChoiceStateX", "States": {
	  "ChoiceStateX": {"Type": "Choice", "Choices": [
	    {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
	    {"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"},
	    {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20}, {"Variable": "$.value", "NumericLessThan": 30}], "Next": "ValueInTwenties"}],
	    "Default": "DefaultState"},
	  "Public": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Foo", "Next": "NextState"},
	  "ValueIsZero": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Zero", "Next": "NextState"},
	  "ValueInTwenties": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Bar", "Next": "NextState"},
	  "DefaultState": {"Type": "Fail", "Cause": "No Matches!"},
	  "NextState": {"Type": "Succeed"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	st := sm.States["ChoiceStateX"]
	tests := []struct {
		input, want, err string
	}{
		{`{"type": "Private", "value": 22}`, "ValueInTwenties", ""},
		{`{"type": "Public", "value": 22}`, "Public", ""},
		{`{"type": "Private", "value": 0}`, "ValueIsZero", ""},
		{`{"type": "Private", "value": 30}`, "DefaultState", ""},
		{`{"value": 22}`, "", ErrRuntime}, // the docs: $.type must be present
	}
	for _, tt := range tests {
		got, err := st.ChooseNext(dec(t, tt.input))
		if got != tt.want || errName(err) != tt.err {
			t.Errorf("ChooseNext(%s) = %q, %v; want %q, %q", tt.input, got, err, tt.want, tt.err)
		}
	}
	// Without a Default, no match is States.NoChoiceMatched.
	st.Default = ""
	if _, err := st.ChooseNext(dec(t, `{"type": "Private", "value": 30}`)); errName(err) != ErrNoChoiceMatched {
		t.Errorf("no match without Default: %v, want %s", err, ErrNoChoiceMatched)
	}
}

func TestStringMatches(t *testing.T) {
	tests := []struct {
		s, pattern string
		want       bool
	}{
		// The ASL specification's examples.
		{"foo23.log", "foo*.log", true},
		{"zebra.log", "*.log", true},
		{"foobar.zebra", "foo*.*", true},
		{"", "", true},
		{"", "*", true},
		{"a", "", false},
		{"abc", "a*b*c", true},
		{"abbbc", "a*b*c", true},
		{"acb", "a*b*c", false},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*a*a*a*c", false}, // no exponential backtracking
		{"*", `\*`, true},
		{"x", `\*`, false},
		{`\`, `\\`, true},
		{"ä✓", "?*", false}, // '?' is not special
		{"ä✓", "ä*", true},
		{"a.b", "a.b", true},
		{"axb", "a.b", false}, // '.' is not special either
	}
	for _, tt := range tests {
		got, err := StringMatches(tt.s, tt.pattern)
		if err != nil || got != tt.want {
			t.Errorf("StringMatches(%q, %q) = %v, %v; want %v", tt.s, tt.pattern, got, err, tt.want)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	for _, s := range []string{"2016-08-18T17:33:00Z", "2016-08-18T17:33:00.123456789Z", "2016-08-18T17:33:00+01:00", "2016-08-18T17:33:00-05:30"} {
		if _, err := ParseTimestamp(s); err != nil {
			t.Errorf("ParseTimestamp(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"2016-08-18", "2016-08-18 17:33:00Z", "2016-08-18t17:33:00Z", "2016-08-18T17:33:00z", "2016-08-18T17:33:00", "2016-13-18T17:33:00Z", "2016-08-18T25:33:00Z", "yesterday"} {
		if _, err := ParseTimestamp(s); err == nil {
			t.Errorf("ParseTimestamp(%q) = ok, want an error", s)
		}
	}
}
