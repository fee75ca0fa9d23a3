package asl

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
)

// Env supplies what intrinsic functions need from outside the language:
// randomness for States.MathRandom and identifiers for States.UUID. The zero
// Env uses math/rand/v2's global source for both.
type Env struct {
	// Rand returns a float in [0, 1); nil means math/rand/v2.Float64.
	Rand func() float64
	// UUID returns a random (version 4) UUID string; nil means one built from
	// math/rand/v2.
	UUID func() string
}

func (e Env) random() float64 {
	if e.Rand != nil {
		return e.Rand()
	}
	return rand.Float64()
}

func (e Env) uuid() string {
	if e.UUID != nil {
		return e.UUID()
	}
	var b [16]byte
	for i := range b {
		b[i] = byte(rand.UintN(256))
	}
	return formatUUID(b)
}

// formatUUID renders 16 random bytes as a version 4, variant 1 UUID.
func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// EvalTemplate evaluates a payload template (Parameters, ResultSelector,
// ItemSelector): a key ending in ".$" takes the value of its expression — a
// path against input ("$...") or the context object ("$$..."), or an
// intrinsic function call — under the key without the suffix; other values
// are copied, recursing into objects and arrays. Neither input nor the
// template is modified.
func EvalTemplate(tmpl, input, ctx any) (any, error) {
	return EvalTemplateWith(tmpl, input, ctx, Env{})
}

// EvalTemplateWith is EvalTemplate with an explicit Env for randomness.
func EvalTemplateWith(tmpl, input, ctx any, env Env) (any, error) {
	ev := &evaluator{input: input, ctx: ctx, env: env}
	return ev.template(tmpl)
}

// EvalExpr evaluates one expression as a ".$" field would: a path or an
// intrinsic function call.
func EvalExpr(expr string, input, ctx any, env Env) (any, error) {
	return EvalField(expr, "", input, ctx, env)
}

// EvalField is EvalExpr for the value of a state's field (ErrorPath,
// CausePath, ItemsPath ...): a path that selects nothing is reported as AWS
// reports it for that field, "The JSONPath '$.x' specified for the field
// 'ErrorPath' could not be found in the input '{...}'".
func EvalField(expr, field string, input, ctx any, env Env) (any, error) {
	e, err := compileExpr(expr)
	if err != nil {
		return nil, errorf(ErrRuntime, "%v", err)
	}
	ev := &evaluator{input: input, ctx: ctx, env: env, field: field}
	return ev.eval(e, expr)
}

type evaluator struct {
	input, ctx any
	env        Env
	// field is the field being evaluated ("size.$", "ErrorPath"), which
	// AWS names when a path in it selects nothing; "" when unknown.
	field string
}

func (ev *evaluator) template(t any) (any, error) {
	switch v := t.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for _, k := range sortedKeys(v) {
			e := v[k]
			if strings.HasSuffix(k, ".$") && len(k) > 2 {
				s, ok := e.(string)
				if !ok {
					return nil, errorf(ErrRuntime, "The value for the field '%s' must be a STRING that contains a JSONPath or an intrinsic function", k)
				}
				x, err := compileExpr(s)
				if err != nil {
					return nil, errorf(ErrRuntime, "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call: %v", k, err)
				}
				ev.field = k
				r, err := ev.eval(x, s)
				if err != nil {
					return nil, err
				}
				out[strings.TrimSuffix(k, ".$")] = r
				continue
			}
			r, err := ev.template(e)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			r, err := ev.template(e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	default:
		return v, nil
	}
}

// eval evaluates a compiled expression; the result never aliases the input,
// because templates build new documents that callers may change. A path
// that selects nothing names the field being evaluated, also when the path
// is an argument of an intrinsic function in that field.
func (ev *evaluator) eval(x expr, src string) (any, error) {
	switch e := x.(type) {
	case *Path:
		root := ev.input
		if e.Context() {
			root = ev.ctx
		}
		v, err := e.Eval(root)
		if err != nil {
			if ev.field == "" {
				return nil, errorf(ErrRuntime, "The JSONPath '%s' could not be found in the input '%s'", src, mustEncode(root))
			}
			return nil, errorf(ErrRuntime, "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", src, ev.field, mustEncode(root))
		}
		return DeepCopy(v), nil
	case *call:
		return ev.call(e)
	}
	return nil, errorf(ErrRuntime, "invalid expression %q", src)
}

// expr is a compiled ".$" value: a *Path or an intrinsic *call.
type expr any

// exprCache memoises compiled expressions: definitions are evaluated many
// times with the same few hundred expressions. It is bounded so that callers
// evaluating arbitrary templates cannot grow it without limit.
var exprCache = struct {
	sync.Mutex
	m map[string]expr
}{m: map[string]expr{}}

const exprCacheMax = 4096

// cachedPath parses a path through the expression cache.
func cachedPath(s string) (*Path, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("path %q must start with '$'", s)
	}
	x, err := compileExpr(s)
	if err != nil {
		return nil, err
	}
	return x.(*Path), nil
}

// compileExpr compiles a ".$" value: a path or an intrinsic function call.
func compileExpr(s string) (expr, error) {
	exprCache.Lock()
	x, ok := exprCache.m[s]
	exprCache.Unlock()
	if ok {
		return x, nil
	}
	var err error
	switch {
	case strings.HasPrefix(s, "$"):
		x, err = ParsePath(s)
	case strings.HasPrefix(s, "States."):
		x, err = parseIntrinsic(s)
	default:
		err = fmt.Errorf("%q is neither a JSONPath nor an intrinsic function call", s)
	}
	if err != nil {
		return nil, err
	}
	exprCache.Lock()
	if len(exprCache.m) >= exprCacheMax {
		clear(exprCache.m)
	}
	exprCache.m[s] = x
	exprCache.Unlock()
	return x, nil
}
