package refund

import (
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestCanTransition(t *testing.T) {
	allowed := map[[2]Status]bool{}
	for _, pair := range [][2]Status{
		{StatusSubmitted, StatusRejected}, {StatusSubmitted, StatusInReview}, {StatusSubmitted, StatusAwaitingConsent},
		{StatusSubmitted, StatusWithdrawn}, {StatusSubmitted, StatusNeedsAttention},
		{StatusInReview, StatusAwaitingConsent}, {StatusInReview, StatusReviewRejected}, {StatusInReview, StatusWithdrawn},
		{StatusInReview, StatusNeedsAttention},
		{StatusAwaitingConsent, StatusExecuting}, {StatusAwaitingConsent, StatusDeclined}, {StatusAwaitingConsent, StatusExpired},
		{StatusAwaitingConsent, StatusWithdrawn}, {StatusAwaitingConsent, StatusNeedsAttention},
		{StatusAwaitingConsent, StatusInReview}, // a dispute opened at the provider
		{StatusExecuting, StatusCompleted}, {StatusExecuting, StatusNeedsAttention},
		{StatusNeedsAttention, StatusExecuting}, {StatusNeedsAttention, StatusInReview}, {StatusNeedsAttention, StatusAwaitingConsent},
		{StatusNeedsAttention, StatusCompleted}, {StatusNeedsAttention, StatusReviewRejected}, {StatusNeedsAttention, StatusClosed},
	} {
		allowed[pair] = true
	}
	// The full matrix, so that adding a transition is a deliberate change to this test too.
	for _, from := range Statuses() {
		for _, to := range Statuses() {
			if got, want := CanTransition(from, to), allowed[[2]Status{from, to}]; got != want {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
	}
	if CanTransition("bogus", StatusSubmitted) || CanTransition(StatusSubmitted, "bogus") {
		t.Error("unknown statuses must not transition")
	}
}

func TestStatusProperties(t *testing.T) {
	terminal := 0
	for _, s := range Statuses() {
		if !s.Valid() {
			t.Errorf("%s not valid", s)
		}
		if s.Describe() == "Unknown status." {
			t.Errorf("%s has no description", s)
		}
		if s.Terminal() {
			terminal++
			if len(transitions[s]) != 0 {
				t.Errorf("terminal %s has transitions", s)
			}
		} else if !reachesTerminal(s) {
			t.Errorf("non-terminal %s can never finish", s)
		}
		if s != StatusSubmitted && !reachable(StatusSubmitted, s) {
			t.Errorf("%s is unreachable from submitted", s)
		}
	}
	if got, want := terminal, 7; got != want {
		t.Errorf("terminal states = %d, want %d", got, want)
	}
	if Status("bogus").Valid() {
		t.Error("bogus status is valid")
	}
}

func reachable(from, to Status) bool {
	seen := map[Status]bool{from: true}
	queue := []Status{from}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, n := range transitions[s] {
			if n == to {
				return true
			}
			if !seen[n] {
				seen[n] = true
				queue = append(queue, n)
			}
		}
	}
	return false
}

func reachesTerminal(from Status) bool {
	for _, s := range Statuses() {
		if s.Terminal() && reachable(from, s) {
			return true
		}
	}
	return false
}

// TestPropertyStatusMachine drives a request with random transition attempts: it never leaves a terminal
// state, every accepted move is allowed by CanTransition and bumps the version, and refused moves change
// nothing.
func TestPropertyStatusMachine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
		r := Request{ID: "r", Status: StatusSubmitted, Version: 1, CreatedAt: now, UpdatedAt: now}
		wasTerminal := false
		steps := rapid.SliceOfN(rapid.SampledFrom(append(Statuses(), "bogus")), 1, 30).Draw(t, "steps")
		for i, to := range steps {
			before := r
			later := now.AddDate(0, 0, i+1)
			err := r.Transition(to, later)
			switch {
			case err == nil:
				if wasTerminal {
					t.Fatalf("left terminal state %s for %s", before.Status, to)
				}
				if !CanTransition(before.Status, to) || r.Status != to || r.Version != before.Version+1 || !r.UpdatedAt.Equal(later) {
					t.Fatalf("bad accepted move %s → %s: %+v", before.Status, to, r)
				}
			default:
				if got, want := ErrorCode(err), CodeConflict; got != want {
					t.Fatalf("refusal code = %s, want %s", got, want)
				}
				if r != before {
					t.Fatalf("refused move %s → %s changed the request", before.Status, to)
				}
			}
			wasTerminal = r.Status.Terminal()
		}
	})
}

// TestReopen: only an executing or completed request reopens (a refund that failed later at the
// provider), to needs attention with the version bumped; every other status refuses and keeps the
// request as it was. Completed stays final for Transition whatever happens (TestPropertyStatusMachine).
func TestReopen(t *testing.T) {
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	later := now.Add(time.Hour)
	for _, s := range Statuses() {
		r := Request{ID: "r", Status: s, Version: 4, CreatedAt: now, UpdatedAt: now}
		before := r
		err := r.Reopen(later)
		if got, want := err == nil, s == StatusExecuting || s == StatusCompleted; got != want {
			t.Errorf("Reopen from %s: err = %v, want success %v", s, err, want)
			continue
		}
		if err != nil {
			if got, want := ErrorCode(err), CodeConflict; got != want {
				t.Errorf("Reopen from %s: code %s, want %s", s, got, want)
			}
			if r != before {
				t.Errorf("refused Reopen from %s changed the request: %+v", s, r)
			}
			continue
		}
		if r.Status != StatusNeedsAttention || r.Version != before.Version+1 || !r.UpdatedAt.Equal(later) {
			t.Errorf("Reopen from %s = %+v", s, r)
		}
		if CanTransition(s, StatusNeedsAttention) != (s == StatusExecuting) {
			t.Errorf("CanTransition(%s, needs_attention) = %v", s, CanTransition(s, StatusNeedsAttention))
		}
	}
}
