package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"refundflow/infra/local/localpage"
	"refundflow/payment"
	"refundflow/payment/checkout"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

// Taking card payments at the sandbox provider, as a checkout with 3-D Secure would, so that an order
// can be sent through the order route exactly as an integrator sends it (the route asks the provider
// about the payment). Local only:
//
//	POST /_local/payments         {"amount":180000,"currency":"EUR"} → 201 the payment's facts and its
//	                              "reference" (JSON); the page's form → 303 back to the page showing it
//	GET  /_local/payments         the page: a form to take a payment by hand
//	GET  /_local/payments/{ref}   the payment as the provider reports it, with its refunds (JSON)
//
// The demo orders are made the same way (loadDemoOrders): takePayment, then the order route with the
// billing system's token.

// PaymentsPath is where the local payments API and page are served.
const PaymentsPath = "/_local/payments"

// PaymentRequest is the body of POST /_local/payments: the sandbox checkout's Request, the same body a
// sandbox deployment's POST /sandbox/payments takes.
type PaymentRequest = checkout.Request

// PaymentAnswer is a payment as the sandbox provider reports it (what the order route checks), the
// answer of POST /_local/payments and GET /_local/payments/{ref}, as of a sandbox deployment's
// /sandbox/payments.
type PaymentAnswer = checkout.PaymentView

// PaymentRefund is one refund the sandbox provider made.
type PaymentRefund = checkout.RefundView

func answerOf(f refund.PaymentFacts) PaymentAnswer { return checkout.ViewOf(f) }

// sandboxGateway is the sandbox provider on the stack's table, the one the functions use with
// PaymentProvider sandbox.
func (s *Stack) sandboxGateway() *sandbox.Gateway { return sandbox.New(s.DynamoDB, s.TableName) }

// takePayment takes a card payment at the sandbox provider: the one call behind the API, the page and
// the demo orders.
func (s *Stack) takePayment(ctx context.Context, c sandbox.Checkout) (refund.PaymentFacts, error) {
	return s.sandboxGateway().TakePayment(ctx, c)
}

// paymentsHandler serves PaymentsPath and the payments under it.
func (s *Stack) paymentsHandler(w http.ResponseWriter, r *http.Request) {
	if ref, ok := strings.CutPrefix(r.URL.Path, PaymentsPath+"/"); ok {
		s.showPayment(w, r, ref)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.paymentsPage(w, r, paymentsPageData{Currency: "EUR", Amount: "1800.00", Card: sandbox.DefaultCardLast4, ThreeDSecure: true, Captured: true})
	case http.MethodPost:
		s.postPayment(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use GET or POST"})
	}
}

// postPayment takes a payment from a JSON body (answered 201 with the payment) or the page's form
// (answered 303 to the page showing it, or the page again with the problem). Like time travel, a
// POST from another origin's page is refused: any web site could otherwise make payments on a stack
// running on this machine.
func (s *Stack) postPayment(w http.ResponseWriter, r *http.Request) {
	if err := http.NewCrossOriginProtection().Check(r); err != nil {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "payments can only be taken from the stack's own pages or a script"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<10))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "the body is too large"})
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/x-www-form-urlencoded" && !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		s.postPaymentForm(w, r, body)
		return
	}
	c, err := readPaymentRequest(body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	facts, err := s.takePayment(r.Context(), c)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	w.Header().Set("Location", PaymentsPath+"/"+url.PathEscape(facts.Reference))
	writeJSON(w, http.StatusCreated, answerOf(facts))
}

// readPaymentRequest reads a JSON PaymentRequest (whatever the Content-Type says, as `curl -d` sends
// JSON as a form) into a checkout.
func readPaymentRequest(body []byte) (sandbox.Checkout, error) { return checkout.Parse(body) }

