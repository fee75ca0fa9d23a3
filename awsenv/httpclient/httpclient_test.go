package httpclient

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strconv"
	"sync"
	"testing"
	"time"
)

// sdkBody behaves as the SDK's request body (smithy-go's safeReadCloser over a byte slice): once
// closed, Read and WriteTo return io.EOF. Its last read — the one net/http makes after Content-Length
// bytes to check that nothing is left — waits until the body is closed, as the SDK closes it as soon
// as the response headers arrive: that puts the race of the package comment on its losing side every
// time.
type sdkBody struct {
	r      *bytes.Reader
	mu     sync.Mutex
	closed chan struct{}
	once   sync.Once
}

func newSDKBody(b []byte) *sdkBody {
	return &sdkBody{r: bytes.NewReader(b), closed: make(chan struct{})}
}

// waitAtEnd holds a read at the end of the data until Close, at most 10 s (then the test fails on
// the missing answer instead of hanging).
func (b *sdkBody) waitAtEnd() {
	if b.r.Len() == 0 {
		select {
		case <-b.closed:
		case <-time.After(10 * time.Second):
		}
	}
}

func (b *sdkBody) isClosed() bool {
	select {
	case <-b.closed:
		return true
	default:
		return false
	}
}

func (b *sdkBody) Read(p []byte) (int, error) {
	b.waitAtEnd()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.isClosed() {
		return 0, io.EOF
	}
	return b.r.Read(p)
}

func (b *sdkBody) WriteTo(w io.Writer) (int64, error) {
	b.waitAtEnd()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.isClosed() {
		return 0, io.EOF // what smithy-go's safeWriteToReadCloser returns
	}
	return b.r.WriteTo(w)
}

func (b *sdkBody) Close() error {
	b.once.Do(func() { close(b.closed) })
	return nil
}

// exchange sends one request with an SDK-like body through client to a server answering 64 KiB,
// closes the body when Do returns (as the SDK does), and returns the error of the transport's write
// of the request and the response body's length (or the error reading it).
func exchange(t *testing.T, client *http.Client) (writeErr error, n int, readErr error) {
	t.Helper()
	answer := bytes.Repeat([]byte("d"), 64<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
		_, _ = w.Write(answer)
	}))
	defer srv.Close()

	wrote := make(chan error, 1)
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) { wrote <- i.Err },
	})
	payload := []byte(`{"TableName":"t","Key":{"PK":{"S":"a"},"SK":{"S":"b"}}}`)
	body := newSDKBody(payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(payload))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("round trip: %v", err)
	}
	defer resp.Body.Close()
	body.Close() // what smithy-go's ClientHandler does when Do returns
	select {
	case writeErr = <-wrote:
	case <-time.After(10 * time.Second):
		t.Fatal("the transport never finished writing the request")
	}
	got, readErr := io.ReadAll(resp.Body)
	return writeErr, len(got), readErr
}

// TestEarlyCloseIsTheEndOfTheBody sends a request whose body the caller closes as soon as the answer's
// headers arrive and before the transport's last read of it, as the SDK does against a fast server:
// the transport must count the request as written, keep the connection, and deliver the whole answer.
func TestEarlyCloseIsTheEndOfTheBody(t *testing.T) {
	writeErr, n, readErr := exchange(t, New(nil))
	if writeErr != nil {
		t.Errorf("the transport counted the early close as a failed write: %v", writeErr)
	}
	if readErr != nil || n != 64<<10 {
		t.Errorf("read %d bytes of 64 KiB of the answer: %v", n, readErr)
	}
}

// TestEarlyCloseWithoutTheFix is the control: the same exchange through net/http's own transport
// loses the race, so TestEarlyCloseIsTheEndOfTheBody does not pass for want of a race. If this test
// fails, net/http (or the SDK) no longer treats a body closed early as a failed write, and this
// package's transport may not be needed any more.
func TestEarlyCloseWithoutTheFix(t *testing.T) {
	plain := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	writeErr, _, _ := exchange(t, plain)
	if !errors.Is(writeErr, io.EOF) {
		t.Errorf("write error = %v, want io.EOF: the race of the package comment no longer happens here", writeErr)
	}
}
