package stack

import (
	"net/http"
	"time"

	"refundflow/infra/local/localpage"
)

// indexPage is the local stack's own page, /_local/: the clock and the time-travel form, the demo
// orders as they stand on the clock, the staff and billing tokens, how to make an order of one's own,
// the JSON endpoints and the AWS endpoints. It exists only locally.
var indexPage = localpage.Must("index", `<h1>Local tools</h1>
<p class="lead">All of Refundflow runs on this machine: the pages, the HTTP API, the functions, the workflow, and stand-ins for DynamoDB, Step Functions, SES, Secrets Manager and the <a href="/_local/provider/">payment provider</a>.</p>

<h2 id="clock">Clock</h2>
<div class="clock"><p>The stack's clock says <strong><time datetime="{{.Now.Format "2006-01-02T15:04:05Z07:00"}}">{{.Now.Format "Monday 2 January 2006, 15:04 MST"}}</time></strong>{{if .Travelled}}: {{.Offset}} ahead of the wall clock{{else}}, the same as the wall clock{{end}}.</p></div>
<form method="post" action="/_local/clock">
<label for="advance">Advance the clock by</label>
<p class="hint" id="advance-hint">Days d, hours h, minutes m, seconds s: 7d, 1d12h, 90m.</p>
<div class="travel-row"><input type="text" id="advance" name="advance" value="7d" aria-describedby="advance-hint" autocomplete="off" autocapitalize="off" spellcheck="false">
<button class="button" type="submit">Travel in time</button></div>
</form>
<p>The clock only moves forward, for the whole stack: the emails' dates, the status pages and the demo orders below follow it. Reminders, expiries and the scheduled sweeper that fall due on the way have happened when this page comes back.</p>

<h2 id="demo">Demo orders</h2>
{{with .Demo}}<p>Fill the <a href="/">request form</a> with an order's number, purchase date and email. Under each is what asking for a refund because “{{$.Reason}}” leads to today, {{(index . 0).Today}} on the stack's clock, with the order as it stands now.</p>
{{range .}}<section class="card" aria-labelledby="demo-{{.Order.Number}}">
<h3 id="demo-{{.Order.Number}}">{{.Order.Number}} · {{.Order.CustomerName}}</h3>
<dl class="summary-list">
<div><dt>Purchase date</dt><dd>{{.Order.PurchaseDate}}</dd></div>
<div><dt>Email</dt><dd>{{.Order.Email}}</dd></div>
<div><dt>The order</dt><dd>{{.About}}</dd></div>
<div><dt>A refund request today</dt><dd>{{.Outcome}}</dd></div>
</dl>
</section>
{{end}}{{else}}<p>This stack has no demo orders.</p>
{{end}}
<h2 id="staff-token">Staff token</h2>
<p>The <a href="/staff">staff console</a> signs you in by itself (pick a demo agent or the supervisor); these tokens are for calling the API with curl.</p>
<div class="field"><label for="token">Bearer token for <code>/staff/api/*</code> (the demo agent Sam Okafor's)</label>
<textarea class="token" id="token" rows="7" readonly>{{.Token}}</textarea></div>

<h2 id="supervisor-token">Supervisor's token</h2>
<div class="field"><label for="supervisor">Bearer token of a second member of staff, the demo supervisor: a review decision above the four-eyes limit (EUR 2,000.00) made with the staff token waits until this one confirms it</label>
<textarea class="token" id="supervisor" rows="7" readonly>{{.SupervisorToken}}</textarea></div>

<h2 id="billing-token">Billing system's token</h2>
<div class="field"><label for="billing">Bearer token of the billing system (client credentials, scope <code>refundflow/orders.write</code>): only <code>PUT /staff/api/orders/{number}</code> takes it, and that route takes no other</label>
<textarea class="token" id="billing" rows="6" readonly>{{.BillingToken}}</textarea></div>
<p>An order of your own needs a card payment at the payment provider first: the order route asks the provider about it. Take one on the <a href="/_local/payments">Payments</a> page (or <code>POST /_local/payments</code>), then send the order naming its reference; the demo orders were made the same way.</p>

<h2 id="json">JSON for scripts</h2>
<dl class="summary-list">
<div><dt><a href="/_local/outbox">Outbox</a></dt><dd><code>GET /_local/outbox</code>: every email sent, oldest first</dd></div>
<div><dt><a href="/_local/clock">Clock</a></dt><dd><code>GET /_local/clock</code>: the stack's time and how far it travelled</dd></div>
<div><dt>Time travel</dt><dd><code>POST /_local/clock</code> with <code>{"advance":"7d"}</code></dd></div>
<div><dt><a href="/_local/payments">Payments</a></dt><dd><code>POST /_local/payments</code> with <code>{"amount":180000,"currency":"EUR"}</code>: a captured 3-D Secure card payment at the sandbox provider, answered with its <code>reference</code>; <code>GET /_local/payments/{reference}</code>: the payment and its refunds</dd></div>
<div><dt><a href="/_local/provider/">Payment provider</a></dt><dd><code>POST /_local/provider/</code> with <code>{"action":"fail_refund","payment":"pi_...","refund":"re_..."}</code>: what happens at the provider after a refund (a refund failing later, a dashboard refund, a dispute), sent to <code>POST /webhooks/stripe</code> as signed events</dd></div>
<div><dt><a href="/sandbox/payments">Sandbox checkout</a></dt><dd>What a deployment with <code>PaymentProvider=sandbox</code> has instead of the two above, here too: <code>POST /sandbox/payments</code> (the same body and answer), <code>GET /sandbox/payments/{reference}</code> and <code>POST /sandbox/payments/{reference}/actions</code>, with the billing system's token</dd></div>
</dl>

<h2 id="aws">AWS endpoints</h2>
<p>For the AWS CLI, NoSQL Workbench or any SDK, with any credentials, in region <code>{{.Region}}</code>.</p>
<dl class="summary-list">
<div><dt>DynamoDB</dt><dd><code>{{.DynamoDB}}</code>, table <code>{{.Table}}</code></dd></div>
<div><dt>Step Functions</dt><dd><code>{{.StepFunctions}}</code>, state machine <code>{{.StateMachine}}</code></dd></div>
<div><dt>SES v2</dt><dd><code>{{.SES}}</code> (what it receives is in the <a href="/_local/outbox/">outbox</a>)</dd></div>
<div><dt>Secrets Manager</dt><dd><code>{{.SecretsManager}}</code></dd></div>
<div><dt>Lambda</dt><dd><code>{{.Lambda}}</code> (Invoke only: how Notify asks AgreementPdf for the signed agreement's PDF)</dd></div>
</dl>`, nil)

