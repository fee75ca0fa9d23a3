package refund_test

import (
	"fmt"
	"time"

	"refundflow/refund"
)

// A fixed-price project cancelled two months after purchase: one milestone delivered, one a third
// done. The refund is what was paid minus the work and the 5% fee, rounded down to the cent.
func ExampleResolve() {
	order := refund.Order{
		Number: "RF-2025-0042", CustomerName: "Jane Doe", Email: "jane@example.com",
		PurchaseDate: "2025-03-01", Currency: "EUR", Paid: 100000, Status: refund.OrderActive,
		Payment: refund.Payment{Provider: "sandbox", Reference: "pi_1", CardHint: "4242", ThreeDSecure: true, Captured: true},
		Service: refund.Service{Type: refund.ServiceProject, Project: &refund.Project{Milestones: []refund.Milestone{
			{Name: "Design", Price: 30000, Status: refund.MilestoneDelivered},
			{Name: "Build", Price: 50001, Status: refund.MilestoneInProgress, Progress: 33},
			{Name: "Launch", Price: 19999, Status: refund.MilestoneNotStarted},
		}}},
	}
	req := refund.Request{ID: "req-7", OrderNumber: order.Number, Kind: refund.KindCancellation, Reason: refund.ReasonNoLongerNeeded}
	res := refund.Resolve(refund.DefaultPolicy(), req, order, time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC))
	for _, o := range res.Offers {
		fmt.Printf("%s: %s\n", o.ID, o.Amount)
	}
	fmt.Println("Breakdown of the refund:")
	for _, l := range res.Offers[0].Breakdown {
		fmt.Printf("  %-42s %14s\n", l.Label, l.Amount)
	}
	fmt.Println("Needs review:", res.NeedsReview)
	// Output:
	// req-7-1-partial_refund: EUR 484.99
	// req-7-2-service_credit: EUR 533.48
	// req-7-3-switch_service: EUR 533.48
	// Breakdown of the refund:
	//   Amount paid                                  EUR 1,000.00
	//   Delivered: Design                             EUR -300.00
	//   In progress: Build (33% of EUR 500.01)        EUR -165.00
	//   Cancellation fee (5% of the amount paid)       EUR -50.00
	//   Rounding down to the cent                       EUR -0.01
	// Needs review: false
}

func ExampleParseMoney() {
	m, err := refund.ParseMoney("1,234.5", "EUR")
	fmt.Println(m.Amount, m, err)
	_, err = refund.ParseMoney("12.345", "EUR")
	fmt.Println(err)
	// Output:
	// 123450 EUR 1,234.50 <nil>
	// parse amount "12.345": use 1 to 2 decimals
}

func ExampleCanTransition() {
	fmt.Println(refund.CanTransition(refund.StatusAwaitingConsent, refund.StatusExecuting))
	fmt.Println(refund.CanTransition(refund.StatusCompleted, refund.StatusExecuting))
	// Output:
	// true
	// false
}
