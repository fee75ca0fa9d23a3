package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"golang.org/x/net/html"

	"refundflow/awsenv/httpclient"
	"refundflow/handler"
	"refundflow/infra/local/outbox"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

// waitFor bounds every wait for the workflow (an email, a status). The engine runs the tasks in
// milliseconds; the bound only keeps a broken stack from hanging the test.
const waitFor = 20 * time.Second

// startStack starts the stack with the demo orders on a free port of 127.0.0.1 and stops it when the
// test ends.
func startStack(t testing.TB) *Stack {
	t.Helper()
	s, err := Start(context.Background(), Config{Addr: "127.0.0.1:0", Demo: true})
	if err != nil {
		t.Fatalf("start the stack: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("close the stack: %v", err)
		}
	})
	return s
}

// visitor is a person with a browser: a cookie jar, redirects followed by hand so each one can be
// checked, and nothing but HTTP to reach the stack.
type visitor struct {
	t    testing.TB
	base string
	c    *http.Client
}

func newVisitor(t testing.TB, s *Stack) *visitor {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &visitor{t: t, base: s.URL, c: &http.Client{
		Jar:           jar,
		Timeout:       waitFor,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is one HTTP answer, read completely.
type page struct {
	URL    string
	Status int
	Header http.Header
	Body   []byte
}

func (p page) String() string {
	return fmt.Sprintf("%d from %s: %s", p.Status, p.URL, truncate(string(p.Body), 600))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// do sends one request. path may be absolute (a link from an email) or start with "/".
func (v *visitor) do(method, path string, body io.Reader, header map[string]string) page {
	v.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = v.base + path
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		v.t.Fatalf("%s %s: %v", method, u, err)
	}
	for k, val := range header {
		req.Header.Set(k, val)
	}
	resp, err := v.c.Do(req)
	if err != nil {
		v.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		v.t.Fatalf("%s %s: read body: %v", method, u, err)
	}
	return page{URL: u, Status: resp.StatusCode, Header: resp.Header, Body: data}
}

func (v *visitor) get(path string) page { v.t.Helper(); return v.do(http.MethodGet, path, nil, nil) }

// getJSON GETs path with Accept: application/json and decodes a 200 answer into out.
func (v *visitor) getJSON(path string, out any) {
	v.t.Helper()
	p := v.do(http.MethodGet, path, nil, map[string]string{"Accept": "application/json"})
	if p.Status != http.StatusOK {
		v.t.Fatalf("GET %s as JSON: %s", path, p)
	}
	if err := json.Unmarshal(p.Body, out); err != nil {
		v.t.Fatalf("GET %s as JSON: %v in %s", path, err, p)
	}
}

// postForm posts a form of the site the way a browser does: with the site's Origin and
// Sec-Fetch-Site: same-origin.
func (v *visitor) postForm(path string, values url.Values) page {
	v.t.Helper()
	return v.do(http.MethodPost, path, strings.NewReader(values.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": v.base, "Sec-Fetch-Site": "same-origin"})
}

// follow checks that p is a 303 and GETs where it points, resolved against p's URL.
func (v *visitor) follow(p page) page {
	v.t.Helper()
	if p.Status != http.StatusSeeOther {
		v.t.Fatalf("want a 303 redirect, got %s", p)
	}
	loc, err := url.Parse(p.URL)
	if err != nil {
		v.t.Fatal(err)
	}
	next, err := loc.Parse(p.Header.Get("Location"))
	if err != nil {
		v.t.Fatalf("Location %q: %v", p.Header.Get("Location"), err)
	}
	return v.get(next.String())
}

// staffVisitor calls the staff API with the bearer token the stack prints.
type staffVisitor struct {
	*visitor
	token string
}

func newStaff(t testing.TB, s *Stack) staffVisitor {
	return staffVisitor{visitor: newVisitor(t, s), token: s.StaffToken}
}

// newSupervisor is a second member of staff (the demo supervisor), who confirms decisions above the
// four-eyes limit.
func newSupervisor(t testing.TB, s *Stack) staffVisitor {
	return staffVisitor{visitor: newVisitor(t, s), token: s.SupervisorToken}
}

// newBilling is the billing system: the staff API with its client-credentials token, which only the
// order route accepts.
func newBilling(t testing.TB, s *Stack) staffVisitor {
	return staffVisitor{visitor: newVisitor(t, s), token: s.BillingToken}
}

// call sends a JSON request to the staff API and decodes the answer into out (when not nil),
// failing the test unless the status is want.
func (st staffVisitor) call(method, path string, in, out any, want int) page {
	st.t.Helper()
	var body io.Reader
	h := map[string]string{"Authorization": "Bearer " + st.token, "Accept": "application/json"}
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			st.t.Fatal(err)
		}
		body = bytes.NewReader(data)
		h["Content-Type"] = "application/json"
	}
	p := st.do(method, "/staff/api"+path, body, h)
	if p.Status != want {
		st.t.Fatalf("%s /staff/api%s: want %d, got %s", method, path, want, p)
	}
	if out != nil {
		if err := json.Unmarshal(p.Body, out); err != nil {
			st.t.Fatalf("%s /staff/api%s: %v in %s", method, path, err, p)
		}
	}
	return p
}

// detail is GET /staff/api/requests/{id}.
func (st staffVisitor) detail(id string) handler.RequestDetail {
	st.t.Helper()
	var d handler.RequestDetail
	st.call(http.MethodGet, "/requests/"+url.PathEscape(id), nil, &d, http.StatusOK)
	return d
}

// waitInReview waits until the staff list of requests in review shows the request of the order and
// its workflow waits for the decision (the moment staff get the "Review needed" email; a decision a
// few milliseconds before that is refused with "try again"), and returns it.
func (st staffVisitor) waitInReview(orderNumber string) refund.Request {
	st.t.Helper()
	var found refund.Request
	eventually(st.t, "a request for "+orderNumber+" in the staff review list", func() bool {
		var list handler.RequestList
		st.call(http.MethodGet, "/requests?status=in_review", nil, &list, http.StatusOK)
		for _, r := range list.Requests {
			if r.OrderNumber == orderNumber {
				found = r
				return true
			}
		}
		return false
	})
	eventually(st.t, "the review wait of "+found.ID, func() bool { return st.detail(found.ID).LastWait == refund.TokenReview })
	return found
}

// eventually polls cond until it holds, failing the test after waitFor.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// outboxMessages reads GET /_local/outbox.
func (v *visitor) outboxMessages() []outbox.Message {
	v.t.Helper()
	var msgs []outbox.Message
	v.getJSON(outbox.PagePath, &msgs)
	return msgs
}

// waitMail waits for the first email to `to` whose subject contains subject, and returns it.
func (v *visitor) waitMail(to, subject string) outbox.Message {
	v.t.Helper()
	var found outbox.Message
	eventually(v.t, fmt.Sprintf("an email to %s about %q", to, subject), func() bool {
		for _, m := range v.outboxMessages() {
			if len(m.To) == 1 && m.To[0] == to && strings.Contains(m.Subject, subject) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// mailsTo returns the subjects of every email to `to`, in order.
func (v *visitor) mailsTo(to string) []string {
	v.t.Helper()
	var out []string
	for _, m := range v.outboxMessages() {
		if len(m.To) == 1 && m.To[0] == to {
			out = append(out, m.Subject)
		}
	}
	return out
}

// link returns the one link of m whose path starts with prefix.
func link(t testing.TB, m outbox.Message, prefix string) string {
	t.Helper()
	var found []string
	for _, l := range m.Links {
		u, err := url.Parse(l)
		if err == nil && strings.HasPrefix(u.Path, prefix) {
			found = append(found, l)
		}
	}
	if len(found) != 1 {
		t.Fatalf("email %q: want one link to %s…, got %q (all links %q)", m.Subject, prefix, found, m.Links)
	}
	return found[0]
}

// waitStatus polls the status page as JSON until the request reaches want, failing at once if it
// reaches another final status.
func (v *visitor) waitStatus(statusURL string, want refund.Status) handler.StatusView {
	v.t.Helper()
	var view handler.StatusView
	eventually(v.t, fmt.Sprintf("status %s at %s", want, statusURL), func() bool {
		view = handler.StatusView{}
		v.getJSON(statusURL, &view)
		if st := view.Request.Status; st != want && (st.Terminal() || st == refund.StatusNeedsAttention) {
			v.t.Fatalf("request %s ended %s, want %s (%s)", view.Request.ID, st, want, view.StatusText)
		}
		return view.Request.Status == want
	})
	return view
}

// form is one <form> of a page with the values a browser would send for its fields as they are
// (hidden inputs, text values, checked boxes), and the choices of its radio buttons.
type form struct {
	Action, Method, Class string
	Values                url.Values
	Radios                map[string][]string
}

// forms parses a page's forms.
func forms(t testing.TB, p page) []form {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(p.Body))
	if err != nil {
		t.Fatalf("parse %s: %v", p.URL, err)
	}
	var out []form
	var cur *form
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "form":
				out = append(out, form{Action: attr(n, "action"), Method: strings.ToUpper(attr(n, "method")), Class: attr(n, "class"),
					Values: url.Values{}, Radios: map[string][]string{}})
				cur = &out[len(out)-1]
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
				cur = nil
				return
			case "input":
				if cur != nil && attr(n, "name") != "" {
					name := attr(n, "name")
					switch attr(n, "type") {
					case "radio":
						cur.Radios[name] = append(cur.Radios[name], attr(n, "value"))
						if hasAttr(n, "checked") {
							cur.Values.Set(name, attr(n, "value"))
						}
					case "checkbox":
						if hasAttr(n, "checked") {
							cur.Values.Add(name, attr(n, "value"))
						}
					default:
						cur.Values.Add(name, attr(n, "value"))
					}
				}
			case "textarea":
				if cur != nil && attr(n, "name") != "" {
					cur.Values.Set(attr(n, "name"), textOf(n))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// formWith returns the page's form whose class contains class (or the only form when class is ""),
// failing the test when there is none.
func formWith(t testing.TB, p page, class string) form {
	t.Helper()
	all := forms(t, p)
	for _, f := range all {
		if class == "" && len(all) == 1 || class != "" && strings.Contains(" "+f.Class+" ", " "+class+" ") {
			return f
		}
	}
	t.Fatalf("no form %q on %s", class, p)
	return form{}
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, name string) bool {
	for _, a := range n.Attr {
		if a.Key == name {
			return true
		}
	}
	return false
}

// textOf returns the text in n with runs of white space collapsed.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style") {
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// mainText returns the text of a page's <main> element (the whole page when it has none).
func mainText(t testing.TB, p page) string {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(p.Body))
	if err != nil {
		t.Fatalf("parse %s: %v", p.URL, err)
	}
	var main *html.Node
	var find func(*html.Node)
	find = func(n *html.Node) {
		if main != nil {
			return
		}
		if n.Type == html.ElementNode && n.Data == "main" {
			main = n
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	if main == nil {
		main = doc
	}
	return textOf(main)
}

// mustContain fails the test unless the page's main text contains every want.
func mustContain(t testing.TB, p page, want ...string) {
	t.Helper()
	text := mainText(t, p)
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s: the page does not say %q; it says: %s", p.URL, w, truncate(text, 1500))
		}
	}
}

// demoOrder returns the stack's demo order with the number.
func demoOrder(t testing.TB, s *Stack, number string) refund.Order {
	t.Helper()
	for _, d := range s.Demo {
		if d.Order.Number == number {
			return d.Order
		}
	}
	t.Fatalf("no demo order %s", number)
	return refund.Order{}
}

// submitForm fills the request form for an order as a client does (GET /, then POST its form), and
// returns the status page it is sent to.
func (v *visitor) submitForm(o refund.Order, kind refund.RequestKind, reason refund.Reason, details string) page {
	v.t.Helper()
	home := v.get("/")
	if home.Status != http.StatusOK {
		v.t.Fatalf("the request form: %s", home)
	}
	f := formWith(v.t, home, "")
	if f.Method != http.MethodPost || f.Action != "/requests" {
		v.t.Fatalf("the request form posts %s to %q, want POST /requests", f.Method, f.Action)
	}
	for _, field := range []string{"order_number", "purchase_date", "email", "name", "details"} {
		if _, ok := f.Values[field]; !ok {
			v.t.Errorf("the request form has no field %s (it has %v)", field, f.Values)
		}
	}
	if !contains(f.Radios["kind"], string(kind)) {
		v.t.Fatalf("the request form offers kinds %q, not %q", f.Radios["kind"], kind)
	}
	f.Values.Set("order_number", o.Number)
	f.Values.Set("purchase_date", o.PurchaseDate)
	f.Values.Set("email", o.Email)
	f.Values.Set("name", o.CustomerName)
	f.Values.Set("kind", string(kind))
	f.Values.Set("reason", string(reason))
	f.Values.Set("details", details)
	status := v.follow(v.postForm(f.Action, f.Values))
	if status.Status != http.StatusOK {
		v.t.Fatalf("the status page after submitting: %s", status)
	}
	if u, _ := url.Parse(status.URL); !strings.HasPrefix(u.Path, "/requests/req-") || u.Query().Get("t") == "" {
		v.t.Fatalf("submitting led to %s, want /requests/<id>?t=<code>", status.URL)
	}
	return status
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// requestID returns the request ID in a status page URL.
func requestID(t testing.TB, statusURL string) string {
	t.Helper()
	u, err := url.Parse(statusURL)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/requests/")
}

// sandboxPayment reads the sandbox payment provider's record of a payment through the stack's
// DynamoDB endpoint, as an outside tool would (the sandbox keeps its state in the table).
func sandboxPayment(t testing.TB, s *Stack, ref string) sandbox.State {
	t.Helper()
	st, err := sandbox.New(outsideDynamoDB(s), s.TableName).Payment(context.Background(), ref)
	if err != nil {
		t.Fatalf("sandbox payment %s: %v", ref, err)
	}
	return st
}

// takePayment takes a captured, 3-D Secure card payment of amount at the sandbox provider as an
// integrator does (POST /_local/payments, what a checkout leaves) and returns its reference: the
// payment an order sent through the order route must name.
func takePayment(t testing.TB, s *Stack, amount refund.Money) string {
	t.Helper()
	body, _ := json.Marshal(PaymentRequest{Amount: amount.Amount, Currency: amount.Currency})
	p := newVisitor(t, s).do(http.MethodPost, PaymentsPath, bytes.NewReader(body), map[string]string{"Content-Type": "application/json"})
	var got PaymentAnswer
	if p.Status != http.StatusCreated || json.Unmarshal(p.Body, &got) != nil || got.Reference == "" {
		t.Fatalf("POST %s: want 201 with a payment, got %s", PaymentsPath, p)
	}
	return got.Reference
}

// outsideDynamoDB is a DynamoDB client of an outside tool, pointed at the endpoint the stack prints
// (with the project's HTTP client, as a Go tool needs against a local endpoint: see awsenv/httpclient).
func outsideDynamoDB(s *Stack) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region: Region, Credentials: credentials.NewStaticCredentialsProvider("outside", "tool", ""),
		BaseEndpoint: aws.String(s.DynamoDBURL), DisableValidateResponseChecksum: true, HTTPClient: httpclient.New(nil),
	})
}

// checkMoney checks what a finished request did with money, from the staff API's detail (the ledger)
// and the sandbox provider's own records: refunded never exceeds paid, and an accepted refund offer
// led to exactly one successful refund of exactly the offer's amount (want 0: no refund at all).
func checkMoney(t testing.TB, s *Stack, st staffVisitor, id string, want int64) handler.RequestDetail {
	t.Helper()
	d := st.detail(id)
	if d.Order == nil {
		t.Fatalf("request %s: the staff detail has no order", id)
	}
	o := d.Order
	if o.Refunded > o.Paid || o.Refunded < 0 {
		t.Errorf("order %s: refunded %d of %d paid", o.Number, o.Refunded, o.Paid)
	}
	if d.Remaining == nil || d.Remaining.Amount != o.Paid-o.Refunded {
		t.Errorf("order %s: remaining %v, want paid − refunded = %d", o.Number, d.Remaining, o.Paid-o.Refunded)
	}
	var succeeded []refund.RefundRecord
	for _, r := range d.Refunds {
		if r.State == refund.RefundSucceeded {
			succeeded = append(succeeded, r)
		}
		if r.PaymentReference != o.Payment.Reference {
			t.Errorf("refund %s went to payment %s, not the order's %s", r.IdempotencyKey, r.PaymentReference, o.Payment.Reference)
		}
	}
	pay := sandboxPayment(t, s, o.Payment.Reference)
	if pay.Refunded.Amount > pay.Captured.Amount {
		t.Errorf("sandbox payment %s: refunded %v of %v captured", pay.Reference, pay.Refunded, pay.Captured)
	}
	if got, want := pay.Refunded.Amount, o.Refunded; got != want {
		t.Errorf("sandbox payment %s refunded %d, the order's ledger says %d", pay.Reference, got, want)
	}
	var mine []sandbox.Record
	for _, r := range pay.Refunds {
		// A refund that failed later at the provider moved no money (a staff retry made the one
		// that counts).
		if r.RequestID == id && r.Refund.Status != "failed" && r.Refund.Status != "canceled" {
			mine = append(mine, r)
		}
	}
	if want == 0 {
		if len(succeeded) != 0 || len(mine) != 0 {
			t.Errorf("request %s: want no refund, the ledger has %+v and the sandbox %+v", id, d.Refunds, mine)
		}
		return d
	}
	if len(succeeded) != 1 || len(mine) != 1 {
		t.Fatalf("request %s: want exactly one refund, the ledger has %+v and the sandbox %+v", id, d.Refunds, mine)
	}
	if got := succeeded[0].Amount.Amount; got != want {
		t.Errorf("request %s: refunded %d, want %d", id, got, want)
	}
	if got := mine[0].Refund.Amount.Amount; got != want {
		t.Errorf("request %s: the sandbox refunded %d, want %d", id, got, want)
	}
	if got, want := mine[0].IdempotencyKey, refund.RefundIdempotencyKey(id, succeeded[0].N); got != want {
		t.Errorf("request %s: idempotency key %q at the provider, want %q", id, got, want)
	}
	if got := mine[0].Refund.ID; got == "" || got != succeeded[0].ProviderRefundID {
		t.Errorf("request %s: the ledger records provider refund %q, the sandbox made %q", id, succeeded[0].ProviderRefundID, got)
	}
	if d.Consent == nil || d.Consent.Decision != refund.DecisionAccept {
		t.Errorf("request %s: a refund without an accepted consent (%+v)", id, d.Consent)
	}
	return d
}
