package outbox

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
	"strings"
)

// PagePath is where the outbox is shown: PagePath answers JSON,
// PagePath + "/" an HTML page.
const PagePath = "/_local/outbox"

// PageHandler returns the handler for people and tests:
//
//   - GET /_local/outbox: the messages as a JSON array, oldest first
//     (id, from, to, cc, bcc, subject, text, html, links, sentAt, ...).
//   - GET /_local/outbox/: an HTML page, newest first, each message with its
//     links clickable, its text in <pre>, and its HTML rendered in an
//     iframe sandboxed without scripts, forms or same-origin access.
func (o *Outbox) PageHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != PagePath && r.URL.Path != PagePath+"/" {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		msgs := o.Messages()
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		if r.URL.Path == PagePath {
			if msgs == nil {
				msgs = []Message{}
			}
			for i := range msgs {
				if msgs[i].Links == nil {
					msgs[i].Links = []string{}
				}
				if msgs[i].To == nil {
					msgs[i].To = []string{}
				}
			}
			w.Header().Set("Content-Type", "application/json")
			enc := json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			_ = enc.Encode(msgs)
			return
		}
		slices.Reverse(msgs)
		var buf bytes.Buffer
		if err := pageTemplate.Execute(&buf, msgs); err != nil {
			http.Error(w, "render outbox: "+err.Error(), http.StatusInternalServerError)
			return
		}
		// The iframes' srcdoc documents inherit this policy: no script
		// runs anywhere on the page, inline styles of emails still apply.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data: http: https:; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(buf.Bytes())
	})
}

var pageTemplate = template.Must(template.New("outbox").Funcs(template.FuncMap{
	"join": func(s []string) string { return strings.Join(s, ", ") },
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Outbox ({{len .}}) · Refundflow local</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #1b1b1b; }
article { border: 1px solid #ccc; border-radius: .5rem; padding: 1rem; margin: 1rem 0; }
h2 { margin: 0 0 .5rem; font-size: 1.2rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0 0 1rem; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f6; padding: .75rem; }
/* The page may run no script (CSP), so an iframe cannot be sized to its email: the box is tall
   enough for a whole typical email (the offers email with three options), and a person can drag it
   taller or shorter. */
.html-body { height: 72rem; min-height: 8rem; resize: vertical; overflow: hidden; border: 1px solid #ddd; }
iframe { display: block; width: 100%; height: 100%; border: 0; background: #fff; }
ul.links a { overflow-wrap: anywhere; }
</style>
</head>
<body>
<main>
<h1>Outbox</h1>
<p>Every email the local stack sent through SES, newest first. The same list as JSON: <a href="../outbox">/_local/outbox</a>.</p>
{{if not .}}<p>No email has been sent yet.</p>{{end}}
{{range .}}
<article id="msg-{{.ID}}" aria-labelledby="subject-{{.ID}}">
<h2 id="subject-{{.ID}}">{{if .Subject}}{{.Subject}}{{else}}(no subject){{end}}</h2>
<dl>
<dt>From</dt><dd>{{.From}}</dd>
<dt>To</dt><dd>{{join .To}}</dd>
{{if .Cc}}<dt>Cc</dt><dd>{{join .Cc}}</dd>{{end}}
{{if .Bcc}}<dt>Bcc</dt><dd>{{join .Bcc}}</dd>{{end}}
{{if .ReplyTo}}<dt>Reply-To</dt><dd>{{join .ReplyTo}}</dd>{{end}}
<dt>Sent</dt><dd><time datetime="{{.SentAt.Format "2006-01-02T15:04:05Z07:00"}}">{{.SentAt.Format "2006-01-02 15:04:05 MST"}}</time></dd>
<dt>Message ID</dt><dd>{{.ID}}</dd>
</dl>
{{if .Links}}<h3>Links</h3>
<ul class="links">{{range .Links}}<li><a href="{{.}}" rel="noreferrer noopener" target="_blank">{{.}}</a></li>{{end}}</ul>{{end}}
{{if .HTML}}<h3>HTML</h3>
<div class="html-body"><iframe title="HTML body of {{.Subject}}" sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer" srcdoc="{{.HTML}}"></iframe></div>{{end}}
{{if .Text}}<h3>Text</h3>
<pre>{{.Text}}</pre>{{end}}
</article>
{{end}}
</main>
</body>
</html>
`))
