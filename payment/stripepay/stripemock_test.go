package stripepay

import (
	"refundflow/testenv"

	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// This file finds or starts stripe-mock for the tests that talk to it:
//  1. STRIPE_MOCK_URL, if set (e.g. export STRIPE_MOCK_URL=$(scripts/stripe-mock.sh));
//  2. otherwise the binary STRIPE_MOCK_BIN, <repo>/.cache/bin/stripe-mock (where scripts/stripe-mock.sh
//     installs it) or stripe-mock on PATH, started once for the package on 127.0.0.1 with
//     system-chosen ports and stopped after the last test;
//  3. otherwise the test is skipped with the reason, or fails under REFUNDFLOW_REQUIRE_ALL=1.

var mock struct {
	once sync.Once
	url  string
	err  string // why there is no stripe-mock
	cmd  *exec.Cmd
	done chan struct{} // closed when the started stripe-mock has exited
}

func TestMain(m *testing.M) {
	code := m.Run()
	if mock.cmd != nil {
		_ = mock.cmd.Process.Kill()
		<-mock.done
	}
	os.Exit(code)
}

// stripeMockURL returns the base URL of a running stripe-mock or ends the test.
func stripeMockURL(t *testing.T) string {
	t.Helper()
	mock.once.Do(func() {
		if u := os.Getenv("STRIPE_MOCK_URL"); u != "" {
			mock.url = u
			return
		}
		bin := findStripeMock()
		if bin == "" {
			mock.err = "stripe-mock is not installed: run scripts/stripe-mock.sh --install, or set STRIPE_MOCK_URL"
			return
		}
		mock.url, mock.err = startStripeMock(bin)
	})
	if mock.url == "" {
		testenv.Missing(t, mock.err)
	}
	return mock.url
}

func findStripeMock() string {
	if bin := os.Getenv("STRIPE_MOCK_BIN"); bin != "" {
		return bin
	}
	if dir, err := os.Getwd(); err == nil {
		for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				bin := filepath.Join(dir, ".cache", "bin", "stripe-mock")
				if _, err := os.Stat(bin); err == nil {
					return bin
				}
				break
			}
		}
	}
	if bin, err := exec.LookPath("stripe-mock"); err == nil {
		return bin
	}
	return ""
}

// startStripeMock runs bin on 127.0.0.1 with ports chosen by the system (it needs both an HTTP and an
// HTTPS address, or it binds every interface) and reads the HTTP address from its output.
func startStripeMock(bin string) (string, string) {
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:", "-https-addr", "127.0.0.1:")
	r, w := io.Pipe()
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		return "", fmt.Sprintf("start %s: %v", bin, err)
	}
	mock.cmd, mock.done = cmd, make(chan struct{})
	go func() {
		_ = w.CloseWithError(cmd.Wait())
		close(mock.done)
	}()
	var out strings.Builder
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if addr, ok := strings.CutPrefix(line, "Listening for HTTP at address: "); ok {
			go func() { _, _ = io.Copy(io.Discard, r) }() // keep draining its output
			return "http://" + strings.TrimSpace(addr), ""
		}
	}
	return "", fmt.Sprintf("stripe-mock exited before listening: %s", out.String())
}

// recorded is one request that went through the recording proxy.
type recorded struct {
	Method, Path string
	Header       http.Header
	Form         url.Values
}

// recorder is a reverse proxy in front of stripe-mock that keeps every request, so tests can assert
// the exact shape of what the adapter sends (stripe-mock itself only validates it).
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

func newRecorder(t *testing.T, target string) (*recorder, string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Form: form})
		rec.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return rec, srv.URL
}

func (r *recorder) requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}
