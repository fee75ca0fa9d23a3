// Package web holds Refundflow's server-rendered pages: html/template templates and static assets,
// embedded in the binary. Handlers fill a view model (FormPage, StatusPage, ConsentPage, LinkPage,
// FeedbackPage, ErrorPage, StaffPage) and render it with Render, or with apigw.Page, which also sets
// the right security headers.
//
// Every page shares one layout: lang="en", a viewport for phones, the stylesheet /assets/site.css, a
// skip link, and no inline style or script, so the strict Content-Security-Policy of package apigw
// holds. Only the staff console (/assets/staff.js, /assets/staff_agents.js, ...) and a sandbox
// deployment's checkout page (/assets/sandbox_payments.js) load scripts. html/template escapes every
// value for its context, so data never becomes markup.
//
// Forms post these field names, which the Parse functions and SubmissionFromForm read back:
// the request form posts refund.Submission's JSON names (order_number, purchase_date, email, name,
// kind, reason, details); the consent page posts decision, offer, full_name, agree, decline_reason;
// the feedback page posts rating and comment; the status page's withdraw form posts t (the status
// code). No form carries a token: state-changing posts are checked for their origin instead
// (apigw.CrossOrigin), which needs neither a secret nor a cookie.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"
	"time"

	"refundflow/refund"
)

//go:embed templates/*.html templates/parts/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Page is a view model that Render can render. Only this package's page types implement it.
type Page interface {
	info() pageInfo
}

// pageInfo says which template renders a page, its title, and which scripts it loads.
type pageInfo struct {
	template string
	title    string
	scripts  []string
	// wide pages (the staff console's tables) use more of a large screen.
	wide bool
	// staff pages are for the company's staff: they have no client footer ("reply to any email we
	// sent you").
	staff bool
}

// layoutData is what the layout template receives; the page itself is .Page.
type layoutData struct {
	Title   string
	Scripts []string
	Wide    bool
	Staff   bool
	Page    Page
}

// templates returns, per page template ("form", "status", ...), the layout parsed with that page, each
// parsed on its page's first Render: a function serves one or two pages, and parsing all of them at
// its first answer cost a cold start ~1–3 ms (the tests parse every page, so a broken template still
// fails the build, not a request).
//
// The templates, the layout, the helpers and the asset versions are built on first use from inside
// functions, never in a package variable's initialiser: every binary that imports web runs the
// initialisers, so the linker would keep the embedded templates and assets (~90 KB) and the template
// helpers in the functions that render no page at all (NotifyFunction, issue 14). A package
// variable's initialiser here should stay a constant-like value (assetTypes).
func templates() map[string]func() (*template.Template, error) {
	lazy.templatesOnce.Do(func() {
		names, err := fs.Glob(templateFS, "templates/*.html")
		if err != nil {
			panic(err) // a constant pattern: only a malformed pattern errs
		}
		out := map[string]func() (*template.Template, error){}
		for _, name := range names {
			short := path.Base(name)
			if short == "layout.html" || short == "partials.html" {
				continue
			}
			out[strings.TrimSuffix(short, ".html")] = sync.OnceValues(func() (*template.Template, error) {
				return parsePage(name)
			})
		}
		lazy.templates = out
	})
	return lazy.templates
}

// lazy holds what templates, layout and AssetURL build on first use (see templates for why it is not
// built by package variables' initialisers).
var lazy struct {
	templatesOnce sync.Once
	templates     map[string]func() (*template.Template, error)

	layoutOnce sync.Once
	layout     *template.Template
	layoutErr  error

	assetVersionsOnce sync.Once
	assetVersions     map[string]string
}

