package gateway

import (
	"fmt"
	"net/url"
	"strings"
)

// segment is one compiled path segment.
type segment struct {
	literal string // for literal segments
	param   string // parameter name for {param} and {greedy+}
	greedy  bool
}

type compiledRoute struct {
	Route
	any      bool // method ANY
	catchAll bool // $default
	segs     []segment
}

// Route classes, most specific first, as HTTP API selects them.
const (
	classExact = iota
	classParam
	classGreedy
	classDefault
)

func compileRoute(r Route) (*compiledRoute, error) {
	if r.Handler == nil {
		return nil, fmt.Errorf("no handler")
	}
	cr := &compiledRoute{Route: r}
	if r.Path == "$default" {
		cr.catchAll = true
		cr.Method = ""
		return cr, nil
	}
	cr.Method = strings.ToUpper(r.Method)
	switch cr.Method {
	case "ANY":
		cr.any = true
	case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS":
	default:
		return nil, fmt.Errorf("method %q is not an HTTP API method", r.Method)
	}
	if !strings.HasPrefix(r.Path, "/") {
		return nil, fmt.Errorf("path %q must start with / or be $default", r.Path)
	}
	if r.Path == "/" {
		return cr, nil
	}
	parts := strings.Split(r.Path[1:], "/")
	seen := map[string]bool{}
	for i, p := range parts {
		if !strings.ContainsAny(p, "{}") {
			if p == "" {
				return nil, fmt.Errorf("path %q has an empty segment", r.Path)
			}
			cr.segs = append(cr.segs, segment{literal: p})
			continue
		}
		if !strings.HasPrefix(p, "{") || !strings.HasSuffix(p, "}") || len(p) < 3 {
			return nil, fmt.Errorf("path %q: a parameter must be a whole segment {name}", r.Path)
		}
		name := p[1 : len(p)-1]
		s := segment{param: name}
		if n, ok := strings.CutSuffix(name, "+"); ok {
			if i != len(parts)-1 {
				return nil, fmt.Errorf("path %q: greedy {%s} must be the last segment", r.Path, name)
			}
			s = segment{param: n, greedy: true}
		}
		if s.param == "" || seen[s.param] {
			return nil, fmt.Errorf("path %q: parameter names must be non-empty and unique", r.Path)
		}
		seen[s.param] = true
		cr.segs = append(cr.segs, s)
	}
	return cr, nil
}

func (cr *compiledRoute) class() int {
	if cr.catchAll {
		return classDefault
	}
	c := classExact
	for _, s := range cr.segs {
		switch {
		case s.greedy:
			return classGreedy
		case s.param != "":
			c = classParam
		}
	}
	return c
}

// matchPath matches an escaped request path; parameter values are
// URL-decoded, a greedy parameter takes the rest of the path (at least one
// character, as API Gateway requires).
func (cr *compiledRoute) matchPath(escaped string) (map[string]string, bool) {
	if cr.catchAll {
		return nil, true
	}
	if !strings.HasPrefix(escaped, "/") {
		return nil, false
	}
	rest := escaped[1:]
	if len(cr.segs) == 0 {
		return nil, rest == ""
	}
	params := map[string]string{}
	for i, s := range cr.segs {
		if s.greedy {
			if rest == "" {
				return nil, false
			}
			params[s.param] = unescape(rest)
			return params, true
		}
		seg, after, found := strings.Cut(rest, "/")
		last := i == len(cr.segs)-1
		if found == last || seg == "" {
			// Too many segments, too few, or an empty one.
			return nil, false
		}
		if s.param != "" {
			params[s.param] = unescape(seg)
		} else if unescape(seg) != s.literal {
			return nil, false
		}
		rest = after
	}
	if len(params) == 0 {
		params = nil
	}
	return params, true
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// moreSpecific reports whether a should win over b when both match: the
// more specific class first (exact, {param}, {greedy+}, $default), then
// literal segments before parameters from left to right, then a longer
// route, then a method-specific route over ANY.
func moreSpecific(a, b *compiledRoute) bool {
	if ca, cb := a.class(), b.class(); ca != cb {
		return ca < cb
	}
	for i := 0; i < len(a.segs) && i < len(b.segs); i++ {
		la, lb := a.segs[i].param == "", b.segs[i].param == ""
		if la != lb {
			return la
		}
	}
	if len(a.segs) != len(b.segs) {
		return len(a.segs) > len(b.segs)
	}
	return !a.any && b.any
}

// match selects the route for a request, or nil.
func (g *Gateway) match(method, escapedPath string) (*compiledRoute, map[string]string) {
	var best *compiledRoute
	var bestParams map[string]string
	for _, cr := range g.routes {
		if !cr.catchAll && !cr.any && cr.Method != method {
			continue
		}
		params, ok := cr.matchPath(escapedPath)
		if !ok {
			continue
		}
		if best == nil || moreSpecific(cr, best) {
			best, bestParams = cr, params
		}
	}
	return best, bestParams
}
