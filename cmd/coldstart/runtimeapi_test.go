package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestRuntimeAPI walks the stand-in as aws-lambda-go's runtime client does: next, then the answer.
func TestRuntimeAPI(t *testing.T) {
	api := newRuntimeAPI("arn:aws:lambda:us-east-1:123456789012:function:F", []byte(`{"a":1}`), []byte(`{"b":2}`))
	srv := httptest.NewServer(api)
	defer srv.Close()
	for i, want := range []string{`{"a":1}`, `{"b":2}`} {
		resp, err := http.Get(srv.URL + "/2018-06-01/runtime/invocation/next")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		if string(body) != want || id == "" || resp.Header.Get("Lambda-Runtime-Deadline-Ms") == "" || !strings.HasSuffix(resp.Header.Get("Lambda-Runtime-Invoked-Function-Arn"), ":F") {
			t.Fatalf("event %d: %q, headers %v", i, body, resp.Header)
		}
		kind := []string{"response", "error"}[i]
		post, err := http.Post(srv.URL+"/2018-06-01/runtime/invocation/"+id+"/"+kind, "application/json", strings.NewReader(`"ok"`))
		if err != nil || post.StatusCode != http.StatusAccepted {
			t.Fatalf("post %s: %v %v", kind, post, err)
		}
		post.Body.Close()
		select {
		case a := <-api.answers:
			if a.requestID != id || a.kind != kind || string(a.body) != `"ok"` {
				t.Errorf("answer %+v", a)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no answer recorded")
		}
	}
	if api.initDone().IsZero() {
		t.Error("the first /next was not noted")
	}
	if resp, err := http.Get(srv.URL + "/2018-06-01/runtime/unknown"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown route: %v %v", resp, err)
	}
}