// layout is the layout with its partials (partials.html, and the sections in templates/parts/, one
// file each, that a page includes with {{template "<name>" ...}}), parsed once and cloned for each page.
func layout() (*template.Template, error) {
	lazy.layoutOnce.Do(func() {
		t, err := template.New("layout.html").Funcs(funcs()).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", "templates/parts/*.html")
		if err != nil {
			lazy.layoutErr = fmt.Errorf("parse layout: %w", err)
			return
		}
		lazy.layout = t
	})
	return lazy.layout, lazy.layoutErr
}

// funcs returns the helpers the templates use.
func funcs() template.FuncMap {
	return template.FuncMap{
		"asset":       AssetURL,
		"statusLabel": StatusLabel,
		"when":        formatTime,
		"isotime":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"day":         formatDay,
		"maxDetails":  func() int { return refund.MaxDetailsRunes },
		"maxVerifyKB": func() int { return MaxVerifyBytes >> 10 },
		"maxName":     func() int { return refund.MaxNameRunes },
		"maxOrder":    func() int { return refund.MaxOrderNumberLen },
		"maxEmail":    func() int { return refund.MaxEmailLen },
		"inc":         func(i int) int { return i + 1 },
		"company":     CurrentCompany,
		"policyPath":  PolicyPath,
		// fe takes msg as any because a missing key of a nil FieldErrors map reaches it as nil.
		"fe": func(id string, msg any) fieldError {
			s, _ := msg.(string)
			return fieldError{ID: id, Message: s}
		},
	}
}

// fieldError is what the "field-error" partial renders: the message next to the input with the id.
type fieldError struct {
	ID      string
	Message string
}

// parsePage parses the page template file name (a path in templateFS) into a clone of the layout, so
// every page has its own "main".
func parsePage(name string) (*template.Template, error) {
	base, err := layout()
	if err != nil {
		return nil, err
	}
	clone, err := base.Clone()
	if err != nil {
		return nil, fmt.Errorf("clone layout: %w", err)
	}
	t, err := clone.ParseFS(templateFS, name)
	if err != nil {
		return nil, fmt.Errorf("parse template %s: %w", path.Base(name), err)
	}
	return t, nil
}

// Render writes the page as a complete HTML document. The page is rendered into memory first, so a
// template error never leaves half a page on w.
func Render(w io.Writer, p Page) error {
	info := p.info()
	parse, ok := templates()[info.template]
	if !ok {
		return fmt.Errorf("render page: no template %q", info.template)
	}
	t, err := parse()
	if err != nil {
		return err
	}
	data := layoutData{Title: info.title, Wide: info.wide, Staff: info.staff, Page: p}
	for _, s := range info.scripts {
		data.Scripts = append(data.Scripts, AssetURL(s))
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("render %s page: %w", info.template, err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// Scripts returns the asset names of the scripts the page loads (only the staff console has any,
// staff.js and the others, and the sandbox checkout, sandbox_payments.js).
// apigw.Page allows scripts in the Content-Security-Policy only when this is not empty.
func Scripts(p Page) []string {
	return append([]string(nil), p.info().scripts...)
}

// assetTypes maps the asset file extensions to their content types.
var assetTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
}

// assetVersions returns each asset's version, a prefix of its SHA-256, computed on first use.
func assetVersions() map[string]string {
	lazy.assetVersionsOnce.Do(func() {
		v := map[string]string{}
		entries, _ := fs.ReadDir(assetFS, "assets")
		for _, e := range entries {
			data, err := assetFS.ReadFile("assets/" + e.Name())
			if err != nil {
				continue
			}
			sum := sha256.Sum256(data)
			v[e.Name()] = hex.EncodeToString(sum[:6])
		}
		lazy.assetVersions = v
	})
	return lazy.assetVersions
}

// Asset returns an embedded static file by name ("site.css", "staff.js", "favicon.svg"), its content
// type, and whether it exists. Names with a path separator or a leading dot are never found, so
// GET /assets/{file} cannot reach anything else. Serve it with apigw.Static, which caches it for a
// year: pages link to AssetURL, which changes whenever the file does.
func Asset(name string) (data []byte, contentType string, ok bool) {
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return nil, "", false
	}
	ct, known := assetTypes[path.Ext(name)]
	if !known {
		return nil, "", false
	}
	data, err := assetFS.ReadFile("assets/" + name)
	if err != nil {
		return nil, "", false
	}
	return data, ct, true
}

// AssetURL returns the URL of an asset with a version taken from its content
// ("/assets/site.css?v=3f2a9c01b4de"), so a long cache lifetime never serves a stale file.
func AssetURL(name string) string {
	if v, ok := assetVersions()[name]; ok {
		return "/assets/" + name + "?v=" + v
	}
	return "/assets/" + name
}

// StatusLabel returns a short name for a status, as the status page and staff console show it.
func StatusLabel(s refund.Status) string {
	switch s {
	case refund.StatusSubmitted:
		return "Received"
	case refund.StatusInReview:
		return "In review"
	case refund.StatusAwaitingConsent:
		return "Waiting for your answer"
	case refund.StatusExecuting:
		return "Being carried out"
	case refund.StatusCompleted:
		return "Completed"
	case refund.StatusRejected:
		return "Not accepted"
	case refund.StatusDeclined:
		return "Declined"
	case refund.StatusWithdrawn:
		return "Withdrawn"
	case refund.StatusExpired:
		return "Expired"
	case refund.StatusNeedsAttention:
		return "Being looked at"
	case refund.StatusReviewRejected:
		return "Closed after review"
	case refund.StatusClosed:
		return "Closed by our team"
	}
	return string(s)
}

// formatTime shows an instant in UTC, which is what the audit trail stores and what every reader
// can convert: "3 March 2025 at 14:05 UTC".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 January 2006 at 15:04 UTC")
}

// formatDay shows a "2006-01-02" date as "3 March 2025"; anything else is shown as it is.
func formatDay(s string) string {
	t, err := refund.ParseDate(s)
	if err != nil {
		return s
	}
	return t.Format("2 January 2006")
}