// postPaymentForm takes a payment from the page's form: the amount as a person types it ("1800.00").
func (s *Stack) postPaymentForm(w http.ResponseWriter, r *http.Request, body []byte) {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the form does not parse"})
		return
	}
	data := paymentsPageData{Amount: v.Get("amount"), Currency: strings.ToUpper(strings.TrimSpace(v.Get("currency"))),
		Card: strings.TrimSpace(v.Get("card_last4")), ThreeDSecure: v.Get("three_d_secure") != "", Captured: v.Get("captured") != ""}
	amount, err := refund.ParseMoney(data.Amount, data.Currency)
	if err == nil && amount.Amount == 0 {
		err = errors.New("the amount must be more than zero")
	}
	if err != nil {
		data.Problem = "Enter an amount such as 1800.00 and a currency such as EUR: " + err.Error()
		w.WriteHeader(http.StatusBadRequest)
		s.paymentsPage(w, r, data)
		return
	}
	facts, err := s.takePayment(r.Context(), sandbox.Checkout{Amount: amount, CardLast4: data.Card,
		WithoutThreeDSecure: !data.ThreeDSecure, AuthorizeOnly: !data.Captured})
	if err != nil {
		data.Problem = "The sandbox did not take the payment: " + err.Error()
		w.WriteHeader(http.StatusBadRequest)
		s.paymentsPage(w, r, data)
		return
	}
	http.Redirect(w, r, PaymentsPath+"?taken="+url.QueryEscape(facts.Reference), http.StatusSeeOther)
}

// showPayment answers GET /_local/payments/{ref}: the payment as the provider reports it, with its
// refunds.
func (s *Stack) showPayment(w http.ResponseWriter, r *http.Request, ref string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use GET"})
		return
	}
	out, err := s.sandboxGateway().View(r.Context(), ref)
	switch {
	case errors.Is(err, payment.ErrPaymentNotFound):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "the sandbox has no payment with this reference"})
		return
	case err != nil:
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// paymentsPageData is what the payments page shows: the form's values, a problem with the last
// attempt, and the payment just taken.
type paymentsPageData struct {
	Amount, Currency, Card  string
	ThreeDSecure, Captured  bool
	Problem                 string
	Taken                   *PaymentAnswer
	TakenAmount, BillingURL string
	// SendOrder is a curl command that sends an order for the payment taken through the order route.
	SendOrder string
}

// paymentsPage renders the page, with the payment named by ?taken= if there is one.
func (s *Stack) paymentsPage(w http.ResponseWriter, r *http.Request, data paymentsPageData) {
	if ref := r.URL.Query().Get("taken"); ref != "" && r.Method != http.MethodPost {
		if facts, err := s.sandboxGateway().LookupPayment(r.Context(), ref); err == nil {
			a := answerOf(facts)
			data.Taken = &a
			data.TakenAmount = facts.Amount.String()
			data.SendOrder = sendOrderCommand(s.URL, facts, s.Clock.Now())
		}
	}
	data.BillingURL = s.URL + "/staff/api/orders/"
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Content-Security-Policy", localpage.CSP)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if err := paymentsTemplate.Render(w, "Payments", PaymentsPath, data); err != nil {
		s.log.Error("render the payments page", "error", err.Error())
		http.Error(w, "render the payments page: "+err.Error(), http.StatusInternalServerError)
	}
}

// sendOrderCommand is a curl command that sends an order of consulting hours for the payment through
// the order route, bought today on the stack's clock, with the billing token from $BILLING_TOKEN. Its
// number comes from the payment's reference, so each payment gets its own order.
func sendOrderCommand(base string, f refund.PaymentFacts, now time.Time) string {
	tail := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, f.Reference)
	tail = strings.ToUpper(tail[max(0, len(tail)-8):])
	number := "RF-" + tail
	return fmt.Sprintf(`curl -X PUT %s/staff/api/orders/%s \
  -H "Authorization: Bearer $BILLING_TOKEN" -H 'Content-Type: application/json' -d '{
  "number": "%[2]s", "customer_name": "Barbara Liskov", "email": "barbara@example.com",
  "purchase_date": "%s", "currency": "%s", "paid": %d,
  "payment": {"reference": "%s"},
  "status": "active",
  "service": {"type": "hours", "hours": {"purchased": 10, "used": 0, "total_price": %[5]d}},
  "version": 0}'`, base, number, now.UTC().Format(refund.DateLayout), f.Amount.Currency, f.Amount.Amount, f.Reference)
}

