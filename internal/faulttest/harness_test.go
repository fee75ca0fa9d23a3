package faulttest

import (
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"refundflow/internal/workflowtest"
	"refundflow/mail"
	"refundflow/refund"
)

// The fault harness is the shared workflow harness (internal/workflowtest) set up for faults: every
// AWS client with the SDK's production retry settings (DynamoDB: 4 attempts with a 25 ms base
// backoff), so an injected DynamoDB failure is retried exactly as in Lambda; DynamoDB is ddblocal
// behind the fault proxy, while the sandbox payment provider keeps its own records on a client that
// bypasses the proxy, because the provider is not our DynamoDB; the HTTP functions' Step Functions
// client can fail (Harness.Flaky); and the "client" retries a 5xx the way the web form and the JSON
// API ask it to (same Idempotency-Key). A request may end a scenario parked on a consent or review
// wait, as long as that wait times out by itself.

// TestMain silences apigw's default logger: the scenarios fail thousands of calls on purpose, and a
// failed test prints its handlers' logs anyway.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// taskFunctions are the state machine's Lambda functions.
var taskFunctions = workflowtest.TaskFunctions

// interceptor runs instead of a task's handler; next runs the handler (it may be called any number
// of times).
type interceptor = workflowtest.Interceptor

// clientAttempts bounds how often the client retries one action.
const clientAttempts = 20

type harness struct {
	*workflowtest.Harness
	ddb *DynamoDB
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	h := &harness{}
	h.Harness = workflowtest.New(t, workflowtest.Options{
		DynamoDB: func(backend http.Handler) http.Handler {
			h.ddb = NewDynamoDB(backend, 1)
			return h.ddb
		},
		SDKRetries:     true,
		LogLevel:       slog.LevelWarn,
		ClientAttempts: clientAttempts,
		// The longest retry chain, six Lambda retries from 2 s doubling, is about two minutes with
		// full jitter.
		SettleRounds:  4,
		SettleStep:    3 * time.Minute,
		SettleTimeout: 30 * time.Second,
		Parked:        true,
	})
	// Registered after New's, so it runs first: the invariants are checked with the faults off.
	t.Cleanup(h.heal)
	return h
}

// heal switches the faults off: DynamoDB and Step Functions answer again.
func (h *harness) heal() {
	h.ddb.SetFault(nil)
	h.Flaky.Heal()
}

// checkInvariants switches the faults off and checks the invariants mid-scenario (the harness checks
// them again when the test ends).
func (h *harness) checkInvariants() {
	h.T.Helper()
	h.heal()
	h.CheckInvariants()
}

// newOrder stores a project order (see workflowtest.Harness.NewOrder) with its own client email.
func (h *harness) newOrder(opts ...func(*refund.Order)) refund.Order {
	h.T.Helper()
	own := func(o *refund.Order) { o.Email = strings.ToLower(o.Number) + "@example.com" }
	return h.NewOrder(refund.ServiceProject, append([]func(*refund.Order){own}, opts...)...)
}

// disputed sends the order to staff review.
func disputed(o *refund.Order) { o.Disputed = true }

// submitRequest posts the JSON form with an Idempotency-Key, retrying 5xx with the same key, and
// returns the request ID and status code. It does not settle.
func (h *harness) submitRequest(o refund.Order) (id, statusCode string) {
	h.T.Helper()
	return h.SubmitRequest(o, refund.ReasonChangedMind, "idem-"+o.Number)
}

// openConsent GETs the consent page, retrying 5xx.
func (h *harness) openConsent(code string) workflowtest.ConsentPage {
	return h.OpenConsent(code, "GET")
}

// postAccept posts an acceptance of the first offer from an opened page, once.
func (h *harness) postAccept(code string, p workflowtest.ConsentPage) workflowtest.Answer {
	return h.PostConsent(code, p, 0, "")
}

// consentCode returns the code of the latest consent link emailed about the request.
func (h *harness) consentCode(id string) string {
	h.T.Helper()
	return h.ConsentCode(id, mail.KindOffers, mail.KindReminder)
}

// accept opens the latest consent link and accepts the first offer, retrying on 5xx (a retry after a
// lost answer finds the decision recorded: 410 "already recorded"). It returns the answers'
// statuses (only the page's, when the page itself kept failing).
func (h *harness) accept(id string) []int {
	h.T.Helper()
	code := h.consentCode(id)
	p := h.openConsent(code)
	if p.Status >= 500 {
		return []int{p.Status} // the page did not open; the client gives up for now
	}
	if p.Status != http.StatusOK || len(p.Choices) == 0 {
		h.T.Fatalf("consent page of %s answered %d with %d offers", id, p.Status, len(p.Choices))
	}
	var statuses []int
	workflowtest.Retry(clientAttempts, func() workflowtest.Answer {
		a := h.postAccept(code, p)
		statuses = append(statuses, a.Status)
		return a
	})
	return statuses
}
