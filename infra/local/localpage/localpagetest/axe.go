package localpagetest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"refundflow/testenv"
)

// AxeScript returns axe-core's axe.min.js (AXE_CORE_JS, or where scripts/axe.sh installs it under the
// module root), or skips the test — fails it under REFUNDFLOW_REQUIRE_ALL=1 — when it is not installed.
func AxeScript(t testing.TB) string {
	t.Helper()
	path := os.Getenv("AXE_CORE_JS")
	if path == "" {
		path = filepath.Join(moduleRoot(t), ".cache", "axe-core", "node_modules", "axe-core", "axe.min.js")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		testenv.Missing(t, "axe-core is not installed (scripts/axe.sh installs it with npm); accessibility checks skipped")
	}
	return string(data)
}

// AxeViolation is what a test reports of one axe-core violation.
type AxeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// String gives the violation in one line, with the elements it was found on.
func (v AxeViolation) String() string {
	return "axe " + v.ID + " (" + v.Impact + "): " + v.Help + ", on " + strings.Join(v.Targets, "; ")
}

// axeRun runs axe-core's WCAG 2.0/2.1/2.2 A and AA rules and its best practices on the whole document.
const axeRun = `(async () => {
	const r = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}});
	return JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(" "))})));
})()`

// Axe runs axe-core (script, from AxeScript) on the page shown in ctx's tab and returns its violations.
// axe is evaluated through the DevTools protocol, which the pages' Content-Security-Policy (no inline
// script) does not govern, so the pages are checked as served.
func Axe(t testing.TB, ctx context.Context, script string) []AxeViolation {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](script+";0")); err != nil {
		t.Fatalf("load axe-core: %v", err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe-core: %v", err)
	}
	var found []AxeViolation
	if err := json.Unmarshal([]byte(out), &found); err != nil {
		t.Fatal(err)
	}
	return found
}

// moduleRoot returns the directory of go.mod above the test's directory.
func moduleRoot(t testing.TB) string {
	t.Helper()
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			return root
		}
		parent := filepath.Dir(root)
		if parent == root {
			t.Fatal("no go.mod above the test's directory")
		}
		root = parent
	}
}
