package asl

import (
	"fmt"
)

// OptPath is an optional path field (InputPath, OutputPath, ResultPath): it
// tells apart a field left out (Set false: the default "$") from an explicit
// JSON null (Null true: discard) and a path.
type OptPath struct {
	// Set is true when the field appears in the definition.
	Set bool
	// Null is true when the field is the JSON literal null.
	Null bool
	// Path is the path text when Set and not Null.
	Path string
}

// PathOf returns an OptPath holding a path, for callers building states in Go.
func PathOf(p string) OptPath { return OptPath{Set: true, Path: p} }

// NullPath returns an OptPath holding an explicit null.
func NullPath() OptPath { return OptPath{Set: true, Null: true} }

// String renders the field as it would appear in a definition.
func (p OptPath) String() string {
	switch {
	case !p.Set:
		return "$"
	case p.Null:
		return "null"
	}
	return p.Path
}

// Apply applies an InputPath or OutputPath to a value: absent means "$" (the
// whole value), null means an empty object {}, and a path selects part of the
// value. A definite path that selects nothing is a States.Runtime error worded
// as AWS words it: "Invalid path '$.x' : No results for path: $['x']". The
// result shares structure with input; treat it as read-only.
func (p OptPath) Apply(input any) (any, error) {
	return p.ApplyWithContext(input, nil)
}

// ApplyWithContext is Apply for paths that may start with "$$" (the context
// object).
func (p OptPath) ApplyWithContext(input, ctx any) (any, error) {
	switch {
	case !p.Set:
		return input, nil
	case p.Null:
		return map[string]any{}, nil
	}
	path, err := cachedPath(p.Path)
	if err != nil {
		return nil, errorf(ErrRuntime, "%v", err)
	}
	root := input
	if path.Context() {
		root = ctx
	}
	if !path.Definite() {
		return path.Eval(root)
	}
	v, missing := path.lookup(root)
	if missing != "" {
		return nil, errorf(ErrRuntime, "Invalid path '%s' : %s", p.Path, missing)
	}
	return v, nil
}

// ApplyResultPath combines a state's input with its result as ResultPath says:
// absent ("$") gives the result alone, null keeps the input and discards the
// result, and a reference path like "$.a.b" returns a copy of the input with
// the result stored there, creating missing objects on the way. The input is
// never modified: only the objects on the path are copied. A path that runs
// into a value that is not an object (or an array index out of range) is a
// States.ResultPathMatchFailure.
func ApplyResultPath(rp OptPath, input, result any) (any, error) {
	switch {
	case !rp.Set:
		return result, nil
	case rp.Null:
		return input, nil
	}
	path, err := cachedPath(rp.Path)
	if err != nil || !path.reference() || path.Context() {
		return nil, errorf(ErrRuntime, "invalid ResultPath %q", rp.Path)
	}
	if path.Root() {
		return result, nil
	}
	out, err := setPath(input, path.segs, result)
	if err != nil {
		return nil, errorf(ErrResultPathMatchFailure,
			"Unable to apply ResultPath \"%s\" to input \"%s\": %v", rp.Path, mustEncode(input), err)
	}
	return out, nil
}

// setPath returns a copy of cur with v stored at the definite path segs,
// copying only the containers on the path.
func setPath(cur any, segs []segment, v any) (any, error) {
	if len(segs) == 0 {
		return v, nil
	}
	s := segs[0]
	switch s.kind {
	case segName:
		var m map[string]any
		switch t := cur.(type) {
		case map[string]any:
			m = make(map[string]any, len(t)+1)
			for k, e := range t {
				m[k] = e
			}
		case nil:
			// A missing member on the way is created as an object, as AWS does
			// for "$.a.b" when "a" is absent; an explicit null is not an object.
			return nil, fmt.Errorf("cannot set %q on null", s.names[0])
		default:
			return nil, fmt.Errorf("cannot set %q on a %s", s.names[0], typeName(cur))
		}
		child, ok := m[s.names[0]]
		if !ok {
			child = map[string]any{}
		}
		nv, err := setPath(child, segs[1:], v)
		if err != nil {
			return nil, err
		}
		m[s.names[0]] = nv
		return m, nil
	case segIndex:
		a, ok := cur.([]any)
		if !ok {
			return nil, fmt.Errorf("cannot index a %s", typeName(cur))
		}
		i := s.indexes[0]
		if i < 0 {
			i += len(a)
		}
		if i < 0 || i >= len(a) {
			return nil, fmt.Errorf("index %d out of range", s.indexes[0])
		}
		c := make([]any, len(a))
		copy(c, a)
		nv, err := setPath(c[i], segs[1:], v)
		if err != nil {
			return nil, err
		}
		c[i] = nv
		return c, nil
	}
	return nil, fmt.Errorf("not a reference path")
}
