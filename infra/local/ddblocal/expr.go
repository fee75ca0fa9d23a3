package ddblocal

import (
	"fmt"
	"strconv"
	"strings"
)

// This file parses DynamoDB's expression language (condition, key condition, filter, update and
// projection expressions) as documented in the Amazon DynamoDB Developer Guide ("Condition and
// filter expressions, operators, and functions", "Update expressions", "Projection expressions").
// Parsing resolves #name and :value placeholders against the request's ExpressionAttributeNames
// and ExpressionAttributeValues and records which were used, so that a request can be refused for
// unused ones as DynamoDB does.

type tokKind int

const (
	tokEOF    tokKind = iota
	tokIdent          // a name, keyword or function name
	tokName           // #name
	tokValue          // :value
	tokNumber         // a list index
	tokPunct          // ( ) [ ] , . = <> < <= > >= + -
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func lex(s string) ([]token, error) {
	var toks []token
	i := 0
	isWord := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#' || c == ':':
			j := i + 1
			for j < len(s) && isWord(s[j]) {
				j++
			}
			if j == i+1 {
				return nil, syntaxError(s, i)
			}
			k := tokName
			if c == ':' {
				k = tokValue
			}
			toks = append(toks, token{k, s[i:j], i})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			toks = append(toks, token{tokNumber, s[i:j], i})
			i = j
		case isWord(c):
			j := i
			for j < len(s) && isWord(s[j]) {
				j++
			}
			toks = append(toks, token{tokIdent, s[i:j], i})
			i = j
		case c == '<' || c == '>':
			j := i + 1
			if j < len(s) && (s[j] == '=' || c == '<' && s[j] == '>') {
				j++
			}
			toks = append(toks, token{tokPunct, s[i:j], i})
			i = j
		case strings.IndexByte("()[],.=+-", c) >= 0:
			toks = append(toks, token{tokPunct, s[i : i+1], i})
			i++
		default:
			return nil, syntaxError(s, i)
		}
	}
	return append(toks, token{tokEOF, "<EOF>", len(s)}), nil
}

// syntaxError words a syntax error as DynamoDB does: the token and the text around it.
func syntaxError(s string, pos int) error {
	tok := "<EOF>"
	if pos < len(s) {
		end := pos + 1
		for end < len(s) && s[end] != ' ' && s[end] != ')' && s[end] != ',' {
			end++
		}
		tok = s[pos:end]
	}
	near := s[max(0, pos-8):min(len(s), pos+8)]
	//lint:ignore ST1005 DynamoDB's own words: "Invalid ConditionExpression: Syntax error; token: ..., near: ..."
	return fmt.Errorf("Syntax error; token: %q, near: %q", tok, near)
}

// pathPart is one step of a document path: an attribute or map key, or a list index.
type pathPart struct {
	name    string
	index   int
	isIndex bool
}

// docPath is a document path such as a.b[2].c; its first part is always a name.
type docPath []pathPart

