package localpage

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	t.Parallel()
	page := Must("test", `<h1>{{.}}</h1>`, nil)
	var b strings.Builder
	if err := page.Render(&b, "Outbox (2)", "/_local/outbox/", `<script>alert(1)</script>`); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"<title>Outbox (2) – Refundflow local stack</title>",
		`<link rel="stylesheet" href="/assets/site.css?v=`,
		`<link rel="stylesheet" href="` + StylePath + `?v=`,
		`<a class="skip-link" href="#main">`,
		`<li><a href="/_local/outbox/" aria-current="page">Outbox</a></li>`,
		`<li><a href="/_local/">Local tools</a></li>`,
		`<main id="main" class="wrap" tabindex="-1">`,
		`<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the page lacks %s:\n%s", want, got)
		}
	}
	if n := strings.Count(got, `aria-current="page"`); n != 1 {
		t.Errorf("%d links are marked as the current page, want 1", n)
	}
}

func TestStyleHandler(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	StyleHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, StylePath, nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/css; charset=utf-8" || !strings.Contains(rec.Body.String(), ".local-nav") {
		t.Errorf("GET %s: %d %s\n%.200s", StylePath, rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	rec = httptest.NewRecorder()
	StyleHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, StylePath, nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST %s: %d, want 405", StylePath, rec.Code)
	}
}
