package lambdainvoke_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"refundflow/awsenv/lambdainvoke"
	"refundflow/infra/local/stepfunctions"
)

type greeting struct {
	Name string `json:"name"`
}

// lambdaAPI serves the local engine's Lambda API with three functions, recording each request's
// Authorization header.
func lambdaAPI(t *testing.T) (url string, auth func() string) {
	t.Helper()
	eng := stepfunctions.New(stepfunctions.Options{Region: "eu-west-1"})
	t.Cleanup(eng.Close)
	eng.RegisterFunction("Greeter", lambda.NewHandler(func(_ context.Context, in greeting) (greeting, error) {
		return greeting{Name: "hello " + in.Name}, nil
	}))
	eng.RegisterFunction("Refuser", lambda.NewHandler(func(context.Context, greeting) (greeting, error) {
		return greeting{}, errors.New("no agreement for this request")
	}))
	eng.RegisterFunction("Crasher", lambda.NewHandler(func(context.Context, greeting) (greeting, error) {
		panic("out of memory")
	}))
	var mu sync.Mutex
	var last string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		last = r.Header.Get("Authorization")
		mu.Unlock()
		eng.LambdaHandler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() string { mu.Lock(); defer mu.Unlock(); return last }
}

func client(url, function string) lambdainvoke.Client {
	return lambdainvoke.Client{Function: function, Endpoint: url, Config: aws.Config{
		Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "token"),
	}}
}

func TestInvokeAnswersWithTheFunctionsOutput(t *testing.T) {
	url, auth := lambdaAPI(t)
	// The alias ARN, as the template hands it over: the local engine runs the one version.
	out, err := client(url, "arn:aws:lambda:eu-west-1:123456789012:function:Greeter:live").Invoke(context.Background(), []byte(`{"name":"Ada"}`))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var got greeting
	if err := json.Unmarshal(out, &got); err != nil || got.Name != "hello Ada" {
		t.Errorf("answer = %s (%v), want hello Ada", out, err)
	}
	// Signed with Signature Version 4 for the lambda service in the client's region.
	if a := auth(); !strings.HasPrefix(a, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(a, "/eu-west-1/lambda/aws4_request") {
		t.Errorf("Authorization = %q, want a SigV4 signature for lambda in eu-west-1", a)
	}
}

func TestInvokeSortsFailures(t *testing.T) {
	url, _ := lambdaAPI(t)
	ctx := context.Background()

	// The function's own error: not worth retrying.
	_, err := client(url, "Refuser").Invoke(ctx, []byte(`{}`))
	var fe *lambdainvoke.FunctionError
	if !errors.As(err, &fe) || fe.Message != "no agreement for this request" || errors.Is(err, lambdainvoke.ErrUnavailable) {
		t.Errorf("function error: %v, want a FunctionError that is not ErrUnavailable", err)
	}
	// A function that does not exist: Lambda's own 404, not worth retrying either.
	if _, err := client(url, "Nobody").Invoke(ctx, []byte(`{}`)); err == nil || errors.Is(err, lambdainvoke.ErrUnavailable) || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("unknown function: %v, want ResourceNotFoundException, not ErrUnavailable", err)
	}
	// Nothing listening: unavailable.
	if _, err := client("http://127.0.0.1:1", "Greeter").Invoke(ctx, []byte(`{}`)); !errors.Is(err, lambdainvoke.ErrUnavailable) {
		t.Errorf("no endpoint: %v, want ErrUnavailable", err)
	}
	// A payload that is not JSON is refused by Lambda (400): the caller's mistake.
	if _, err := client(url, "Greeter").Invoke(ctx, []byte(`{`)); err == nil || errors.Is(err, lambdainvoke.ErrUnavailable) {
		t.Errorf("bad payload: %v, want a refusal that is not ErrUnavailable", err)
	}
}

func TestInvokeTreatsThrottlingAndRuntimeFailuresAsUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		header map[string]string
		body   string
	}{
		{"throttled", http.StatusTooManyRequests, map[string]string{"X-Amzn-ErrorType": "TooManyRequestsException"}, `{"message":"Rate exceeded"}`},
		{"service error", http.StatusInternalServerError, map[string]string{"X-Amzn-ErrorType": "ServiceException"}, `{"Message":"internal"}`},
		{"timed out", http.StatusOK, map[string]string{"X-Amz-Function-Error": "Unhandled"}, `{"errorType":"Sandbox.Timedout","errorMessage":"Task timed out after 15.00 seconds"}`},
		{"runtime exit", http.StatusOK, map[string]string{"X-Amz-Function-Error": "Unhandled"}, `{"errorType":"Runtime.ExitError","errorMessage":"signal: killed"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := client(srv.URL, "Greeter").Invoke(ctx, []byte(`{}`)); !errors.Is(err, lambdainvoke.ErrUnavailable) {
				t.Errorf("err = %v, want ErrUnavailable", err)
			}
		})
	}
}

func TestInvokeOfACrashedFunctionIsAFunctionError(t *testing.T) {
	// A panic is the function's own failure as the Go runtime reports it (errorType of the panic
	// value), not the runtime's: it is not retried.
	url, _ := lambdaAPI(t)
	_, err := client(url, "Crasher").Invoke(context.Background(), []byte(`{}`))
	var fe *lambdainvoke.FunctionError
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "out of memory") {
		t.Errorf("crash: %v, want a FunctionError naming the panic", err)
	}
}

func TestLocalLambdaAPIAnswersAsLambdaDoes(t *testing.T) {
	url, _ := lambdaAPI(t)
	for _, tc := range []struct {
		name, path, invocationType, body string
		want                             int
	}{
		{"event", "/2015-03-31/functions/Greeter/invocations", "Event", `{}`, http.StatusAccepted},
		{"dry run", "/2015-03-31/functions/Greeter/invocations", "DryRun", `{}`, http.StatusNoContent},
		{"unknown type", "/2015-03-31/functions/Greeter/invocations", "Later", `{}`, http.StatusBadRequest},
		{"too large", "/2015-03-31/functions/Greeter/invocations", "", `"` + strings.Repeat("x", 6*1024*1024) + `"`, http.StatusRequestEntityTooLarge},
		{"other operation", "/2015-03-31/functions/Greeter", "", ``, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, url+tc.path, strings.NewReader(tc.body))
			if tc.invocationType != "" {
				req.Header.Set("X-Amz-Invocation-Type", tc.invocationType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}
