package dynamo

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
)

// HTTPClient returns the HTTP client to give the DynamoDB client (dynamodb.Options.HTTPClient): it
// reads every response body completely inside the round trip.
//
// Why: the SDK closes the request body as soon as the transport returns the response headers. When
// the transport's writer goroutine has not finished with the request body yet (common for request
// bodies over 4 kB, and for fast local servers), its next read fails and the transport closes the
// connection, so the SDK's later read of the response body fails with "use of closed network
// connection" (aws/aws-sdk-go-v2#1825, #2737). The SDK then retries the call, and a retried
// conditional write that had in fact succeeded comes back as ConditionalCheckFailed. Reading the body
// before the SDK can close the request body removes that window. DynamoDB responses are at most about
// 1 MB (one page), so buffering them costs little.
func HTTPClient() *http.Client {
	return NewHTTPClient(nil)
}

// NewHTTPClient returns HTTPClient's client trusting only roots for TLS; nil means the system's
// roots. The Lambda functions pass the Amazon Trust Services roots (awsenv/lambdaenv.RootCAs), so
// their first TLS handshake does not load the system's whole CA bundle.
func NewHTTPClient(roots *x509.CertPool) *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 64 // Lambda handlers and tests issue bursts of concurrent calls
	if roots != nil {
		base.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: bufferingTransport{base: base}}
}

// bufferingTransport reads each response body into memory before returning the response.
type bufferingTransport struct {
	base http.RoundTripper
}

// RoundTrip performs the request and buffers the response body.
func (t bufferingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	closeErr := resp.Body.Close()
	if err == nil {
		err = closeErr
	}
	if err != nil {
		return nil, fmt.Errorf("read DynamoDB response body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}
