// Package samtemplate loads an AWS SAM template the way CloudFormation and the
// SAM transform read it, so that a local stack can build exactly what the
// template deploys.
//
// The YAML short forms (!Ref, !GetAtt, !Sub, ...) become their long-form maps
// ({"Ref": ...}, {"Fn::GetAtt": [...]}, ...), Globals are merged into each
// serverless resource with SAM's rules, and typed views expose the functions,
// HTTP APIs, state machines and DynamoDB tables. Values that may hold
// intrinsic functions stay raw (any) in the views; Resolve, ResolveList,
// ResolveMap and ResolveValue turn them into concrete strings for one
// environment (parameter overrides, pseudo parameters, resource references).
package samtemplate

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Template is a loaded SAM or CloudFormation template in long form.
type Template struct {
	// FormatVersion is AWSTemplateFormatVersion.
	FormatVersion string
	// Transform lists the transforms, e.g. AWS::Serverless-2016-10-31.
	Transform []string
	// Description is the template's description.
	Description string
	// Parameters are the template's parameters by name.
	Parameters map[string]Parameter
	// Mappings is the raw Mappings section (map -> top key -> second key -> value).
	Mappings map[string]any
	// Conditions is the raw Conditions section: condition name -> expression.
	Conditions map[string]any
	// Globals is the SAM Globals section.
	Globals Globals
	// Resources are the template's resources by logical ID, with Globals
	// already merged into serverless resources.
	Resources map[string]Resource
	// Outputs is the raw Outputs section.
	Outputs map[string]any
	// Raw is the whole document in long form, before Globals are merged.
	Raw map[string]any
}

// Parameter is one entry of the Parameters section.
type Parameter struct {
	// Name is the parameter's logical name.
	Name string
	// Type is the CloudFormation parameter type (String, Number,
	// CommaDelimitedList, AWS::SSM::Parameter::Value<String>, ...).
	Type string
	// Default is the default value as a string; HasDefault says whether the
	// template gives one (an empty default is a valid default).
	Default string
	// HasDefault reports whether Default was set in the template.
	HasDefault bool
	// AllowedValues, when not empty, lists the only values accepted.
	AllowedValues []string
	// AllowedPattern is the regular expression values must match, if any.
	AllowedPattern string
	// Description is the parameter's description.
	Description string
	// NoEcho marks secrets that CloudFormation masks.
	NoEcho bool
}

// IsList reports whether the parameter's value is a list
// (CommaDelimitedList or List<...>), which Ref returns as a list.
func (p Parameter) IsList() bool {
	return p.Type == "CommaDelimitedList" || strings.HasPrefix(p.Type, "List<")
}

// Resource is one entry of the Resources section.
type Resource struct {
	// LogicalID is the resource's key in Resources.
	LogicalID string
	// Type is the resource type, e.g. AWS::Serverless::Function.
	Type string
	// Properties holds the resource's properties in long form, Globals
	// merged for serverless resources.
	Properties map[string]any
	// Metadata holds the resource's Metadata (e.g. BuildMethod).
	Metadata map[string]any
	// Condition names the condition that decides whether the resource exists.
	Condition string
	// DependsOn lists explicit dependencies.
	DependsOn []string
	// DeletionPolicy is what CloudFormation does with the resource when it leaves the stack (Delete,
	// Retain, RetainExceptOnCreate, Snapshot); empty means Delete.
	DeletionPolicy string
	// UpdateReplacePolicy is what CloudFormation does with the old resource when an update replaces
	// it (Delete, Retain, Snapshot); empty means Delete.
	UpdateReplacePolicy string
}

// deletionPolicies and updateReplacePolicies are the values CloudFormation accepts for the two
// attributes; RetainExceptOnCreate exists for DeletionPolicy only.
var (
	deletionPolicies      = []string{"Delete", "Retain", "RetainExceptOnCreate", "Snapshot"}
	updateReplacePolicies = []string{"Delete", "Retain", "Snapshot"}
)

// Globals is the SAM Globals section.
type Globals struct {
	// Function is the typed view of Globals.Function.
	Function FunctionGlobals
	// Raw holds every Globals subsection (Function, HttpApi, Api,
	// SimpleTable, ...) in long form.
	Raw map[string]map[string]any
}

// FunctionGlobals is the typed view of Globals.Function.
type FunctionGlobals struct {
	// Runtime is the default runtime, e.g. provided.al2023.
	Runtime string
	// Handler is the default handler, e.g. bootstrap.
	Handler string
	// Architectures is the default architecture list, e.g. [arm64].
	Architectures []string
	// Timeout is the default timeout in seconds (0 when unset).
	Timeout int
	// MemorySize is the default memory in MB (0 when unset).
	MemorySize int
	// Environment is Environment.Variables, raw values.
	Environment map[string]any
}

// Load reads and parses the template file at path.
func Load(path string) (*Template, error) {
	return LoadFS(os.DirFS(filepath.Dir(path)), filepath.Base(path))
}

