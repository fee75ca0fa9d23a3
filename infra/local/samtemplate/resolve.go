package samtemplate

import (
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ErrNoValue is returned (wrapped) by Resolve when a value resolves to
// AWS::NoValue, i.e. CloudFormation would leave the property out.
var ErrNoValue = errors.New("value is AWS::NoValue")

// Resolver is the environment a template is resolved in: parameter values,
// pseudo parameters, and callbacks for what only the running stack knows
// (resource names, attributes, other stacks' exports).
type Resolver struct {
	// Template supplies parameter defaults, Conditions and Mappings. It is
	// required for Ref to parameters, Fn::If and Fn::FindInMap.
	Template *Template
	// Parameters overrides parameter values by name. List parameters take
	// a comma-separated string, as on the CloudFormation command line.
	Parameters map[string]string
	// Region is AWS::Region (default us-east-1).
	Region string
	// AccountID is AWS::AccountId (default 123456789012).
	AccountID string
	// Partition is AWS::Partition (default aws).
	Partition string
	// StackName is AWS::StackName (default local).
	StackName string
	// URLSuffix is AWS::URLSuffix (default amazonaws.com).
	URLSuffix string
	// Ref returns the value of Ref for a resource's logical ID (for a table,
	// its name; for a function, its name; for a state machine, its ARN), or
	// for a resource SAM generates, named as RefProperty reads it
	// ("MyFunction.Alias": the alias ARN).
	Ref func(logicalID string) (string, error)
	// GetAtt returns a resource attribute, e.g. (MyFunction, Arn).
	GetAtt func(logicalID, attribute string) (string, error)
	// ImportValue returns another stack's export.
	ImportValue func(name string) (string, error)
}

func (env Resolver) pseudo(name string) (any, bool) {
	or := func(s, def string) string {
		if s == "" {
			return def
		}
		return s
	}
	region := or(env.Region, "us-east-1")
	account := or(env.AccountID, "123456789012")
	partition := or(env.Partition, "aws")
	stack := or(env.StackName, "local")
	switch name {
	case "AWS::Region":
		return region, true
	case "AWS::AccountId":
		return account, true
	case "AWS::Partition":
		return partition, true
	case "AWS::StackName":
		return stack, true
	case "AWS::URLSuffix":
		return or(env.URLSuffix, "amazonaws.com"), true
	case "AWS::StackId":
		return fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/%s/00000000-0000-0000-0000-000000000000", partition, region, account, stack), true
	case "AWS::NotificationARNs":
		return []any{}, true
	case "AWS::NoValue":
		return noValue{}, true
	}
	return nil, false
}

// noValue is what Ref AWS::NoValue evaluates to.
type noValue struct{}

// Check verifies the environment against the template before anything is
// resolved: every override names a parameter and passes its constraints,
// and every parameter without a default has an override.
func (env Resolver) Check() error {
	if env.Template == nil {
		return errors.New("resolver has no template")
	}
	var problems []string
	for name := range env.Parameters {
		if _, ok := env.Template.Parameters[name]; !ok {
			problems = append(problems, fmt.Sprintf("override for unknown parameter %s", name))
		}
	}
	for name := range env.Template.Parameters {
		if _, err := env.ParameterValue(name); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// ParameterValue returns a parameter's value: the override, else the
// default, checked against AllowedValues, AllowedPattern and Number.
func (env Resolver) ParameterValue(name string) (string, error) {
	if env.Template == nil {
		return "", fmt.Errorf("parameter %s: resolver has no template", name)
	}
	p, ok := env.Template.Parameters[name]
	if !ok {
		return "", fmt.Errorf("no parameter named %s", name)
	}
	v, ok := env.Parameters[name]
	if !ok {
		if !p.HasDefault {
			return "", fmt.Errorf("parameter %s has no default and no value was given", name)
		}
		v = p.Default
	}
	values := []string{v}
	if p.IsList() {
		values = splitList(v)
	}
	for _, x := range values {
		if len(p.AllowedValues) > 0 && !slices.Contains(p.AllowedValues, x) {
			return "", fmt.Errorf("parameter %s: value %q is not one of %q", name, x, p.AllowedValues)
		}
		if p.AllowedPattern != "" {
			re, err := regexp.Compile("^(?:" + p.AllowedPattern + ")$")
			if err != nil {
				return "", fmt.Errorf("parameter %s: AllowedPattern: %w", name, err)
			}
			if !re.MatchString(x) {
				return "", fmt.Errorf("parameter %s: value %q does not match AllowedPattern %s", name, x, p.AllowedPattern)
			}
		}
		if p.Type == "Number" || p.Type == "List<Number>" {
			if _, err := strconv.ParseFloat(x, 64); err != nil {
				return "", fmt.Errorf("parameter %s: value %q is not a Number", name, x)
			}
		}
	}
	return v, nil
}

func splitList(v string) []string {
	if v == "" {
		return []string{}
	}
	parts := strings.Split(v, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// Resolve evaluates v — a literal or an intrinsic function in long form —
// to a string. Numbers and booleans are formatted as CloudFormation passes
// them on. A list, a mapping or AWS::NoValue (ErrNoValue) is an error.
func Resolve(v any, env Resolver) (string, error) {
	e := &evaluator{env: env}
	out, err := e.value(v)
	if err != nil {
		return "", err
	}
	if _, ok := out.(noValue); ok {
		return "", ErrNoValue
	}
	s, ok := scalarString(out)
	if !ok {
		return "", fmt.Errorf("want a string, got %s", describe(out))
	}
	return s, nil
}

// ResolveList evaluates v to a list of strings: a literal list (whose
// elements may be intrinsics; AWS::NoValue elements are dropped), or an
// intrinsic that yields a list (Ref to a list parameter, Fn::Split, Fn::If,
// Fn::GetAZs, Fn::FindInMap).
func ResolveList(v any, env Resolver) ([]string, error) {
	e := &evaluator{env: env}
	out, err := e.value(v)
	if err != nil {
		return nil, err
	}
	list, ok := out.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list, got %s", describe(out))
	}
	res := make([]string, 0, len(list))
	for i, x := range list {
		s, ok := scalarString(x)
		if !ok {
			return nil, fmt.Errorf("[%d]: want a string, got %s", i, describe(x))
		}
		res = append(res, s)
	}
	return res, nil
}

// ResolveMap resolves each value of m to a string. Keys whose value is
// AWS::NoValue are left out. Errors start with the key.
func ResolveMap(m map[string]any, env Resolver) (map[string]string, error) {
	out := make(map[string]string, len(m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s, err := Resolve(m[k], env)
		if errors.Is(err, ErrNoValue) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = s
	}
	return out, nil
}

// ResolveValue resolves every intrinsic function inside v, however deep,
// and returns plain JSON-like data (maps, lists, strings, numbers, bools).
// Map entries and list elements that resolve to AWS::NoValue are dropped.
func ResolveValue(v any, env Resolver) (any, error) {
	e := &evaluator{env: env}
	out, err := e.value(v)
	if err != nil {
		return nil, err
	}
	if _, ok := out.(noValue); ok {
		return nil, ErrNoValue
	}
	return out, nil
}

// EvalCondition evaluates a named condition of env.Template.
func EvalCondition(name string, env Resolver) (bool, error) {
	e := &evaluator{env: env}
	return e.condition(name)
}

type evaluator struct {
	env      Resolver
	visiting map[string]bool
	done     map[string]bool
}

func (e *evaluator) value(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if isIntrinsic(x) {
			for fn, arg := range x {
				out, err := e.intrinsic(fn, arg)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", fn, err)
				}
				return out, nil
			}
		}
		if _, ok := x["Condition"]; ok && len(x) == 1 {
			//lint:ignore ST1005 Condition and Conditions are the template's case-sensitive keys
			return nil, errors.New("Condition is only valid inside Conditions")
		}
		out := make(map[string]any, len(x))
		for k, val := range x {
			r, err := e.value(val)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if _, ok := r.(noValue); ok {
				continue
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(x))
		for i, val := range x {
			r, err := e.value(val)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			if _, ok := r.(noValue); ok {
				continue
			}
			out = append(out, r)
		}
		return out, nil
	}
	return v, nil
}

// str evaluates v and requires a string (or a number/boolean literal).
func (e *evaluator) str(v any) (string, error) {
	out, err := e.value(v)
	if err != nil {
		return "", err
	}
	s, ok := scalarString(out)
	if !ok {
		return "", fmt.Errorf("want a string, got %s", describe(out))
	}
	return s, nil
}

// list evaluates v and requires a list of strings.
func (e *evaluator) list(v any) ([]string, error) {
	out, err := e.value(v)
	if err != nil {
		return nil, err
	}
	l, ok := out.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list, got %s", describe(out))
	}
	res := make([]string, 0, len(l))
	for i, x := range l {
		s, ok := scalarString(x)
		if !ok {
			return nil, fmt.Errorf("[%d]: want a string, got %s", i, describe(x))
		}
		res = append(res, s)
	}
	return res, nil
}

func args(arg any, min, max int) ([]any, error) {
	l, ok := arg.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list of arguments, got %s", describe(arg))
	}
	if len(l) < min || len(l) > max {
		if min == max {
			return nil, fmt.Errorf("want %d arguments, got %d", min, len(l))
		}
		return nil, fmt.Errorf("want %d to %d arguments, got %d", min, max, len(l))
	}
	return l, nil
}

func (e *evaluator) ref(name string) (any, error) {
	if v, ok := e.env.pseudo(name); ok {
		return v, nil
	}
	if t := e.env.Template; t != nil {
		if p, ok := t.Parameters[name]; ok {
			v, err := e.env.ParameterValue(name)
			if err != nil {
				return nil, err
			}
			if p.IsList() {
				parts := splitList(v)
				out := make([]any, len(parts))
				for i, s := range parts {
					out[i] = s
				}
				return out, nil
			}
			return v, nil
		}
	}
	if e.env.Ref == nil {
		if e.env.Template != nil {
			id, _, _ := RefProperty(name)
			if _, ok := e.env.Template.Resources[id]; !ok {
				return nil, fmt.Errorf("no parameter or resource named %s", name)
			}
		}
		return nil, fmt.Errorf("resource %s: the resolver has no Ref callback", name)
	}
	s, err := e.env.Ref(name)
	if err != nil {
		return nil, fmt.Errorf("resource %s: %w", name, err)
	}
	return s, nil
}

func (e *evaluator) getAtt(res, attr string) (string, error) {
	if e.env.GetAtt == nil {
		return "", fmt.Errorf("%s.%s: the resolver has no GetAtt callback", res, attr)
	}
	s, err := e.env.GetAtt(res, attr)
	if err != nil {
		return "", fmt.Errorf("%s.%s: %w", res, attr, err)
	}
	return s, nil
}

func (e *evaluator) intrinsic(fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("want a name, got %s", describe(arg))
		}
		return e.ref(name)
	case "Fn::GetAtt":
		var res, attr string
		switch a := arg.(type) {
		case string:
			// JSON templates may use "Res.Attr" too.
			var ok bool
			if res, attr, ok = strings.Cut(a, "."); !ok {
				return nil, fmt.Errorf("%q: want Resource.Attribute", a)
			}
		default:
			l, err := args(arg, 2, 2)
			if err != nil {
				return nil, err
			}
			var ok bool
			if res, ok = l[0].(string); !ok {
				return nil, fmt.Errorf("resource: want a logical ID, got %s", describe(l[0]))
			}
			if attr, err = e.str(l[1]); err != nil {
				return nil, fmt.Errorf("attribute: %w", err)
			}
		}
		return e.getAtt(res, attr)
	case "Fn::Sub":
		return e.sub(arg)
	case "Fn::Join":
		l, err := args(arg, 2, 2)
		if err != nil {
			return nil, err
		}
		delim, ok := l[0].(string)
		if !ok {
			return nil, fmt.Errorf("delimiter: want a literal string, got %s", describe(l[0]))
		}
		parts, err := e.list(l[1])
		if err != nil {
			return nil, err
		}
		return strings.Join(parts, delim), nil
	case "Fn::Select":
		l, err := args(arg, 2, 2)
		if err != nil {
			return nil, err
		}
		is, err := e.str(l[0])
		if err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
		i, err := strconv.Atoi(is)
		if err != nil {
			return nil, fmt.Errorf("index %q is not an integer", is)
		}
		out, err := e.value(l[1])
		if err != nil {
			return nil, err
		}
		list, ok := out.([]any)
		if !ok {
			return nil, fmt.Errorf("want a list, got %s", describe(out))
		}
		if i < 0 || i >= len(list) {
			return nil, fmt.Errorf("index %d out of range (list has %d)", i, len(list))
		}
		return list[i], nil
	case "Fn::Split":
		l, err := args(arg, 2, 2)
		if err != nil {
			return nil, err
		}
		delim, ok := l[0].(string)
		if !ok || delim == "" {
			return nil, fmt.Errorf("delimiter: want a literal non-empty string, got %s", describe(l[0]))
		}
		s, err := e.str(l[1])
		if err != nil {
			return nil, err
		}
		parts := strings.Split(s, delim)
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return out, nil
	case "Fn::If":
		l, err := args(arg, 3, 3)
		if err != nil {
			return nil, err
		}
		name, ok := l[0].(string)
		if !ok {
			return nil, fmt.Errorf("condition: want a condition name, got %s", describe(l[0]))
		}
		ok, err = e.condition(name)
		if err != nil {
			return nil, err
		}
		if ok {
			return e.value(l[1])
		}
		return e.value(l[2])
	case "Fn::FindInMap":
		l, err := args(arg, 3, 3)
		if err != nil {
			return nil, err
		}
		var keys [3]string
		for i := range keys {
			if keys[i], err = e.str(l[i]); err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
		}
		if e.env.Template == nil {
			return nil, errors.New("the resolver has no template")
		}
		m, ok := e.env.Template.Mappings[keys[0]].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("no mapping named %s", keys[0])
		}
		top, ok := m[keys[1]].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("mapping %s has no key %s", keys[0], keys[1])
		}
		v, ok := top[keys[2]]
		if !ok {
			return nil, fmt.Errorf("mapping %s.%s has no key %s", keys[0], keys[1], keys[2])
		}
		return e.value(v)
	case "Fn::Base64":
		s, err := e.str(arg)
		if err != nil {
			return nil, err
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "Fn::ImportValue":
		s, err := e.str(arg)
		if err != nil {
			return nil, err
		}
		if e.env.ImportValue == nil {
			return nil, fmt.Errorf("export %s: the resolver has no ImportValue callback", s)
		}
		v, err := e.env.ImportValue(s)
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", s, err)
		}
		return v, nil
	case "Fn::GetAZs":
		region, err := e.str(arg)
		if err != nil {
			return nil, err
		}
		if region == "" {
			r, _ := e.env.pseudo("AWS::Region")
			region = r.(string)
		}
		return []any{region + "a", region + "b", region + "c"}, nil
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or":
		return nil, errors.New("condition functions are only valid in Conditions (use Fn::If with a named condition)")
	}
	return nil, fmt.Errorf("unsupported intrinsic function")
}

