package outbox

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"refundflow/dynamo/dynamotest"
)

// typicalEmails are the project's own emails as the mail package's golden files hold them: the
// offers email with three options is the longest a client gets.
var typicalEmails = []string{"offers", "completed_refund", "rejected", "review_rejected"}

// TestPageShowsWholeEmails opens the outbox page in headless Chromium at a desktop width and checks
// that each email's HTML fits its box: the page may run no script, so the box cannot grow to its
// email and must be tall enough on its own.
func TestPageShowsWholeEmails(t *testing.T) {
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		dynamotest.Missing(t, "chromium not installed (apt-get install -y chromium)")
	}

	o := New()
	bodies := map[string]string{}
	for _, name := range typicalEmails {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "mail", "testdata", "golden", name+".html"))
		if err != nil {
			t.Fatalf("read the %s email: %v", name, err)
		}
		bodies[name] = string(b)
		o.Add(Message{From: "refunds@example.com", To: []string{"client@example.org"}, Subject: name, Text: "text", HTML: string(b)})
	}
	mux := http.NewServeMux()
	mux.Handle(PagePath+"/", o.PageHandler())
	// Each email on its own, to measure the height it needs at the box's width.
	mux.HandleFunc("GET /email/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, bodies[r.PathValue("name")])
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1200, 900), chromedp.Navigate(srv.URL+PagePath+"/")); err != nil {
		t.Fatal(err)
	}
	type box struct {
		Subject string  `json:"subject"`
		Width   float64 `json:"width"`
		Height  float64 `json:"height"`
	}
	boxes, err := chromedp.Run(ctx, chromedp.Evaluate[[]box](`[...document.querySelectorAll("article")].map(a => {
		const f = a.querySelector("iframe");
		return {subject: a.querySelector("h2").textContent, width: f.clientWidth, height: f.clientHeight};
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if len(boxes) != len(typicalEmails) {
		t.Fatalf("%d email boxes on the page, want %d", len(boxes), len(typicalEmails))
	}
	for _, b := range boxes {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(b.Width), 100), chromedp.Navigate(srv.URL+"/email/"+b.Subject)); err != nil {
			t.Fatal(err)
		}
		need, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.documentElement.scrollHeight`))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: needs %.0f px, box %.0fx%.0f", b.Subject, need, b.Width, b.Height)
		if need > b.Height {
			t.Errorf("the %s email needs %.0f px, its box is %.0f px tall: the end is cut off", b.Subject, need, b.Height)
		}
	}
}
