package faulttest

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"

	"refundflow/internal/workflowtest"
	"refundflow/mail"
	"refundflow/refund"
)

// TestProviderEventsDuplicatedAndReordered delivers the provider's events of three refunds (one that
// stays done, one that fails later, one made at the provider's dashboard on an order without request)
// and of two disputes on orders without request (one lost, one won), each one to three times, in a
// random order, as Stripe may: at least once, in any order, retried while the answer is not 2xx.
// Whatever the order, the ledger ends equal to the provider's refunds, only the failed refund's
// request needs attention, its two emails go out once each, the lost dispute's amount is out of what
// remains refundable once (and the won one's is not), and the harness's invariants hold.
func TestProviderEventsDuplicatedAndReordered(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			rnd := rand.New(rand.NewPCG(seed, 15))
			type path struct {
				order           refund.Order
				id              string
				fail, dashboard bool
				dispute         string // "lost" or "won": opened, then closed so
			}
			paths := []path{{}, {fail: true}, {dashboard: true}, {dispute: "lost"}, {dispute: "won"}}
			var payloads [][]byte
			for i := range paths {
				p := &paths[i]
				if p.dashboard || p.dispute != "" {
					p.order = h.newOrder() // no request: the whole payment is left to refund or dispute
				} else {
					p.order, p.id = h.happyPath()
					h.WantStatus(p.id, refund.StatusCompleted)
				}
				ref := p.order.Payment.Reference
				if p.fail {
					if err := h.Pay.FailRefund(h.Ctx, ref, h.OneProviderRefund(p.order).Refund.ID, "expired_or_canceled_card"); err != nil {
						t.Fatal(err)
					}
				}
				if p.dashboard {
					if _, err := h.Pay.DashboardRefund(h.Ctx, ref, refund.Money{Amount: 1000, Currency: p.order.Currency}); err != nil {
						t.Fatal(err)
					}
				}
				if p.dispute != "" {
					if _, err := h.Pay.OpenDispute(h.Ctx, ref, "fraudulent"); err != nil {
						t.Fatal(err)
					}
					if _, err := h.Pay.CloseDispute(h.Ctx, ref, p.dispute == "won"); err != nil {
						t.Fatal(err)
					}
				}
				evs, err := h.Pay.Events(h.Ctx, ref)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range evs {
					for range 1 + rnd.IntN(3) {
						payloads = append(payloads, e.Payload)
					}
				}
			}
			rnd.Shuffle(len(payloads), func(i, j int) { payloads[i], payloads[j] = payloads[j], payloads[i] })
			for _, body := range payloads {
				if a := workflowtest.Retry(clientAttempts, func() workflowtest.Answer { return h.DeliverEvent(body) }); a.Status != http.StatusOK {
					t.Fatalf("delivery answered %d: %s", a.Status, a.Body)
				}
			}
			h.Settle()

			for _, p := range paths {
				st, err := h.Pay.Payment(h.Ctx, p.order.Payment.Reference)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := h.Order(p.order.Number).Refunded, st.Refunded.Amount; got != want {
					t.Errorf("order %s: the ledger has %d refunded, the provider %d", p.order.Number, got, want)
				}
				if p.dispute != "" {
					o := h.Order(p.order.Number)
					wantBack := int64(0)
					if p.dispute == "lost" {
						wantBack = o.Paid
					}
					if o.Dispute == nil || string(o.Dispute.Status) != p.dispute || o.ChargedBack != wantBack || o.Remaining().Amount != o.Paid-wantBack {
						t.Errorf("order %s: dispute %+v, charged back %d, remaining %s; want %s, %d, %d",
							p.order.Number, o.Dispute, o.ChargedBack, o.Remaining(), p.dispute, wantBack, o.Paid-wantBack)
					}
					continue
				}
				if p.dashboard {
					if got := h.Order(p.order.Number).Refunded; got != 1000 {
						t.Errorf("order %s: the dashboard refund counted as %d, want 1000", p.order.Number, got)
					}
					continue
				}
				want := refund.StatusCompleted
				if p.fail {
					want = refund.StatusNeedsAttention
				}
				h.WantStatus(p.id, want)
				wantMails := 0
				if p.fail {
					wantMails = 1
				}
				for _, kind := range []mail.Kind{mail.KindRefundFailed, mail.KindStaffRefundFailed} {
					if got := len(h.Mails(kind, p.id)); got != wantMails {
						t.Errorf("request %s (fail %v): %d %s emails, want %d", p.id, p.fail, got, kind, wantMails)
					}
				}
			}
		})
	}
}
