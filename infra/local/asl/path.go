package asl

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Path is a parsed JSONPath as Step Functions accepts it. AWS evaluates paths
// with the Jayway JsonPath library, minus functions (length() ...), regular
// expression and lexical filter operators (=~, in, nin, subsetof ...) and
// references to other values inside filters; this type follows that subset.
//
// A definite path (names and indexes only) selects one value; an indefinite
// path (wildcards, deep scan, slices, unions, filters) selects a list and
// evaluates to an array of every match.
type Path struct {
	raw     string
	context bool // the path starts with "$$" and applies to the context object
	segs    []segment
}

type segKind int

const (
	segName     segKind = iota // .name or ['name']
	segNames                   // ['a','b']
	segIndex                   // [0] or [-1]
	segIndexes                 // [0,2]
	segWildcard                // .* or [*]
	segSlice                   // [start:end:step]
	segFilter                  // [?(...)]
	segMerge                   // ['a','b'] as the last segment: one object per node
)

type segment struct {
	kind    segKind
	deep    bool // preceded by ".." : applies at every level below
	names   []string
	indexes []int
	slice   [3]*int
	filter  filterExpr
}

// ParsePath parses a Path: a string starting with "$" (the state's input) or
// "$$" (the context object).
func ParsePath(s string) (*Path, error) {
	p := &Path{raw: s}
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("path %q must start with '$'", s)
	}
	rest := s[1:]
	if strings.HasPrefix(rest, "$") {
		p.context = true
		rest = rest[1:]
	}
	segs, err := parseSegments(rest, false)
	if err != nil {
		return nil, fmt.Errorf("invalid path %q: %w", s, err)
	}
	p.segs = segs
	return p, nil
}

// ParseReferencePath parses a Reference Path: a Path that can only identify a
// single node, written with dot and bracket notation (names and indexes).
func ParseReferencePath(s string) (*Path, error) {
	p, err := ParsePath(s)
	if err != nil {
		return nil, err
	}
	if !p.reference() {
		return nil, fmt.Errorf("invalid reference path %q: only dot and bracket notation selecting a single node is allowed", s)
	}
	return p, nil
}

// reference reports whether the path uses only names and indexes.
func (p *Path) reference() bool {
	for _, s := range p.segs {
		if s.deep || (s.kind != segName && s.kind != segIndex) {
			return false
		}
	}
	return true
}

// String returns the path as written.
func (p *Path) String() string { return p.raw }

// Context reports whether the path starts with "$$" (the context object).
func (p *Path) Context() bool { return p.context }

// Definite reports whether the path selects at most one node and so
// evaluates to that node rather than to an array of matches. As in Jayway
// JsonPath, a final multi-name segment like ['a','b'] is definite: it
// selects one object holding those members.
func (p *Path) Definite() bool {
	for i, s := range p.segs {
		switch {
		case s.deep:
			return false
		case s.kind == segName, s.kind == segIndex:
		case s.kind == segNames && i == len(p.segs)-1:
		default:
			return false
		}
	}
	return true
}

// Root reports whether the path is "$" or "$$" alone.
func (p *Path) Root() bool { return len(p.segs) == 0 }

// IsPath reports whether s is a syntactically valid Path.
func IsPath(s string) bool {
	_, err := ParsePath(s)
	return err == nil
}

// Get evaluates a path against a value. A definite path that selects nothing
// is a States.Runtime error, as in AWS; an indefinite path returns an array of
// its matches (possibly empty). A "$$" path is evaluated against v too, so
// pass the context object for those. The value returned shares structure
// with v; treat it as read-only.
func Get(v any, path string) (any, error) {
	p, err := cachedPath(path)
	if err != nil {
		return nil, errorf(ErrRuntime, "%v", err)
	}
	return p.Eval(v)
}

