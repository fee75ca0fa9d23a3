package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"refundflow/awsenv/httpclient"
	"refundflow/dynamo"
	"refundflow/infra/local/outbox"
	"refundflow/refund"
)

// The data directory tests stop a stack and start another on the same directory (on another port,
// as after a restart where the old port is still taken), and check over HTTP that the second one
// carries on where the first stopped.

// startDataStack starts a stack with the demo orders that keeps its state in dir; a cleanup closes
// it unless the test did (closing twice saves once).
func startDataStack(t *testing.T, dir string) *Stack {
	t.Helper()
	s, err := Start(context.Background(), Config{Addr: "127.0.0.1:0", Demo: true, DataDir: dir, SaveInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("start the stack on %s: %v", dir, err)
	}
	t.Cleanup(func() { closeStack(t, s) })
	return s
}

func closeStack(t *testing.T, s *Stack) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Errorf("close the stack: %v", err)
	}
}

// onStack returns the link of an email of an earlier run, pointed at stack s: same path and query,
// s's address (what the banner tells a person to do after a restart on another port).
func onStack(t *testing.T, s *Stack, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(s.URL)
	u.Scheme, u.Host = base.Scheme, base.Host
	return u.String()
}

// moveTo points a visitor (its cookie jar included) at another stack.
func (v *visitor) moveTo(s *Stack) { v.base = s.URL }

func TestDataDirCarriesARequestAcrossRestarts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := startDataStack(t, dir)
	if first.Restored {
		t.Fatalf("a new data directory was restored")
	}
	client := newVisitor(t, first)
	order := demoOrder(t, first, "RF-1001")
	statusURL := client.submitForm(order, refund.KindRefund, refund.ReasonChangedMind, "Before the restart.").URL
	id := requestID(t, statusURL)
	offers := client.waitMail(order.Email, "Your options for order "+order.Number)
	consentURL := link(t, offers, "/consent/")
	client.waitStatus(statusURL, refund.StatusAwaitingConsent)
	// The client opens the consent page before the restart and answers after it: the form must
	// still be accepted.
	cp := client.get(consentURL)
	if cp.Status != http.StatusOK {
		t.Fatalf("consent page: %s", cp)
	}
	form := formWith(t, cp, "consent-accept")
	token, billing, firstURL := first.StaffToken, first.BillingToken, first.URL
	demo := first.Demo
	// A demo order deleted by hand stays deleted: demo data is seeded only into a new table.
	if _, err := outsideDynamoDB(first).DeleteItem(context.Background(), &dynamodb.DeleteItemInput{
		TableName: aws.String(first.TableName),
		Key:       map[string]ddbtypes.AttributeValue{"PK": &ddbtypes.AttributeValueMemberS{Value: "ORDER#RF-1003"}, "SK": &ddbtypes.AttributeValueMemberS{Value: "ORDER"}},
	}); err != nil {
		t.Fatal(err)
	}
	closeStack(t, first)
	if _, err := os.Stat(filepath.Join(dir, StateFile)); err != nil {
		t.Fatalf("no state file after Close: %v", err)
	}

	second := startDataStack(t, dir)
	if !second.Restored || second.PreviousURL != firstURL || second.URL == firstURL {
		t.Fatalf("second start: restored %v, previous URL %q (first was %q, now %q)", second.Restored, second.PreviousURL, firstURL, second.URL)
	}
	if !reflect.DeepEqual(second.Demo, demo) {
		t.Errorf("demo orders after the restart %+v, want those of the first start %+v", second.Demo, demo)
	}
	if _, err := dynamo.New(second.DynamoDB, second.TableName).GetOrder(context.Background(), "RF-1003"); refund.ErrorCode(err) != refund.CodeNotFound {
		t.Errorf("the deleted demo order after the restart: %v, want not found (no seeding into a restored table)", err)
	}
	for _, d := range second.DemoStatus(context.Background()) {
		if d.Order.Number == "RF-1003" && !strings.HasPrefix(d.Outcome, "refused: the order is no longer in the table") {
			t.Errorf("the deleted demo order is shown as leading to %q", d.Outcome)
		}
	}
	if second.StaffToken != token || second.BillingToken != billing || billing == "" {
		t.Errorf("the staff or billing token changed across the restart")
	}

	// The email is in the restored outbox, as it was.
	client.moveTo(second)
	var kept outbox.Message
	for _, m := range client.outboxMessages() {
		if m.ID == offers.ID {
			kept = m
		}
	}
	if kept.ID == "" || !reflect.DeepEqual(kept.Links, offers.Links) || !kept.SentAt.Equal(offers.SentAt) {
		t.Fatalf("the options email after the restart: %+v, want %+v", kept, offers)
	}
	// Its link, on the new address, still opens the consent page.
	if p := client.get(onStack(t, second, link(t, kept, "/consent/"))); p.Status != http.StatusOK {
		t.Fatalf("consent link after the restart: %s", p)
	}
	// The form loaded before the restart is accepted after it.
	choice := consentChoice(t, form, refund.OfferFullRefund)
	form.Values.Set("offer", choice)
	form.Values.Set("full_name", order.CustomerName)
	form.Values.Set("agree", "yes")
	done := client.postForm(form.Action, form.Values)
	if done.Status != http.StatusSeeOther {
		t.Fatalf("accept after the restart with the form from before: %s", done)
	}
	client.waitStatus(onStack(t, second, statusURL), refund.StatusCompleted)
	client.waitMail(order.Email, "Your refund for order "+order.Number+" has been issued")

	// The staff token printed by the first start works on the second.
	staff := staffVisitor{visitor: newVisitor(t, second), token: token}
	checkMoney(t, second, staff, id, order.Paid)

	// The workflow's whole history is there, from before and after the restart.
	out, err := sfnClient(second).GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{
		ExecutionArn: aws.String(executionArn(second, id)), MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Events[0].Type; got != "ExecutionStarted" || out.Events[len(out.Events)-1].Type != "ExecutionSucceeded" {
		t.Errorf("history from %s to %s", got, out.Events[len(out.Events)-1].Type)
	}
}

