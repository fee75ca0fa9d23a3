package asl

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"unicode/utf8"
)

// Limits AWS documents for intrinsic functions.
const (
	maxIntrinsicNesting = 10    // nested intrinsic calls within one field
	maxArrayRangeItems  = 1000  // States.ArrayRange result size
	maxEncodeChars      = 10000 // States.Base64Encode/Decode and States.Hash input
)

// call is a parsed intrinsic function invocation.
type call struct {
	name string // without the "States." prefix
	args []arg
	src  string
}

type argKind int

const (
	argString argKind = iota
	argNumber
	argBool
	argNull
	argPath
	argCall
)

// arg is one argument of an intrinsic call.
type arg struct {
	kind argKind
	str  string // unescaped string literal
	raw  string // string literal as written between the quotes (escapes kept)
	bad  string // an invalid escape in the literal: a runtime error, per AWS
	num  json.Number
	b    bool
	path *Path
	call *call
}

// intrinsicArity gives each function's minimum and maximum argument count
// (-1: unbounded).
var intrinsicArity = map[string][2]int{
	"Format":         {1, -1},
	"StringToJson":   {1, 1},
	"JsonToString":   {1, 1},
	"Array":          {0, -1},
	"ArrayPartition": {2, 2},
	"ArrayContains":  {2, 2},
	"ArrayRange":     {3, 3},
	"ArrayGetItem":   {2, 2},
	"ArrayLength":    {1, 1},
	"ArrayUnique":    {1, 1},
	"Base64Encode":   {1, 1},
	"Base64Decode":   {1, 1},
	"Hash":           {2, 2},
	"JsonMerge":      {3, 3},
	"MathRandom":     {2, 3},
	"MathAdd":        {2, 2},
	"StringSplit":    {2, 2},
	"UUID":           {0, 0},
}

// hashAlgorithms are the algorithms States.Hash accepts.
var hashAlgorithms = map[string]func() hash.Hash{
	"MD5":     md5.New,
	"SHA-1":   sha1.New,
	"SHA-256": sha256.New,
	"SHA-384": sha512.New384,
	"SHA-512": sha512.New,
}

// IsIntrinsic reports whether s is a syntactically valid intrinsic function
// call with a known function and a valid argument count.
func IsIntrinsic(s string) bool {
	_, err := parseIntrinsic(s)
	return err == nil
}

// parseIntrinsic parses "States.Name(arg, ...)" completely.
func parseIntrinsic(s string) (*call, error) {
	ip := &intrinsicParser{s: s}
	c, err := ip.call(1)
	if err != nil {
		return nil, fmt.Errorf("invalid intrinsic function call %q: %w", s, err)
	}
	ip.space()
	if ip.pos != len(s) {
		return nil, fmt.Errorf("invalid intrinsic function call %q: unexpected %q after the call", s, s[ip.pos:])
	}
	return c, nil
}

type intrinsicParser struct {
	s   string
	pos int
}

func (ip *intrinsicParser) space() {
	for ip.pos < len(ip.s) && (ip.s[ip.pos] == ' ' || ip.s[ip.pos] == '\t' || ip.s[ip.pos] == '\n') {
		ip.pos++
	}
}

func (ip *intrinsicParser) call(depth int) (*call, error) {
	if depth > maxIntrinsicNesting {
		return nil, fmt.Errorf("more than %d nested intrinsic functions", maxIntrinsicNesting)
	}
	start := ip.pos
	if !strings.HasPrefix(ip.s[ip.pos:], "States.") {
		return nil, fmt.Errorf("expected a States.* function at %d", ip.pos)
	}
	ip.pos += len("States.")
	j := ip.pos
	for j < len(ip.s) && (isLetter(ip.s[j]) || (j > ip.pos && ip.s[j] >= '0' && ip.s[j] <= '9')) {
		j++
	}
	name := ip.s[ip.pos:j]
	ip.pos = j
	arity, known := intrinsicArity[name]
	if !known {
		return nil, fmt.Errorf("unknown intrinsic function States.%s", name)
	}
	ip.space()
	if ip.pos >= len(ip.s) || ip.s[ip.pos] != '(' {
		return nil, fmt.Errorf("expected '(' after States.%s", name)
	}
	ip.pos++
	c := &call{name: name}
	ip.space()
	if ip.pos < len(ip.s) && ip.s[ip.pos] == ')' {
		ip.pos++
	} else {
		for {
			ip.space()
			a, err := ip.arg(depth)
			if err != nil {
				return nil, err
			}
			c.args = append(c.args, a)
			ip.space()
			if ip.pos >= len(ip.s) {
				return nil, fmt.Errorf("missing ')' for States.%s", name)
			}
			if ip.s[ip.pos] == ',' {
				ip.pos++
				continue
			}
			if ip.s[ip.pos] == ')' {
				ip.pos++
				break
			}
			return nil, fmt.Errorf("unexpected %q in the arguments of States.%s", ip.s[ip.pos], name)
		}
	}
	c.src = ip.s[start:ip.pos]
	if n := len(c.args); n < arity[0] || (arity[1] >= 0 && n > arity[1]) {
		//lint:ignore ST1005 begins with the intrinsic's case-sensitive name (States.ArrayGetItem), like the other States.* messages here
		return nil, fmt.Errorf("States.%s takes %s, got %d", name, arityText(arity), n)
	}
	if err := checkLiteralArgs(c); err != nil {
		return nil, err
	}
	return c, nil
}

