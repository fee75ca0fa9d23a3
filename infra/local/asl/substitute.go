package asl

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// placeholder matches a DefinitionSubstitutions placeholder ${Name}.
var placeholder = regexp.MustCompile(`\$\{([^}]*)\}`)

// Substitute replaces every ${Name} placeholder in a definition with
// subs[Name], as SAM's DefinitionSubstitutions does before the definition
// reaches Step Functions. Values are inserted verbatim (they normally sit
// inside a JSON string, like an ARN). Every placeholder without a value is
// named in the error, so one run reports all of them.
func Substitute(definition string, subs map[string]string) (string, error) {
	missing := map[string]bool{}
	out := placeholder.ReplaceAllStringFunc(definition, func(m string) string {
		name := m[2 : len(m)-1]
		if v, ok := subs[name]; ok {
			return v
		}
		missing[name] = true
		return m
	})
	if len(missing) > 0 {
		names := make([]string, 0, len(missing))
		for n := range missing {
			names = append(names, "${"+n+"}")
		}
		sort.Strings(names)
		return "", fmt.Errorf("definition substitution: no value for %s", strings.Join(names, ", "))
	}
	return out, nil
}
