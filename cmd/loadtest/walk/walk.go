// Package walk takes refund requests through a running Refundflow over HTTP only, as the people and
// systems around it do: the billing system puts orders through the staff API, a client fills the form,
// opens the emailed consent link and accepts or declines, staff review. It records every call by route
// (method and route template, e.g. "POST /consent/{code}") with its status and latency, so the load
// tool can report per route and the cost model can count API calls.
package walk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"refundflow/handler"
	"refundflow/infra/local/outbox"
	"refundflow/refund"
)

// Call is one HTTP call as the recorder sees it.
type Call struct {
	// Route is "METHOD /template", e.g. "GET /requests/{id}".
	Route string
	// Status is the HTTP status (0 when the call failed without an answer).
	Status int
	// Latency is from sending the request to reading the whole answer.
	Latency time.Duration
	// Err is a transport error, if any.
	Err error
}

// Client is the shared part of every visitor: the base URL, the transport (so connections are
// reused across visitors, as many browsers behind one proxy would) and the call recorder.
type Client struct {
	// Base is the stack's URL, e.g. http://127.0.0.1:8080.
	Base string
	// StaffToken is the staff API's bearer token; BillingToken the billing system's, the only one the
	// order route accepts.
	StaffToken, BillingToken string
	// Record, when set, receives every call. It must be safe for concurrent use.
	Record func(Call)

	transport http.RoundTripper
	staff     *Visitor
	once      sync.Once
}

// NewClient returns a client of the stack at base, calling the staff API with staffToken and sending
// orders with billingToken.
func NewClient(base, staffToken, billingToken string) *Client {
	t := &http.Transport{
		Proxy:               nil, // loopback only: never a proxy from the environment
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     30 * time.Second,
	}
	return &Client{Base: strings.TrimRight(base, "/"), StaffToken: staffToken, BillingToken: billingToken, transport: t}
}

// Close frees idle connections.
func (c *Client) Close() {
	if t, ok := c.transport.(*http.Transport); ok {
		t.CloseIdleConnections()
	}
}

// Visitor is one browser: its own cookie jar, and on every post the headers a browser sends with a
// form of the site itself (Origin, Sec-Fetch-Site: same-origin), which the cross-origin check reads.
// Redirects are not followed automatically, so each hop is a call of its own.
type Visitor struct {
	c    *Client
	http *http.Client
}

