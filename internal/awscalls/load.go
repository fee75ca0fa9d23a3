// Package awscalls reads the module's source to find which AWS API operations a Lambda function's
// code can reach, so that tests can hold template.yaml's IAM statements to exactly what the code calls:
// an action the code never calls is a grant too many, an action it calls and the template does not
// grant fails in AWS only.
//
// Load type-checks the module's packages from source (dependencies outside the module come from the
// compiler's export data, through `go list -export`). Program.Reach then walks every function that can
// run from some roots — a function's builder and its handler's Handle method — following static calls,
// function and method values, and interface calls to the methods of every module type the reachable
// code constructs (rapid type analysis). Along the way it records:
//
//   - calls to AWS SDK v2 service clients (dynamodb.Client.GetItem is "dynamodb:GetItem"), also when made
//     through a module interface whose method takes the SDK's input type (a test's wrapper of the
//     Step Functions client, say), and through a method value (sfnworkflow.Client's calls);
//   - DynamoDB transaction parts, which IAM authorises as their single-item actions (types.Put is
//     dynamodb:PutItem, types.ConditionCheck is dynamodb:ConditionCheckItem, ...);
//   - queries on a secondary index (IAM needs the index's ARN);
//   - every DynamoDB delete, with the partition-key prefix of the item it deletes, followed through the
//     small key-building helpers (key(orderPK(n), skOpen) deletes under "ORDER#");
//   - every DynamoDB write (put, update, delete, condition check) with the partition-key prefixes it
//     can write in, read from the key, or from the item: a struct marshalled with its partition-key
//     field set in a composite literal (every literal of the type when the struct is a parameter), a
//     local variable, a closure's parameter at each call, what a helper returns.
//
// The analysis over-approximates on purpose (a branch that never runs still counts), and it fails
// loudly on what it cannot follow (a delete whose key it cannot read), so a code change that moves
// the goalposts shows up as a failing test rather than as a silently wrong policy.
package awscalls

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
)

// Program is the module's code, type-checked from source.
type Program struct {
	fset   *token.FileSet
	module string
	pkgs   map[string]*pkg
	// order lists the module's packages in dependency order.
	order []*pkg
	decls map[*types.Func]body
	// setFields holds the struct fields that the loaded code can set to something other than false.
	setFields map[*types.Var]bool
}

// pkg is one type-checked module package.
type pkg struct {
	path  string
	types *types.Package
	info  *types.Info
	files []*ast.File
}

// body is a function declaration with the package it is in.
type body struct {
	decl *ast.FuncDecl
	pkg  *pkg
}

// listed is the part of `go list -json` output Load reads.
type listed struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Export     string
	ImportMap  map[string]string
	Module     *struct {
		Path string
		Main bool
	}
	Error *struct{ Err string }
}

// Load type-checks the main module's packages among patterns and their dependencies, from source,
// running `go list` in dir (the module's directory or any directory inside it).
func Load(dir string, patterns ...string) (*Program, error) {
	args := append([]string{"list", "-deps", "-export", "-json=ImportPath,Dir,GoFiles,Export,ImportMap,Module,Error"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %v: %w\n%s", patterns, err, stderr.Bytes())
	}
	var all []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var l listed
		if err := dec.Decode(&l); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("decode go list output: %w", err)
		}
		if l.Error != nil {
			return nil, fmt.Errorf("go list: package %s: %s", l.ImportPath, l.Error.Err)
		}
		all = append(all, l)
	}

	p := &Program{fset: token.NewFileSet(), pkgs: map[string]*pkg{}, decls: map[*types.Func]body{}}
	exports := map[string]string{}
	importMaps := map[string]map[string]string{}
	for _, l := range all {
		exports[l.ImportPath] = l.Export
		importMaps[l.ImportPath] = l.ImportMap
		if l.Module != nil && l.Module.Main {
			p.module = l.Module.Path
		}
	}
	if p.module == "" {
		return nil, fmt.Errorf("go list %v: no package of the main module", patterns)
	}
	gc := importer.ForCompiler(p.fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	// go list -deps prints dependencies before the packages that import them, so every module package
	// is checked after the module packages it imports.
	for _, l := range all {
		if l.Module == nil || !l.Module.Main {
			continue
		}
		pk, err := p.check(l, gc, importMaps[l.ImportPath])
		if err != nil {
			return nil, err
		}
		p.pkgs[l.ImportPath] = pk
		p.order = append(p.order, pk)
	}
	p.findSetFields()
	return p, nil
}

