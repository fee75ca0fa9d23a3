package samtemplate

import (
	"os"
	"testing"
)

// BenchmarkParseAndResolve measures loading the test template and
// resolving every function's environment.
func BenchmarkParseAndResolve(b *testing.B) {
	data, err := os.ReadFile("testdata/template.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		tpl, err := Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		fns, err := tpl.Functions()
		if err != nil {
			b.Fatal(err)
		}
		env := localEnv(tpl)
		for _, f := range fns {
			if _, err := f.ResolveEnvironment(env); err != nil {
				b.Fatal(err)
			}
		}
	}
}
