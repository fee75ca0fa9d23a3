package handler_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"refundflow/dynamo"
	"refundflow/dynamo/dynamotest"
	"refundflow/handler"
	"refundflow/infra/local/stepfunctions"
	"refundflow/mail"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

// taskT0 is the task tests' clock: a week after the fixture order's purchase.
var taskT0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

// tokenRecorder is a Step Functions client that records SendTaskSuccess calls and answers them with
// err (nil: success).
type tokenRecorder struct {
	mu   sync.Mutex
	sent []string // "<token> <output>"
	err  error
}

func (r *tokenRecorder) StartExecution(context.Context, *sfn.StartExecutionInput, ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	return nil, errors.New("not used by tasks")
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
	f.store.Now = func() time.Time { return taskT0 }
	links, _ := mail.NewLinks("https://refunds.example.com")
	f.emails = handler.Emails{Store: f.store, Renderer: &mail.Renderer{Links: links, Company: "Northwind"}, Sender: f.mail}

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
	err = f.store.CreateRequest(f.ctx, req, sub, dynamo.LinkCode{Hash: dynamo.HashCode(code)}, dynamo.AuditEntry{Actor: dynamo.ActorClient})
	if err != nil {
		t.Fatal(err)
	}
	f.id = req.ID
	return f
}

// run calls a task and fails the test on error.
func (f *taskFixture) run(h interface {
	Handle(context.Context, handler.TaskInput) (handler.TaskOutput, error)
}, in handler.TaskInput) string {
	f.t.Helper()
	if in.RequestID == "" {
		in.RequestID = f.id
	}
	out, err := h.Handle(f.ctx, in)
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
	if got := f.run(&handler.VerifyConditions{Store: f.store}, handler.TaskInput{}); got != handler.OutcomeVerified {
		f.t.Fatalf("verify = %q", got)
	}
	if got := f.run(&handler.ProposeResolution{Store: f.store}, handler.TaskInput{}); got != handler.OutcomeConsent {
		f.t.Fatalf("resolve = %q", got)
	}
	rc := &handler.RequestConsent{Store: f.store, SFN: f.sfn, Emails: f.emails}
	if got := f.run(rc, handler.TaskInput{TaskToken: "token-offer", Phase: handler.PhaseOffer}); got != handler.OutcomeWaiting {
		f.t.Fatalf("offer = %q", got)
	}
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
	if err := f.store.PutLinkCode(f.ctx, dynamo.LinkCode{Hash: dynamo.HashCode(code), RequestID: f.id, Purpose: dynamo.LinkConsent}); err != nil {
		f.t.Fatal(err)
	}
	text := refund.Agreement(f.order, req.Request, offers[0])
	err = f.store.RecordConsent(f.ctx, dynamo.Consent{RequestID: f.id, Decision: dynamo.DecisionAccept, OfferID: offers[0].ID,
		OfferHash: refund.AgreementHash(offers[0], text), AgreementText: text, TypedName: "Ana López", LinkHash: dynamo.HashCode(code)},
		req.Version, dynamo.AuditEntry{Actor: dynamo.ActorClient})
	if err != nil {
		f.t.Fatal(err)
	}
	return offers[0]
}

func TestSendOutcome(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		token  string
		err    error
		wantOK bool
		fails  bool
	}{
		{"delivered", "tok", nil, true, false},
		{"no token stored", "", nil, false, false},
		{"wait timed out", "tok", &sfntypes.TaskTimedOut{Message: aws.String("closed")}, false, false},
		{"unknown token", "tok", &sfntypes.TaskDoesNotExist{}, false, false},
		{"malformed token", "tok", &sfntypes.InvalidToken{}, false, false},
		{"network", "tok", errors.New("connection reset"), false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &tokenRecorder{err: tc.err}
			ok, err := handler.SendOutcome(ctx, rec, tc.token, "accepted")
			if ok != tc.wantOK || (err != nil) != tc.fails {
				t.Errorf("SendOutcome = %v, %v; want %v, error %v", ok, err, tc.wantOK, tc.fails)
			}
			if tc.token != "" && (len(rec.sent) != 1 || rec.sent[0] != `tok {"outcome":"accepted"}`) {
				t.Errorf("sent %q", rec.sent)
			}
		})
	}
}

