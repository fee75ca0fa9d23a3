// Package localpage gives the local stack's own pages — the local tools page (/_local/) and the email
// outbox (/_local/outbox/) — the look of Refundflow's other pages: the site's stylesheet
// (/assets/site.css, which the stack's Web function serves), its header and footer, plus a navigation
// between the local pages and the few rules only they need (local.css, served at StylePath).
//
// It is apart from package web on purpose: every Lambda function embeds web's templates and parses
// them on its first render, and these pages exist only on a developer's machine.
package localpage

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"net/http"

	"refundflow/web"
)

// StylePath is where StyleHandler serves the local pages' own stylesheet.
const StylePath = "/_local/local.css"

// CSP is the Content-Security-Policy of a local page without emails in it: the site's stylesheets and
// favicon from the same origin, forms posting only to it, no script, no framing.
const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

//go:embed local.css
var localCSS []byte

// styleURL is StylePath with a version taken from the file, as web.AssetURL does for the site's assets.
var styleURL = func() string {
	sum := sha256.Sum256(localCSS)
	return StylePath + "?v=" + hex.EncodeToString(sum[:6])
}()

// StyleHandler serves local.css. Its URL in the pages changes with its content, so it may be cached.
func StyleHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Write(localCSS)
	})
}

// navItem is one link of the local navigation.
type navItem struct {
	Path, Label string
}

// nav links the local pages and the two pages a person goes to from them.
var nav = []navItem{
	{"/_local/", "Local tools"},
	{"/_local/outbox/", "Outbox"},
	{"/_local/payments", "Payments"},
	{"/_local/provider/", "Payment provider"},
	{"/", "Request form"},
	{"/staff", "Staff console"},
}

// layoutData is what the layout receives; the page's own data is .Page.
type layoutData struct {
	Title    string
	Here     string
	Nav      []navItem
	SiteCSS  string
	LocalCSS string
	Favicon  string
	Page     any
}

const layout = `{{define "layout"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}} – Refundflow local stack</title>
<link rel="stylesheet" href="{{.SiteCSS}}">
<link rel="stylesheet" href="{{.LocalCSS}}">
<link rel="icon" href="{{.Favicon}}" type="image/svg+xml">
</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header">
<div class="wrap"><a class="brand" href="/_local/">Refundflow</a> <span class="tagline">Local stack</span></div>
<nav class="local-nav" aria-label="Local stack"><ul class="wrap">
{{- $here := .Here}}{{range .Nav}}
<li><a href="{{.Path}}"{{if eq .Path $here}} aria-current="page"{{end}}>{{.Label}}</a></li>
{{- end}}
</ul></nav>
</header>
<main id="main" class="wrap" tabindex="-1">
{{template "main" .Page}}
</main>
<footer class="site-footer">
<div class="wrap"><p>Only on this machine: <code>go run ./infra/local</code> serves this page, and nothing of it is deployed to AWS.</p></div>
</footer>
</body>
</html>
{{end}}`

// Template is a local page: the layout around the page's own "main" template.
type Template struct {
	t *template.Template
}

// Must parses a page whose "main" template is main, with funcs available to it. Like template.Must it
// panics on an error: the pages are constants of the program.
func Must(name, main string, funcs template.FuncMap) *Template {
	t := template.Must(template.New(name).Funcs(funcs).Parse(layout))
	template.Must(t.New("main").Parse(main))
	return &Template{t: t}
}

// Render writes the page titled title, with page as the dot of its "main" template; here is the
// page's path, marked as the current one in the navigation. The page is rendered into memory first,
// so an error never leaves half a page on w.
func (t *Template) Render(w io.Writer, title, here string, page any) error {
	var buf bytes.Buffer
	err := t.t.ExecuteTemplate(&buf, "layout", layoutData{
		Title: title, Here: here, Nav: nav, Page: page,
		SiteCSS: web.AssetURL("site.css"), LocalCSS: styleURL, Favicon: web.AssetURL("favicon.svg"),
	})
	if err != nil {
		return fmt.Errorf("render the %s page: %w", t.t.Name(), err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}
