package outbox

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"refundflow/infra/local/localpage"
	"refundflow/infra/local/localpage/localpagetest"
	"refundflow/web"
)

// typicalEmails are the project's own emails as the mail package's golden files hold them: the
// offers email with three options is the longest a client gets.
var typicalEmails = []string{"offers", "completed_refund", "rejected", "review_rejected"}

// emailSite serves the outbox page with the typical emails in it, the stylesheets it links to (which
// the local stack's Web function and StyleHandler serve), and each email on its own at /email/{name}.
func emailSite(t *testing.T) *httptest.Server {
	t.Helper()
	o := New()
	bodies := map[string]string{}
	for _, name := range typicalEmails {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "mail", "testdata", "golden", name+".html"))
		if err != nil {
			t.Fatalf("read the %s email: %v", name, err)
		}
		bodies[name] = string(b)
		o.Add(Message{From: "refunds@example.com", To: []string{"client@example.org"}, Subject: name,
			Text: "The text version of the " + name + " email.", HTML: string(b)})
	}
	mux := http.NewServeMux()
	mux.Handle(PagePath+"/", o.PageHandler())
	mux.Handle(localpage.StylePath, localpage.StyleHandler())
	mux.HandleFunc("GET /assets/{file}", func(w http.ResponseWriter, r *http.Request) {
		data, ct, ok := web.Asset(r.PathValue("file"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ct)
		w.Write(data)
	})
	mux.HandleFunc("GET /email/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, bodies[r.PathValue("name")])
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestPageShowsWholeEmails opens the outbox page in headless Chromium on a desktop and on the
// tablets and phones and checks that each email's HTML fits its box: the page may run no script, so the
// box cannot grow to its email and must be tall enough on its own.
func TestPageShowsWholeEmails(t *testing.T) {
	b := localpagetest.New(t, "outbox")
	srv := emailSite(t)
	type box struct {
		Subject string  `json:"subject"`
		Width   float64 `json:"width"`
		Height  float64 `json:"height"`
	}
	for _, screen := range []struct {
		name string
		view chromedp.Action[chromedp.Void]
	}{
		{"desktop", chromedp.EmulateViewport(1200, 900)},
		{"tablet", chromedp.EmulateViewport(540, 900, chromedp.EmulateMobile, chromedp.EmulateScale(2))},
		{"phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2))},
		{"narrow phone", chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateScale(2))},
	} {
		b.Do("open the outbox on a "+screen.name, screen.view, chromedp.Navigate(srv.URL+PagePath+"/"), chromedp.WaitVisible(chromedp.CSS("article")))
		boxes := localpagetest.Eval[[]box](b, `[...document.querySelectorAll("article")].map(a => {
			const f = a.querySelector("iframe");
			return {subject: a.querySelector("h2").textContent, width: f.clientWidth, height: f.clientHeight};
		})`)
		if len(boxes) != len(typicalEmails) {
			t.Fatalf("%s: %d email boxes on the page, want %d", screen.name, len(boxes), len(typicalEmails))
		}
		for _, bx := range boxes {
			// An iframe lays its document out at its own width, as a desktop window of that width does.
			b.Do("open the "+bx.Subject+" email alone", chromedp.EmulateViewport(int64(bx.Width), 100), chromedp.Navigate(srv.URL+"/email/"+bx.Subject))
			need := localpagetest.Eval[float64](b, `document.documentElement.scrollHeight`)
			t.Logf("%s, %s: needs %.0f px, box %.0fx%.0f", screen.name, bx.Subject, need, bx.Width, bx.Height)
			if need > bx.Height {
				t.Errorf("%s: the %s email needs %.0f px, its box is %.0f px tall: the end is cut off", screen.name, bx.Subject, need, bx.Height)
			}
		}
	}
}

// TestPageOnPhone: the outbox with the typical emails looks like the other pages and fits a phone
// (no sideways scrolling at 360 px, readable at 390 px, labelled), with screenshots at 1280 and 390 px.
func TestPageOnPhone(t *testing.T) {
	b := localpagetest.New(t, "outbox")
	srv := emailSite(t)
	b.CheckPage(srv.URL+PagePath+"/", "outbox", chromedp.WaitVisible(chromedp.CSS("article")))
	// The text version is folded away under the HTML; a keyboard opens it.
	b.Do("open the text version with the keyboard", chromedp.Focus(chromedp.CSS("article summary")), chromedp.KeyEvent("\r"))
	if open := localpagetest.Eval[bool](b, `document.querySelector("article details").open`); !open {
		t.Errorf("Enter on the focused \"Text version\" did not open it")
	}
}
