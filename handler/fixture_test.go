package handler_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
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
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"refundflow/apigw"
	"refundflow/awsenv/httpclient"
	"refundflow/dynamo"
	"refundflow/dynamo/dynamotest"
	"refundflow/handler"
	"refundflow/infra/local/ddblocal"
	"refundflow/infra/local/stepfunctions"
	"refundflow/mail"
	"refundflow/payment/sandbox"
	"refundflow/refund"
	"refundflow/sfnworkflow"
)

// The handlers' fixtures, shared by every test file of the package.
//
// The HTTP handler tests run the handlers on real-shaped API Gateway events (testdata/events, payload
// 2.0, form posts base64-encoded), through lambda.NewHandler as the Lambda runtime calls them, against
// the local DynamoDB (infra/local/ddblocal) through the real DynamoDB client and the project's Step
// Functions engine through the real workflow adapter (sfnworkflow) on the real sfn client. The only
// stand-in is recordingSFN, a thin wrapper around that client that counts calls and can make the next
// ones fail.
//
// The task tests (taskFixture) run the task handlers on the contract suite's DynamoDB (dynamotest),
// with a recorded Step Functions and a fake mail sender.

// httpT0 is "now" in these tests: 3 March 2025, after the cooling-off period of the test orders.
var httpT0 = time.Date(2025, 3, 3, 14, 5, 9, 0, time.UTC)

// parkDefinition is a one-state workflow that parks on a task token like the real consent and
// review waits: its Park function stores the token on the request (as RequestConsent and
// RequestStaffReview do) and the execution ends with whatever outcome SendTaskSuccess delivers.
const parkDefinition = `{
  "StartAt": "Park",
  "States": {
    "Park": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters": {"FunctionName": "Park", "Payload": {"requestId.$": "$.requestId", "taskToken.$": "$$.Task.Token"}},
      "ResultPath": "$.step",
      "End": true
    }
  }
}`

// httpFixture is one test's world: a fresh table, a Step Functions engine with the park workflow,
// and the handlers' dependencies.
type httpFixture struct {
	t       testing.TB
	store   *dynamo.Store
	eng     *stepfunctions.Engine
	client  *sfn.Client
	sfn     *recordingSFN
	flow    sfnworkflow.Client // the handlers' workflow: the adapter on sfn
	machine string
	origins apigw.CrossOrigin // the site and the company website https://www.example.com
	pay     *sandbox.Gateway  // the payment provider, on the same table
	seq     atomic.Int64
	parked  atomic.Int64
}

func newHTTPFixture(t testing.TB) *httpFixture {
	t.Helper()
	store := dynamo.New(localDynamoDB(t), "refunds")
	if err := dynamo.EnsureTable(context.Background(), store.Client, store.Table); err != nil {
		t.Fatalf("create table: %v", err)
	}
	// Time moves a millisecond per reading, so audit entries have distinct times and keep their order.
	var tick atomic.Int64
	store.Now = func() time.Time { return httpT0.Add(time.Duration(tick.Add(1)) * time.Millisecond) }

	eng := stepfunctions.New(stepfunctions.Options{Region: "eu-west-1"})
	srv := httptest.NewServer(eng.Handler())
	t.Cleanup(func() {
		// Let every Lambda invocation finish before the table goes away (Close would cancel them,
		// but a cancelled client leaves the server still serving the request while it deletes the table).
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = eng.WaitIdle(ctx)
		eng.Close()
		srv.Close()
	})
	client := sfn.New(sfn.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		HTTPClient:   httpclient.New(nil),
	})
	f := &httpFixture{t: t, store: store, eng: eng, client: client, sfn: &recordingSFN{inner: client}, pay: sandbox.New(store.Client, store.Table)}
	origins, err := apigw.NewCrossOrigin("https://refunds.example.com", "https://www.example.com")
	if err != nil {
		t.Fatal(err)
	}
	f.origins = origins
	eng.RegisterFunction("Park", lambda.NewHandler(f.park))
	out, err := client.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{
		Name: aws.String("refund"), Definition: aws.String(parkDefinition), RoleArn: aws.String("arn:aws:iam::123456789012:role/test"),
	})
	if err != nil {
		t.Fatalf("create state machine: %v", err)
	}
	f.machine = aws.ToString(out.StateMachineArn)
	f.flow = sfnworkflow.Client{StateMachineARN: f.machine, StartExecution: f.sfn.StartExecution, SendTaskSuccess: f.sfn.SendTaskSuccess}
	return f
}

