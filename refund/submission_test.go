package refund

import (
	"strings"
	"testing"
	"time"
)

func validSubmission() Submission {
	return Submission{
		OrderNumber: "RF-1001", PurchaseDate: "2025-03-01", Email: "jane@example.com",
		Kind: "refund", Reason: "changed_mind", Details: "Plans changed.", Name: "Jane Doe",
	}
}

func TestSubmissionValidate(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*Submission)
		fields string // the invalid fields, sorted, comma-separated; "" for valid
	}{
		{"valid", func(*Submission) {}, ""},
		{"trims and lower-cases", func(s *Submission) {
			s.OrderNumber, s.Email, s.Kind, s.Reason = "  rf-1001 ", " Jane@Example.COM ", " Refund", "CHANGED_MIND "
		}, ""},
		{"details may be empty", func(s *Submission) { s.Details = "" }, ""},
		{"name may be empty", func(s *Submission) { s.Name = "" }, ""},
		{"details with newlines, tabs and CRLF", func(s *Submission) { s.Details = "line 1\r\nline 2\n\tindented\rend" }, ""},
		{"details of exactly 2000 runes", func(s *Submission) { s.Details = strings.Repeat("é", 2000) }, ""},
		{"details of 2001 runes", func(s *Submission) { s.Details = strings.Repeat("é", 2001) }, "details"},
		{"details with a NUL", func(s *Submission) { s.Details = "a\x00b" }, "details"},
		{"details with an escape sequence", func(s *Submission) { s.Details = "a\x1b[31mred" }, "details"},
		{"details with C1 control", func(s *Submission) { s.Details = "a\u0085b" }, "details"},
		{"details with a bidi override", func(s *Submission) { s.Details = "invoice\u202efdp.exe" }, "details"},
		{"details with emoji and joiners", func(s *Submission) { s.Details = "Thanks 👩‍💻 — ok" }, ""},
		{"details with invalid UTF-8", func(s *Submission) { s.Details = "a\xffb" }, "details"},
		{"other reason needs details", func(s *Submission) { s.Reason, s.Details = "other", "  " }, "details"},
		{"other reason with details", func(s *Submission) { s.Reason = "other" }, ""},
		{"empty order number", func(s *Submission) { s.OrderNumber = " " }, "order_number"},
		{"order number with space", func(s *Submission) { s.OrderNumber = "RF 1001" }, "order_number"},
		{"order number with slash", func(s *Submission) { s.OrderNumber = "RF/1001" }, "order_number"},
		{"order number of 40", func(s *Submission) { s.OrderNumber = strings.Repeat("A", 40) }, ""},
		{"order number of 41", func(s *Submission) { s.OrderNumber = strings.Repeat("A", 41) }, "order_number"},
		{"order number non-ASCII", func(s *Submission) { s.OrderNumber = "RF-１００１" }, "order_number"},
		{"order number invalid UTF-8", func(s *Submission) { s.OrderNumber = "RF-\xff" }, "order_number"},
		{"empty date", func(s *Submission) { s.PurchaseDate = "" }, "purchase_date"},
		{"date in another layout", func(s *Submission) { s.PurchaseDate = "01/03/2025" }, "purchase_date"},
		{"impossible date", func(s *Submission) { s.PurchaseDate = "2025-02-29" }, "purchase_date"},
		{"leap day", func(s *Submission) { s.PurchaseDate = "2024-02-29" }, ""},
		{"future date is a verification concern", func(s *Submission) { s.PurchaseDate = "2999-01-01" }, ""},
		{"date with time", func(s *Submission) { s.PurchaseDate = "2025-03-01T10:00:00Z" }, "purchase_date"},
		{"empty email", func(s *Submission) { s.Email = "" }, "email"},
		{"email without at", func(s *Submission) { s.Email = "jane.example.com" }, "email"},
		{"email without domain dot", func(s *Submission) { s.Email = "jane@localhost" }, "email"},
		{"email with two ats", func(s *Submission) { s.Email = "jane@doe@example.com" }, "email"},
		{"email with space", func(s *Submission) { s.Email = "jane doe@example.com" }, "email"},
		{"email with empty label", func(s *Submission) { s.Email = "jane@example..com" }, "email"},
		{"email with dash label edge", func(s *Submission) { s.Email = "jane@-example.com" }, "email"},
		{"email with plus and dots", func(s *Submission) { s.Email = "jane.doe+refunds@mail.example.co.uk" }, ""},
		{"email with IDN", func(s *Submission) { s.Email = "jane@bücher.example" }, ""},
		{"email with newline", func(s *Submission) { s.Email = "jane@example.com\nBcc: x@y.z" }, "email"},
		{"email too long", func(s *Submission) { s.Email = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 190) + ".com" }, "email"},
		{"unknown kind", func(s *Submission) { s.Kind = "chargeback" }, "kind"},
		{"unknown reason", func(s *Submission) { s.Reason = "because" }, "reason"},
		{"name with control", func(s *Submission) { s.Name = "Jane\x07" }, "name"},
		{"name with newline", func(s *Submission) { s.Name = "Jane\nDoe" }, "name"},
		{"name too long", func(s *Submission) { s.Name = strings.Repeat("n", 201) }, "name"},
		{"everything wrong", func(s *Submission) { *s = Submission{Reason: "x", Kind: "y"} }, "email,kind,order_number,purchase_date,reason"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := validSubmission()
			tc.edit(&s)
			errs := s.Validate()
			var names []string
			for _, f := range []string{"details", "email", "kind", "name", "order_number", "purchase_date", "reason"} {
				if msg, ok := errs[f]; ok {
					names = append(names, f)
					if len(msg) < 20 || !strings.HasSuffix(msg, ".") {
						t.Errorf("message for %s is not a sentence: %q", f, msg)
					}
				}
			}
			if got, want := strings.Join(names, ","), tc.fields; got != want {
				t.Errorf("invalid fields = %q, want %q (%v)", got, want, errs)
			}
			if got, want := len(errs), len(names); got != want {
				t.Errorf("unexpected fields in %v", errs)
			}
			if tc.fields == "" && errs != nil {
				t.Errorf("valid submission returned non-nil %v", errs)
			}
		})
	}
}

