package awscalls

import (
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"reflect"
	"sort"
	"strings"
)

// Write is one DynamoDB write in the code: a put, update, delete or condition check, sent on its own
// or as a part of a transaction. IAM checks the dynamodb:LeadingKeys condition of a write against the
// partition key of its item, so a policy that scopes a function's writes must admit every partition
// listed here.
type Write struct {
	// Action is the IAM action: dynamodb:PutItem, UpdateItem, DeleteItem or ConditionCheckItem.
	Action string
	// At is where the write's input is built.
	At token.Position
	// Partitions are the constant starts of the partition key of every item the write can target,
	// e.g. ["REQ#"], read from the code that builds the key or the item (sorted, without duplicates).
	Partitions []string
	// Err says why the partitions could not all be read; the write might then target any item.
	Err error
}

// errCopied marks the Item of a single-item put copied from a transaction Put built elsewhere
// (put.Put.Item): that Put is recorded where it is built.
var errCopied = errors.New("copied from a transaction Put")

// write records a write of action whose key (or item, for a put) is the field of lit named field.
func (w *walker) write(pk *pkg, body *ast.BlockStmt, lit *ast.CompositeLit, action, fieldName string) {
	wr := Write{Action: action, At: w.p.fset.Position(lit.Pos())}
	if e := field(lit, fieldName); e == nil {
		wr.Err = fmt.Errorf("the write has no %s field", fieldName)
	} else {
		set := map[string]bool{}
		err := w.p.itemPartitions(&frame{pkg: pk, body: body}, e, w.hashKey, 0, set)
		if errors.Is(err, errCopied) {
			return
		}
		wr.Err = err
		for s := range set {
			wr.Partitions = append(wr.Partitions, s)
		}
		sort.Strings(wr.Partitions)
	}
	w.u.Writes = append(w.u.Writes, wr)
}

