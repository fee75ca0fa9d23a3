package ddblocal

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// kind is an attribute value's DynamoDB data type.
type kind uint8

const (
	kindS kind = iota + 1
	kindN
	kindB
	kindBOOL
	kindNULL
	kindSS
	kindNS
	kindBS
	kindL
	kindM
)

var kindNames = [...]string{"", "S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"}

func (k kind) String() string { return kindNames[k] }

// kindByName maps a type name ("S", "NS", ...) to its kind.
func kindByName(name string) (kind, bool) {
	for k, n := range kindNames {
		if n == name && k > 0 {
			return kind(k), true
		}
	}
	return 0, false
}

// Value is one attribute value. Values stored in a table are never changed in place: an update
// builds new values, so a reader holding a stored item sees it whole.
type Value struct {
	kind kind
	// str holds S, the canonical text of N, or the bytes of B.
	str string
	// boolean holds BOOL's value (NULL is always true).
	boolean bool
	// set holds SS, NS (canonical texts) or BS (bytes), without duplicates, in the order given.
	set  []string
	list []*Value
	m    map[string]*Value
}

// Item is an item: attribute name to value.
type Item map[string]*Value

func sValue(s string) *Value { return &Value{kind: kindS, str: s} }
func nValue(n string) *Value { return &Value{kind: kindN, str: n} }

