package awscalls

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/token"
	"go/types"
)

// maxInline bounds how many helper calls deep a key expression is followed.
const maxInline = 16

// frame binds the parameters of an inlined helper to the caller's argument expressions; body is the
// function body the frame's local variables are declared in (nil when unknown).
type frame struct {
	pkg  *pkg
	args map[*types.Var]binding
	body *ast.BlockStmt
}

// binding is an argument expression and the frame it is evaluated in.
type binding struct {
	expr ast.Expr
	fr   *frame
}

// lookup returns what a parameter of the current helper is bound to.
func (fr *frame) lookup(id *ast.Ident) (binding, bool) {
	v, ok := fr.pkg.info.Uses[id].(*types.Var)
	if !ok || fr.args == nil {
		return binding{}, false
	}
	b, ok := fr.args[v]
	return b, ok
}

// partition evaluates a DynamoDB key expression (a map of attribute values, or a call of a helper
// that returns one) to the constant start of its partition key attribute hashKey.
func (p *Program) partition(fr *frame, e ast.Expr, hashKey string, depth int) (string, error) {
	e = ast.Unparen(e)
	where := p.fset.Position(e.Pos())
	if depth > maxInline {
		return "", fmt.Errorf("%s: key expression nested too deep to follow", where)
	}
	switch x := e.(type) {
	case *ast.Ident:
		if b, ok := fr.lookup(x); ok {
			return p.partition(b.fr, b.expr, hashKey, depth+1)
		}
	case *ast.CallExpr:
		if ret, callee, ok := p.inline(fr, x); ok {
			return p.partition(callee, ret, hashKey, depth+1)
		}
	case *ast.CompositeLit:
		for _, el := range x.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			if tv := fr.pkg.info.Types[kv.Key]; tv.Value == nil || constantString(tv) != hashKey {
				continue
			}
			prefix, _ := p.stringPrefix(fr, kv.Value, depth+1)
			if prefix == "" {
				return "", fmt.Errorf("%s: the %s value %s has no constant start", where, hashKey, render(p.fset, kv.Value))
			}
			return prefix, nil
		}
		return "", fmt.Errorf("%s: the key %s has no %q entry with a constant name", where, render(p.fset, x), hashKey)
	}
	return "", fmt.Errorf("%s: cannot follow the key expression %s", where, render(p.fset, e))
}

// stringPrefix evaluates a string expression, or an attribute value of type S, to its constant start;
// exact reports whether the whole value is constant. What it cannot follow contributes nothing.
func (p *Program) stringPrefix(fr *frame, e ast.Expr, depth int) (prefix string, exact bool) {
	e = ast.Unparen(e)
	if tv, ok := fr.pkg.info.Types[e]; ok && tv.Value != nil {
		return constantString(tv), true
	}
	if depth > maxInline {
		return "", false
	}
	switch x := e.(type) {
	case *ast.Ident:
		if b, ok := fr.lookup(x); ok {
			return p.stringPrefix(b.fr, b.expr, depth+1)
		}
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return "", false
		}
		left, leftExact := p.stringPrefix(fr, x.X, depth+1)
		if !leftExact {
			return left, false
		}
		right, rightExact := p.stringPrefix(fr, x.Y, depth+1)
		return left + right, rightExact
	case *ast.UnaryExpr:
		if x.Op == token.AND {
			return p.stringPrefix(fr, x.X, depth+1)
		}
	case *ast.CompositeLit:
		if path, name := named(fr.pkg.info.Types[x].Type); path == dynamoTypesPath && name == "AttributeValueMemberS" {
			if v := field(x, "Value"); v != nil {
				return p.stringPrefix(fr, v, depth+1)
			}
		}
	case *ast.CallExpr:
		if ret, callee, ok := p.inline(fr, x); ok {
			return p.stringPrefix(callee, ret, depth+1)
		}
	}
	return "", false
}

// inline returns the expression a call returns when the callee is a module helper whose body is a
// single return statement, with a frame binding its parameters to the call's arguments.
func (p *Program) inline(fr *frame, call *ast.CallExpr) (ast.Expr, *frame, bool) {
	fn := p.callee(fr.pkg, call)
	if fn == nil {
		return nil, nil, false
	}
	b, ok := p.decls[fn]
	if !ok || len(b.decl.Body.List) != 1 {
		return nil, nil, false
	}
	ret, ok := b.decl.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 {
		return nil, nil, false
	}
	callee := &frame{pkg: b.pkg, args: map[*types.Var]binding{}, body: b.decl.Body}
	i := 0
	for _, field := range b.decl.Type.Params.List {
		for _, name := range field.Names {
			if i >= len(call.Args) {
				return nil, nil, false
			}
			if v, ok := b.pkg.info.Defs[name].(*types.Var); ok {
				callee.args[v] = binding{expr: call.Args[i], fr: fr}
			}
			i++
		}
	}
	return ret.Results[0], callee, true
}

// render prints an expression for a message.
func render(fset *token.FileSet, e ast.Expr) string {
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, e); err != nil {
		return fmt.Sprintf("%T", e)
	}
	if buf.Len() > 120 {
		return buf.String()[:120] + "…"
	}
	return buf.String()
}
