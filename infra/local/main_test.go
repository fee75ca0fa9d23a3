package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"refundflow/infra/local/stack"
)

// runAsMainEnv makes the test binary run main() instead of the tests, so the tests can start the
// command as a separate process (signals, exit status, output) without building it first.
const runAsMainEnv = "REFUNDFLOW_LOCAL_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runAsMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// command returns the command as a process with args, its environment cleared of the REFUNDFLOW_
// variables that would change its flags' defaults.
func command(t *testing.T, ctx context.Context, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REFUNDFLOW_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, runAsMainEnv+"=1")
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestTakenPortIsReportedClearly(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := command(t, ctx, "-addr", ln.Addr().String())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1\nstderr: %s", err, stderr.String())
	}
	want := "refundflow: " + ln.Addr().String() + " is already in use (another Refundflow, or another program): stop it or pick another address with -addr\n"
	if got := stderr.String(); got != want {
		t.Errorf("stderr:\n%q\nwant\n%q", got, want)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout: %q, want nothing (no banner for a stack that did not start)", stdout.String())
	}
}

func TestInterruptStopsCleanly(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := command(t, ctx, "-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	// The banner tells where the pages are; read until the staff token, its last line.
	var out lockedBuffer
	lines := bufio.NewScanner(io.TeeReader(stdout, &out))
	var base string
	formLine := regexp.MustCompile(`^\s+Request form\s+(http://127\.0\.0\.1:\d+)/$`)
	for lines.Scan() {
		if m := formLine.FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
		}
		if strings.HasPrefix(lines.Text(), "eyJ") { // the staff token, a JWT
			break
		}
	}
	if base == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("no banner with the request form's URL:\n%s\nstderr:\n%s", out.String(), stderr.String())
	}
	done := make(chan struct{})
	go func() { // keep draining stdout so the process never blocks on it
		io.Copy(io.Discard, io.TeeReader(stdout, &out))
		close(done)
	}()
	for _, want := range []string{"RF-1001", "Email outbox", "aws dynamodb scan", "_local/clock"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the banner does not mention %q:\n%s", want, out.String())
		}
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatalf("the request form: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the request form: %s", resp.Status)
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	<-done
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after Ctrl-C: %v, want exit status 0\nstderr:\n%s", err, stderr.String())
	}
	for _, want := range []string{"Stopping", "Stopped. Everything was in memory"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout does not say %q:\n%s", want, out.String())
		}
	}
	if s := stderr.String(); strings.Contains(s, "goroutine") || strings.Contains(s, `"level":"ERROR"`) {
		t.Errorf("stderr after a clean stop:\n%s", s)
	}
	// The port is free again.
	ln, err := net.Listen("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Errorf("the port is still taken after the stop: %v", err)
	} else {
		ln.Close()
	}
}

func TestSIGTERMStopsCleanly(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := command(t, ctx, "-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	lines := bufio.NewScanner(io.TeeReader(stdout, &out))
	for lines.Scan() && !strings.HasPrefix(lines.Text(), "eyJ") {
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, io.TeeReader(stdout, &out))
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Stopped.") {
		t.Errorf("stdout:\n%s", out.String())
	}
}

func TestFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		args   []string
		status int
		stderr string
	}{
		{"help", []string{"-h"}, 0, "-dynamodb-endpoint"},
		{"unknown flag", []string{"-datadir", "/tmp/x"}, 1, "flag provided but not defined: -datadir"},
		{"help names -data", []string{"-h"}, 0, "REFUNDFLOW_DATA"},
		{"bad log level", []string{"-log", "loud"}, 1, "refundflow: -log:"},
		{"stray argument", []string{"serve"}, 1, `refundflow: unexpected argument "serve"`},
		{"bad address", []string{"-addr", "127.0.0.1:99999"}, 1, "refundflow: listen on 127.0.0.1:99999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := command(t, ctx, tc.args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			status := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				status = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tc.status || !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", status, stderr.String(), tc.status, tc.stderr)
			}
		})
	}
}

func TestLoopback(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:8080": true, "[::1]:8080": true,
		":8080": false, "0.0.0.0:8080": false, "192.168.1.5:8080": false, "nonsense": false,
	} {
		if got := loopback(addr); got != want {
			t.Errorf("loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

// runUntilBanner starts the command with args (and env added to its environment) and reads its
// banner up to the staff token; it returns the process, its output so far and from now on, its
// stderr, the token, and a channel closed when stdout ends. The caller stops the process (stop).
func runUntilBanner(t *testing.T, ctx context.Context, env []string, args ...string) (*exec.Cmd, *lockedBuffer, *lockedBuffer, string, chan struct{}) {
	t.Helper()
	cmd := command(t, ctx, args...)
	cmd.Env = append(cmd.Env, env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out, stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(io.TeeReader(stdout, &out))
	token := ""
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "eyJ") {
			token = lines.Text()
			break
		}
	}
	if token == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("no banner:\n%s\nstderr:\n%s", out.String(), stderr.String())
	}
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, io.TeeReader(stdout, &out))
		close(done)
	}()
	return cmd, &out, &stderr, token, done
}

// stop interrupts the command as Ctrl-C does and waits for a clean exit.
func stop(t *testing.T, cmd *exec.Cmd, stderr *lockedBuffer, done chan struct{}) {
	t.Helper()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	<-done
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after Ctrl-C: %v, want exit status 0\nstderr:\n%s", err, stderr.String())
	}
}

