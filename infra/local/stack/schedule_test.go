package stack

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"refundflow/dynamo"
	"refundflow/mail"
	"refundflow/refund"
)

func TestParseRate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"rate(5 minutes)", 5 * time.Minute, true},
		{"rate(1 minute)", time.Minute, true},
		{"rate(2 hours)", 2 * time.Hour, true},
		{"rate(1 day)", 24 * time.Hour, true},
		{"rate(0 minutes)", 0, false},
		{"rate(5 weeks)", 0, false},
		{"rate(5minutes)", 0, false},
		{"cron(0/5 * * * ? *)", 0, false},
		{"rate(999999 days)", 0, false},
		{"", 0, false},
	} {
		got, err := parseRate(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseRate(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// travel moves the stack's clock as a person does, through POST /_local/clock.
func travel(t *testing.T, v *visitor, amount string) {
	t.Helper()
	p := v.do(http.MethodPost, "/_local/clock", strings.NewReader(`{"advance":"`+amount+`"}`), map[string]string{"Content-Type": "application/json"})
	if p.Status != http.StatusOK {
		t.Fatalf("time travel %s: %s", amount, p)
	}
}

// TestScheduleRunsOnTheStackClock: the sweeper's schedule runs one period after the start, once per
// period of time travel, and once more at the end of a long jump (runs missed inside it are
// coalesced: one at the first due instant, one at the end).
func TestScheduleRunsOnTheStackClock(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	v := newVisitor(t, s)
	const key = "ResumeDecisionsFunction/Sweep"
	runs := func() int { return s.ScheduleRuns()[key] }
	if got := s.Schedules(); len(got) != 1 || got[0].Function != "ResumeDecisionsFunction" || got[0].Every != 5*time.Minute {
		t.Fatalf("schedules %+v, want the sweeper every 5 minutes", got)
	}
	for _, step := range []struct {
		advance string
		want    int
	}{
		{"4m", 0},
		{"2m", 1},  // 6 minutes: the first run at 5
		{"3m", 1},  // 9
		{"1m", 2},  // 10
		{"7d", 4},  // one at 15 minutes, one at the end of the jump
		{"30s", 4}, // not due yet
	} {
		travel(t, v, step.advance)
		if got := runs(); got != step.want {
			t.Fatalf("after advancing %s: %d runs, want %d", step.advance, got, step.want)
		}
	}
}

// TestScheduleResumesARecordedDecision: a consent recorded in the table while the workflow was not
// told (as when SendTaskSuccess fails) is delivered by the scheduled sweeper on the next run, five
// minutes of time travel later, and the refund completes; no reminder goes out.
func TestScheduleResumesARecordedDecision(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	client := newVisitor(t, s)
	order := demoOrder(t, s, "RF-1004")
	statusURL := client.submitForm(order, refund.KindRefund, refund.ReasonNoLongerNeeded, "").URL
	id := requestID(t, statusURL)
	consentURL := link(t, client.waitMail(order.Email, "Your options for order "+order.Number), "/consent/")
	client.waitStatus(statusURL, refund.StatusAwaitingConsent)

	// Record the acceptance the way RecordConsent does, without the SendTaskSuccess after it.
	ctx := context.Background()
	store := dynamo.New(s.DynamoDB, s.TableName)
	store.Now = s.Clock.Now
	req, err := store.GetRequest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := store.GetOrder(ctx, order.Number)
	if err != nil {
		t.Fatal(err)
	}
	offers, _, err := store.ListOffers(ctx, id)
	if err != nil || len(offers) == 0 {
		t.Fatalf("offers %v, %v", offers, err)
	}
	u, err := url.Parse(consentURL)
	if err != nil {
		t.Fatal(err)
	}
	text := refund.Agreement(stored, req.Request, offers[0])
	c := refund.Consent{RequestID: id, Decision: refund.DecisionAccept, OfferID: offers[0].ID, OfferHash: refund.AgreementHash(offers[0], text),
		AgreementText: text, TypedName: order.CustomerName, LinkHash: refund.HashCode(strings.TrimPrefix(u.Path, "/consent/"))}
	if err := store.RecordConsent(ctx, c, req.Version, refund.AuditEntry{Actor: refund.ActorClient}); err != nil {
		t.Fatalf("record consent: %v", err)
	}
	if _, pending, err := store.GetResume(ctx, id); err != nil || !pending {
		t.Fatalf("resume marker pending %v, %v", pending, err)
	}
	if err := s.Engine.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := store.GetRequest(ctx, id); err != nil || got.Status != refund.StatusExecuting {
		t.Fatalf("before the sweep: %s, %v; want executing, the workflow parked", got.Status, err)
	}

	travel(t, client, "5m")
	client.waitStatus(statusURL, refund.StatusCompleted)
	if _, pending, err := store.GetResume(ctx, id); err != nil || pending {
		t.Errorf("resume marker still pending (%v) after the sweep", err)
	}
	for _, m := range client.outboxMessages() {
		if m.Tags["kind"] == string(mail.KindReminder) && strings.Contains(m.Text, id) {
			t.Errorf("a reminder went out to a client who had accepted")
		}
	}
	if got := s.Clock.Now().Sub(req.UpdatedAt); got > 10*time.Minute {
		t.Errorf("completed %v after the offers, want within minutes", got)
	}
}
