package faulttest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	miniserver "github.com/truora/minidyn/server"

	"refundflow/apigw"
	"refundflow/dynamo"
	"refundflow/handler"
	"refundflow/infra/local/outbox"
	"refundflow/infra/local/stepfunctions"
	"refundflow/mail"
	"refundflow/mail/sesmail"
	"refundflow/payment/sandbox"
	"refundflow/refund"
	"refundflow/statemachine"
)

// The fault harness is one isolated Refundflow: the real state machine on the local engine (virtual
// clock), the real handlers built the way production builds them, and every AWS client with the
// SDK's production retry settings (DynamoDB: 4 attempts with a 25 ms base backoff), so an injected
// DynamoDB failure is retried exactly as in Lambda. DynamoDB is minidyn behind the fault proxy; the
// sandbox payment provider keeps its own records on a client that bypasses the proxy, because the
// provider is not our DynamoDB. HTTP functions are called with API Gateway events, and the "client"
// retries a 5xx the way the web form and the JSON API ask it to (same Idempotency-Key).

// TestMain silences apigw's default logger: the scenarios fail thousands of calls on purpose, and a
// failed test prints its handlers' logs anyway.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// t0 is where every harness's clock starts.
var t0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

const (
	baseURL    = "https://refunds.example.com"
	staffEmail = "staff@example.com"
	region     = "eu-west-1"
	account    = "123456789012"
)

// taskFunctions are the state machine's Lambda functions.
var taskFunctions = []string{
	"VerifyConditions", "ProposeResolution", "RequestStaffReview", "RequestConsent",
	"ExecuteResolution", "Notify", "MarkNeedsAttention",
}

// interceptor runs instead of a task's handler; next runs the handler (it may be called any number
// of times).
type interceptor func(ctx context.Context, in handler.TaskInput, next func() (handler.TaskOutput, error)) (handler.TaskOutput, error)

type harness struct {
	t       testing.TB
	ctx     context.Context
	clock   *stepfunctions.VirtualClock
	eng     *stepfunctions.Engine
	ddb     *DynamoDB
	store   *dynamo.Store
	pay     *sandbox.Gateway
	box     *outbox.Outbox
	sfn     *sfn.Client
	flaky   *flakySFN
	machine string
	csrf    apigw.CSRF

	submit  handler.SubmitRequest
	status  handler.RequestStatus
	consent handler.RecordConsent
	staff   handler.StaffApi

	mu          sync.Mutex
	invocations map[string]int
	intercept   map[string]interceptor

	requests []string
	orders   []refund.Order
	seq      int
	// logs receives the handlers' warnings and errors; a failed test prints them.
	logs lockedBuffer
}