// TestDataDirAcrossRuns runs the command twice on one data directory (made by the first run): the
// first run says the state is kept there, Ctrl-C saves it, and the second run carries on from it,
// with the same staff token, and says where the earlier run's links point.
func TestDataDirAcrossRuns(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "state")
	cmd, out, stderr, token, done := runUntilBanner(t, ctx, nil, "-addr", "127.0.0.1:0", "-data", dir)
	if want := "State kept in " + dir + " (new)"; !strings.Contains(out.String(), want) {
		t.Errorf("the first banner does not say %q:\n%s", want, out.String())
	}
	if strings.Contains(out.String(), "Time travel: the stack's clock") {
		t.Errorf("the first banner says the clock travelled:\n%s", out.String())
	}
	if !regexp.MustCompile(`(?m)^  RF-1001 .* bought 3 days ago, nothing started\n +→ full refund of EUR 1,800.00 \(cooling-off until `).MatchString(out.String()) {
		t.Errorf("the first banner does not offer RF-1001 its cooling-off refund:\n%s", out.String())
	}
	// Travel 30 days before the stop: the next run carries the clock on, and its banner says so.
	m := regexp.MustCompile(`(?m)^\s+Request form\s+(http://127\.0\.0\.1:\d+)/$`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no request form URL in the banner:\n%s", out.String())
	}
	resp, err := http.Post(m[1]+"/_local/clock", "application/json", strings.NewReader(`{"advance":"30d"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("time travel: %s", resp.Status)
	}
	stop(t, cmd, stderr, done)
	if want := "Stopped. Everything is saved in " + dir + ": start with -data " + dir + " to carry on."; !strings.Contains(out.String(), want) {
		t.Errorf("stdout does not say %q:\n%s", want, out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "refundflow-state.json")); err != nil {
		t.Fatalf("no state file after Ctrl-C: %v", err)
	}

	// The environment variable works as the flag does.
	cmd, out2, stderr2, token2, done2 := runUntilBanner(t, ctx, []string{"REFUNDFLOW_DATA=" + dir}, "-addr", "127.0.0.1:0")
	if !strings.Contains(out2.String(), "State kept in "+dir+": carrying on from the state saved at ") {
		t.Errorf("the second banner does not say it carries on:\n%s", out2.String())
	}
	if token2 != token {
		t.Errorf("the second run printed another staff token")
	}
	if !strings.Contains(out2.String(), "Time travel: the stack's clock is 30 days ahead of the wall clock, at ") {
		t.Errorf("the second banner does not say the clock is 30 days ahead:\n%s", out2.String())
	}
	// RF-1001 was bought 3 days before the first run: 33 days before the travelled clock, when its
	// cooling-off is over.
	if !regexp.MustCompile(`(?m)^  RF-1001 .* bought 33 days ago, nothing started\n +→ partial refund of EUR 1,710.00, .*\(the 14-day cooling-off ended on `).MatchString(out2.String()) {
		t.Errorf("the second banner does not describe RF-1001 on the travelled clock:\n%s", out2.String())
	}
	stop(t, cmd, stderr2, done2)
	// After the token: read once the output is complete.
	if !strings.Contains(out2.String(), "Note: the earlier run was at http://127.0.0.1:") {
		t.Errorf("the second banner does not say where the earlier run's links point:\n%s", out2.String())
	}
}

// TestDataDirUnreadableState: a state file that cannot be used stops the command with one line on
// stderr that names the file and says what to do, and leaves the file alone.
func TestDataDirUnreadableState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "refundflow-state.json")
	if err := os.WriteFile(path, []byte("{truncated"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := command(t, ctx, "-addr", "127.0.0.1:0", "-data", dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1\nstderr: %s", err, stderr.String())
	}
	got := stderr.String()
	if !strings.HasPrefix(got, "refundflow: "+path+" is not a Refundflow state file (") ||
		!strings.HasSuffix(got, "): move it away (or use another -data directory) to start afresh\n") || strings.Count(got, "\n") != 1 {
		t.Errorf("stderr:\n%q\nwant one line naming %s, the problem and what to do", got, path)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout: %q, want no banner", stdout.String())
	}
	if data, _ := os.ReadFile(path); string(data) != "{truncated" {
		t.Errorf("the state file was changed: %q", data)
	}
}

// TestDocsShowTheBanner keeps the banner that README.md and docs/local.md show true: each line of it
// (dates, ports and the token aside, which change with every start) is a line the banner of a fresh
// stack prints.
func TestDocsShowTheBanner(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := stack.Start(ctx, stack.Config{Addr: "127.0.0.1:0", Demo: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	var banner bytes.Buffer
	printBanner(ctx, &banner, s, "127.0.0.1:8080")

	variable := regexp.MustCompile(`\d{4}-\d{2}-\d{2}|http://127\.0\.0\.1:\d+|^eyJ\S*`)
	normal := func(line string) string { return variable.ReplaceAllString(line, "…") }
	printed := map[string]bool{}
	for _, line := range strings.Split(banner.String(), "\n") {
		printed[normal(line)] = true
	}
	for _, doc := range []string{"../../README.md", "../../docs/local.md"} {
		raw, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		_, block, ok := strings.Cut(string(raw), "```\nRefundflow is running")
		block, _, closed := strings.Cut(block, "\n```")
		if !ok || !closed {
			t.Errorf("%s shows no banner", doc)
			continue
		}
		for _, line := range strings.Split("Refundflow is running"+block, "\n") {
			if strings.TrimSpace(line) == "..." {
				continue // lines left out
			}
			if !printed[normal(line)] {
				t.Errorf("%s shows a banner line the stack does not print:\n%s\nIt prints:\n%s", doc, line, banner.String())
			}
		}
	}
}
