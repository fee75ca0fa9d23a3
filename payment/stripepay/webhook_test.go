package stripepay

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"

	"refundflow/payment"
	"refundflow/refund"
)

const testSecret = "whsec_test_secret"

// event is a Stripe event body of type typ around object (JSON), created at created.
func event(id, typ, object string, created time.Time) []byte {
	return fmt.Appendf(nil, `{"id":%q,"object":"event","api_version":%q,"created":%d,"livemode":false,"pending_webhooks":1,"type":%q,"data":{"object":%s}}`,
		id, stripe.APIVersion, created.Unix(), typ, object)
}

// signed signs payload as Stripe does, at ts, with stripe-go's test helper.
func signed(payload []byte, secret string, ts time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: ts}).Header
}

const refundJSON = `{"id":"re_1","object":"refund","amount":%d,"currency":%q,"charge":"ch_1","payment_intent":"pi_1","status":%q,
	"failure_reason":%q,"metadata":{"idempotency_key":"refund:req-1:1","request_id":"req-1"},"created":1741597200}`

func TestWebhookReadsRefundEvents(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		typ, status, currency string
		amount                int64
		want                  refund.ProviderRefund
	}{
		{"refund.failed", "failed", "eur", 2500, refund.ProviderRefund{Status: refund.ProviderRefundFailed, Amount: refund.Money{Amount: 2500, Currency: "EUR"}, FailureReason: "expired_or_canceled_card"}},
		{"charge.refund.updated", "canceled", "eur", 2500, refund.ProviderRefund{Status: refund.ProviderRefundCanceled, Amount: refund.Money{Amount: 2500, Currency: "EUR"}, FailureReason: "expired_or_canceled_card"}},
		{"refund.created", "pending", "eur", 2500, refund.ProviderRefund{Status: refund.ProviderRefundPending, Amount: refund.Money{Amount: 2500, Currency: "EUR"}, FailureReason: "expired_or_canceled_card"}},
		{"refund.updated", "requires_action", "eur", 2500, refund.ProviderRefund{Status: refund.ProviderRefundPending, Amount: refund.Money{Amount: 2500, Currency: "EUR"}, FailureReason: "expired_or_canceled_card"}},
		// Stripe counts ISK in hundredths: 500000 is ISK 5,000.
		{"refund.updated", "succeeded", "isk", 500000, refund.ProviderRefund{Status: refund.ProviderRefundSucceeded, Amount: refund.Money{Amount: 5000, Currency: "ISK"}, FailureReason: "expired_or_canceled_card"}},
	} {
		body := event("evt_1", tc.typ, fmt.Sprintf(refundJSON, tc.amount, tc.currency, tc.status, "expired_or_canceled_card"), now)
		ev, err := Webhook{Secret: testSecret}.Event(body, signed(body, testSecret, now))
		if err != nil {
			t.Fatalf("%s: %v", tc.typ, err)
		}
		if len(ev.Refunds) != 1 || ev.Dispute != nil || ev.Ignored() {
			t.Fatalf("%s: got %+v, want one refund", tc.typ, ev)
		}
		got := ev.Refunds[0]
		want := tc.want
		want.ID, want.PaymentReference, want.IdempotencyKey, want.Created = "re_1", "pi_1", "refund:req-1:1", time.Unix(1741597200, 0).UTC()
		if got != want {
			t.Errorf("%s: refund = %+v, want %+v", tc.typ, got, want)
		}
		if ev.ID != "evt_1" || ev.Type != tc.typ || ev.Created.Unix() != now.Unix() {
			t.Errorf("%s: event = %s %s %s", tc.typ, ev.ID, ev.Type, ev.Created)
		}
	}
}