// localDynamoDB serves a fresh local DynamoDB (ddblocal) for the test and returns a real DynamoDB
// client for it (on awsenv/httpclient, like every AWS client of the project).
func localDynamoDB(t testing.TB) *dynamodb.Client {
	t.Helper()
	srv := httptest.NewServer(ddblocal.New(ddblocal.Options{}))
	t.Cleanup(srv.Close)
	return dynamotest.NewClient(srv.URL)
}

// park is the Park function: it stores the task token like the real waits do.
func (f *httpFixture) park(ctx context.Context, in handler.TaskInput) (handler.TaskOutput, error) {
	rec, err := f.store.GetRequest(ctx, in.RequestID)
	if err != nil {
		return handler.TaskOutput{}, err
	}
	switch rec.Status {
	case refund.StatusInReview:
		err = f.store.SetTaskToken(ctx, in.RequestID, refund.TokenReview, in.TaskToken, refund.StatusInReview)
	case refund.StatusAwaitingConsent:
		err = f.store.SetTaskToken(ctx, in.RequestID, refund.TokenConsent, in.TaskToken, refund.StatusAwaitingConsent)
	}
	f.parked.Add(1)
	return handler.TaskOutput{Outcome: handler.OutcomeWaiting}, err
}

// idle waits until the engine has run everything runnable.
func (f *httpFixture) idle() {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := f.eng.WaitIdle(ctx); err != nil {
		f.t.Fatalf("engine did not settle: %v", err)
	}
}

// execution describes the execution named after the request, or returns nil when there is none.
func (f *httpFixture) execution(id string) *sfn.DescribeExecutionOutput {
	f.t.Helper()
	f.idle()
	arn := strings.Replace(f.machine, ":stateMachine:", ":execution:", 1) + ":" + id
	out, err := f.client.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	var dne *sfntypes.ExecutionDoesNotExist
	if errors.As(err, &dne) {
		return nil
	}
	if err != nil {
		f.t.Fatalf("describe execution %s: %v", id, err)
	}
	return out
}

