package stepfunctions

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// event is one entry of an execution's history, with the detail struct that
// AWS attaches under a type-specific key ("taskScheduledEventDetails", ...).
type event struct {
	typ    string
	at     time.Time
	id     int64
	prev   int64
	detail eventDetail // nil for events without details
}

// eventDetail is a detail struct; key is its member name in the event.
type eventDetail interface{ key() string }

// dataDetails is AWS's inputDetails/outputDetails: this engine never truncates.
type dataDetails struct {
	Truncated bool `json:"truncated"`
}

type executionStartedDetails struct {
	Input        string      `json:"input"`
	InputDetails dataDetails `json:"inputDetails"`
	RoleArn      string      `json:"roleArn,omitempty"`
}

func (*executionStartedDetails) key() string { return "executionStartedEventDetails" }

type executionSucceededDetails struct {
	Output        string      `json:"output"`
	OutputDetails dataDetails `json:"outputDetails"`
}

func (*executionSucceededDetails) key() string { return "executionSucceededEventDetails" }

// failureDetails is the {error, cause} shape shared by several event types;
// which key it goes under is chosen when the event is built.
type failureDetails struct {
	k     string
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
}

func (d *failureDetails) key() string { return d.k }

type stateEnteredDetails struct {
	Name         string      `json:"name"`
	Input        string      `json:"input"`
	InputDetails dataDetails `json:"inputDetails"`
}

func (*stateEnteredDetails) key() string { return "stateEnteredEventDetails" }

type stateExitedDetails struct {
	Name          string      `json:"name"`
	Output        string      `json:"output"`
	OutputDetails dataDetails `json:"outputDetails"`
}

func (*stateExitedDetails) key() string { return "stateExitedEventDetails" }

type taskScheduledDetails struct {
	ResourceType       string `json:"resourceType"`
	Resource           string `json:"resource"`
	Region             string `json:"region"`
	Parameters         string `json:"parameters"`
	TimeoutInSeconds   int64  `json:"timeoutInSeconds,omitempty"`
	HeartbeatInSeconds int64  `json:"heartbeatInSeconds,omitempty"`
}

func (*taskScheduledDetails) key() string { return "taskScheduledEventDetails" }

type taskStartedDetails struct {
	ResourceType string `json:"resourceType"`
	Resource     string `json:"resource"`
}

func (*taskStartedDetails) key() string { return "taskStartedEventDetails" }

// taskOutputDetails serves TaskSubmitted and TaskSucceeded.
type taskOutputDetails struct {
	k             string
	ResourceType  string      `json:"resourceType"`
	Resource      string      `json:"resource"`
	Output        string      `json:"output"`
	OutputDetails dataDetails `json:"outputDetails"`
}

func (d *taskOutputDetails) key() string { return d.k }

// taskFailureDetails serves TaskFailed and TaskTimedOut.
type taskFailureDetails struct {
	k            string
	ResourceType string `json:"resourceType"`
	Resource     string `json:"resource"`
	Error        string `json:"error,omitempty"`
	Cause        string `json:"cause,omitempty"`
}

func (d *taskFailureDetails) key() string { return d.k }

type lambdaScheduledDetails struct {
	Resource         string      `json:"resource"`
	Input            string      `json:"input"`
	InputDetails     dataDetails `json:"inputDetails"`
	TimeoutInSeconds int64       `json:"timeoutInSeconds,omitempty"`
}

func (*lambdaScheduledDetails) key() string { return "lambdaFunctionScheduledEventDetails" }

type lambdaSucceededDetails struct {
	Output        string      `json:"output"`
	OutputDetails dataDetails `json:"outputDetails"`
}

func (*lambdaSucceededDetails) key() string { return "lambdaFunctionSucceededEventDetails" }

type mapStateStartedDetails struct {
	Length int `json:"length"`
}

func (*mapStateStartedDetails) key() string { return "mapStateStartedEventDetails" }

// mapIterationDetails serves the four MapIteration* event types.
type mapIterationDetails struct {
	k     string
	Name  string `json:"name"`
	Index int    `json:"index"`
}

func (d *mapIterationDetails) key() string { return d.k }

