package asl

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// operandKind says what literal a comparison operator takes.
type operandKind int

const (
	operandString operandKind = iota
	operandNumber
	operandBool
	operandTimestamp
	operandPath      // the *Path variants: a reference path
	operandTypeCheck // Is*: a boolean
)

// choiceOperators maps every comparison operator to its operand kind.
var choiceOperators = map[string]operandKind{
	"StringEquals":                   operandString,
	"StringLessThan":                 operandString,
	"StringGreaterThan":              operandString,
	"StringLessThanEquals":           operandString,
	"StringGreaterThanEquals":        operandString,
	"StringMatches":                  operandString,
	"StringEqualsPath":               operandPath,
	"StringLessThanPath":             operandPath,
	"StringGreaterThanPath":          operandPath,
	"StringLessThanEqualsPath":       operandPath,
	"StringGreaterThanEqualsPath":    operandPath,
	"NumericEquals":                  operandNumber,
	"NumericLessThan":                operandNumber,
	"NumericGreaterThan":             operandNumber,
	"NumericLessThanEquals":          operandNumber,
	"NumericGreaterThanEquals":       operandNumber,
	"NumericEqualsPath":              operandPath,
	"NumericLessThanPath":            operandPath,
	"NumericGreaterThanPath":         operandPath,
	"NumericLessThanEqualsPath":      operandPath,
	"NumericGreaterThanEqualsPath":   operandPath,
	"BooleanEquals":                  operandBool,
	"BooleanEqualsPath":              operandPath,
	"TimestampEquals":                operandTimestamp,
	"TimestampLessThan":              operandTimestamp,
	"TimestampGreaterThan":           operandTimestamp,
	"TimestampLessThanEquals":        operandTimestamp,
	"TimestampGreaterThanEquals":     operandTimestamp,
	"TimestampEqualsPath":            operandPath,
	"TimestampLessThanPath":          operandPath,
	"TimestampGreaterThanPath":       operandPath,
	"TimestampLessThanEqualsPath":    operandPath,
	"TimestampGreaterThanEqualsPath": operandPath,
	"IsNull":                         operandTypeCheck,
	"IsPresent":                      operandTypeCheck,
	"IsNumeric":                      operandTypeCheck,
	"IsString":                       operandTypeCheck,
	"IsBoolean":                      operandTypeCheck,
	"IsTimestamp":                    operandTypeCheck,
}

// choiceRule parses a Choice rule; top is true for the entries of Choices
// (which need Next) and false for nested conditions (which must not have it).
func (p *parser) choiceRule(v any, at string, top bool) *ChoiceRule {
	obj, ok := v.(map[string]any)
	if !ok {
		p.schema(at, "A choice rule must be an object")
		return nil
	}
	r := &ChoiceRule{}
	r.Comment = p.optString(obj, "Comment", at)
	if top {
		r.Next = p.reqString(obj, "Next", at)
	} else if _, ok := obj["Next"]; ok {
		p.schema(at+"/Next", "Nested choice rules must not have Next")
	}
	var ops []string
	for _, k := range sortedKeys(obj) {
		switch k {
		case "Comment", "Next", "Variable":
		case "And", "Or", "Not":
			ops = append(ops, k)
		default:
			if _, ok := choiceOperators[k]; ok {
				ops = append(ops, k)
			} else if msg, ok := unsupportedFields[k]; ok {
				p.schema(at+"/"+escapePointer(k), "Field '%s' %s", k, msg)
			} else {
				p.schema(at+"/"+escapePointer(k), "Field '%s' is not supported by a choice rule", k)
			}
		}
	}
	if len(ops) != 1 {
		p.schema(at, "A choice rule must have exactly one comparison operator or And, Or, Not (found %d)", len(ops))
		return r
	}
	op := ops[0]
	switch op {
	case "And", "Or":
		arr, ok := obj[op].([]any)
		if !ok || len(arr) == 0 {
			p.schema(at+"/"+op, "%s must be a non-empty array of choice rules", op)
			return r
		}
		var subs []*ChoiceRule
		for i, e := range arr {
			if s := p.choiceRule(e, fmt.Sprintf("%s/%s/%d", at, op, i), false); s != nil {
				subs = append(subs, s)
			}
		}
		if op == "And" {
			r.And = subs
		} else {
			r.Or = subs
		}
		if _, ok := obj["Variable"]; ok {
			p.schema(at+"/Variable", "Variable is not allowed with %s", op)
		}
		return r
	case "Not":
		r.Not = p.choiceRule(obj[op], at+"/Not", false)
		if _, ok := obj["Variable"]; ok {
			p.schema(at+"/Variable", "Variable is not allowed with Not")
		}
		return r
	}
	r.Operator = op
	r.Value = obj[op]
	vs, ok := obj["Variable"]
	if !ok {
		p.schema(at, "These fields are required: [Variable]")
	} else if s, isStr := vs.(string); !isStr {
		p.schema(at+"/Variable", "Variable must be a path string")
	} else if path, err := ParsePath(s); err != nil {
		p.schema(at+"/Variable", "The value for the field 'Variable' must be a valid JSONPath: %s", s)
	} else {
		r.Variable, r.variable = s, path
	}
	oat := at + "/" + op
	switch choiceOperators[op] {
	case operandString:
		if _, ok := r.Value.(string); !ok {
			p.schema(oat, "%s must be a string", op)
		}
	case operandNumber:
		if !isNumber(r.Value) {
			p.schema(oat, "%s must be a number", op)
		}
	case operandBool, operandTypeCheck:
		if _, ok := r.Value.(bool); !ok {
			p.schema(oat, "%s must be a boolean", op)
		}
	case operandTimestamp:
		s, _ := r.Value.(string)
		if _, err := ParseTimestamp(s); err != nil {
			p.schema(oat, "%s must be a valid timestamp: %s", op, mustEncode(r.Value))
		}
	case operandPath:
		s, isStr := r.Value.(string)
		path, err := ParsePath(s)
		if !isStr || err != nil || !path.reference() {
			p.schema(oat, "The value for the field '%s' must be a valid reference path: %s", op, mustEncode(r.Value))
		} else {
			r.valuePath = path
		}
	}
	return r
}