// Eval evaluates the path against root (the caller picks the input or the
// context object according to Context).
func (p *Path) Eval(root any) (any, error) {
	if p.Definite() {
		v, missing := p.lookup(root)
		if missing != "" {
			return nil, errorf(ErrRuntime, "The JSONPath '%s' could not be found in the input '%s'", p.raw, mustEncode(root))
		}
		return v, nil
	}
	nodes := []any{root}
	for i, s := range p.segs {
		if s.kind == segNames && i == len(p.segs)-1 {
			// Jayway merges the named members of each node into one object.
			s = segment{kind: segMerge, names: s.names, deep: s.deep}
		}
		var out []any
		for _, n := range nodes {
			if s.deep {
				walkDeep(n, func(d any) { out = selectAll(d, s, root, out) })
			} else {
				out = selectAll(n, s, root, out)
			}
		}
		nodes = out
	}
	if nodes == nil {
		nodes = []any{}
	}
	return nodes, nil
}

// lookup evaluates a definite path. When it selects nothing, missing is
// the reason in the words of the Jayway JsonPath library that Step Functions
// evaluates paths with, which AWS passes on in its errors (for example
// "Invalid path '$.a.b' : No results for path: $['a']['b']"): a member
// missing on the way is "Missing property in path $['a']", anything else
// that selects nothing — the last member missing, an index out of range —
// is "No results for path: " and the whole path in Jayway's bracket form.
// Jayway words a member or index applied to a value of the wrong type with
// the Java class of that value; those cases are reported as "No results"
// too.
func (p *Path) lookup(root any) (v any, missing string) {
	cur := root
	for i, s := range p.segs {
		if s.kind == segNames {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, "No results for path: " + p.normalized(len(p.segs))
			}
			return mergeNames(m, s.names), ""
		}
		next, ok := step(cur, s)
		if !ok {
			if m, isObj := cur.(map[string]any); isObj && s.kind == segName && i < len(p.segs)-1 {
				if _, has := m[s.names[0]]; !has {
					return nil, "Missing property in path " + p.normalized(i+1)
				}
			}
			return nil, "No results for path: " + p.normalized(len(p.segs))
		}
		cur = next
	}
	return cur, ""
}

// normalized renders the first n segments of a definite path the way Jayway
// prints paths in its messages: $['a']['b'][0], names in single quotes as
// written (a backslash stays a backslash), and ['a','b'] for several names.
func (p *Path) normalized(n int) string {
	var b strings.Builder
	b.WriteByte('$')
	for _, s := range p.segs[:n] {
		switch s.kind {
		case segName, segNames:
			b.WriteString("['")
			b.WriteString(strings.Join(s.names, "','"))
			b.WriteString("']")
		case segIndex:
			b.WriteString("[" + strconv.Itoa(s.indexes[0]) + "]")
		}
	}
	return b.String()
}

// step applies a definite segment (a name or an index).
func step(cur any, s segment) (any, bool) {
	switch s.kind {
	case segName:
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		v, ok := m[s.names[0]]
		return v, ok
	case segIndex:
		a, ok := cur.([]any)
		if !ok {
			return nil, false
		}
		i := s.indexes[0]
		if i < 0 {
			i += len(a)
		}
		if i < 0 || i >= len(a) {
			return nil, false
		}
		return a[i], true
	}
	return nil, false
}

// walkDeep calls f for n and every value below it, in document order (object
// members by sorted key, for determinism).
func walkDeep(n any, f func(any)) {
	f(n)
	switch t := n.(type) {
	case map[string]any:
		for _, k := range sortedKeys(t) {
			walkDeep(t[k], f)
		}
	case []any:
		for _, e := range t {
			walkDeep(e, f)
		}
	}
}

