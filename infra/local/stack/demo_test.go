package stack

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"refundflow/refund"
)

func TestFormatOffset(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0 seconds"},
		{time.Second, "1 second"},
		{90 * time.Second, "1 minute 30 seconds"},
		{90 * time.Minute, "1 hour 30 minutes"},
		{24 * time.Hour, "1 day"},
		{36 * time.Hour, "1 day 12 hours"},
		{14 * 24 * time.Hour, "14 days"},
		// A jump counts the moments the workflows took on the way: not worth a line of its own.
		{14*24*time.Hour - 1500*time.Millisecond, "14 days"},
		{7*24*time.Hour + 2*time.Minute + 20*time.Second, "7 days 2 minutes"},
		{59*time.Minute + 59*time.Second + 600*time.Millisecond, "1 hour"},
	} {
		if got := FormatOffset(tc.in); got != tc.want {
			t.Errorf("FormatOffset(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestDemoDescriptionsFollowTheClock describes the demo orders as loaded on one day, on that day and
// later ones: the age, the period and the outcome follow the day they are shown on, and what happened
// to the order since.
func TestDemoDescriptionsFollowTheClock(t *testing.T) {
	t.Parallel()
	loaded := time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)
	orders := map[string]refund.Order{}
	for _, d := range demoOrders(loaded) {
		orders[d.Order.Number] = d.Order
	}
	day := func(offset int) string { return refund.FormatDate(loaded.AddDate(0, 0, offset)) }
	refunded := orders["RF-1001"]
	refunded.Refunded, refunded.Status = refunded.Paid, refund.OrderFullyRefunded
	p := refund.DefaultPolicy()
	for _, tc := range []struct {
		name          string
		order         refund.Order
		later         int // days after loading
		about         []string
		outcome       []string
		outcomeMisses []string
	}{
		{"RF-1001 fresh", orders["RF-1001"], 0,
			[]string{"project of EUR 1,800.00 bought 3 days ago, nothing started"},
			[]string{"full refund of EUR 1,800.00 (cooling-off until " + day(-3+p.CoolingOffDays) + ")"}, []string{"staff review"}},
		{"RF-1001 on the last cooling-off day", orders["RF-1001"], p.CoolingOffDays - 3,
			[]string{"bought 14 days ago"}, []string{"full refund of EUR 1,800.00 (cooling-off until " + day(-3+p.CoolingOffDays) + ")"}, nil},
		{"RF-1001 a day after the cooling-off", orders["RF-1001"], p.CoolingOffDays - 2,
			[]string{"bought 15 days ago"},
			[]string{"partial refund of EUR 1,710.00", "(the 14-day cooling-off ended on " + day(-3+p.CoolingOffDays) + ")"}, []string{"full refund"}},
		{"RF-1001 after a year", orders["RF-1001"], p.MaxRequestAgeDays,
			[]string{"bought 368 days ago"}, []string{"refused: Requests can be made up to 365 days after the purchase date."}, []string{"refund of"}},
		{"RF-1001 refunded", refunded, 0,
			[]string{"EUR 1,800.00 refunded, fully refunded"},
			[]string{"refused: Order RF-1001 has already been cancelled or fully refunded"}, nil},
		{"RF-1002 later", orders["RF-1002"], 30,
			[]string{"bought 90 days ago, Discovery delivered, Build 50% done, Launch not started"},
			[]string{"partial refund of EUR 1,080.00, service credit of EUR 1,188.00 or switch to another service with EUR 1,188.00 credit"}, []string{"cooling-off"}},
		{"RF-1003 in its period", orders["RF-1003"], 0,
			[]string{"bought 40 days ago, day 11 of 30 of its period (to " + day(19) + "), 2 tickets used"},
			[]string{"partial refund of EUR 190.00, a pause of 3 months from " + day(20) + " or cancel at the end of the period on " + day(19)}, nil},
		{"RF-1003 after its period", orders["RF-1003"], 30,
			[]string{"its paid period ended on " + day(19) + ", 11 days ago"},
			[]string{"no refund, but a pause of 3 months from " + day(31) + " or cancel at the end of the period on " + day(30)}, []string{"partial refund"}},
		{"RF-1005 fresh", orders["RF-1005"], 0,
			[]string{"project of EUR 12,000.00 bought 5 days ago"},
			[]string{"staff review first (the refund of EUR 12,000.00 is above the EUR 2,000.00 that can be refunded without review), then full refund of EUR 12,000.00"}, nil},
	} {
		now := loaded.AddDate(0, 0, tc.later).Add(3 * time.Hour)
		about, outcome := describeOrder(tc.order, now), demoOutcome(p, tc.order, now)
		for _, want := range tc.about {
			if !strings.Contains(about, want) {
				t.Errorf("%s: the order is described as %q, want it to say %q", tc.name, about, want)
			}
		}
		for _, want := range tc.outcome {
			if !strings.Contains(outcome, want) {
				t.Errorf("%s: the outcome is %q, want it to say %q", tc.name, outcome, want)
			}
		}
		for _, not := range tc.outcomeMisses {
			if strings.Contains(outcome, not) {
				t.Errorf("%s: the outcome %q says %q", tc.name, outcome, not)
			}
		}
	}
}

// demoCard is a demo order as the local page shows it.
type demoCard struct{ About, Outcome string }

// demoCards reads the demo orders off the local page, by order number.
func demoCards(t testing.TB, p page) map[string]demoCard {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(p.Body))
	if err != nil {
		t.Fatalf("parse %s: %v", p.URL, err)
	}
	cards := map[string]demoCard{}
	var walk func(n *html.Node, number string)
	walk = func(n *html.Node, number string) {
		if n.Type == html.ElementNode && n.Data == "section" && strings.HasPrefix(attr(n, "aria-labelledby"), "demo-") {
			number = strings.TrimPrefix(attr(n, "aria-labelledby"), "demo-")
		}
		if n.Type == html.ElementNode && n.Data == "dt" && number != "" {
			dd := n.NextSibling
			for dd != nil && dd.Type != html.ElementNode {
				dd = dd.NextSibling
			}
			c := cards[number]
			switch {
			case dd == nil:
			case textOf(n) == "The order":
				c.About = textOf(dd)
			case textOf(n) == "A refund request today":
				c.Outcome = textOf(dd)
			}
			cards[number] = c
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, number)
		}
	}
	walk(doc, "")
	return cards
}