// TestDataDirExpiresAfterARestartWithTimeTravel: the clock's offset is kept, and a consent that is
// waiting when the stack stops expires on time after it starts again.
func TestDataDirExpiresAfterARestartWithTimeTravel(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := startDataStack(t, dir)
	client := newVisitor(t, first)
	order := demoOrder(t, first, "RF-1004")
	statusURL := client.submitForm(order, refund.KindRefund, refund.ReasonNoLongerNeeded, "").URL
	client.waitMail(order.Email, "Your options for order "+order.Number)
	client.waitStatus(statusURL, refund.StatusAwaitingConsent)
	travelBy(t, client, "7d")
	client.waitMail(order.Email, "Reminder: your options for order "+order.Number)
	offset := first.Clock.Offset()
	closeStack(t, first)

	second := startDataStack(t, dir)
	if got := second.Clock.Offset(); got < offset {
		t.Errorf("clock offset after the restart %v, want at least %v", got, offset)
	}
	client.moveTo(second)
	statusURL = onStack(t, second, statusURL)
	client.waitStatus(statusURL, refund.StatusAwaitingConsent)
	travelBy(t, client, "7d")
	client.waitMail(order.Email, "Our offer for order "+order.Number+" has expired")
	client.waitStatus(statusURL, refund.StatusExpired)
}

// travelBy moves the stack's clock over HTTP, as a person does.
func travelBy(t *testing.T, v *visitor, amount string) {
	t.Helper()
	p := v.do(http.MethodPost, "/_local/clock", strings.NewReader(`{"advance":"`+amount+`"}`), map[string]string{"Content-Type": "application/json"})
	if p.Status != http.StatusOK {
		t.Fatalf("time travel %s: %s", amount, p)
	}
}

