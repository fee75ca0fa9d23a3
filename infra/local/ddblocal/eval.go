package ddblocal

import (
	"slices"
	"strconv"
	"strings"
)

// resolve returns the value at path in item, or nil when there is none.
func resolve(item Item, path docPath) *Value {
	v := item[path[0].name]
	for _, part := range path[1:] {
		if v == nil {
			return nil
		}
		switch {
		case part.isIndex && v.kind == kindL:
			if part.index >= len(v.list) {
				return nil
			}
			v = v.list[part.index]
		case !part.isIndex && v.kind == kindM:
			v = v.m[part.name]
		default:
			return nil
		}
	}
	return v
}

// operandValue evaluates a condition operand; nil means "no value" (a missing attribute, or the
// size of one).
func operandValue(item Item, o operand) *Value {
	switch o := o.(type) {
	case valueOperand:
		return o.v
	case pathOperand:
		return resolve(item, o.path)
	case sizeOperand:
		v := resolve(item, o.path)
		if v == nil {
			return nil
		}
		n := -1
		switch v.kind {
		case kindS, kindB:
			n = len(v.str)
		case kindSS, kindNS, kindBS:
			n = len(v.set)
		case kindL:
			n = len(v.list)
		case kindM:
			n = len(v.m)
		}
		if n < 0 {
			return nil // size of a number, boolean or null: no value, so no comparison holds
		}
		return nValue(strconv.Itoa(n))
	}
	return nil
}

// match evaluates a condition against an item (an empty item for one that does not exist).
func match(item Item, c cond) bool {
	switch c := c.(type) {
	case andCond:
		return match(item, c.a) && match(item, c.b)
	case orCond:
		return match(item, c.a) || match(item, c.b)
	case notCond:
		return !match(item, c.c)
	case cmpCond:
		return compare(c.op, operandValue(item, c.a), operandValue(item, c.b))
	case betweenCond:
		x := operandValue(item, c.x)
		return compare(">=", x, operandValue(item, c.lo)) && compare("<=", x, operandValue(item, c.hi))
	case inCond:
		x := operandValue(item, c.x)
		for _, o := range c.list {
			if compare("=", x, operandValue(item, o)) {
				return true
			}
		}
		return false
	case funcCond:
		return matchFunction(item, c)
	}
	return false
}