// outcome returns the outcome a finished park execution received, "" while it still waits.
func (f *httpFixture) outcome(id string) string {
	f.t.Helper()
	x := f.execution(id)
	if x == nil {
		f.t.Fatalf("no execution for request %s", id)
	}
	if x.Status == sfntypes.ExecutionStatusRunning {
		return ""
	}
	var out struct {
		Step handler.TaskOutput `json:"step"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(x.Output)), &out); err != nil {
		f.t.Fatalf("execution output %q: %v", aws.ToString(x.Output), err)
	}
	return out.Step.Outcome
}

// recordingSFN passes calls to the real client, keeps what succeeded, and fails the next
// failStarts/failSends calls with a network-like error, to show what the handlers do then.
type recordingSFN struct {
	inner      *sfn.Client
	mu         sync.Mutex
	failStarts int
	failSends  int
	starts     []string
	sends      []string
}

var errNetwork = errors.New("dial tcp 127.0.0.1:443: connect: connection refused")

func (r *recordingSFN) StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	r.mu.Lock()
	if r.failStarts > 0 {
		r.failStarts--
		r.mu.Unlock()
		return nil, errNetwork
	}
	r.mu.Unlock()
	out, err := r.inner.StartExecution(ctx, in, opts...)
	if err == nil {
		r.mu.Lock()
		r.starts = append(r.starts, aws.ToString(in.Name)+" "+aws.ToString(in.Input))
		r.mu.Unlock()
	}
	return out, err
}

func (r *recordingSFN) SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, opts ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	r.mu.Lock()
	if r.failSends > 0 {
		r.failSends--
		r.mu.Unlock()
		return nil, errNetwork
	}
	r.mu.Unlock()
	out, err := r.inner.SendTaskSuccess(ctx, in, opts...)
	if err == nil {
		r.mu.Lock()
		r.sends = append(r.sends, aws.ToString(in.Output))
		r.mu.Unlock()
	}
	return out, err
}

func (r *recordingSFN) sent() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sends...)
}

// --- events ----------------------------------------------------------------------------------------

// loadEvent reads a payload 2.0 event from testdata/events.
func loadEvent(t testing.TB, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatalf("read event: %v", err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatalf("decode event %s: %v", name, err)
	}
	return ev
}

// setPath points the event at another path, keeping its route key; params are its path parameters.
func setPath(ev *events.APIGatewayV2HTTPRequest, path string, params map[string]string) {
	ev.RawPath = path
	ev.RequestContext.HTTP.Path = path
	ev.PathParameters = params
}

// setQuery sets the query string as API Gateway does (raw and the comma-joined map).
func setQuery(ev *events.APIGatewayV2HTTPRequest, q url.Values) {
	ev.RawQueryString = q.Encode()
	ev.QueryStringParameters = map[string]string{}
	for k, v := range q {
		ev.QueryStringParameters[k] = strings.Join(v, ",")
	}
}

// setForm replaces the body with a form, base64-encoded as API Gateway sends form posts.
func setForm(ev *events.APIGatewayV2HTTPRequest, form url.Values) {
	body := form.Encode()
	ev.Body = base64.StdEncoding.EncodeToString([]byte(body))
	ev.IsBase64Encoded = true
	ev.Headers["content-type"] = "application/x-www-form-urlencoded"
	ev.Headers["content-length"] = fmt.Sprint(len(body))
}

// setJSON replaces the body with v as JSON text (API Gateway does not encode text bodies).
func setJSON(t testing.TB, ev *events.APIGatewayV2HTTPRequest, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	ev.Body = string(data)
	ev.IsBase64Encoded = false
	ev.Headers["content-type"] = "application/json"
	ev.Headers["content-length"] = fmt.Sprint(len(data))
}

// lambdaHandler is what every HTTP handler is.
type lambdaHandler interface {
	Handle(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)
}

// call invokes the handler as the Lambda runtime does: JSON event in, JSON response out.
func call(h lambdaHandler, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	payload, err := json.Marshal(ev)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), payload)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("invocation failed (a Lambda error reaches the client as a bare 500): %w", err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return resp, err
	}
	return resp, nil
}

// mustCall is call for the test goroutine.
func mustCall(t testing.TB, h lambdaHandler, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp, err := call(h, ev)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Headers["X-Content-Type-Options"] != "nosniff" || resp.Headers["Content-Security-Policy"] == "" {
		t.Errorf("response without security headers: %v", resp.Headers)
	}
	return resp
}

// wantStatus fails the test when the response has another status, showing the body.
func wantStatus(t testing.TB, resp events.APIGatewayV2HTTPResponse, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("status %d, want %d; body:\n%s", resp.StatusCode, want, resp.Body)
	}
}

// crossSite makes the event a post that a browser sent from another website.
func crossSite(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPRequest {
	ev.Headers["origin"] = "https://evil.example"
	ev.Headers["sec-fetch-site"] = "cross-site"
	return ev
}

// wantCrossSiteRefused checks the answer to a cross-site post: 403 saying why.
func wantCrossSiteRefused(t testing.TB, resp events.APIGatewayV2HTTPResponse) {
	t.Helper()
	wantStatus(t, resp, http.StatusForbidden)
	if !strings.Contains(resp.Body, "another website") {
		t.Errorf("the 403 does not say why: %s", resp.Body)
	}
}

// --- seeding ---------------------------------------------------------------------------------------

// projectOrder is a fixed-price project bought on 10 January 2025 for EUR 10,000.00 with one
// milestone delivered and one in progress: after the cooling-off period its offers are a partial
// refund of EUR 4,500.00 (above the review threshold) and credits of EUR 4,950.00.
func projectOrder(number string) refund.Order {
	return refund.Order{
		Number: number, CustomerName: "Ana López", Email: "ana@example.com", PurchaseDate: "2025-01-10",
		Currency: "EUR", Paid: 1_000_000,
		Payment: refund.Payment{Provider: "sandbox", Reference: "pi_" + strings.ToLower(number), CardHint: "4242", ThreeDSecure: true, Captured: true},
		Status:  refund.OrderActive,
		Service: refund.Service{Type: refund.ServiceProject, Project: &refund.Project{Milestones: []refund.Milestone{
			{Name: "Design", Price: 300_000, Status: refund.MilestoneDelivered},
			{Name: "Build", Price: 500_000, Status: refund.MilestoneInProgress, Progress: 40},
			{Name: "Launch", Price: 200_000, Status: refund.MilestoneNotStarted},
		}}},
	}
}

// putOrder stores an order as the billing system would have sent it.
func (f *httpFixture) putOrder(o refund.Order) refund.Order {
	f.t.Helper()
	stored, err := f.store.PutOrder(context.Background(), o)
	if err != nil {
		f.t.Fatalf("put order %s: %v", o.Number, err)
	}
	return stored
}

// takePayment takes the order's payment at the sandbox provider, as the checkout did before the
// billing system sends the order: captured, 3-D Secure authenticated, of the order's paid amount
// (opts adjust the checkout).
func (f *httpFixture) takePayment(o refund.Order, opts ...func(*sandbox.Checkout)) refund.PaymentFacts {
	f.t.Helper()
	c := sandbox.Checkout{Reference: o.Payment.Reference, Amount: refund.Money{Amount: o.Paid, Currency: o.Currency}, CardLast4: o.Payment.CardHint}
	for _, opt := range opts {
		opt(&c)
	}
	facts, err := f.pay.TakePayment(context.Background(), c)
	if err != nil {
		f.t.Fatalf("take the payment of %s: %v", o.Number, err)
	}
	return facts
}

// submission is the form a client sends for the order.
func submission(order refund.Order) refund.Submission {
	return refund.Submission{
		OrderNumber: order.Number, PurchaseDate: order.PurchaseDate, Email: order.Email, Name: order.CustomerName,
		Kind: string(refund.KindRefund), Reason: string(refund.ReasonChangedMind), Details: "We no longer need the launch.",
	}
}

// seeded is a request put in place through the store, as the workflow would have left it.
type seeded struct {
	order        refund.Order
	id           string
	statusCode   string
	consentCode  string
	feedbackCode string
	offers       []refund.Offer
}

// seed stores an order and a request in the given status (submitted, in_review or awaiting_consent),
// with its status link; with offers for in_review and awaiting_consent, a consent link for
// awaiting_consent; and, with park, a workflow execution parked on a task token.
func (f *httpFixture) seed(status refund.Status, park bool) seeded {
	f.t.Helper()
	return f.seedOrder(projectOrder(fmt.Sprintf("RF-2025-%04d", f.seq.Add(1))), status, park)
}

// seedOrder is seed for a request on order, which it stores first.
func (f *httpFixture) seedOrder(order refund.Order, status refund.Status, park bool) seeded {
	f.t.Helper()
	ctx := context.Background()
	var s seeded
	s.order = order
	if _, err := f.store.PutOrder(ctx, s.order); err != nil {
		f.t.Fatalf("put order: %v", err)
	}
	id, err := handler.NewRequestID(httpT0)
	if err != nil {
		f.t.Fatal(err)
	}
	s.id = id
	sub := submission(s.order)
	req, err := refund.NewRequest(id, sub, httpT0.Add(-time.Hour))
	if err != nil {
		f.t.Fatalf("new request: %v", err)
	}
	s.statusCode = newCode(f.t)
	link := refund.LinkCode{Hash: refund.HashCode(s.statusCode), Purpose: refund.LinkStatus}
	if err := f.store.CreateRequest(ctx, req, sub, link, refund.AuditEntry{Actor: refund.ActorClient, IP: "203.0.113.7"}); err != nil {
		f.t.Fatalf("create request: %v", err)
	}
	if status != refund.StatusSubmitted {
		res := refund.Resolve(refund.DefaultPolicy(), req, s.order, httpT0)
		s.offers = res.Offers
		audit := refund.AuditEntry{Actor: refund.SystemActor("ProposeResolution")}
		if status == refund.StatusInReview {
			audit.Detail = "review needed: " + strings.Join(res.ReviewReasons, " ")
		}
		if err := f.store.Transition(ctx, id, refund.StatusSubmitted, status, 1, audit, refund.WithOffers(1, s.offers)); err != nil {
			f.t.Fatalf("move to %s: %v", status, err)
		}
	}
	if status == refund.StatusAwaitingConsent {
		s.consentCode = newCode(f.t)
		l := refund.LinkCode{Hash: refund.HashCode(s.consentCode), RequestID: id, Purpose: refund.LinkConsent, ExpiresAt: httpT0.Add(14 * 24 * time.Hour)}
		if err := f.store.PutLinkCode(ctx, l); err != nil {
			f.t.Fatalf("put consent link: %v", err)
		}
	}
	if park {
		f.startPark(id)
	}
	return s
}

// startPark starts the park workflow for a request, as the real workflow would be waiting.
func (f *httpFixture) startPark(id string) {
	f.t.Helper()
	_, err := f.client.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(f.machine), Name: aws.String(id), Input: aws.String(`{"requestId":"` + id + `"}`),
	})
	if err != nil {
		f.t.Fatalf("start park execution: %v", err)
	}
	f.idle()
}

func newCode(t testing.TB) string {
	t.Helper()
	c, err := handler.NewCode()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// request reads a request or fails.
func (f *httpFixture) request(id string) refund.RequestRecord {
	f.t.Helper()
	rec, err := f.store.GetRequest(context.Background(), id)
	if err != nil {
		f.t.Fatalf("get request %s: %v", id, err)
	}
	return rec
}

// audit returns the actions of a request's audit trail, in order.
func (f *httpFixture) auditActions(id string) []string {
	f.t.Helper()
	entries, err := f.store.ListAudit(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Action)
	}
	return out
}

// --- tasks ---------------------------------------------------------------------------------------

// taskT0 is the task tests' clock: a week after the fixture order's purchase.
var taskT0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

// tokenRecorder is a Step Functions SendTaskSuccess that records its calls and answers them with err
// (nil: success).
type tokenRecorder struct {
	mu   sync.Mutex
	sent []string // "<token> <output>"
	err  error
}

func (r *tokenRecorder) SendTaskSuccess(_ context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, aws.ToString(in.TaskToken)+" "+aws.ToString(in.Output))
	if r.err != nil {
		return nil, r.err
	}
	return &sfn.SendTaskSuccessOutput{}, nil
}

// fakeSender records sent messages, failing the next fail sends.
type fakeSender struct {
	mu   sync.Mutex
	msgs []mail.Message
	fail int
}

func (s *fakeSender) Send(_ context.Context, m mail.Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		return "", errors.New("SES throttled")
	}
	s.msgs = append(s.msgs, m)
	return "msg-1", nil
}

func (s *fakeSender) kinds() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range s.msgs {
		out = append(out, string(m.Kind))
	}
	return out
}

// taskFixture is a table with one order and one submitted request for it.
type taskFixture struct {
	t      *testing.T
	ctx    context.Context
	store  *dynamo.Store
	sfn    *tokenRecorder
	waits  sfnworkflow.Client // the tasks' workflow: the adapter on sfn
	mail   *fakeSender
	emails handler.Emails
	order  refund.Order
	id     string
}

func newTaskFixture(t *testing.T, service refund.ServiceType) *taskFixture {
	t.Helper()
	// dynamotest.New always gives a backend with transactions (ddblocal when DYNAMODB_ENDPOINT is dynalite).
	client, table := dynamotest.New(t)
	f := &taskFixture{t: t, ctx: context.Background(), store: dynamo.New(client, table), sfn: &tokenRecorder{}, mail: &fakeSender{}}
	f.waits = sfnworkflow.Client{SendTaskSuccess: f.sfn.SendTaskSuccess}
	f.store.Now = func() time.Time { return taskT0 }
	links, _ := mail.NewLinks("https://refunds.example.com")
	f.emails = handler.Emails{Store: f.store, Delivery: handler.RenderAndSend{Renderer: &mail.Renderer{Links: links, Company: "Northwind"}, Sender: f.mail}}

	o := refund.Order{
		Number: "RF-1", CustomerName: "Ana López", Email: "ana@example.com", PurchaseDate: "2025-03-04", Currency: "EUR",
		Paid: 80000, Status: refund.OrderActive,
		Payment: refund.Payment{Provider: "sandbox", Reference: "pi_1", CardHint: "4242", Captured: true},
		Service: refund.Service{Type: service},
	}
	switch service {
	case refund.ServiceHours:
		o.Service.Hours = &refund.Hours{Purchased: 40, TotalPrice: 80000}
	case refund.ServiceProject:
		o.Service.Project = &refund.Project{Milestones: []refund.Milestone{{Name: "All", Price: 80000, Status: refund.MilestoneNotStarted}}}
	}
	var err error
	if f.order, err = f.store.PutOrder(f.ctx, o); err != nil {
		t.Fatal(err)
	}
	sub := refund.Submission{OrderNumber: "RF-1", PurchaseDate: "2025-03-04", Email: "ana@example.com", Kind: "refund", Reason: "changed_mind", Name: "Ana"}
	req, err := refund.NewRequest("req-1", sub, taskT0)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := handler.NewCode()
	err = f.store.CreateRequest(f.ctx, req, sub, refund.LinkCode{Hash: refund.HashCode(code)}, refund.AuditEntry{Actor: refund.ActorClient})
	if err != nil {
		t.Fatal(err)
	}
	f.id = req.ID
	return f
}

// run calls a task and returns its outcome, whether returned or routed by error (RequestClosed,
// StaffReviewNeeded); it fails the test on any other error.
func (f *taskFixture) run(h interface {
	Handle(context.Context, handler.TaskInput) (handler.TaskOutput, error)
}, in handler.TaskInput) string {
	f.t.Helper()
	if in.RequestID == "" {
		in.RequestID = f.id
	}
	out, err := h.Handle(f.ctx, in)
	if routed, ok := handler.RoutedOutcome(err); ok {
		return routed
	}
	if err != nil {
		f.t.Fatalf("%T: %v", h, err)
	}
	return out.Outcome
}

func (f *taskFixture) status() refund.Status {
	f.t.Helper()
	r, err := f.store.GetRequest(f.ctx, f.id)
	if err != nil {
		f.t.Fatal(err)
	}
	return r.Status
}

// toConsent runs verification, resolution and the offer phase.
func (f *taskFixture) toConsent() {
	f.t.Helper()
	if got := f.run(handler.VerifyConditions{Store: f.store}, handler.TaskInput{}); got != handler.OutcomeVerified {
		f.t.Fatalf("verify = %q", got)
	}
	if got := f.run(handler.ProposeResolution{Store: f.store}, handler.TaskInput{}); got != handler.OutcomeConsent {
		f.t.Fatalf("resolve = %q", got)
	}
	rc := handler.RequestConsent{Store: f.store, Waits: f.waits, Emails: f.emails}
	if got := f.run(rc, handler.TaskInput{TaskToken: "token-offer", Phase: handler.PhaseOffer}); got != handler.OutcomeWaiting {
		f.t.Fatalf("offer = %q", got)
	}
}

// gateway returns the sandbox payment provider on the fixture's table, with the order's payment
// captured.
func (f *taskFixture) gateway() *sandbox.Gateway {
	f.t.Helper()
	gw := sandbox.New(f.store.Client, f.store.Table)
	if err := gw.Capture(f.ctx, "pi_1", refund.Money{Amount: 80000, Currency: "EUR"}); err != nil {
		f.t.Fatal(err)
	}
	return gw
}

// accept records an acceptance of the first offer, as the consent page does.
func (f *taskFixture) accept() refund.Offer {
	f.t.Helper()
	offers, _, err := f.store.ListOffers(f.ctx, f.id)
	if err != nil || len(offers) == 0 {
		f.t.Fatalf("offers: %v %v", offers, err)
	}
	req, _ := f.store.GetRequest(f.ctx, f.id)
	code, _ := handler.NewCode()
	if err := f.store.PutLinkCode(f.ctx, refund.LinkCode{Hash: refund.HashCode(code), RequestID: f.id, Purpose: refund.LinkConsent}); err != nil {
		f.t.Fatal(err)
	}
	text := refund.Agreement(f.order, req.Request, offers[0])
	err = f.store.RecordConsent(f.ctx, refund.Consent{RequestID: f.id, Decision: refund.DecisionAccept, OfferID: offers[0].ID,
		OfferHash: refund.AgreementHash(offers[0], text), AgreementText: text, TypedName: "Ana López", LinkHash: refund.HashCode(code)},
		req.Version, refund.AuditEntry{Actor: refund.ActorClient})
	if err != nil {
		f.t.Fatal(err)
	}
	return offers[0]
}
