package refundflow_test

import (
	"slices"
	"testing"
)

// Review of issue 17 (review/money). docs/deploy.md says of the four functions behind public routes:
// "None of them can write an order, a refund record or a payment". dynamodb:LeadingKeys scopes by
// partition key only, and the open-request lock (ORDER#<number> / OPEN) shares its partition with the
// order item that holds the refund ledger (ORDER#<number> / ORDER: paid, refunded) and with the refund
// records (ORDER#<number> / REFUND#...). So SubmitRequest's PutItem on ORDER#* can overwrite an order
// with refunded = 0, and the DeleteItem on ORDER#* that RequestStatus and RecordConsent hold for the
// lock can delete the ledger and the refund records: exactly what the scoping was meant to deny to a
// public function.
func TestReviewPublicFunctionsCannotWriteTheLedger(t *testing.T) {
	tmpl := loadTemplate(t)
	res := symbolic(tmpl)
	fns := functions(t, tmpl)
	routes, err := tmpl.HttpRoutes()
	if err != nil {
		t.Fatal(err)
	}
	// The provider's webhook has no authorizer, but is authenticated all the same: by the
	// provider's signature, checked with the endpoint's secret before anything is read. Keeping the
	// ledger in step with the provider's refunds is its job (issue 15), so it may write there.
	signed := map[string]bool{"StripeWebhookFunction": true}
	public := map[string]bool{}
	for _, r := range routes {
		if (r.Authorizer == "" || r.Authorizer == "NONE") && !signed[r.Function] {
			public[r.Function] = true
		}
	}
	// The partition of an order's ledger item and refund records.
	const ledgerPartition = "ORDER#RF-2025-0001"
	for _, id := range sortedKeys(fns) {
		if !public[id] {
			continue
		}
		for _, s := range statements(t, res, fns[id]) {
			if s.Effect != "Allow" {
				continue
			}
			for _, a := range s.Actions {
				if !slices.Contains([]string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}, a) {
					continue
				}
				patterns, scoped := leadingKeys(s)
				if !scoped {
					continue // TestPoliciesGrantExactlyWhatTheCodeCalls refuses these
				}
				for _, p := range patterns {
					if iamLike(p, ledgerPartition) {
						t.Errorf("%s: %s under %s also admits ORDER#<number>/ORDER (the ledger) and ORDER#<number>/REFUND#… (refund records)", id, a, p)
					}
				}
			}
		}
	}
}
