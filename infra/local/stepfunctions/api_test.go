package stepfunctions

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

const waitDefinition = `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`

func TestStartExecutionNameIdempotency(t *testing.T) {
	v := newTestEnv(t)
	sm := v.create("idem", waitDefinition)

	first, err := v.client.StartExecution(v.ctx(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(sm), Name: aws.String("req-42"), Input: aws.String(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	v.clock.Advance(10 * time.Second)
	again, err := v.client.StartExecution(v.ctx(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(sm), Name: aws.String("req-42"), Input: aws.String(`{"a":1}`)})
	if err != nil {
		t.Fatalf("same name and input while running: %v", err)
	}
	if aws.ToString(again.ExecutionArn) != aws.ToString(first.ExecutionArn) || !again.StartDate.Equal(*first.StartDate) {
		t.Errorf("second start = %s@%v, want %s@%v", aws.ToString(again.ExecutionArn), again.StartDate,
			aws.ToString(first.ExecutionArn), first.StartDate)
	}
	if got, want := aws.ToString(first.ExecutionArn), "arn:aws:states:us-east-1:123456789012:execution:idem:req-42"; got != want {
		t.Errorf("executionArn = %s, want %s", got, want)
	}

	_, err = v.client.StartExecution(v.ctx(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(sm), Name: aws.String("req-42"), Input: aws.String(`{"a":2}`)})
	e := wantAPIError[*types.ExecutionAlreadyExists](t, err)
	if !strings.Contains(e.ErrorMessage(), "req-42") {
		t.Errorf("message %q does not name the execution", e.ErrorMessage())
	}

	// Once closed, the name stays taken whatever the input.
	v.clock.Advance(time.Minute)
	v.wantStatus(aws.ToString(first.ExecutionArn), types.ExecutionStatusSucceeded)
	_, err = v.client.StartExecution(v.ctx(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(sm), Name: aws.String("req-42"), Input: aws.String(`{"a":1}`)})
	wantAPIError[*types.ExecutionAlreadyExists](t, err)

	// Without a name, every start is a new execution named by a UUID.
	a := v.start(sm, "", "")
	b := v.start(sm, "", "")
	if a == b {
		t.Errorf("two unnamed starts share %s", a)
	}
	if got := aws.ToString(v.describe(a).Input); got != "{}" {
		t.Errorf("default input = %q, want {}", got)
	}
}

func TestStateMachineOperations(t *testing.T) {
	v := newTestEnv(t)
	arn := v.create("orders", waitDefinition)
	if got, want := arn, "arn:aws:states:us-east-1:123456789012:stateMachine:orders"; got != want {
		t.Errorf("arn = %s, want %s", got, want)
	}
	// Same definition again: the same state machine.
	if again := v.create("orders", waitDefinition); again != arn {
		t.Errorf("idempotent create returned %s", again)
	}
	// A different definition under the same name.
	_, err := v.client.CreateStateMachine(v.ctx(), &sfn.CreateStateMachineInput{
		Name: aws.String("orders"), RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		Definition: aws.String(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)})
	wantAPIError[*types.StateMachineAlreadyExists](t, err)

	d, err := v.client.DescribeStateMachine(v.ctx(), &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.Definition) != waitDefinition || d.Type != types.StateMachineTypeStandard ||
		d.Status != types.StateMachineStatusActive || aws.ToString(d.Name) != "orders" || !d.CreationDate.Equal(t0) {
		t.Errorf("DescribeStateMachine = %+v", d)
	}

	for i := range 3 {
		v.create(fmt.Sprintf("m%d", i), waitDefinition)
	}
	var names []string
	p := sfn.NewListStateMachinesPaginator(v.client, &sfn.ListStateMachinesInput{MaxResults: 3})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(v.ctx())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, m := range page.StateMachines {
			names = append(names, aws.ToString(m.Name))
		}
	}
	if got, want := strings.Join(names, ","), "m0,m1,m2,orders"; got != want || pages != 2 {
		t.Errorf("ListStateMachines = %s in %d pages, want %s in 2", got, pages, want)
	}
}

func TestCreateStateMachineRefusals(t *testing.T) {
	v := newTestEnv(t)
	tests := []struct {
		name, smName, def string
		check             func(t *testing.T, err error)
	}{
		{"next to nowhere", "bad1", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`, func(t *testing.T, err error) {
			e := wantAPIError[*types.InvalidDefinition](t, err)
			if !strings.Contains(e.ErrorMessage(), "/States/A/Next") {
				t.Errorf("message %q does not say where", e.ErrorMessage())
			}
		}},
		{"not JSON", "bad2", `{"StartAt":`, func(t *testing.T, err error) {
			wantAPIError[*types.InvalidDefinition](t, err)
		}},
		{"unsupported resource", "bad3", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","End":true}}}`, func(t *testing.T, err error) {
			e := wantAPIError[*types.InvalidDefinition](t, err)
			if !strings.Contains(e.ErrorMessage(), "sns:publish") {
				t.Errorf("message %q does not name the resource", e.ErrorMessage())
			}
		}},
		{"lambda:invoke without FunctionName", "bad4", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{},"End":true}}}`, func(t *testing.T, err error) {
			wantAPIError[*types.InvalidDefinition](t, err)
		}},
		{"invalid name", "has space", waitDefinition, func(t *testing.T, err error) {
			wantAPIError[*types.InvalidName](t, err)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.client.CreateStateMachine(v.ctx(), &sfn.CreateStateMachineInput{
				Name: aws.String(tt.smName), Definition: aws.String(tt.def), RoleArn: aws.String("arn:aws:iam::123456789012:role/r")})
			tt.check(t, err)
		})
	}

	// The Go helper substitutes placeholders first and names missing ones.
	def := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"${FnArn}","End":true}}}`
	if _, err := v.eng.CreateStateMachine("sub", def, map[string]string{"FnArn": "arn:aws:lambda:us-east-1:123456789012:function:f"}); err != nil {
		t.Fatalf("CreateStateMachine with substitutions: %v", err)
	}
	_, err := v.eng.CreateStateMachine("sub2", def, map[string]string{})
	if err == nil || !strings.Contains(err.Error(), "FnArn") {
		t.Fatalf("missing substitution error = %v, want one naming FnArn", err)
	}
}

func TestExecutionOperationErrors(t *testing.T) {
	v := newTestEnv(t)
	sm := v.create("errs", waitDefinition)

	_, err := v.client.StartExecution(v.ctx(), &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(`{"a":`)})
	wantAPIError[*types.InvalidExecutionInput](t, err)
	_, err = v.client.StartExecution(v.ctx(), &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String("a/b")})
	wantAPIError[*types.InvalidName](t, err)
	_, err = v.client.StartExecution(v.ctx(), &sfn.StartExecutionInput{StateMachineArn: aws.String(sm + "-nope")})
	wantAPIError[*types.StateMachineDoesNotExist](t, err)
	_, err = v.client.StartExecution(v.ctx(), &sfn.StartExecutionInput{StateMachineArn: aws.String("not-an-arn")})
	wantAPIError[*types.InvalidArn](t, err)
	_, err = v.client.DescribeExecution(v.ctx(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(sm)})
	wantAPIError[*types.InvalidArn](t, err)
	_, err = v.client.DescribeExecution(v.ctx(), &sfn.DescribeExecutionInput{
		ExecutionArn: aws.String("arn:aws:states:us-east-1:123456789012:execution:errs:missing")})
	wantAPIError[*types.ExecutionDoesNotExist](t, err)
	_, err = v.client.GetExecutionHistory(v.ctx(), &sfn.GetExecutionHistoryInput{
		ExecutionArn: aws.String("arn:aws:states:us-east-1:123456789012:execution:errs:missing")})
	wantAPIError[*types.ExecutionDoesNotExist](t, err)
	_, err = v.client.StopExecution(v.ctx(), &sfn.StopExecutionInput{
		ExecutionArn: aws.String("arn:aws:states:us-east-1:123456789012:execution:errs:missing")})
	wantAPIError[*types.ExecutionDoesNotExist](t, err)
	_, err = v.client.ListExecutions(v.ctx(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm), NextToken: aws.String("garbage")})
	wantAPIError[*types.InvalidToken](t, err)
}