// TestDemoOrdersSayWhatHappens checks the local page's demo orders against the workflow itself: after
// 30 days of time travel each order's age is counted on the stack's clock, and a refund request for
// each leads to exactly what the page said — the same offers, staff review or not — after which the
// page says the order waits for that request.
func TestDemoOrdersSayWhatHappens(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	client, staff := newVisitor(t, s), newStaff(t, s)
	ada := demoOrder(t, s, "RF-1001")
	fresh := demoCards(t, client.get("/_local/"))
	if got := fresh["RF-1001"]; !strings.Contains(got.About, "bought 3 days ago") || !strings.HasPrefix(got.Outcome, "full refund of EUR 1,800.00 (cooling-off until ") {
		t.Errorf("RF-1001 on a fresh stack: %+v", got)
	}

	travelBy(t, client, "30d")
	ages := func() map[string]int {
		out := map[string]int{}
		for _, d := range s.Demo {
			bought, _ := refund.ParseDate(d.Order.PurchaseDate)
			out[d.Order.Number] = refund.DaysBetween(bought, s.Clock.Now())
		}
		return out
	}
	before := ages()
	cards := demoCards(t, client.get("/_local/"))
	after := ages() // the same, unless the stack's day ended in between
	if got := cards["RF-1001"].Outcome; !strings.HasPrefix(got, "partial refund of EUR 1,710.00") {
		t.Errorf("RF-1001 after 30 days: %q, want the partial refund that follows the cooling-off", got)
	}
	if len(cards) != len(s.Demo) {
		t.Fatalf("the page shows %d demo orders, the stack has %d", len(cards), len(s.Demo))
	}
	ids := map[string]string{}
	for _, d := range s.Demo {
		o := d.Order
		card := cards[o.Number]
		if !strings.Contains(card.About, fmt.Sprintf("bought %d days ago", before[o.Number])) && !strings.Contains(card.About, fmt.Sprintf("bought %d days ago", after[o.Number])) {
			t.Errorf("%s is described as %q, but it was bought %d days before the stack's today", o.Number, card.About, before[o.Number])
		}
		ids[o.Number] = requestID(t, client.submitForm(o, refund.KindRefund, DemoReason, "").URL)
	}
	for _, d := range s.Demo {
		number, card, id := d.Order.Number, cards[d.Order.Number], ids[d.Order.Number]
		var status refund.Status
		eventually(t, "the workflow of "+number+" to reach a decision", func() bool {
			status = staff.detail(id).Request.Status
			return status == refund.StatusAwaitingConsent || status == refund.StatusInReview || status == refund.StatusRejected || status == refund.StatusNeedsAttention
		})
		det := staff.detail(id)
		var offers []refund.Offer
		for _, o := range det.Offers {
			offers = append(offers, o.Offer)
		}
		switch status {
		case refund.StatusInReview:
			if !strings.HasPrefix(card.Outcome, "staff review first (") {
				t.Errorf("%s went to staff review; the page said %q", number, card.Outcome)
			}
		case refund.StatusAwaitingConsent:
			if strings.Contains(card.Outcome, "staff review") {
				t.Errorf("%s went straight to the client; the page said %q", number, card.Outcome)
			}
		default:
			t.Errorf("%s: the request ended %s; the page said %q", number, status, card.Outcome)
			continue
		}
		if want := offerList(offers); !strings.Contains(card.Outcome, want) {
			t.Errorf("%s: the workflow offered %q; the page said %q", number, want, card.Outcome)
		}
	}

	// Now each order waits for its request, and the page says so.
	cards = demoCards(t, client.get("/_local/"))
	if got, want := cards[ada.Number].Outcome, "refused for now: request "+ids[ada.Number]+" is still open (Waiting for your answer)"; !strings.HasPrefix(got, want) {
		t.Errorf("RF-1001 with an open request: %q, want %q...", got, want)
	}
	if again := client.do(http.MethodGet, "/_local/", nil, nil); again.Status != http.StatusOK {
		t.Errorf("the local page: %s", again)
	}
}