// lockedBuffer is a buffer safe for the handlers' concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	h := &harness{
		t: t, ctx: context.Background(),
		clock:       stepfunctions.NewVirtualClock(t0),
		invocations: map[string]int{},
		intercept:   map[string]interceptor{},
	}
	backend := miniserver.NewServer()
	h.ddb = NewDynamoDB(backend, 1)
	ddbSrv := httptest.NewServer(h.ddb)
	rawSrv := httptest.NewServer(backend)
	h.eng = stepfunctions.New(stepfunctions.Options{Clock: h.clock, Region: region, AccountID: account})
	sfnSrv := httptest.NewServer(h.eng.Handler())
	h.box = outbox.New()
	h.box.Now = h.clock.Now
	sesSrv := httptest.NewServer(h.box.SESHandler())
	t.Cleanup(func() {
		h.eng.Close()
		sfnSrv.Close()
		sesSrv.Close()
		ddbSrv.Close()
		rawSrv.Close()
	})

	// As awsenv.FromProcess builds them: default retries, the buffering HTTP client.
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		HTTPClient:  dynamo.HTTPClient(),
	}
	ddbClient := func(endpoint string) *dynamodb.Client {
		return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
			o.BaseEndpoint = aws.String(endpoint)
			o.DisableValidateResponseChecksum = true
		})
	}
	const table = "refundflow-faults"
	client := ddbClient(ddbSrv.URL)
	if err := dynamo.EnsureTable(h.ctx, client, table); err != nil {
		t.Fatalf("create the table: %v", err)
	}
	h.store = dynamo.New(client, table)
	h.store.Now = h.clock.Now
	h.pay = sandbox.New(ddbClient(rawSrv.URL), table)
	h.sfn = sfn.NewFromConfig(cfg, func(o *sfn.Options) { o.BaseEndpoint = aws.String(sfnSrv.URL) })
	h.flaky = &flakySFN{next: h.sfn}
	ses := sesv2.NewFromConfig(cfg, func(o *sesv2.Options) { o.BaseEndpoint = aws.String(sesSrv.URL) })

	links, err := mail.NewLinks(baseURL)
	if err != nil {
		t.Fatal(err)
	}
	emails := handler.Emails{Store: h.store, Renderer: &mail.Renderer{Links: links, Company: "Northwind IT Services"},
		Sender: &sesmail.Sender{SES: ses, From: "refunds@example.com", StaffTo: []string{staffEmail}}}
	clock := handler.Clock(h.clock.Now)
	log := slog.New(slog.NewTextHandler(&h.logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	tasks := map[string]interface {
		Handle(context.Context, handler.TaskInput) (handler.TaskOutput, error)
	}{
		"VerifyConditions":   &handler.VerifyConditions{Store: h.store, Logger: log},
		"ProposeResolution":  &handler.ProposeResolution{Store: h.store, Logger: log},
		"RequestStaffReview": &handler.RequestStaffReview{Store: h.store, SFN: h.sfn, Emails: emails, Logger: log},
		"RequestConsent":     &handler.RequestConsent{Store: h.store, SFN: h.sfn, Emails: emails, Clock: clock, Logger: log},
		"ExecuteResolution":  &handler.ExecuteResolution{Store: h.store, Payment: h.pay, Logger: log},
		"Notify":             &handler.Notify{Store: h.store, Emails: emails, Clock: clock, Logger: log},
		"MarkNeedsAttention": &handler.MarkNeedsAttention{Store: h.store, Logger: log},
	}
	subs := map[string]string{}
	for _, name := range taskFunctions {
		arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%sFunction", region, account, name)
		subs[name+"FunctionArn"] = arn
		task, name := tasks[name], name
		h.eng.RegisterFunction(arn, lambda.NewHandler(func(ctx context.Context, in handler.TaskInput) (handler.TaskOutput, error) {
			h.mu.Lock()
			h.invocations[name]++
			icpt := h.intercept[name]
			h.mu.Unlock()
			next := func() (handler.TaskOutput, error) { return task.Handle(ctx, in) }
			if icpt != nil {
				return icpt(ctx, in, next)
			}
			return next()
		}))
	}
	if h.machine, err = h.eng.CreateStateMachine("refund", statemachine.RefundDefinition, subs); err != nil {
		t.Fatalf("create the state machine: %v", err)
	}
	h.csrf = apigw.CSRF{Key: []byte("0123456789abcdef0123456789abcdef"), Now: h.clock.Now}
	h.submit = handler.SubmitRequest{Store: h.store, SFN: h.flaky, StateMachineARN: h.machine, PublicBaseURL: baseURL, Clock: clock, Logger: log}
	h.status = handler.RequestStatus{Store: h.store, SFN: h.flaky, CSRF: h.csrf, Logger: log}
	h.consent = handler.RecordConsent{Store: h.store, SFN: h.flaky, CSRF: h.csrf, Logger: log}
	h.staff = handler.StaffApi{Store: h.store, SFN: h.flaky, Logger: log}

	t.Cleanup(func() {
		if !t.Failed() {
			h.checkInvariants()
		}
		if t.Failed() {
			t.Logf("handler logs:\n%s", h.logs.String())
		}
	})
	return h
}

// flakySFN is the Step Functions client of the HTTP functions, which can fail their next
// SendTaskSuccess or StartExecution calls as a network or service failure would.
type flakySFN struct {
	next       handler.StepFunctions
	failSend   atomic.Int32
	failStart  atomic.Int32
	sendFailed atomic.Int32
}

func (f *flakySFN) StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	if f.failStart.Add(-1) >= 0 {
		return nil, fmt.Errorf("start execution: %w", errInjected)
	}
	return f.next.StartExecution(ctx, in, opts...)
}

func (f *flakySFN) SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, opts ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	if f.failSend.Add(-1) >= 0 {
		f.sendFailed.Add(1)
		return nil, fmt.Errorf("send task success: %w", errInjected)
	}
	return f.next.SendTaskSuccess(ctx, in, opts...)
}

// errInjected stands for a Step Functions call that failed after the SDK's own retries.
var errInjected = &net503{}

type net503 struct{}

func (*net503) Error() string { return "InternalFailure: the service is unavailable (injected)" }