func arityText(a [2]int) string {
	switch {
	case a[1] < 0:
		return fmt.Sprintf("at least %d arguments", a[0])
	case a[0] == a[1]:
		return fmt.Sprintf("%d arguments", a[0])
	}
	return fmt.Sprintf("%d to %d arguments", a[0], a[1])
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func (ip *intrinsicParser) arg(depth int) (arg, error) {
	rest := ip.s[ip.pos:]
	switch {
	case strings.HasPrefix(rest, "'"):
		return ip.stringLiteral()
	case strings.HasPrefix(rest, "States."):
		c, err := ip.call(depth + 1)
		if err != nil {
			return arg{}, err
		}
		return arg{kind: argCall, call: c}, nil
	case strings.HasPrefix(rest, "$"):
		// A path runs to the next ',' or ')' outside brackets and quotes.
		j, depthB := 0, 0
		var quote byte
	scan:
		for ; j < len(rest); j++ {
			c := rest[j]
			switch {
			case quote != 0:
				if c == '\\' {
					j++
				} else if c == quote {
					quote = 0
				}
			case c == '\'' || c == '"':
				quote = c
			case c == '[':
				depthB++
			case c == ']':
				depthB--
			case (c == ',' || c == ')') && depthB == 0:
				break scan
			}
		}
		text := strings.TrimRight(rest[:j], " ")
		p, err := ParsePath(text)
		if err != nil {
			return arg{}, err
		}
		ip.pos += j
		return arg{kind: argPath, path: p}, nil
	case strings.HasPrefix(rest, "true"):
		ip.pos += 4
		return arg{kind: argBool, b: true}, nil
	case strings.HasPrefix(rest, "false"):
		ip.pos += 5
		return arg{kind: argBool, b: false}, nil
	case strings.HasPrefix(rest, "null"):
		ip.pos += 4
		return arg{kind: argNull}, nil
	}
	j := 0
	for j < len(rest) && strings.IndexByte("+-0123456789.eE", rest[j]) >= 0 {
		j++
	}
	if j == 0 {
		return arg{}, fmt.Errorf("unexpected %q in intrinsic arguments", rest)
	}
	var f float64
	if err := json.Unmarshal([]byte(rest[:j]), &f); err != nil && !strings.Contains(err.Error(), "range") {
		return arg{}, fmt.Errorf("invalid number %q", rest[:j])
	}
	ip.pos += j
	return arg{kind: argNumber, num: json.Number(rest[:j])}, nil
}

// stringLiteral parses '...' where \' \{ \} and \\ are escapes. Any other
// backslash is an "open escape", which AWS reports when the call runs.
func (ip *intrinsicParser) stringLiteral() (arg, error) {
	ip.pos++ // opening quote
	start := ip.pos
	var b strings.Builder
	a := arg{kind: argString}
	for ip.pos < len(ip.s) {
		c := ip.s[ip.pos]
		switch c {
		case '\\':
			if ip.pos+1 >= len(ip.s) {
				return arg{}, fmt.Errorf("unterminated string literal")
			}
			e := ip.s[ip.pos+1]
			switch e {
			case '\'', '{', '}', '\\':
				b.WriteByte(e)
			default:
				if a.bad == "" {
					a.bad = fmt.Sprintf("open escape backslash '\\%c' in the string literal", e)
				}
				b.WriteByte(e)
			}
			ip.pos += 2
		case '\'':
			a.raw = ip.s[start:ip.pos]
			a.str = b.String()
			ip.pos++
			return a, nil
		default:
			b.WriteByte(c)
			ip.pos++
		}
	}
	return arg{}, fmt.Errorf("unterminated string literal")
}

// checkLiteralArgs rejects calls whose literal arguments can never be valid,
// so that a definition fails at creation rather than at run time.
func checkLiteralArgs(c *call) error {
	lit := func(i int) (arg, bool) {
		if i < len(c.args) && c.args[i].kind != argPath && c.args[i].kind != argCall {
			return c.args[i], true
		}
		return arg{}, false
	}
	switch c.name {
	case "Format":
		if a, ok := lit(0); ok {
			if a.kind != argString {
				return fmt.Errorf("the first argument of States.Format must be a string")
			}
			if a.bad == "" {
				n, err := countPlaceholders(a.raw)
				if err != nil {
					return err
				}
				if n != len(c.args)-1 {
					return fmt.Errorf("States.Format has %d placeholders {} but %d values", n, len(c.args)-1)
				}
			}
		}
	case "JsonMerge":
		if a, ok := lit(2); ok && (a.kind != argBool || a.b) {
			return fmt.Errorf("the third argument of States.JsonMerge must be false: deep merge is not supported")
		}
	case "Hash":
		if a, ok := lit(1); ok {
			if _, known := hashAlgorithms[a.str]; a.kind != argString || !known {
				return fmt.Errorf("States.Hash algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512")
			}
		}
	}
	return nil
}

// countPlaceholders counts the {} in a States.Format template as written in a
// string literal, where \{ and \} are literal braces.
func countPlaceholders(raw string) (int, error) {
	n := 0
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '\\':
			i++
		case '{':
			if i+1 < len(raw) && raw[i+1] == '}' {
				n++
				i++
			} else {
				return 0, fmt.Errorf("unescaped '{' in the States.Format template")
			}
		case '}':
			return 0, fmt.Errorf("unescaped '}' in the States.Format template")
		}
	}
	return n, nil
}

