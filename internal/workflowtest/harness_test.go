package workflowtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"refundflow/apigw"
	"refundflow/dynamo"
	"refundflow/dynamo/dynamotest"
	"refundflow/handler"
	"refundflow/infra/local/outbox"
	"refundflow/infra/local/stepfunctions"
	"refundflow/mail"
	"refundflow/mail/sesmail"
	"refundflow/payment/sandbox"
	"refundflow/refund"
	"refundflow/statemachine"
)

// t0 is where every test's virtual clock starts: a Monday morning.
var t0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

const (
	baseURL    = "https://refunds.example.com"
	staffEmail = "staff@example.com"
	region     = "eu-west-1"
	account    = "123456789012"
)

// taskFunctions are the state machine's Lambda functions, by the logical ID prefix that names their
// ARN placeholder (${<Name>FunctionArn}).
var taskFunctions = []string{
	"VerifyConditions", "ProposeResolution", "RequestStaffReview", "RequestConsent",
	"ExecuteResolution", "Notify", "MarkNeedsAttention",
}

// harness is one isolated world: its own clock, engine, table, outbox and sandbox.
type harness struct {
	t       testing.TB
	ctx     context.Context
	clock   *stepfunctions.VirtualClock
	eng     *stepfunctions.Engine
	sfn     *sfn.Client
	store   *dynamo.Store
	pay     *sandbox.Gateway
	box     *outbox.Outbox
	machine string
	csrf    apigw.CSRF

	submit  handler.SubmitRequest
	status  handler.RequestStatus
	consent handler.RecordConsent
	staff   handler.StaffApi

	// invocations counts task invocations by function name.
	mu          sync.Mutex
	invocations map[string]int
	// failNext makes the next invocation of a function fail with this error (before the handler runs).
	failNext map[string][]error
	// intercept runs instead of passing an invocation of a function straight to its handler.
	intercept map[string]func(ctx context.Context, in handler.TaskInput, next func() (handler.TaskOutput, error)) (handler.TaskOutput, error)

	// requests and orders are what the test created, for the invariants.
	requests []string
	orders   []string
	// allowRunning lets executions stay RUNNING (a test that parks on purpose).
	allowRunning bool
	// statusCodes are the status link codes from the submission answers, by request id.
	statusCodes map[string]string
	// logs receives the task handlers' JSON log lines.
	logs lockedBuffer
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	h := &harness{
		t: t, ctx: context.Background(),
		clock:       stepfunctions.NewVirtualClock(t0),
		invocations: map[string]int{},
		statusCodes: map[string]string{},
		failNext:    map[string][]error{},
		intercept:   map[string]func(context.Context, handler.TaskInput, func() (handler.TaskOutput, error)) (handler.TaskOutput, error){},
	}
	backend := dynamotest.Minidyn(t)
	table := backend.Table(t)
	h.store = dynamo.New(backend.Client, table)
	h.store.Now = h.clock.Now
	h.pay = sandbox.New(backend.Client, table)

	h.eng = stepfunctions.New(stepfunctions.Options{Clock: h.clock, Region: region, AccountID: account})
	sfnSrv := httptest.NewServer(h.eng.Handler())
	h.box = outbox.New()
	h.box.Now = h.clock.Now
	sesSrv := httptest.NewServer(h.box.SESHandler())
	t.Cleanup(func() {
		sfnSrv.Close()
		sesSrv.Close()
		h.eng.Close()
	})
	creds := credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", "")
	h.sfn = sfn.New(sfn.Options{Region: region, BaseEndpoint: aws.String(sfnSrv.URL), Credentials: creds, RetryMaxAttempts: 1})
	ses := sesv2.New(sesv2.Options{Region: region, BaseEndpoint: aws.String(sesSrv.URL), Credentials: creds, RetryMaxAttempts: 1})

	links, err := mail.NewLinks(baseURL)
	if err != nil {
		t.Fatal(err)
	}
	renderer := &mail.Renderer{Links: links, Company: "Northwind IT Services"}
	sender := &sesmail.Sender{SES: ses, From: "refunds@example.com", StaffTo: []string{staffEmail}}
	emails := handler.Emails{Store: h.store, Renderer: renderer, Sender: sender}
	clock := handler.Clock(h.clock.Now)
	log := slog.New(slog.NewJSONHandler(&h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

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
	h.machine, err = h.eng.CreateStateMachine("refund", statemachine.RefundDefinition, subs)
	if err != nil {
		t.Fatalf("create the refund state machine: %v", err)
	}

	h.csrf = apigw.CSRF{Key: []byte("0123456789abcdef0123456789abcdef"), Now: h.clock.Now}
	h.submit = handler.SubmitRequest{Store: h.store, SFN: h.sfn, StateMachineARN: h.machine, PublicBaseURL: baseURL, Clock: clock}
	h.status = handler.RequestStatus{Store: h.store, SFN: h.sfn, CSRF: h.csrf}
	h.consent = handler.RecordConsent{Store: h.store, SFN: h.sfn, CSRF: h.csrf}
	h.staff = handler.StaffApi{Store: h.store, SFN: h.sfn}

	t.Cleanup(func() {
		if !t.Failed() {
			h.checkInvariants()
		}
	})
	return h
}

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of handler goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
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

// invoked returns how often a task function ran.
func (h *harness) invoked(name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.invocations[name]
}

// failNextInvocation makes the next invocation of function fail with err before its handler runs.
func (h *harness) failNextInvocation(function string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failNext[function] = append(h.failNext[function], err)
}

// settle waits until the engine has nothing runnable, then lets a few minutes of virtual time pass so
// that retry delays (at most 40 s with the payment retrier's backoff) elapse, and waits again.
func (h *harness) settle() {
	h.t.Helper()
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(h.ctx, 20*time.Second)
		err := h.eng.WaitIdle(ctx)
		cancel()
		if err != nil {
			h.t.Fatalf("engine did not settle: %v", err)
		}
		h.clock.Advance(2 * time.Minute)
	}
}

// advance moves the virtual clock, firing timers (consent timeouts) on the way, and settles.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	h.clock.Advance(d)
	h.settle()
}

