package stepfunctions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
)

// runtimeErrors are what the function run by TestLambdaErrorTypeMatchesRuntime returns, one per
// invocation, by index.
var runtimeErrors = []error{
	&PaymentError{Reason: "declined <card>"},
	ValueError{},
	errors.New("plain"),
	fmt.Errorf("wrapped: %w", &PaymentError{}),
	messages.InvokeResponse_Error{Type: "Custom.Name", Message: "custom"},
	&messages.InvokeResponse_Error{Type: "Custom.Name", Message: "custom"},
}

// runtimeChildEnv makes the test binary run as a Lambda function instead of as the test.
const runtimeChildEnv = "STEPFUNCTIONS_TEST_LAMBDA_CHILD"

// TestLambdaErrorTypeMatchesRuntime checks LambdaErrorType and the failure cause against what
// aws-lambda-go's runtime really reports: the test binary runs again as a function (lambda.Start),
// as Lambda runs it, under a stand-in for the Lambda Runtime API that hands out one invocation per
// error in runtimeErrors and keeps the error document the runtime posts for each.
func TestLambdaErrorTypeMatchesRuntime(t *testing.T) {
	if os.Getenv(runtimeChildEnv) == "1" {
		lambda.Start(func(ctx context.Context, in struct {
			I int `json:"i"`
		}) error {
			return runtimeErrors[in.I]
		})
		return // not reached: Start exits when the Runtime API has no more work
	}

	const base = "/2018-06-01/runtime/invocation/"
	var (
		mu     sync.Mutex
		served int
		posted = map[int]string{} // what the runtime posted as the invocation's error, by index
	)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+base+"next", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		i := served
		served++
		mu.Unlock()
		if i >= len(runtimeErrors) {
			// No more work: the runtime's loop ends and the process exits.
			http.Error(w, "no more invocations", http.StatusGone)
			return
		}
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", strconv.Itoa(i))
		w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:errors")
		fmt.Fprintf(w, `{"i":%d}`, i)
	})
	mux.HandleFunc("POST "+base+"{id}/{outcome}", func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(r.PathValue("id"))
		body, _ := io.ReadAll(r.Body)
		if err == nil && r.PathValue("outcome") == "error" {
			mu.Lock()
			posted[i] = string(body)
			mu.Unlock()
		}
		w.WriteHeader(http.StatusAccepted)
	})
	api := httptest.NewServer(mux)
	defer api.Close()

	// The deadline only bounds a broken run; a working one ends when the invocations run out.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestLambdaErrorTypeMatchesRuntime$")
	cmd.Env = append(os.Environ(), runtimeChildEnv+"=1", "AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(api.URL, "http://"))
	// The runtime exits with a failure when the Runtime API has no more work, so the exit status
	// says nothing; what it posted does.
	out, _ := cmd.CombinedOutput()
	mu.Lock()
	defer mu.Unlock()
	if served <= len(runtimeErrors) {
		t.Fatalf("the function took %d invocations of %d:\n%s", served, len(runtimeErrors), out)
	}
	for i, want := range runtimeErrors {
		t.Run(fmt.Sprintf("%T", want), func(t *testing.T) {
			runtimePayload, ok := posted[i]
			if !ok {
				t.Fatalf("runtime reported no error:\n%s", out)
			}
			var runtimeType struct {
				Type string `json:"errorType"`
			}
			if err := jsonUnmarshal(runtimePayload, &runtimeType); err != nil {
				t.Fatalf("runtime's error document %s: %v", runtimePayload, err)
			}
			if got := LambdaErrorType(want); got != runtimeType.Type {
				t.Errorf("LambdaErrorType = %q, runtime says %q", got, runtimeType.Type)
			}
			if name, cause := lambdaFailure(want); name != runtimeType.Type || cause != runtimePayload {
				t.Errorf("failure = %q %s, runtime payload %s", name, cause, runtimePayload)
			}
		})
	}
}