// selectAll appends to out what segment s selects from n.
func selectAll(n any, s segment, root any, out []any) []any {
	switch s.kind {
	case segName, segIndex:
		if v, ok := step(n, s); ok {
			out = append(out, v)
		}
	case segNames:
		m, ok := n.(map[string]any)
		if !ok {
			return out
		}
		for _, name := range s.names {
			if v, ok := m[name]; ok {
				out = append(out, v)
			}
		}
	case segMerge:
		if m, ok := n.(map[string]any); ok {
			out = append(out, mergeNames(m, s.names))
		}
	case segIndexes:
		a, ok := n.([]any)
		if !ok {
			return out
		}
		for _, i := range s.indexes {
			if i < 0 {
				i += len(a)
			}
			if i >= 0 && i < len(a) {
				out = append(out, a[i])
			}
		}
	case segWildcard:
		switch t := n.(type) {
		case map[string]any:
			for _, k := range sortedKeys(t) {
				out = append(out, t[k])
			}
		case []any:
			out = append(out, t...)
		}
	case segSlice:
		a, ok := n.([]any)
		if !ok {
			return out
		}
		for _, i := range sliceIndexes(len(a), s.slice) {
			out = append(out, a[i])
		}
	case segFilter:
		switch t := n.(type) {
		case []any:
			for _, e := range t {
				if s.filter.test(e) {
					out = append(out, e)
				}
			}
		case map[string]any:
			if s.filter.test(t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// mergeNames returns an object with the named members of m that exist.
func mergeNames(m map[string]any, names []string) map[string]any {
	out := make(map[string]any, len(names))
	for _, name := range names {
		if v, ok := m[name]; ok {
			out[name] = v
		}
	}
	return out
}

// sliceIndexes returns the indexes a [start:end:step] slice selects, with
// Python-style negative bounds.
func sliceIndexes(n int, sl [3]*int) []int {
	stepBy := 1
	if sl[2] != nil && *sl[2] != 0 {
		stepBy = *sl[2]
	}
	norm := func(p *int, def int) int {
		if p == nil {
			return def
		}
		i := *p
		if i < 0 {
			i += n
		}
		return min(max(i, 0), n)
	}
	var idx []int
	if stepBy > 0 {
		for i := norm(sl[0], 0); i < norm(sl[1], n); i += stepBy {
			idx = append(idx, i)
		}
		return idx
	}
	start := n - 1
	if sl[0] != nil {
		start = min(norm(sl[0], 0), n-1)
	}
	end := -1
	if sl[1] != nil {
		end = norm(sl[1], 0)
	}
	for i := start; i > end && i >= 0; i += stepBy {
		idx = append(idx, i)
	}
	return idx
}

// parseSegments parses the part of a path after "$" (or "@" in a filter).
func parseSegments(s string, inFilter bool) ([]segment, error) {
	var segs []segment
	for i := 0; i < len(s); {
		deep := false
		switch s[i] {
		case '.':
			if strings.HasPrefix(s[i:], "..") {
				deep = true
				i += 2
			} else {
				i++
			}
			if i < len(s) && s[i] == '[' {
				// "$.a.['b']" and "$..[0]": a bracket after the dot.
				seg, n, err := parseBracket(s[i:])
				if err != nil {
					return nil, err
				}
				seg.deep = deep
				segs = append(segs, seg)
				i += n
				continue
			}
			if i < len(s) && s[i] == '*' {
				segs = append(segs, segment{kind: segWildcard, deep: deep})
				i++
				continue
			}
			j := i
			for j < len(s) && isNameChar(s[j]) {
				j++
			}
			if j == i {
				if i >= len(s) {
					return nil, fmt.Errorf("path ends with '.'")
				}
				return nil, fmt.Errorf("unexpected %q after '.'", s[i])
			}
			name := s[i:j]
			if j < len(s) && s[j] == '(' {
				return nil, fmt.Errorf("functions such as %s() are not supported", name)
			}
			segs = append(segs, segment{kind: segName, names: []string{name}, deep: deep})
			i = j
		case '[':
			seg, n, err := parseBracket(s[i:])
			if err != nil {
				return nil, err
			}
			segs = append(segs, seg)
			i += n
		default:
			if inFilter {
				return segs, errStopSegments{at: i}
			}
			return nil, fmt.Errorf("unexpected %q", s[i])
		}
	}
	return segs, nil
}

// errStopSegments tells a filter parser where a relative path ends.
type errStopSegments struct{ at int }

func (e errStopSegments) Error() string { return "path ends at " + strconv.Itoa(e.at) }

// isNameChar reports whether c may appear in a dot-notation member name.
// Jayway accepts anything up to the next '.', '[', space or operator; AWS
// documents that names with punctuation other than '_' need brackets, so we
// accept letters, digits, '_', '-', '$' and any non-ASCII byte.
func isNameChar(c byte) bool {
	return c == '_' || c == '-' || c == '$' || c >= 0x80 ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// parseBracket parses a bracket segment starting at s[0] == '[' and returns
// the segment and the number of bytes consumed.
func parseBracket(s string) (segment, int, error) {
	if len(s) < 2 {
		return segment{}, 0, fmt.Errorf("unterminated '['")
	}
	body := s[1:]
	switch {
	case strings.HasPrefix(body, "?"):
		f, n, err := parseFilter(body[1:])
		if err != nil {
			return segment{}, 0, err
		}
		rest := body[1+n:]
		if !strings.HasPrefix(rest, "]") {
			return segment{}, 0, fmt.Errorf("filter must end with ']'")
		}
		return segment{kind: segFilter, filter: f}, 1 + 1 + n + 1, nil
	case strings.HasPrefix(body, "*]"):
		return segment{kind: segWildcard}, 3, nil
	case body[0] == '\'' || body[0] == '"':
		var names []string
		i := 0
		for {
			name, n, err := parseQuotedName(body[i:])
			if err != nil {
				return segment{}, 0, err
			}
			names = append(names, name)
			i += n
			for i < len(body) && body[i] == ' ' {
				i++
			}
			if i < len(body) && body[i] == ',' {
				i++
				for i < len(body) && body[i] == ' ' {
					i++
				}
				continue
			}
			if i < len(body) && body[i] == ']' {
				break
			}
			return segment{}, 0, fmt.Errorf("expected ']' after a quoted name")
		}
		if len(names) == 1 {
			return segment{kind: segName, names: names}, 1 + i + 1, nil
		}
		return segment{kind: segNames, names: names}, 1 + i + 1, nil
	}
	end := strings.IndexByte(body, ']')
	if end < 0 {
		return segment{}, 0, fmt.Errorf("unterminated '['")
	}
	inner := strings.TrimSpace(body[:end])
	consumed := 1 + end + 1
	if strings.Contains(inner, ":") {
		parts := strings.Split(inner, ":")
		if len(parts) > 3 {
			return segment{}, 0, fmt.Errorf("invalid slice [%s]", inner)
		}
		var sl [3]*int
		for k, part := range parts {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			n, err := strconv.Atoi(part)
			if err != nil {
				return segment{}, 0, fmt.Errorf("invalid slice [%s]", inner)
			}
			sl[k] = &n
		}
		return segment{kind: segSlice, slice: sl}, consumed, nil
	}
	var idx []int
	for _, part := range strings.Split(inner, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			return segment{}, 0, fmt.Errorf("invalid array index [%s]", inner)
		}
		idx = append(idx, n)
	}
	if len(idx) == 1 {
		return segment{kind: segIndex, indexes: idx}, consumed, nil
	}
	return segment{kind: segIndexes, indexes: idx}, consumed, nil
}

// parseQuotedName parses the quoted member name of a bracket segment ('...'
// or "...") and returns it and the bytes consumed including the quotes. As in
// the Jayway JsonPath that Step Functions runs, a backslash keeps the next
// character from ending the name, but it is not an escape: both stay part of
// the name, so $['Test\""Name"'] selects the key Test\""Name" and
// $['it\'s'] the key it\'s.
func parseQuotedName(s string) (string, int, error) {
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", 0, fmt.Errorf("expected a quoted name")
	}
	q := s[0]
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case q:
			return s[1:i], i + 1, nil
		}
	}
	return "", 0, fmt.Errorf("unterminated quoted name")
}

// parseQuotedLiteral parses a quoted string literal of a filter expression
// ('...' or "...") with backslash escapes, and returns it and the bytes
// consumed including the quotes.
func parseQuotedLiteral(s string) (string, int, error) {
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", 0, fmt.Errorf("expected a quoted string")
	}
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == q:
			return b.String(), i + 1, nil
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("unterminated quoted string")
}