func TestVerifyConditionsRejectsAndStaysRejected(t *testing.T) {
	f := newTaskFixture(t, refund.ServiceHours)
	// The order's email changed on record: the submission no longer matches it.
	o := f.order
	o.Email = "other@example.com"
	if _, err := f.store.PutOrder(f.ctx, o); err != nil {
		t.Fatal(err)
	}
	h := &handler.VerifyConditions{Store: f.store}
	for i := 0; i < 2; i++ {
		if got := f.run(h, handler.TaskInput{}); got != handler.OutcomeRejected {
			t.Fatalf("run %d = %q, want rejected", i+1, got)
		}
	}
	req, _ := f.store.GetRequest(f.ctx, f.id)
	if req.Status != refund.StatusRejected || req.Version != 2 || req.Verification == nil || req.Verification.OK {
		t.Errorf("request = %s v%d %+v; want rejected once, with the findings", req.Status, req.Version, req.Verification)
	}
}

func TestRequestConsentPhases(t *testing.T) {
	t.Run("unknown phase and missing token are errors", func(t *testing.T) {
		f := newTaskFixture(t, refund.ServiceHours)
		rc := &handler.RequestConsent{Store: f.store, SFN: f.sfn, Emails: f.emails}
		if _, err := rc.Handle(f.ctx, handler.TaskInput{RequestID: f.id, Phase: "later"}); err == nil {
			t.Error("unknown phase accepted")
		}
		if _, err := rc.Handle(f.ctx, handler.TaskInput{RequestID: f.id, Phase: handler.PhaseOffer}); err == nil {
			t.Error("offer phase without a token accepted")
		}
	})
	t.Run("offer twice sends one email", func(t *testing.T) {
		f := newTaskFixture(t, refund.ServiceHours)
		f.toConsent()
		rc := &handler.RequestConsent{Store: f.store, SFN: f.sfn, Emails: f.emails}
		if got := f.run(rc, handler.TaskInput{TaskToken: "token-retry", Phase: handler.PhaseOffer}); got != handler.OutcomeWaiting {
			t.Fatalf("offer again = %q", got)
		}
		if got := strings.Join(f.mail.kinds(), ","); got != "offers" {
			t.Errorf("emails = %s, want one offers email", got)
		}
		tok, _ := f.store.GetTaskToken(f.ctx, f.id)
		if tok.Token != "token-retry" {
			t.Errorf("stored token %q, want the retry's", tok.Token)
		}
		if m := f.mail.msgs[0]; len(m.To) != 1 || m.To[0] != f.order.Email {
			t.Errorf("offers email to %v, want the order's address", m.To)
		}
	})
	t.Run("remind after a recorded decision completes its own token", func(t *testing.T) {
		f := newTaskFixture(t, refund.ServiceHours)
		f.toConsent()
		f.accept()
		rc := &handler.RequestConsent{Store: f.store, SFN: f.sfn, Emails: f.emails}
		if got := f.run(rc, handler.TaskInput{TaskToken: "token-remind", Phase: handler.PhaseRemind}); got != handler.OutcomeAccepted {
			t.Fatalf("remind = %q, want accepted", got)
		}
		if len(f.sfn.sent) != 1 || f.sfn.sent[0] != `token-remind {"outcome":"accepted"}` {
			t.Errorf("SendTaskSuccess calls = %q", f.sfn.sent)
		}
		if got := strings.Join(f.mail.kinds(), ","); got != "offers" {
			t.Errorf("emails = %s, want no reminder", got)
		}
		if got := f.run(rc, handler.TaskInput{Phase: handler.PhaseExpire}); got != handler.OutcomeAccepted {
			t.Errorf("expire after acceptance = %q, want accepted", got)
		}
		if f.status() != refund.StatusExecuting {
			t.Errorf("status %s, want executing", f.status())
		}
	})
	t.Run("expire twice", func(t *testing.T) {
		f := newTaskFixture(t, refund.ServiceHours)
		f.toConsent()
		rc := &handler.RequestConsent{Store: f.store, SFN: f.sfn, Emails: f.emails}
		for i := 0; i < 2; i++ {
			if got := f.run(rc, handler.TaskInput{Phase: handler.PhaseExpire}); got != handler.OutcomeExpired {
				t.Fatalf("expire %d = %q", i+1, got)
			}
		}
		if f.status() != refund.StatusExpired {
			t.Errorf("status %s", f.status())
		}
	})
}