// fail builds the error an intrinsic reports for invalid arguments.
func (c *call) fail(format string, args ...any) error {
	return errorf(ErrIntrinsicFailure, "Invalid arguments in States.%s: %s (in %s)", c.name, fmt.Sprintf(format, args...), c.src)
}

// call evaluates an intrinsic function call.
func (ev *evaluator) call(c *call) (any, error) {
	vals := make([]any, len(c.args))
	for i, a := range c.args {
		switch a.kind {
		case argString:
			if a.bad != "" {
				return nil, errorf(ErrRuntime, "States.%s: %s (in %s)", c.name, a.bad, c.src)
			}
			vals[i] = a.str
		case argNumber:
			vals[i] = a.num
		case argBool:
			vals[i] = a.b
		case argNull:
			vals[i] = nil
		case argPath:
			v, err := ev.eval(a.path, a.path.String())
			if err != nil {
				return nil, err
			}
			vals[i] = v
		case argCall:
			v, err := ev.call(a.call)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
	}
	switch c.name {
	case "Format":
		return c.format(vals)
	case "StringToJson":
		s, ok := vals[0].(string)
		if !ok {
			return nil, c.fail("the argument must be a string, got %s", typeName(vals[0]))
		}
		if strings.Trim(s, " \t\r\n") == "" {
			// An empty or blank string holds no JSON value: AWS answers
			// null, as Jackson reads no content.
			return nil, nil
		}
		v, err := Decode([]byte(s))
		if err != nil {
			return nil, c.fail("the string is not valid JSON: %v", err)
		}
		return v, nil
	case "JsonToString":
		b, err := Encode(vals[0])
		if err != nil {
			return nil, c.fail("%v", err)
		}
		return string(b), nil
	case "Array":
		return vals, nil
	case "ArrayPartition":
		arr, ok := vals[0].([]any)
		if !ok {
			return nil, c.fail("the first argument must be an array, got %s", typeName(vals[0]))
		}
		size, ok := intArg(vals[1])
		if !ok || size <= 0 {
			return nil, c.fail("the chunk size must be a positive integer, got %s", mustEncode(vals[1]))
		}
		out := []any{}
		for i := 0; i < len(arr); i += int(min(size, int64(len(arr)))) {
			end := min(i+int(min(size, int64(len(arr)))), len(arr))
			out = append(out, append([]any{}, arr[i:end]...))
		}
		return out, nil
	case "ArrayContains":
		arr, ok := vals[0].([]any)
		if !ok {
			return nil, c.fail("the first argument must be an array, got %s", typeName(vals[0]))
		}
		for _, e := range arr {
			if Equal(e, vals[1]) {
				return true, nil
			}
		}
		return false, nil
	case "ArrayRange":
		var n [3]int64
		for i := range n {
			v, ok := intArg(vals[i])
			if !ok {
				return nil, c.fail("argument %d must be an integer, got %s", i+1, mustEncode(vals[i]))
			}
			n[i] = v
		}
		if n[2] == 0 {
			return nil, c.fail("the step must not be 0")
		}
		count := int64(0)
		if (n[2] > 0 && n[0] <= n[1]) || (n[2] < 0 && n[0] >= n[1]) {
			count = (n[1]-n[0])/n[2] + 1
		}
		if count > maxArrayRangeItems {
			return nil, c.fail("the range would have %d items; the limit is %d", count, maxArrayRangeItems)
		}
		out := make([]any, 0, count)
		for i := int64(0); i < count; i++ {
			out = append(out, json.Number(fmt.Sprint(n[0]+i*n[2])))
		}
		return out, nil
	case "ArrayGetItem":
		arr, ok := vals[0].([]any)
		if !ok {
			return nil, c.fail("the first argument must be an array, got %s", typeName(vals[0]))
		}
		idx, ok := intArg(vals[1])
		if !ok || idx < 0 {
			return nil, c.fail("the index must be a non-negative integer, got %s", mustEncode(vals[1]))
		}
		if idx >= int64(len(arr)) {
			return nil, c.fail("the index %d is out of bounds for an array of %d items", idx, len(arr))
		}
		return arr[idx], nil
	case "ArrayLength":
		arr, ok := vals[0].([]any)
		if !ok {
			return nil, c.fail("the argument must be an array, got %s", typeName(vals[0]))
		}
		return json.Number(fmt.Sprint(len(arr))), nil
	case "ArrayUnique":
		arr, ok := vals[0].([]any)
		if !ok {
			return nil, c.fail("the argument must be an array, got %s", typeName(vals[0]))
		}
		out := []any{}
	next:
		for _, e := range arr {
			for _, seen := range out {
				if Equal(seen, e) {
					continue next
				}
			}
			out = append(out, e)
		}
		return out, nil
	case "Base64Encode":
		s, ok := vals[0].(string)
		if !ok {
			return nil, c.fail("the argument must be a string, got %s", typeName(vals[0]))
		}
		if utf8.RuneCountInString(s) > maxEncodeChars {
			return nil, c.fail("the input is longer than %d characters", maxEncodeChars)
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "Base64Decode":
		s, ok := vals[0].(string)
		if !ok {
			return nil, c.fail("the argument must be a string, got %s", typeName(vals[0]))
		}
		if utf8.RuneCountInString(s) > maxEncodeChars {
			return nil, c.fail("the input is longer than %d characters", maxEncodeChars)
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, c.fail("the input is not valid base64: %v", err)
		}
		return string(b), nil
	case "Hash":
		s, ok := vals[0].(string)
		if !ok {
			return nil, c.fail("the data must be a string, got %s", typeName(vals[0]))
		}
		if utf8.RuneCountInString(s) > maxEncodeChars {
			return nil, c.fail("the data is longer than %d characters", maxEncodeChars)
		}
		alg, _ := vals[1].(string)
		newHash, ok := hashAlgorithms[alg]
		if !ok {
			return nil, c.fail("the algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512, got %s", mustEncode(vals[1]))
		}
		h := newHash()
		h.Write([]byte(s))
		return hex.EncodeToString(h.Sum(nil)), nil
	case "JsonMerge":
		a, ok1 := vals[0].(map[string]any)
		b, ok2 := vals[1].(map[string]any)
		if !ok1 || !ok2 {
			return nil, c.fail("the first two arguments must be objects, got %s and %s", typeName(vals[0]), typeName(vals[1]))
		}
		if deep, ok := vals[2].(bool); !ok || deep {
			return nil, c.fail("the third argument must be false: deep merge is not supported")
		}
		out := make(map[string]any, len(a)+len(b))
		for k, v := range a {
			out[k] = v
		}
		for k, v := range b {
			out[k] = v
		}
		return out, nil
	case "MathRandom":
		start, ok1 := intArg(vals[0])
		end, ok2 := intArg(vals[1])
		if !ok1 || !ok2 {
			return nil, c.fail("the start and end must be integers, got %s and %s", mustEncode(vals[0]), mustEncode(vals[1]))
		}
		if start >= end {
			return nil, c.fail("the start %d must be smaller than the end %d", start, end)
		}
		r := ev.env.random()
		if len(vals) == 3 {
			seed, ok := intArg(vals[2])
			if !ok {
				return nil, c.fail("the seed must be an integer, got %s", mustEncode(vals[2]))
			}
			r = rand.New(rand.NewPCG(uint64(seed), 0x5eed)).Float64()
		}
		// Both bounds are inclusive, as in AWS's documented example range.
		span := float64(end - start + 1)
		v := start + int64(math.Floor(r*span))
		return json.Number(fmt.Sprint(min(v, end))), nil
	case "MathAdd":
		var n [2]int64
		for i := range n {
			v, ok := intArg(vals[i])
			if !ok || v < math.MinInt32 || v > math.MaxInt32 {
				return nil, c.fail("argument %d must be an integer from -2147483648 to 2147483647, got %s", i+1, mustEncode(vals[i]))
			}
			n[i] = v
		}
		return json.Number(fmt.Sprint(n[0] + n[1])), nil
	case "StringSplit":
		s, ok1 := vals[0].(string)
		d, ok2 := vals[1].(string)
		if !ok1 || !ok2 {
			return nil, c.fail("both arguments must be strings, got %s and %s", typeName(vals[0]), typeName(vals[1]))
		}
		parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(d, r) })
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return out, nil
	case "UUID":
		return ev.env.uuid(), nil
	}
	return nil, errorf(ErrIntrinsicFailure, "unknown intrinsic function States.%s", c.name)
}

