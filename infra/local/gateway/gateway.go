// Package gateway emulates an Amazon API Gateway HTTP API with Lambda proxy
// integrations (payload format 2.0) as an http.Handler.
//
// Requests become events.APIGatewayV2HTTPRequest values built the way API
// Gateway builds them (lower-case headers with duplicates comma-joined,
// cookies split out, query parameters comma-joined, path parameters, base64
// bodies for non-text content, requestContext with source IP, user agent and
// JWT claims), the route's lambda.Handler is invoked with the JSON event, and
// its output is turned into the HTTP response with payload 2.0's rules. JWT
// authorizers, CORS and route selection follow the HTTP API documentation,
// so the function code cannot tell the difference.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// DefaultMaxBodyBytes is HTTP API's request payload limit (10 MB).
const DefaultMaxBodyBytes = 10 << 20

// DefaultTimeout is HTTP API's maximum integration timeout (30 s).
const DefaultTimeout = 30 * time.Second

// Config configures a Gateway.
type Config struct {
	// Routes are the API's routes; see Route.
	Routes []Route
	// CORS enables API Gateway's CORS handling when not nil.
	CORS *CORS
	// APIID is requestContext.apiId (default "local").
	APIID string
	// AccountID is requestContext.accountId (default 123456789012).
	AccountID string
	// Region goes into the function ARN given to handlers (default us-east-1).
	Region string
	// Stage is requestContext.stage (default "$default").
	Stage string
	// MaxBodyBytes limits request bodies (default DefaultMaxBodyBytes);
	// larger requests get 413.
	MaxBodyBytes int64
	// Now is the clock for requestContext.time and token expiry (default
	// time.Now); the local stack passes its adjustable clock.
	Now func() time.Time
	// Logger receives function errors and panics (default slog.Default()).
	Logger *slog.Logger
}

// Route is one HTTP API route and the function it invokes.
type Route struct {
	// Method is the HTTP method, or "ANY" for every method. It is ignored
	// for the "$default" route.
	Method string
	// Path is "/literal/{param}/{greedy+}", or "$default" for the
	// catch-all route.
	Path string
	// Name is the function's logical ID; it names the function in logs and
	// in the ARN the handler sees in its lambdacontext.
	Name string
	// Handler is the function: lambda.NewHandler(h) of the very handler the
	// Lambda main runs.
	Handler lambda.Handler
	// Authorizer protects the route when not nil.
	Authorizer *JWTAuthorizer
	// Scopes, when not empty, requires the token to carry at least one of
	// them (as API Gateway does).
	Scopes []string
	// Timeout is the integration timeout (default DefaultTimeout): the
	// handler's context gets this deadline, and a response after it is a
	// 503 as from API Gateway.
	Timeout time.Duration
}

// Key returns the route key: "$default" or "METHOD /path".
func (r Route) Key() string {
	if r.Path == "$default" {
		return "$default"
	}
	return r.Method + " " + r.Path
}

// Gateway is the HTTP API emulator. It is safe for concurrent use.
type Gateway struct {
	cfg    Config
	routes []*compiledRoute
	newID  func() string
	log    *slog.Logger
}

