package workflowtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"refundflow/awsenv/httpclient"
	"refundflow/dynamo"
	"refundflow/handler"
	"refundflow/infra/local/ddblocal"
	"refundflow/infra/local/outbox"
	"refundflow/infra/local/stepfunctions"
	"refundflow/mail"
	"refundflow/mail/sesmail"
	"refundflow/payment/sandbox"
	"refundflow/payment/stripepay"
	"refundflow/refund"
	"refundflow/sfnworkflow"
	"refundflow/statemachine"
)

// T0 is where every harness's virtual clock starts: a Monday morning.
var T0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

const (
	// BaseURL is the public base URL of the links in the emails.
	BaseURL = "https://refunds.example.com"
	// StaffEmail is where staff notifications go.
	StaffEmail = "staff@example.com"
	region     = "eu-west-1"
	account    = "123456789012"
	table      = "refundflow-test"
)

// TaskFunctions are the state machine's Lambda functions, by the logical ID prefix that names their
// ARN placeholder (${<Name>FunctionArn}).
var TaskFunctions = []string{
	"VerifyConditions", "ProposeResolution", "RequestStaffReview", "RequestConsent",
	"ExecuteResolution", "Notify", "MarkNeedsAttention",
}

// Interceptor runs instead of passing an invocation of a task function straight to its handler; next
// runs the handler (any number of times, or not at all).
type Interceptor func(ctx context.Context, in handler.TaskInput, next func() (handler.TaskOutput, error)) (handler.TaskOutput, error)

// Options are what differs between the scenario suites. The zero value is the plain workflow world:
// one SDK attempt per call, a client that does not retry, and the task handlers' debug logs.
type Options struct {
	// DynamoDB, when set, wraps the in-process DynamoDB (infra/local/ddblocal) that the store (and so every handler)
	// talks to, e.g. with faulttest's fault proxy. The sandbox payment provider keeps its records on a
	// client that bypasses the wrapper, because the provider is not this system's DynamoDB.
	DynamoDB func(backend http.Handler) http.Handler
	// SDKRetries gives every AWS client the SDK's default retries (as awsenv builds them), so an
	// injected failure is retried exactly as in Lambda. Without it each call makes one attempt: local
	// servers have no transient failures, and a retry would hide the ones a test provokes.
	SDKRetries bool
	// LogLevel is the lowest level of the handlers' logs the harness keeps (nil: debug). Scenarios
	// that fail thousands of calls on purpose keep warnings only.
	LogLevel slog.Leveler
	// ClientAttempts is how often the simulated client sends one action while it answers 5xx, as the
	// error page and the JSON API ask it to (0 or 1: once).
	ClientAttempts int
	// SettleRounds, SettleStep and SettleTimeout shape Settle: that many times, wait up to
	// SettleTimeout (real time) for the engine to go idle, then advance the clock by SettleStep, so
	// that retry delays elapse. Zero values mean 3 rounds of 2 minutes with a 20 s timeout (the
	// payment retrier's backoff is at most 40 s).
	SettleRounds  int
	SettleStep    time.Duration
	SettleTimeout time.Duration
	// Parked lets a request end the test in a non-final status, provided its execution still runs,
	// parked on a task token (every .waitForTaskToken state has a TimeoutSeconds, so the wait ends
	// by itself). Without it every request must end final or needs_attention, its execution ended.
	Parked bool
}

// HTTPFunctions are the HTTP API's handlers of the workflow, called with API Gateway events. Their
// workflow makes its Step Functions calls through the harness's FlakySFN; a test may replace it
// (Harness.Workflow).
type HTTPFunctions struct {
	Submit  handler.SubmitRequest
	Status  handler.RequestStatus
	Consent handler.RecordConsent
	Staff   handler.StaffApi
	// Webhook hears the sandbox provider's events, signed with WebhookSecret (DeliverEvent).
	Webhook handler.StripeWebhook
}

