package refund

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// FuzzSubmissionValidate throws arbitrary form input at Validate. It must never panic, must be
// deterministic, and whatever it accepts must be safe to store and show: valid UTF-8, bounded, no
// control characters, an order number of the allowed shape, a parseable date, a known kind and reason.
// Accepted input must also become a request, and Verify must handle it without panicking.
func FuzzSubmissionValidate(f *testing.F) {
	f.Add("RF-1001", "2025-03-01", "jane@example.com", "refund", "changed_mind", "Plans changed.", "Jane Doe")
	f.Add(" rf-1001 ", "2025-03-01", " JANE@EXAMPLE.COM ", "Cancellation", "OTHER", "line\r\nline\tend", "")
	f.Add("", "", "", "", "", "", "")
	f.Add("RF/1001", "01/03/2025", "jane@", "chargeback", "because", "a\x00b", "Jane\x07")
	f.Add(strings.Repeat("A", 41), "2025-02-29", "a@b..c", "refund", "quality", strings.Repeat("é", 2001), "\xff")
	f.Add("RF-1", "9999-12-31", "jane@bücher.example", "refund", "duplicate_order", "\u2028", "\u202eevil")
	f.Fuzz(func(t *testing.T, number, date, email, kind, reason, details, name string) {
		s := Submission{OrderNumber: number, PurchaseDate: date, Email: email, Kind: kind, Reason: reason, Details: details, Name: name}
		errs := s.Validate()
		if again := s.Validate(); !reflect.DeepEqual(errs, again) {
			t.Fatalf("Validate is not deterministic: %v vs %v", errs, again)
		}
		n := s.Normalize()
		if n.Normalize() != n {
			t.Fatalf("Normalize is not idempotent: %#v", n)
		}
		for field, msg := range errs {
			if msg == "" || !utf8.ValidString(msg) || strings.ContainsAny(msg, "\x00\n") {
				t.Fatalf("bad message for %s: %q", field, msg)
			}
		}
		if errs != nil {
			if _, err := NewRequest("r", s, time.Unix(0, 0)); ErrorCode(err) != CodeInvalid {
				t.Fatalf("NewRequest accepted an invalid submission: %v", err)
			}
			return
		}
		if !ValidOrderNumber(n.OrderNumber) || !ValidEmail(n.Email) || !RequestKind(n.Kind).Valid() || !Reason(n.Reason).Valid() {
			t.Fatalf("accepted bad shape: %#v", n)
		}
		if _, err := ParseDate(n.PurchaseDate); err != nil {
			t.Fatalf("accepted bad date %q", n.PurchaseDate)
		}
		for _, v := range []string{n.OrderNumber, n.PurchaseDate, n.Email, n.Details, n.Name} {
			if !utf8.ValidString(v) || v != strings.TrimSpace(v) {
				t.Fatalf("accepted unsafe text %q", v)
			}
			for _, r := range v {
				if unicode.IsControl(r) && r != '\n' && r != '\t' {
					t.Fatalf("accepted control character %U in %q", r, v)
				}
			}
		}
		if utf8.RuneCountInString(n.Details) > MaxDetailsRunes || utf8.RuneCountInString(n.Name) > MaxNameRunes || strings.ContainsAny(n.Name, "\n\t") {
			t.Fatalf("accepted oversized or multi-line text: %#v", n)
		}
		req, err := NewRequest("r", s, time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)) // any valid date is in the past
		if err != nil || req.OrderNumber != n.OrderNumber || req.Details != n.Details {
			t.Fatalf("NewRequest(%#v) = %+v, %v", s, req, err)
		}
		order := hoursOrder(100, 1, 0, 100)
		order.Number, order.PurchaseDate, order.Email = n.OrderNumber, n.PurchaseDate, n.Email
		if v := Verify(DefaultPolicy(), s, &order, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)); len(v.Findings) == 0 {
			t.Fatal("Verify returned no findings")
		}
	})
}

// FuzzParseMoney: ParseMoney never panics, only accepts amounts in [0, MaxAmount], and what it accepts
// formats and parses back to the same value.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"1234.50", "1,234.50", "EUR 1,234.50", "0", "0.01", "10000000000.00", "10000000000.01",
		"-1", "1e3", "1,23", ".5", "12.", " 7 ", "１２", "99999999999999999999999", "1.999"} {
		for _, c := range []string{"EUR", "JPY", "KWD"} {
			f.Add(s, c)
		}
	}
	f.Fuzz(func(t *testing.T, s, currency string) {
		m, err := ParseMoney(s, currency)
		if err != nil {
			return
		}
		if m.Amount < 0 || m.Amount > MaxAmount || m.Currency != currency {
			t.Fatalf("ParseMoney(%q, %q) = %#v", s, currency, m)
		}
		back, err := ParseMoney(m.String(), currency)
		if err != nil || back != m {
			t.Fatalf("round trip of %#v via %q: %#v, %v", m, m.String(), back, err)
		}
	})
}

// FuzzLoadPolicy: LoadPolicy never panics, anything it accepts is valid, and an accepted policy written
// back as JSON loads to the same policy. Accepted policies must also resolve a sample order safely.
func FuzzLoadPolicy(f *testing.F) {
	f.Add(DefaultPolicyJSON())
	f.Add([]byte(`{"version":"x","cooling_off_days":0,"max_request_age_days":1,"full_refund_reasons_before_work":null,"refund_timing":"soon","project":{"fee_percent":100,"credit_percent":300,"credit_valid_months":120,"offer_switch_service":true},"subscription":{"max_pause_months":24,"offer_cancel_at_period_end":false},"hours":{"credit_percent":0,"credit_valid_months":1},"review":{"refund_above_major_units":{"EUR":0},"reasons":[],"disputed":false}}`))
	f.Add([]byte(`{"version":"x"} {}`))
	f.Add([]byte(`{"version":"x","cooling_off_days":1e3}`))
	f.Add([]byte(`null`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := LoadPolicy(bytes.NewReader(data))
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("accepted an invalid policy: %v", err)
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		back, err := LoadPolicy(bytes.NewReader(out))
		if err != nil || !reflect.DeepEqual(back, p) {
			t.Fatalf("re-loading %s: %+v, %v", out, back, err)
		}
		o := projectOrder(100000, ms("Build", 100000, MilestoneInProgress, 50))
		res := Resolve(p, testRequest(ReasonChangedMind), o, time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC))
		for _, of := range res.Offers {
			if of.Amount.Amount < 0 || of.BreakdownTotal() != of.Amount {
				t.Fatalf("policy %s gave a bad offer %+v", out, of)
			}
		}
	})
}
