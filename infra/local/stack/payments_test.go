package stack

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"refundflow/apigw"
	"refundflow/refund"
)

// TestPaymentsEndpoint takes payments at the sandbox provider as an integrator does with only the
// docs, over HTTP: POST /_local/payments, then the order for it through the order route with the
// billing system's token. A payment the route must refuse is made with the same call, and the
// route's 422 names the field. Bad bodies, another origin and the page's own form are checked too.
func TestPaymentsEndpoint(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	v := newVisitor(t, s)
	jsonH := map[string]string{"Content-Type": "application/json"}
	take := func(body string) (PaymentAnswer, page) {
		t.Helper()
		p := v.do(http.MethodPost, PaymentsPath, strings.NewReader(body), jsonH)
		var a PaymentAnswer
		if p.Status == http.StatusCreated {
			if err := json.Unmarshal(p.Body, &a); err != nil {
				t.Fatalf("POST %s: %v in %s", PaymentsPath, err, p)
			}
		}
		return a, p
	}
	order := func(number, ref string) refund.Order {
		return refund.Order{Number: number, CustomerName: "Barbara Liskov", Email: "barbara@example.com",
			PurchaseDate: s.Clock.Now().UTC().AddDate(0, 0, -2).Format(refund.DateLayout), Currency: "EUR", Paid: 50000,
			Status: refund.OrderActive, Payment: refund.Payment{Reference: ref},
			Service: refund.Service{Type: refund.ServiceHours, Hours: &refund.Hours{Purchased: 10, TotalPrice: 50000}}}
	}
	billing := newBilling(t, s)

	// A payment as every order's should be: captured, 3-D Secure, the default card.
	good, p := take(`{"amount":50000,"currency":"eur"}`)
	want := PaymentAnswer{Provider: "sandbox", Reference: good.Reference, Captured: true, Amount: 50000, Currency: "EUR", ThreeDSecure: true, CardLast4: "4242"}
	if p.Status != http.StatusCreated || !reflect.DeepEqual(good, want) || !strings.HasPrefix(good.Reference, "pi_sbx_") {
		t.Fatalf("POST %s: %s, want 201 with %+v", PaymentsPath, p, want)
	}
	if loc := p.Header.Get("Location"); loc != PaymentsPath+"/"+good.Reference {
		t.Errorf("Location %q", loc)
	}
	var shown PaymentAnswer
	v.getJSON(PaymentsPath+"/"+good.Reference, &shown)
	if !reflect.DeepEqual(shown, want) {
		t.Errorf("GET the payment: %+v, want %+v", shown, want)
	}
	var stored refund.Order
	billing.call(http.MethodPut, "/orders/RF-3001", order("RF-3001", good.Reference), &stored, http.StatusCreated)
	if got, want := stored.Payment, (refund.Payment{Provider: "sandbox", Reference: good.Reference, CardHint: "4242", ThreeDSecure: true, Captured: true}); got != want {
		t.Errorf("stored payment %+v, want the provider's facts %+v", got, want)
	}

	// A payment without 3-D Secure: the order route names the field.
	no3DS, p := take(`{"amount":50000,"currency":"EUR","three_d_secure":false,"card_last4":"1117"}`)
	if p.Status != http.StatusCreated || no3DS.ThreeDSecure || !no3DS.Captured || no3DS.CardLast4 != "1117" {
		t.Fatalf("POST without 3-D Secure: %s", p)
	}
	refused := billing.call(http.MethodPut, "/orders/RF-3002", order("RF-3002", no3DS.Reference), nil, http.StatusUnprocessableEntity)
	var e apigw.ErrorBody
	if err := json.Unmarshal(refused.Body, &e); err != nil || e.Error.Code != refund.CodeUnprocessable || e.Error.Fields["payment.three_d_secure"] == "" {
		t.Errorf("the order route's answer for a payment without 3-D Secure: %s", refused)
	}
	// Another amount than the order's.
	o := order("RF-3003", good.Reference)
	o.Paid, o.Service.Hours.TotalPrice = 40000, 40000
	refused = billing.call(http.MethodPut, "/orders/RF-3003", o, nil, http.StatusUnprocessableEntity)
	if !bytes.Contains(refused.Body, []byte(`"paid"`)) {
		t.Errorf("another amount: %s", refused)
	}

	for _, tc := range []struct {
		name, body string
		header     map[string]string
		want       int
	}{
		{"no amount", `{"currency":"EUR"}`, nil, http.StatusBadRequest},
		{"a decimal amount", `{"amount":500.5,"currency":"EUR"}`, nil, http.StatusBadRequest},
		{"no currency", `{"amount":500}`, nil, http.StatusBadRequest},
		{"unknown field", `{"amount":500,"currency":"EUR","reference":"pi_1001"}`, nil, http.StatusBadRequest},
		{"bad card digits", `{"amount":500,"currency":"EUR","card_last4":"42"}`, nil, http.StatusBadRequest},
		{"another origin", `{"amount":500,"currency":"EUR"}`, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"too large", `{"amount":500,"currency":"` + strings.Repeat("E", 5000) + `"}`, nil, http.StatusRequestEntityTooLarge},
	} {
		h := map[string]string{"Content-Type": "application/json"}
		for k, val := range tc.header {
			h[k] = val
		}
		if p := v.do(http.MethodPost, PaymentsPath, strings.NewReader(tc.body), h); p.Status != tc.want {
			t.Errorf("%s: %s, want %d", tc.name, p, tc.want)
		}
	}
	if p := v.get(PaymentsPath + "/pi_unknown"); p.Status != http.StatusNotFound {
		t.Errorf("an unknown payment: %s", p)
	}
	if p := v.do(http.MethodDelete, PaymentsPath, nil, nil); p.Status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: %s", p)
	}

	// The page's form, posted from the page as a browser does: back to the page, showing the payment.
	f := formWith(t, v.get(PaymentsPath), "")
	f.Values.Set("amount", "1800.00")
	f.Values.Set("currency", "EUR")
	back := v.do(http.MethodPost, f.Action, strings.NewReader(f.Values.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "null", "Sec-Fetch-Site": "same-origin"})
	if back.Status != http.StatusSeeOther || !strings.HasPrefix(back.Header.Get("Location"), PaymentsPath+"?taken=pi_sbx_") {
		t.Fatalf("the page's form: %s", back)
	}
	u, _ := url.Parse(back.Header.Get("Location"))
	ref := u.Query().Get("taken")
	shownPage := v.follow(back)
	mustContain(t, shownPage, ref)
	mustContain(t, shownPage, "EUR 1,800.00", `"paid": 180000`, `"payment": {"reference": "`+ref+`"}`)
	v.getJSON(PaymentsPath+"/"+ref, &shown)
	if !shown.Captured || !shown.ThreeDSecure || shown.Amount != 180000 {
		t.Errorf("the form's payment: %+v", shown)
	}
	// The page's curl command sends an order the route accepts.
	facts, err := s.sandboxGateway().LookupPayment(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	cmd := sendOrderCommand(s.URL, facts, s.Clock.Now())
	_, body, _ := strings.Cut(cmd, "-d '")
	path := strings.Fields(strings.TrimPrefix(cmd, "curl -X PUT "+s.URL+"/staff/api"))[0]
	p = billing.do(http.MethodPut, "/staff/api"+path, strings.NewReader(strings.TrimSuffix(body, "'")),
		map[string]string{"Authorization": "Bearer " + s.BillingToken, "Content-Type": "application/json"})
	if p.Status != http.StatusCreated {
		t.Errorf("the page's command %s: %s", cmd, p)
	}
	f.Values.Set("amount", "lots")
	if p := v.do(http.MethodPost, f.Action, strings.NewReader(f.Values.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "null", "Sec-Fetch-Site": "same-origin"}); p.Status != http.StatusBadRequest {
		t.Errorf("the form with a bad amount: %s", p)
	} else {
		mustContain(t, p, "Enter an amount")
	}
}