func TestNotifyMailIsRetriedUntilSentAndSentOnce(t *testing.T) {
	f := newTaskFixture(t, refund.ServiceHours)
	if got := f.run(&handler.VerifyConditions{Store: f.store}, handler.TaskInput{}); got != handler.OutcomeVerified {
		t.Fatal(got)
	}
	n := &handler.Notify{Store: f.store, Emails: f.emails}
	f.mail.fail = 1
	if _, err := n.Handle(f.ctx, handler.TaskInput{RequestID: f.id, Event: handler.EventReceived}); err == nil {
		t.Fatal("a failed send must fail the step, so Step Functions retries it")
	}
	for i := 0; i < 3; i++ {
		f.run(n, handler.TaskInput{Event: handler.EventReceived})
	}
	if got := strings.Join(f.mail.kinds(), ","); got != "received" {
		t.Errorf("emails = %s, want exactly one received", got)
	}
	if got := f.run(n, handler.TaskInput{Event: handler.EventOutcome}); got != handler.OutcomeSkipped {
		t.Errorf("outcome of an open request = %q, want skipped", got)
	}
	if _, err := n.Handle(f.ctx, handler.TaskInput{RequestID: f.id, Event: "party"}); err == nil {
		t.Error("unknown event accepted")
	}
}

// Every outcome email links to the status page with a fresh status code, as the received email does:
// the link opens the page of this request, and only the code's hash is stored.
func TestNotifyOutcomeEmailsLinkToTheStatusPage(t *testing.T) {
	statusLink := regexp.MustCompile(`https://refunds\.example\.com/requests/req-1\?t=([A-Za-z0-9_-]+)`)
	for _, tc := range []struct {
		name string
		end  func(f *taskFixture)
		kind mail.Kind
	}{
		{"completed", func(f *taskFixture) {
			f.accept()
			gw := sandbox.New(f.store.Client, f.store.Table)
			if err := gw.Capture(f.ctx, "pi_1", refund.Money{Amount: 80000, Currency: "EUR"}); err != nil {
				f.t.Fatal(err)
			}
			f.run(&handler.ExecuteResolution{Store: f.store, Payment: gw}, handler.TaskInput{})
		}, mail.KindCompleted},
		{"expired", func(f *taskFixture) {
			f.run(&handler.RequestConsent{Store: f.store, SFN: f.sfn, Emails: f.emails}, handler.TaskInput{Phase: handler.PhaseExpire})
		}, mail.KindExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newTaskFixture(t, refund.ServiceHours)
			f.toConsent()
			tc.end(f)
			n := &handler.Notify{Store: f.store, Emails: f.emails}
			f.run(n, handler.TaskInput{Event: handler.EventOutcome})
			msg := f.mail.msgs[len(f.mail.msgs)-1]
			if msg.Kind != tc.kind {
				t.Fatalf("last email is %s, want %s", msg.Kind, tc.kind)
			}
			m := statusLink.FindStringSubmatch(msg.Text)
			if m == nil {
				t.Fatalf("%s email has no status link:\n%s", tc.kind, msg.Text)
			}
			if !strings.Contains(msg.HTML, m[0]) {
				t.Errorf("%s HTML lacks the status link", tc.kind)
			}
			link, err := f.store.LookupLinkCode(f.ctx, dynamo.HashCode(m[1]), dynamo.LinkStatus)
			if err != nil || link.RequestID != f.id || link.Hash != dynamo.HashCode(m[1]) {
				t.Errorf("status code of the %s email: %+v, %v", tc.kind, link, err)
			}
		})
	}
}

// The audit detail of the offer phase counts the offers in words people read: "1 offer sent".
func TestRequestConsentAuditCountsOffers(t *testing.T) {
	for _, service := range []refund.ServiceType{refund.ServiceProject, refund.ServiceHours} {
		f := newTaskFixture(t, service)
		f.toConsent()
		offers, _, err := f.store.ListOffers(f.ctx, f.id)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%d offers sent", len(offers))
		if len(offers) == 1 {
			want = "1 offer sent"
		}
		entries, err := f.store.ListAudit(f.ctx, f.id)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		for _, e := range entries {
			if e.To == refund.StatusAwaitingConsent {
				got = e.Detail
			}
		}
		if got != want {
			t.Errorf("%s: audit detail %q, want %q", service, got, want)
		}
	}
}