// compare applies a comparator: values of different types (or a missing value) are never equal and
// never ordered; only S, N and B are ordered.
func compare(op string, a, b *Value) bool {
	if op == "<>" {
		return !compare("=", a, b)
	}
	if a == nil || b == nil || a.kind != b.kind {
		return false
	}
	if op == "=" {
		return equal(a, b)
	}
	if !a.isScalarKey() {
		return false
	}
	c := compareScalars(a, b)
	switch op {
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

func matchFunction(item Item, c funcCond) bool {
	switch c.name {
	case "attribute_exists":
		return operandValue(item, c.args[0]) != nil
	case "attribute_not_exists":
		return operandValue(item, c.args[0]) == nil
	case "attribute_type":
		v, t := operandValue(item, c.args[0]), operandValue(item, c.args[1])
		return v != nil && t != nil && v.kind.String() == t.str
	case "begins_with":
		v, prefix := operandValue(item, c.args[0]), operandValue(item, c.args[1])
		if v == nil || prefix == nil || v.kind != prefix.kind || (v.kind != kindS && v.kind != kindB) {
			return false
		}
		return strings.HasPrefix(v.str, prefix.str)
	case "contains":
		v, x := operandValue(item, c.args[0]), operandValue(item, c.args[1])
		if v == nil || x == nil {
			return false
		}
		switch v.kind {
		case kindS:
			return x.kind == kindS && strings.Contains(v.str, x.str)
		case kindB:
			return x.kind == kindB && strings.Contains(v.str, x.str)
		case kindSS:
			return x.kind == kindS && slices.Contains(v.set, x.str)
		case kindNS:
			return x.kind == kindN && slices.Contains(v.set, x.str)
		case kindBS:
			return x.kind == kindB && slices.Contains(v.set, x.str)
		case kindL:
			for _, e := range v.list {
				if equal(e, x) {
					return true
				}
			}
		}
		return false
	}
	return false
}

// errInvalidPath is DynamoDB's answer to an update whose path cannot be applied to the item.
func errInvalidPath() error {
	return validationf("The document path provided in the update expression is invalid for update")
}

func errOperandType() error {
	return validationf("An operand in the update expression has an incorrect data type")
}

// setValue evaluates the right-hand side of a SET action against the item before the update.
func setValue(item Item, o operand) (*Value, error) {
	switch o := o.(type) {
	case valueOperand:
		return o.v, nil
	case pathOperand:
		v := resolve(item, o.path)
		if v == nil {
			return nil, validationf("The provided expression refers to an attribute that does not exist in the item")
		}
		return v, nil
	case ifNotExists:
		if v := resolve(item, o.path); v != nil {
			return v, nil
		}
		return setValue(item, o.def)
	case listAppend:
		a, err := setValue(item, o.a)
		if err != nil {
			return nil, err
		}
		b, err := setValue(item, o.b)
		if err != nil {
			return nil, err
		}
		if a.kind != kindL || b.kind != kindL {
			return nil, errOperandType()
		}
		return &Value{kind: kindL, list: slices.Concat(a.list, b.list)}, nil
	case arith:
		a, err := setValue(item, o.a)
		if err != nil {
			return nil, err
		}
		b, err := setValue(item, o.b)
		if err != nil {
			return nil, err
		}
		if a.kind != kindN || b.kind != kindN {
			return nil, errOperandType()
		}
		n, err := addNumbers(a.str, b.str, o.minus)
		if err != nil {
			return nil, err
		}
		return nValue(n), nil
	}
	return nil, errOperandType()
}

// applyUpdate returns the item after the actions; old is not changed. Every value is computed from
// old, as DynamoDB does.
func applyUpdate(old Item, actions []updateAction) (Item, error) {
	values := make([]*Value, len(actions))
	for i, a := range actions {
		if a.verb == "SET" {
			v, err := setValue(old, a.value)
			if err != nil {
				return nil, err
			}
			values[i] = v
		}
	}
	item := old.clone()
	for i, a := range actions {
		var err error
		switch a.verb {
		case "SET":
			err = setPath(item, a.path, values[i].clone())
		case "REMOVE":
			err = removePath(item, a.path)
		case "ADD":
			err = addPath(item, a.path, a.value.(valueOperand).v)
		case "DELETE":
			err = deletePath(item, a.path, a.value.(valueOperand).v)
		}
		if err != nil {
			return nil, err
		}
	}
	return item, nil
}

// parentOf returns the container of the path's last part (an item as a map value for a top-level
// attribute), or an error when it does not exist or has the wrong type.
func parentOf(item Item, path docPath) (*Value, error) {
	if len(path) == 1 {
		return &Value{kind: kindM, m: item}, nil
	}
	parent := resolve(item, path[:len(path)-1])
	last := path[len(path)-1]
	if parent == nil || last.isIndex && parent.kind != kindL || !last.isIndex && parent.kind != kindM {
		return nil, errInvalidPath()
	}
	return parent, nil
}

func setPath(item Item, path docPath, v *Value) error {
	parent, err := parentOf(item, path)
	if err != nil {
		return err
	}
	last := path[len(path)-1]
	if last.isIndex {
		if last.index >= len(parent.list) {
			parent.list = append(parent.list, v) // past the end: appended, as DynamoDB does
		} else {
			parent.list[last.index] = v
		}
		return nil
	}
	parent.m[last.name] = v
	return nil
}

func removePath(item Item, path docPath) error {
	parent, err := parentOf(item, path)
	if err != nil {
		return err
	}
	last := path[len(path)-1]
	if last.isIndex {
		if last.index < len(parent.list) {
			parent.list = slices.Delete(parent.list, last.index, last.index+1)
		}
		return nil
	}
	delete(parent.m, last.name)
	return nil
}

func addPath(item Item, path docPath, v *Value) error {
	parent, err := parentOf(item, path)
	if err != nil {
		return err
	}
	cur := resolve(item, path)
	var next *Value
	switch {
	case cur == nil:
		next = v.clone()
	case cur.kind == kindN && v.kind == kindN:
		n, err := addNumbers(cur.str, v.str, false)
		if err != nil {
			return err
		}
		next = nValue(n)
	case cur.isSet() && cur.kind == v.kind:
		next = cur.clone()
		for _, s := range v.set {
			if !slices.Contains(next.set, s) {
				next.set = append(next.set, s)
			}
		}
	default:
		return errOperandType()
	}
	last := path[len(path)-1]
	if last.isIndex {
		if last.index >= len(parent.list) {
			parent.list = append(parent.list, next)
		} else {
			parent.list[last.index] = next
		}
		return nil
	}
	parent.m[last.name] = next
	return nil
}

func deletePath(item Item, path docPath, v *Value) error {
	parent, err := parentOf(item, path)
	if err != nil {
		return err
	}
	cur := resolve(item, path)
	if cur == nil {
		return nil
	}
	if cur.kind != v.kind {
		return errOperandType()
	}
	next := &Value{kind: cur.kind}
	for _, s := range cur.set {
		if !slices.Contains(v.set, s) {
			next.set = append(next.set, s)
		}
	}
	last := path[len(path)-1]
	if len(next.set) == 0 {
		return removePath(item, path) // a set cannot be empty: the attribute goes
	}
	if last.isIndex {
		parent.list[last.index] = next
		return nil
	}
	parent.m[last.name] = next
	return nil
}

// projNode is a part of a projection being built: a whole value, or the selected parts of a map
// or list.
type projNode struct {
	leaf   *Value
	kind   kind
	fields map[string]*projNode
	elems  map[int]*projNode
}

// projectItem returns the parts of item that the paths select, nested as in the item; list elements
// selected by index keep their order and close up. With no paths it returns the item itself. Stored
// values are shared, never changed.
func projectItem(item Item, paths []docPath) Item {
	if paths == nil {
		return item
	}
	root := &projNode{kind: kindM, fields: map[string]*projNode{}}
	for _, path := range paths {
		if resolve(item, path) == nil {
			continue
		}
		node, src := root, &Value{kind: kindM, m: item}
		for i, part := range path {
			var next *Value
			var child *projNode
			if part.isIndex {
				next = src.list[part.index]
				child = node.elems[part.index]
			} else {
				next = src.m[part.name]
				child = node.fields[part.name]
			}
			if child == nil {
				child = &projNode{kind: next.kind, fields: map[string]*projNode{}, elems: map[int]*projNode{}}
				if part.isIndex {
					node.elems[part.index] = child
				} else {
					node.fields[part.name] = child
				}
			}
			if i == len(path)-1 {
				child.leaf = next
			}
			node, src = child, next
		}
	}
	out := Item{}
	for name, n := range root.fields {
		out[name] = n.value()
	}
	return out
}

func (n *projNode) value() *Value {
	if n.leaf != nil {
		return n.leaf
	}
	if n.kind == kindM {
		v := &Value{kind: kindM, m: make(map[string]*Value, len(n.fields))}
		for name, c := range n.fields {
			v.m[name] = c.value()
		}
		return v
	}
	idx := make([]int, 0, len(n.elems))
	for i := range n.elems {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	v := &Value{kind: kindL, list: make([]*Value, len(idx))}
	for j, i := range idx {
		v.list[j] = n.elems[i].value()
	}
	return v
}