// ParseTimestamp parses a timestamp as Step Functions accepts it: RFC 3339
// with an uppercase T between date and time and an uppercase Z for UTC
// ("2016-08-18T17:33:00Z", "2016-08-18T17:33:00.123+02:00").
func ParseTimestamp(s string) (time.Time, error) {
	if len(s) < 20 || s[10] != 'T' || strings.ContainsAny(s, "tz") {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 timestamp with uppercase T and Z", s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 timestamp: %w", s, err)
	}
	return t, nil
}

// Match evaluates the rule against a Choice state's effective input. A
// Variable (or *Path operand) that selects nothing is a States.Runtime
// error, except for IsPresent; a value of the wrong type makes a comparison
// false rather than an error, as in AWS.
func (c *ChoiceRule) Match(input any) (bool, error) {
	return c.MatchWith(input, nil)
}

// MatchWith is Match with the context object for paths starting with "$$".
func (c *ChoiceRule) MatchWith(input, ctx any) (bool, error) {
	switch {
	case c.And != nil:
		for _, s := range c.And {
			ok, err := s.MatchWith(input, ctx)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case c.Or != nil:
		for _, s := range c.Or {
			ok, err := s.MatchWith(input, ctx)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case c.Not != nil:
		ok, err := c.Not.MatchWith(input, ctx)
		return !ok && err == nil, err
	}
	kind, known := choiceOperators[c.Operator]
	if !known {
		return false, errorf(ErrRuntime, "unknown choice operator %q", c.Operator)
	}
	varPath := c.variable
	if varPath == nil {
		var err error
		if varPath, err = ParsePath(c.Variable); err != nil {
			return false, errorf(ErrRuntime, "%v", err)
		}
	}
	val, err := evalIn(varPath, input, ctx)
	if err != nil {
		if c.Operator == "IsPresent" {
			want, _ := c.Value.(bool)
			return !want, nil
		}
		return false, errorf(ErrRuntime, "Invalid path '%s': The choice state's condition path references an invalid value.", c.Variable)
	}
	operand := c.Value
	if kind == operandPath {
		vp := c.valuePath
		if vp == nil {
			s, _ := c.Value.(string)
			if vp, err = ParsePath(s); err != nil {
				return false, errorf(ErrRuntime, "%v", err)
			}
		}
		if operand, err = evalIn(vp, input, ctx); err != nil {
			return false, errorf(ErrRuntime, "Invalid path '%s': The choice state's condition path references an invalid value.", vp.String())
		}
	}
	return compareChoice(strings.TrimSuffix(c.Operator, "Path"), val, operand)
}

// evalIn evaluates a path against the input or, for "$$" paths, the context.
func evalIn(p *Path, input, ctx any) (any, error) {
	if p.Context() {
		return p.Eval(ctx)
	}
	return p.Eval(input)
}

// compareChoice applies a comparison operator (without its Path suffix).
func compareChoice(op string, val, operand any) (bool, error) {
	want, _ := operand.(bool)
	switch op {
	case "IsPresent":
		return want, nil
	case "IsNull":
		return (val == nil) == want, nil
	case "IsNumeric":
		return isNumber(val) == want, nil
	case "IsString":
		_, ok := val.(string)
		return ok == want, nil
	case "IsBoolean":
		_, ok := val.(bool)
		return ok == want, nil
	case "IsTimestamp":
		s, ok := val.(string)
		if ok {
			_, err := ParseTimestamp(s)
			ok = err == nil
		}
		return ok == want, nil
	case "BooleanEquals":
		a, ok1 := val.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b, nil
	case "StringMatches":
		s, ok1 := val.(string)
		pat, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false, nil
		}
		return StringMatches(s, pat)
	}
	var cmp int
	switch {
	case strings.HasPrefix(op, "String"):
		a, ok1 := val.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false, nil
		}
		cmp = compareUTF16(a, b)
		op = strings.TrimPrefix(op, "String")
	case strings.HasPrefix(op, "Numeric"):
		if !isNumber(val) || !isNumber(operand) {
			return false, nil
		}
		c, err := compareNumbers(val, operand)
		if err != nil {
			return false, nil
		}
		cmp = c
		op = strings.TrimPrefix(op, "Numeric")
	case strings.HasPrefix(op, "Timestamp"):
		a, ok1 := val.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false, nil
		}
		ta, err1 := ParseTimestamp(a)
		tb, err2 := ParseTimestamp(b)
		if err1 != nil || err2 != nil {
			return false, nil
		}
		cmp = ta.Compare(tb)
		op = strings.TrimPrefix(op, "Timestamp")
	default:
		return false, errorf(ErrRuntime, "unknown choice operator %q", op)
	}
	switch op {
	case "Equals":
		return cmp == 0, nil
	case "LessThan":
		return cmp < 0, nil
	case "GreaterThan":
		return cmp > 0, nil
	case "LessThanEquals":
		return cmp <= 0, nil
	case "GreaterThanEquals":
		return cmp >= 0, nil
	}
	return false, errorf(ErrRuntime, "unknown choice operator %q", op)
}