func TestExecuteResolutionRefusals(t *testing.T) {
	t.Run("not executing", func(t *testing.T) {
		f := newTaskFixture(t, refund.ServiceHours)
		f.toConsent()
		_, err := (&handler.ExecuteResolution{Store: f.store}).Handle(f.ctx, handler.TaskInput{RequestID: f.id})
		var refused *handler.ExecutionRefused
		if !errors.As(err, &refused) {
			t.Fatalf("execute before consent = %v, want ExecutionRefused", err)
		}
	})
	t.Run("the agreement text changed", func(t *testing.T) {
		f := newTaskFixture(t, refund.ServiceHours)
		f.toConsent()
		f.accept()
		o, _ := f.store.GetOrder(f.ctx, "RF-1")
		o.CustomerName = "Ana López-García" // the agreement names the customer
		if _, err := f.store.PutOrder(f.ctx, o); err != nil {
			t.Fatal(err)
		}
		gw := sandbox.New(f.store.Client, f.store.Table)
		_ = gw.Capture(f.ctx, "pi_1", refund.Money{Amount: 80000, Currency: "EUR"})
		h := lambda.NewHandler((&handler.ExecuteResolution{Store: f.store, Payment: gw}).Handle)
		_, err := h.Invoke(f.ctx, []byte(`{"requestId":"req-1"}`))
		if err == nil {
			t.Fatal("execution went ahead after the agreement changed")
		}
		if got := stepfunctions.LambdaErrorType(err); got != "ExecutionRefused" {
			t.Errorf("error name = %q, want ExecutionRefused (the client accepted another text)", got)
		}
		if refunds, _ := f.store.ListOrderRefunds(f.ctx, "RF-1"); len(refunds) != 0 {
			t.Errorf("refund records %+v, want none", refunds)
		}
		if st, _ := gw.Payment(f.ctx, "pi_1"); len(st.Refunds) != 0 {
			t.Errorf("provider refunds %+v, want none", st.Refunds)
		}
	})
	t.Run("error names the state machine retries on", func(t *testing.T) {
		f := newTaskFixture(t, refund.ServiceHours)
		f.toConsent()
		f.accept()
		gw := sandbox.New(f.store.Client, f.store.Table)
		if err := gw.Capture(f.ctx, "pi_1", refund.Money{Amount: 80000, Currency: "EUR"}); err != nil {
			t.Fatal(err)
		}
		h := lambda.NewHandler((&handler.ExecuteResolution{Store: f.store, Payment: gw}).Handle)
		gw.FailNext(1, sandbox.FaultUnavailable)
		_, err := h.Invoke(f.ctx, []byte(`{"requestId":"req-1"}`))
		if got := stepfunctions.LambdaErrorType(err); got != "PaymentUnavailable" {
			t.Errorf("unavailable provider reported as %q (%v), want PaymentUnavailable", got, err)
		}
		gw.FailNext(1, sandbox.FaultDeclined)
		_, err = h.Invoke(f.ctx, []byte(`{"requestId":"req-1"}`))
		if got := stepfunctions.LambdaErrorType(err); got != "PaymentDeclined" {
			t.Errorf("refusal reported as %q (%v), want PaymentDeclined", got, err)
		}
		// The refusal released the reservation; running again does not start a second attempt.
		_, err = h.Invoke(f.ctx, []byte(`{"requestId":"req-1"}`))
		if got := stepfunctions.LambdaErrorType(err); got != "PaymentDeclined" {
			t.Errorf("after a refusal: %q (%v), want PaymentDeclined again", got, err)
		}
		st, _ := gw.Payment(f.ctx, "pi_1")
		if len(st.Refunds) != 0 {
			t.Errorf("provider refunds %+v, want none", st.Refunds)
		}
	})
}

func TestMarkNeedsAttention(t *testing.T) {
	f := newTaskFixture(t, refund.ServiceHours)
	h := &handler.MarkNeedsAttention{Store: f.store}
	long := strings.Repeat("E", 500)
	for i := 0; i < 2; i++ {
		if got := f.run(h, handler.TaskInput{Error: long}); got != handler.OutcomeNeedsAttention {
			t.Fatalf("run %d = %q", i+1, got)
		}
	}
	audit, _ := f.store.ListAudit(f.ctx, f.id)
	moves := 0
	for _, e := range audit {
		if e.To == refund.StatusNeedsAttention {
			moves++
			if len(e.Detail) > 200 {
				t.Errorf("audit detail of %d bytes; the error name must be bounded", len(e.Detail))
			}
		}
	}
	if moves != 1 {
		t.Errorf("%d moves to needs_attention, want 1", moves)
	}

	g := newTaskFixture(t, refund.ServiceHours)
	if err := g.store.Transition(g.ctx, g.id, refund.StatusSubmitted, refund.StatusWithdrawn, 1, dynamo.AuditEntry{Actor: dynamo.ActorClient}); err != nil {
		t.Fatal(err)
	}
	if got := g.run(&handler.MarkNeedsAttention{Store: g.store}, handler.TaskInput{Error: "States.Timeout"}); got != "withdrawn" {
		t.Errorf("a final status stands: got %q, want withdrawn", got)
	}
}