// WebhookSecret is the harness's webhook signing secret.
const WebhookSecret = "whsec_workflowtest"

// Harness is one isolated Refundflow: the real statemachine/refund.asl.json on the local engine with
// a virtual clock, the real task and HTTP handlers, DynamoDB on ddblocal, the sandbox payment provider
// and the SES outbox. It records the orders and requests a test creates, and when the test ends
// (unless it already failed) checks the invariants that protect money and consent on them.
type Harness struct {
	// T is the test the harness belongs to; helpers fail it.
	T testing.TB
	// Ctx is the context of every call the harness makes.
	Ctx context.Context
	// Clock is the engine's, the store's, the outbox's and the handlers' time.
	Clock *stepfunctions.VirtualClock
	// Eng is the local Step Functions engine.
	Eng *stepfunctions.Engine
	// SFN is a Step Functions client of the engine, used by the task handlers and the checks.
	SFN *sfn.Client
	// Flaky wraps SFN for the HTTP functions, so a test can fail their calls.
	Flaky *FlakySFN
	// Store is the handlers' table.
	Store *dynamo.Store
	// Pay is the sandbox payment provider.
	Pay *sandbox.Gateway
	// Box is the SES outbox.
	Box *outbox.Outbox
	// Machine is the refund state machine's ARN.
	Machine string
	// HTTP are the HTTP functions.
	HTTP HTTPFunctions
	// Logs receives the task handlers' JSON log lines; HTTPLogs the HTTP functions'.
	Logs, HTTPLogs LockedBuffer

	opts Options
	// billing is the order route as NewOrder calls it, without the DynamoDB wrapper's faults.
	billing handler.StaffApi

	mu          sync.Mutex
	invocations map[string]int
	failNext    map[string][]error
	intercept   map[string]Interceptor
	requests    []string
	orders      []string
	statusCodes map[string]string
	seq         int
}