// itemPartitions adds to set the partition-key starts of the items (or keys) e can evaluate to: a
// key map built by a helper (key(requestPK(id), sk)), an item marshalled from a struct whose
// partition-key field is set in a composite literal, a local variable holding either, a closure's
// parameter (every call of the closure), and what a module function returns.
func (p *Program) itemPartitions(fr *frame, e ast.Expr, hashKey string, depth int, set map[string]bool) error {
	e = ast.Unparen(e)
	where := p.fset.Position(e.Pos())
	if depth > maxInline {
		return fmt.Errorf("%s: item expression nested too deep to follow", where)
	}
	switch x := e.(type) {
	case *ast.Ident:
		if b, ok := fr.lookup(x); ok {
			return p.itemPartitions(b.fr, b.expr, hashKey, depth+1, set)
		}
		if _, isNil := fr.pkg.info.Uses[x].(*types.Nil); isNil {
			return nil // an error path's return nil, err
		}
		v, ok := fr.pkg.info.Uses[x].(*types.Var)
		if !ok {
			break
		}
		sources, err := p.sources(fr, v)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		for _, b := range sources {
			if err := p.itemPartitions(b.fr, b.expr, hashKey, depth+1, set); err != nil {
				return err
			}
		}
		return nil
	case *ast.SelectorExpr:
		if inner, ok := ast.Unparen(x.X).(*ast.SelectorExpr); ok && x.Sel.Name == "Item" && inner.Sel.Name == "Put" {
			return errCopied
		}
	case *ast.CompositeLit:
		prefix, err := p.partition(fr, x, hashKey, depth+1)
		if err != nil {
			return err
		}
		set[prefix] = true
		return nil
	case *ast.CallExpr:
		if len(x.Args) == 1 {
			if t := fr.pkg.info.Types[x.Args[0]].Type; t != nil && hashField(t, hashKey) != "" {
				// marshal(item): the item's struct names its partition key.
				return p.structPartitions(fr, x.Args[0], hashKey, depth+1, set)
			}
		}
		rets, err := p.returns(fr, x)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		for _, b := range rets {
			if err := p.itemPartitions(b.fr, b.expr, hashKey, depth+1, set); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%s: cannot follow the item expression %s", where, render(p.fset, e))
}

// structPartitions adds to set the partition-key starts of the struct values e can evaluate to.
func (p *Program) structPartitions(fr *frame, e ast.Expr, hashKey string, depth int, set map[string]bool) error {
	e = ast.Unparen(e)
	where := p.fset.Position(e.Pos())
	if depth > maxInline {
		return fmt.Errorf("%s: item expression nested too deep to follow", where)
	}
	switch x := e.(type) {
	case *ast.UnaryExpr:
		if x.Op == token.AND {
			return p.structPartitions(fr, x.X, hashKey, depth+1, set)
		}
	case *ast.CompositeLit:
		name := hashField(fr.pkg.info.Types[x].Type, hashKey)
		for _, el := range x.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if id, isID := kv.Key.(*ast.Ident); ok && isID && id.Name == name {
				prefix, _ := p.stringPrefix(fr, kv.Value, depth+1)
				if prefix == "" {
					return fmt.Errorf("%s: the %s value %s has no constant start", where, hashKey, render(p.fset, kv.Value))
				}
				set[prefix] = true
				return nil
			}
		}
		return fmt.Errorf("%s: the item %s does not set its %s field", where, render(p.fset, x), name)
	case *ast.Ident:
		if b, ok := fr.lookup(x); ok {
			return p.structPartitions(b.fr, b.expr, hashKey, depth+1, set)
		}
		v, ok := fr.pkg.info.Uses[x].(*types.Var)
		if !ok {
			break
		}
		sources, err := p.sources(fr, v)
		if errors.Is(err, errParameter) {
			// A parameter of a function that is not inlined: every item of its type.
			return p.typePartitions(v.Type(), hashKey, set)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		for _, b := range sources {
			if err := p.structPartitions(b.fr, b.expr, hashKey, depth+1, set); err != nil {
				return err
			}
		}
		return nil
	case *ast.CallExpr:
		rets, err := p.returns(fr, x)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		for _, b := range rets {
			if err := p.structPartitions(b.fr, b.expr, hashKey, depth+1, set); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%s: cannot follow the item %s", where, render(p.fset, e))
}

// typePartitions adds the partition-key starts of every composite literal of t in the module.
func (p *Program) typePartitions(t types.Type, hashKey string, set map[string]bool) error {
	found := false
	for _, pk := range p.order {
		for _, f := range pk.files {
			var err error
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.CompositeLit)
				if !ok || err != nil || !types.Identical(pk.info.Types[lit].Type, t) {
					return err == nil
				}
				if len(lit.Elts) == 0 {
					return false // a zero value (a decoding target, an error path's result) is not written
				}
				found = true
				err = p.structPartitions(&frame{pkg: pk}, lit, hashKey, 0, set)
				return false
			})
			if err != nil {
				return err
			}
		}
	}
	if !found {
		return fmt.Errorf("no composite literal of %s sets its %s", t, hashKey)
	}
	return nil
}

// hashField returns the name of the field of struct type t (through a pointer) that holds the
// partition key: the field whose json tag (the dynamo package encodes with json tags) or, untagged,
// whose name is hashKey. It returns "" when t is no such struct.
func hashField(t types.Type, hashKey string) string {
	if ptr, ok := t.Underlying().(*types.Pointer); ok {
		t = ptr.Elem()
	}
	st, ok := t.Underlying().(*types.Struct)
	if !ok {
		return ""
	}
	for i := range st.NumFields() {
		f := st.Field(i)
		name := f.Name()
		if tag, ok := reflect.StructTag(st.Tag(i)).Lookup("json"); ok {
			name, _, _ = strings.Cut(tag, ",")
		}
		if name == hashKey {
			return f.Name()
		}
	}
	return ""
}

// errParameter reports a parameter of a function that is not inlined: its value comes from callers.
var errParameter = errors.New("a parameter")

// sources returns the expressions a local variable v is given: its definitions and assignments in
// the body of the function being read, or, for a parameter of a closure, the arguments of every call
// of the closure in that body. A parameter of the function itself is errParameter.
func (p *Program) sources(fr *frame, v *types.Var) ([]binding, error) {
	if fr.body == nil {
		return nil, fmt.Errorf("cannot tell where %s comes from", v.Name())
	}
	info := fr.pkg.info
	var out []binding
	closureParam := false
	ast.Inspect(fr.body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				id, ok := lhs.(*ast.Ident)
				if !ok || (info.Defs[id] != v && info.Uses[id] != v) {
					continue
				}
				switch {
				case len(n.Rhs) == len(n.Lhs):
					out = append(out, binding{expr: n.Rhs[i], fr: fr})
				case len(n.Rhs) == 1 && i == 0:
					out = append(out, binding{expr: n.Rhs[0], fr: fr}) // item, err := f(...)
				}
			}
		case *ast.ValueSpec:
			for i, id := range n.Names {
				if info.Defs[id] == v && i < len(n.Values) {
					out = append(out, binding{expr: n.Values[i], fr: fr})
				}
			}
		case *ast.FuncLit:
			idx := paramIndex(info, n.Type, v)
			if idx < 0 {
				return true
			}
			closureParam = true
			for _, call := range p.closureCalls(fr, n) {
				if idx < len(call.Args) {
					out = append(out, binding{expr: call.Args[idx], fr: fr})
				}
			}
		}
		return true
	})
	if len(out) == 0 && !closureParam {
		if v.Parent() != nil && fr.body.Pos() > v.Pos() {
			return nil, errParameter
		}
		return nil, fmt.Errorf("cannot tell where %s comes from", v.Name())
	}
	return out, nil
}

