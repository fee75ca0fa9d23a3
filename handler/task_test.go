package handler_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/handler"
	"refundflow/infra/local/stepfunctions"
	"refundflow/mail"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

func TestVerifyConditionsRejectsAndStaysRejected(t *testing.T) {
	f := newTaskFixture(t, refund.ServiceHours)
	// The order's email changed on record: the submission no longer matches it.
	o := f.order
	o.Email = "other@example.com"
	if _, err := f.store.PutOrder(f.ctx, o); err != nil {
		t.Fatal(err)
	}
	h := handler.VerifyConditions{Store: f.store}
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
		rc := handler.RequestConsent{Store: f.store, Waits: f.waits, Emails: f.emails}
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
		rc := handler.RequestConsent{Store: f.store, Waits: f.waits, Emails: f.emails}
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
		rc := handler.RequestConsent{Store: f.store, Waits: f.waits, Emails: f.emails}
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
		rc := handler.RequestConsent{Store: f.store, Waits: f.waits, Emails: f.emails}
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
	if got := f.run(handler.VerifyConditions{Store: f.store}, handler.TaskInput{}); got != handler.OutcomeVerified {
		t.Fatal(got)
	}
	n := handler.Notify{Store: f.store, Emails: f.emails}
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
			f.run(handler.ExecuteResolution{Store: f.store, Payment: gw}, handler.TaskInput{})
		}, mail.KindCompleted},
		{"expired", func(f *taskFixture) {
			f.run(handler.RequestConsent{Store: f.store, Waits: f.waits, Emails: f.emails}, handler.TaskInput{Phase: handler.PhaseExpire})
		}, mail.KindExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newTaskFixture(t, refund.ServiceHours)
			f.toConsent()
			tc.end(f)
			n := handler.Notify{Store: f.store, Emails: f.emails}
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
			link, err := f.store.LookupLinkCode(f.ctx, refund.HashCode(m[1]), refund.LinkStatus)
			if err != nil || link.RequestID != f.id || link.Hash != refund.HashCode(m[1]) {
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
		_, err := (handler.ExecuteResolution{Store: f.store}).Handle(f.ctx, handler.TaskInput{RequestID: f.id})
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
		gw := f.gateway()
		h := lambda.NewHandler((handler.ExecuteResolution{Store: f.store, Payment: gw}).Handle)
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
		gw := f.gateway()
		h := lambda.NewHandler((handler.ExecuteResolution{Store: f.store, Payment: gw}).Handle)
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
	h := handler.MarkNeedsAttention{Store: f.store}
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
	if err := g.store.Transition(g.ctx, g.id, refund.StatusSubmitted, refund.StatusWithdrawn, 1, refund.AuditEntry{Actor: refund.ActorClient}); err != nil {
		t.Fatal(err)
	}
	if got := g.run(handler.MarkNeedsAttention{Store: g.store}, handler.TaskInput{Error: "States.Timeout"}); got != "withdrawn" {
		t.Errorf("a final status stands: got %q, want withdrawn", got)
	}
}

func TestStaffReviewAlreadyDecided(t *testing.T) {
	f := newTaskFixture(t, refund.ServiceHours)
	if err := f.store.Transition(f.ctx, f.id, refund.StatusSubmitted, refund.StatusInReview, 1, refund.AuditEntry{Actor: refund.ActorClient}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Transition(f.ctx, f.id, refund.StatusInReview, refund.StatusReviewRejected, 2, refund.AuditEntry{Actor: refund.StaffActor("s1")}, refund.WithReviewMessage("No.")); err != nil {
		t.Fatal(err)
	}
	h := handler.RequestStaffReview{Store: f.store, Waits: f.waits, Emails: f.emails}
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
	if got := f.run(handler.VerifyConditions{Store: f.store}, handler.TaskInput{}); got != handler.OutcomeVerified {
		t.Fatal(got)
	}
	in := handler.TaskInput{RequestID: f.id, Event: handler.EventReceived}
	sender := &blockingSender{inner: f.mail, started: make(chan struct{}), release: make(chan struct{})}
	notifier := func(wait time.Duration) handler.Notify {
		e := f.emails
		d := e.Delivery.(handler.RenderAndSend)
		d.Sender = sender
		e.Delivery, e.Wait = d, wait
		return handler.Notify{Store: f.store, Emails: e}
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

// ledgerDown is the table with its ApplyProviderRefund failing: the provider refunded, and the step
// could not record it. A fake of one operation of the step's port, the rest the real store.
type ledgerDown struct {
	handler.ExecuteResolutionStore
	fails int
}

func (l *ledgerDown) ApplyProviderRefund(ctx context.Context, orderNumber string, p refund.ProviderRefund, audit refund.AuditEntry) (refund.RefundRecord, refund.LedgerChange, error) {
	if l.fails > 0 {
		l.fails--
		return refund.RefundRecord{}, refund.LedgerChange{}, errors.New("ProvisionedThroughputExceededException (injected)")
	}
	return l.ExecuteResolutionStore.ApplyProviderRefund(ctx, orderNumber, p, audit)
}

// A refund the provider made but the ledger could not record stays reserved, and the retry sends
// the same idempotency key: the provider answers with its first refund, and the money moves once.
func TestExecuteResolutionRecordsAProviderRefundItCouldNotRecordBefore(t *testing.T) {
	f := newTaskFixture(t, refund.ServiceHours)
	f.toConsent()
	f.accept()
	gw := f.gateway()
	h := handler.ExecuteResolution{Store: &ledgerDown{ExecuteResolutionStore: f.store, fails: 1}, Payment: gw}
	if _, err := h.Handle(f.ctx, handler.TaskInput{RequestID: f.id}); err == nil {
		t.Fatal("the step succeeded although it could not record the refund")
	}
	rec, err := f.store.GetRefund(f.ctx, "RF-1", f.id, 1)
	if err != nil || rec.State != refund.RefundReserved {
		t.Fatalf("after the failed record: %+v, %v; want the refund still reserved", rec, err)
	}
	if got := f.run(h, handler.TaskInput{}); got != handler.OutcomeCompleted {
		t.Fatalf("retry = %q, want completed", got)
	}
	st, _ := gw.Payment(f.ctx, "pi_1")
	if len(st.Refunds) != 1 || st.Refunds[0].IdempotencyKey != refund.RefundIdempotencyKey(f.id, 1) {
		t.Fatalf("provider refunds %+v, want one with key %s", st.Refunds, refund.RefundIdempotencyKey(f.id, 1))
	}
	if rec, _ := f.store.GetRefund(f.ctx, "RF-1", f.id, 1); rec.State != refund.RefundSucceeded || rec.ProviderRefundID != st.Refunds[0].Refund.ID {
		t.Errorf("ledger record %+v, want succeeded with the provider's refund", rec)
	}
}

// VerifyConditions and ProposeResolution route every outcome but the one their Next goes on with by
// an error whose Lambda error type the state machine catches (RequestClosed, StaffReviewNeeded,
// RequestNeedsAttention), the
// same on a retry, and log it as an outcome, not at level ERROR.
func TestSyncStepsRouteByNamedErrors(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	wantRoute := func(t *testing.T, err error, errorType, outcome string) {
		t.Helper()
		if got := stepfunctions.LambdaErrorType(err); got != errorType {
			t.Errorf("Lambda error type %q (%v), want %q", got, err, errorType)
		}
		if got, ok := handler.RoutedOutcome(err); !ok || got != outcome {
			t.Errorf("routed outcome %q, %v; want %q", got, ok, outcome)
		}
	}

	t.Run("rejected", func(t *testing.T) {
		f := newTaskFixture(t, refund.ServiceHours)
		o := f.order
		o.Email = "other@example.com" // no longer matches the submission
		if _, err := f.store.PutOrder(f.ctx, o); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			out, err := handler.VerifyConditions{Store: f.store, Logger: log}.Handle(f.ctx, handler.TaskInput{RequestID: f.id})
			if out.Outcome != "" {
				t.Errorf("result %+v, want none", out)
			}
			wantRoute(t, err, "RequestClosed", handler.OutcomeRejected)
		}
		_, err := handler.ProposeResolution{Store: f.store, Logger: log}.Handle(f.ctx, handler.TaskInput{RequestID: f.id})
		wantRoute(t, err, "RequestClosed", handler.OutcomeRejected)
	})

	t.Run("review", func(t *testing.T) {
		f := newTaskFixture(t, refund.ServiceHours)
		o := f.order
		o.Disputed = true // staff decide on disputed orders
		if _, err := f.store.PutOrder(f.ctx, o); err != nil {
			t.Fatal(err)
		}
		out, err := handler.VerifyConditions{Store: f.store, Logger: log}.Handle(f.ctx, handler.TaskInput{RequestID: f.id})
		if err != nil || out.Outcome != handler.OutcomeVerified {
			t.Fatalf("verify = %+v, %v; want verified as the result", out, err)
		}
		for range 2 {
			out, err := handler.ProposeResolution{Store: f.store, Logger: log}.Handle(f.ctx, handler.TaskInput{RequestID: f.id})
			if out.Outcome != "" {
				t.Errorf("result %+v, want none", out)
			}
			wantRoute(t, err, "StaffReviewNeeded", handler.OutcomeReview)
		}
		if f.status() != refund.StatusInReview {
			t.Errorf("status %s, want in_review", f.status())
		}
	})

	// A request that already needs attention when an execution starts (a completed request
	// reopened because its refund failed later, whose new execution StripeWebhook started): verified
	// before, it still routes to the staff-action wait, never on to the offers.
	t.Run("needs attention", func(t *testing.T) {
		f := newTaskFixture(t, refund.ServiceHours)
		f.run(handler.VerifyConditions{Store: f.store}, handler.TaskInput{})
		req, err := f.store.GetRequest(f.ctx, f.id)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.store.Transition(f.ctx, f.id, req.Status, refund.StatusNeedsAttention, req.Version,
			refund.AuditEntry{Actor: "system:test", Detail: "test"}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			out, err := handler.VerifyConditions{Store: f.store, Logger: log}.Handle(f.ctx, handler.TaskInput{RequestID: f.id})
			if out.Outcome != "" {
				t.Errorf("result %+v, want none", out)
			}
			wantRoute(t, err, "RequestNeedsAttention", handler.OutcomeNeedsAttention)
		}
		if f.status() != refund.StatusNeedsAttention {
			t.Errorf("status %s, want needs_attention", f.status())
		}
	})

	t.Run("consent", func(t *testing.T) {
		f := newTaskFixture(t, refund.ServiceHours)
		f.run(handler.VerifyConditions{Store: f.store}, handler.TaskInput{})
		out, err := handler.ProposeResolution{Store: f.store, Logger: log}.Handle(f.ctx, handler.TaskInput{RequestID: f.id})
		if err != nil || out.Outcome != handler.OutcomeConsent {
			t.Fatalf("propose = %+v, %v; want consent as the result", out, err)
		}
	})

	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("a routed outcome was logged as an error:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"outcome":"rejected"`) || !strings.Contains(logs.String(), `"outcome":"review"`) {
		t.Errorf("the routed outcomes are not logged:\n%s", logs.String())
	}
}