// format implements States.Format: each {} in the template takes the next
// value; \{ \} \' and \\ in a literal template are literal characters.
func (c *call) format(vals []any) (any, error) {
	var tmpl string
	var literal bool
	if c.args[0].kind == argString {
		tmpl, literal = c.args[0].raw, true
	} else {
		s, ok := vals[0].(string)
		if !ok {
			return nil, c.fail("the template must be a string, got %s", typeName(vals[0]))
		}
		tmpl = s
	}
	var b strings.Builder
	next := 1
	for i := 0; i < len(tmpl); i++ {
		ch := tmpl[i]
		switch {
		case literal && ch == '\\' && i+1 < len(tmpl):
			i++
			b.WriteByte(tmpl[i])
		case ch == '{' && i+1 < len(tmpl) && tmpl[i+1] == '}':
			if next >= len(vals) {
				return nil, c.fail("the template has more {} placeholders than values")
			}
			s, err := formatValue(vals[next])
			if err != nil {
				return nil, c.fail("%v", err)
			}
			b.WriteString(s)
			next++
			i++
		default:
			b.WriteByte(ch)
		}
	}
	if next != len(vals) {
		return nil, c.fail("the template has %d {} placeholders but %d values were given", next-1, len(vals)-1)
	}
	return b.String(), nil
}