// filterExpr is a parsed filter expression [?(...)].
type filterExpr interface {
	test(node any) bool
}

type filterOr struct{ l, r filterExpr }
type filterAnd struct{ l, r filterExpr }
type filterNot struct{ e filterExpr }
type filterExists struct{ rel []segment }
type filterCmp struct {
	op   string
	l, r operand
}

// operand is one side of a comparison: a relative path (@...) or a literal.
type operand struct {
	rel     []segment
	isPath  bool
	literal any
}

func (f filterOr) test(n any) bool  { return f.l.test(n) || f.r.test(n) }
func (f filterAnd) test(n any) bool { return f.l.test(n) && f.r.test(n) }
func (f filterNot) test(n any) bool { return !f.e.test(n) }

func (f filterExists) test(n any) bool {
	_, ok := evalRelative(n, f.rel)
	return ok
}

// evalRelative evaluates a definite relative path against a filter's node.
// AWS documents that '@' matches objects only, never scalars.
func evalRelative(n any, rel []segment) (any, bool) {
	if len(rel) > 0 {
		if _, ok := n.(map[string]any); !ok {
			return nil, false
		}
	} else if _, ok := n.(map[string]any); !ok {
		return nil, false
	}
	cur := n
	for _, s := range rel {
		next, ok := step(cur, s)
		if !ok {
			return nil, false
		}
		cur = next
	}
	return cur, true
}

