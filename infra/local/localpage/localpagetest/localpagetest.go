// Package localpagetest checks the local stack's pages (package localpage) in headless Chromium, as a
// person on a desktop and on a phone sees them: no sideways scrolling on a 360 px screen, readable text
// at 390 px, every control labelled, the stylesheets applied; and it keeps a screenshot at 1280 and at
// 390 px wide under testout/<dir>/ at the module root (gitignored) for a person to look at.
package localpagetest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"refundflow/testenv"
)

// Browser is one headless Chromium and the directory its screenshots go to.
type Browser struct {
	t   testing.TB
	ctx context.Context
	dir string
}

// New starts headless Chromium (CHROMIUM_PATH, or chromium on PATH), or skips the test — fails it
// under REFUNDFLOW_REQUIRE_ALL=1 — when there is none. Screenshots go to testout/dir/ at the module
// root. Chromium stops with the test.
func New(t testing.TB, dir string) *Browser {
	t.Helper()
	path := os.Getenv("CHROMIUM_PATH")
	if path == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		testenv.Missing(t, "chromium is not installed (apt-get install -y chromium, or set CHROMIUM_PATH): browser checks of the local pages skipped")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first run starts the browser and must carry no deadline, which would end the browser with it.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	return &Browser{t: t, ctx: ctx, dir: OutDir(t, dir)}
}

// OutDir returns testout/dir at the module root (gitignored), created if missing: where browser tests
// keep their screenshots for a person to look at.
func OutDir(t testing.TB, dir string) string {
	t.Helper()
	out := filepath.Join(moduleRoot(t), "testout", dir)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// Context returns the browser's context, for steps of the test's own (chromedp.Do, chromedp.Run).
func (b *Browser) Context() context.Context { return b.ctx }

// Do runs steps with a time limit, failing the test with what was being done.
func (b *Browser) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// Eval evaluates a JavaScript expression on the page shown.
func Eval[T any](b *Browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// The widths a page is checked at: a desktop window, the phone the screenshots show, and the narrowest
// phone in common use, where nothing may scroll sideways.
const (
	desktopWidth = 1280
	phoneWidth   = 390
	narrowWidth  = 360
)

// CheckPage opens url at a desktop width and on two phones and checks what a person would notice:
//
//   - at 360 px nothing is wider than the screen (no sideways scrolling), in the page or in a box of it;
//   - at 390 px the stylesheets are applied (the header bar's colour) and the text is at least 16 px;
//   - every form control has a label and every iframe a title;
//   - the first Tab focuses the skip link, which leads to the page's content;
//
// and saves the full page at 1280 and 390 px as name-1280.png and name-390.png. ready is what must be
// visible before the page counts as loaded.
func (b *Browser) CheckPage(url, name string, ready chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.Do("open "+name+" at 360 px", b.viewport(narrowWidth, 740), chromedp.Navigate(url), ready)
	if w := Eval[int](b, `document.documentElement.scrollWidth`); w > narrowWidth {
		b.t.Errorf("%s: the page is %d px wide on a %d px screen: it scrolls sideways", name, w, narrowWidth)
	}
	// A box that scrolls on its own (overflow: auto) hides its overflow from the page's width; a
	// person still has to scroll it sideways.
	if wide := Eval[[]string](b, `[...document.querySelectorAll("main *")].filter(e => e.tagName !== "IFRAME" &&
		e.scrollWidth > e.clientWidth + 1 && ["auto", "scroll"].includes(getComputedStyle(e).overflowX)).map(e => e.tagName + "." + e.className)`); len(wide) > 0 {
		b.t.Errorf("%s: at %d px these boxes scroll sideways: %v", name, narrowWidth, wide)
	}

	b.Do("open "+name+" at 390 px", b.viewport(phoneWidth, 844), chromedp.Navigate(url), ready)
	if bg := Eval[string](b, `getComputedStyle(document.querySelector(".site-header")).backgroundColor`); bg != "rgb(29, 78, 137)" {
		b.t.Errorf("%s: the site's stylesheet is not applied (header background %q)", name, bg)
	}
	if nav := Eval[string](b, `getComputedStyle(document.querySelector(".local-nav ul")).display`); nav != "flex" {
		b.t.Errorf("%s: the local stylesheet is not applied (navigation display %q)", name, nav)
	}
	if px := Eval[float64](b, `parseFloat(getComputedStyle(document.querySelector("main p")).fontSize)`); px < 16 {
		b.t.Errorf("%s: body text is %.1f px on a phone, want at least 16", name, px)
	}
	if bad := Eval[[]string](b, `[...document.querySelectorAll("input:not([type=hidden]), select, textarea, button, iframe")].filter(e =>
		e.tagName === "IFRAME" ? !e.title : e.tagName === "BUTTON" ? !e.textContent.trim() && !e.getAttribute("aria-label") :
		!(e.labels && e.labels.length) && !e.getAttribute("aria-label")).map(e => e.tagName + "#" + e.id)`); len(bad) > 0 {
		b.t.Errorf("%s: controls without a label (or iframes without a title): %v", name, bad)
	}
	b.shot(name + "-390")

	b.Do("open "+name+" at 1280 px", b.viewport(desktopWidth, 900), chromedp.Navigate(url), ready)
	b.shot(name + "-1280")
	// The keyboard's first stop is the skip link, and it leads to the page's content.
	b.Do("press Tab on "+name, chromedp.KeyEvent("\t"))
	if got := Eval[string](b, `document.activeElement.className`); got != "skip-link" {
		b.t.Errorf("%s: the first Tab focuses %q, want the skip link", name, got)
	} else {
		b.Do("follow the skip link on "+name, chromedp.KeyEvent("\r"))
		if got := Eval[string](b, `document.activeElement.id`); got != "main" {
			b.t.Errorf("%s: the skip link moved the focus to %q, want the main content", name, got)
		}
	}
}

// viewport emulates a screen width wide: a phone (touch, device scale 2) below the desktop width.
func (b *Browser) viewport(width, height int64) chromedp.Action[chromedp.Void] {
	if width < desktopWidth {
		return chromedp.EmulateViewport(width, height, chromedp.EmulateMobile, chromedp.EmulateScale(2))
	}
	return chromedp.EmulateViewport(width, height)
}

// shot saves the whole page as name.png. The viewport first grows to the page's height, because
// Chromium paints no iframe outside the viewport (the outbox's emails would be blank), then shrinks back.
func (b *Browser) shot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	size, err := chromedp.Run(ctx, chromedp.Evaluate[[]int64](`[window.innerWidth, window.innerHeight, document.documentElement.scrollHeight]`))
	if err != nil {
		b.t.Fatalf("page size for screenshot %s: %v", name, err)
	}
	if err := chromedp.Do(ctx, b.viewport(size[0], max(size[1], size[2]))); err != nil {
		b.t.Fatalf("viewport for screenshot %s: %v", name, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := chromedp.Do(ctx, b.viewport(size[0], size[1])); err != nil {
		b.t.Fatalf("viewport after screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(fmt.Errorf("save screenshot %s: %w", name, err))
	}
}