// invoked returns how often a task function ran.
func (h *harness) invoked(name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.invocations[name]
}

// setIntercept installs (or with nil removes) an interceptor for a task function.
func (h *harness) setIntercept(name string, f interceptor) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f == nil {
		delete(h.intercept, name)
		return
	}
	h.intercept[name] = f
}

// settle runs the engine until nothing is runnable, letting a few minutes of virtual time pass so that
// retry delays elapse (the longest retry chain, six Lambda retries from 2 s doubling, is about two
// minutes with full jitter).
func (h *harness) settle() {
	h.t.Helper()
	for i := 0; i < 4; i++ {
		ctx, cancel := context.WithTimeout(h.ctx, 30*time.Second)
		err := h.eng.WaitIdle(ctx)
		cancel()
		if err != nil {
			h.t.Fatalf("engine did not settle: %v", err)
		}
		h.clock.Advance(3 * time.Minute)
	}
}

// advance moves the clock (firing consent timeouts on the way) and settles.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	h.clock.Advance(d)
	h.settle()
}

// --- orders ------------------------------------------------------------------------------------------

// newOrder stores a project order bought 6 days before t0 (inside cooling-off, nothing started: a full
// refund below the review threshold) and captures its payment at the provider. The order goes in
// without faults: it comes from the billing system, not from this system's calls.
func (h *harness) newOrder(opts ...func(*refund.Order)) refund.Order {
	h.t.Helper()
	h.seq++
	o := refund.Order{
		Number: fmt.Sprintf("RF-F-%04d", h.seq), CustomerName: "Ana López", Email: fmt.Sprintf("client%d@example.com", h.seq),
		PurchaseDate: "2025-03-04", Currency: "EUR", Paid: 150000, Status: refund.OrderActive,
		Payment: refund.Payment{Provider: sandbox.Provider, Reference: fmt.Sprintf("pi_fault_%04d", h.seq), CardHint: "4242", ThreeDSecure: true, Captured: true},
		Service: refund.Service{Type: refund.ServiceProject, Project: &refund.Project{Milestones: []refund.Milestone{
			{Name: "Discovery", Price: 50000, Status: refund.MilestoneNotStarted},
			{Name: "Build", Price: 100000, Status: refund.MilestoneNotStarted},
		}}},
	}
	for _, f := range opts {
		f(&o)
	}
	stored, err := h.store.PutOrder(h.ctx, o)
	if err != nil {
		h.t.Fatalf("put order %s: %v", o.Number, err)
	}
	if err := h.pay.Capture(h.ctx, o.Payment.Reference, refund.Money{Amount: o.Paid, Currency: o.Currency}); err != nil {
		h.t.Fatalf("capture %s: %v", o.Payment.Reference, err)
	}
	h.orders = append(h.orders, stored)
	return stored
}

// disputed sends the order to staff review.
func disputed(o *refund.Order) { o.Disputed = true }

// --- HTTP ----------------------------------------------------------------------------------------------

// event builds an API Gateway HTTP API (payload 2.0) event.
func event(method, routeKey, path, rawQuery string, params, headers map[string]string, body string) events.APIGatewayV2HTTPRequest {
	hs := map[string]string{"user-agent": "Mozilla/5.0 (fault test)", "host": "refunds.example.com"}
	for k, v := range headers {
		hs[strings.ToLower(k)] = v
	}
	e := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: method + " " + routeKey, RawPath: path, RawQueryString: rawQuery,
		Headers: hs, PathParameters: params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: method + " " + routeKey, RequestID: fmt.Sprintf("apigw-%d", time.Now().UnixNano()),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.7", UserAgent: hs["user-agent"]},
		},
	}
	if body != "" {
		e.Body = base64.StdEncoding.EncodeToString([]byte(body))
		e.IsBase64Encoded = true
	}
	return e
}

// answer is an HTTP function's response with its body decoded.
type answer struct {
	status  int
	body    string
	cookies []string
}

// call invokes an HTTP function like API Gateway does: a returned error is a 500.
func call(ctx context.Context, f func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error), e events.APIGatewayV2HTTPRequest) answer {
	resp, err := f(ctx, e)
	if err != nil {
		return answer{status: http.StatusInternalServerError, body: err.Error()}
	}
	body := resp.Body
	if resp.IsBase64Encoded {
		b, _ := base64.StdEncoding.DecodeString(body)
		body = string(b)
	}
	return answer{status: resp.StatusCode, body: body, cookies: resp.Cookies}
}