func (o operand) value(n any) (any, bool) {
	if o.isPath {
		return evalRelative(n, o.rel)
	}
	return o.literal, true
}

func (f filterCmp) test(n any) bool {
	l, ok := f.l.value(n)
	if !ok {
		return false
	}
	r, ok := f.r.value(n)
	if !ok {
		return false
	}
	switch f.op {
	case "==":
		return Equal(l, r)
	case "!=":
		return !Equal(l, r)
	}
	var c int
	switch {
	case isNumber(l) && isNumber(r):
		var err error
		if c, err = compareNumbers(l, r); err != nil {
			return false
		}
	default:
		ls, ok1 := l.(string)
		rs, ok2 := r.(string)
		if !ok1 || !ok2 {
			return false
		}
		c = compareUTF16(ls, rs)
	}
	switch f.op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

// filterParser is a small recursive-descent parser for filter expressions.
type filterParser struct {
	s   string
	pos int
}

// parseFilter parses "(expr)" at the start of s and returns the bytes consumed.
func parseFilter(s string) (filterExpr, int, error) {
	p := &filterParser{s: s}
	p.space()
	if !p.eat("(") {
		return nil, 0, fmt.Errorf("filter must start with '?('")
	}
	e, err := p.or()
	if err != nil {
		return nil, 0, err
	}
	p.space()
	if !p.eat(")") {
		return nil, 0, fmt.Errorf("filter must end with ')' at %q", p.s[p.pos:])
	}
	p.space()
	return e, p.pos, nil
}

func (p *filterParser) space() {
	for p.pos < len(p.s) && p.s[p.pos] == ' ' {
		p.pos++
	}
}

func (p *filterParser) eat(tok string) bool {
	if strings.HasPrefix(p.s[p.pos:], tok) {
		p.pos += len(tok)
		return true
	}
	return false
}

func (p *filterParser) or() (filterExpr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for {
		p.space()
		if !p.eat("||") {
			return l, nil
		}
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = filterOr{l, r}
	}
}

func (p *filterParser) and() (filterExpr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		p.space()
		if !p.eat("&&") {
			return l, nil
		}
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = filterAnd{l, r}
	}
}