// New builds a harness for the test; everything it starts stops in t.Cleanup.
func New(t testing.TB, opts Options) *Harness {
	t.Helper()
	if opts.ClientAttempts < 1 {
		opts.ClientAttempts = 1
	}
	if opts.SettleRounds == 0 {
		opts.SettleRounds = 3
	}
	if opts.SettleStep == 0 {
		opts.SettleStep = 2 * time.Minute
	}
	if opts.SettleTimeout == 0 {
		opts.SettleTimeout = 20 * time.Second
	}
	if opts.LogLevel == nil {
		opts.LogLevel = slog.LevelDebug
	}
	h := &Harness{
		T: t, Ctx: context.Background(), opts: opts,
		Clock:       stepfunctions.NewVirtualClock(T0),
		invocations: map[string]int{},
		failNext:    map[string][]error{},
		intercept:   map[string]Interceptor{},
		statusCodes: map[string]string{},
	}

	backend := ddblocal.New(ddblocal.Options{Now: h.Clock.Now})
	rawSrv := httptest.NewServer(backend)
	ddbSrv := rawSrv
	if opts.DynamoDB != nil {
		ddbSrv = httptest.NewServer(opts.DynamoDB(backend))
	}
	h.Eng = stepfunctions.New(stepfunctions.Options{Clock: h.Clock, Region: region, AccountID: account})
	sfnSrv := httptest.NewServer(h.Eng.Handler())
	h.Box = outbox.New()
	h.Box.Now = h.Clock.Now
	sesSrv := httptest.NewServer(h.Box.SESHandler())
	t.Cleanup(func() {
		h.Eng.Close()
		sfnSrv.Close()
		sesSrv.Close()
		if ddbSrv != rawSrv {
			ddbSrv.Close()
		}
		rawSrv.Close()
	})

	// As lambdaenv.LambdaConfig builds them (the HTTP client of awsenv/httpclient), with or without the
	// SDK's retries.
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		HTTPClient:  httpclient.New(nil),
	}
	if !opts.SDKRetries {
		cfg.RetryMaxAttempts = 1
	}
	ddbClient := func(endpoint string) *dynamodb.Client {
		return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
			o.BaseEndpoint = aws.String(endpoint)
			// A fault proxy's own answers carry no CRC32 header.
			o.DisableValidateResponseChecksum = true
		})
	}
	client := ddbClient(ddbSrv.URL)
	if err := dynamo.EnsureTable(h.Ctx, ddbClient(rawSrv.URL), table); err != nil {
		t.Fatalf("create the table: %v", err)
	}
	h.Store = dynamo.New(client, table)
	h.Store.Now = h.Clock.Now
	h.Pay = sandbox.New(ddbClient(rawSrv.URL), table)
	h.SFN = sfn.NewFromConfig(cfg, func(o *sfn.Options) { o.BaseEndpoint = aws.String(sfnSrv.URL) })
	h.Flaky = &FlakySFN{Next: h.SFN}

	links, err := mail.NewLinks(BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	emails := handler.Emails{Store: h.Store, Delivery: handler.RenderAndSend{Renderer: &mail.Renderer{Links: links, Company: "Northwind IT Services"},
		Sender: &sesmail.Sender{AWS: cfg, Endpoint: sesSrv.URL, From: "refunds@example.com", StaffTo: []string{StaffEmail}}}}
	clock := handler.Clock(h.Clock.Now)
	// The task functions complete their own waits with SendTaskSuccess only, as awsenv wires them.
	waits := sfnworkflow.Client{SendTaskSuccess: h.SFN.SendTaskSuccess}
	log := slog.New(slog.NewJSONHandler(&h.Logs, &slog.HandlerOptions{Level: opts.LogLevel}))
	httpLog := slog.New(slog.NewJSONHandler(&h.HTTPLogs, &slog.HandlerOptions{Level: opts.LogLevel}))
	tasks := map[string]interface {
		Handle(context.Context, handler.TaskInput) (handler.TaskOutput, error)
	}{
		"VerifyConditions":   handler.VerifyConditions{Store: h.Store, Logger: log},
		"ProposeResolution":  handler.ProposeResolution{Store: h.Store, Logger: log},
		"RequestStaffReview": handler.RequestStaffReview{Store: h.Store, Waits: waits, Emails: emails, Logger: log},
		"RequestConsent":     handler.RequestConsent{Store: h.Store, Waits: waits, Emails: emails, Clock: clock, Logger: log},
		"ExecuteResolution":  handler.ExecuteResolution{Store: h.Store, Payment: h.Pay, Logger: log},
		"Notify":             handler.Notify{Store: h.Store, Emails: emails, Clock: clock, Logger: log},
		"MarkNeedsAttention": handler.MarkNeedsAttention{Store: h.Store, Waits: waits, Logger: log},
	}
	subs := map[string]string{}
	for _, name := range TaskFunctions {
		arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%sFunction", region, account, name)
		subs[name+"FunctionArn"] = arn
		task, name := tasks[name], name
		h.Eng.RegisterFunction(arn, lambda.NewHandler(func(ctx context.Context, in handler.TaskInput) (handler.TaskOutput, error) {
			h.mu.Lock()
			h.invocations[name]++
			var injected error
			if q := h.failNext[name]; len(q) > 0 {
				injected, h.failNext[name] = q[0], q[1:]
			}
			icpt := h.intercept[name]
			h.mu.Unlock()
			if injected != nil {
				return handler.TaskOutput{}, injected
			}
			next := func() (handler.TaskOutput, error) { return task.Handle(ctx, in) }
			if icpt != nil {
				return icpt(ctx, in, next)
			}
			return next()
		}))
	}
	if h.Machine, err = h.Eng.CreateStateMachine("refund", statemachine.RefundDefinition, subs); err != nil {
		t.Fatalf("create the refund state machine: %v", err)
	}

	flaky := h.Workflow(h.Flaky)
	h.HTTP = HTTPFunctions{
		Submit:  handler.SubmitRequest{Store: h.Store, Workflow: flaky, PublicBaseURL: BaseURL, Clock: clock, LookupKey: handler.StaticKey(LookupKey), Logger: httpLog},
		Status:  handler.RequestStatus{Store: h.Store, Waits: flaky, Logger: httpLog},
		Consent: handler.RecordConsent{Store: h.Store, Waits: flaky, Logger: httpLog},
		Staff:   handler.StaffApi{Store: h.Store, Waits: flaky, Payments: h.Pay, Workflow: flaky, Clock: clock, LookupKey: handler.StaticKey(LookupKey), Logger: httpLog},
		Webhook: handler.StripeWebhook{Events: stripepay.Webhook{Secret: WebhookSecret}, Store: h.Store, Waits: flaky, Workflow: flaky,
			Emails: emails, Clock: clock, Logger: httpLog},
	}
	// The billing system's orders go in without faults (NewOrder): the order route on a store that
	// bypasses any fault proxy.
	raw := dynamo.New(ddbClient(rawSrv.URL), table)
	raw.Now = h.Clock.Now
	h.billing = handler.StaffApi{Store: raw, Payments: h.Pay, Logger: httpLog}

	t.Cleanup(func() {
		if !t.Failed() {
			h.CheckInvariants()
		}
		if t.Failed() {
			t.Logf("task handler logs:\n%s\nHTTP function logs:\n%s", h.Logs.String(), h.HTTPLogs.String())
		}
	})
	return h
}