// retry calls do until it answers below 500, at most attempts times: a client retrying a failed
// request as the error page asks. It returns the last answer.
func retry(attempts int, do func() answer) answer {
	var a answer
	for i := 0; i < attempts; i++ {
		if a = do(); a.status < 500 {
			return a
		}
	}
	return a
}

// clientAttempts bounds how often the client retries one action.
const clientAttempts = 20

// submitRequest posts the JSON form with an Idempotency-Key, retrying 5xx with the same key, and
// returns the request ID and status code. It does not settle.
func (h *harness) submitRequest(o refund.Order) (id, statusCode string) {
	h.t.Helper()
	sub := refund.Submission{OrderNumber: o.Number, PurchaseDate: o.PurchaseDate, Email: o.Email,
		Kind: string(refund.KindRefund), Reason: string(refund.ReasonChangedMind), Details: "Please cancel.", Name: o.CustomerName}
	body, _ := json.Marshal(sub)
	key := fmt.Sprintf("idem-%s", o.Number)
	a := retry(clientAttempts, func() answer {
		return call(h.ctx, h.submit.Handle, event("POST", "/requests", "/requests", "", nil,
			map[string]string{"content-type": "application/json", "accept": "application/json", "idempotency-key": key}, string(body)))
	})
	if a.status != http.StatusAccepted {
		h.t.Fatalf("submit a request for %s: %d %s", o.Number, a.status, a.body)
	}
	var ans handler.SubmitAnswer
	if err := json.Unmarshal([]byte(a.body), &ans); err != nil {
		h.t.Fatalf("submit answer %q: %v", a.body, err)
	}
	u, _ := url.Parse(ans.StatusURL)
	h.mu.Lock()
	h.requests = append(h.requests, ans.RequestID)
	h.mu.Unlock()
	return ans.RequestID, u.Query().Get("t")
}

var (
	csrfInput   = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)
	offerChoice = regexp.MustCompile(`name="offer" value="([^"]*)"`)
)

// consentPage is a GET of the consent link.
type consentPage struct {
	status  int
	cookie  string
	csrf    string
	choices []string
	body    string
}

func (h *harness) openConsent(code string) consentPage {
	a := retry(clientAttempts, func() answer {
		return call(h.ctx, h.consent.Handle, event("GET", "/consent/{code}", "/consent/"+code, "", map[string]string{"code": code},
			map[string]string{"accept": "text/html"}, ""))
	})
	p := consentPage{status: a.status, body: a.body}
	for _, c := range a.cookies {
		if name, rest, ok := strings.Cut(c, "="); ok {
			value, _, _ := strings.Cut(rest, ";")
			p.cookie = name + "=" + value
		}
	}
	if m := csrfInput.FindStringSubmatch(a.body); m != nil {
		p.csrf = html.UnescapeString(m[1])
	}
	for _, m := range offerChoice.FindAllStringSubmatch(a.body, -1) {
		p.choices = append(p.choices, html.UnescapeString(m[1]))
	}
	return p
}

// postAccept posts an acceptance of the first offer from an opened page, once.
func (h *harness) postAccept(code string, p consentPage) answer {
	form := url.Values{"csrf_token": {p.csrf}, "decision": {"accept"}, "full_name": {"Ana López"}, "agree": {"yes"}}
	if len(p.choices) > 0 {
		form.Set("offer", p.choices[0])
	}
	return call(h.ctx, h.consent.Handle, event("POST", "/consent/{code}", "/consent/"+code, "", map[string]string{"code": code},
		map[string]string{"content-type": "application/x-www-form-urlencoded", "cookie": p.cookie, "accept": "text/html"}, form.Encode()))
}

// accept opens the latest offers email's link and accepts the first offer, retrying on 5xx (a retry
// after a lost answer finds the decision recorded: 410 "already recorded"). It returns the answers'
// statuses (only the page's, when the page itself kept failing).
func (h *harness) accept(id string) []int {
	h.t.Helper()
	code := h.consentCode(id)
	p := h.openConsent(code)
	if p.status >= 500 {
		return []int{p.status} // the page did not open; the client gives up for now
	}
	if p.status != http.StatusOK || len(p.choices) == 0 {
		h.t.Fatalf("consent page of %s answered %d with %d offers", id, p.status, len(p.choices))
	}
	var statuses []int
	retry(clientAttempts, func() answer {
		a := h.postAccept(code, p)
		statuses = append(statuses, a.status)
		return a
	})
	return statuses
}