// StringMatches reports whether s matches an ASL StringMatches pattern: '*'
// matches any run of characters, "\*" a literal star and "\\" a literal
// backslash; nothing else is special. An "open" escape — a backslash at the
// end or before any other character — is a States.Runtime error, as AWS
// documents.
func StringMatches(s, pattern string) (bool, error) {
	// Compile the pattern to literal runes and wildcards.
	type tok struct {
		star bool
		r    rune
	}
	var toks []tok
	for i := 0; i < len(pattern); {
		r, n := utf8.DecodeRuneInString(pattern[i:])
		i += n
		switch r {
		case '*':
			toks = append(toks, tok{star: true})
		case '\\':
			if i >= len(pattern) {
				return false, errorf(ErrRuntime, "StringMatches pattern %q ends with an open escape backslash", pattern)
			}
			e, m := utf8.DecodeRuneInString(pattern[i:])
			if e != '*' && e != '\\' {
				// Only * and \ can be escaped; anything else leaves the
				// backslash "open", which AWS reports as a runtime error.
				return false, errorf(ErrRuntime, "StringMatches pattern %q has an open escape backslash before %q", pattern, e)
			}
			i += m
			toks = append(toks, tok{r: e})
		default:
			toks = append(toks, tok{r: r})
		}
	}
	rs := []rune(s)
	// Classic greedy matching with backtracking to the last star: linear
	// in practice and never exponential.
	si, ti := 0, 0
	starTi, starSi := -1, 0
	for si < len(rs) {
		switch {
		case ti < len(toks) && !toks[ti].star && toks[ti].r == rs[si]:
			si++
			ti++
		case ti < len(toks) && toks[ti].star:
			starTi, starSi = ti, si
			ti++
		case starTi >= 0:
			starSi++
			si = starSi
			ti = starTi + 1
		default:
			return false, nil
		}
	}
	for ti < len(toks) && toks[ti].star {
		ti++
	}
	return ti == len(toks), nil
}

// ChooseNext picks a Choice state's next state for its effective input: the
// Next of the first matching rule, else Default, else a
// States.NoChoiceMatched error.
func (s *State) ChooseNext(input any) (string, error) {
	return s.ChooseNextWith(input, nil)
}

// ChooseNextWith is ChooseNext with the context object for "$$" paths.
func (s *State) ChooseNextWith(input, ctx any) (string, error) {
	for _, c := range s.Choices {
		ok, err := c.MatchWith(input, ctx)
		if err != nil {
			return "", err
		}
		if ok {
			return c.Next, nil
		}
	}
	if s.Default != "" {
		return s.Default, nil
	}
	return "", errorf(ErrNoChoiceMatched, "No Matches!")
}
