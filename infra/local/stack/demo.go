package stack

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"refundflow/dynamo"
	"refundflow/payment/sandbox"
	"refundflow/refund"
)

// DemoOrder is one demo order and what trying it shows.
type DemoOrder struct {
	// Order is the order as stored.
	Order refund.Order
	// Try says what a request for this order leads to.
	Try string
}

// demoOrders returns the demo orders, dated relative to today so the policy's windows apply the same
// way whenever the stack starts: one per service type and stage, and one that needs staff review.
func demoOrders(today time.Time) []DemoOrder {
	day := func(offset int) string { return today.AddDate(0, 0, offset).Format(refund.DateLayout) }
	pay := func(ref, hint string) refund.Payment {
		return refund.Payment{Provider: "sandbox", Reference: ref, CardHint: hint, ThreeDSecure: true, Captured: true}
	}
	return []DemoOrder{
		{
			Try: "project bought 3 days ago, nothing started: full refund (cooling-off)",
			Order: refund.Order{Number: "RF-1001", CustomerName: "Ada Lovelace", Email: "ada@example.com", PurchaseDate: day(-3),
				Currency: "EUR", Paid: 180000, Payment: pay("pi_demo_1001", "4242"), Status: refund.OrderActive,
				Service: refund.Service{Type: refund.ServiceProject, Project: &refund.Project{Milestones: []refund.Milestone{
					{Name: "Discovery", Price: 60000, Status: refund.MilestoneNotStarted},
					{Name: "Build", Price: 120000, Status: refund.MilestoneNotStarted},
				}}}},
		},
		{
			Try: "project two months in, one milestone delivered, one half done: partial refund or credit",
			Order: refund.Order{Number: "RF-1002", CustomerName: "Grace Hopper", Email: "grace@example.com", PurchaseDate: day(-60),
				Currency: "EUR", Paid: 240000, Payment: pay("pi_demo_1002", "1881"), Status: refund.OrderActive,
				Service: refund.Service{Type: refund.ServiceProject, Project: &refund.Project{Milestones: []refund.Milestone{
					{Name: "Discovery", Price: 60000, Status: refund.MilestoneDelivered},
					{Name: "Build", Price: 120000, Status: refund.MilestoneInProgress, Progress: 50},
					{Name: "Launch", Price: 60000, Status: refund.MilestoneNotStarted},
				}}}},
		},
		{
			Try: "support subscription in use: prorated refund, pause, or cancel at period end",
			Order: refund.Order{Number: "RF-1003", CustomerName: "Alan Turing", Email: "alan@example.com", PurchaseDate: day(-40),
				Currency: "EUR", Paid: 30000, Payment: pay("pi_demo_1003", "0005"), Status: refund.OrderActive,
				Service: refund.Service{Type: refund.ServiceSubscription, Subscription: &refund.Subscription{
					PeriodStart: day(-10), PeriodEnd: day(19), PricePerPeriod: 30000, TicketsUsed: 2,
				}}},
		},
		{
			Try: "20 consulting hours, 5 used: refund of the unused hours or credit",
			Order: refund.Order{Number: "RF-1004", CustomerName: "Katherine Johnson", Email: "katherine@example.com", PurchaseDate: day(-30),
				Currency: "USD", Paid: 200000, Payment: pay("pi_demo_1004", "4444"), Status: refund.OrderActive,
				Service: refund.Service{Type: refund.ServiceHours, Hours: &refund.Hours{Purchased: 20, Used: 5, TotalPrice: 200000}}},
		},
		{
			Try: "large project: the refund is above the review threshold, so staff review first",
			Order: refund.Order{Number: "RF-1005", CustomerName: "Edsger Dijkstra", Email: "edsger@example.com", PurchaseDate: day(-5),
				Currency: "EUR", Paid: 1200000, Payment: pay("pi_demo_1005", "3063"), Status: refund.OrderActive,
				Service: refund.Service{Type: refund.ServiceProject, Project: &refund.Project{Milestones: []refund.Milestone{
					{Name: "Architecture", Price: 400000, Status: refund.MilestoneNotStarted},
					{Name: "Implementation", Price: 800000, Status: refund.MilestoneNotStarted},
				}}}},
		},
	}
}

// LoadDemo stores the demo orders and captures their payments in the sandbox. Orders that already
// exist (an external DynamoDB kept from an earlier run) are left as they are.
func LoadDemo(ctx context.Context, db *dynamodb.Client, table string, now time.Time) ([]DemoOrder, error) {
	store := dynamo.New(db, table)
	store.Now = func() time.Time { return now }
	pay := sandbox.New(db, table)
	demos := demoOrders(now.UTC())
	for i, d := range demos {
		stored, err := store.PutOrder(ctx, d.Order)
		if refund.ErrorCode(err) == refund.CodeConflict {
			if stored, err = store.GetOrder(ctx, d.Order.Number); err != nil {
				return nil, fmt.Errorf("demo order %s: %w", d.Order.Number, err)
			}
		} else if err != nil {
			return nil, fmt.Errorf("demo order %s: %w", d.Order.Number, err)
		}
		demos[i].Order = stored
		amount := refund.Money{Amount: d.Order.Paid, Currency: d.Order.Currency}
		if err := pay.Capture(ctx, d.Order.Payment.Reference, amount); err != nil {
			return nil, fmt.Errorf("demo payment %s: %w", d.Order.Payment.Reference, err)
		}
	}
	return demos, nil
}
