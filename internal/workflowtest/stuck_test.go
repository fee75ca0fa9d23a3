package workflowtest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"refundflow/handler"
	"refundflow/refund"
)

// The crash window of a submission (issue 17, defect 4): SubmitRequest stores the request and then
// starts its workflow. If the start fails, or the function dies in between, and the client never
// sends the form again, the scheduled sweeper starts the workflow, and the request completes exactly
// once.

// dyingSFN is the Step Functions client of a SubmitRequest whose process dies at StartExecution: the
// call never reaches Step Functions, and the invocation ends with it.
type dyingSFN struct {
	StepFunctions
	cancel context.CancelFunc
}

func (d dyingSFN) StartExecution(ctx context.Context, _ *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	d.cancel()
	return nil, ctx.Err()
}

// submitOnce posts the form once, as a client that never retries, through submit, and returns the
// answer's status and the id of the request stored for the order.
func (h *harness) submitOnce(ctx context.Context, submit handler.SubmitRequest, o refund.Order) (int, string) {
	h.T.Helper()
	sub := refund.Submission{OrderNumber: o.Number, PurchaseDate: o.PurchaseDate, Email: o.Email,
		Kind: string(refund.KindRefund), Reason: string(refund.ReasonChangedMind), Name: o.CustomerName}
	body, _ := json.Marshal(sub)
	a := Call(ctx, submit.Handle, Event("POST", "/requests", "/requests", "", nil,
		map[string]string{"content-type": "application/json", "accept": "application/json"}, string(body)))
	id, err := h.Store.OpenRequestID(h.Ctx, o.Number)
	if err != nil || id == "" {
		h.T.Fatalf("no request stored for %s (answer %d %s): %v", o.Number, a.Status, a.Body, err)
	}
	h.Track(id)
	return a.Status, id
}

// sweepNow runs one sweep at the harness's time and waits for what it started.
func (h *harness) sweepNow() handler.ResumeReport {
	h.T.Helper()
	rep, err := h.Sweeper().Sweep(h.Ctx)
	if err != nil {
		h.T.Fatalf("sweep: %v (%+v)", err, rep)
	}
	h.idle()
	return rep
}

// noExecution checks that the request has no execution.
func (h *harness) noExecution(id string) {
	h.T.Helper()
	_, err := h.SFN.DescribeExecution(h.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(h.ExecutionArn(id))})
	var dne *sfntypes.ExecutionDoesNotExist
	if !errors.As(err, &dne) {
		h.T.Fatalf("request %s has an execution (%v), want none yet", id, err)
	}
}

func TestSweeperStartsAWorkflowThatNeverStarted(t *testing.T) {
	for _, tc := range []struct {
		name   string
		submit func(h *harness, o refund.Order) (int, string)
	}{
		{"StartExecution failed", func(h *harness, o refund.Order) (int, string) {
			h.Flaky.FailStart.Store(1)
			return h.submitOnce(h.Ctx, h.HTTP.Submit, o)
		}},
		{"the function died before starting it", func(h *harness, o refund.Order) (int, string) {
			ctx, cancel := context.WithCancel(h.Ctx)
			defer cancel()
			submit := h.HTTP.Submit
			submit.Workflow = h.Workflow(dyingSFN{StepFunctions: h.Flaky, cancel: cancel})
			return h.submitOnce(ctx, submit, o)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			o := h.newOrder(refund.ServiceHours)
			status, id := tc.submit(h, o)
			if status < 500 {
				t.Fatalf("the submission answered %d, want a 5xx (the workflow did not start)", status)
			}
			h.WantStatus(id, refund.StatusSubmitted)
			h.noExecution(id)

			// Within StartMinAge the request is left to SubmitRequest and the client's retry.
			h.Clock.Advance(time.Minute)
			if rep := h.sweepNow(); rep.Submitted != 0 {
				t.Fatalf("a sweep a minute later looked at %d submissions, want none yet", rep.Submitted)
			}
			h.noExecution(id)

			h.Clock.Advance(handler.StartMinAge)
			if rep := h.sweepNow(); rep.Submitted != 1 || rep.Started != 1 || rep.Failed != 0 {
				t.Fatalf("sweep after %v: %+v, want the request's workflow started", handler.StartMinAge, rep)
			}
			h.Settle()
			h.WantStatus(id, refund.StatusAwaitingConsent)
			// Later sweeps find nothing to start.
			h.Clock.Advance(handler.StartMinAge)
			if rep := h.sweepNow(); rep.Submitted != 0 {
				t.Errorf("a sweep after the start looked at %d submissions, want none", rep.Submitted)
			}

			h.accept(id, 0)
			h.WantStatus(id, refund.StatusCompleted)
			if r := h.OneProviderRefund(o); r.Refund.Amount.Amount != o.Paid {
				t.Errorf("provider refund %+v, want one of %d", r, o.Paid)
			}
			if got := h.Invoked("ExecuteResolution"); got != 1 {
				t.Errorf("ExecuteResolution ran %d times, want once", got)
			}
		})
	}
}

// A request is legitimately submitted while its workflow verifies it and works out the offers. A
// sweep then (its clock far ahead, so the request looks old) starts nothing new: Step Functions
// returns the running execution, and the request completes once.
func TestSweepWhileTheWorkflowRunsChangesNothing(t *testing.T) {
	h := newHarness(t)
	o := h.newOrder(refund.ServiceHours)
	ahead := h.Sweeper()
	ahead.Clock = func() time.Time { return h.Clock.Now().Add(time.Hour) }
	var rep handler.ResumeReport
	var sweepErr error
	h.Intercept("ProposeResolution", func(ctx context.Context, in handler.TaskInput, next func() (handler.TaskOutput, error)) (handler.TaskOutput, error) {
		rep, sweepErr = ahead.Sweep(ctx)
		return next()
	})
	id := h.submitRequest(o, refund.ReasonChangedMind)
	if sweepErr != nil || rep.Submitted != 1 || rep.Started != 1 {
		t.Fatalf("sweep during the workflow: %+v, %v; want the running execution found", rep, sweepErr)
	}
	h.Intercept("ProposeResolution", nil)
	h.WantStatus(id, refund.StatusAwaitingConsent)
	h.accept(id, 0)
	h.WantStatus(id, refund.StatusCompleted)
	for _, fn := range []string{"VerifyConditions", "ProposeResolution", "ExecuteResolution"} {
		if got := h.Invoked(fn); got != 1 {
			t.Errorf("%s ran %d times, want once (one execution)", fn, got)
		}
	}
	h.OneProviderRefund(o)
}