// findSetFields records every struct field the loaded code may set to a value other than the
// constant false: by assignment, in a composite literal, or by taking its address. A boolean field
// outside that set is false in every program built from these packages (only tests, which are not
// loaded, can set it), so Reach does not enter the branches it guards.
func (p *Program) findSetFields() {
	p.setFields = map[*types.Var]bool{}
	for _, pk := range p.order {
		info := pk.info
		fieldOf := func(e ast.Expr) *types.Var {
			sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
			if !ok {
				return nil
			}
			if s := info.Selections[sel]; s != nil && s.Kind() == types.FieldVal {
				v, _ := s.Obj().(*types.Var)
				return v
			}
			return nil
		}
		isFalse := func(e ast.Expr) bool {
			tv, ok := info.Types[e]
			return ok && tv.Value != nil && tv.Value.Kind() == constant.Bool && !constant.BoolVal(tv.Value)
		}
		for _, f := range pk.files {
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.AssignStmt:
					for i, lhs := range n.Lhs {
						if v := fieldOf(lhs); v != nil && (len(n.Rhs) != len(n.Lhs) || !isFalse(n.Rhs[i])) {
							p.setFields[v] = true
						}
					}
				case *ast.UnaryExpr:
					if v := fieldOf(n.X); v != nil && n.Op == token.AND {
						p.setFields[v] = true
					}
				case *ast.CompositeLit:
					st, ok := info.Types[n].Type.Underlying().(*types.Struct)
					if !ok {
						return true
					}
					for i, el := range n.Elts {
						kv, keyed := el.(*ast.KeyValueExpr)
						switch {
						case !keyed && i < st.NumFields():
							p.setFields[st.Field(i)] = true
						case keyed:
							if id, ok := kv.Key.(*ast.Ident); ok {
								if v, ok := info.Uses[id].(*types.Var); ok && !isFalse(kv.Value) {
									p.setFields[v] = true
								}
							}
						}
					}
				}
				return true
			})
		}
	}
}

// alwaysFalse reports whether cond reads a boolean struct field that the loaded code never sets.
func (p *Program) alwaysFalse(pk *pkg, cond ast.Expr) bool {
	sel, ok := ast.Unparen(cond).(*ast.SelectorExpr)
	if !ok {
		return false
	}
	s := pk.info.Selections[sel]
	if s == nil || s.Kind() != types.FieldVal {
		return false
	}
	v, ok := s.Obj().(*types.Var)
	if !ok || v.Pkg() == nil || p.pkgs[v.Pkg().Path()] == nil {
		return false
	}
	basic, ok := v.Type().Underlying().(*types.Basic)
	return ok && basic.Kind() == types.Bool && !p.setFields[v]
}

// moduleImporter hands out the source-checked module packages and export data for the rest.
type moduleImporter struct {
	p         *Program
	gc        types.Importer
	importMap map[string]string
}

// Import returns the package at path.
func (m moduleImporter) Import(path string) (*types.Package, error) {
	if mapped, ok := m.importMap[path]; ok {
		path = mapped
	}
	if pk, ok := m.p.pkgs[path]; ok {
		return pk.types, nil
	}
	return m.gc.Import(path)
}

// check parses and type-checks one module package.
func (p *Program) check(l listed, gc types.Importer, importMap map[string]string) (*pkg, error) {
	pk := &pkg{path: l.ImportPath, info: &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Defs:       map[*ast.Ident]types.Object{},
		Uses:       map[*ast.Ident]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
		Instances:  map[*ast.Ident]types.Instance{},
	}}
	for _, name := range l.GoFiles {
		f, err := parser.ParseFile(p.fset, filepath.Join(l.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		pk.files = append(pk.files, f)
	}
	var firstErr error
	conf := types.Config{
		Importer: moduleImporter{p: p, gc: gc, importMap: importMap},
		Error: func(err error) {
			if firstErr == nil {
				firstErr = err
			}
		},
	}
	tp, _ := conf.Check(l.ImportPath, p.fset, pk.files, pk.info)
	if firstErr != nil {
		return nil, fmt.Errorf("type-check %s: %w", l.ImportPath, firstErr)
	}
	pk.types = tp
	for _, f := range pk.files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			if fn, ok := pk.info.Defs[fd.Name].(*types.Func); ok {
				p.decls[fn] = body{decl: fd, pkg: pk}
			}
		}
	}
	return pk, nil
}

// Module returns the main module's path, e.g. "refundflow".
func (p *Program) Module() string { return p.module }

// Func returns the package-level function name of the module package pkgPath.
func (p *Program) Func(pkgPath, name string) (*types.Func, error) {
	pk, ok := p.pkgs[pkgPath]
	if !ok {
		return nil, fmt.Errorf("package %s is not loaded", pkgPath)
	}
	fn, ok := pk.types.Scope().Lookup(name).(*types.Func)
	if !ok {
		return nil, fmt.Errorf("%s.%s is not a function", pkgPath, name)
	}
	return fn, nil
}