// New checks the configuration and builds a Gateway.
func New(cfg Config) (*Gateway, error) {
	if cfg.APIID == "" {
		cfg.APIID = "local"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "123456789012"
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Stage == "" {
		cfg.Stage = "$default"
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	g := &Gateway{cfg: cfg, newID: newRequestID, log: cfg.Logger}
	if g.log == nil {
		g.log = slog.Default()
	}
	if cfg.CORS != nil {
		if err := cfg.CORS.check(); err != nil {
			return nil, fmt.Errorf("gateway CORS: %w", err)
		}
	}
	seen := map[string]bool{}
	for _, r := range cfg.Routes {
		cr, err := compileRoute(r)
		if err != nil {
			return nil, fmt.Errorf("gateway route %q (%s): %w", r.Key(), r.Name, err)
		}
		if seen[cr.Key()] {
			return nil, fmt.Errorf("gateway route %q (%s): defined twice", cr.Key(), r.Name)
		}
		seen[cr.Key()] = true
		g.routes = append(g.routes, cr)
	}
	return g, nil
}

// Routes returns the configured routes in their normalised form.
func (g *Gateway) Routes() []Route {
	out := make([]Route, len(g.routes))
	for i, r := range g.routes {
		out[i] = r.Route
	}
	return out
}

// ServeHTTP answers one request as API Gateway would.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := g.newID()
	now := g.cfg.Now()
	w.Header().Set("Apigw-Requestid", requestID)

	origin := r.Header.Get("Origin")
	if g.cfg.CORS != nil && r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
		// API Gateway answers preflight requests itself, whether or not
		// an OPTIONS route exists.
		g.cfg.CORS.preflight(w, origin)
		return
	}
	cors := func() {
		if g.cfg.CORS != nil {
			g.cfg.CORS.decorate(w.Header(), origin)
		}
	}

	route, params := g.match(r.Method, r.URL.EscapedPath())
	if route == nil {
		cors()
		writeMessage(w, http.StatusNotFound, "Not Found")
		return
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, g.cfg.MaxBodyBytes+1))
	if err != nil {
		cors()
		writeMessage(w, http.StatusBadRequest, "Bad Request")
		return
	}
	if int64(len(body)) > g.cfg.MaxBodyBytes {
		cors()
		writeMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}

	var authz *authResult
	if route.Authorizer != nil {
		res, status := route.Authorizer.authorize(r, route.Scopes, now)
		if status != 0 {
			cors()
			if status == http.StatusUnauthorized {
				w.Header().Set("Www-Authenticate", res.challenge)
				writeMessage(w, status, "Unauthorized")
			} else {
				writeMessage(w, status, "Forbidden")
			}
			return
		}
		authz = res
	}

	event := g.buildEvent(r, route, params, body, authz, requestID, now)
	payload, err := marshalEvent(event)
	if err != nil {
		g.log.Error("gateway: encode event", "route", route.Key(), "function", route.Name, "apigwRequestId", requestID, "error", err)
		cors()
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}

	out, err := g.invoke(r.Context(), route, payload, requestID)
	if err != nil {
		status, msg := http.StatusInternalServerError, "Internal Server Error"
		if errors.Is(err, context.DeadlineExceeded) {
			status, msg = http.StatusServiceUnavailable, "Service Unavailable"
		}
		g.log.Error("gateway: function failed", "route", route.Key(), "function", route.Name, "apigwRequestId", requestID, "error", err)
		cors()
		writeMessage(w, status, msg)
		return
	}
	resp, err := parseResponse(out)
	if err != nil {
		g.log.Error("gateway: malformed function response", "route", route.Key(), "function", route.Name, "apigwRequestId", requestID, "error", err)
		cors()
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	resp.write(w, g.cfg.CORS != nil)
	cors()
	w.WriteHeader(resp.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(resp.body)
	}
}

// invoke calls the handler with a Lambda context and a deadline, turning a
// panic into an error as the Lambda runtime does.
func (g *Gateway) invoke(ctx context.Context, route *compiledRoute, payload []byte, requestID string) (out []byte, err error) {
	timeout := route.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	// The handler runs after the client may have gone; like Lambda it is
	// not cancelled by the client's disconnect, only by its deadline.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if _, ok := lambdacontext.FromContext(ctx); !ok {
		ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
			AwsRequestID:       newUUID(),
			InvokedFunctionArn: fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", g.cfg.Region, g.cfg.AccountID, route.Name),
		})
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("function %s panicked: %v\n%s", route.Name, p, debug.Stack())
		}
	}()
	out, err = route.Handler.Invoke(ctx, payload)
	if err == nil && ctx.Err() != nil {
		// Too late: API Gateway has already answered 503.
		err = fmt.Errorf("function %s answered after the %s integration timeout: %w", route.Name, timeout, ctx.Err())
	}
	return out, err
}

// writeMessage writes API Gateway's own JSON error body.
func writeMessage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"message":%q}`, msg)
}

// newRequestID makes an ID shaped like API Gateway's ("LV7fzho-PHcEJPw=").
func newRequestID() string {
	b := make([]byte, 11)
	_, _ = rand.Read(b)
	return base64.URLEncoding.EncodeToString(b)
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