func TestWebhookReadsChargeRefundedAndDisputes(t *testing.T) {
	now := time.Now()
	listed := `{"id":"ch_1","object":"charge","amount":10000,"amount_refunded":4000,"currency":"eur","payment_intent":"pi_1","refunded":false,
		"refunds":{"object":"list","has_more":false,"data":[
		{"id":"re_a","object":"refund","amount":1500,"currency":"eur","charge":"ch_1","status":"succeeded","metadata":{},"created":1741597200},
		{"id":"re_b","object":"refund","amount":2500,"currency":"eur","charge":"ch_1","status":"pending","metadata":{"idempotency_key":"refund:req-1:1"},"created":1741597300}]}}`
	body := event("evt_2", "charge.refunded", listed, now)
	ev, err := Webhook{Secret: testSecret}.Event(body, signed(body, testSecret, now))
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Refunds) != 2 || ev.Refunds[0].ID != "re_a" || ev.Refunds[0].PaymentReference != "pi_1" || ev.Refunds[0].IdempotencyKey != "" ||
		ev.Refunds[1].Status != refund.ProviderRefundPending || ev.Refunds[1].IdempotencyKey != "refund:req-1:1" {
		t.Errorf("charge.refunded = %+v", ev.Refunds)
	}

	// Since API version 2022-11-15 a charge does not list its refunds: nothing to act on.
	bare := `{"id":"ch_1","object":"charge","amount":10000,"amount_refunded":4000,"currency":"eur","payment_intent":"pi_1"}`
	body = event("evt_3", "charge.refunded", bare, now)
	if ev, err := (Webhook{Secret: testSecret}).Event(body, signed(body, testSecret, now)); err != nil || !ev.Ignored() {
		t.Errorf("charge.refunded without refunds = %+v, %v; want ignored", ev, err)
	}

	dispute := `{"id":"dp_1","object":"dispute","amount":10000,"currency":"eur","charge":"ch_1","payment_intent":"pi_1","reason":"fraudulent","status":"needs_response","created":1741597200}`
	body = event("evt_4", "charge.dispute.created", dispute, now)
	ev, err = Webhook{Secret: testSecret}.Event(body, signed(body, testSecret, now))
	if err != nil {
		t.Fatal(err)
	}
	want := refund.Dispute{ID: "dp_1", PaymentReference: "pi_1", Amount: refund.Money{Amount: 10000, Currency: "EUR"}, Reason: "fraudulent",
		Status: refund.DisputeNeedsResponse, ReportedAt: time.Unix(now.Unix(), 0).UTC()}
	if ev.Dispute == nil || *ev.Dispute != want || len(ev.Refunds) != 0 {
		t.Errorf("dispute = %+v, want %+v", ev.Dispute, want)
	}

	// A type Refundflow does not act on, from an endpoint on another API version.
	body = []byte(fmt.Sprintf(`{"id":"evt_5","object":"event","api_version":"2020-08-27","created":%d,"type":"customer.created","data":{"object":{"id":"cus_1","object":"customer"}}}`, now.Unix()))
	if ev, err := (Webhook{Secret: testSecret}).Event(body, signed(body, testSecret, now)); err != nil || !ev.Ignored() || ev.ID != "evt_5" {
		t.Errorf("customer.created = %+v, %v; want an ignored event", ev, err)
	}
}

func TestWebhookRefusesWhatIsNotAFreshSignedEvent(t *testing.T) {
	now := time.Now()
	body := event("evt_1", "refund.failed", fmt.Sprintf(refundJSON, 2500, "eur", "failed", ""), now)
	for _, tc := range []struct {
		name      string
		body      []byte
		signature string
		reason    string
	}{
		{"no signature", body, "", "not_signed"},
		{"another secret", body, signed(body, "whsec_other", now), "bad_signature"},
		{"a changed body", append([]byte(" "), body...), signed(body, testSecret, now), "bad_signature"},
		{"a malformed header", body, "t=abc,v1=00", "bad_signature"},
		{"six minutes old (a replay)", body, signed(body, testSecret, now.Add(-6*time.Minute)), "too_old"},
		{"signed, but not JSON", []byte("hello"), signed([]byte("hello"), testSecret, now), "unreadable"},
		{"signed, but not an event", []byte(`{"object":"list"}`), signed([]byte(`{"object":"list"}`), testSecret, now), "unreadable"},
		{"signed, with a refund status nobody knows", event("evt_9", "refund.updated", fmt.Sprintf(refundJSON, 2500, "eur", "teleported", ""), now),
			signed(event("evt_9", "refund.updated", fmt.Sprintf(refundJSON, 2500, "eur", "teleported", ""), now), testSecret, now), "unreadable"},
	} {
		_, err := Webhook{Secret: testSecret}.Event(tc.body, tc.signature)
		var bad *payment.BadEvent
		if !errors.As(err, &bad) || bad.Reason != tc.reason {
			t.Errorf("%s: err = %v, want a BadEvent %s", tc.name, err, tc.reason)
		}
	}
	// Within the tolerance it passes; a shorter tolerance refuses it.
	old := signed(body, testSecret, now.Add(-4*time.Minute))
	if _, err := (Webhook{Secret: testSecret}).Event(body, old); err != nil {
		t.Errorf("four minutes old: %v", err)
	}
	if _, err := (Webhook{Secret: testSecret, Tolerance: time.Minute}).Event(body, old); err == nil {
		t.Error("four minutes old with a one-minute tolerance was accepted")
	}
}
