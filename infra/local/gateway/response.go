package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// response is a function's output interpreted with payload 2.0's rules.
type response struct {
	status  int
	headers map[string]string
	multi   map[string][]string
	cookies []string
	body    []byte
}

// parseResponse interprets a function's output. A JSON object with a
// statusCode is a structured response; any other valid JSON is the body of
// a 200 application/json response (API Gateway's format inference).
func parseResponse(out []byte) (*response, error) {
	trimmed := bytes.TrimSpace(out)
	if !json.Valid(trimmed) {
		return nil, fmt.Errorf("function output is not JSON")
	}
	var probe map[string]json.RawMessage
	if trimmed[0] == '{' {
		if err := json.Unmarshal(trimmed, &probe); err != nil {
			return nil, err
		}
	}
	if _, ok := probe["statusCode"]; !ok {
		return &response{
			status:  http.StatusOK,
			headers: map[string]string{"content-type": "application/json"},
			body:    trimmed,
		}, nil
	}
	var v struct {
		StatusCode        int                 `json:"statusCode"`
		Headers           map[string]string   `json:"headers"`
		MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
		Cookies           []string            `json:"cookies"`
		Body              string              `json:"body"`
		IsBase64Encoded   bool                `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(trimmed, &v); err != nil {
		return nil, fmt.Errorf("structured response: %w", err)
	}
	if v.StatusCode < 100 || v.StatusCode > 599 {
		return nil, fmt.Errorf("structured response: statusCode %d is not an HTTP status", v.StatusCode)
	}
	resp := &response{status: v.StatusCode, headers: v.Headers, multi: v.MultiValueHeaders, cookies: v.Cookies, body: []byte(v.Body)}
	if v.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(v.Body)
		if err != nil {
			return nil, fmt.Errorf("structured response: isBase64Encoded body: %w", err)
		}
		resp.body = b
	}
	return resp, nil
}

// write sets the response headers. With CORS configured on the API, API
// Gateway ignores the function's own CORS headers and sets its own.
func (resp *response) write(w http.ResponseWriter, dropCORS bool) {
	h := w.Header()
	keep := func(name string) bool {
		return !dropCORS || !strings.HasPrefix(strings.ToLower(name), "access-control-")
	}
	for name, values := range resp.multi {
		if keep(name) {
			for _, v := range values {
				h.Add(name, v)
			}
		}
	}
	for name, v := range resp.headers {
		if keep(name) {
			// headers win over multiValueHeaders for the same name.
			h.Set(name, v)
		}
	}
	for _, c := range resp.cookies {
		h.Add("Set-Cookie", c)
	}
	if h.Get("Content-Type") == "" {
		// API Gateway adds no content type the function did not give;
		// stop net/http from sniffing one.
		h["Content-Type"] = nil
	}
}