// TestDataDirRunsATaskInFlightAgain stops a stack while a workflow task is still running (its
// function hangs until the stop cancels it): the state is saved with the task in flight, and the
// next start runs it again, so the request goes on.
func TestDataDirRunsATaskInFlightAgain(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := startDataStack(t, dir)
	running := make(chan struct{}, 1)
	first.Engine.RegisterFunction("VerifyConditionsFunction", lambda.NewHandler(func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		running <- struct{}{}
		<-ctx.Done() // hangs until Close cancels it
		return nil, ctx.Err()
	}))
	client := newVisitor(t, first)
	order := demoOrder(t, first, "RF-1001")
	statusURL := client.submitForm(order, refund.KindRefund, refund.ReasonChangedMind, "").URL
	id := requestID(t, statusURL)
	select {
	case <-running:
	case <-time.After(waitFor):
		t.Fatal("the workflow did not start verifying")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond) // the drain gives up
	if err := first.Close(ctx); err != nil {
		t.Errorf("Close with a task that does not finish in time: %v", err)
	}
	cancel()

	second := startDataStack(t, dir)
	client.moveTo(second)
	offers := client.waitMail(order.Email, "Your options for order "+order.Number)
	accept(t, client, onStack(t, second, link(t, offers, "/consent/")), refund.OfferFullRefund, order.CustomerName)
	client.waitStatus(onStack(t, second, statusURL), refund.StatusCompleted)
	checkMoney(t, second, newStaff(t, second), id, order.Paid)

	// One attempt of VerifyConditions in the history: the one cut short and run again.
	out, err := sfnClient(second).GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{
		ExecutionArn: aws.String(executionArn(second, id)), MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	scheduled := 0
	for _, ev := range out.Events {
		if ev.Type == "TaskStateEntered" && aws.ToString(ev.StateEnteredEventDetails.Name) == "VerifyConditions" {
			scheduled++
		}
	}
	if scheduled != 1 {
		t.Errorf("VerifyConditions entered %d times, want 1", scheduled)
	}
}

// TestDataDirSavesWhileRunning: a stack killed without Close (kill -9) loses little, because it saves
// while it runs. The state file is copied while the first stack still runs, as a kill would leave
// it, and a second stack carries on from the copy.
func TestDataDirSavesWhileRunning(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := startDataStack(t, dir)
	client := newVisitor(t, first)
	order := demoOrder(t, first, "RF-1001")
	statusURL := client.submitForm(order, refund.KindRefund, refund.ReasonChangedMind, "").URL
	offers := client.waitMail(order.Email, "Your options for order "+order.Number)
	client.waitStatus(statusURL, refund.StatusAwaitingConsent)
	var state []byte
	eventually(t, "the options email in the saved state", func() bool {
		data, err := os.ReadFile(filepath.Join(dir, StateFile))
		if err != nil {
			return false
		}
		state = data
		return bytes.Contains(data, []byte(offers.ID)) && bytes.Contains(data, []byte("RequestConsent"))
	})
	killed := t.TempDir()
	if err := os.WriteFile(filepath.Join(killed, StateFile), state, 0o600); err != nil {
		t.Fatal(err)
	}
	// Once the workflow is parked and the last change saved, nothing changes: no more saves (the file
	// stays byte for byte the same).
	if err := first.Engine.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the last change saved", func() bool { return first.fingerprint() == first.persist.lastSaved() })
	before, _ := os.ReadFile(filepath.Join(dir, StateFile))
	time.Sleep(200 * time.Millisecond)
	after, _ := os.ReadFile(filepath.Join(dir, StateFile))
	if !bytes.Equal(before, after) {
		t.Errorf("the state was saved again although nothing changed")
	}

	second := startDataStack(t, killed)
	client.moveTo(second)
	accept(t, client, onStack(t, second, link(t, offers, "/consent/")), refund.OfferFullRefund, order.CustomerName)
	client.waitStatus(onStack(t, second, statusURL), refund.StatusCompleted)
}