// LookupKey is the harness's key of the email lookup hash (SubmitRequest and StaffApi share it).
var LookupKey = []byte("workflow test lookup key of 32 bytes+")

// LockedBuffer is a bytes.Buffer safe for the concurrent writes of handler goroutines.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// StepFunctions is the part of the Step Functions API the handlers' workflow adapter calls
// (sfnworkflow.Client). *sfn.Client and FlakySFN have it; a test wraps one to lose or fail calls.
type StepFunctions interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, opts ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
}

// Workflow returns the handlers' workflow on the refund state machine as awsenv builds it (the
// sfnworkflow adapter), making its Step Functions calls through c.
func (h *Harness) Workflow(c StepFunctions) sfnworkflow.Client {
	return sfnworkflow.Client{StateMachineARN: h.Machine, StartExecution: c.StartExecution, SendTaskSuccess: c.SendTaskSuccess}
}

// FlakySFN is the Step Functions client of the HTTP functions, which can fail their next
// SendTaskSuccess or StartExecution calls as a network or service failure would. Its zero counters
// pass every call through.
type FlakySFN struct {
	// Next receives the calls that are not failed.
	Next StepFunctions
	// FailSend and FailStart are how many of the next SendTaskSuccess and StartExecution calls fail.
	FailSend, FailStart atomic.Int32
	// SendFailed counts the SendTaskSuccess calls that failed.
	SendFailed atomic.Int32
}

// StartExecution fails while FailStart is positive, and passes the call on otherwise.
func (f *FlakySFN) StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	if f.FailStart.Add(-1) >= 0 {
		return nil, fmt.Errorf("start execution: %w", ErrInjected)
	}
	return f.Next.StartExecution(ctx, in, opts...)
}

// SendTaskSuccess fails while FailSend is positive, and passes the call on otherwise.
func (f *FlakySFN) SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, opts ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	if f.FailSend.Add(-1) >= 0 {
		f.SendFailed.Add(1)
		return nil, fmt.Errorf("send task success: %w", ErrInjected)
	}
	return f.Next.SendTaskSuccess(ctx, in, opts...)
}

// Heal makes the next calls pass.
func (f *FlakySFN) Heal() {
	f.FailSend.Store(0)
	f.FailStart.Store(0)
}

// ErrInjected stands for a Step Functions call that failed after the SDK's own retries.
var ErrInjected error = injectedError{}

type injectedError struct{}

func (injectedError) Error() string { return "InternalFailure: the service is unavailable (injected)" }

