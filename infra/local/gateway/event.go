package gateway

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// requestTimeLayout is requestContext.time's format: "21/Apr/2020:15:08:21 +0000".
const requestTimeLayout = "02/Jan/2006:15:04:05 -0700"

func (g *Gateway) buildEvent(r *http.Request, route *compiledRoute, params map[string]string, body []byte, authz *authResult, requestID string, now time.Time) events.APIGatewayV2HTTPRequest {
	headers, cookies := eventHeaders(r, len(body), now)
	host := r.Host
	domain := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		domain = h
	}
	prefix, _, _ := strings.Cut(domain, ".")
	sourceIP := r.RemoteAddr
	if h, _, err := net.SplitHostPort(sourceIP); err == nil {
		sourceIP = h
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              route.Key(),
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: queryParameters(r.URL.RawQuery),
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     route.Key(),
			AccountID:    g.cfg.AccountID,
			Stage:        g.cfg.Stage,
			RequestID:    requestID,
			APIID:        g.cfg.APIID,
			DomainName:   host,
			DomainPrefix: prefix,
			Time:         now.UTC().Format(requestTimeLayout),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if authz != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: authz.claims, Scopes: authz.scopes},
		}
	}
	if len(body) > 0 {
		// A text body that is not valid UTF-8 cannot travel as a JSON string without being altered
		// (encoding/json would replace the bad bytes with U+FFFD), so it goes base64-encoded like a
		// binary body: the function sees exactly the bytes the client sent and can refuse them.
		if isTextContent(r.Header.Get("Content-Type")) && utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// marshalEvent encodes the event as the Lambda service would: without
// HTML escaping, and without the mTLS block this emulator never fills
// (API Gateway sends it only for mutual TLS).
func marshalEvent(ev events.APIGatewayV2HTTPRequest) ([]byte, error) {
	var m map[string]any
	raw, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber() // keep timeEpoch an integer
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if rc, ok := m["requestContext"].(map[string]any); ok {
		delete(rc, "authentication")
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}

// eventHeaders lower-cases header names and joins repeated headers with
// commas; Cookie headers become the cookies list instead. Like API Gateway
// it adds host, content-length and the x-forwarded-* and x-amzn-trace-id
// headers its load balancer sets.
func eventHeaders(r *http.Request, bodyLen int, now time.Time) (map[string]string, []string) {
	headers := map[string]string{}
	var cookies []string
	for name, values := range r.Header {
		key := strings.ToLower(name)
		if key == "cookie" {
			for _, v := range values {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[key] = strings.Join(values, ",")
	}
	headers["host"] = r.Host
	// API Gateway always passes the length of the body it read, even 0
	// for a GET without the header.
	headers["content-length"] = strconv.Itoa(bodyLen)
	sourceIP := r.RemoteAddr
	if h, _, err := net.SplitHostPort(sourceIP); err == nil {
		sourceIP = h
	}
	if prior := headers["x-forwarded-for"]; prior != "" {
		headers["x-forwarded-for"] = prior + ", " + sourceIP
	} else {
		headers["x-forwarded-for"] = sourceIP
	}
	proto, port := "http", "80"
	if r.TLS != nil {
		proto, port = "https", "443"
	}
	if _, p, err := net.SplitHostPort(r.Host); err == nil {
		port = p
	}
	headers["x-forwarded-proto"] = proto
	headers["x-forwarded-port"] = port
	if headers["x-amzn-trace-id"] == "" {
		headers["x-amzn-trace-id"] = newTraceID(now)
	}
	return headers, cookies
}

// newTraceID makes an X-Ray trace header: Root=1-<epoch hex>-<96 random bits>.
func newTraceID(now time.Time) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return fmt.Sprintf("Root=1-%08x-%s", now.Unix(), hex.EncodeToString(b))
}

// queryParameters decodes a raw query into API Gateway's map: repeated keys
// are joined with commas in order; nil when there is no query.
func queryParameters(raw string) map[string]string {
	if raw == "" {
		return nil
	}
	out := map[string]string{}
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, v = queryUnescape(k), queryUnescape(v)
		if prev, ok := out[k]; ok {
			out[k] = prev + "," + v
		} else {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func queryUnescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// isTextContent reports whether API Gateway passes a body of this content
// type as text. Everything else — form posts
// (application/x-www-form-urlencoded), multipart, images, a body without a
// content type — arrives base64-encoded with isBase64Encoded true.
func isTextContent(contentType string) bool {
	if contentType == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"):
		return true
	case mt == "application/json", mt == "application/xml", mt == "application/javascript",
		mt == "application/ecmascript", mt == "application/graphql", mt == "application/yaml", mt == "application/x-yaml":
		return true
	case strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	return false
}