// formatValue renders a value for States.Format: strings as they are,
// numbers, booleans and null as their JSON text, objects and arrays in Java's
// toString style.
func formatValue(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case nil:
		return "null", nil
	case bool:
		return fmt.Sprint(t), nil
	case map[string]any:
		// Step Functions renders objects and arrays the way Java's
		// Map.toString and List.toString do: {a=1, b=[x, y]}.
		parts := make([]string, 0, len(t))
		for _, k := range sortedKeys(t) {
			s, err := formatValue(t[k])
			if err != nil {
				return "", err
			}
			parts = append(parts, k+"="+s)
		}
		return "{" + strings.Join(parts, ", ") + "}", nil
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			s, err := formatValue(e)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	}
	if isNumber(v) {
		return numberString(v), nil
	}
	return "", fmt.Errorf("cannot format a %T", v)
}

// intArg reads an integer argument the way Step Functions does: integral
// numbers as they are, other numbers rounded to the nearest integer with
// halves rounded up (Java's Math.round). ok is false for non-numbers and
// values outside int64.
func intArg(v any) (int64, bool) {
	if !isNumber(v) {
		return 0, false
	}
	r, exact, err := numberRat(v)
	if err != nil || !exact {
		return 0, false
	}
	if !r.IsInt() {
		r = new(big.Rat).Add(r, big.NewRat(1, 2))
		q := new(big.Int).Div(r.Num(), r.Denom()) // Euclidean: floor for a positive denominator
		r = new(big.Rat).SetInt(q)
	}
	if !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}