// Sweeper returns ResumeDecisionsFunction as the template schedules it every five minutes: on the
// harness's table and clock, with the HTTP functions' flaky Step Functions client (so an outage hits
// the sweeper as it hits the handlers), delivering recorded decisions and starting the workflow of
// requests left submitted.
func (h *Harness) Sweeper() handler.ResumeDecisions {
	flaky := h.Workflow(h.Flaky)
	return handler.ResumeDecisions{Store: h.Store, Waits: flaky, Workflow: flaky, Clock: h.Clock.Now}
}

// Invoked returns how often a task function ran.
func (h *Harness) Invoked(name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.invocations[name]
}

// FailNextInvocation makes the next invocation of function fail with err before its handler runs.
func (h *Harness) FailNextInvocation(function string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failNext[function] = append(h.failNext[function], err)
}

// Intercept installs (or with nil removes) an interceptor for a task function.
func (h *Harness) Intercept(function string, f Interceptor) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f == nil {
		delete(h.intercept, function)
		return
	}
	h.intercept[function] = f
}

// Settle waits until the engine has nothing runnable and lets virtual time pass so that retry
// delays elapse, as Options describes.
func (h *Harness) Settle() {
	h.T.Helper()
	for i := 0; i < h.opts.SettleRounds; i++ {
		ctx, cancel := context.WithTimeout(h.Ctx, h.opts.SettleTimeout)
		err := h.Eng.WaitIdle(ctx)
		cancel()
		if err != nil {
			h.T.Fatalf("engine did not settle: %v", err)
		}
		h.Clock.Advance(h.opts.SettleStep)
	}
}

// Advance moves the virtual clock, firing timers (consent timeouts) on the way, and settles.
func (h *Harness) Advance(d time.Duration) {
	h.T.Helper()
	h.Clock.Advance(d)
	h.Settle()
}

// NewOrder creates an order of the service type as an integrator does: its card payment taken at
// the sandbox provider (captured, 3-D Secure), then the order sent through the order route with the
// billing system's token, which checks it against the payment and stores the provider's facts. It
// is bought six days before T0 (inside cooling-off, nothing started, so a full refund below the
// review threshold); opts adjust the fixture before it is sent (what the body says about the payment
// is replaced by the provider's facts). The order goes in without faults: it comes from the billing
// system, not from this system's calls.
func (h *Harness) NewOrder(service refund.ServiceType, opts ...func(*refund.Order)) refund.Order {
	h.T.Helper()
	h.mu.Lock()
	h.seq++
	seq := h.seq
	h.mu.Unlock()
	o := refund.Order{
		Number:       fmt.Sprintf("RF-2025-%04d", seq),
		CustomerName: "Ana López",
		Email:        "ana@example.com",
		PurchaseDate: "2025-03-04",
		Currency:     "EUR",
		Payment:      refund.Payment{Provider: sandbox.Provider, Reference: fmt.Sprintf("pi_test_%04d", seq), CardHint: "4242", ThreeDSecure: true, Captured: true},
		Status:       refund.OrderActive,
		Service:      refund.Service{Type: service},
	}
	switch service {
	case refund.ServiceProject:
		o.Paid = 150000
		o.Service.Project = &refund.Project{Milestones: []refund.Milestone{
			{Name: "Discovery", Price: 50000, Status: refund.MilestoneNotStarted},
			{Name: "Build", Price: 100000, Status: refund.MilestoneNotStarted},
		}}
	case refund.ServiceSubscription:
		o.Paid = 30000
		o.Service.Subscription = &refund.Subscription{PeriodStart: "2025-03-04", PeriodEnd: "2025-04-03", PricePerPeriod: 30000}
	case refund.ServiceHours:
		o.Paid = 80000
		o.Service.Hours = &refund.Hours{Purchased: 40, Used: 0, TotalPrice: 80000}
	}
	for _, f := range opts {
		f(&o)
	}
	if _, err := h.Pay.TakePayment(h.Ctx, sandbox.Checkout{Reference: o.Payment.Reference, Amount: refund.Money{Amount: o.Paid, Currency: o.Currency}}); err != nil {
		h.T.Fatalf("take the payment of %s: %v", o.Number, err)
	}
	a := Call(h.Ctx, h.billing.Handle, billingEvent(o))
	if a.Status != http.StatusCreated {
		h.T.Fatalf("put order %s: %d %s", o.Number, a.Status, a.Body)
	}
	var stored refund.Order
	if err := json.Unmarshal([]byte(a.Body), &stored); err != nil {
		h.T.Fatalf("put order %s: %v in %s", o.Number, err, a.Body)
	}
	h.mu.Lock()
	h.orders = append(h.orders, stored.Number)
	h.mu.Unlock()
	return stored
}