// rawCall posts a request to the API without the SDK.
func rawCall(t *testing.T, url, target, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("response is not JSON: %s", b)
	}
	return resp.StatusCode, m
}

func TestProtocolErrors(t *testing.T) {
	v := newTestEnv(t)
	tests := []struct {
		name, target, body string
		status             int
		code               string
	}{
		{"unknown operation", "AWSStepFunctions.DescribeActivity", `{}`, 400, "UnknownOperationException"},
		{"other service", "DynamoDB_20120810.GetItem", `{}`, 400, "UnknownOperationException"},
		{"no target", "", `{}`, 400, "UnknownOperationException"},
		{"malformed JSON", "AWSStepFunctions.DescribeExecution", `{"executionArn":`, 400, "SerializationException"},
		{"wrong member type", "AWSStepFunctions.DescribeExecution", `{"executionArn":5}`, 400, "SerializationException"},
		{"missing member", "AWSStepFunctions.DescribeExecution", `{}`, 400, "ValidationException"},
		{"missing members", "AWSStepFunctions.CreateStateMachine", `{"name":"x"}`, 400, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := rawCall(t, v.url, tt.target, tt.body)
			if status != tt.status || body["__type"] != tt.code {
				t.Errorf("got %d %v, want %d __type %s", status, body, tt.status, tt.code)
			}
		})
	}
	_, body := rawCall(t, v.url, "AWSStepFunctions.CreateStateMachine", `{"name":"x"}`)
	if msg, _ := body["message"].(string); !strings.HasPrefix(msg, "2 validation errors detected") {
		t.Errorf("validation message = %q", msg)
	}
}

