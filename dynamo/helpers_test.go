package dynamo_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"refundflow/dynamo"
	"refundflow/dynamo/dynamotest"
	"refundflow/refund"
)

// start is the fixed "now" of every test store.
var start = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one test's store on one backend.
type env struct {
	t     *testing.T
	b     *dynamotest.Backend
	s     *dynamo.Store
	clock *clock
	ctx   context.Context
}

// newEnv makes a fresh table on the backend and a store on it with a test clock.
func newEnv(t *testing.T, b *dynamotest.Backend) *env {
	t.Helper()
	c := &clock{t: start}
	s := dynamo.New(b.Client, b.Table(t))
	s.Now = c.Now
	return &env{t: t, b: b, s: s, clock: c, ctx: context.Background()}
}

// code returns the refund error code of err ("" for nil).
func code(err error) refund.Code { return refund.ErrorCode(err) }

// wantCode fails the test unless err carries the code (and, if given, a message containing want).
func wantCode(t *testing.T, err error, c refund.Code, msgPart string) {
	t.Helper()
	if got := code(err); got != c {
		t.Fatalf("error = %v (code %q), want code %q", err, got, c)
	}
	if msgPart != "" {
		var e *refund.Error
		if !errors.As(err, &e) || !strings.Contains(e.Message, msgPart) {
			t.Fatalf("error message = %q, want it to contain %q", err, msgPart)
		}
	}
}

// must fails the test on an error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// testOrder is a realistic order: 10 prepaid hours, EUR 1,000.00 paid by card.
func testOrder(number string) refund.Order {
	return refund.Order{
		Number:       number,
		CustomerName: "Ada Lovelace",
		Email:        "ada@example.com",
		PurchaseDate: "2025-03-01",
		Currency:     "EUR",
		Paid:         100000,
		Payment:      refund.Payment{Provider: "sandbox", Reference: "pi_" + number, CardHint: "4242", ThreeDSecure: true, Captured: true},
		Status:       refund.OrderActive,
		Service:      refund.Service{Type: refund.ServiceHours, Hours: &refund.Hours{Purchased: 10, Used: 2, TotalPrice: 100000}},
	}
}

// testSubmission is the form a client sends for an order.
func testSubmission(number string) refund.Submission {
	return refund.Submission{
		OrderNumber: number, PurchaseDate: "2025-03-01", Email: " Ada@Example.com ", Kind: "refund",
		Reason: "no_longer_needed", Details: "We hired someone.", Name: "Ada Lovelace",
	}
}

// testRequest builds a submitted request for the order.
func testRequest(t *testing.T, id, number string) (refund.Request, refund.Submission) {
	t.Helper()
	sub := testSubmission(number)
	req, err := refund.NewRequest(id, sub, start)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	return req, sub
}

// linkFor returns a fresh link code and its stored form.
func linkFor(requestID string, purpose refund.LinkPurpose, expires time.Time) (string, refund.LinkCode) {
	c := fmt.Sprintf("code-%s-%s-%d", requestID, purpose, time.Now().UnixNano())
	return c, refund.LinkCode{Hash: refund.HashCode(c), RequestID: requestID, Purpose: purpose, ExpiresAt: expires}
}

// clientAudit is the audit entry of a client action.
func clientAudit() refund.AuditEntry {
	return refund.AuditEntry{Actor: refund.ActorClient, IP: "203.0.113.7", UserAgent: "Mozilla/5.0 (test)"}
}

// systemAudit is the audit entry of a workflow step.
func systemAudit(fn string) refund.AuditEntry {
	return refund.AuditEntry{Actor: refund.SystemActor(fn)}
}

// testOffers returns n offers for a request, in the shape Resolve makes them.
func testOffers(requestID, number string, n int, tag string) []refund.Offer {
	offers := make([]refund.Offer, n)
	for i := range offers {
		amount := refund.Money{Amount: int64(10000 + i), Currency: "EUR"}
		offers[i] = refund.Offer{
			ID:            fmt.Sprintf("%s-%d-%s", requestID, i+1, tag),
			RequestID:     requestID,
			OrderNumber:   number,
			Kind:          refund.OfferPartialRefund,
			Amount:        amount,
			Breakdown:     []refund.Line{{Label: "Unused hours", Amount: amount}},
			Terms:         "EUR 100.00 will be refunded to the card ending 4242.",
			EffectiveDate: "2025-03-10",
			PolicyVersion: "2025-06-default",
		}
	}
	return offers
}

// createSubmitted stores an order and a submitted request for it (transactions needed) and returns
// the request and its status link code.
func (e *env) createSubmitted(id, number string) (refund.Request, string) {
	e.t.Helper()
	if _, err := e.s.GetOrder(e.ctx, number); code(err) == refund.CodeNotFound {
		_, err := e.s.PutOrder(e.ctx, testOrder(number))
		must(e.t, err)
	}
	req, sub := testRequest(e.t, id, number)
	statusCode, link := linkFor(id, refund.LinkStatus, time.Time{})
	must(e.t, e.s.CreateRequest(e.ctx, req, sub, link, clientAudit()))
	return req, statusCode
}

// awaitingConsent creates a request, offers and a consent link, and moves the request to
// awaiting_consent (version 2). It returns the request, the offers and the consent link code.
func (e *env) awaitingConsent(id, number string) (refund.Request, []refund.Offer, string) {
	e.t.Helper()
	req, _ := e.createSubmitted(id, number)
	offers := testOffers(id, req.OrderNumber, 2, "partial")
	must(e.t, e.s.Transition(e.ctx, id, refund.StatusSubmitted, refund.StatusAwaitingConsent, 1, systemAudit("ProposeResolution"),
		refund.WithOffers(1, offers)))
	consentCode, link := linkFor(id, refund.LinkConsent, e.clock.Now().Add(7*24*time.Hour))
	must(e.t, e.s.PutLinkCode(e.ctx, link))
	req.Status, req.Version = refund.StatusAwaitingConsent, 2
	return req, offers, consentCode
}

// acceptance is the consent of a client accepting offer o through the code.
func acceptance(req refund.Request, o refund.Offer, consentCode string) refund.Consent {
	text := "AGREEMENT for " + o.ID
	return refund.Consent{
		RequestID: req.ID, Decision: refund.DecisionAccept, OfferID: o.ID,
		OfferHash: refund.AgreementHash(o, text), AgreementText: text, TypedName: "Ada Lovelace",
		IP: "203.0.113.7", UserAgent: "Mozilla/5.0 (test)", LinkHash: refund.HashCode(consentCode),
	}
}

// executing brings a new request to executing through an accepted consent (version 3).
func (e *env) executing(id, number string) refund.Request {
	e.t.Helper()
	req, offers, consentCode := e.awaitingConsent(id, number)
	must(e.t, e.s.RecordConsent(e.ctx, acceptance(req, offers[0], consentCode), req.Version, clientAudit()))
	req.Status, req.Version = refund.StatusExecuting, 3
	return req
}

// b64 encodes s as a cursor does.
func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