// LoadFS reads and parses the template file name in fsys. It is how the project reads its own
// template: LoadFS(refundflow.Files, "template.yaml"), the file SAM deploys, embedded (the local
// stack, the tools, and the tests that check the template against the code).
func LoadFS(fsys fs.FS, name string) (*Template, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("load template: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("load template %s: %w", name, err)
	}
	return t, nil
}

// Parse parses a template from YAML or JSON text.
func Parse(data []byte) (*Template, error) {
	doc, err := decodeYAML(data)
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parse template: top level is not a mapping")
	}
	t := &Template{Raw: root, Parameters: map[string]Parameter{}, Resources: map[string]Resource{}}
	if t.FormatVersion, err = optString(root, "AWSTemplateFormatVersion"); err != nil {
		return nil, err
	}
	if t.Description, err = optString(root, "Description"); err != nil {
		return nil, err
	}
	switch tr := root["Transform"].(type) {
	case nil:
	case string:
		t.Transform = []string{tr}
	case []any:
		for i, x := range tr {
			s, ok := x.(string)
			if !ok {
				//lint:ignore ST1005 a path into the template: Transform is its case-sensitive key
				return nil, fmt.Errorf("Transform[%d]: want a string, got %s", i, describe(x))
			}
			t.Transform = append(t.Transform, s)
		}
	default:
		//lint:ignore ST1005 a path into the template: Transform is its case-sensitive key
		return nil, fmt.Errorf("Transform: want a string or list, got %s", describe(tr))
	}
	if t.Mappings, err = optMap(root, "Mappings"); err != nil {
		return nil, err
	}
	if t.Conditions, err = optMap(root, "Conditions"); err != nil {
		return nil, err
	}
	if t.Outputs, err = optMap(root, "Outputs"); err != nil {
		return nil, err
	}
	if err := t.parseParameters(root); err != nil {
		return nil, err
	}
	if err := t.parseGlobals(root); err != nil {
		return nil, err
	}
	if err := t.parseResources(root); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Template) parseParameters(root map[string]any) error {
	params, err := optMap(root, "Parameters")
	if err != nil {
		return err
	}
	for name, raw := range params {
		m, ok := raw.(map[string]any)
		if !ok {
			return fmt.Errorf("parameter %s: want a mapping, got %s", name, describe(raw))
		}
		p := Parameter{Name: name}
		field := func(key string) (string, error) {
			v, ok := m[key]
			if !ok || v == nil {
				return "", nil
			}
			s, ok := scalarString(v)
			if !ok {
				return "", fmt.Errorf("parameter %s: %s: want a scalar, got %s", name, key, describe(v))
			}
			return s, nil
		}
		if p.Type, err = field("Type"); err != nil {
			return err
		}
		if p.Type == "" {
			return fmt.Errorf("parameter %s: Type is required", name)
		}
		if p.Description, err = field("Description"); err != nil {
			return err
		}
		if p.AllowedPattern, err = field("AllowedPattern"); err != nil {
			return err
		}
		if _, ok := m["Default"]; ok {
			if p.Default, err = field("Default"); err != nil {
				return err
			}
			p.HasDefault = true
		}
		if s, err := field("NoEcho"); err != nil {
			return err
		} else if s != "" {
			p.NoEcho, _ = strconv.ParseBool(s)
		}
		if av, ok := m["AllowedValues"]; ok {
			list, ok := av.([]any)
			if !ok {
				return fmt.Errorf("parameter %s: AllowedValues: want a list, got %s", name, describe(av))
			}
			for i, x := range list {
				s, ok := scalarString(x)
				if !ok {
					return fmt.Errorf("parameter %s: AllowedValues[%d]: want a scalar, got %s", name, i, describe(x))
				}
				p.AllowedValues = append(p.AllowedValues, s)
			}
			if p.HasDefault && !p.IsList() && !slices.Contains(p.AllowedValues, p.Default) {
				return fmt.Errorf("parameter %s: Default %q is not one of AllowedValues %q", name, p.Default, p.AllowedValues)
			}
		}
		t.Parameters[name] = p
	}
	return nil
}

func (t *Template) parseGlobals(root map[string]any) error {
	g, err := optMap(root, "Globals")
	if err != nil {
		return err
	}
	t.Globals.Raw = map[string]map[string]any{}
	for kind, raw := range g {
		m, ok := raw.(map[string]any)
		if !ok {
			//lint:ignore ST1005 a path into the template: Globals is its case-sensitive key
			return fmt.Errorf("Globals.%s: want a mapping, got %s", kind, describe(raw))
		}
		t.Globals.Raw[kind] = m
	}
	fg := t.Globals.Raw["Function"]
	if fg == nil {
		return nil
	}
	p := props{where: "Globals.Function", m: fg}
	f := &t.Globals.Function
	if f.Runtime, err = p.str("Runtime"); err != nil {
		return err
	}
	if f.Handler, err = p.str("Handler"); err != nil {
		return err
	}
	if f.Architectures, err = p.strList("Architectures"); err != nil {
		return err
	}
	if f.Timeout, err = p.integer("Timeout"); err != nil {
		return err
	}
	if f.MemorySize, err = p.integer("MemorySize"); err != nil {
		return err
	}
	if f.Environment, err = p.envVars(); err != nil {
		return err
	}
	return nil
}

