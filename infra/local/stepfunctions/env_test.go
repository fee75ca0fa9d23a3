package stepfunctions

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"refundflow/awsenv/httpclient"
)

// t0 is where every test's virtual clock starts.
var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// testEnv is an engine on a virtual clock behind an httptest server, driven
// through the real sfn client.
type testEnv struct {
	t      *testing.T
	clock  *VirtualClock
	eng    *Engine
	client *sfn.Client
	url    string
}

func newTestEnv(t *testing.T, opts ...func(*Options)) *testEnv {
	t.Helper()
	clock := NewVirtualClock(t0)
	o := Options{Clock: clock}
	for _, f := range opts {
		f(&o)
	}
	eng := New(o)
	srv := httptest.NewServer(eng.Handler())
	t.Cleanup(func() {
		srv.Close()
		eng.Close()
	})
	client := sfn.New(sfn.Options{
		Region:           "eu-west-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		HTTPClient:       httpclient.New(nil),
		RetryMaxAttempts: 1,
	})
	return &testEnv{t: t, clock: clock, eng: eng, client: client, url: srv.URL}
}

func (v *testEnv) ctx() context.Context { return context.Background() }

// create registers a definition through the API and returns its ARN.
func (v *testEnv) create(name, definition string) string {
	v.t.Helper()
	out, err := v.client.CreateStateMachine(v.ctx(), &sfn.CreateStateMachineInput{
		Name:       aws.String(name),
		Definition: aws.String(definition),
		RoleArn:    aws.String("arn:aws:iam::123456789012:role/test"),
	})
	if err != nil {
		v.t.Fatalf("CreateStateMachine %s: %v", name, err)
	}
	return *out.StateMachineArn
}

// start starts an execution and waits until the engine is idle.
func (v *testEnv) start(smArn, name, input string) string {
	v.t.Helper()
	in := &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Input: aws.String(input)}
	if name != "" {
		in.Name = aws.String(name)
	}
	out, err := v.client.StartExecution(v.ctx(), in)
	if err != nil {
		v.t.Fatalf("StartExecution: %v", err)
	}
	v.settle()
	return *out.ExecutionArn
}

func (v *testEnv) settle() {
	v.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := v.eng.WaitIdle(ctx); err != nil {
		v.t.Fatalf("WaitIdle: %v", err)
	}
}

func (v *testEnv) describe(execArn string) *sfn.DescribeExecutionOutput {
	v.t.Helper()
	out, err := v.client.DescribeExecution(v.ctx(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(execArn)})
	if err != nil {
		v.t.Fatalf("DescribeExecution: %v", err)
	}
	return out
}

// history returns all events, oldest first, through the paginator.
func (v *testEnv) history(execArn string) []types.HistoryEvent {
	v.t.Helper()
	var evs []types.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(v.client, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(execArn)})
	for p.HasMorePages() {
		page, err := p.NextPage(v.ctx())
		if err != nil {
			v.t.Fatalf("GetExecutionHistory: %v", err)
		}
		evs = append(evs, page.Events...)
	}
	// Every test cross-checks the billing count derived from the history
	// with the engine's own.
	if n, err := v.eng.StateTransitions(execArn); err != nil || n != BillableTransitions(evs) {
		v.t.Errorf("StateTransitions = %d (%v), BillableTransitions(history) = %d", n, err, BillableTransitions(evs))
	}
	return evs
}

// wantStatus checks an execution's status and returns its description.
func (v *testEnv) wantStatus(execArn string, want types.ExecutionStatus) *sfn.DescribeExecutionOutput {
	v.t.Helper()
	d := v.describe(execArn)
	if d.Status != want {
		v.t.Fatalf("status = %s (error %q, cause %q), want %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause), want)
	}
	return d
}

// eventTypes lists the types of events, in order.
func eventTypes(evs []types.HistoryEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = string(e.Type)
	}
	return out
}

// eventsOf returns the events of one type.
func eventsOf(evs []types.HistoryEvent, typ types.HistoryEventType) []types.HistoryEvent {
	var out []types.HistoryEvent
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// jsonEqual compares two JSON texts by value.
func jsonEqual(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("got is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %v: %s", err, want)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Fatalf("JSON differs:\n got  %s\n want %s", gb, wb)
	}
}

// wantAPIError checks that err is the SDK's typed error T.
func wantAPIError[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error = %v (%T), want %T", err, err, target)
	}
	return target
}

// tokenBox collects task tokens handed to a Lambda function.
type tokenBox struct {
	mu     sync.Mutex
	tokens []string
}

func (b *tokenBox) add(tok string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = append(b.tokens, tok)
}

func (b *tokenBox) last(t *testing.T) string {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.tokens) == 0 {
		t.Fatal("no task token was handed to the function")
	}
	return b.tokens[len(b.tokens)-1]
}

// approvalRequest is what the callback Lambda of the tests receives.
type approvalRequest struct {
	RequestID string `json:"requestId"`
	Token     string `json:"token"`
}

// registerTokenTaker registers a function that keeps the token it is given,
// like a handler that stores it and emails a link.
func (v *testEnv) registerTokenTaker(name string) *tokenBox {
	box := &tokenBox{}
	v.eng.RegisterFunction(name, lambda.NewHandler(func(ctx context.Context, in approvalRequest) (map[string]string, error) {
		box.add(in.Token)
		return map[string]string{"sent": in.RequestID}, nil
	}))
	return box
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func jsonMarshal(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// serveForBench serves the engine's API on a test server for benchmarks.
func serveForBench(eng *Engine) (string, func()) {
	srv := httptest.NewServer(eng.Handler())
	return srv.URL, srv.Close
}

// benchClient is an sfn client for a local endpoint.
func benchClient(url string) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		HTTPClient:   httpclient.New(nil),
	})
}
