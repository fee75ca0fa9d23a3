package outbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"refundflow/infra/local/localpage"
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
		rest, isAttachment := strings.CutPrefix(r.URL.Path, PagePath+"/attachments/")
		if r.URL.Path != PagePath && r.URL.Path != PagePath+"/" && !isAttachment {
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
		if isAttachment {
			serveAttachment(w, r, msgs, rest)
			return
		}
		if r.URL.Path == PagePath {
			if msgs == nil {
				msgs = []Message{}
			}
			for i := range msgs {
				// A copy without the files (served at their URLs): the outbox shares its slices.
				msgs[i].Attachments = slices.Clone(msgs[i].Attachments)
				for j := range msgs[i].Attachments {
					msgs[i].Attachments[j].Data = nil
				}
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
		if err := pageTemplate.Render(&buf, fmt.Sprintf("Outbox (%d)", len(msgs)), PagePath+"/", msgs); err != nil {
			http.Error(w, "render outbox: "+err.Error(), http.StatusInternalServerError)
			return
		}
		// The iframes' srcdoc documents inherit this policy: no script runs anywhere on the page, the
		// emails' inline styles and remote images still apply.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data: http: https:; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(buf.Bytes())
	})
}

// serveAttachment serves attachment "<message id>/<index>" of msgs as a download.
func serveAttachment(w http.ResponseWriter, r *http.Request, msgs []Message, rest string) {
	id, index, _ := strings.Cut(rest, "/")
	for _, m := range msgs {
		if m.ID != id {
			continue
		}
		for i, a := range m.Attachments {
			if strconv.Itoa(i) != index {
				continue
			}
			w.Header().Set("Content-Type", a.ContentType)
			w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.FileName}))
			w.Header().Set("Content-Length", strconv.Itoa(len(a.Data)))
			if r.Method != http.MethodHead {
				_, _ = w.Write(a.Data)
			}
			return
		}
	}
	http.NotFound(w, r)
}

// pageTemplate is the outbox page: the local pages' layout (package localpage) around the messages,
// newest first. The text version is folded away under the HTML one, and shown open when an email has
// no HTML.
var pageTemplate = localpage.Must("outbox", `<h1>Outbox</h1>
<p class="lead">Every email the local stack sent through SES, newest first, with its links. Times are on the stack's clock.</p>
<p><a href="`+PagePath+`">The same list as JSON</a>, oldest first: <code>GET `+PagePath+`</code>.</p>
{{if not .}}<p>No email has been sent yet. Send a request on the <a href="/">request form</a> and its emails appear here.</p>{{end}}
{{range .}}
<article class="card message" id="msg-{{.ID}}" aria-labelledby="subject-{{.ID}}">
<h2 id="subject-{{.ID}}">{{if .Subject}}{{.Subject}}{{else}}(no subject){{end}}</h2>
<dl class="summary-list">
<div><dt>To</dt><dd>{{join .To}}</dd></div>
{{if .Cc}}<div><dt>Cc</dt><dd>{{join .Cc}}</dd></div>{{end}}
{{if .Bcc}}<div><dt>Bcc</dt><dd>{{join .Bcc}}</dd></div>{{end}}
<div><dt>From</dt><dd>{{.From}}</dd></div>
{{if .ReplyTo}}<div><dt>Reply-To</dt><dd>{{join .ReplyTo}}</dd></div>{{end}}
<div><dt>Sent</dt><dd><time datetime="{{.SentAt.UTC.Format "2006-01-02T15:04:05Z07:00"}}">{{.SentAt.UTC.Format "Mon 2 January 2006, 15:04:05 MST"}}</time></dd></div>
<div><dt>Message ID</dt><dd>{{.ID}}</dd></div>
</dl>
{{if .Attachments}}<h3>Attachments</h3>
<ul class="links">{{range .Attachments}}<li><a href="{{.URL}}" download="{{.FileName}}">{{.FileName}}</a> ({{.ContentType}}, {{.Size}} bytes)<br>SHA-256 <code>{{.SHA256}}</code></li>{{end}}</ul>{{end}}
{{if .Links}}<h3>Links</h3>
<ul class="links">{{range .Links}}<li><a href="{{.}}" rel="noreferrer noopener" target="_blank">{{.}}</a></li>{{end}}</ul>{{end}}
{{if .HTML}}<h3>HTML</h3>
<div class="html-body"><iframe title="HTML body of {{.Subject}}" sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer" srcdoc="{{.HTML}}"></iframe></div>{{end}}
{{if .Text}}<details{{if not .HTML}} open{{end}}><summary>Text version</summary>
<pre>{{.Text}}</pre></details>{{end}}
</article>
{{end}}`, template.FuncMap{
	"join": func(s []string) string { return strings.Join(s, ", ") },
})
