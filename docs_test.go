package refundflow_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// docTable returns the first column of the Markdown table under the section heading of
// docs/deploy.md: the `names` of its rows.
func docTable(t *testing.T, doc, heading string) map[string]bool {
	t.Helper()
	_, section, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("docs/deploy.md has no section %q", heading)
	}
	if i := strings.Index(section, "\n#"); i >= 0 {
		section = section[:i]
	}
	out := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Za-z0-9]+)` \\|").FindAllStringSubmatch(section, -1) {
		out[m[1]] = true
	}
	if len(out) == 0 {
		t.Fatalf("docs/deploy.md section %q has no table rows", heading)
	}
	return out
}

// TestDeployGuideMatchesTheTemplate checks that docs/deploy.md explains exactly the template's
// parameters (with their defaults), outputs and alarms: none missing, none that no longer exist.
func TestDeployGuideMatchesTheTemplate(t *testing.T) {
	raw, err := os.ReadFile("docs/deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	tmpl := loadTemplate(t)

	compare := func(what string, documented map[string]bool, inTemplate []string) {
		t.Helper()
		want := map[string]bool{}
		for _, name := range inTemplate {
			want[name] = true
			if !documented[name] {
				t.Errorf("docs/deploy.md does not explain the %s %s", what, name)
			}
		}
		for name := range documented {
			if !want[name] {
				t.Errorf("docs/deploy.md explains the %s %s, which template.yaml does not have", what, name)
			}
		}
	}
	compare("parameter", docTable(t, doc, "### Parameters"), sortedKeys(tmpl.Parameters))
	compare("output", docTable(t, doc, "### Outputs"), sortedKeys(tmpl.Outputs))
	var alarms []string
	for _, r := range tmpl.ResourcesOfType("AWS::CloudWatch::Alarm") {
		alarms = append(alarms, r.LogicalID)
	}
	compare("alarm", docTable(t, doc, "### Alarms"), alarms)

	// The Default column says what the template defaults to.
	for name, p := range tmpl.Parameters {
		row := regexp.MustCompile("(?m)^\\| `" + name + "` \\| ([^|]*) \\|").FindStringSubmatch(doc)
		if row == nil {
			continue // reported above
		}
		got := strings.TrimSpace(row[1])
		want := "—"
		switch {
		case p.HasDefault && p.Default == "":
			want = "empty"
		case p.HasDefault:
			want = "`" + p.Default + "`"
		}
		if got != want {
			t.Errorf("docs/deploy.md gives %s the default %s, template.yaml %s", name, got, want)
		}
	}
}
