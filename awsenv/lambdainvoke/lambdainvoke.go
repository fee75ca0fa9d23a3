// Package lambdainvoke calls Lambda's Invoke API (a synchronous RequestResponse invocation of one
// function by another), signed with the SDK's Signature Version 4 signer.
//
// It is not the SDK's service/lambda client on purpose: that client's package initialises the shape
// schemas of all ~80 Lambda operations, which costs a binary some 0.6 MB — as much as the PDF library
// NotifyFunction hands to AgreementPdfFunction to stay under its 12 MB bootstrap target. One
// operation, one POST, signed by the SDK's own signer: the wire format is the documented one
// (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
package lambdainvoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"refundflow/awsenv/awspost"
)

// maxAnswer bounds what is read of an answer: Lambda's own limit on a synchronous answer, 6 MB.
const maxAnswer = 6 * 1024 * 1024

// ErrUnavailable is wrapped by every error that says the function could not be reached or did not
// answer (the network, a throttled or refused call, a timeout or crash its runtime reported): worth
// retrying, unlike a *FunctionError.
var ErrUnavailable = errors.New("the function could not be invoked")

// FunctionError is the error a function returned: the runtime's errorType and errorMessage.
type FunctionError struct {
	Function, Type, Message string
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("%s failed: %s: %s", e.Function, e.Type, e.Message)
}

// Client invokes one function.
type Client struct {
	// Function is the function's name or ARN, with its alias (AgreementPdfFunction's live alias).
	Function string
	// Endpoint is the Lambda API's base URL; empty means the region's (lambda.<region>.amazonaws.com).
	Endpoint string
	// Config gives the region, the credentials and the HTTP client.
	Config aws.Config
}

// Invoke runs the function with payload (a JSON document) and returns its answer. A function that
// failed is a *FunctionError, unless its runtime rather than its code failed (errorType Runtime.* or
// Sandbox.*: out of memory, timed out), which, like every failure to get an answer, wraps
// ErrUnavailable. There is no retry here: the caller's step is retried by the state machine.
func (c Client) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	u := awspost.Endpoint(c.Endpoint, "lambda", c.Config.Region) + "/2015-03-31/functions/" + url.PathEscape(c.Function) + "/invocations"
	header := http.Header{"Content-Type": {"application/json"}, "X-Amz-Invocation-Type": {"RequestResponse"}}
	resp, body, err := awspost.Post(ctx, c.Config, "lambda", u, header, payload, maxAnswer+1)
	if errors.Is(err, awspost.ErrNotSent) {
		return nil, fmt.Errorf("invoke %s: %w: %w", c.Function, ErrUnavailable, err)
	}
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", c.Function, err)
	}
	if resp.StatusCode != http.StatusOK {
		// Lambda's own error (not the function's): the type is in a header, the message in the body.
		var e struct {
			Message  string `json:"message"`
			MessageU string `json:"Message"`
		}
		_ = json.Unmarshal(body, &e) // an unreadable body leaves the message empty
		err := fmt.Errorf("invoke %s: %d %s: %s%s", c.Function, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), e.Message, e.MessageU)
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return nil, err
	}
	if kind := resp.Header.Get("X-Amz-Function-Error"); kind != "" {
		fe := &FunctionError{Function: c.Function}
		var doc struct {
			Type    string `json:"errorType"`
			Message string `json:"errorMessage"`
		}
		_ = json.Unmarshal(body, &doc) // an unreadable document leaves both empty
		fe.Type, fe.Message = doc.Type, doc.Message
		if fe.Type == "" {
			fe.Type = kind
		}
		if strings.HasPrefix(fe.Type, "Runtime.") || strings.HasPrefix(fe.Type, "Sandbox.") {
			return nil, fmt.Errorf("%w: %w", ErrUnavailable, fe)
		}
		return nil, fe
	}
	if len(body) > maxAnswer {
		return nil, fmt.Errorf("invoke %s: the answer is over %d bytes", c.Function, maxAnswer)
	}
	return body, nil
}

// Call invokes c's function with in, as JSON, and decodes its answer into an O: the typed form of
// Invoke, for a function whose handler takes an I and returns an O. Errors are Invoke's, or the
// answer's decoding error.
func Call[I, O any](ctx context.Context, c Client, in I) (O, error) {
	var out O
	payload, err := json.Marshal(in)
	if err != nil {
		return out, fmt.Errorf("invoke %s: %w", c.Function, err)
	}
	answer, err := c.Invoke(ctx, payload)
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(answer, &out); err != nil {
		return out, fmt.Errorf("invoke %s: its answer: %w", c.Function, err)
	}
	return out, nil
}
