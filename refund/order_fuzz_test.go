package refund

import (
	"encoding/json"
	"testing"
)

// FuzzOrderValidate decodes arbitrary order documents (the staff API's PUT /staff/api/orders/{number},
// which the billing system calls) and validates them. Nothing may panic; an order that validates
// keeps the ledger's rules: amounts within bounds, refunded at most paid, remaining never negative,
// and a service of the declared type with its prices within bounds.
func FuzzOrderValidate(f *testing.F) {
	f.Add(`{"number":"RF-1","customer_name":"Ada","email":"ada@example.com","purchase_date":"2025-03-01","currency":"EUR","paid":180000,"refunded":0,"payment":{"provider":"sandbox","reference":"pi_1","card_hint":"4242","three_d_secure":true,"captured":true},"status":"active","service":{"type":"project","project":{"milestones":[{"name":"Build","price":180000,"status":"in_progress","progress":50}]}}}`)
	f.Add(`{"number":"RF-2","customer_name":"B","email":"b@example.com","purchase_date":"2025-03-01","currency":"JPY","paid":3000,"refunded":3001,"status":"active","service":{"type":"hours","hours":{"purchased":10,"used":11,"total_price":3000}}}`)
	f.Add(`{"number":"RF-3","customer_name":"C","email":"c@example.com","purchase_date":"2025-02-29","currency":"eur","paid":-1,"status":"gone","service":{"type":"subscription","subscription":{"period_start":"2025-03-31","period_end":"2025-03-01","price_per_period":1e20}}}`)
	f.Add(`{"service":{"type":"project","hours":{"purchased":1}}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		var o Order
		if err := json.Unmarshal([]byte(doc), &o); err != nil {
			return
		}
		if err := o.Validate(); err != nil {
			if ErrorCode(err) != CodeInvalid {
				t.Fatalf("refused with %q: %v", ErrorCode(err), err)
			}
			return
		}
		if o.Paid < 0 || o.Paid > MaxAmount || o.Refunded < 0 || o.Refunded > o.Paid {
			t.Fatalf("accepted paid %d refunded %d", o.Paid, o.Refunded)
		}
		if r := o.Remaining(); r.Amount < 0 || r.Currency != o.Currency {
			t.Fatalf("remaining %v", r)
		}
		if o.Service.Type == ServiceProject && (o.Service.Project == nil || len(o.Service.Project.Milestones) == 0) {
			t.Fatalf("accepted a project without milestones")
		}
	})
}