func (p docPath) String() string {
	parts := make([]string, len(p))
	for i, x := range p {
		if x.isIndex {
			parts[i] = "[" + strconv.Itoa(x.index) + "]"
		} else {
			parts[i] = x.name
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// operand is what a comparison or an update value is made of.
type operand interface{ isOperand() }

type (
	pathOperand  struct{ path docPath }
	valueOperand struct{ v *Value }
	sizeOperand  struct{ path docPath }
	// ifNotExists, listAppend and arith appear in SET actions only.
	ifNotExists struct {
		path docPath
		def  operand
	}
	listAppend struct{ a, b operand }
	arith      struct {
		minus bool
		a, b  operand
	}
)

func (pathOperand) isOperand()  {}
func (valueOperand) isOperand() {}
func (sizeOperand) isOperand()  {}
func (ifNotExists) isOperand()  {}
func (listAppend) isOperand()   {}
func (arith) isOperand()        {}

// cond is a condition (condition, filter and key condition expressions).
type cond interface{ isCond() }

type (
	andCond struct{ a, b cond }
	orCond  struct{ a, b cond }
	notCond struct{ c cond }
	cmpCond struct {
		op   string // = <> < <= > >=
		a, b operand
	}
	betweenCond struct{ x, lo, hi operand }
	inCond      struct {
		x    operand
		list []operand
	}
	funcCond struct {
		name string // attribute_exists, attribute_not_exists, attribute_type, begins_with, contains
		args []operand
	}
)

func (andCond) isCond()     {}
func (orCond) isCond()      {}
func (notCond) isCond()     {}
func (cmpCond) isCond()     {}
func (betweenCond) isCond() {}
func (inCond) isCond()      {}
func (funcCond) isCond()    {}

// exprContext resolves placeholders for all the expressions of one request.
type exprContext struct {
	names     map[string]string
	values    map[string]*Value
	usedNames map[string]bool
	usedVals  map[string]bool
	// any reports that at least one expression was given.
	any bool
}

func newExprContext(names map[string]string, values map[string]*Value) *exprContext {
	return &exprContext{names: names, values: values, usedNames: map[string]bool{}, usedVals: map[string]bool{}}
}

// check refuses placeholders given but not used, and placeholders given without any expression,
// as DynamoDB does. It runs after every expression of the request was parsed.
func (c *exprContext) check() error {
	if !c.any {
		if c.names != nil {
			return validationf("ExpressionAttributeNames can only be specified when using expressions")
		}
		if c.values != nil {
			return validationf("ExpressionAttributeValues can only be specified when using expressions")
		}
		return nil
	}
	if c.values != nil && len(c.values) == 0 {
		return validationf("ExpressionAttributeValues must not be empty")
	}
	if c.names != nil && len(c.names) == 0 {
		return validationf("ExpressionAttributeNames must not be empty")
	}
	var unused []string
	for k := range c.values {
		if !c.usedVals[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		return validationf("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", strings.Join(sortedStrings(unused), ", "))
	}
	for k := range c.names {
		if !c.usedNames[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		return validationf("Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", strings.Join(sortedStrings(unused), ", "))
	}
	return nil
}

// parser parses one expression.
type parser struct {
	ctx  *exprContext
	src  string
	toks []token
	pos  int
	// kind names the expression in messages: "ConditionExpression", "UpdateExpression", ...
	kind string
	// update allows the SET-only functions and arithmetic.
	update bool
}

// exprError is a problem with one expression, worded "Invalid <kind>: <problem>".
func (p *parser) fail(format string, args ...any) error {
	return validationf("Invalid %s: %s", p.kind, fmt.Sprintf(format, args...))
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tokPunct && t.text == s
}

func (p *parser) isKeyword(s string) bool {
	t := p.peek()
	return t.kind == tokIdent && strings.EqualFold(t.text, s)
}

func (p *parser) syntax() error {
	return p.fail("%s", syntaxError(p.src, p.peek().pos).Error())
}

func (p *parser) expect(s string) error {
	if !p.isPunct(s) {
		return p.syntax()
	}
	p.next()
	return nil
}

func newParser(ctx *exprContext, kind, src string) (*parser, error) {
	ctx.any = true
	p := &parser{ctx: ctx, src: src, kind: kind}
	if strings.TrimSpace(src) == "" {
		return nil, p.fail("The expression can not be empty;")
	}
	toks, err := lex(src)
	if err != nil {
		return nil, p.fail("%s", err.Error())
	}
	p.toks = toks
	return p, nil
}

var conditionKeywords = map[string]bool{"AND": true, "OR": true, "NOT": true, "BETWEEN": true, "IN": true}

// parsePath parses a document path.
func (p *parser) parsePath() (docPath, error) {
	var path docPath
	name, err := p.parseName()
	if err != nil {
		return nil, err
	}
	path = append(path, pathPart{name: name})
	for {
		switch {
		case p.isPunct("."):
			p.next()
			name, err := p.parseName()
			if err != nil {
				return nil, err
			}
			path = append(path, pathPart{name: name})
		case p.isPunct("["):
			p.next()
			t := p.next()
			if t.kind != tokNumber {
				return nil, p.syntax()
			}
			n, err := strconv.Atoi(t.text)
			if err != nil {
				return nil, p.fail("List index is out of range; index: %s", t.text)
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			path = append(path, pathPart{index: n, isIndex: true})
		default:
			return path, nil
		}
	}
}

// parseName parses one name of a path: a #placeholder or a plain name that is not a reserved word.
func (p *parser) parseName() (string, error) {
	t := p.peek()
	switch t.kind {
	case tokName:
		p.next()
		v, ok := p.ctx.names[t.text]
		if !ok {
			return "", p.fail("An expression attribute name used in the document path is not defined; attribute name: %s", t.text)
		}
		p.ctx.usedNames[t.text] = true
		return v, nil
	case tokIdent:
		if c := t.text[0]; c >= '0' && c <= '9' {
			return "", p.syntax()
		}
		p.next()
		if reservedWords[strings.ToUpper(t.text)] {
			return "", p.fail("Attribute name is a reserved keyword; reserved keyword: %s", t.text)
		}
		return t.text, nil
	}
	return "", p.syntax()
}

func (p *parser) parseValueRef() (*Value, error) {
	t := p.next()
	v, ok := p.ctx.values[t.text]
	if !ok {
		return nil, p.fail("An expression attribute value used in expression is not defined; attribute value: %s", t.text)
	}
	p.ctx.usedVals[t.text] = true
	return v, nil
}

// parseCondition parses a whole condition expression.
func parseCondition(ctx *exprContext, kind, src string) (cond, error) {
	p, err := newParser(ctx, kind, src)
	if err != nil {
		return nil, err
	}
	c, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tokEOF {
		return nil, p.syntax()
	}
	return c, nil
}

func (p *parser) parseOr() (cond, error) {
	c, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("OR") {
		p.next()
		d, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		c = orCond{c, d}
	}
	return c, nil
}

func (p *parser) parseAnd() (cond, error) {
	c, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("AND") {
		p.next()
		d, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		c = andCond{c, d}
	}
	return c, nil
}

func (p *parser) parseNot() (cond, error) {
	if p.isKeyword("NOT") {
		p.next()
		c, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return notCond{c}, nil
	}
	return p.parsePrimary()
}

var conditionFunctions = map[string]int{
	"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2, "begins_with": 2, "contains": 2, "size": 1,
}

func (p *parser) parsePrimary() (cond, error) {
	if p.isPunct("(") {
		p.next()
		c, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return c, nil
	}
	t := p.peek()
	if t.kind == tokIdent && p.toks[p.pos+1].kind == tokPunct && p.toks[p.pos+1].text == "(" {
		if _, ok := conditionFunctions[t.text]; !ok {
			return nil, p.fail("Invalid function name; function: %s", t.text)
		}
		if t.text != "size" {
			return p.parseFunction()
		}
	}
	if t.kind == tokIdent && conditionKeywords[strings.ToUpper(t.text)] {
		return nil, p.syntax()
	}
	x, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	switch {
	case p.peek().kind == tokPunct && isComparator(p.peek().text):
		op := p.next().text
		y, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		if err := p.checkDistinct(op, x, y); err != nil {
			return nil, err
		}
		return cmpCond{op, x, y}, nil
	case p.isKeyword("BETWEEN"):
		p.next()
		lo, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		if !p.isKeyword("AND") {
			return nil, p.syntax()
		}
		p.next()
		hi, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		if err := p.checkBetween(lo, hi); err != nil {
			return nil, err
		}
		return betweenCond{x, lo, hi}, nil
	case p.isKeyword("IN"):
		p.next()
		if err := p.expect("("); err != nil {
			return nil, err
		}
		var list []operand
		for {
			o, err := p.parseOperand()
			if err != nil {
				return nil, err
			}
			list = append(list, o)
			if !p.isPunct(",") {
				break
			}
			p.next()
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		if len(list) > 100 {
			return nil, p.fail("The IN operator is provided with too many operands; number of operands: %d", len(list))
		}
		return inCond{x, list}, nil
	}
	if _, ok := x.(sizeOperand); ok {
		return nil, p.fail("The function is not allowed to be used this way in an expression; function: size")
	}
	return nil, p.syntax()
}

func isComparator(s string) bool {
	switch s {
	case "=", "<>", "<", "<=", ">", ">=":
		return true
	}
	return false
}

// checkDistinct refuses comparing a path with itself, as DynamoDB does.
func (p *parser) checkDistinct(op string, x, y operand) error {
	a, ok1 := x.(pathOperand)
	b, ok2 := y.(pathOperand)
	if ok1 && ok2 && a.path.String() == b.path.String() {
		return p.fail("The first operand must be distinct from the remaining operands for this operator or function; operator: %s, first operand: %s", op, a.path)
	}
	return nil
}

// checkBetween refuses literal bounds of different types or in the wrong order.
func (p *parser) checkBetween(lo, hi operand) error {
	a, ok1 := lo.(valueOperand)
	b, ok2 := hi.(valueOperand)
	if !ok1 || !ok2 {
		return nil
	}
	show := func(v *Value) string { return "AttributeValue: {" + v.kind.String() + ":" + v.str + "}" }
	if a.v.kind != b.v.kind {
		return p.fail("The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: %s, upper bound operand: %s", show(a.v), show(b.v))
	}
	if a.v.isScalarKey() && compareScalars(a.v, b.v) > 0 {
		return p.fail("The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: %s, upper bound operand: %s", show(a.v), show(b.v))
	}
	return nil
}

// parseFunction parses a condition function call (not size).
func (p *parser) parseFunction() (cond, error) {
	name := p.next().text
	p.next() // (
	var args []operand
	for !p.isPunct(")") {
		o, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		args = append(args, o)
		if !p.isPunct(",") {
			break
		}
		p.next()
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	if len(args) != conditionFunctions[name] {
		return nil, p.fail("Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", name, len(args))
	}
	switch name {
	case "attribute_exists", "attribute_not_exists":
		if _, ok := args[0].(pathOperand); !ok {
			return nil, p.fail("Operator or function requires a document path; operator or function: %s", name)
		}
	case "attribute_type":
		if _, ok := args[0].(pathOperand); !ok {
			return nil, p.fail("Operator or function requires a document path; operator or function: %s", name)
		}
		v, ok := args[1].(valueOperand)
		if !ok || v.v.kind != kindS {
			return nil, p.fail("Incorrect operand type for operator or function; operator or function: attribute_type, operand type: %s", operandType(args[1]))
		}
		if _, ok := kindByName(v.v.str); !ok {
			return nil, p.fail("Invalid attribute type name found; type: %s, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}", v.v.str)
		}
	case "begins_with":
		for _, a := range args {
			if v, ok := a.(valueOperand); ok && v.v.kind != kindS && v.v.kind != kindB {
				return nil, p.fail("Incorrect operand type for operator or function; operator or function: begins_with, operand type: %s", v.v.kind)
			}
		}
	case "contains":
		if err := p.checkDistinct(name, args[0], args[1]); err != nil {
			return nil, err
		}
	}
	return funcCond{name, args}, nil
}

func operandType(o operand) string {
	if v, ok := o.(valueOperand); ok {
		return v.v.kind.String()
	}
	return "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"
}

// parseOperand parses a path, a :value or size(path); in update expressions also if_not_exists and
// list_append.
func (p *parser) parseOperand() (operand, error) {
	t := p.peek()
	switch t.kind {
	case tokValue:
		v, err := p.parseValueRef()
		if err != nil {
			return nil, err
		}
		return valueOperand{v}, nil
	case tokName:
		path, err := p.parsePath()
		if err != nil {
			return nil, err
		}
		return pathOperand{path}, nil
	case tokIdent:
		if p.toks[p.pos+1].kind == tokPunct && p.toks[p.pos+1].text == "(" {
			return p.parseOperandFunction()
		}
		if conditionKeywords[strings.ToUpper(t.text)] {
			return nil, p.syntax()
		}
		path, err := p.parsePath()
		if err != nil {
			return nil, err
		}
		return pathOperand{path}, nil
	}
	return nil, p.syntax()
}

func (p *parser) parseOperandFunction() (operand, error) {
	name := p.next().text
	p.next() // (
	switch {
	case name == "size" && !p.update:
		o, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		path, ok := o.(pathOperand)
		if !ok {
			if v, ok := o.(valueOperand); ok && (v.v.kind == kindN || v.v.kind == kindBOOL || v.v.kind == kindNULL) {
				return nil, p.fail("Incorrect operand type for operator or function; operator or function: size, operand type: %s", v.v.kind)
			}
			return nil, p.fail("Operator or function requires a document path; operator or function: size")
		}
		return sizeOperand(path), nil
	case name == "if_not_exists" && p.update:
		first, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		path, ok := first.(pathOperand)
		if !ok {
			return nil, p.fail("Operator or function requires a document path; operator or function: if_not_exists")
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
		def, err := p.parseSetValue()
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return ifNotExists{path.path, def}, nil
	case name == "list_append" && p.update:
		a, err := p.parseSetValue()
		if err != nil {
			return nil, err
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
		b, err := p.parseSetValue()
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return listAppend{a, b}, nil
	}
	if _, ok := conditionFunctions[name]; ok && !p.update {
		return nil, p.fail("The function is not allowed to be used this way in an expression; function: %s", name)
	}
	return nil, p.fail("Invalid function name; function: %s", name)
}

// parseSetValue parses the right-hand side of a SET action: an operand, or two joined by + or -.
func (p *parser) parseSetValue() (operand, error) {
	a, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	if p.isPunct("+") || p.isPunct("-") {
		minus := p.next().text == "-"
		b, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		return arith{minus, a, b}, nil
	}
	return a, nil
}

// updateAction is one action of an update expression.
type updateAction struct {
	verb  string // SET, REMOVE, ADD, DELETE
	path  docPath
	value operand // SET: the value; ADD and DELETE: the :value operand
}

// parseUpdate parses an update expression into its actions, SET first, then REMOVE, ADD and DELETE,
// the order in which they are applied (every value is computed from the item as it was before).
func parseUpdate(ctx *exprContext, src string) ([]updateAction, error) {
	p, err := newParser(ctx, "UpdateExpression", src)
	if err != nil {
		return nil, err
	}
	p.update = true
	byVerb := map[string][]updateAction{}
	for p.peek().kind != tokEOF {
		t := p.next()
		verb := strings.ToUpper(t.text)
		if t.kind != tokIdent || (verb != "SET" && verb != "REMOVE" && verb != "ADD" && verb != "DELETE") {
			p.pos--
			return nil, p.syntax()
		}
		if _, seen := byVerb[verb]; seen {
			return nil, p.fail("The %q section can only be used once in an update expression;", verb)
		}
		byVerb[verb] = nil
		for {
			path, err := p.parsePath()
			if err != nil {
				return nil, err
			}
			a := updateAction{verb: verb, path: path}
			switch verb {
			case "SET":
				if err := p.expect("="); err != nil {
					return nil, err
				}
				if a.value, err = p.parseSetValue(); err != nil {
					return nil, err
				}
			case "ADD", "DELETE":
				if p.peek().kind != tokValue {
					return nil, p.syntax()
				}
				v, err := p.parseValueRef()
				if err != nil {
					return nil, err
				}
				a.value = valueOperand{v}
				if verb == "DELETE" && !v.isSet() {
					return nil, p.fail("Incorrect operand type for operator or function; operator: DELETE, operand type: %s", v.kind)
				}
				if verb == "ADD" && v.kind != kindN && !v.isSet() {
					return nil, p.fail("Incorrect operand type for operator or function; operator: ADD, operand type: %s", v.kind)
				}
			}
			byVerb[verb] = append(byVerb[verb], a)
			if !p.isPunct(",") {
				break
			}
			p.next()
		}
	}
	var actions []updateAction
	for _, verb := range []string{"SET", "REMOVE", "ADD", "DELETE"} {
		actions = append(actions, byVerb[verb]...)
	}
	for i := range actions {
		for j := i + 1; j < len(actions); j++ {
			if overlaps(actions[i].path, actions[j].path) {
				return nil, p.fail("Two document paths overlap with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", actions[i].path, actions[j].path)
			}
		}
	}
	return actions, nil
}

// overlaps reports whether one path is the other or inside it.
func overlaps(a, b docPath) bool {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// parseProjection parses a projection expression: paths separated by commas.
func parseProjection(ctx *exprContext, src string) ([]docPath, error) {
	p, err := newParser(ctx, "ProjectionExpression", src)
	if err != nil {
		return nil, err
	}
	var paths []docPath
	for {
		path, err := p.parsePath()
		if err != nil {
			return nil, err
		}
		for _, q := range paths {
			if overlaps(q, path) {
				return nil, p.fail("Two document paths overlap with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", q, path)
			}
		}
		paths = append(paths, path)
		if !p.isPunct(",") {
			break
		}
		p.next()
	}
	if p.peek().kind != tokEOF {
		return nil, p.syntax()
	}
	return paths, nil
}