// paymentsTemplate is the page at PaymentsPath.
var paymentsTemplate = localpage.Must("payments", `<h1>Payments</h1>
<p class="lead">Take a card payment at the sandbox payment provider, as a checkout with 3-D Secure would, then send the order for it through the order route with the billing system's token. The order route asks the provider about the payment, so an order is only accepted for a payment that exists.</p>
{{with .Taken}}
<section class="card" aria-labelledby="taken">
<h2 id="taken">Payment taken: <code>{{.Reference}}</code></h2>
<dl class="summary-list">
<div><dt>Amount</dt><dd>{{$.TakenAmount}} ({{.Amount}} in minor units)</dd></div>
<div><dt>Captured</dt><dd>{{if .Captured}}yes{{else}}no: authorised only{{end}}</dd></div>
<div><dt>3-D Secure</dt><dd>{{if .ThreeDSecure}}authenticated{{else}}not authenticated{{end}}</dd></div>
<div><dt>Card</dt><dd>ending {{.CardLast4}}</dd></div>
<div><dt>As JSON</dt><dd><a href="/_local/payments/{{.Reference}}"><code>GET /_local/payments/{{.Reference}}</code></a></dd></div>
</dl>
<p>Send the order with <code>"paid": {{.Amount}}</code>, <code>"currency": "{{.Currency}}"</code> and <code>"payment": {"reference": "{{.Reference}}"}</code> to <code>PUT {{$.BillingURL}}{number}</code> with the billing system's token from <a href="/_local/#billing-token">Local tools</a> (in <code>$BILLING_TOKEN</code>). For example, an order of 10 consulting hours bought today:</p>
<pre class="command">{{$.SendOrder}}</pre>
<p>The answer is the order as stored, with the provider's facts about its payment. Then ask for a refund of it on the <a href="/">request form</a> (its number, purchase date and email).</p>
</section>
{{end}}
{{with .Problem}}<div class="notice notice-warning" role="alert"><p>{{.}}</p></div>{{end}}
<h2 id="take">Take a payment</h2>
<form method="post" action="/_local/payments">
<div class="field"><label for="amount">Amount</label>
<p class="hint" id="amount-hint">As a person writes it, such as 1800.00.</p>
<input type="text" id="amount" name="amount" value="{{.Amount}}" aria-describedby="amount-hint" inputmode="decimal" autocomplete="off" spellcheck="false"></div>
<div class="field"><label for="currency">Currency</label>
<input type="text" id="currency" name="currency" value="{{.Currency}}" maxlength="3" autocomplete="off" autocapitalize="characters" spellcheck="false"></div>
<div class="field"><label for="card_last4">Card's last four digits</label>
<input type="text" id="card_last4" name="card_last4" value="{{.Card}}" maxlength="4" inputmode="numeric" autocomplete="off"></div>
<div class="field"><fieldset><legend>The payment</legend>
<div class="choice"><input type="checkbox" id="three_d_secure" name="three_d_secure" value="yes"{{if .ThreeDSecure}} checked{{end}}><label for="three_d_secure">3-D Secure authenticated</label></div>
<div class="choice"><input type="checkbox" id="captured" name="captured" value="yes"{{if .Captured}} checked{{end}}><label for="captured">Captured (the money was taken)</label></div>
</fieldset></div>
<button class="button" type="submit">Take the payment</button>
</form>
<p>Untick a box to make a payment the order route refuses, and see what it answers. For scripts: <code>POST /_local/payments</code> with <code>{"amount":180000,"currency":"EUR"}</code> answers the payment with its <code>reference</code>.</p>`, nil)

// putOrder sends an order through the order route as the billing system does: PUT
// /staff/api/orders/{number} on the stack's own gateway, with the billing system's token.
func (s *Stack) putOrder(ctx context.Context, o refund.Order) (status int, body []byte, err error) {
	b, err := json.Marshal(o)
	if err != nil {
		return 0, nil, err
	}
	req := httptest.NewRequestWithContext(ctx, http.MethodPut, s.URL+"/staff/api/orders/"+url.PathEscape(o.Number), bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.BillingToken)
	rec := httptest.NewRecorder()
	s.gw.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes(), nil
}

// describePut names a refused PUT of an order for an error.
func describePut(number string, status int, body []byte) error {
	return fmt.Errorf("the order route refused order %s: %d %s", number, status, bytes.TrimSpace(body))
}
