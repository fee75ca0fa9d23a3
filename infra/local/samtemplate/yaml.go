package samtemplate

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// shortForms maps each CloudFormation short-form YAML tag to the key of its
// long form. The long form is what CloudFormation itself works on, so after
// loading, the rest of the package only ever sees {"Ref": ...} and
// {"Fn::Name": ...} maps, exactly as a JSON template would spell them.
var shortForms = map[string]string{
	"!Ref":         "Ref",
	"!Condition":   "Condition",
	"!GetAtt":      "Fn::GetAtt",
	"!Sub":         "Fn::Sub",
	"!Join":        "Fn::Join",
	"!Select":      "Fn::Select",
	"!Split":       "Fn::Split",
	"!If":          "Fn::If",
	"!Equals":      "Fn::Equals",
	"!Not":         "Fn::Not",
	"!And":         "Fn::And",
	"!Or":          "Fn::Or",
	"!FindInMap":   "Fn::FindInMap",
	"!Base64":      "Fn::Base64",
	"!ImportValue": "Fn::ImportValue",
	"!GetAZs":      "Fn::GetAZs",
	"!Cidr":        "Fn::Cidr",
	"!Transform":   "Fn::Transform",
}

// decodeYAML parses a YAML (or JSON, which is YAML) document into plain Go
// values: map[string]any, []any, string, int, float64, bool and nil.
func decodeYAML(data []byte) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 {
		return nil, fmt.Errorf("empty document")
	}
	return convertNode(&doc, 0)
}

// maxDepth bounds alias expansion so that a "billion laughs" document or an
// alias cycle fails instead of exhausting memory.
const maxDepth = 200

func convertNode(n *yaml.Node, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("line %d: document nested deeper than %d levels", n.Line, maxDepth)
	}
	if key, ok := shortForms[n.Tag]; ok {
		return convertShortForm(n, key, depth)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return convertNode(n.Content[0], depth+1)
	case yaml.AliasNode:
		return convertNode(n.Alias, depth+1)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := convertNode(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		return convertMapping(n, depth)
	case yaml.ScalarNode:
		return convertScalar(n)
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node kind %d", n.Line, n.Kind)
}

func convertMapping(n *yaml.Node, depth int) (map[string]any, error) {
	out := make(map[string]any, len(n.Content)/2)
	var merges []map[string]any
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: mapping key is not a scalar", k.Line)
		}
		if k.Tag == "!!merge" {
			m, err := convertMerge(v, depth)
			if err != nil {
				return nil, err
			}
			merges = append(merges, m...)
			continue
		}
		if _, dup := out[k.Value]; dup {
			return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
		}
		cv, err := convertNode(v, depth+1)
		if err != nil {
			return nil, err
		}
		out[k.Value] = cv
	}
	// Keys written in the mapping itself win over merged ones, as YAML says.
	for _, m := range merges {
		for k, v := range m {
			if _, ok := out[k]; !ok {
				out[k] = v
			}
		}
	}
	return out, nil
}

func convertMerge(v *yaml.Node, depth int) ([]map[string]any, error) {
	cv, err := convertNode(v, depth+1)
	if err != nil {
		return nil, err
	}
	switch x := cv.(type) {
	case map[string]any:
		return []map[string]any{x}, nil
	case []any:
		var out []map[string]any
		for _, e := range x {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("line %d: merge key needs mappings", v.Line)
			}
			out = append(out, m)
		}
		return out, nil
	}
	return nil, fmt.Errorf("line %d: merge key needs a mapping", v.Line)
}

func convertScalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!str", "!!timestamp", "!!binary":
		// A bare date such as AWSTemplateFormatVersion: 2010-09-09 is a
		// string to CloudFormation, not a time.
		return n.Value, nil
	case "!!null":
		return nil, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, fmt.Errorf("line %d: %w", n.Line, err)
	}
	return v, nil
}

func convertShortForm(n *yaml.Node, key string, depth int) (any, error) {
	var content any
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Value == "" && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
			// yaml.v3 reads "!Base64 !Sub x" as an empty !Base64 and drops
			// the rest; CloudFormation forbids that nesting too.
			return nil, fmt.Errorf("line %d: %s has no value (short forms cannot directly nest another short form: write Fn::Base64: !Sub ...)", n.Line, n.Tag)
		}
		content = n.Value
		switch key {
		case "Fn::GetAtt":
			// "Resource.Attribute": the attribute itself may contain dots
			// (Outputs.Name), so only the first dot splits.
			res, attr, ok := strings.Cut(n.Value, ".")
			if !ok || res == "" || attr == "" {
				return nil, fmt.Errorf("line %d: !GetAtt %q: want Resource.Attribute", n.Line, n.Value)
			}
			content = []any{res, attr}
		}
	case yaml.SequenceNode, yaml.MappingNode:
		// Convert the node without its tag.
		copyNode := *n
		copyNode.Tag = ""
		v, err := convertNode(&copyNode, depth+1)
		if err != nil {
			return nil, err
		}
		content = v
	default:
		return nil, fmt.Errorf("line %d: %s on an unexpected node", n.Line, n.Tag)
	}
	switch key {
	case "Ref", "Condition":
		if _, ok := content.(string); !ok {
			return nil, fmt.Errorf("line %d: %s needs a name", n.Line, n.Tag)
		}
	}
	return map[string]any{key: content}, nil
}
