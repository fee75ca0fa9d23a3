package awscalls

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"sort"
	"strings"
)

// Usage is what the code reachable from some roots does with AWS.
type Usage struct {
	// Actions maps each IAM action the code can need ("dynamodb:PutItem") to the places that need it.
	Actions map[string][]token.Position
	// TableQueries lists the DynamoDB queries and scans of the table itself.
	TableQueries []token.Position
	// IndexQueries lists the DynamoDB queries and scans on a secondary index; IAM authorises them on
	// the index's ARN (table/<name>/index/<index>), not the table's.
	IndexQueries []token.Position
	// Deletes lists every DynamoDB delete (DeleteItem or a transaction's Delete).
	Deletes []Delete
	// Writes lists every DynamoDB write (put, update, delete, condition check; single or in a
	// transaction) with the partitions it can write in.
	Writes []Write
	// Unmapped lists AWS SDK calls that Reach cannot turn into IAM actions (a waiter, say); a caller
	// should treat any as a failure.
	Unmapped []string
	// Funcs is the number of reachable function bodies.
	Funcs int
}

// ActionNames returns the actions, sorted.
func (u Usage) ActionNames() []string {
	out := make([]string, 0, len(u.Actions))
	for a := range u.Actions {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Delete is one DynamoDB delete in the code.
type Delete struct {
	// At is where the delete's input is built.
	At token.Position
	// Partition is the constant start of the partition key of every item the delete can target, e.g.
	// "ORDER#", read from the code that builds the key.
	Partition string
	// Err says why Partition could not be read; the delete might then target any item.
	Err error
}

// SDK packages and the IAM service prefixes of their clients.
const (
	sdkServicePrefix = "github.com/aws/aws-sdk-go-v2/service/"
	dynamoTypesPath  = sdkServicePrefix + "dynamodb/types"
	dynamoPath       = sdkServicePrefix + "dynamodb"
)

// handSigned maps the module's own calls of AWS APIs made without an SDK service client (it signs
// the request with the SDK's signer: see awsenv/awspost) to the IAM action each needs, by the
// function's full name.
var handSigned = map[string]string{
	"(refundflow/awsenv/lambdainvoke.Client).Invoke": "lambda:InvokeFunction",
	"(*refundflow/mail/sesmail.Sender).send":         "ses:SendEmail",
}

// iamPrefix maps an SDK service package name to its IAM service prefix where the two differ.
var iamPrefix = map[string]string{"sfn": "states", "sesv2": "ses"}

// transactionParts are the DynamoDB types of transaction items and the single-item actions IAM checks
// for them (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
var transactionParts = map[string]string{
	"Put":            "dynamodb:PutItem",
	"Update":         "dynamodb:UpdateItem",
	"Delete":         "dynamodb:DeleteItem",
	"ConditionCheck": "dynamodb:ConditionCheckItem",
	"Get":            "dynamodb:GetItem",
}

// transactionOps are operations that need no permission of their own: IAM authorises each part.
var transactionOps = map[string]bool{"dynamodb:TransactWriteItems": true, "dynamodb:TransactGetItems": true}

// Reach walks everything that can run from roots and reports what it does with AWS. hashKey is the
// table's partition key attribute (for reading which items a delete targets).
func (p *Program) Reach(hashKey string, roots ...*types.Func) Usage {
	w := &walker{
		p: p, hashKey: hashKey,
		seen:      map[*types.Func]bool{},
		abstract:  map[*types.Func]bool{},
		concrete:  map[*types.Named]bool{},
		u:         Usage{Actions: map[string][]token.Position{}},
		unmappedS: map[string]bool{},
	}
	for _, r := range roots {
		w.enqueue(r.Origin())
		if sig, ok := r.Type().(*types.Signature); ok && sig.Recv() != nil {
			// A root method runs on a value of its receiver type, so that type exists.
			w.instantiate(sig.Recv().Type())
		}
	}
	for {
		for len(w.queue) > 0 {
			fn := w.queue[len(w.queue)-1]
			w.queue = w.queue[:len(w.queue)-1]
			w.visit(fn)
		}
		if !w.dispatch() {
			break
		}
	}
	w.u.Funcs = len(w.seen)
	sort.Strings(w.u.Unmapped)
	return w.u
}

// walker holds one Reach's state.
type walker struct {
	p       *Program
	hashKey string
	seen    map[*types.Func]bool
	queue   []*types.Func
	// abstract holds the interface methods called; concrete the module types the code constructs.
	abstract  map[*types.Func]bool
	concrete  map[*types.Named]bool
	u         Usage
	unmappedS map[string]bool
}

// enqueue schedules a module function with a body for a visit.
func (w *walker) enqueue(fn *types.Func) {
	if w.seen[fn] {
		return
	}
	if _, ok := w.p.decls[fn]; !ok {
		return
	}
	w.seen[fn] = true
	w.queue = append(w.queue, fn)
}

// instantiate records that a value of t (a module named type, or a pointer to one) exists.
func (w *walker) instantiate(t types.Type) {
	if ptr, ok := t.(*types.Pointer); ok {
		t = ptr.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil || w.p.pkgs[n.Obj().Pkg().Path()] == nil {
		return
	}
	w.concrete[n.Origin()] = true
}

// action records an IAM action needed at pos.
func (w *walker) action(name string, pos token.Pos) {
	if transactionOps[name] {
		return
	}
	if list := w.u.Actions[name]; len(list) < 5 {
		w.u.Actions[name] = append(list, w.p.fset.Position(pos))
	}
}

// visit walks one function body.
func (w *walker) visit(fn *types.Func) {
	b := w.p.decls[fn]
	info := b.pkg.info
	var inspect func(n ast.Node) bool
	inspect = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.IfStmt:
			if w.p.alwaysFalse(b.pkg, n.Cond) {
				// A test-only switch: the branch never runs in a function built from this code.
				for _, part := range []ast.Node{n.Init, n.Cond, n.Else} {
					if part != nil {
						ast.Inspect(part, inspect)
					}
				}
				return false
			}
		case *ast.Ident:
			if f, ok := info.Uses[n].(*types.Func); ok {
				w.use(f.Origin(), n.Pos())
			}
		case *ast.CompositeLit:
			if tv, ok := info.Types[n]; ok {
				w.instantiate(tv.Type)
				w.literal(b.pkg, b.decl.Body, n, tv.Type)
			}
		case *ast.CallExpr:
			// new(T) makes a T too.
			if id, ok := ast.Unparen(n.Fun).(*ast.Ident); ok && len(n.Args) == 1 {
				if _, ok := info.Uses[id].(*types.Builtin); ok && id.Name == "new" {
					if tv, ok := info.Types[n.Args[0]]; ok {
						w.instantiate(tv.Type)
					}
				}
			}
		}
		return true
	}
	ast.Inspect(b.decl.Body, inspect)
}

// use handles a reference to a function or method: a module function is walked, an interface
// method is remembered for dispatch, an SDK operation becomes an action.
func (w *walker) use(f *types.Func, pos token.Pos) {
	if svc, op, ok := sdkOperation(f); ok {
		w.action(iamAction(svc, op), pos)
	}
	if a, ok := handSigned[f.FullName()]; ok {
		w.action(a, pos)
	}
	sig := f.Type().(*types.Signature)
	if recv := sig.Recv(); recv != nil && types.IsInterface(recv.Type()) {
		w.abstract[f] = true
		return
	}
	if pk := f.Pkg(); pk != nil && strings.HasPrefix(pk.Path(), sdkServicePrefix) {
		name := f.Name()
		if op, ok := strings.CutPrefix(name, "New"); ok && strings.HasSuffix(op, "Paginator") {
			w.action(iamAction(serviceOf(pk.Path()), strings.TrimSuffix(op, "Paginator")), pos)
		} else if strings.HasSuffix(name, "Waiter") && strings.HasPrefix(name, "New") {
			w.unmapped(fmt.Sprintf("%s.%s at %s", pk.Path(), name, w.p.fset.Position(pos)))
		}
	}
	w.enqueue(f)
}

// unmapped records an SDK call without a known IAM action.
func (w *walker) unmapped(s string) {
	if !w.unmappedS[s] {
		w.unmappedS[s] = true
		w.u.Unmapped = append(w.u.Unmapped, s)
	}
}

// dispatch resolves every interface method called so far to the methods of the module types
// constructed so far. It reports whether it scheduled anything new.
func (w *walker) dispatch() bool {
	before := len(w.queue)
	for m := range w.abstract {
		iface := interfaceOf(m)
		if iface == nil {
			continue
		}
		for n := range w.concrete {
			for _, t := range []types.Type{n, types.NewPointer(n)} {
				if !types.Implements(t, iface) {
					continue
				}
				if impl, ok := lookupMethod(t, m); ok {
					w.enqueue(impl.Origin())
				}
				break
			}
		}
	}
	return len(w.queue) > before
}

// interfaceOf returns the interface an abstract method belongs to (a type parameter's constraint for
// a method called on a type parameter).
func interfaceOf(m *types.Func) *types.Interface {
	recv := m.Type().(*types.Signature).Recv()
	if recv == nil {
		return nil
	}
	t := recv.Type()
	if tp, ok := t.(*types.TypeParam); ok {
		t = tp.Constraint()
	}
	iface, _ := t.Underlying().(*types.Interface)
	return iface
}

// lookupMethod finds t's method with m's name.
func lookupMethod(t types.Type, m *types.Func) (*types.Func, bool) {
	obj, _, _ := types.LookupFieldOrMethod(t, true, m.Pkg(), m.Name())
	f, ok := obj.(*types.Func)
	return f, ok
}

// sdkOperation reports whether f is an AWS SDK v2 operation: a method Op(ctx, *svc.OpInput, ...)
// of a service client, or of an interface shaped like one.
func sdkOperation(f *types.Func) (service, op string, ok bool) {
	sig, _ := f.Type().(*types.Signature)
	if sig == nil || sig.Recv() == nil || sig.Params().Len() < 2 {
		return "", "", false
	}
	ptr, isPtr := sig.Params().At(1).Type().(*types.Pointer)
	if !isPtr {
		return "", "", false
	}
	in, isNamed := types.Unalias(ptr.Elem()).(*types.Named)
	if !isNamed || in.Obj().Pkg() == nil || in.Obj().Name() != f.Name()+"Input" {
		return "", "", false
	}
	path := in.Obj().Pkg().Path()
	if !strings.HasPrefix(path, sdkServicePrefix) {
		return "", "", false
	}
	return serviceOf(path), f.Name(), true
}

// serviceOf returns the service package name of an SDK service package path.
func serviceOf(path string) string {
	s := strings.TrimPrefix(path, sdkServicePrefix)
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	return s
}

// iamAction names the IAM action of an SDK service operation.
func iamAction(service, op string) string {
	if p, ok := iamPrefix[service]; ok {
		service = p
	}
	return service + ":" + op
}

// named returns the package path and name of t (through one pointer), or "" when it is not named.
func named(t types.Type) (path, name string) {
	if ptr, ok := t.(*types.Pointer); ok {
		t = ptr.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return "", ""
	}
	return n.Obj().Pkg().Path(), n.Obj().Name()
}

// writeInputs maps the single-item write inputs to their actions.
var writeInputs = map[string]string{
	"PutItemInput":    "dynamodb:PutItem",
	"UpdateItemInput": "dynamodb:UpdateItem",
	"DeleteItemInput": "dynamodb:DeleteItem",
}

// literal inspects a composite literal of an SDK type: transaction parts, index queries, writes and
// deletes. body is the function body the literal is in.
func (w *walker) literal(pk *pkg, body *ast.BlockStmt, lit *ast.CompositeLit, t types.Type) {
	path, name := named(t)
	switch {
	case path == dynamoTypesPath && transactionParts[name] != "":
		w.action(transactionParts[name], lit.Pos())
		switch name {
		case "Put":
			w.write(pk, body, lit, transactionParts[name], "Item")
		case "Update", "Delete", "ConditionCheck":
			w.write(pk, body, lit, transactionParts[name], "Key")
		}
		if name == "Delete" {
			w.delete(pk, lit)
		}
	case path == dynamoPath && (name == "QueryInput" || name == "ScanInput"):
		if field(lit, "IndexName") != nil {
			w.u.IndexQueries = append(w.u.IndexQueries, w.p.fset.Position(lit.Pos()))
		} else {
			w.u.TableQueries = append(w.u.TableQueries, w.p.fset.Position(lit.Pos()))
		}
	case path == dynamoPath && writeInputs[name] != "":
		keyField := "Key"
		if name == "PutItemInput" {
			keyField = "Item"
		}
		w.write(pk, body, lit, writeInputs[name], keyField)
		if name == "DeleteItemInput" {
			w.delete(pk, lit)
		}
	}
}

// field returns the value of a keyed field in a struct literal.
func field(lit *ast.CompositeLit, name string) ast.Expr {
	for _, e := range lit.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok && id.Name == name {
				return kv.Value
			}
		}
	}
	return nil
}

// delete records a delete and the partition it targets.
func (w *walker) delete(pk *pkg, lit *ast.CompositeLit) {
	d := Delete{At: w.p.fset.Position(lit.Pos())}
	if key := field(lit, "Key"); key == nil {
		d.Err = fmt.Errorf("the delete has no Key field")
	} else {
		d.Partition, d.Err = w.p.partition(&frame{pkg: pk}, key, w.hashKey, 0)
	}
	w.u.Deletes = append(w.u.Deletes, d)
}