// --- orders ------------------------------------------------------------------------------------

// orderOpts adjusts an order fixture.
type orderOpts func(*refund.Order)

var orderSeq int

// newOrder stores an order of the service type, bought a few days before t0 (inside cooling-off,
// nothing started, so a full refund below the review threshold), and captures its payment in the
// sandbox.
func (h *harness) newOrder(service refund.ServiceType, opts ...orderOpts) refund.Order {
	h.t.Helper()
	orderSeq++
	o := refund.Order{
		Number:       fmt.Sprintf("RF-2025-%04d", orderSeq),
		CustomerName: "Ana López",
		Email:        "ana@example.com",
		PurchaseDate: "2025-03-04",
		Currency:     "EUR",
		Payment:      refund.Payment{Provider: sandbox.Provider, Reference: fmt.Sprintf("pi_test_%04d", orderSeq), CardHint: "4242", ThreeDSecure: true, Captured: true},
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
	h.orders = append(h.orders, o.Number)
	stored, err := h.store.PutOrder(h.ctx, o)
	if err != nil {
		h.t.Fatalf("put order %s: %v", o.Number, err)
	}
	if err := h.pay.Capture(h.ctx, o.Payment.Reference, refund.Money{Amount: o.Paid, Currency: o.Currency}); err != nil {
		h.t.Fatalf("capture %s: %v", o.Payment.Reference, err)
	}
	return stored
}

// --- HTTP events ---------------------------------------------------------------------------------

// event builds an API Gateway HTTP API (payload 2.0) event like the local gateway or AWS sends it.
func event(method, routeKey, path, rawQuery string, params map[string]string, headers map[string]string, body string) events.APIGatewayV2HTTPRequest {
	hs := map[string]string{"user-agent": "Mozilla/5.0 (workflow test)", "host": "refunds.example.com"}
	for k, v := range headers {
		hs[strings.ToLower(k)] = v
	}
	e := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       method + " " + routeKey,
		RawPath:        path,
		RawQueryString: rawQuery,
		Headers:        hs,
		PathParameters: params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:  method + " " + routeKey,
			RequestID: fmt.Sprintf("req-%d", time.Now().UnixNano()),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.7", UserAgent: hs["user-agent"],
			},
		},
	}
	if body != "" {
		e.Body = base64.StdEncoding.EncodeToString([]byte(body))
		e.IsBase64Encoded = true
	}
	return e
}