// sub implements Fn::Sub in both forms: "string" and ["string", {vars}].
func (e *evaluator) sub(arg any) (any, error) {
	var tmpl string
	vars := map[string]any{}
	switch a := arg.(type) {
	case string:
		tmpl = a
	case []any:
		l, err := args(arg, 2, 2)
		if err != nil {
			return nil, err
		}
		s, ok := l[0].(string)
		if !ok {
			return nil, fmt.Errorf("template: want a literal string, got %s", describe(l[0]))
		}
		tmpl = s
		m, ok := l[1].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("variables: want a mapping, got %s", describe(l[1]))
		}
		vars = m
	default:
		return nil, fmt.Errorf("want a string or [string, variables], got %s", describe(arg))
	}
	var b strings.Builder
	rest := tmpl
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		rest = rest[i+2:]
		j := strings.IndexByte(rest, '}')
		if j < 0 {
			return nil, fmt.Errorf("%q: unclosed ${", tmpl)
		}
		name := rest[:j]
		rest = rest[j+1:]
		if lit, ok := strings.CutPrefix(name, "!"); ok {
			// ${!Literal} writes ${Literal} through untouched.
			b.WriteString("${" + lit + "}")
			continue
		}
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, fmt.Errorf("%q: empty ${}", tmpl)
		}
		if v, ok := vars[name]; ok {
			s, err := e.str(v)
			if err != nil {
				return nil, fmt.Errorf("variable %s: %w", name, err)
			}
			b.WriteString(s)
			continue
		}
		if res, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
			s, err := e.getAtt(res, attr)
			if err != nil {
				return nil, fmt.Errorf("${%s}: %w", name, err)
			}
			b.WriteString(s)
			continue
		}
		v, err := e.ref(name)
		if err != nil {
			return nil, fmt.Errorf("${%s}: %w", name, err)
		}
		s, ok := scalarString(v)
		if !ok {
			return nil, fmt.Errorf("${%s}: want a string, got %s", name, describe(v))
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// condition evaluates a named condition, detecting cycles.
func (e *evaluator) condition(name string) (bool, error) {
	if e.env.Template == nil {
		return false, fmt.Errorf("condition %s: the resolver has no template", name)
	}
	expr, ok := e.env.Template.Conditions[name]
	if !ok {
		return false, fmt.Errorf("no condition named %s", name)
	}
	if e.visiting == nil {
		e.visiting = map[string]bool{}
		e.done = map[string]bool{}
	}
	if v, ok := e.done[name]; ok {
		return v, nil
	}
	if e.visiting[name] {
		return false, fmt.Errorf("condition %s refers to itself", name)
	}
	e.visiting[name] = true
	defer delete(e.visiting, name)
	v, err := e.condExpr(expr)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	e.done[name] = v
	return v, nil
}

func (e *evaluator) condExpr(expr any) (bool, error) {
	m, ok := expr.(map[string]any)
	if !ok || len(m) != 1 {
		return false, fmt.Errorf("want a condition function, got %s", describe(expr))
	}
	for fn, arg := range m {
		switch fn {
		case "Condition":
			name, ok := arg.(string)
			if !ok {
				//lint:ignore ST1005 a path into the template: Condition is its case-sensitive key
				return false, fmt.Errorf("Condition: want a name, got %s", describe(arg))
			}
			return e.condition(name)
		case "Fn::Equals":
			l, err := args(arg, 2, 2)
			if err != nil {
				return false, fmt.Errorf("%s: %w", fn, err)
			}
			a, err := e.value(l[0])
			if err != nil {
				return false, fmt.Errorf("%s: %w", fn, err)
			}
			b, err := e.value(l[1])
			if err != nil {
				return false, fmt.Errorf("%s: %w", fn, err)
			}
			return fmt.Sprint(normalize(a)) == fmt.Sprint(normalize(b)), nil
		case "Fn::Not":
			l, err := args(arg, 1, 1)
			if err != nil {
				return false, fmt.Errorf("%s: %w", fn, err)
			}
			v, err := e.condExpr(l[0])
			if err != nil {
				return false, fmt.Errorf("%s: %w", fn, err)
			}
			return !v, nil
		case "Fn::And", "Fn::Or":
			l, err := args(arg, 2, 10)
			if err != nil {
				return false, fmt.Errorf("%s: %w", fn, err)
			}
			and := fn == "Fn::And"
			for i, c := range l {
				v, err := e.condExpr(c)
				if err != nil {
					return false, fmt.Errorf("%s[%d]: %w", fn, i, err)
				}
				if v != and {
					return v, nil
				}
			}
			return and, nil
		}
		return false, fmt.Errorf("%s is not a condition function", fn)
	}
	return false, nil
}

// normalize makes scalars compare as CloudFormation compares them: as text.
func normalize(v any) any {
	if s, ok := scalarString(v); ok {
		return s
	}
	if l, ok := v.([]any); ok {
		out := make([]any, len(l))
		for i, x := range l {
			out[i] = normalize(x)
		}
		return out
	}
	return v
}