// encodeEvent renders an event in the awsJson1_0 shape the SDK decodes into
// types.HistoryEvent. includeData false drops inputs and outputs, as
// GetExecutionHistory does with includeExecutionData=false.
func encodeEvent(buf *bytes.Buffer, ev *event, includeData bool) error {
	buf.WriteString(`{"id":`)
	buf.WriteString(strconv.FormatInt(ev.id, 10))
	if ev.prev != 0 {
		buf.WriteString(`,"previousEventId":`)
		buf.WriteString(strconv.FormatInt(ev.prev, 10))
	}
	buf.WriteString(`,"timestamp":`)
	buf.WriteString(epochSeconds(ev.at))
	buf.WriteString(`,"type":"`)
	buf.WriteString(ev.typ)
	buf.WriteByte('"')
	if ev.detail != nil {
		var d any = ev.detail
		if !includeData {
			d = withoutData(ev.detail)
		}
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		buf.WriteString(`,"`)
		buf.WriteString(ev.detail.key())
		buf.WriteString(`":`)
		buf.Write(b)
	}
	buf.WriteByte('}')
	return nil
}

// withoutData returns a copy of d with execution data (inputs, outputs,
// parameters) removed.
func withoutData(d eventDetail) any {
	switch t := d.(type) {
	case *executionStartedDetails:
		return struct {
			RoleArn string `json:"roleArn,omitempty"`
		}{t.RoleArn}
	case *executionSucceededDetails, *lambdaSucceededDetails:
		return struct{}{}
	case *stateEnteredDetails:
		return struct {
			Name string `json:"name"`
		}{t.Name}
	case *stateExitedDetails:
		return struct {
			Name string `json:"name"`
		}{t.Name}
	case *taskOutputDetails:
		return struct {
			ResourceType string `json:"resourceType"`
			Resource     string `json:"resource"`
		}{t.ResourceType, t.Resource}
	case *taskScheduledDetails:
		return struct {
			ResourceType       string `json:"resourceType"`
			Resource           string `json:"resource"`
			Region             string `json:"region"`
			TimeoutInSeconds   int64  `json:"timeoutInSeconds,omitempty"`
			HeartbeatInSeconds int64  `json:"heartbeatInSeconds,omitempty"`
		}{t.ResourceType, t.Resource, t.Region, t.TimeoutInSeconds, t.HeartbeatInSeconds}
	case *lambdaScheduledDetails:
		return struct {
			Resource         string `json:"resource"`
			TimeoutInSeconds int64  `json:"timeoutInSeconds,omitempty"`
		}{t.Resource, t.TimeoutInSeconds}
	}
	return d
}

// epochSeconds renders t as awsJson1_0 timestamps are sent: seconds since
// the epoch with millisecond precision.
func epochSeconds(t time.Time) string {
	ms := t.UnixMilli()
	s := strconv.FormatInt(ms/1000, 10)
	frac := ms % 1000
	if frac < 0 {
		frac = -frac
	}
	if frac == 0 {
		return s
	}
	f := strconv.FormatInt(frac+1000, 10)[1:] // zero-padded to 3 digits
	return s + "." + strings.TrimRight(f, "0")
}

// failureTypes are the events that report a failed attempt; a Scheduled or
// Started event whose previous event is one of them is a retry.
var failureTypes = map[string]bool{
	"TaskFailed":             true,
	"TaskTimedOut":           true,
	"LambdaFunctionFailed":   true,
	"LambdaFunctionTimedOut": true,
	"ParallelStateFailed":    true,
	"MapStateFailed":         true,
}

// attemptTypes are the events that start an attempt of a Task, Parallel or
// Map state.
var attemptTypes = map[string]bool{
	"TaskScheduled":           true,
	"LambdaFunctionScheduled": true,
	"ParallelStateStarted":    true,
	"MapStateStarted":         true,
}

// BillableTransitions counts the state transitions AWS bills for an
// execution from its history (as returned by GetExecutionHistory, in either
// order): one per state entered, including states inside Parallel branches
// and Map iterations, plus one per retry attempt. This engine records a
// retry's Scheduled/Started event with the failure that caused it as its
// previous event, which is how retries are told apart from first attempts.
func BillableTransitions(events []types.HistoryEvent) int {
	byID := make(map[int64]types.HistoryEventType, len(events))
	for _, ev := range events {
		byID[ev.Id] = ev.Type
	}
	n := 0
	for _, ev := range events {
		t := string(ev.Type)
		switch {
		case strings.HasSuffix(t, "StateEntered"):
			n++
		case attemptTypes[t] && failureTypes[string(byID[ev.PreviousEventId])]:
			n++
		}
	}
	return n
}