// TestDataDirDemoOrdersFollowTheRestoredClock: a stack restarted on its data directory carries its
// time travel on, and describes the demo orders on that clock, not on the day they were loaded.
func TestDataDirDemoOrdersFollowTheRestoredClock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := startDataStack(t, dir)
	travelBy(t, newVisitor(t, first), "30d")
	closeStack(t, first)

	second := startDataStack(t, dir)
	if off := second.Clock.Offset(); off < 30*24*time.Hour-time.Minute {
		t.Fatalf("the restored clock is %v ahead, want 30 days", off)
	}
	status := second.DemoStatus(context.Background())
	if len(status) == 0 || status[0].Order.Number != "RF-1001" {
		t.Fatalf("demo status after the restart: %+v", status)
	}
	bought, _ := refund.ParseDate(status[0].Order.PurchaseDate)
	age := refund.DaysBetween(bought, second.Clock.Now())
	if age < 33 || !strings.Contains(status[0].About, fmt.Sprintf("bought %d days ago", age)) {
		t.Errorf("RF-1001 after the restart is %q, want it bought %d days ago", status[0].About, age)
	}
	if !strings.Contains(status[0].Outcome, "cooling-off ended") || strings.Contains(status[0].Outcome, "full refund") {
		t.Errorf("RF-1001 after the restart leads to %q, want the partial refund after the cooling-off", status[0].Outcome)
	}
	mustContain(t, newVisitor(t, second).get("/_local/"), "30 days ahead of the wall clock", fmt.Sprintf("bought %d days ago", age))
}