// Track adds a request the harness did not submit itself (a test that calls the submit function
// directly) to the ones the invariants check.
func (h *Harness) Track(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests = append(h.requests, id)
}

// Order reads an order.
func (h *Harness) Order(number string) refund.Order {
	h.T.Helper()
	o, err := h.Store.GetOrder(h.Ctx, number)
	if err != nil {
		h.T.Fatalf("get order %s: %v", number, err)
	}
	return o
}

// Request reads the stored request.
func (h *Harness) Request(id string) refund.RequestRecord {
	h.T.Helper()
	r, err := h.Store.GetRequest(h.Ctx, id)
	if err != nil {
		h.T.Fatalf("get request %s: %v", id, err)
	}
	return r
}

// WantStatus checks the request's status.
func (h *Harness) WantStatus(id string, want refund.Status) {
	h.T.Helper()
	if got := h.Request(id).Status; got != want {
		h.T.Fatalf("request %s is %s, want %s\nhistory: %s", id, got, want, h.History(id))
	}
}

// OneProviderRefund returns the one refund the provider made of the order's payment, and fails the
// test unless there is exactly one: the money moved, and it moved once.
func (h *Harness) OneProviderRefund(o refund.Order) sandbox.Record {
	h.T.Helper()
	r := h.ProviderRefunds(o)
	if len(r) != 1 {
		h.T.Fatalf("provider refunds of order %s = %+v, want exactly one", o.Number, r)
	}
	return r[0]
}

// ProviderRefunds returns the provider's refunds of the order's payment.
func (h *Harness) ProviderRefunds(o refund.Order) []sandbox.Record {
	h.T.Helper()
	st, err := h.Pay.Payment(h.Ctx, o.Payment.Reference)
	if err != nil {
		h.T.Fatalf("sandbox payment %s: %v", o.Payment.Reference, err)
	}
	return st.Refunds
}

// ExecutionArn returns the ARN of the request's execution (named after the request).
func (h *Harness) ExecutionArn(id string) string {
	return strings.Replace(h.Machine, ":stateMachine:", ":execution:", 1) + ":" + id
}

// Executions returns the ARNs of the request's executions, oldest first: its own (ExecutionArn) and
// those started for it when a refund that failed later reopened it (named <id>-reopened-<n>,
// refund.WorkflowInput).
func (h *Harness) Executions(id string) []string {
	h.T.Helper()
	type run struct {
		arn string
		n   int // 0 for the request's own, else the reopened attempt
	}
	var runs []run
	p := sfn.NewListExecutionsPaginator(h.SFN, &sfn.ListExecutionsInput{StateMachineArn: aws.String(h.Machine)})
	for p.HasMorePages() {
		page, err := p.NextPage(h.Ctx)
		if err != nil {
			h.T.Errorf("list executions: %v", err)
			return nil
		}
		for _, x := range page.Executions {
			name := aws.ToString(x.Name)
			n, reopened := 0, strings.HasPrefix(name, id+"-reopened-")
			if reopened {
				var err error
				if n, err = strconv.Atoi(strings.TrimPrefix(name, id+"-reopened-")); err != nil {
					continue
				}
			}
			if name == id || reopened {
				runs = append(runs, run{aws.ToString(x.ExecutionArn), n})
			}
		}
	}
	slices.SortFunc(runs, func(a, b run) int { return a.n - b.n })
	arns := make([]string, len(runs))
	for i, r := range runs {
		arns[i] = r.arn
	}
	return arns
}

