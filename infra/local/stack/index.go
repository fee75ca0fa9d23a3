package stack

import (
	"html/template"
	"net/http"
	"time"
)

// indexPage is the local stack's own page: where things are, the staff token, demo orders, and the
// time-travel form. It exists only locally.
var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Refundflow — local stack</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
code,textarea{font:14px ui-monospace,monospace}textarea{width:100%;word-break:break-all}td,th{padding:.25rem .5rem;text-align:left;vertical-align:top}
td:first-child,td:nth-child(2){white-space:nowrap}</style>
</head><body>
<h1>Refundflow — local stack</h1>
<p>Clock: <strong>{{.Now}}</strong> ({{.Offset}} ahead of the wall clock)</p>
<form method="post" action="/_local/clock"><label for="advance">Advance the clock by</label>
<input id="advance" name="advance" value="7d" size="6"> <button>Travel in time</button></form>
<h2>Pages</h2>
<ul>
<li><a href="/">The request form</a> (what a client sees)</li>
<li><a href="/_local/outbox/">The outbox</a>: every email sent, with its links (<a href="/_local/outbox">JSON</a>)</li>
<li><a href="/staff">The staff console</a>: paste the staff token below</li>
</ul>
<h2>Demo orders</h2>
<table><tr><th>Order</th><th>Purchase date</th><th>Email</th><th>Try</th></tr>
{{range .Demo}}<tr><td><code>{{.Order.Number}}</code></td><td>{{.Order.PurchaseDate}}</td><td>{{.Order.Email}}</td><td>{{.Try}}</td></tr>{{end}}
</table>
<h2>Staff token</h2>
<label for="token">Bearer token for the staff console and <code>/staff/api/*</code></label>
<textarea id="token" rows="8" readonly>{{.Token}}</textarea>
<h2>Billing system's token</h2>
<label for="billing-token">Bearer token of the billing system (client credentials, scope <code>refundflow/orders.write</code>): only <code>PUT /staff/api/orders/{number}</code> takes it, and that route takes no other</label>
<textarea id="billing-token" rows="6" readonly>{{.BillingToken}}</textarea>
<h2>AWS endpoints (for the AWS CLI, NoSQL Workbench, any SDK)</h2>
<ul>
<li>DynamoDB: <code>{{.DynamoDB}}</code> — table <code>{{.Table}}</code></li>
<li>Step Functions: <code>{{.StepFunctions}}</code> — state machine <code>{{.StateMachine}}</code></li>
<li>SES v2: <code>{{.SES}}</code> (what it receives is in the outbox)</li>
<li>Secrets Manager: <code>{{.SecretsManager}}</code></li>
</ul>
</body></html>`))

// indexHandler serves the local stack's page at /_local/ (and 404 for unknown /_local paths).
func (s *Stack) indexHandler(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/_local/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	// The page holds the staff token and a form that moves the clock: no framing, no scripts.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	indexPage.Execute(w, map[string]any{
		"Now": s.Clock.Now().UTC().Format(time.RFC1123), "Offset": s.Clock.Offset().Round(time.Second).String(),
		"Demo": s.Demo, "Token": s.StaffToken, "BillingToken": s.BillingToken, "DynamoDB": s.DynamoDBURL, "Table": s.TableName,
		"StepFunctions": s.StepFunctionsURL, "StateMachine": s.StateMachineARN, "SES": s.SESURL,
		"SecretsManager": s.SecretsManagerURL,
	})
}