// indexData is what the local page shows.
type indexData struct {
	Now       time.Time
	Travelled bool
	Offset    string
	Demo      []DemoStatus
	Reason    string
	Token     string
	// SupervisorToken is a second staff member's token, for confirming decisions above the four-eyes
	// limit.
	SupervisorToken string
	// BillingToken is the billing system's client-credentials token, for the order route only.
	BillingToken string

	Region, DynamoDB, Table, StepFunctions, StateMachine, SES, SecretsManager, Lambda string
}

// indexHandler serves the local stack's page at /_local/ (and 404 for unknown /_local paths).
func (s *Stack) indexHandler(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/_local/" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	data := indexData{
		Now: s.Clock.Now().UTC(), Travelled: s.Clock.Offset() > 0, Offset: FormatOffset(s.Clock.Offset()),
		Demo: s.DemoStatus(r.Context()), Reason: DemoReason.Label(), Token: s.StaffToken, SupervisorToken: s.SupervisorToken, BillingToken: s.BillingToken,
		Region: Region, DynamoDB: s.DynamoDBURL, Table: s.TableName, StepFunctions: s.StepFunctionsURL,
		StateMachine: s.StateMachineARN, SES: s.SESURL, SecretsManager: s.SecretsManagerURL, Lambda: s.LambdaURL,
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	// The page holds the staff token and a form that moves the clock: no framing, no scripts.
	w.Header().Set("Content-Security-Policy", localpage.CSP)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if err := indexPage.Render(w, "Local tools", "/_local/", data); err != nil {
		s.log.Error("render the local page", "error", err.Error())
		http.Error(w, "render the local page: "+err.Error(), http.StatusInternalServerError)
		return
	}
}
