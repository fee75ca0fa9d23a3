package stepfunctions

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// tenStates is the throughput benchmark's definition: ten states, four of
// them in-process Lambda tasks (two plain ARNs, two lambda:invoke).
const tenStates = `{
  "StartAt": "Validate",
  "States": {
    "Validate": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:echo", "ResultPath": "$.validated", "Next": "Shape"},
    "Shape": {"Type": "Pass", "Parameters": {"id.$": "$.id", "amount.$": "$.amount", "items.$": "$.items"}, "Next": "Price"},
    "Price": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "echo", "Payload.$": "$"},
              "ResultSelector": {"total.$": "$.Payload.amount"}, "ResultPath": "$.price", "Next": "Route"},
    "Route": {"Type": "Choice", "Choices": [{"Variable": "$.price.total", "NumericGreaterThan": 1000, "Next": "Review"}], "Default": "Note"},
    "Review": {"Type": "Pass", "Result": "review", "ResultPath": "$.route", "Next": "Charge"},
    "Note": {"Type": "Pass", "Result": "auto", "ResultPath": "$.route", "Next": "Charge"},
    "Charge": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:echo", "ResultPath": "$.charge", "Next": "Audit"},
    "Audit": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "echo", "Payload": {"id.$": "$.id", "route.$": "$.route"}},
              "ResultPath": null, "Next": "Final"},
    "Final": {"Type": "Pass", "Parameters": {"id.$": "$.id", "route.$": "$.route", "total.$": "$.price.total"}, "Next": "Done"},
    "Done": {"Type": "Succeed"}
  }
}`

type benchOrder struct {
	ID     string `json:"id"`
	Amount int    `json:"amount"`
	Items  []int  `json:"items"`
}

func echoHandler() lambda.Handler {
	return lambda.NewHandler(func(ctx context.Context, in benchOrder) (benchOrder, error) { return in, nil })
}

// BenchmarkExecutions10States measures executions per second through the
// ten-state definition with in-process Lambda handlers (Go API, no HTTP).
func BenchmarkExecutions10States(b *testing.B) {
	eng := New(Options{})
	defer eng.Close()
	eng.RegisterFunction("echo", echoHandler())
	sm, err := eng.CreateStateMachine("bench", tenStates, nil)
	if err != nil {
		b.Fatal(err)
	}
	input := `{"id":"order-1","amount":420,"items":[1,2,3]}`
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, _, err := eng.StartExecution(sm, fmt.Sprintf("e-%d", i), input); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 {
			// Keep the invocation queue from growing without bound.
			if err := eng.WaitIdle(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := eng.WaitIdle(context.Background()); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	eng.mu.Lock()
	for _, x := range eng.executions {
		if x.status != statusSucceeded {
			eng.mu.Unlock()
			b.Fatalf("execution %s ended %s: %s %s", x.arn, x.status, x.errName, x.cause)
		}
	}
	eng.mu.Unlock()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "executions/s")
}

// BenchmarkExecutions10StatesHTTP is the same through the real sfn client
// over HTTP (StartExecution calls from 8 goroutines).
func BenchmarkExecutions10StatesHTTP(b *testing.B) {
	eng := New(Options{})
	defer eng.Close()
	eng.RegisterFunction("echo", echoHandler())
	sm, err := eng.CreateStateMachine("bench", tenStates, nil)
	if err != nil {
		b.Fatal(err)
	}
	v := &testEnv{eng: eng}
	srvURL, stop := serveForBench(eng)
	defer stop()
	v.client = benchClient(srvURL)
	b.ResetTimer()
	start := time.Now()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.client.StartExecution(context.Background(), &sfn.StartExecutionInput{
				StateMachineArn: aws.String(sm), Input: aws.String(`{"id":"order-1","amount":420,"items":[1,2,3]}`)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if err := eng.WaitIdle(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "executions/s")
}

// BenchmarkParkedExecutions reports the memory of 10,000 executions parked on
// task tokens (.waitForTaskToken after their Lambda returned), including
// their history, and the goroutines they hold. Run with -benchtime=1x.
func BenchmarkParkedExecutions(b *testing.B) {
	const n = 10000
	for i := 0; i < b.N; i++ {
		eng := New(Options{})
		eng.RegisterFunction("request-approval", lambda.NewHandler(func(ctx context.Context, in approvalRequest) (map[string]string, error) {
			return map[string]string{"sent": in.RequestID}, nil
		}))
		sm, err := eng.CreateStateMachine("approval", approvalDefinition, nil)
		if err != nil {
			b.Fatal(err)
		}
		goroutinesBefore := runtime.NumGoroutine()
		before := heapInUse()
		for j := 0; j < n; j++ {
			if _, _, err := eng.StartExecution(sm, fmt.Sprintf("req-%d", j), fmt.Sprintf(`{"requestId":"req-%d"}`, j)); err != nil {
				b.Fatal(err)
			}
		}
		if err := eng.WaitIdle(context.Background()); err != nil {
			b.Fatal(err)
		}
		after := heapInUse()
		goroutines := runtime.NumGoroutine() - goroutinesBefore
		eng.mu.Lock()
		parked := len(eng.tokens)
		eng.mu.Unlock()
		if parked != n {
			eng.mu.Lock()
			for _, x := range eng.executions {
				if x.status != statusRunning {
					b.Errorf("%s: %s %s %s", x.arn, x.status, x.errName, x.cause)
					break
				}
			}
			eng.mu.Unlock()
			b.Fatalf("%d executions parked on tokens, want %d", parked, n)
		}
		b.ReportMetric(float64(after-before)/n, "B/parked-execution")
		b.ReportMetric(float64(after-before)/(1<<20), "MiB/10k-parked")
		b.ReportMetric(float64(goroutines), "extra-goroutines")
		runtime.KeepAlive(eng)
		eng.Close()
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func TestParkedExecutionsHoldNoGoroutines(t *testing.T) {
	v := newTestEnv(t)
	v.registerTokenTaker("request-approval")
	sm := v.create("approval", approvalDefinition)
	before := runtime.NumGoroutine()
	for j := range 500 {
		if _, _, err := v.eng.StartExecution(sm, fmt.Sprintf("req-%d", j), `{"requestId":"x"}`); err != nil {
			t.Fatal(err)
		}
	}
	v.settle()
	v.eng.mu.Lock()
	workers := v.eng.workers
	v.eng.mu.Unlock()
	if workers != 0 {
		t.Errorf("%d invocation goroutines remain while every execution is parked", workers)
	}
	// Exiting goroutines may take a moment to leave the count; allow a
	// little slack for the runtime's and net/http's own.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine()-before > 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := runtime.NumGoroutine() - before; got > 5 {
		t.Errorf("%d more goroutines with 500 parked executions", got)
	}
	if tokens := len(v.eng.tokens); tokens != 500 {
		t.Errorf("%d parked tokens, want 500", tokens)
	}
}