// submitRequest posts the JSON form for the order and returns the new request's id. The execution
// starts inside (StartExecution with the request id as name); settle runs it to its first wait.
func (h *harness) submitRequest(o refund.Order, reason refund.Reason, opts ...func(*refund.Submission)) string {
	h.t.Helper()
	sub := refund.Submission{
		OrderNumber: o.Number, PurchaseDate: o.PurchaseDate, Email: o.Email,
		Kind: string(refund.KindRefund), Reason: string(reason), Details: "Please cancel.", Name: o.CustomerName,
	}
	for _, f := range opts {
		f(&sub)
	}
	body, _ := json.Marshal(sub)
	resp, err := h.submit.Handle(h.ctx, event("POST", "/requests", "/requests", "", nil,
		map[string]string{"content-type": "application/json", "accept": "application/json"}, string(body)))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		h.t.Fatalf("submit request for %s: %d %v\n%s", o.Number, resp.StatusCode, err, resp.Body)
	}
	var ans handler.SubmitAnswer
	if err := json.Unmarshal([]byte(resp.Body), &ans); err != nil {
		h.t.Fatalf("decode submit answer: %v", err)
	}
	h.requests = append(h.requests, ans.RequestID)
	if u, err := url.Parse(ans.StatusURL); err == nil {
		h.mu.Lock()
		h.statusCodes[ans.RequestID] = u.Query().Get("t")
		h.mu.Unlock()
	}
	h.settle()
	return ans.RequestID
}

// executionArn returns the ARN of the request's execution (named after the request).
func (h *harness) executionArn(id string) string {
	return strings.Replace(h.machine, ":stateMachine:", ":execution:", 1) + ":" + id
}

// execution describes the request's execution.
func (h *harness) execution(id string) *sfn.DescribeExecutionOutput {
	h.t.Helper()
	out, err := h.sfn.DescribeExecution(h.ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(h.executionArn(id))})
	if err != nil {
		h.t.Fatalf("describe execution of %s: %v", id, err)
	}
	return out
}

// wantExecution checks the execution's status.
func (h *harness) wantExecution(id string, want sfntypes.ExecutionStatus) {
	h.t.Helper()
	if got := h.execution(id).Status; got != want {
		h.t.Fatalf("execution of %s is %s, want %s\nhistory: %s", id, got, want, h.historySummary(id))
	}
}

// historySummary lists the states the execution entered, with failures, for failure messages.
func (h *harness) historySummary(id string) string {
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
		}
	}
	return strings.Join(parts, " > ")
}

// statesEntered returns the names of the states the execution entered, in order.
func (h *harness) statesEntered(id string) []string {
	h.t.Helper()
	out, err := h.sfn.GetExecutionHistory(h.ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(h.executionArn(id)), MaxResults: 1000})
	if err != nil {
		h.t.Fatalf("history of %s: %v", id, err)
	}
	var names []string
	for _, e := range out.Events {
		if e.StateEnteredEventDetails != nil {
			names = append(names, aws.ToString(e.StateEnteredEventDetails.Name))
		}
	}
	return names
}

// request reads the stored request.
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
		h.t.Fatalf("request %s is %s, want %s\nhistory: %s", id, got, want, h.historySummary(id))
	}
}

// --- emails ----------------------------------------------------------------------------------------

// mails returns the messages of a kind (the SES "kind" tag) about a request (its id in the subject or
// text).
func (h *harness) mails(kind mail.Kind, id string) []outbox.Message {
	var out []outbox.Message
	for _, m := range h.box.Messages() {
		if m.Tags["kind"] == string(kind) && strings.Contains(m.Text, id) {
			out = append(out, m)
		}
	}
	return out
}

// oneMail returns the only message of a kind about a request.
func (h *harness) oneMail(kind mail.Kind, id string) outbox.Message {
	h.t.Helper()
	ms := h.mails(kind, id)
	if len(ms) != 1 {
		h.t.Fatalf("%d %s emails about %s, want 1 (outbox: %s)", len(ms), kind, id, h.outboxSummary())
	}
	return ms[0]
}

