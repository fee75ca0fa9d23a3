package handler_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"refundflow/apigw"
	"refundflow/handler"
	"refundflow/refund"
	"refundflow/web"
)

// --- Web -------------------------------------------------------------------------------------------

func TestWebPages(t *testing.T) {
	h := handler.Web{}
	for _, tc := range []struct {
		event, contains, contentType, csp string
	}{
		{"get-form.json", `action="/requests"`, "text/html; charset=utf-8", apigw.CSPDefault},
		{"get-staff-console.json", `data-api="/staff/api"`, "text/html; charset=utf-8", apigw.CSPWithScripts},
		{"get-asset.json", "", "text/css; charset=utf-8", apigw.CSPDefault},
	} {
		t.Run(tc.event, func(t *testing.T) {
			resp := mustCall(t, h, loadEvent(t, tc.event))
			wantStatus(t, resp, http.StatusOK)
			if got := resp.Headers["Content-Type"]; got != tc.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tc.contentType)
			}
			if got := resp.Headers["Content-Security-Policy"]; got != tc.csp {
				t.Errorf("CSP = %q, want %q", got, tc.csp)
			}
			if !strings.Contains(resp.Body, tc.contains) {
				t.Errorf("body lacks %q", tc.contains)
			}
		})
	}
}

// TestWebStaffConsoleSignIn checks that the console page carries the hosted sign-in's public settings
// and lets the page fetch the token endpoint at the sign-in's origin (and at no origin made of
// anything but a plain https host).
func TestWebStaffConsoleSignIn(t *testing.T) {
	for _, tc := range []struct {
		name, url, csp string
	}{
		{"hosted sign-in", "https://staff-pool.auth.eu-west-1.amazoncognito.com", apigw.CSPWithScripts + " https://staff-pool.auth.eu-west-1.amazoncognito.com"},
		{"same site stand-in", "/_local/signin", apigw.CSPWithScripts},
		{"plain http elsewhere", "http://sign-in.example.com", apigw.CSPWithScripts},
		{"not a plain origin", "https://a.example.com;script-src", apigw.CSPWithScripts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := handler.Web{StaffSignIn: web.StaffSignIn{URL: tc.url, ClientID: "client-1", RedirectURI: "https://refunds.example.com/staff", SignOutURI: "https://refunds.example.com/staff"}}
			resp := mustCall(t, h, loadEvent(t, "get-staff-console.json"))
			wantStatus(t, resp, http.StatusOK)
			if got := resp.Headers["Content-Security-Policy"]; got != tc.csp {
				t.Errorf("CSP = %q, want %q", got, tc.csp)
			}
			for _, want := range []string{`data-client-id="client-1"`, `data-redirect-uri="https://refunds.example.com/staff"`} {
				if !strings.Contains(resp.Body, want) {
					t.Errorf("body lacks %s", want)
				}
			}
		})
	}
}

func TestWebAssetCachingAndUnknownFiles(t *testing.T) {
	h := handler.Web{}
	resp := mustCall(t, h, loadEvent(t, "get-asset.json"))
	if got, want := resp.Headers["Cache-Control"], apigw.CacheImmutable; got != want {
		t.Errorf("Cache-Control = %q, want %q", got, want)
	}
	for _, name := range []string{"missing.css", "..%2Fweb.go", ".hidden.css", "site.css%00.js"} {
		ev := loadEvent(t, "get-asset.json")
		decoded, _ := url.PathUnescape(name)
		setPath(&ev, "/assets/"+name, map[string]string{"file": decoded})
		resp := mustCall(t, h, ev)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", name, resp.StatusCode)
		}
		if resp.Headers["Cache-Control"] != apigw.CacheNoStore {
			t.Errorf("%s: error cached: %q", name, resp.Headers["Cache-Control"])
		}
	}
}

