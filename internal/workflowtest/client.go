package workflowtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/handler"
	"refundflow/infra/local/outbox"
	"refundflow/mail"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

// Event builds an API Gateway HTTP API (payload 2.0) event like the local gateway or AWS sends it.
func Event(method, routeKey, path, rawQuery string, params, headers map[string]string, body string) events.APIGatewayV2HTTPRequest {
	hs := map[string]string{"user-agent": "Mozilla/5.0 (workflow test)", "host": "refunds.example.com"}
	for k, v := range headers {
		hs[strings.ToLower(k)] = v
	}
	e := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: method + " " + routeKey, RawPath: path, RawQueryString: rawQuery,
		Headers: hs, PathParameters: params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: method + " " + routeKey, RequestID: fmt.Sprintf("apigw-%d", time.Now().UnixNano()),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.7", UserAgent: hs["user-agent"]},
		},
	}
	if body != "" {
		e.Body = base64.StdEncoding.EncodeToString([]byte(body))
		e.IsBase64Encoded = true
	}
	return e
}

// Answer is an HTTP function's response with its body decoded.
type Answer struct {
	Status  int
	Body    string
	Cookies []string
	// Err is the error the function returned (API Gateway answers it with a 500).
	Err error
}

// Call invokes an HTTP function like API Gateway does: a returned error is a 500.
func Call(ctx context.Context, f func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error), e events.APIGatewayV2HTTPRequest) Answer {
	resp, err := f(ctx, e)
	if err != nil {
		return Answer{Status: http.StatusInternalServerError, Body: err.Error(), Err: err}
	}
	body := resp.Body
	if resp.IsBase64Encoded {
		b, _ := base64.StdEncoding.DecodeString(body)
		body = string(b)
	}
	return Answer{Status: resp.StatusCode, Body: body, Cookies: resp.Cookies}
}

// Retry calls do until it answers below 500, at most attempts times (at least once): a client
// retrying a failed request as the error page asks. It returns the last answer.
func Retry(attempts int, do func() Answer) Answer {
	a := do()
	for i := 1; i < attempts && a.Status >= 500; i++ {
		a = do()
	}
	return a
}

// retry is Retry with the harness's ClientAttempts.
func (h *Harness) retry(do func() Answer) Answer { return Retry(h.opts.ClientAttempts, do) }

var offerChoice = regexp.MustCompile(`name="offer" value="([^"]*)"`)

// SubmitRequest posts the JSON form for the order (reason, "Please cancel.", the order's name and
// email; opts adjust it), retrying 5xx with the same Idempotency-Key when idempotencyKey is set, and
// returns the new request's id and its status link code. The execution starts inside; the request
// does not settle.
func (h *Harness) SubmitRequest(o refund.Order, reason refund.Reason, idempotencyKey string, opts ...func(*refund.Submission)) (id, statusCode string) {
	h.T.Helper()
	sub := refund.Submission{
		OrderNumber: o.Number, PurchaseDate: o.PurchaseDate, Email: o.Email,
		Kind: string(refund.KindRefund), Reason: string(reason), Details: "Please cancel.", Name: o.CustomerName,
	}
	for _, f := range opts {
		f(&sub)
	}
	body, _ := json.Marshal(sub)
	headers := map[string]string{"content-type": "application/json", "accept": "application/json"}
	if idempotencyKey != "" {
		headers["idempotency-key"] = idempotencyKey
	}
	a := h.retry(func() Answer {
		return Call(h.Ctx, h.HTTP.Submit.Handle, Event("POST", "/requests", "/requests", "", nil, headers, string(body)))
	})
	if a.Status != http.StatusAccepted {
		h.T.Fatalf("submit a request for %s: %d %s", o.Number, a.Status, a.Body)
	}
	var ans handler.SubmitAnswer
	if err := json.Unmarshal([]byte(a.Body), &ans); err != nil {
		h.T.Fatalf("submit answer %q: %v", a.Body, err)
	}
	if u, err := url.Parse(ans.StatusURL); err == nil {
		statusCode = u.Query().Get("t")
	}
	h.mu.Lock()
	h.requests = append(h.requests, ans.RequestID)
	h.statusCodes[ans.RequestID] = statusCode
	h.mu.Unlock()
	return ans.RequestID, statusCode
}

// StatusCode returns the status link code of a submission the harness made (from the submit
// answer's statusUrl, as a client keeps it; only staff-reviewed requests also get it by email), or ""
// for a request it did not submit.
func (h *Harness) StatusCode(id string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.statusCodes[id]
}

// ConsentPage is what a GET (or HEAD) of the consent link showed.
type ConsentPage struct {
	Status int
	// Choices are the offer choices "<offerId>|<hash>", in page order.
	Choices []string
	Body    string
}

