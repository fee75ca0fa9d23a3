package lambdaenv

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// TestSettledWaitsForBackgroundReads: an invocation served through Settled does not answer while a
// read started in the background runs (Lambda would freeze it halfway), and a read that fails stops
// the function with its error.
func TestSettledWaitsForBackgroundReads(t *testing.T) {
	type stopped struct {
		function string
		err      error
	}
	stops := make(chan stopped, 1)
	b := &Background{Stop: func(function string, err error) { stops <- stopped{function, err} }}
	release := make(chan struct{})
	b.Go("SomeFunction", func() error { <-release; return nil })

	handle := Settled(Env{Background: b}, func(context.Context, string) (string, error) { return "answer", nil })
	answered := make(chan string, 1)
	go func() {
		out, _ := handle(context.Background(), "event")
		answered <- out
	}()
	select {
	case <-answered:
		t.Fatal("the invocation answered while a background read was running")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	select {
	case out := <-answered:
		if out != "answer" {
			t.Errorf("answer %q, want the handler's", out)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the invocation did not answer once the read had ended")
	}

	broken := errors.New("AccessDeniedException")
	b.Go("SomeFunction", func() error { return broken })
	select {
	case s := <-stops:
		if s.function != "SomeFunction" || !errors.Is(s.err, broken) {
			t.Errorf("stopped %s with %v, want SomeFunction with the read's error", s.function, s.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a failed read did not stop the function")
	}

	plain := func(context.Context, string) (string, error) { return "", nil }
	if got := Settled(Env{}, plain); reflect.ValueOf(got).Pointer() != reflect.ValueOf(plain).Pointer() {
		t.Error("Settled without Background wrapped the handler; want the handler itself")
	}
}