func TestWebHeadHasNoBody(t *testing.T) {
	ev := loadEvent(t, "get-form.json")
	ev.RequestContext.HTTP.Method = http.MethodHead
	resp := mustCall(t, handler.Web{}, ev)
	wantStatus(t, resp, http.StatusOK)
	if resp.Body != "" {
		t.Errorf("HEAD body = %d bytes", len(resp.Body))
	}
}

func TestWebUnknownPath(t *testing.T) {
	ev := loadEvent(t, "get-form.json")
	ev.RouteKey, ev.RequestContext.RouteKey = "$default", "$default"
	setPath(&ev, "/wp-admin", nil)
	resp := mustCall(t, handler.Web{}, ev)
	wantStatus(t, resp, http.StatusNotFound)
}

// GET /policy shows the policy in force; /policy/<version> a published version; an unknown version is
// a 404 page.
func TestWebPolicyPages(t *testing.T) {
	h := handler.Web{}
	version := refund.DefaultPolicy().Version
	for _, tc := range []struct {
		route, path string
		params      map[string]string
		status      int
		want        string
	}{
		{"/policy", "/policy", nil, http.StatusOK, "Version <strong>" + version + "</strong> — in force today"},
		{"/policy/{version}", "/policy/" + version, map[string]string{"version": version}, http.StatusOK, "in force today"},
		{"/policy/{version}", "/policy/1999-never", map[string]string{"version": "1999-never"}, http.StatusNotFound, "never published"},
	} {
		ev := loadEvent(t, "get-form.json")
		setPath(&ev, tc.path, tc.params)
		ev.RouteKey = "GET " + tc.route
		resp := mustCall(t, h, ev)
		wantStatus(t, resp, tc.status)
		if !strings.Contains(resp.Body, tc.want) {
			t.Errorf("%s: body lacks %q", tc.path, tc.want)
		}
	}
}

// A browser opening the address a form posts to gets a 405 page with a way on, not raw JSON; a JSON
// client gets JSON.
func TestGetOnFormAddressesIsAPage(t *testing.T) {
	ev := loadEvent(t, "get-form.json")
	setPath(&ev, "/requests", nil)
	ev.RouteKey = "GET /requests"
	resp := mustCall(t, handler.SubmitRequest{}, ev)
	wantStatus(t, resp, http.StatusMethodNotAllowed)
	if ct := resp.Headers["Content-Type"]; !strings.HasPrefix(ct, "text/html") || !strings.Contains(resp.Body, `<a href="/">`) {
		t.Errorf("GET /requests: %s\n%s", ct, resp.Body)
	}
	ev.Headers["accept"] = "application/json"
	resp = mustCall(t, handler.SubmitRequest{}, ev)
	if wantStatus(t, resp, http.StatusMethodNotAllowed); !strings.Contains(resp.Body, `"code":"method_not_allowed"`) {
		t.Errorf("JSON: %s", resp.Body)
	}
}

func TestWebServesTheContract(t *testing.T) {
	spec := []byte("openapi: 3.1.0\ninfo: {title: t, version: \"1\"}\npaths: {}\n")
	for _, tc := range []struct {
		name   string
		h      handler.Web
		status int
	}{
		{"wired", handler.Web{OpenAPI: spec}, http.StatusOK},
		{"without a contract", handler.Web{}, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := loadEvent(t, "get-form.json")
			ev.RouteKey, ev.RequestContext.RouteKey = "GET /openapi.yaml", "GET /openapi.yaml"
			setPath(&ev, "/openapi.yaml", nil)
			resp := mustCall(t, tc.h, ev)
			wantStatus(t, resp, tc.status)
			if tc.status != http.StatusOK {
				return
			}
			if got, want := resp.Body, string(spec); got != want || resp.IsBase64Encoded {
				t.Errorf("body = %q (base64 %v), want %q", got, resp.IsBase64Encoded, want)
			}
			if got, want := resp.Headers["Content-Type"], handler.OpenAPIContentType; got != want {
				t.Errorf("Content-Type = %q, want %q", got, want)
			}
			if got := resp.Headers["X-Content-Type-Options"]; got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
		})
	}
}
