package sfnworkflow_test

import (
	"context"
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
	"refundflow/infra/local/stepfunctions"
	"refundflow/refund"
	"refundflow/sfnworkflow"
)

// outcome is the shape of what the handlers complete waits with.
type outcome struct {
	Outcome string `json:"outcome"`
}

func TestCompleteClassifiesTheAnswers(t *testing.T) {
	for _, tc := range []struct {
		name      string
		token     string
		err       error
		wantTaken bool
		fails     bool
	}{
		{"taken", "tok", nil, true, false},
		{"no token stored", "", nil, false, false},
		{"wait timed out", "tok", &types.TaskTimedOut{Message: aws.String("closed")}, false, false},
		{"unknown token", "tok", &types.TaskDoesNotExist{}, false, false},
		{"malformed token", "tok", &types.InvalidToken{}, false, false},
		{"network", "tok", errors.New("connection reset"), false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sent []string
			c := sfnworkflow.Client{SendTaskSuccess: func(_ context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
				sent = append(sent, aws.ToString(in.TaskToken)+" "+aws.ToString(in.Output))
				if tc.err != nil {
					return nil, tc.err
				}
				return &sfn.SendTaskSuccessOutput{}, nil
			}}
			taken, err := c.Complete(context.Background(), tc.token, outcome{Outcome: "accepted"})
			if taken != tc.wantTaken || (err != nil) != tc.fails {
				t.Errorf("Complete = %v, %v; want %v, error %v", taken, err, tc.wantTaken, tc.fails)
			}
			if tc.fails && !errors.Is(err, tc.err) {
				t.Errorf("error %v does not wrap %v", err, tc.err)
			}
			if tc.token != "" && (len(sent) != 1 || sent[0] != `tok {"outcome":"accepted"}`) {
				t.Errorf("sent %q", sent)
			}
			if tc.token == "" && len(sent) != 0 {
				t.Errorf("sent %q for no token", sent)
			}
		})
	}
}

func TestCallsNotGivenFail(t *testing.T) {
	var c sfnworkflow.Client
	if _, err := c.Start(context.Background(), refund.WorkflowInput{RequestID: "req-1"}); err == nil {
		t.Error("Start without StartExecution succeeded")
	}
	if _, err := c.Complete(context.Background(), "tok", outcome{"accepted"}); err == nil {
		t.Error("Complete without SendTaskSuccess succeeded")
	}
}

// parkDefinition parks on a task token and ends with what completes it.
const parkDefinition = `{
  "StartAt": "Park",
  "States": {
    "Park": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters": {"FunctionName": "Park", "Payload": {"requestId.$": "$.requestId", "taskToken.$": "$$.Task.Token"}},
      "End": true
    }
  }
}`

// engine starts the local Step Functions engine with the park workflow and returns a real client of
// it, the machine's ARN and the tokens the parked executions wait on, by request.
func engine(t *testing.T) (*sfn.Client, string, func(id string) string) {
	t.Helper()
	eng := stepfunctions.New(stepfunctions.Options{Region: "eu-west-1"})
	srv := httptest.NewServer(eng.Handler())
	t.Cleanup(func() {
		eng.Close()
		srv.Close()
	})
	var mu sync.Mutex
	tokens := map[string]string{}
	eng.RegisterFunction("Park", lambda.NewHandler(func(_ context.Context, in struct {
		RequestID string `json:"requestId"`
		TaskToken string `json:"taskToken"`
	}) (outcome, error) {
		mu.Lock()
		defer mu.Unlock()
		tokens[in.RequestID] = in.TaskToken
		return outcome{"waiting"}, nil
	}))
	client := sfn.New(sfn.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		HTTPClient:  httpclient.New(nil),
	})
	out, err := client.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{
		Name: aws.String("refund"), Definition: aws.String(parkDefinition), RoleArn: aws.String("arn:aws:iam::123456789012:role/test"),
	})
	if err != nil {
		t.Fatal(err)
	}
	token := func(id string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := eng.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		return tokens[id]
	}
	return client, aws.ToString(out.StateMachineArn), token
}

func TestStartAndCompleteOnTheEngine(t *testing.T) {
	client, machine, token := engine(t)
	ctx := context.Background()
	c := sfnworkflow.Client{StateMachineARN: machine, StartExecution: client.StartExecution, SendTaskSuccess: client.SendTaskSuccess}
	in := refund.WorkflowInput{RequestID: "req-20250303-abc"}

	for i, want := range []bool{false, false} { // the second start finds the running execution
		existed, err := c.Start(ctx, in)
		if err != nil || existed != want {
			t.Fatalf("start %d = %v, %v; want %v", i+1, existed, err, want)
		}
	}
	x, err := client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{
		ExecutionArn: aws.String("arn:aws:states:eu-west-1:123456789012:execution:refund:" + in.ExecutionName())})
	if err != nil {
		t.Fatalf("the execution is not named after the request: %v", err)
	}
	if got, want := aws.ToString(x.Input), `{"requestId":"req-20250303-abc"}`; got != want {
		t.Errorf("input %s, want %s (the request ID and nothing else)", got, want)
	}

	tok := token(in.RequestID)
	if taken, err := c.Complete(ctx, tok, outcome{"accepted"}); !taken || err != nil {
		t.Fatalf("Complete = %v, %v; want taken", taken, err)
	}
	if taken, err := c.Complete(ctx, tok, outcome{"accepted"}); taken || err != nil {
		t.Errorf("Complete of a used token = %v, %v; want not taken, no error", taken, err)
	}
	if taken, err := c.Complete(ctx, "not-a-token", outcome{"accepted"}); taken || err != nil {
		t.Errorf("Complete of an unknown token = %v, %v; want not taken, no error", taken, err)
	}
	token(in.RequestID) // let the execution end
	if existed, err := c.Start(ctx, in); !existed || err != nil {
		t.Errorf("start after the execution ended = %v, %v; want existed, no error", existed, err)
	}
}