func (t *Template) parseResources(root map[string]any) error {
	res, err := optMap(root, "Resources")
	if err != nil {
		return err
	}
	if len(res) == 0 {
		return fmt.Errorf("template has no Resources")
	}
	for id, raw := range res {
		m, ok := raw.(map[string]any)
		if !ok {
			return fmt.Errorf("resource %s: want a mapping, got %s", id, describe(raw))
		}
		r := Resource{LogicalID: id}
		typ, ok := m["Type"].(string)
		if !ok || typ == "" {
			return fmt.Errorf("resource %s: Type is required and must be a string", id)
		}
		r.Type = typ
		if r.Properties, err = optMap(m, "Properties"); err != nil {
			return fmt.Errorf("resource %s: %w", id, err)
		}
		if r.Properties == nil {
			r.Properties = map[string]any{}
		}
		if r.Metadata, err = optMap(m, "Metadata"); err != nil {
			return fmt.Errorf("resource %s: %w", id, err)
		}
		if r.Condition, err = optString(m, "Condition"); err != nil {
			return fmt.Errorf("resource %s: %w", id, err)
		}
		if r.Condition != "" {
			if _, ok := t.Conditions[r.Condition]; !ok {
				return fmt.Errorf("resource %s: Condition %q is not in Conditions", id, r.Condition)
			}
		}
		for _, a := range []struct {
			name    string
			dst     *string
			allowed []string
		}{{"DeletionPolicy", &r.DeletionPolicy, deletionPolicies}, {"UpdateReplacePolicy", &r.UpdateReplacePolicy, updateReplacePolicies}} {
			if *a.dst, err = optString(m, a.name); err != nil {
				return fmt.Errorf("resource %s: %w", id, err)
			}
			if *a.dst != "" && !slices.Contains(a.allowed, *a.dst) {
				return fmt.Errorf("resource %s: %s %q is not one of %q", id, a.name, *a.dst, a.allowed)
			}
		}
		switch d := m["DependsOn"].(type) {
		case nil:
		case string:
			r.DependsOn = []string{d}
		case []any:
			for _, x := range d {
				s, ok := x.(string)
				if !ok {
					return fmt.Errorf("resource %s: DependsOn: want names, got %s", id, describe(x))
				}
				r.DependsOn = append(r.DependsOn, s)
			}
		default:
			return fmt.Errorf("resource %s: DependsOn: want a name or list, got %s", id, describe(d))
		}
		if kind, ok := strings.CutPrefix(typ, "AWS::Serverless::"); ok {
			if g := t.Globals.Raw[kind]; g != nil {
				r.Properties = mergeGlobals(g, r.Properties).(map[string]any)
			}
		}
		t.Resources[id] = r
	}
	return nil
}

// ResourcesOfType returns the resources of one type, sorted by logical ID.
func (t *Template) ResourcesOfType(typ string) []Resource {
	var out []Resource
	for _, r := range t.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out
}

// mergeGlobals merges a Globals value under a resource's own value with SAM's
// rules: maps merge key by key (the resource wins), lists are additive (the
// Globals entries come first), and anything else — including an intrinsic
// function, which SAM treats as an opaque value — is replaced by the
// resource's value.
func mergeGlobals(global, local any) any {
	gm, gok := global.(map[string]any)
	lm, lok := local.(map[string]any)
	if gok && lok && !isIntrinsic(gm) && !isIntrinsic(lm) {
		out := make(map[string]any, len(gm)+len(lm))
		for k, v := range gm {
			out[k] = v
		}
		for k, v := range lm {
			if g, ok := gm[k]; ok {
				out[k] = mergeGlobals(g, v)
			} else {
				out[k] = v
			}
		}
		return out
	}
	gl, gok := global.([]any)
	ll, lok := local.([]any)
	if gok && lok {
		return append(append([]any{}, gl...), ll...)
	}
	return local
}

// isIntrinsic reports whether m is a single-key intrinsic function map.
func isIntrinsic(m map[string]any) bool {
	if len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

func optString(m map[string]any, key string) (string, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := scalarString(v)
	if !ok {
		return "", fmt.Errorf("%s: want a string, got %s", key, describe(v))
	}
	return s, nil
}

func optMap(m map[string]any, key string) (map[string]any, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return nil, nil
	}
	mm, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: want a mapping, got %s", key, describe(v))
	}
	return mm, nil
}

// scalarString formats a YAML scalar as CloudFormation would read it.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// describe names the kind of a value for error messages.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("string %q", x)
	case map[string]any:
		if isIntrinsic(x) {
			for k := range x {
				return k
			}
		}
		return "a mapping"
	case []any:
		return "a list"
	case bool:
		return fmt.Sprintf("boolean %v", x)
	}
	return fmt.Sprintf("%T %v", v, v)
}