// Method returns the method name of the named type t (or of *t).
func Method(t types.Type, name string) (*types.Func, error) {
	obj, _, _ := types.LookupFieldOrMethod(t, true, nil, name)
	fn, ok := obj.(*types.Func)
	if !ok {
		return nil, fmt.Errorf("%s has no method %s", t, name)
	}
	return fn, nil
}

// Registration is a function registered in a registry by key.
type Registration struct {
	// Key is the registry key (a function's logical ID).
	Key string
	// Func is the registered function (a builder).
	Func *types.Func
	// At is where the registration is.
	At token.Position
}

// Registrations finds, in the module package pkgPath, every call wrap(F) whose result is stored under
// a constant string key — `Registry[key] = wrap(F)` or `{key: wrap(F)}` in a map literal — where wrap
// is the package's function wrapName (possibly generic: wrap[I, O](F)) and F names a function. It is
// how the template tests learn which builder each function's logical ID has without running anything.
func (p *Program) Registrations(pkgPath, wrapName string) ([]Registration, error) {
	pk, ok := p.pkgs[pkgPath]
	if !ok {
		return nil, fmt.Errorf("package %s is not loaded", pkgPath)
	}
	wrap, ok := pk.types.Scope().Lookup(wrapName).(*types.Func)
	if !ok {
		return nil, fmt.Errorf("%s.%s is not a function", pkgPath, wrapName)
	}
	var out []Registration
	var problems []error
	record := func(keyExpr, value ast.Expr) {
		call, ok := ast.Unparen(value).(*ast.CallExpr)
		if !ok || len(call.Args) != 1 || p.callee(pk, call) != wrap {
			return
		}
		tv := pk.info.Types[keyExpr]
		if tv.Value == nil {
			problems = append(problems, fmt.Errorf("%s: registration key is not a constant", p.fset.Position(keyExpr.Pos())))
			return
		}
		fn, ok := p.funcRef(pk, call.Args[0])
		if !ok {
			problems = append(problems, fmt.Errorf("%s: %s's argument does not name a function", p.fset.Position(call.Pos()), wrapName))
			return
		}
		out = append(out, Registration{Key: constantString(tv), Func: fn, At: p.fset.Position(call.Pos())})
	}
	for _, f := range pk.files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					if ix, ok := lhs.(*ast.IndexExpr); ok && i < len(n.Rhs) {
						record(ix.Index, n.Rhs[i])
					}
				}
			case *ast.KeyValueExpr:
				record(n.Key, n.Value)
			}
			return true
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, errors.Join(problems...)
}

// callee returns the function a call calls statically (generic instantiations as their origin), or
// nil for calls of function values, conversions and builtins.
func (p *Program) callee(pk *pkg, call *ast.CallExpr) *types.Func {
	fn, _ := p.funcRef(pk, call.Fun)
	return fn
}

// funcRef returns the function an expression names: f, pkg.F, x.M, f[T] or pkg.F[T1, T2].
func (p *Program) funcRef(pk *pkg, e ast.Expr) (*types.Func, bool) {
	e = ast.Unparen(e)
	switch x := e.(type) {
	case *ast.IndexExpr:
		e = x.X
	case *ast.IndexListExpr:
		e = x.X
	}
	var id *ast.Ident
	switch x := e.(type) {
	case *ast.Ident:
		id = x
	case *ast.SelectorExpr:
		id = x.Sel
	default:
		return nil, false
	}
	fn, ok := pk.info.Uses[id].(*types.Func)
	if !ok {
		return nil, false
	}
	return fn.Origin(), true
}

// constantString returns a constant expression's string value, or its Go spelling when it is not a
// string.
func constantString(tv types.TypeAndValue) string {
	if tv.Value.Kind() == constant.String {
		return constant.StringVal(tv.Value)
	}
	return tv.Value.ExactString()
}

// Site is a call in the module's code.
type Site struct {
	// At is where the call is.
	At token.Position
	// Callee is the function called.
	Callee *types.Func
	// In is the function declaration the call is in (nil at package level).
	In *types.Func
}

// CallSites returns every call in the loaded module packages of a function or method whose
// types.Func.FullName is among names, e.g. "(*log/slog.Logger).Info" or "log/slog.Info".
func (p *Program) CallSites(names ...string) []Site {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []Site
	for _, pk := range p.order {
		for _, f := range pk.files {
			var in *types.Func
			ast.Inspect(f, func(n ast.Node) bool {
				if fd, ok := n.(*ast.FuncDecl); ok {
					in, _ = pk.info.Defs[fd.Name].(*types.Func)
				}
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if fn := p.callee(pk, call); fn != nil && want[fn.FullName()] {
					out = append(out, Site{At: p.fset.Position(call.Pos()), Callee: fn, In: in})
				}
				return true
			})
		}
	}
	return out
}
