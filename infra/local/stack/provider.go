package stack

// The sandbox payment provider's side of the local stack: its events are sent, signed with the
// template's StripeWebhookSecret, to the stack's own POST /webhooks/stripe, as Stripe sends its
// events to a deployment; and the page /_local/provider/ lets a person do what the provider's side
// does after a refund call (a refund that fails later, a pending refund that succeeds, a refund from
// the provider's dashboard, a dispute opened and closed), so every path of the provider events can be
// tried by hand.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"refundflow/infra/local/localpage"
	"refundflow/payment/checkout"
	"refundflow/payment/sandbox"
)

// webhookSecretID is the template's Secrets Manager secret that signs the provider's events.
const webhookSecretID = "StripeWebhookSecret"

// WebhookPath is the route the provider's events go to (template.yaml's StripeWebhookFunction).
const WebhookPath = "/webhooks/stripe"

// DefaultEventDelivery is how often the stack sends the sandbox's waiting events (Config.EventDelivery):
// about as soon as Stripe sends its own. Events due after a refused delivery wait for their retry time.
const DefaultEventDelivery = time.Second

// ProviderPath is the local page of the sandbox payment provider.
const ProviderPath = "/_local/provider/"

// providerDeliverer sends the sandbox's events in the background (startDelivery).
type providerDeliverer struct {
	once sync.Once
	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

// Sandbox returns the sandbox payment provider on the stack's table, its events stamped with the
// stack's clock, waking the delivery loop after each change.
func (s *Stack) Sandbox() *sandbox.Gateway {
	g := sandbox.New(s.DynamoDB, s.TableName)
	g.Now = s.Clock.Now
	g.Changed = s.kickDelivery
	return g
}

// WebhookSecret is the signing secret of the stack's webhook endpoint (StripeWebhookSecret's value).
func (s *Stack) WebhookSecret() string { return s.webhookSecret }

// sandboxEventsID is the template's function that delivers the sandbox's events in a sandbox
// deployment (SandboxEventsFunction, every two minutes there); the stack's delivery loop invokes it
// every second, so the local stack and a deployment deliver with the same code, configured by the
// template in the same way (the webhook secret from Secrets Manager, PublicBaseUrl's /webhooks/stripe).
const sandboxEventsID = "SandboxEventsFunction"

// serializedHandler runs one invocation of a function at a time: the sandbox's deliverer, which the
// delivery loop and the template's schedule both invoke, delivers each event once (as its reserved
// concurrency of one does in AWS).
type serializedHandler struct {
	mu *sync.Mutex
	h  lambda.Handler
}

// Invoke runs the invocation once no other is running.
func (s serializedHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.h.Invoke(ctx, payload)
}

// serializeDelivery keeps the sandbox deliverer the template gave the stack (none with
// PaymentProvider=stripe) and makes every invocation of it, scheduled or not, take deliverMu.
func (s *Stack) serializeDelivery(handlers map[string]lambda.Handler) {
	if h, ok := handlers[sandboxEventsID]; ok {
		s.deliverFn = h
		handlers[sandboxEventsID] = serializedHandler{mu: &s.deliverMu, h: h}
	}
}

// DeliverEvents sends every sandbox event that is due to the stack's POST /webhooks/stripe now, signed
// with the webhook secret, and returns what happened: it invokes the template's SandboxEventsFunction,
// as EventBridge does in a sandbox deployment. The delivery loop calls it; tests and the provider page
// call it to see an event's effect at once.
func (s *Stack) DeliverEvents(ctx context.Context) (sandbox.Delivery, error) {
	s.deliverMu.Lock()
	defer s.deliverMu.Unlock()
	if s.deliverFn == nil {
		return sandbox.Delivery{}, errors.New("the template gives the stack no " + sandboxEventsID + " to deliver the provider's events (PaymentProvider is not sandbox)")
	}
	event, err := json.Marshal(events.EventBridgeEvent{Version: "0", ID: "local-delivery", DetailType: "Scheduled Event", Source: "aws.events",
		AccountID: AccountID, Time: s.Clock.Now().UTC(), Region: Region, Detail: json.RawMessage("{}")})
	if err != nil {
		return sandbox.Delivery{}, err
	}
	out, err := s.deliverFn.Invoke(ctx, event)
	if err != nil {
		return sandbox.Delivery{}, fmt.Errorf("%s: %w", sandboxEventsID, err)
	}
	var rep sandbox.Delivery
	if err := json.Unmarshal(out, &rep); err != nil {
		return sandbox.Delivery{}, fmt.Errorf("%s answered %q: %w", sandboxEventsID, out, err)
	}
	return rep, nil
}

// kickDelivery wakes the delivery loop without waiting for it.
func (s *Stack) kickDelivery() {
	if s.deliverer == nil {
		return
	}
	select {
	case s.deliverer.kick <- struct{}{}:
	default:
	}
}

// startDelivery sends the sandbox's events every interval (and when kicked) until Close. A negative
// interval starts nothing: the events wait until DeliverEvents.
func (s *Stack) startDelivery(interval time.Duration) {
	if interval < 0 || s.deliverFn == nil {
		return
	}
	if interval == 0 {
		interval = DefaultEventDelivery
	}
	d := &providerDeliverer{kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	s.deliverer = d
	go func() {
		defer close(d.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-d.stop:
				return
			case <-tick.C:
			case <-d.kick:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if rep, err := s.DeliverEvents(ctx); err != nil {
				s.log.Warn("deliver the sandbox's events", "error", err.Error())
			} else if rep.Delivered+rep.Refused > 0 {
				s.log.Debug("sandbox events", "delivered", rep.Delivered, "refused", rep.Refused, "waiting", rep.Waiting)
			}
			cancel()
		}
	}()
}

// stopDelivery stops the delivery loop and waits for it (Close may be called more than once).
func (s *Stack) stopDelivery() {
	if d := s.deliverer; d != nil {
		d.once.Do(func() { close(d.stop) })
		<-d.done
	}
}

// ProviderAction is one thing a person does at the sandbox provider (POST /_local/provider/, as the
// page's form or as JSON).
type ProviderAction struct {
	// Action is "fail_refund" (a refund fails later), "succeed_refund" (a pending refund succeeds),
	// "dashboard_refund" (staff refund from the provider's dashboard), "open_dispute", "win_dispute"
	// or "lose_dispute".
	Action string `json:"action"`
	// Payment is the payment reference ("pi_demo_1001").
	Payment string `json:"payment"`
	// Refund is the provider's refund id, for fail_refund and succeed_refund.
	Refund string `json:"refund,omitempty"`
	// Amount is the amount of a dashboard refund in the payment's currency ("150.00").
	Amount string `json:"amount,omitempty"`
	// Reason is a refund's failure reason or a dispute's reason (defaults: expired_or_canceled_card,
	// fraudulent).
	Reason string `json:"reason,omitempty"`
}

// ProviderPayment is a payment as the provider page and its JSON show it.
type ProviderPayment struct {
	// Order is the demo order the payment belongs to ("" for another payment).
	Order string `json:"order,omitempty"`
	// State is the payment at the sandbox: captured, refunded, every refund with its status.
	State sandbox.State `json:"state"`
	// Dispute is the payment's latest dispute, if it has one.
	Dispute *sandbox.Dispute `json:"dispute,omitempty"`
	// DisputeOpen reports a dispute that is not closed yet (won or lost).
	DisputeOpen bool `json:"dispute_open"`
}

// ProviderView is the provider page's data and its JSON answer.
type ProviderView struct {
	Payments []ProviderPayment `json:"payments"`
	// Waiting counts the events not delivered yet.
	Waiting int `json:"waiting"`
	// Message says what the last action did.
	Message string `json:"message,omitempty"`
	// Error says why the last action of the page's form failed (page only).
	Error string `json:"error,omitempty"`
}

// Do carries out a provider action and then delivers the events it made, so its effect on Refundflow
// (the ledger, the request, the emails) is there when Do returns, workflows included.
func (s *Stack) Do(ctx context.Context, a ProviderAction) (string, error) {
	g := s.Sandbox()
	ref := strings.TrimSpace(a.Payment)
	if ref == "" {
		return "", errors.New("name the payment reference (pi_...)")
	}
	msg, err := g.Act(ctx, ref, checkout.Action{Action: a.Action, Refund: a.Refund, Amount: a.Amount, Reason: a.Reason})
	if err != nil {
		return "", err
	}
	if _, err := s.DeliverEvents(ctx); err != nil {
		return msg, err
	}
	if err := s.Engine.WaitIdle(ctx); err != nil {
		return msg, fmt.Errorf("the workflows did not settle: %w", err)
	}
	return msg, nil
}

// providerView reads the demo orders' payments, and ref's if it is another one.
func (s *Stack) providerView(ctx context.Context, extra string) ProviderView {
	g := s.Sandbox()
	var v ProviderView
	refs := map[string]string{}
	var order []string
	for _, d := range s.Demo {
		refs[d.Order.Payment.Reference] = d.Order.Number
		order = append(order, d.Order.Payment.Reference)
	}
	if extra != "" && !slices.Contains(order, extra) {
		order = append(order, extra)
	}
	for _, ref := range order {
		st, err := g.Payment(ctx, ref)
		if err != nil {
			continue
		}
		p := ProviderPayment{Order: refs[ref], State: st}
		if d, ok, err := g.DisputeOf(ctx, ref); err == nil && ok {
			p.Dispute, p.DisputeOpen = &d, !d.Status.Closed()
		}
		v.Payments = append(v.Payments, p)
	}
	if pending, err := g.PendingEvents(ctx); err == nil {
		v.Waiting = len(pending)
	}
	return v
}

// providerHandler serves /_local/provider/: GET the page (or JSON with Accept: application/json),
// POST an action (the page's forms, or a ProviderAction as JSON).
func (s *Stack) providerHandler(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != ProviderPath {
		http.NotFound(w, r)
		return
	}
	wantsJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		v := s.providerView(r.Context(), r.URL.Query().Get("payment"))
		v.Message, v.Error = r.URL.Query().Get("done"), r.URL.Query().Get("error")
		if wantsJSON {
			writeJSON(w, http.StatusOK, v)
			return
		}
		s.renderProvider(w, v)
	case http.MethodPost:
		if err := http.NewCrossOriginProtection().Check(r); err != nil {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "provider actions are only allowed from the stack's own pages"})
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<10))
		if err != nil {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "the body is too large"})
			return
		}
		a, form, err := readProviderAction(r.Header.Get("Content-Type"), body)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		msg, err := s.Do(r.Context(), a)
		if form {
			q := url.Values{"payment": {a.Payment}}
			if err != nil {
				q.Set("error", err.Error())
			} else {
				q.Set("done", msg)
			}
			http.Redirect(w, r, ProviderPath+"?"+q.Encode(), http.StatusSeeOther)
			return
		}
		if err != nil {
			writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
			return
		}
		v := s.providerView(r.Context(), a.Payment)
		v.Message = msg
		writeJSON(w, http.StatusOK, v)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use GET or POST"})
	}
}