func (h *harness) outboxSummary() string {
	var parts []string
	for _, m := range h.box.Messages() {
		parts = append(parts, m.Tags["kind"]+"→"+strings.Join(m.To, ","))
	}
	return strings.Join(parts, " ")
}

// linkCode returns the code of the first link in m whose path starts with prefix ("/consent/").
func (h *harness) linkCode(m outbox.Message, prefix string) string {
	h.t.Helper()
	for _, l := range m.Links {
		u, err := url.Parse(l)
		if err != nil || !strings.HasPrefix(l, baseURL) {
			continue
		}
		if strings.HasPrefix(u.Path, prefix) {
			return strings.TrimPrefix(u.Path, prefix)
		}
		if prefix == "/requests/" && strings.HasPrefix(u.Path, prefix) {
			return u.Query().Get("t")
		}
	}
	h.t.Fatalf("no %s link in the %s email: %v", prefix, m.Tags["kind"], m.Links)
	return ""
}

// consentCode returns the consent code of the latest offers or reminder email about the request.
func (h *harness) consentCode(id string, kind mail.Kind) string {
	h.t.Helper()
	ms := h.mails(kind, id)
	if len(ms) == 0 {
		h.t.Fatalf("no %s email about %s (outbox: %s)", kind, id, h.outboxSummary())
	}
	return h.linkCode(ms[len(ms)-1], "/consent/")
}

// --- the client's browser ----------------------------------------------------------------------------

var (
	csrfInput   = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)
	offerChoice = regexp.MustCompile(`name="offer" value="([^"]*)"`)
)

// consentPage is what a GET of the consent link showed.
type consentPage struct {
	status  int
	cookie  string // "name=value" for the next request
	csrf    string
	choices []string // offer choices "<offerId>|<hash>", in page order
	body    string
}

// openConsent GETs (or HEADs) the consent page like a browser or a mail scanner would.
func (h *harness) openConsent(code, method string) consentPage {
	h.t.Helper()
	resp, err := h.consent.Handle(h.ctx, event(method, "/consent/{code}", "/consent/"+code, "", map[string]string{"code": code},
		map[string]string{"accept": "text/html"}, ""))
	if err != nil {
		h.t.Fatalf("%s consent page: %v", method, err)
	}
	body := resp.Body
	if resp.IsBase64Encoded {
		b, _ := base64.StdEncoding.DecodeString(body)
		body = string(b)
	}
	p := consentPage{status: resp.StatusCode, body: body}
	for _, c := range resp.Cookies {
		if name, rest, ok := strings.Cut(c, "="); ok {
			value, _, _ := strings.Cut(rest, ";")
			p.cookie = name + "=" + value
		}
	}
	if m := csrfInput.FindStringSubmatch(body); m != nil {
		p.csrf = html.UnescapeString(m[1])
	}
	for _, m := range offerChoice.FindAllStringSubmatch(body, -1) {
		p.choices = append(p.choices, html.UnescapeString(m[1]))
	}
	return p
}

// postConsent POSTs a decision from an opened page: accept the offer at index choice (typed name and
// "I agree"), or decline (choice < 0) with a reason. It returns the HTTP status.
func (h *harness) postConsent(code string, p consentPage, choice int, declineReason string) int {
	h.t.Helper()
	status, err := h.tryPostConsent(code, p, choice, declineReason)
	if err != nil {
		h.t.Fatal(err)
	}
	return status
}

// tryPostConsent is postConsent without failing the test, for use from other goroutines.
func (h *harness) tryPostConsent(code string, p consentPage, choice int, declineReason string) (int, error) {
	form := url.Values{"csrf_token": {p.csrf}}
	if choice >= 0 {
		if choice >= len(p.choices) {
			return 0, fmt.Errorf("the consent page shows %d offers, not %d:\n%s", len(p.choices), choice+1, p.body)
		}
		form.Set("decision", "accept")
		form.Set("offer", p.choices[choice])
		form.Set("full_name", "Ana López")
		form.Set("agree", "yes")
	} else {
		form.Set("decision", "decline")
		form.Set("decline_reason", declineReason)
	}
	resp, err := h.consent.Handle(h.ctx, event("POST", "/consent/{code}", "/consent/"+code, "", map[string]string{"code": code},
		map[string]string{"content-type": "application/x-www-form-urlencoded", "cookie": p.cookie, "accept": "text/html"}, form.Encode()))
	if err != nil {
		return 0, fmt.Errorf("POST consent: %w", err)
	}
	return resp.StatusCode, nil
}