func TestDataDirRefusesStateItCannotUse(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startDataStack(t, dir)
	closeStack(t, s)
	good, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(good, &doc); err != nil {
		t.Fatal(err)
	}
	with := func(key, value string) string {
		d := map[string]json.RawMessage{}
		for k, v := range doc {
			d[k] = v
		}
		d[key] = json.RawMessage(value)
		b, _ := json.Marshal(d)
		return string(b)
	}
	for _, tc := range []struct {
		name, content string
		cfg           func(*Config)
		want          string
	}{
		{"not JSON", "\x00garbage", nil, "is not a Refundflow state file"},
		{"another file", `{"hello":"world"}`, nil, `is not a Refundflow state file (format "")`},
		{"newer version", with("version", "99"), nil, "was written by another version of Refundflow (state format 99; this one reads 1)"},
		{"damaged", with("outbox", `"not a list"`), nil, "is damaged"},
		{"old engine snapshot", with("stepFunctions", `{"format":"refundflow-stepfunctions-snapshot","version":0}`), nil,
			"cannot be restored: the workflows: restore: unsupported snapshot version: the snapshot is version 0, this engine reads version 1"},
		{"bad item", with("dynamodb", `{"table":"`+s.TableName+`","items":[{"PK":{"X":"?"}}]}`), nil, `cannot be restored: the table: item 1: attribute "PK": unknown attribute value type "X"`},
		{"embedded state, external table", string(good), func(c *Config) { c.DynamoDBEndpoint = "http://127.0.0.1:1" },
			"was saved with the embedded DynamoDB, so it cannot be used with -dynamodb-endpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, StateFile)
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := Config{Addr: "127.0.0.1:0", Demo: true, DataDir: dir}
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			s, err := Start(context.Background(), cfg)
			if err == nil {
				closeStack(t, s)
				t.Fatal("the stack started")
			}
			var se *StateError
			if !errors.As(err, &se) || se.Path != path {
				t.Fatalf("error %v (%T), want a *StateError about %s", err, err, path)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path+" ") || !strings.Contains(msg, tc.want) || !strings.HasSuffix(msg, "move it away (or use another -data directory) to start afresh") || strings.Contains(msg, "\n") {
				t.Errorf("message:\n%s\nwant one line about %s saying %q and what to do", msg, path, tc.want)
			}
			// A failed start leaves the file as it was.
			if got, _ := os.ReadFile(path); string(got) != tc.content {
				t.Errorf("the state file was changed by a failed start")
			}
		})
	}
}

// sfnClient is the AWS SDK's Step Functions client of an outside tool, at the endpoint the stack prints.
func sfnClient(s *Stack) *sfn.Client {
	return sfn.New(sfn.Options{Region: Region, BaseEndpoint: aws.String(s.StepFunctionsURL), Credentials: outsideDynamoDB(s).Options().Credentials,
		HTTPClient: httpclient.New(nil)})
}

// executionArn is the refund workflow's execution of a request (execution name = request ID).
func executionArn(s *Stack, id string) string {
	return strings.Replace(s.StateMachineARN, ":stateMachine:", ":execution:", 1) + ":" + id
}

// TestDataDirWithAnExternalTable: with -dynamodb-endpoint the endpoint keeps the table and the data
// directory everything else (no items in the state file); the next start on both carries on.
func TestDataDirWithAnExternalTable(t *testing.T) {
	t.Parallel()
	external := startStack(t) // its embedded DynamoDB stands for DynamoDB Local
	dir := t.TempDir()
	start := func() *Stack {
		s, err := Start(context.Background(), Config{Addr: "127.0.0.1:0", Demo: true, DataDir: dir, DynamoDBEndpoint: external.DynamoDBURL})
		if err != nil {
			t.Fatalf("start on the external table: %v", err)
		}
		t.Cleanup(func() { closeStack(t, s) })
		return s
	}
	first := start()
	client := newVisitor(t, first)
	order := demoOrder(t, first, "RF-1004")
	statusURL := client.submitForm(order, refund.KindRefund, refund.ReasonNoLongerNeeded, "").URL
	offers := client.waitMail(order.Email, "Your options for order "+order.Number)
	client.waitStatus(statusURL, refund.StatusAwaitingConsent)
	closeStack(t, first)
	data, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	var st savedState
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	if st.DynamoDB.Endpoint != external.DynamoDBURL || len(st.DynamoDB.Items) != 0 {
		t.Errorf("saved table %q with %d items, want the endpoint %s and no items", st.DynamoDB.Endpoint, len(st.DynamoDB.Items), external.DynamoDBURL)
	}

	second := start()
	if !second.Restored || !second.ReusedTable {
		t.Fatalf("second start: restored %v, reused table %v", second.Restored, second.ReusedTable)
	}
	client.moveTo(second)
	accept(t, client, onStack(t, second, link(t, offers, "/consent/")), refund.OfferPartialRefund, order.CustomerName)
	client.waitStatus(onStack(t, second, statusURL), refund.StatusCompleted)

	// The same directory with the embedded table is refused: its workflows belong to the other table.
	_, err = Start(context.Background(), Config{Addr: "127.0.0.1:0", DataDir: dir})
	var se *StateError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "was saved with the DynamoDB at "+external.DynamoDBURL+", so it cannot be used with the embedded DynamoDB") {
		t.Errorf("embedded start on an external table's directory: %v", err)
	}
}