// consentCode returns the code of the latest consent link emailed about the request.
func (h *harness) consentCode(id string) string {
	h.t.Helper()
	var code string
	for _, m := range h.box.Messages() {
		if (m.Tags["kind"] != string(mail.KindOffers) && m.Tags["kind"] != string(mail.KindReminder)) || !strings.Contains(m.Text, id) {
			continue
		}
		for _, l := range m.Links {
			if u, err := url.Parse(l); err == nil && strings.HasPrefix(u.Path, "/consent/") {
				code = strings.TrimPrefix(u.Path, "/consent/")
			}
		}
	}
	if code == "" {
		h.t.Fatalf("no consent link emailed about %s (outbox: %s)", id, h.outboxSummary())
	}
	return code
}

// mails returns the messages of a kind about a request.
func (h *harness) mails(kind mail.Kind, id string) []outbox.Message {
	var out []outbox.Message
	for _, m := range h.box.Messages() {
		if m.Tags["kind"] == string(kind) && strings.Contains(m.Text, id) {
			out = append(out, m)
		}
	}
	return out
}

func (h *harness) outboxSummary() string {
	var parts []string
	for _, m := range h.box.Messages() {
		parts = append(parts, m.Tags["kind"]+"→"+strings.Join(m.To, ","))
	}
	return strings.Join(parts, " ")
}

// review posts a staff decision, retrying 5xx.
func (h *harness) review(id string, d handler.ReviewDecision) answer {
	body, _ := json.Marshal(d)
	return retry(clientAttempts, func() answer {
		e := event("POST", "/staff/api/requests/{id}/review", "/staff/api/requests/"+id+"/review", "", map[string]string{"id": id},
			map[string]string{"content-type": "application/json", "accept": "application/json"}, string(body))
		e.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": "staff-1", "cognito:groups": "[staff]"}},
		}
		return call(h.ctx, h.staff.Handle, e)
	})
}

// withdraw posts the withdraw form from the status page, retrying 5xx.
func (h *harness) withdraw(id, statusCode string) answer {
	q := url.Values{"t": {statusCode}}.Encode()
	page := retry(clientAttempts, func() answer {
		return call(h.ctx, h.status.Handle, event("GET", "/requests/{id}", "/requests/"+id, q, map[string]string{"id": id}, map[string]string{"accept": "text/html"}, ""))
	})
	var cookie, token string
	for _, c := range page.cookies {
		name, rest, _ := strings.Cut(c, "=")
		value, _, _ := strings.Cut(rest, ";")
		cookie = name + "=" + value
	}
	if m := csrfInput.FindStringSubmatch(page.body); m != nil {
		token = html.UnescapeString(m[1])
	}
	form := url.Values{"csrf_token": {token}, "t": {statusCode}}
	return retry(clientAttempts, func() answer {
		return call(h.ctx, h.status.Handle, event("POST", "/requests/{id}/withdraw", "/requests/"+id+"/withdraw", q, map[string]string{"id": id},
			map[string]string{"content-type": "application/x-www-form-urlencoded", "cookie": cookie, "accept": "text/html"}, form.Encode()))
	})
}

// request reads a stored request (without faults in the way: the proxy's fault is the caller's).
func (h *harness) request(id string) dynamo.RequestRecord {
	h.t.Helper()
	r, err := h.store.GetRequest(h.ctx, id)
	if err != nil {
		h.t.Fatalf("get request %s: %v", id, err)
	}
	return r
}

// wantStatus checks the request's status.
func (h *harness) wantStatus(id string, want refund.Status) {
	h.t.Helper()
	if got := h.request(id).Status; got != want {
		h.t.Fatalf("request %s is %s, want %s; states: %s", id, got, want, h.history(id))
	}
}

// executionArn is the ARN of the request's execution.
func (h *harness) executionArn(id string) string {
	return strings.Replace(h.machine, ":stateMachine:", ":execution:", 1) + ":" + id
}

// history lists the states the execution entered, with failures, for messages.
func (h *harness) history(id string) string {
	out, err := h.sfn.GetExecutionHistory(h.ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(h.executionArn(id)), MaxResults: 1000})
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

// providerRefunds returns the provider's refunds of an order's payment.
func (h *harness) providerRefunds(o refund.Order) []sandbox.Record {
	h.t.Helper()
	st, err := h.pay.Payment(h.ctx, o.Payment.Reference)
	if err != nil {
		h.t.Fatalf("sandbox payment %s: %v", o.Payment.Reference, err)
	}
	return st.Refunds
}