// UnmarshalJSON decodes DynamoDB's JSON form ({"S":"x"}, {"N":"1"}, {"L":[...]}, ...) and validates
// it as DynamoDB does (exactly one type, numbers, sets without duplicates and not empty).
func (v *Value) UnmarshalJSON(data []byte) error {
	var w struct {
		S    *string
		N    *string
		B    *[]byte
		BOOL *bool
		NULL *bool
		SS   *[]string
		NS   *[]string
		BS   *[][]byte
		L    *[]*Value
		M    *map[string]*Value
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	n := 0
	count := func(set bool) {
		if set {
			n++
		}
	}
	count(w.S != nil)
	count(w.N != nil)
	count(w.B != nil)
	count(w.BOOL != nil)
	count(w.NULL != nil)
	count(w.SS != nil)
	count(w.NS != nil)
	count(w.BS != nil)
	count(w.L != nil)
	count(w.M != nil)
	switch {
	case n == 0:
		return validationf("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	case n > 1:
		return validationf("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
	}
	*v = Value{}
	switch {
	case w.S != nil:
		v.kind, v.str = kindS, *w.S
	case w.N != nil:
		c, err := parseNumber(*w.N)
		if err != nil {
			return err
		}
		v.kind, v.str = kindN, c
	case w.B != nil:
		v.kind, v.str = kindB, string(*w.B)
	case w.BOOL != nil:
		v.kind, v.boolean = kindBOOL, *w.BOOL
	case w.NULL != nil:
		if !*w.NULL {
			return validationf("One or more parameter values were invalid: Null attribute value types must have the value of true")
		}
		v.kind, v.boolean = kindNULL, true
	case w.SS != nil:
		v.kind, v.set = kindSS, *w.SS
	case w.NS != nil:
		v.kind = kindNS
		v.set = make([]string, len(*w.NS))
		for i, s := range *w.NS {
			c, err := parseNumber(s)
			if err != nil {
				return err
			}
			v.set[i] = c
		}
	case w.BS != nil:
		v.kind = kindBS
		v.set = make([]string, len(*w.BS))
		for i, b := range *w.BS {
			v.set[i] = string(b)
		}
	case w.L != nil:
		v.kind, v.list = kindL, *w.L
		for _, e := range v.list {
			if e == nil {
				return validationf("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
			}
		}
	case w.M != nil:
		v.kind, v.m = kindM, *w.M
		for _, e := range v.m {
			if e == nil {
				return validationf("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
			}
		}
	}
	if v.isSet() {
		if len(v.set) == 0 {
			return validationf("One or more parameter values were invalid: An %s may not be empty", setNoun(v.kind))
		}
		seen := make(map[string]bool, len(v.set))
		for _, s := range v.set {
			if seen[s] {
				return validationf("Input collection %s contains duplicates.", v.setText())
			}
			seen[s] = true
		}
	}
	return nil
}

func setNoun(k kind) string {
	switch k {
	case kindSS:
		return "string set "
	case kindNS:
		return "number set "
	}
	return "binary set "
}

// setText shows a set as DynamoDB's messages do: [a, b].
func (v *Value) setText() string {
	parts := make([]string, len(v.set))
	for i, s := range v.set {
		if v.kind == kindBS {
			s = base64.StdEncoding.EncodeToString([]byte(s))
		}
		parts[i] = s
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (v *Value) isSet() bool { return v.kind == kindSS || v.kind == kindNS || v.kind == kindBS }

// isScalarKey reports whether the value may be a key attribute: S, N or B.
func (v *Value) isScalarKey() bool { return v.kind == kindS || v.kind == kindN || v.kind == kindB }

// equal reports whether two values are the same DynamoDB value (sets regardless of order).
func equal(a, b *Value) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case kindS, kindN, kindB:
		return a.str == b.str
	case kindBOOL, kindNULL:
		return a.boolean == b.boolean
	case kindSS, kindNS, kindBS:
		if len(a.set) != len(b.set) {
			return false
		}
		for _, s := range a.set {
			if !slices.Contains(b.set, s) {
				return false
			}
		}
		return true
	case kindL:
		if len(a.list) != len(b.list) {
			return false
		}
		for i := range a.list {
			if !equal(a.list[i], b.list[i]) {
				return false
			}
		}
		return true
	case kindM:
		if len(a.m) != len(b.m) {
			return false
		}
		for k, x := range a.m {
			if !equal(x, b.m[k]) {
				return false
			}
		}
		return true
	}
	return false
}

// compareScalars orders two values of the same scalar kind (S, N or B): strings and binaries by
// their bytes (UTF-8 for strings, as DynamoDB does), numbers by value.
func compareScalars(a, b *Value) int {
	if a.kind == kindN {
		return compareNumbers(a.str, b.str)
	}
	return strings.Compare(a.str, b.str)
}

// clone copies a value deeply.
func (v *Value) clone() *Value {
	c := *v
	if v.set != nil {
		c.set = slices.Clone(v.set)
	}
	if v.list != nil {
		c.list = make([]*Value, len(v.list))
		for i, e := range v.list {
			c.list[i] = e.clone()
		}
	}
	if v.m != nil {
		c.m = make(map[string]*Value, len(v.m))
		for k, e := range v.m {
			c.m[k] = e.clone()
		}
	}
	return &c
}

// clone copies an item deeply.
func (it Item) clone() Item {
	c := make(Item, len(it))
	for k, v := range it {
		c[k] = v.clone()
	}
	return c
}

// size is the value's size by DynamoDB's rules: a string its UTF-8 bytes, a binary its bytes, a
// number about one byte per two significant digits plus one, a boolean or null one byte, a set the
// sum of its elements, a list or map 3 bytes plus one per element plus the elements (and a map's
// names).
func (v *Value) size() int {
	switch v.kind {
	case kindS, kindB:
		return len(v.str)
	case kindN:
		return numberSize(v.str)
	case kindBOOL, kindNULL:
		return 1
	case kindSS, kindBS:
		n := 0
		for _, s := range v.set {
			n += len(s)
		}
		return n
	case kindNS:
		n := 0
		for _, s := range v.set {
			n += numberSize(s)
		}
		return n
	case kindL:
		n := 3
		for _, e := range v.list {
			n += 1 + e.size()
		}
		return n
	case kindM:
		n := 3
		for k, e := range v.m {
			n += 1 + len(k) + e.size()
		}
		return n
	}
	return 0
}

func numberSize(canonical string) int {
	// Significant digits: from the first non-zero digit to the last (sign and point not counted).
	n, first, last := 0, -1, -1
	for i := 0; i < len(canonical); i++ {
		c := canonical[i]
		if c < '0' || c > '9' {
			continue
		}
		if c != '0' {
			if first < 0 {
				first = n
			}
			last = n
		}
		n++
	}
	digits := 0
	if first >= 0 {
		digits = last - first + 1
	}
	return (digits+1)/2 + 1
}

// size is the item's size: its attribute names plus their values.
func (it Item) size() int {
	n := 0
	for k, v := range it {
		n += len(k) + v.size()
	}
	return n
}

// appendJSON appends the value in DynamoDB's JSON form.
func (v *Value) appendJSON(b []byte) []byte {
	b = append(b, `{"`...)
	b = append(b, v.kind.String()...)
	b = append(b, `":`...)
	switch v.kind {
	case kindS, kindN:
		b = appendString(b, v.str)
	case kindB:
		b = appendBase64(b, v.str)
	case kindBOOL, kindNULL:
		b = strconv.AppendBool(b, v.boolean)
	case kindSS, kindNS, kindBS:
		b = append(b, '[')
		for i, s := range v.set {
			if i > 0 {
				b = append(b, ',')
			}
			if v.kind == kindBS {
				b = appendBase64(b, s)
			} else {
				b = appendString(b, s)
			}
		}
		b = append(b, ']')
	case kindL:
		b = append(b, '[')
		for i, e := range v.list {
			if i > 0 {
				b = append(b, ',')
			}
			b = e.appendJSON(b)
		}
		b = append(b, ']')
	case kindM:
		b = appendItem(b, v.m)
	}
	return append(b, '}')
}

// appendItem appends an item (or a map's contents) as a JSON object, names in sorted order so that
// answers are repeatable.
func appendItem(b []byte, m map[string]*Value) []byte {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	b = append(b, '{')
	for i, k := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = m[k].appendJSON(b)
	}
	return append(b, '}')
}

// MarshalJSON implements json.Marshaler.
func (v *Value) MarshalJSON() ([]byte, error) { return v.appendJSON(nil), nil }

// MarshalJSON implements json.Marshaler.
func (it Item) MarshalJSON() ([]byte, error) { return appendItem(nil, it), nil }

func appendBase64(b []byte, raw string) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, []byte(raw))
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