func TestStaffReviewAlreadyDecided(t *testing.T) {
	f := newTaskFixture(t, refund.ServiceHours)
	if err := f.store.Transition(f.ctx, f.id, refund.StatusSubmitted, refund.StatusInReview, 1, dynamo.AuditEntry{Actor: dynamo.ActorClient}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Transition(f.ctx, f.id, refund.StatusInReview, refund.StatusReviewRejected, 2, dynamo.AuditEntry{Actor: dynamo.StaffActor("s1")}, dynamo.WithReviewMessage("No.")); err != nil {
		t.Fatal(err)
	}
	h := &handler.RequestStaffReview{Store: f.store, SFN: f.sfn, Emails: f.emails}
	if got := f.run(h, handler.TaskInput{TaskToken: "token-review"}); got != handler.OutcomeRejected {
		t.Fatalf("review of a rejected request = %q, want rejected", got)
	}
	if len(f.sfn.sent) != 1 || f.sfn.sent[0] != `token-review {"outcome":"rejected"}` {
		t.Errorf("SendTaskSuccess calls = %q", f.sfn.sent)
	}
	if len(f.mail.kinds()) != 0 {
		t.Errorf("staff were asked to review a decided request: %v", f.mail.kinds())
	}
}

// blockingSender holds every Send until release is closed, telling started when the first begins.
type blockingSender struct {
	inner   handler.Mailer
	once    sync.Once
	started chan struct{}
	release chan struct{}
}

func (s *blockingSender) Send(ctx context.Context, m mail.Message) (string, error) {
	s.once.Do(func() { close(s.started) })
	<-s.release
	return s.inner.Send(ctx, m)
}

// Two runs of one Notify step at the same instant (Step Functions retrying an invocation that still
// runs) send one email: the second waits for the first, or fails with the retryable MailInProgress.
func TestNotifyRunsAtTheSameInstantSendOnce(t *testing.T) {
	f := newTaskFixture(t, refund.ServiceHours)
	if got := f.run(&handler.VerifyConditions{Store: f.store}, handler.TaskInput{}); got != handler.OutcomeVerified {
		t.Fatal(got)
	}
	in := handler.TaskInput{RequestID: f.id, Event: handler.EventReceived}
	sender := &blockingSender{inner: f.mail, started: make(chan struct{}), release: make(chan struct{})}
	notifier := func(wait time.Duration) *handler.Notify {
		e := f.emails
		e.Sender, e.Wait = sender, wait
		return &handler.Notify{Store: f.store, Emails: e}
	}
	first := make(chan error, 1)
	go func() {
		out, err := notifier(0).Handle(f.ctx, in)
		if err == nil && out.Outcome != handler.EventReceived {
			err = fmt.Errorf("first run's outcome %q, want %q", out.Outcome, handler.EventReceived)
		}
		first <- err
	}()
	<-sender.started // the first run holds the claim and is sending

	// A second run that gives up quickly fails with the error the state machine retries.
	_, err := notifier(30*time.Millisecond).Handle(f.ctx, in)
	var busy *handler.MailInProgress
	if !errors.As(err, &busy) {
		t.Fatalf("second run while the first sends: %v, want *MailInProgress", err)
	}
	if got := stepfunctions.LambdaErrorType(err); got != "MailInProgress" {
		t.Errorf("Lambda error type %q, want MailInProgress (statemachine/refund.asl.json retries that name)", got)
	}

	// A third run that waits sees the first one finish and sends nothing.
	third := make(chan string, 1)
	go func() {
		out, err := notifier(10*time.Second).Handle(f.ctx, in)
		if err != nil {
			t.Error(err)
		}
		third <- out.Outcome
	}()
	close(sender.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if got := <-third; got != handler.OutcomeSkipped {
		t.Errorf("waiting run's outcome %q, want skipped", got)
	}
	if got := strings.Join(f.mail.kinds(), ","); got != "received" {
		t.Errorf("emails = %s, want exactly one received", got)
	}
}
