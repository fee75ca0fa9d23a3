// Package awspost sends one POST to an AWS API the way the SDK's service clients send theirs: signed
// with the SDK's own Signature Version 4 signer, with the configuration's credentials and HTTP
// client. It serves the calls the project makes without an SDK service client (awsenv/lambdainvoke,
// mail/sesmail), each for one operation whose client package would cost every function that links
// it the initialisation of the shape schemas of all the service's operations at each cold start.
package awspost

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// ErrNotSent is wrapped by the errors of a request that got no answer: no credentials, a request
// that could not be signed or sent, an answer cut off.
var ErrNotSent = errors.New("no answer")

// Endpoint is the base URL of an AWS API: base when set (an endpoint override, such as the local
// stack's), else the regional endpoint of the service's endpoint prefix ("lambda", "email") in
// region, in China's partition for a cn- region.
func Endpoint(base, prefix, region string) string {
	if base != "" {
		return strings.TrimRight(base, "/")
	}
	u := "https://" + prefix + "." + region + ".amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		u += ".cn"
	}
	return u
}

// Post sends body to url as a request to the AWS service whose signing name is service ("lambda",
// "ses"), in cfg's region, with cfg's credentials and HTTP client, and the request headers header
// (Content-Type among them). It returns the answer, whose body it has read (at most limit bytes,
// then closed), whatever its status: the caller reads the status and its service's error format.
func Post(ctx context.Context, cfg aws.Config, service, url string, header http.Header, body []byte, limit int64) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if cfg.Credentials == nil {
		return nil, nil, fmt.Errorf("%w: no credentials", ErrNotSent)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: credentials: %w", ErrNotSent, err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, cfg.Region, time.Now()); err != nil {
		return nil, nil, fmt.Errorf("%w: sign: %w", ErrNotSent, err)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrNotSent, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: read the answer: %w", ErrNotSent, err)
	}
	return resp, answer, nil
}
