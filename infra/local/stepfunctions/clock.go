package stepfunctions

import (
	"container/heap"
	"sync"
	"time"
)

// Clock tells the engine what time it is. Every timestamp the engine records
// (history events, start and stop dates) and every timer it sets (Wait states,
// retry delays, task and execution timeouts) is read from its Clock, so a
// *VirtualClock makes a 14-day timeout a test of milliseconds.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
}

// SystemClock is the wall clock. It is the default when Options.Clock is nil.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// clockListener is what a VirtualClock drives: an engine with a timer queue.
type clockListener interface {
	// nextWake returns the earliest pending timer, if any.
	nextWake() (time.Time, bool)
	// fireDue runs every timer due at the clock's current time and returns
	// once the engine is idle again (nothing runnable, no invocation in
	// flight), so that work it started is finished before time moves on.
	fireDue()
}

// VirtualClock is a Clock that only moves when told to. Advance and Set fire
// the timers of every engine using the clock in time order, stopping the clock
// at each timer's exact instant, so history timestamps show exact delays
// (a retry after 2s is recorded 2s after the failure even when the test
// advances by an hour). The zero value is not usable; call NewVirtualClock.
type VirtualClock struct {
	mu  sync.Mutex // guards now and listeners
	now time.Time

	// moving serialises Advance and Set; it is held while engines run work,
	// so a Lambda handler must not call Advance or Set on the clock that
	// drives it (that would wait for itself).
	moving sync.Mutex

	listeners []clockListener
}

// NewVirtualClock returns a clock stopped at start.
func NewVirtualClock(start time.Time) *VirtualClock {
	return &VirtualClock{now: start}
}

// Now returns the clock's current time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d, firing due timers in order. It returns
// after every engine on the clock has processed what became runnable up to
// the new time, including Lambda invocations those timers started.
func (c *VirtualClock) Advance(d time.Duration) {
	c.moving.Lock()
	defer c.moving.Unlock()
	c.runUntil(c.Now().Add(d))
}

// Set moves the clock to t, firing due timers in order like Advance. Setting
// a time before the current one moves the clock back without firing anything.
func (c *VirtualClock) Set(t time.Time) {
	c.moving.Lock()
	defer c.moving.Unlock()
	if t.Before(c.Now()) {
		c.set(t)
		return
	}
	c.runUntil(t)
}

// runUntil steps the clock from timer to timer up to target.
func (c *VirtualClock) runUntil(target time.Time) {
	stepTimers(c.Now, c.set, c.snapshot, target)
}

func (c *VirtualClock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *VirtualClock) snapshot() []clockListener {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]clockListener(nil), c.listeners...)
}

func (c *VirtualClock) attach(l clockListener) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listeners = append(c.listeners, l)
}

func (c *VirtualClock) detach(l clockListener) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listeners = removeListener(c.listeners, l)
}

// stepTimers moves a clock to target, stopping at each listener timer on the
// way so that every timer fires with the clock at its exact instant.
func stepTimers(now func() time.Time, set func(time.Time), listeners func() []clockListener, target time.Time) {
	for {
		var next time.Time
		found := false
		for _, l := range listeners() {
			if t, ok := l.nextWake(); ok && (!found || t.Before(next)) {
				next, found = t, true
			}
		}
		if !found || next.After(target) {
			break
		}
		if next.After(now()) {
			set(next)
		}
		for _, l := range listeners() {
			l.fireDue()
		}
	}
	set(target)
	for _, l := range listeners() {
		l.fireDue()
	}
}

func removeListener(ls []clockListener, l clockListener) []clockListener {
	for i, x := range ls {
		if x == l {
			return append(ls[:i], ls[i+1:]...)
		}
	}
	return ls
}

// AdjustableClock is the wall clock plus an offset that only grows. Timers
// fire in real time, and Advance jumps ahead, firing what falls due in
// between in order — the local stack's "advance the clock" for a person
// trying a 14-day consent expiry by hand. The zero value is ready to use.
type AdjustableClock struct {
	mu        sync.Mutex
	offset    time.Duration
	listeners []clockListener
	moving    sync.Mutex // serialises Advance
}

// Now returns the wall-clock time plus the offset.
func (c *AdjustableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Offset returns how far the clock has been advanced past the wall clock.
func (c *AdjustableClock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}

// Advance moves the clock forward by d (negative d is ignored) and returns
// once the engines on it have processed the timers that fell due, like
// VirtualClock.Advance.
func (c *AdjustableClock) Advance(d time.Duration) {
	if d < 0 {
		d = 0
	}
	c.moving.Lock()
	defer c.moving.Unlock()
	stepTimers(c.Now, c.set, c.snapshot, c.Now().Add(d))
}

// RestoreOffset sets the offset to d exactly, as a saved clock had it, when
// that is further than the current offset. It fires no timers: it is for
// a clock that no engine uses yet (the local stack restoring its data
// directory before it creates its engine).
func (c *AdjustableClock) RestoreOffset(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > c.offset {
		c.offset = d
	}
}

// set moves the offset so that Now is t (never backwards).
func (c *AdjustableClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if off := time.Until(t); off > c.offset {
		c.offset = off
	}
}

func (c *AdjustableClock) snapshot() []clockListener {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]clockListener(nil), c.listeners...)
}

func (c *AdjustableClock) attach(l clockListener) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listeners = append(c.listeners, l)
}

func (c *AdjustableClock) detach(l clockListener) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listeners = removeListener(c.listeners, l)
}

// timer is one pending wake-up in an engine's queue. It costs only this
// struct: no goroutine and no runtime timer.
type timer struct {
	at  time.Time
	seq uint64 // tie-breaker: timers due at the same instant fire in creation order
	idx int    // position in the heap, -1 once fired or cancelled
	fn  func()
}

// timerHeap is a min-heap of timers ordered by (at, seq).
type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx = i
	h[j].idx = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	t.idx = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	t.idx = -1
	*h = old[:n-1]
	return t
}

// timerQueue is the engine's queue of wake-ups.
type timerQueue struct {
	h   timerHeap
	seq uint64
}

func (q *timerQueue) add(at time.Time, fn func()) *timer {
	q.seq++
	t := &timer{at: at, seq: q.seq, fn: fn}
	heap.Push(&q.h, t)
	return t
}

// cancel removes t if it is still pending; cancelling nil or a fired timer is
// a no-op, so callers need not track whether it already fired.
func (q *timerQueue) cancel(t *timer) {
	if t == nil || t.idx < 0 {
		return
	}
	heap.Remove(&q.h, t.idx)
}

func (q *timerQueue) peek() (*timer, bool) {
	if len(q.h) == 0 {
		return nil, false
	}
	return q.h[0], true
}

// popDue removes and returns the earliest timer if it is due at now.
func (q *timerQueue) popDue(now time.Time) (*timer, bool) {
	t, ok := q.peek()
	if !ok || t.at.After(now) {
		return nil, false
	}
	heap.Pop(&q.h)
	return t, true
}
