package workflowtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"refundflow/handler"
	"refundflow/refund"
)

// find searches through the staff API and returns the status and the IDs found, in order.
func find(h *harness, q string) (int, []string, string) {
	h.T.Helper()
	a := h.StaffGet("/staff/api/requests", "/staff/api/requests", "q="+url.QueryEscape(q), nil)
	if a.Err != nil {
		h.T.Fatal(a.Err)
	}
	var list handler.RequestList
	var ids []string
	if a.Status == http.StatusOK {
		if err := json.Unmarshal([]byte(a.Body), &list); err != nil {
			h.T.Fatalf("search answer: %v: %s", err, a.Body)
		}
		for _, r := range list.Requests {
			ids = append(ids, r.ID)
		}
	}
	return a.Status, ids, a.Body
}

// TestStaffFindsRequests: the console's one search box finds a request by order number, client email
// (exact, any case; another order's email finds only that order's), request ID and refund reference,
// newest first; bad input is a 400 with a message.
func TestStaffFindsRequests(t *testing.T) {
	h := newHarness(t)
	// Two requests on Ana's order (the first withdrawn, then a second), one on Grace's.
	ana := h.newOrder(refund.ServiceHours)
	first := h.submitRequest(ana, refund.ReasonChangedMind)
	if got := h.withdraw(first, h.statusCode(first)); got/100 != 2 && got != http.StatusSeeOther {
		t.Fatalf("withdraw answered %d", got)
	}
	h.WantStatus(first, refund.StatusWithdrawn)
	h.Clock.Advance(1)
	second := h.submitRequest(ana, refund.ReasonChangedMind)
	grace := h.newOrder(refund.ServiceHours, func(o *refund.Order) { o.Email = "grace@example.org" })
	third := h.submitRequest(grace, refund.ReasonChangedMind)

	tests := []struct {
		q    string
		want []string
	}{
		{ana.Number, []string{second, first}},
		{strings.ToLower(ana.Number), []string{second, first}},
		{"ana@example.com", []string{second, first}},
		{"  ANA@Example.COM ", []string{second, first}},
		{"grace@example.org", []string{third}},
		{"nobody@example.com", nil},
		{second, []string{second}},
		{refund.RefundIdempotencyKey(third, 1), []string{third}},
		{"RF-0000-9999", nil},
		{"req-unknown-1", nil},
	}
	for _, tt := range tests {
		code, ids, body := find(h, tt.q)
		if code != http.StatusOK || strings.Join(ids, ",") != strings.Join(tt.want, ",") {
			t.Errorf("q=%q: %d %v, want 200 %v (%s)", tt.q, code, ids, tt.want, body)
		}
	}
	for _, q := range []string{"", strings.Repeat("a", 201), "RF-1\x00", "RF 1 2", "refund:nope"} {
		if code, _, body := find(h, q); code != http.StatusBadRequest || !strings.Contains(body, `"message"`) {
			t.Errorf("q=%q: %d, want 400 with a message: %s", q, code, body)
		}
	}
	// The email is stored only as its keyed hash: not in the lookup items' keys.
	recs, err := h.Store.FindRequests(h.Ctx, refund.Search{Kind: refund.SearchEmail, Value: refund.EmailLookup(LookupKey, "ana@example.com")}, 0)
	if err != nil || len(recs) != 2 {
		t.Errorf("store lookup by hash: %d, %v", len(recs), err)
	}
	for _, id := range []string{second, third} {
		closeCase(h, id)
	}
}

// TestStaffQueue: the default view of the console lists the work waiting for staff, oldest first,
// page by page with an opaque cursor, with counts per open status; bad filters and forged cursors are
// 400s.
func TestStaffQueue(t *testing.T) {
	h := newHarness(t)
	_, older, _ := aboveLimitOrder(h)
	h.Clock.Advance(60_000_000_000)
	_, newer, _ := aboveLimitOrder(h)

	var seen []string
	cursor, counts := "", map[refund.Status]int(nil)
	for page := 0; page < 5; page++ {
		a := h.StaffGet("/staff/api/requests", "/staff/api/requests", "view=waiting&limit=1&cursor="+url.QueryEscape(cursor), nil)
		if a.Status != http.StatusOK {
			t.Fatalf("waiting page %d: %d %s", page, a.Status, a.Body)
		}
		var list handler.RequestList
		if err := json.Unmarshal([]byte(a.Body), &list); err != nil {
			t.Fatal(err)
		}
		if page == 0 {
			counts = list.Counts
		}
		for _, r := range list.Requests {
			seen = append(seen, r.ID)
		}
		if cursor = list.Next; cursor == "" {
			break
		}
	}
	if got, want := strings.Join(seen, ","), older+","+newer; got != want {
		t.Errorf("waiting view listed %s, want %s (oldest first)", got, want)
	}
	if counts[refund.StatusInReview] != 2 || counts[refund.StatusNeedsAttention] != 0 {
		t.Errorf("counts = %v, want 2 in review, 0 needing attention", counts)
	}
	for _, q := range []string{"view=mine", "status=nonsense", "view=waiting&cursor=2.x", "view=waiting&cursor=1.eyJmb3JnZWQiOiJ5ZXMifQ", "status=in_review&cursor=forged"} {
		if a := h.StaffGet("/staff/api/requests", "/staff/api/requests", q, nil); a.Status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400: %s", q, a.Status, a.Body)
		}
	}
	closeCase(h, older)
	closeCase(h, newer)
}