// NewVisitor returns a fresh browser.
func (c *Client) NewVisitor() *Visitor {
	jar, _ := cookiejar.New(nil)
	return &Visitor{c: c, http: &http.Client{
		Transport:     c.transport,
		Jar:           jar,
		Timeout:       60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Answer is an HTTP answer, read completely.
type Answer struct {
	Status   int
	Header   http.Header
	Body     []byte
	Location string
}

// Do sends one request, labelled with its route, and records it.
func (v *Visitor) Do(ctx context.Context, route, method, path string, body []byte, header map[string]string) (Answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	u := path
	if strings.HasPrefix(path, "/") {
		u = v.c.Base + path
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return Answer{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if method != http.MethodGet && method != http.MethodHead && strings.HasPrefix(path, "/") {
		req.Header.Set("Origin", v.c.Base)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for k, val := range header {
		req.Header.Set(k, val)
	}
	start := time.Now()
	resp, err := v.http.Do(req)
	var a Answer
	if err == nil {
		a.Status, a.Header = resp.StatusCode, resp.Header
		a.Body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		a.Location = resp.Header.Get("Location")
	}
	if v.c.Record != nil {
		v.c.Record(Call{Route: route, Status: a.Status, Latency: time.Since(start), Err: err})
	}
	if err != nil {
		return a, fmt.Errorf("%s %s: %w", method, route, err)
	}
	return a, nil
}

// Error is an answer with a status the walk did not expect.
type Error struct {
	Route  string
	Status int
	Body   string
}

// Error names the route and the status, with the start of the answer.
func (e *Error) Error() string {
	return fmt.Sprintf("%s answered %d: %.300s", e.Route, e.Status, e.Body)
}

func unexpected(route string, a Answer) error {
	return &Error{Route: route, Status: a.Status, Body: string(a.Body)}
}

// StatusOf returns the HTTP status of an *Error (0 for other errors).
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// --- the client ----------------------------------------------------------------------------------

// SubmitJSON posts a submission as JSON with an Idempotency-Key (none when key is ""), and returns
// the answer: the request ID and the status link code.
func (v *Visitor) SubmitJSON(ctx context.Context, sub refund.Submission, key string) (handler.SubmitAnswer, string, error) {
	const route = "POST /requests"
	body, _ := json.Marshal(sub)
	h := map[string]string{"Content-Type": "application/json", "Accept": "application/json"}
	if key != "" {
		h["Idempotency-Key"] = key
	}
	a, err := v.Do(ctx, route, http.MethodPost, "/requests", body, h)
	if err != nil {
		return handler.SubmitAnswer{}, "", err
	}
	if a.Status != http.StatusAccepted {
		return handler.SubmitAnswer{}, "", unexpected(route, a)
	}
	var ans handler.SubmitAnswer
	if err := json.Unmarshal(a.Body, &ans); err != nil {
		return ans, "", fmt.Errorf("%s: %w", route, err)
	}
	u, err := url.Parse(ans.StatusURL)
	if err != nil {
		return ans, "", fmt.Errorf("%s: status URL: %w", route, err)
	}
	return ans, u.Query().Get("t"), nil
}

// SubmitForm does what a browser does: GET the form page, POST the form, follow the redirect to the
// status page. It returns the request ID and the status link code.
func (v *Visitor) SubmitForm(ctx context.Context, sub refund.Submission) (id, code string, err error) {
	if a, err := v.Do(ctx, "GET /", http.MethodGet, "/", nil, nil); err != nil {
		return "", "", err
	} else if a.Status != http.StatusOK {
		return "", "", unexpected("GET /", a)
	}
	form := url.Values{"order_number": {sub.OrderNumber}, "purchase_date": {sub.PurchaseDate}, "email": {sub.Email},
		"name": {sub.Name}, "kind": {sub.Kind}, "reason": {sub.Reason}, "details": {sub.Details}}
	a, err := v.Do(ctx, "POST /requests", http.MethodPost, "/requests", []byte(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if err != nil {
		return "", "", err
	}
	if a.Status != http.StatusSeeOther {
		return "", "", unexpected("POST /requests", a)
	}
	loc, err := url.Parse(a.Location)
	if err != nil {
		return "", "", fmt.Errorf("POST /requests: Location %q: %w", a.Location, err)
	}
	if a, err := v.Do(ctx, "GET /requests/{id}", http.MethodGet, loc.RequestURI(), nil, nil); err != nil {
		return "", "", err
	} else if a.Status != http.StatusOK {
		return "", "", unexpected("GET /requests/{id}", a)
	}
	return strings.TrimPrefix(loc.Path, "/requests/"), loc.Query().Get("t"), nil
}

// Status reads the status page as JSON.
func (v *Visitor) Status(ctx context.Context, id, code string) (handler.StatusView, error) {
	const route = "GET /requests/{id}"
	a, err := v.Do(ctx, route, http.MethodGet, "/requests/"+url.PathEscape(id)+"?t="+url.QueryEscape(code), nil,
		map[string]string{"Accept": "application/json"})
	if err != nil {
		return handler.StatusView{}, err
	}
	if a.Status != http.StatusOK {
		return handler.StatusView{}, unexpected(route, a)
	}
	var s handler.StatusView
	if err := json.Unmarshal(a.Body, &s); err != nil {
		return s, fmt.Errorf("%s: %w", route, err)
	}
	return s, nil
}

var offerChoice = regexp.MustCompile(`name="offer" value="([^"]*)"`)

// ConsentPage is what the consent link showed.
type ConsentPage struct {
	Status int
	// Choices are the offers' radio values, "<offer id>|<agreement hash>", in page order.
	Choices []string
}

// OpenConsent GETs the consent page of a code.
func (v *Visitor) OpenConsent(ctx context.Context, code string) (ConsentPage, error) {
	a, err := v.Do(ctx, "GET /consent/{code}", http.MethodGet, "/consent/"+url.PathEscape(code), nil, nil)
	if err != nil {
		return ConsentPage{}, err
	}
	p := ConsentPage{Status: a.Status}
	for _, m := range offerChoice.FindAllSubmatch(a.Body, -1) {
		p.Choices = append(p.Choices, html.UnescapeString(string(m[1])))
	}
	return p, nil
}

// Accept posts the acceptance of choice (an index into p.Choices) with the typed name, and follows the
// redirect to the "recorded" page when there is one. It returns the POST's status: 303 recorded, 410
// already recorded, ...
func (v *Visitor) Accept(ctx context.Context, code string, p ConsentPage, choice int, name string) (int, error) {
	if choice < 0 || choice >= len(p.Choices) {
		return 0, fmt.Errorf("the consent page shows %d offers, not %d", len(p.Choices), choice+1)
	}
	form := url.Values{"decision": {"accept"}, "offer": {p.Choices[choice]}, "full_name": {name}, "agree": {"yes"}}
	return v.decide(ctx, code, form)
}

// Decline posts a decline with a reason.
func (v *Visitor) Decline(ctx context.Context, code string, p ConsentPage, reason string) (int, error) {
	return v.decide(ctx, code, url.Values{"decision": {"decline"}, "decline_reason": {reason}})
}

func (v *Visitor) decide(ctx context.Context, code string, form url.Values) (int, error) {
	a, err := v.Do(ctx, "POST /consent/{code}", http.MethodPost, "/consent/"+url.PathEscape(code), []byte(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if err != nil {
		return 0, err
	}
	if a.Status == http.StatusSeeOther && a.Location != "" {
		if _, err := v.Do(ctx, "GET /consent/{code}", http.MethodGet, a.Location, nil, nil); err != nil {
			return a.Status, err
		}
	}
	return a.Status, nil
}

// Withdraw opens the status page and posts its withdraw form, following the redirect back.
func (v *Visitor) Withdraw(ctx context.Context, id, code string) (int, error) {
	path := "/requests/" + url.PathEscape(id) + "?t=" + url.QueryEscape(code)
	page, err := v.Do(ctx, "GET /requests/{id}", http.MethodGet, path, nil, nil)
	if err != nil {
		return 0, err
	}
	if page.Status != http.StatusOK || !bytes.Contains(page.Body, []byte(`action="/requests/`)) {
		return 0, unexpected("GET /requests/{id}", page)
	}
	form := url.Values{"t": {code}}
	a, err := v.Do(ctx, "POST /requests/{id}/withdraw", http.MethodPost, "/requests/"+url.PathEscape(id)+"/withdraw",
		[]byte(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if err != nil {
		return 0, err
	}
	if a.Status == http.StatusSeeOther && a.Location != "" {
		if _, err := v.Do(ctx, "GET /requests/{id}", http.MethodGet, a.Location, nil, nil); err != nil {
			return a.Status, err
		}
	}
	return a.Status, nil
}

// --- staff and the billing system -------------------------------------------------------------------

func (c *Client) staffVisitor() *Visitor {
	c.once.Do(func() { c.staff = c.NewVisitor() })
	return c.staff
}

// staffCall sends a JSON request to the staff API and decodes a `want` answer into out; the order
// route gets the billing system's token, every other route staff's.
func (c *Client) staffCall(ctx context.Context, route, method, path string, in, out any, want int) error {
	var body []byte
	token := c.StaffToken
	if strings.HasPrefix(route, "PUT /staff/api/orders/") {
		token = c.BillingToken
	}
	h := map[string]string{"Authorization": "Bearer " + token, "Accept": "application/json"}
	if in != nil {
		body, _ = json.Marshal(in)
		h["Content-Type"] = "application/json"
	}
	a, err := c.staffVisitor().Do(ctx, route, method, "/staff/api"+path, body, h)
	if err != nil {
		return err
	}
	if a.Status != want {
		return unexpected(route, a)
	}
	if out != nil {
		if err := json.Unmarshal(a.Body, out); err != nil {
			return fmt.Errorf("%s: %w", route, err)
		}
	}
	return nil
}

// PutOrder creates an order as the billing system does (version 0).
func (c *Client) PutOrder(ctx context.Context, o refund.Order) (refund.Order, error) {
	var stored refund.Order
	err := c.staffCall(ctx, "PUT /staff/api/orders/{number}", http.MethodPut, "/orders/"+url.PathEscape(o.Number), o, &stored, http.StatusCreated)
	return stored, err
}

// Detail is the staff view of a request.
func (c *Client) Detail(ctx context.Context, id string) (handler.RequestDetail, error) {
	var d handler.RequestDetail
	err := c.staffCall(ctx, "GET /staff/api/requests/{id}", http.MethodGet, "/requests/"+url.PathEscape(id), nil, &d, http.StatusOK)
	return d, err
}

// InReview lists the requests waiting for staff.
func (c *Client) InReview(ctx context.Context) (handler.RequestList, error) {
	var l handler.RequestList
	err := c.staffCall(ctx, "GET /staff/api/requests", http.MethodGet, "/requests?status=in_review", nil, &l, http.StatusOK)
	return l, err
}

// Review posts a staff decision.
func (c *Client) Review(ctx context.Context, id string, d handler.ReviewDecision) (handler.ReviewResult, error) {
	var r handler.ReviewResult
	err := c.staffCall(ctx, "POST /staff/api/requests/{id}/review", http.MethodPost, "/requests/"+url.PathEscape(id)+"/review", d, &r, http.StatusOK)
	return r, err
}

// StaffAction posts a staff action on a request that needs attention.
func (c *Client) StaffAction(ctx context.Context, id string, a handler.StaffActionRequest) (handler.StaffActionResult, error) {
	var r handler.StaffActionResult
	err := c.staffCall(ctx, "POST /staff/api/requests/{id}/actions", http.MethodPost, "/requests/"+url.PathEscape(id)+"/actions", a, &r, http.StatusOK)
	return r, err
}

// Take creates a request for a client who phoned or wrote.
func (c *Client) Take(ctx context.Context, in refund.StaffIntake) (handler.TakenAnswer, error) {
	var r handler.TakenAnswer
	err := c.staffCall(ctx, "POST /staff/api/requests", http.MethodPost, "/requests", in, &r, http.StatusCreated)
	return r, err
}

// --- the local stack's own pages ---------------------------------------------------------------------

// Outbox reads every email the stack sent (GET /_local/outbox). It is not an API route and is not
// recorded.
func (c *Client) Outbox(ctx context.Context) ([]outbox.Message, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Base+outbox.PagePath, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := (&http.Client{Transport: c.transport, Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	defer resp.Body.Close()
	var msgs []outbox.Message
	if err := json.NewDecoder(resp.Body).Decode(&msgs); err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	return msgs, nil
}

// Advance moves the stack's clock (POST /_local/clock) and returns once the workflows caught up.
func (c *Client) Advance(ctx context.Context, amount string) error {
	body, _ := json.Marshal(map[string]string{"advance": amount})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Base+"/_local/clock", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: c.transport, Timeout: 5 * time.Minute}).Do(req)
	if err != nil {
		return fmt.Errorf("advance the clock: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("advance the clock: %d %s", resp.StatusCode, b)
	}
	return nil
}

// ConsentCode returns the code of the consent link in an offers email.
func ConsentCode(m outbox.Message) string {
	for _, l := range m.Links {
		if u, err := url.Parse(l); err == nil && strings.HasPrefix(u.Path, "/consent/") {
			return strings.TrimPrefix(u.Path, "/consent/")
		}
	}
	return ""
}
