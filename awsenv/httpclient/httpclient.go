// Package httpclient is the HTTP client of every AWS SDK client in the project: the functions'
// (awsenv/lambdaenv), the local stack's, the load and cold-start tools' and the tests'. It imports
// nothing of the project, so any of them can use it.
//
// It exists for one race between the SDK and net/http, handled here once, at its root:
//
//   - The SDK (smithy-go's ClientHandler) closes a request's body as soon as http.Client.Do returns,
//     that is as soon as the response headers have arrived, and the body it hands net/http is
//     smithy's safeReadCloser, whose WriteTo after that Close returns io.EOF where the io.WriterTo
//     contract wants a nil error at the end of the data.
//   - net/http's transport, once it has sent Content-Length bytes of a body, reads the body once
//     more to check that nothing is left over (transferWriter.writeBody in net/http/transfer.go),
//     with io.Copy, which takes the body's WriteTo. The SDK's body is no in-memory type that net/http
//     knows, so the request's headers and body reach the server before that last read.
//   - Against a fast server (every local stand-in: the project's DynamoDB and Step Functions, minidyn,
//     dynalite), the answer can arrive, and the SDK close the body, before that last read. The read
//     then gets io.EOF, the transport takes it for a failed write and closes the connection, under
//     the response the SDK is still reading: a response larger than what the transport has already
//     buffered (4 KiB) fails with "use of closed network connection" (aws/aws-sdk-go-v2#1825,
//     #2737). The SDK retries it, and a conditional write that had in fact succeeded then comes back
//     as ConditionalCheckFailed.
//
// The client's transport hands net/http each request body without its WriteTo method, so that last
// read goes through Read, where a closed body's io.EOF is what it should be: the end of the body.
// Nothing else changes; in particular responses are read as the SDK reads them, not buffered.
// (TestEarlyCloseIsTheEndOfTheBody shows the race, and that it is gone, deterministically.)
package httpclient

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
)

// New returns the HTTP client for AWS SDK clients (aws.Config.HTTPClient, or a service's
// Options.HTTPClient), trusting only roots for TLS; nil means the system's roots. The Lambda functions
// pass the Amazon Trust Services roots (lambdaenv.RootCAs), so their first TLS handshake does not load
// the system's whole CA bundle; the local stack, the tools and the tests pass nil.
func New(roots *x509.CertPool) *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 64 // Lambda handlers and tests issue bursts of concurrent calls
	if roots != nil {
		base.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: transport{base: base}}
}

// transport sends requests through base with their bodies stripped of WriteTo (see the package
// comment).
type transport struct {
	base http.RoundTripper
}

// RoundTrip sends req through the base transport. A RoundTripper must not modify its request, so a
// request with a body is copied (shallowly, which is all it takes to replace the body).
func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		r := *req
		r.Body = readCloser{req.Body}
		req = &r
	}
	return t.base.RoundTrip(req)
}

// readCloser exposes only the Read and Close methods of a body: net/http then copies it with Read.
type readCloser struct {
	io.ReadCloser
}