// OpenConsent GETs (or HEADs) the consent page like a browser or a mail scanner would, retrying 5xx
// as often as the client does. It does not fail the test, so it can run inside an intercepted task.
func (h *Harness) OpenConsent(code, method string) ConsentPage {
	a := h.retry(func() Answer {
		return Call(h.Ctx, h.HTTP.Consent.Handle, Event(method, "/consent/{code}", "/consent/"+code, "", map[string]string{"code": code},
			map[string]string{"accept": "text/html"}, ""))
	})
	p := ConsentPage{Status: a.Status, Body: a.Body}
	for _, m := range offerChoice.FindAllStringSubmatch(a.Body, -1) {
		p.Choices = append(p.Choices, html.UnescapeString(m[1]))
	}
	return p
}

// PostConsent POSTs a decision from an opened page, once: accept the offer at index choice (typed
// name and "I agree"; an index the page does not show posts no offer), or decline (choice < 0) with
// a reason. It does not fail the test.
func (h *Harness) PostConsent(code string, p ConsentPage, choice int, declineReason string) Answer {
	form := url.Values{}
	if choice >= 0 {
		form.Set("decision", "accept")
		if choice < len(p.Choices) {
			form.Set("offer", p.Choices[choice])
		}
		form.Set("full_name", "Ana López")
		form.Set("agree", "yes")
	} else {
		form.Set("decision", "decline")
		form.Set("decline_reason", declineReason)
	}
	return Call(h.Ctx, h.HTTP.Consent.Handle, Event("POST", "/consent/{code}", "/consent/"+code, "", map[string]string{"code": code},
		map[string]string{"content-type": "application/x-www-form-urlencoded", "accept": "text/html"}, form.Encode()))
}

// Withdraw opens the status page with the status code and posts its withdraw form, each retrying
// 5xx as often as the client does. It neither settles nor fails the test, so it can run inside an
// intercepted task; a status page that did not open is returned as the answer.
func (h *Harness) Withdraw(id, statusCode string) Answer {
	q := url.Values{"t": {statusCode}}.Encode()
	page := h.retry(func() Answer {
		return Call(h.Ctx, h.HTTP.Status.Handle, Event("GET", "/requests/{id}", "/requests/"+id, q, map[string]string{"id": id}, map[string]string{"accept": "text/html"}, ""))
	})
	if page.Status != http.StatusOK {
		page.Err = fmt.Errorf("status page: %d %v\n%s", page.Status, page.Err, page.Body)
		return page
	}
	form := url.Values{"t": {statusCode}}
	return h.retry(func() Answer {
		return Call(h.Ctx, h.HTTP.Status.Handle, Event("POST", "/requests/{id}/withdraw", "/requests/"+id+"/withdraw", q, map[string]string{"id": id},
			map[string]string{"content-type": "application/x-www-form-urlencoded", "accept": "text/html"}, form.Encode()))
	})
}

// Review posts a staff decision through the staff API as staff member "staff-1", retrying 5xx as
// often as the client does. It does not settle.
func (h *Harness) Review(id string, d handler.ReviewDecision) Answer {
	return h.ReviewAs("staff-1", id, d)
}

// ReviewAs is Review by the member of staff whose token's subject is sub (a second one confirms a
// decision above the four-eyes limit).
func (h *Harness) ReviewAs(sub, id string, d handler.ReviewDecision) Answer {
	body, _ := json.Marshal(d)
	return h.retry(func() Answer {
		e := Event("POST", "/staff/api/requests/{id}/review", "/staff/api/requests/"+id+"/review", "", map[string]string{"id": id},
			map[string]string{"content-type": "application/json", "accept": "application/json"}, string(body))
		e.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": sub, "cognito:groups": "[staff]"}},
		}
		return Call(h.Ctx, h.HTTP.Staff.Handle, e)
	})
}

// StaffGet reads a staff API route as staff member "staff-1" (rawQuery without "?"). It does not
// settle.
func (h *Harness) StaffGet(routeKey, path, rawQuery string, params map[string]string) Answer {
	return h.retry(func() Answer {
		e := Event("GET", routeKey, path, rawQuery, params, map[string]string{"accept": "application/json"}, "")
		e.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": "staff-1", "cognito:groups": "[staff]"}},
		}
		return Call(h.Ctx, h.HTTP.Staff.Handle, e)
	})
}

// StaffCall sends a JSON body to a staff API route as staff member sub (a token of the staff group),
// retrying 5xx as often as the client does. It does not settle.
func (h *Harness) StaffCall(sub, method, routeKey, path string, params, headers map[string]string, body any) Answer {
	data, _ := json.Marshal(body)
	return h.retry(func() Answer {
		hd := map[string]string{"content-type": "application/json", "accept": "application/json"}
		for k, v := range headers {
			hd[k] = v
		}
		e := Event(method, routeKey, path, "", params, hd, string(data))
		e.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": sub, "cognito:groups": "[staff]"}},
		}
		return Call(h.Ctx, h.HTTP.Staff.Handle, e)
	})
}

