package main

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// runtimeAPI is a tiny stand-in for the Lambda Runtime API (2018-06-01) serving one function process:
// GET .../runtime/invocation/next hands out the queued events one at a time, POST
// .../invocation/{id}/response and .../invocation/{id}/error take the answers, POST .../init/error
// takes an init failure. It notes when each of these happened.
type runtimeAPI struct {
	arn string

	mu      sync.Mutex
	events  [][]byte
	next    int
	answers chan answer
	// firstNext is when the function first asked for an event: its init was done.
	firstNext time.Time
}

// answer is what the function posted for one invocation.
type answer struct {
	requestID string
	kind      string // "response", "error" or "init/error"
	body      []byte
	at        time.Time
}

func newRuntimeAPI(arn string, events ...[]byte) *runtimeAPI {
	return &runtimeAPI{arn: arn, events: events, answers: make(chan answer, len(events)+1)}
}

const runtimePrefix = "/2018-06-01/runtime/"

// ServeHTTP implements the Runtime API's routes.
func (r *runtimeAPI) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	path := strings.TrimPrefix(req.URL.Path, runtimePrefix)
	switch {
	case req.Method == http.MethodGet && path == "invocation/next":
		r.mu.Lock()
		if r.firstNext.IsZero() {
			r.firstNext = time.Now()
		}
		if r.next >= len(r.events) {
			r.mu.Unlock()
			// No more work: hold the call as Lambda does while the instance is idle, until the
			// process is stopped.
			<-req.Context().Done()
			return
		}
		i := r.next
		r.next++
		ev := r.events[i]
		r.mu.Unlock()
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", fmt.Sprintf("coldstart-%d", i))
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(15*time.Second).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", r.arn)
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0")
		h.Set("Content-Type", "application/json")
		w.Write(ev)
	case req.Method == http.MethodPost && (strings.HasSuffix(path, "/response") || strings.HasSuffix(path, "/error")) && strings.HasPrefix(path, "invocation/"):
		body, _ := io.ReadAll(req.Body)
		id, kind, _ := strings.Cut(strings.TrimPrefix(path, "invocation/"), "/")
		w.WriteHeader(http.StatusAccepted)
		r.answers <- answer{requestID: id, kind: kind, body: body, at: time.Now()}
	case req.Method == http.MethodPost && path == "init/error":
		body, _ := io.ReadAll(req.Body)
		w.WriteHeader(http.StatusAccepted)
		r.answers <- answer{kind: "init/error", body: body, at: time.Now()}
	default:
		http.Error(w, "not a Runtime API route", http.StatusNotFound)
	}
}

// initDone returns when the function first asked for an event.
func (r *runtimeAPI) initDone() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.firstNext
}
