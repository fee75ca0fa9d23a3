package main

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"refundflow/cmd/loadtest/walk"
)

// recorder keeps every call's latency and status by route.
type recorder struct {
	mu     sync.Mutex
	routes map[string]*routeStats
}

// routeStats are one route's calls.
type routeStats struct {
	latencies []time.Duration
	statuses  map[int]int
	errors    int
	first     time.Time
	last      time.Time
}

func newRecorder() *recorder { return &recorder{routes: map[string]*routeStats{}} }

// record implements walk.Client.Record.
func (r *recorder) record(c walk.Call) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.routes[c.Route]
	if s == nil {
		s = &routeStats{statuses: map[int]int{}, first: now.Add(-c.Latency)}
		r.routes[c.Route] = s
	}
	s.latencies = append(s.latencies, c.Latency)
	if c.Err != nil {
		s.errors++
	} else {
		s.statuses[c.Status]++
	}
	if start := now.Add(-c.Latency); start.Before(s.first) {
		s.first = start
	}
	if now.After(s.last) {
		s.last = now
	}
}

// fiveXX counts answers with a 5xx status, and transport errors.
func (r *recorder) fiveXX() (n int, detail map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	detail = map[string]int{}
	for route, s := range r.routes {
		for st, c := range s.statuses {
			if st >= 500 {
				n += c
				detail[fmt.Sprintf("%s %d", route, st)] += c
			}
		}
		if s.errors > 0 {
			n += s.errors
			detail[route+" transport error"] += s.errors
		}
	}
	return n, detail
}

// summary is one route's figures.
type summary struct {
	route         string
	n             int
	throughput    float64 // calls per second over the route's active span
	p50, p95, p99 time.Duration
	max           time.Duration
	statuses      map[int]int
}

func summarize(route string, lat []time.Duration, span time.Duration, statuses map[int]int) summary {
	s := summary{route: route, n: len(lat), statuses: statuses}
	if len(lat) == 0 {
		return s
	}
	sorted := append([]time.Duration(nil), lat...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	q := func(p float64) time.Duration {
		i := int(p*float64(len(sorted))+0.5) - 1
		return sorted[min(max(i, 0), len(sorted)-1)]
	}
	s.p50, s.p95, s.p99, s.max = q(0.50), q(0.95), q(0.99), sorted[len(sorted)-1]
	if span > 0 {
		s.throughput = float64(len(lat)) / span.Seconds()
	}
	return s
}

// summaries returns every route's figures in route order.
func (r *recorder) summaries() []summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []summary
	for route, s := range r.routes {
		out = append(out, summarize(route, s.latencies, s.last.Sub(s.first), s.statuses))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].route < out[j].route })
	return out
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// printTable prints the routes beside the bare handler: throughput and latency, and their ratio to the
// bare handler's.
func printTable(w io.Writer, bare summary, routes []summary) {
	fmt.Fprintf(w, "%-36s %7s %9s %8s %8s %8s %8s  %s\n", "route", "calls", "calls/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "p50 / bare p50, statuses")
	line := func(s summary, ratio string) {
		fmt.Fprintf(w, "%-36s %7d %9.0f %8s %8s %8s %8s  %s %v\n", s.route, s.n, s.throughput, ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max), ratio, s.statuses)
	}
	line(bare, "1.0x")
	for _, s := range routes {
		ratio := "-"
		if bare.p50 > 0 {
			ratio = fmt.Sprintf("%.1fx", float64(s.p50)/float64(bare.p50))
		}
		line(s, ratio)
	}
}