// StaffAction posts a staff action on a request that needs attention (POST
// /staff/api/requests/{id}/actions) as staff member sub. It does not settle.
func (h *Harness) StaffAction(sub, id string, a handler.StaffActionRequest) Answer {
	return h.StaffCall(sub, "POST", "/staff/api/requests/{id}/actions", "/staff/api/requests/"+id+"/actions", map[string]string{"id": id}, nil, a)
}

// PutOrder sends an order through the staff API as the billing system does (PUT
// /staff/api/orders/{number}, with its client-credentials token's scope). It does not settle.
func (h *Harness) PutOrder(o refund.Order) Answer {
	return h.retry(func() Answer { return Call(h.Ctx, h.HTTP.Staff.Handle, billingEvent(o)) })
}

// billingEvent is the billing system's PUT of the order, with its client-credentials token's scope.
func billingEvent(o refund.Order) events.APIGatewayV2HTTPRequest {
	body, _ := json.Marshal(o)
	e := Event("PUT", "/staff/api/orders/{number}", "/staff/api/orders/"+o.Number, "", map[string]string{"number": o.Number},
		map[string]string{"content-type": "application/json", "accept": "application/json"}, string(body))
	e.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
			Claims: map[string]string{"sub": "billing-client", "client_id": "billing-client", "scope": handler.OrdersWriteScope},
			Scopes: []string{handler.OrdersWriteScope}},
	}
	return e
}

// Mails returns the messages of a kind (the SES "kind" tag) about a request (its id in the text).
func (h *Harness) Mails(kind mail.Kind, id string) []outbox.Message {
	var out []outbox.Message
	for _, m := range h.Box.Messages() {
		if m.Tags["kind"] == string(kind) && strings.Contains(m.Text, id) {
			out = append(out, m)
		}
	}
	return out
}

// OneMail returns the only message of a kind about a request.
func (h *Harness) OneMail(kind mail.Kind, id string) outbox.Message {
	h.T.Helper()
	ms := h.Mails(kind, id)
	if len(ms) != 1 {
		h.T.Fatalf("%d %s emails about %s, want 1 (outbox: %s)", len(ms), kind, id, h.OutboxSummary())
	}
	return ms[0]
}

// OutboxSummary lists the outbox as "kind→recipients", for failure messages.
func (h *Harness) OutboxSummary() string {
	var parts []string
	for _, m := range h.Box.Messages() {
		parts = append(parts, m.Tags["kind"]+"→"+strings.Join(m.To, ","))
	}
	return strings.Join(parts, " ")
}

// LinkCode returns the code of the first link in m whose path starts with prefix ("/consent/",
// "/feedback/").
func (h *Harness) LinkCode(m outbox.Message, prefix string) string {
	h.T.Helper()
	if code, ok := linkCode(m, prefix); ok {
		return code
	}
	h.T.Fatalf("no %s link in the %s email: %v", prefix, m.Tags["kind"], m.Links)
	return ""
}

func linkCode(m outbox.Message, prefix string) (string, bool) {
	for _, l := range m.Links {
		u, err := url.Parse(l)
		if err != nil || !strings.HasPrefix(l, BaseURL) || !strings.HasPrefix(u.Path, prefix) {
			continue
		}
		return strings.TrimPrefix(u.Path, prefix), true
	}
	return "", false
}

// ConsentCode returns the consent code of the latest email of one of the kinds (offers, reminder)
// about the request that carries a consent link.
func (h *Harness) ConsentCode(id string, kinds ...mail.Kind) string {
	h.T.Helper()
	var code string
	for _, m := range h.Box.Messages() {
		if !strings.Contains(m.Text, id) || !isKind(m, kinds) {
			continue
		}
		if c, ok := linkCode(m, "/consent/"); ok {
			code = c
		}
	}
	if code == "" {
		h.T.Fatalf("no %v email with a consent link about %s (outbox: %s)", kinds, id, h.OutboxSummary())
	}
	return code
}

func isKind(m outbox.Message, kinds []mail.Kind) bool {
	for _, k := range kinds {
		if m.Tags["kind"] == string(k) {
			return true
		}
	}
	return false
}

// DeliverEvent posts one provider event body to the webhook, signed with WebhookSecret now, as the
// provider delivers it (once: the caller decides about retries).
func (h *Harness) DeliverEvent(payload []byte) Answer {
	h.T.Helper()
	e := Event(http.MethodPost, "POST /webhooks/stripe", "/webhooks/stripe", "", nil,
		map[string]string{"content-type": "application/json", "stripe-signature": sandbox.Sign(payload, WebhookSecret, time.Now())}, string(payload))
	return Call(h.Ctx, h.HTTP.Webhook.Handle, e)
}