// readProviderAction reads a ProviderAction from JSON or from the page's form.
func readProviderAction(contentType string, body []byte) (ProviderAction, bool, error) {
	var a ProviderAction
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			return a, false, fmt.Errorf("send a JSON action: %w", err)
		}
		return a, false, nil
	}
	if mt, _, _ := mime.ParseMediaType(contentType); mt != "application/x-www-form-urlencoded" {
		return a, false, errors.New(`send {"action":"fail_refund","payment":"pi_...","refund":"re_..."} or the page's form`)
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return a, false, err
	}
	a = ProviderAction{Action: v.Get("action"), Payment: v.Get("payment"), Refund: v.Get("refund"), Amount: v.Get("amount"), Reason: v.Get("reason")}
	return a, true, nil
}

// renderProvider writes the provider page.
func (s *Stack) renderProvider(w http.ResponseWriter, v ProviderView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Content-Security-Policy", localpage.CSP)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if err := providerPage.Render(w, "Payment provider", ProviderPath, v); err != nil {
		s.log.Error("render the provider page", "error", err.Error())
		http.Error(w, "render the provider page: "+err.Error(), http.StatusInternalServerError)
	}
}

// providerPage is the sandbox provider's local page.
var providerPage = localpage.Must("provider", `<h1>Payment provider (sandbox)</h1>
<p class="lead">What happens at the provider after Refundflow's refund call. Each button changes the sandbox payment and sends the provider's signed events to <code>POST /webhooks/stripe</code>, as Stripe would; the page comes back when Refundflow has handled them. Watch the <a href="/_local/outbox/">outbox</a> and the <a href="/staff">staff console</a>.</p>
{{with .Message}}<div class="notice" role="status"><p>{{.}}</p></div>{{end}}
{{with .Error}}<div class="error-summary" role="alert"><p>{{.}}</p></div>{{end}}
<p>Events waiting to be delivered: {{.Waiting}}.</p>
{{range .Payments}}{{$ref := .State.Reference}}<section class="card" aria-labelledby="pay-{{$ref}}">
<h2 id="pay-{{$ref}}">{{if .Order}}{{.Order}} · {{end}}<code>{{$ref}}</code></h2>
<dl class="summary-list">
<div><dt>Captured</dt><dd>{{.State.Captured}}</dd></div>
<div><dt>Refunded at the provider</dt><dd>{{.State.Refunded}}</dd></div>
<div><dt>Dispute</dt><dd>{{with .Dispute}}<code>{{.ID}}</code> {{.Status}} ({{.Reason}}){{else}}none{{end}}</dd></div>
</dl>
{{if .State.Refunds}}<table><caption>Refunds</caption><thead><tr><th scope="col">Refund</th><th scope="col">Amount</th><th scope="col">Status</th><th scope="col">Made by</th><th scope="col">Change it</th></tr></thead><tbody>
{{range .State.Refunds}}<tr><td><code>{{.Refund.ID}}</code></td><td>{{.Refund.Amount}}</td><td>{{.Refund.Status}}{{with .FailureReason}} ({{.}}){{end}}</td><td>{{if .Dashboard}}dashboard{{else}}Refundflow{{end}}</td><td>
{{if or (eq (print .Refund.Status) "succeeded") (eq (print .Refund.Status) "pending")}}<form method="post" action="/_local/provider/"><input type="hidden" name="action" value="fail_refund"><input type="hidden" name="payment" value="{{$ref}}"><input type="hidden" name="refund" value="{{.Refund.ID}}"><button class="button button-secondary" type="submit">Fail it later</button></form>{{end}}
{{if eq (print .Refund.Status) "pending"}}<form method="post" action="/_local/provider/"><input type="hidden" name="action" value="succeed_refund"><input type="hidden" name="payment" value="{{$ref}}"><input type="hidden" name="refund" value="{{.Refund.ID}}"><button class="button button-secondary" type="submit">Let it succeed</button></form>{{end}}
</td></tr>
{{end}}</tbody></table>{{end}}
<form method="post" action="/_local/provider/"><input type="hidden" name="payment" value="{{$ref}}"><input type="hidden" name="action" value="dashboard_refund">
<label for="amount-{{$ref}}">Refund from the provider's dashboard (outside Refundflow), amount in {{.State.Captured.Currency}}</label>
<div class="travel-row"><input type="text" id="amount-{{$ref}}" name="amount" value="10.00" autocomplete="off"><button class="button button-secondary" type="submit">Refund at the dashboard</button></div></form>
{{if .DisputeOpen}}<form method="post" action="/_local/provider/"><input type="hidden" name="payment" value="{{$ref}}"><input type="hidden" name="action" value="win_dispute"><button class="button button-secondary" type="submit">Close the dispute: won</button></form>
<form method="post" action="/_local/provider/"><input type="hidden" name="payment" value="{{$ref}}"><input type="hidden" name="action" value="lose_dispute"><button class="button button-secondary" type="submit">Close the dispute: lost</button></form>
{{else}}<form method="post" action="/_local/provider/"><input type="hidden" name="payment" value="{{$ref}}"><input type="hidden" name="action" value="open_dispute"><button class="button button-secondary" type="submit">Open a dispute</button></form>{{end}}
</section>
{{else}}<p>No payments at the sandbox yet.</p>
{{end}}
<h2 id="other">Another payment</h2>
<form method="get" action="/_local/provider/"><label for="payment">Payment reference of any order</label>
<div class="travel-row"><input type="text" id="payment" name="payment" autocomplete="off" spellcheck="false"><button class="button" type="submit">Show it</button></div></form>
<h2 id="json">JSON for scripts</h2>
<p><code>GET /_local/provider/</code> with <code>Accept: application/json</code>; <code>POST /_local/provider/</code> with <code>{"action":"fail_refund","payment":"pi_demo_1001","refund":"re_sbx_..."}</code> (actions: fail_refund, succeed_refund, dashboard_refund with "amount", open_dispute, win_dispute, lose_dispute).</p>`, nil)