// LatestExecutionArn returns the ARN of the request's newest execution (Executions): its own, or the
// one started when it was last reopened.
func (h *Harness) LatestExecutionArn(id string) string {
	if arns := h.Executions(id); len(arns) > 0 {
		return arns[len(arns)-1]
	}
	return h.ExecutionArn(id)
}

// Execution describes the request's newest execution (LatestExecutionArn).
func (h *Harness) Execution(id string) *sfn.DescribeExecutionOutput {
	h.T.Helper()
	out, err := h.SFN.DescribeExecution(h.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(h.LatestExecutionArn(id))})
	if err != nil {
		h.T.Fatalf("describe execution of %s: %v", id, err)
	}
	return out
}

// WantExecution checks the execution's status.
func (h *Harness) WantExecution(id string, want sfntypes.ExecutionStatus) {
	h.T.Helper()
	if got := h.Execution(id).Status; got != want {
		h.T.Fatalf("execution of %s is %s, want %s\nhistory: %s", id, got, want, h.History(id))
	}
}

// WantStaffWait checks that the request needs attention and that its execution runs, parked on its
// staff-action wait (AwaitStaffAction) with the token stored on the request: a staff action is its
// way out.
func (h *Harness) WantStaffWait(id string) {
	h.T.Helper()
	h.WantStatus(id, refund.StatusNeedsAttention)
	h.WantExecution(id, sfntypes.ExecutionStatusRunning)
	tok, err := h.Store.GetTaskToken(h.Ctx, id)
	if err != nil || tok.Kind != refund.TokenAttention {
		h.T.Fatalf("request %s: stored token %q, %v; want the staff-action wait's\nhistory: %s", id, tok.Kind, err, h.History(id))
	}
	tokens, err := h.Eng.TaskTokens(h.LatestExecutionArn(id))
	if err != nil || !slices.Contains(tokens, tok.Token) {
		h.T.Fatalf("request %s: the execution does not wait on the stored staff-action token (%v)\nhistory: %s", id, err, h.History(id))
	}
}

// History lists the states the newest execution entered, with failures, for failure messages.
func (h *Harness) History(id string) string {
	out, err := h.SFN.GetExecutionHistory(h.Ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(h.LatestExecutionArn(id)), MaxResults: 1000})
	if err != nil {
		return err.Error()
	}
	var parts []string
	for _, e := range out.Events {
		switch {
		case e.StateEnteredEventDetails != nil:
			parts = append(parts, aws.ToString(e.StateEnteredEventDetails.Name))
		case e.TaskFailedEventDetails != nil:
			parts = append(parts, "!"+aws.ToString(e.TaskFailedEventDetails.Error))
		case e.TaskTimedOutEventDetails != nil:
			parts = append(parts, "!"+aws.ToString(e.TaskTimedOutEventDetails.Error))
		case e.ExecutionFailedEventDetails != nil:
			parts = append(parts, "FAILED:"+aws.ToString(e.ExecutionFailedEventDetails.Error))
		}
	}
	return strings.Join(parts, " > ")
}

// StatesEntered returns the names of the states the execution entered, in order.
func (h *Harness) StatesEntered(id string) []string {
	h.T.Helper()
	out, err := h.SFN.GetExecutionHistory(h.Ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(h.ExecutionArn(id)), MaxResults: 1000})
	if err != nil {
		h.T.Fatalf("history of %s: %v", id, err)
	}
	var names []string
	for _, e := range out.Events {
		if e.StateEnteredEventDetails != nil {
			names = append(names, aws.ToString(e.StateEnteredEventDetails.Name))
		}
	}
	return names
}
