package samtemplate

import (
	"fmt"
	"strconv"
	"strings"
)

// props reads typed fields out of a property map and names the place
// ("function RequestFunction", "Globals.Function") in every error.
type props struct {
	where string
	m     map[string]any
}

func (p props) errorf(field, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %s", p.where, field, fmt.Sprintf(format, args...))
}

func (p props) sub(field string) (props, error) {
	v, ok := p.m[field]
	if !ok || v == nil {
		return props{where: p.where, m: nil}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return props{}, p.errorf(field, "want a mapping, got %s", describe(v))
	}
	return props{where: p.where + ": " + field, m: m}, nil
}

func (p props) str(field string) (string, error) {
	v, ok := p.m[field]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := scalarString(v)
	if !ok {
		return "", p.errorf(field, "want a literal string, got %s", describe(v))
	}
	return s, nil
}

func (p props) strList(field string) ([]string, error) {
	v, ok := p.m[field]
	if !ok || v == nil {
		return nil, nil
	}
	if s, ok := v.(string); ok {
		// SAM accepts a single string where a list of one is meant
		// (e.g. AuthorizationScopes: read); so do we.
		return []string{s}, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, p.errorf(field, "want a list of literal strings, got %s", describe(v))
	}
	out := make([]string, 0, len(list))
	for i, x := range list {
		s, ok := scalarString(x)
		if !ok {
			return nil, p.errorf(fmt.Sprintf("%s[%d]", field, i), "want a literal string, got %s", describe(x))
		}
		out = append(out, s)
	}
	return out, nil
}

func (p props) integer(field string) (int, error) {
	v, ok := p.m[field]
	if !ok || v == nil {
		return 0, nil
	}
	s, ok := scalarString(v)
	if !ok {
		return 0, p.errorf(field, "want a literal number, got %s", describe(v))
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, p.errorf(field, "want an integer, got %q", s)
	}
	return n, nil
}

func (p props) boolean(field string) (bool, error) {
	v, ok := p.m[field]
	if !ok || v == nil {
		return false, nil
	}
	s, ok := scalarString(v)
	if !ok {
		return false, p.errorf(field, "want a literal boolean, got %s", describe(v))
	}
	b, err := strconv.ParseBool(strings.ToLower(s))
	if err != nil {
		return false, p.errorf(field, "want true or false, got %q", s)
	}
	return b, nil
}

// envVars reads Environment.Variables, keeping values raw.
func (p props) envVars() (map[string]any, error) {
	env, err := p.sub("Environment")
	if err != nil {
		return nil, err
	}
	vars, err := env.sub("Variables")
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(vars.m))
	for k, v := range vars.m {
		out[k] = v
	}
	return out, nil
}

// refName returns the logical ID of a {"Ref": id} value.
func (p props) refName(field string) (string, error) {
	v, ok := p.m[field]
	if !ok || v == nil {
		return "", nil
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	m, ok := v.(map[string]any)
	if ok && len(m) == 1 {
		if id, ok := m["Ref"].(string); ok {
			return id, nil
		}
	}
	return "", p.errorf(field, "want !Ref <LogicalId>, got %s", describe(v))
}