func TestSubmissionNormalize(t *testing.T) {
	s := Submission{
		OrderNumber: " rf-1001 ", PurchaseDate: " 2025-03-01 ", Email: " Jane@Example.COM ",
		Kind: " REFUND ", Reason: " Quality ", Details: "\r\n a\r\nb\r \n", Name: "  Jane  ",
	}
	got := s.Normalize()
	want := Submission{
		OrderNumber: "RF-1001", PurchaseDate: "2025-03-01", Email: "jane@example.com",
		Kind: "refund", Reason: "quality", Details: "a\nb", Name: "Jane",
	}
	if got != want {
		t.Errorf("Normalize() = %#v, want %#v", got, want)
	}
	if again := got.Normalize(); again != got {
		t.Errorf("Normalize is not idempotent: %#v", again)
	}
}

func TestNewRequest(t *testing.T) {
	now := at(t, "2025-03-05")
	s := validSubmission()
	s.Email = "JANE@example.com"
	r, err := NewRequest("req-9", s, now)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r, (Request{ID: "req-9", OrderNumber: "RF-1001", Kind: KindRefund, Reason: ReasonChangedMind,
		Details: "Plans changed.", Status: StatusSubmitted, CreatedAt: now, UpdatedAt: now, Version: 1}); got != want {
		t.Errorf("NewRequest = %+v, want %+v", got, want)
	}

	s.Reason = "nope"
	_, err = NewRequest("req-9", s, now)
	if got, want := ErrorCode(err), CodeInvalid; got != want {
		t.Fatalf("error code = %q, want %q (%v)", got, want, err)
	}
}

func TestDays(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2025-03-01", "2025-03-15", 14},
		{"2025-03-01", "2025-03-16", 15},
		{"2025-03-16", "2025-03-01", -15},
		{"2024-02-28", "2024-03-01", 2},
		{"2025-03-30", "2025-03-31", 1}, // across the EU daylight-saving change: still one day
		{"0001-01-01", "9999-12-31", 3652058},
	}
	for _, tc := range tests {
		if got := DaysBetween(date(t, tc.a), date(t, tc.b)); got != tc.want {
			t.Errorf("DaysBetween(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestDayIsUTC(t *testing.T) {
	// 23:30 in New York on 15 March is already 16 March in UTC: day 15 after a 1 March purchase.
	ny := time.FixedZone("EST", -5*3600)
	now := time.Date(2025, 3, 15, 23, 30, 0, 0, ny)
	if got, want := DaysBetween(date(t, "2025-03-01"), now), 15; got != want {
		t.Errorf("DaysBetween = %d, want %d", got, want)
	}
	res := Resolve(DefaultPolicy(), testRequest(ReasonChangedMind), hoursOrder(100, 10, 0, 100), now)
	if res.CoolingOff {
		t.Error("a request on UTC day 15 was treated as within cooling-off")
	}
}
