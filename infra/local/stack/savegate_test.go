package stack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"refundflow/awsenv"
	"refundflow/awsenv/httpclient"
	"refundflow/refund"
)

// handlerFunc makes a function a lambda.Handler.
type handlerFunc func(ctx context.Context, payload []byte) ([]byte, error)

// Invoke calls f.
func (f handlerFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

// TestSaveWaitsForATaskRunning: a save waits for the workflow tasks running, so that the saved state
// holds all or nothing of each. RequestConsent is held here after it stored its link code and sent the
// "Your options" email; a save that did not wait for it could take the table before the code and the
// outbox after the email (TestDataDirSavesWhileRunning restored such a state about once in ten runs:
// the email's consent link answered 404). The local pages answer while the save waits.
func TestSaveWaitsForATaskRunning(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Saves only when the test asks (and on Close).
	s, err := Start(context.Background(), Config{Addr: "127.0.0.1:0", Demo: true, DataDir: dir, SaveInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeStack(t, s) })

	// The function the stack built, built again (as internal/cost does), run by a wrapper that holds
	// its first invocation once it has done its work.
	const fn = "RequestConsentFunction"
	vars := s.Environment[fn]
	awsCfg := aws.Config{Region: Region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""), HTTPClient: httpclient.New(nil)}
	original, err := awsenv.Builders()[fn](context.Background(), awsenv.Env{
		Getenv: func(name string) string { return vars[name] }, AWS: awsCfg, Endpoints: s.Endpoints(), Clock: s.Clock.Now,
	})
	if err != nil {
		t.Fatalf("build %s: %v", fn, err)
	}
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	admitted := false
	s.Engine.RegisterFunction(fn, handlerFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
		out, err := original.Invoke(ctx, payload)
		once.Do(func() {
			g := &s.persist.gate
			g.mu.Lock()
			admitted = g.running > 0
			g.mu.Unlock()
			close(held)
			<-release
		})
		return out, err
	}))
	released := false
	releaseOnce := func() {
		if !released {
			released = true
			close(release)
		}
	}
	defer releaseOnce() // a failed test must not leave Close waiting for the task

	client := newVisitor(t, s)
	order := demoOrder(t, s, "RF-1001")
	client.submitForm(order, refund.KindRefund, refund.ReasonChangedMind, "")
	select {
	case <-held:
	case <-time.After(waitFor):
		t.Fatal("the workflow did not request consent")
	}
	if !admitted {
		t.Fatal("RequestConsent ran without being admitted through the save gate")
	}

	saved := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		saved <- s.Save(ctx)
	}()
	// A save that does not wait returns at once; one that waits cannot return before the release.
	select {
	case err := <-saved:
		t.Fatalf("Save returned (%v) while RequestConsent was running", err)
	case <-time.After(200 * time.Millisecond):
	}
	// The local pages do not wait for the save: time travel and the provider wait for the
	// workflows, whose tasks a waiting save holds back.
	quick := &http.Client{Timeout: 5 * time.Second}
	for _, path := range []string{"/_local/clock", ProviderPath} {
		res, err := quick.Get(s.URL + path)
		if err != nil {
			t.Fatalf("GET %s while a save waits: %v", path, err)
		}
		res.Body.Close()
		if got, want := res.StatusCode, http.StatusOK; got != want {
			t.Errorf("GET %s while a save waits: %d, want %d", path, got, want)
		}
	}
	releaseOnce()
	select {
	case err := <-saved:
		if err != nil {
			t.Fatalf("Save: %v", err)
		}
	case <-time.After(waitFor):
		t.Fatal("Save did not return after the task finished")
	}

	// The saved state: the options email, and the code of every link in every email.
	data, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	var st savedState
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, item := range st.DynamoDB.Items {
		var pk struct{ S string }
		if raw, err := json.Marshal(item["PK"]); err == nil && json.Unmarshal(raw, &pk) == nil {
			stored[pk.S] = true
		}
	}
	options, checked := false, 0
	for _, m := range st.Outbox {
		options = options || strings.Contains(m.Subject, "Your options for order "+order.Number)
		for _, code := range linkCodes(t, m.Links) {
			checked++
			if !stored["LINK#"+refund.HashCode(code)] {
				t.Errorf("the saved email %q links with a code the saved table does not have", m.Subject)
			}
		}
	}
	if !options || checked == 0 {
		t.Errorf("the saved outbox has no options email for %s, or no link codes (%d)", order.Number, checked)
	}
}

// linkCodes returns the link codes in an email's links: /consent/{code}, /feedback/{code} and the
// status page's ?t={code}.
func linkCodes(t *testing.T, links []string) []string {
	t.Helper()
	var codes []string
	for _, l := range links {
		u, err := url.Parse(l)
		if err != nil {
			t.Fatalf("link %q: %v", l, err)
		}
		for _, prefix := range []string{"/consent/", "/feedback/"} {
			if code, ok := strings.CutPrefix(u.Path, prefix); ok && code != "" {
				codes = append(codes, code)
			}
		}
		if code := u.Query().Get("t"); code != "" {
			codes = append(codes, code)
		}
	}
	return codes
}

// TestSaveGateGivesUp: a save that gives up waiting for an invocation (a periodic save does after
// saveWait) says so and stops holding back new invocations; the next save gets the gate once the
// invocations are done.
func TestSaveGateGivesUp(t *testing.T) {
	t.Parallel()
	var g saveGate
	running := g.admit()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := g.lock(ctx); !errors.Is(err, errStillRunning) {
		t.Fatalf("lock with an invocation running: %v, want %v", err, errStillRunning)
	}
	next := make(chan func(), 1)
	go func() { next <- g.admit() }()
	select {
	case done := <-next:
		done()
	case <-time.After(waitFor):
		t.Fatal("an invocation waits for a save that gave up")
	}
	running()
	if err := g.lock(context.Background()); err != nil {
		t.Fatalf("lock with nothing running: %v", err)
	}
	g.unlock()
}
