package asl

import (
	"encoding/json"
	"strconv"
	"time"
)

// Context describes the context object ("$$") of one state, as AWS builds
// it. The runtime fills one in and calls Value; the paths "$$.Execution.Id",
// "$$.Task.Token", "$$.Map.Item.Value" ... then resolve as in AWS.
type Context struct {
	// ExecutionID is the execution ARN.
	ExecutionID string
	// ExecutionName is the execution's name.
	ExecutionName string
	// ExecutionInput is the execution's original input.
	ExecutionInput any
	// ExecutionStartTime is when the execution started.
	ExecutionStartTime time.Time
	// RoleArn is the execution role ARN.
	RoleArn string
	// RedriveCount is how often the execution was redriven (0 locally).
	RedriveCount int
	// StateName is the current state's name.
	StateName string
	// StateEnteredTime is when the current state was entered.
	StateEnteredTime time.Time
	// RetryCount is how often the current state has been retried; it is
	// part of $$.State only when HasRetryCount is set.
	RetryCount int
	// HasRetryCount is true for the states that can retry (Task, Parallel
	// and Map: see State.Retries), the only ones whose $$.State carries
	// RetryCount on AWS.
	HasRetryCount bool
	// StateMachineID is the state machine ARN.
	StateMachineID string
	// StateMachineName is the state machine's name.
	StateMachineName string
	// TaskToken is the task token of a .waitForTaskToken Task; the Task
	// object is present only when it is set.
	TaskToken string
	// MapItem is true inside a Map state's ItemSelector, where
	// $$.Map.Item.Index and $$.Map.Item.Value are defined.
	MapItem bool
	// MapItemIndex is the index of the current Map item.
	MapItemIndex int
	// MapItemValue is the current Map item.
	MapItemValue any
}

// Value renders the context object as a JSON value.
func (c Context) Value() map[string]any {
	state := map[string]any{
		"EnteredTime": FormatTimestamp(c.StateEnteredTime),
		"Name":        c.StateName,
	}
	if c.HasRetryCount {
		state["RetryCount"] = json.Number(strconv.Itoa(c.RetryCount))
	}
	v := map[string]any{
		"Execution": map[string]any{
			"Id":           c.ExecutionID,
			"Input":        c.ExecutionInput,
			"Name":         c.ExecutionName,
			"RoleArn":      c.RoleArn,
			"StartTime":    FormatTimestamp(c.ExecutionStartTime),
			"RedriveCount": json.Number(strconv.Itoa(c.RedriveCount)),
		},
		"State": state,
		"StateMachine": map[string]any{
			"Id":   c.StateMachineID,
			"Name": c.StateMachineName,
		},
	}
	if c.TaskToken != "" {
		v["Task"] = map[string]any{"Token": c.TaskToken}
	}
	if c.MapItem {
		v["Map"] = map[string]any{"Item": map[string]any{
			"Index": json.Number(strconv.Itoa(c.MapItemIndex)),
			"Value": c.MapItemValue,
		}}
	}
	return v
}

// FormatTimestamp renders a time the way Step Functions does in the context
// object and in API responses: UTC with millisecond precision,
// "2019-03-26T20:14:13.192Z".
func FormatTimestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