// paramIndex returns the position of v among the parameters of ft, or -1.
func paramIndex(info *types.Info, ft *ast.FuncType, v *types.Var) int {
	i := 0
	for _, f := range ft.Params.List {
		for _, name := range f.Names {
			if info.Defs[name] == v {
				return i
			}
			i++
		}
	}
	return -1
}

// closureCalls returns the calls, in the frame's body, of the variable the closure lit is assigned to.
func (p *Program) closureCalls(fr *frame, lit *ast.FuncLit) []*ast.CallExpr {
	info := fr.pkg.info
	var fnVar types.Object
	ast.Inspect(fr.body, func(n ast.Node) bool {
		if as, ok := n.(*ast.AssignStmt); ok && len(as.Lhs) == len(as.Rhs) {
			for i, rhs := range as.Rhs {
				if rhs == lit {
					if id, ok := as.Lhs[i].(*ast.Ident); ok {
						fnVar = info.ObjectOf(id)
					}
				}
			}
		}
		return fnVar == nil
	})
	var calls []*ast.CallExpr
	if fnVar == nil {
		return nil
	}
	ast.Inspect(fr.body, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok && info.Uses[id] == fnVar {
				calls = append(calls, call)
			}
		}
		return true
	})
	return calls
}

// returns returns the first results of every return statement of the function a call calls (a module
// function or a local closure), each with a frame binding the callee's parameters to the call's
// arguments.
func (p *Program) returns(fr *frame, call *ast.CallExpr) ([]binding, error) {
	var (
		ftype  *ast.FuncType
		body   *ast.BlockStmt
		callee *frame
	)
	if fn := p.callee(fr.pkg, call); fn != nil {
		b, ok := p.decls[fn]
		if !ok {
			return nil, fmt.Errorf("%s is outside the module", fn.FullName())
		}
		ftype, body = b.decl.Type, b.decl.Body
		callee = &frame{pkg: b.pkg, body: body, args: map[*types.Var]binding{}}
	} else if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok {
		v, _ := fr.pkg.info.Uses[id].(*types.Var)
		if v == nil {
			return nil, fmt.Errorf("cannot follow the call of %s", id.Name)
		}
		srcs, err := p.sources(fr, v)
		if err != nil || len(srcs) != 1 {
			return nil, fmt.Errorf("cannot follow the call of %s", id.Name)
		}
		lit, ok := ast.Unparen(srcs[0].expr).(*ast.FuncLit)
		if !ok {
			return nil, fmt.Errorf("cannot follow the call of %s", id.Name)
		}
		// A closure reads the enclosing function's variables: keep its body for them.
		ftype, body = lit.Type, lit.Body
		callee = &frame{pkg: fr.pkg, body: fr.body, args: map[*types.Var]binding{}}
	} else {
		return nil, fmt.Errorf("cannot follow the call %s", render(p.fset, call))
	}
	i := 0
	for _, f := range ftype.Params.List {
		for _, name := range f.Names {
			if i < len(call.Args) {
				if v, ok := callee.pkg.info.Defs[name].(*types.Var); ok {
					callee.args[v] = binding{expr: call.Args[i], fr: fr}
				}
			}
			i++
		}
	}
	var out []binding
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false // its returns are its own
		case *ast.ReturnStmt:
			if len(n.Results) > 0 {
				out = append(out, binding{expr: n.Results[0], fr: callee})
			}
		}
		return true
	})
	if len(out) == 0 {
		return nil, fmt.Errorf("the function called at %s returns nothing this analysis can read", p.fset.Position(call.Pos()))
	}
	return out, nil
}