// accept opens the latest offers email's link and accepts the offer at index choice; it settles.
func (h *harness) accept(id string, choice int) {
	h.t.Helper()
	code := h.consentCode(id, mail.KindOffers)
	p := h.openConsent(code, "GET")
	if p.status != http.StatusOK {
		h.t.Fatalf("consent page answered %d:\n%s", p.status, p.body)
	}
	if got := h.postConsent(code, p, choice, ""); got != http.StatusSeeOther {
		h.t.Fatalf("accept answered %d, want 303", got)
	}
	h.settle()
}

// withdraw posts the withdraw form with the status code from the received email, and settles.
func (h *harness) withdraw(id, statusCode string) int {
	h.t.Helper()
	status, err := h.tryWithdraw(id, statusCode)
	if err != nil {
		h.t.Fatal(err)
	}
	h.settle()
	return status
}

// tryWithdraw posts the withdraw form without settling or failing the test, so it can run inside an
// intercepted task.
func (h *harness) tryWithdraw(id, statusCode string) (int, error) {
	// The withdraw form's token comes from the status page, like the consent form's.
	q := url.Values{"t": {statusCode}}.Encode()
	page, err := h.status.Handle(h.ctx, event("GET", "/requests/{id}", "/requests/"+id, q, map[string]string{"id": id}, map[string]string{"accept": "text/html"}, ""))
	if err != nil || page.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status page: %d %v\n%s", page.StatusCode, err, page.Body)
	}
	body := page.Body
	if page.IsBase64Encoded {
		b, _ := base64.StdEncoding.DecodeString(body)
		body = string(b)
	}
	var cookie, token string
	for _, c := range page.Cookies {
		name, rest, _ := strings.Cut(c, "=")
		value, _, _ := strings.Cut(rest, ";")
		cookie = name + "=" + value
	}
	if m := csrfInput.FindStringSubmatch(body); m != nil {
		token = html.UnescapeString(m[1])
	}
	form := url.Values{"csrf_token": {token}, "t": {statusCode}}
	resp, err := h.status.Handle(h.ctx, event("POST", "/requests/{id}/withdraw", "/requests/"+id+"/withdraw", q, map[string]string{"id": id},
		map[string]string{"content-type": "application/x-www-form-urlencoded", "cookie": cookie, "accept": "text/html"}, form.Encode()))
	if err != nil {
		return 0, fmt.Errorf("withdraw: %w", err)
	}
	return resp.StatusCode, nil
}

// statusCode returns the status link code of the submission (from the submit answer's statusUrl, as
// a client keeps it; only staff-reviewed requests also get it by email).
func (h *harness) statusCode(id string) string {
	h.t.Helper()
	h.mu.Lock()
	code := h.statusCodes[id]
	h.mu.Unlock()
	if code == "" {
		h.t.Fatalf("no status code recorded for request %s (submitted by this harness?)", id)
	}
	return code
}

// review posts a staff decision through the staff API as staff member "staff-1".
func (h *harness) review(id string, decision handler.ReviewDecision) (int, string) {
	h.t.Helper()
	body, _ := json.Marshal(decision)
	e := event("POST", "/staff/api/requests/{id}/review", "/staff/api/requests/"+id+"/review", "", map[string]string{"id": id},
		map[string]string{"content-type": "application/json", "accept": "application/json"}, string(body))
	e.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": "staff-1", "cognito:groups": "[staff]"}},
	}
	resp, err := h.staff.Handle(h.ctx, e)
	if err != nil {
		h.t.Fatalf("staff review: %v", err)
	}
	h.settle()
	return resp.StatusCode, resp.Body
}