func TestListExecutionsAndHistoryPaging(t *testing.T) {
	v := newTestEnv(t)
	sm := v.create("many", waitDefinition)
	var arns []string
	for i := range 5 {
		arns = append(arns, v.start(sm, fmt.Sprintf("e%d", i), `{}`))
		v.clock.Advance(time.Second)
	}
	// e0 and e1 finish; the rest are still waiting.
	v.clock.Advance(56 * time.Second)
	if _, err := v.client.StopExecution(v.ctx(), &sfn.StopExecutionInput{ExecutionArn: aws.String(arns[4])}); err != nil {
		t.Fatal(err)
	}

	list := func(status types.ExecutionStatus) string {
		var names []string
		p := sfn.NewListExecutionsPaginator(v.client, &sfn.ListExecutionsInput{
			StateMachineArn: aws.String(sm), StatusFilter: status, MaxResults: 2})
		for p.HasMorePages() {
			page, err := p.NextPage(v.ctx())
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range page.Executions {
				names = append(names, aws.ToString(x.Name)+":"+string(x.Status))
			}
		}
		return strings.Join(names, ",")
	}
	if got, want := list(""), "e4:ABORTED,e3:RUNNING,e2:RUNNING,e1:SUCCEEDED,e0:SUCCEEDED"; got != want {
		t.Errorf("all = %s, want %s", got, want)
	}
	if got, want := list(types.ExecutionStatusRunning), "e3:RUNNING,e2:RUNNING"; got != want {
		t.Errorf("running = %s, want %s", got, want)
	}
	if got, want := list(types.ExecutionStatusSucceeded), "e1:SUCCEEDED,e0:SUCCEEDED"; got != want {
		t.Errorf("succeeded = %s, want %s", got, want)
	}

	full := v.history(arns[0])
	var rev []types.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(v.client, &sfn.GetExecutionHistoryInput{
		ExecutionArn: aws.String(arns[0]), ReverseOrder: true, MaxResults: 2})
	for p.HasMorePages() {
		page, err := p.NextPage(v.ctx())
		if err != nil {
			t.Fatal(err)
		}
		rev = append(rev, page.Events...)
	}
	if len(rev) != len(full) || len(full) != 4 {
		t.Fatalf("history lengths %d and %d, want 4", len(rev), len(full))
	}
	for i := range full {
		if rev[i].Id != full[len(full)-1-i].Id {
			t.Fatalf("reverse order wrong at %d: %d vs %d", i, rev[i].Id, full[len(full)-1-i].Id)
		}
	}
	if BillableTransitions(rev) != BillableTransitions(full) {
		t.Error("BillableTransitions depends on order")
	}

	noData, err := v.client.GetExecutionHistory(v.ctx(), &sfn.GetExecutionHistoryInput{
		ExecutionArn: aws.String(arns[0]), IncludeExecutionData: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	started := noData.Events[0].ExecutionStartedEventDetails
	if started == nil || started.Input != nil {
		t.Errorf("includeExecutionData=false still returns the input: %+v", started)
	}
	if name := noData.Events[1].StateEnteredEventDetails.Name; aws.ToString(name) != "W" {
		t.Errorf("state name dropped with the data: %v", name)
	}
}