func (p *filterParser) unary() (filterExpr, error) {
	p.space()
	if p.eat("!") {
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return filterNot{e}, nil
	}
	if p.eat("(") {
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		p.space()
		if !p.eat(")") {
			return nil, fmt.Errorf("missing ')' in filter")
		}
		return e, nil
	}
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	p.space()
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">"} {
		if p.eat(op) {
			r, err := p.operand()
			if err != nil {
				return nil, err
			}
			return filterCmp{op: op, l: l, r: r}, nil
		}
	}
	rest := p.s[p.pos:]
	for _, op := range []string{"=~", "in ", "nin ", "subsetof", "anyof", "noneof", "size", "empty"} {
		if strings.HasPrefix(rest, op) {
			return nil, fmt.Errorf("filter operator %q is not supported", strings.TrimSpace(op))
		}
	}
	if !l.isPath {
		return nil, fmt.Errorf("a literal alone is not a filter condition")
	}
	return filterExists{rel: l.rel}, nil
}

func (p *filterParser) operand() (operand, error) {
	p.space()
	rest := p.s[p.pos:]
	switch {
	case strings.HasPrefix(rest, "@"):
		segs, err := parseSegments(rest[1:], true)
		n := len(rest) - 1
		if stop, ok := err.(errStopSegments); ok {
			n = stop.at
			err = nil
		}
		if err != nil {
			return operand{}, err
		}
		for _, s := range segs {
			if s.deep || (s.kind != segName && s.kind != segIndex) {
				return operand{}, fmt.Errorf("filter paths must select a single value")
			}
		}
		p.pos += 1 + n
		return operand{isPath: true, rel: segs}, nil
	case strings.HasPrefix(rest, "$"):
		return operand{}, fmt.Errorf("filters referencing other values of the input are not supported")
	case strings.HasPrefix(rest, "'") || strings.HasPrefix(rest, "\""):
		str, n, err := parseQuotedLiteral(rest)
		if err != nil {
			return operand{}, err
		}
		p.pos += n
		return operand{literal: str}, nil
	case strings.HasPrefix(rest, "true"):
		p.pos += 4
		return operand{literal: true}, nil
	case strings.HasPrefix(rest, "false"):
		p.pos += 5
		return operand{literal: false}, nil
	case strings.HasPrefix(rest, "null"):
		p.pos += 4
		return operand{literal: nil}, nil
	}
	j := 0
	for j < len(rest) && strings.IndexByte("+-0123456789.eE", rest[j]) >= 0 {
		j++
	}
	if j == 0 {
		return operand{}, fmt.Errorf("unexpected %q in filter", rest)
	}
	num := json.Number(rest[:j])
	if _, ok, err := numberRat(num); err != nil || (!ok && !validFloat(rest[:j])) {
		return operand{}, fmt.Errorf("invalid number %q in filter", rest[:j])
	}
	p.pos += j
	return operand{literal: num}, nil
}

// validFloat reports whether s parses as a float (for huge exponents).
func validFloat(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil || strings.Contains(err.Error(), "range")
}

// compareUTF16 compares strings by UTF-16 code units, as Java's
// String.compareTo does, so ordering matches AWS for characters outside the
// Basic Multilingual Plane.
func compareUTF16(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	for i := 0; i < len(ra) && i < len(rb); i++ {
		if ra[i] == rb[i] {
			continue
		}
		ua, ub := utf16Key(ra[i]), utf16Key(rb[i])
		if ua == ub {
			// Two supplementary characters: their UTF-16 order is code point order.
			ua, ub = ra[i], rb[i]
		}
		if ua < ub {
			return -1
		}
		return 1
	}
	switch {
	case len(ra) < len(rb):
		return -1
	case len(ra) > len(rb):
		return 1
	}
	return 0
}

// utf16Key maps a rune to its first UTF-16 code unit, which decides Java's
// ordering between two different code points.
func utf16Key(r rune) rune {
	if r >= 0x10000 {
		return 0xD800 + ((r - 0x10000) >> 10)
	}
	return r
}
