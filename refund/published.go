package refund

import (
	"bytes"
	"embed"
	"fmt"
	"path"
	"sync"
)

// publishedFS holds every policy the company has published: the current one (default.json) and the
// earlier versions, kept so that a request decided under an earlier version can always show the rules
// it was decided by (/policy/<version>). A policy file is never edited once published; a change is a
// new file with a new version.
//
//go:embed policy/*.json
var publishedFS embed.FS

// published parses the embedded policies once, by version. A broken or duplicated file is a build
// defect caught by the package's tests, so panicking is right.
var published = sync.OnceValue(func() map[string]Policy {
	out := map[string]Policy{}
	entries, err := publishedFS.ReadDir("policy")
	if err != nil {
		panic(fmt.Sprintf("refund: published policies: %v", err))
	}
	for _, e := range entries {
		data, err := publishedFS.ReadFile(path.Join("policy", e.Name()))
		if err != nil {
			panic(fmt.Sprintf("refund: published policy %s: %v", e.Name(), err))
		}
		p, err := LoadPolicy(bytes.NewReader(data))
		if err != nil {
			panic(fmt.Sprintf("refund: published policy %s: %v", e.Name(), err))
		}
		if _, dup := out[p.Version]; dup {
			panic(fmt.Sprintf("refund: published policy %s: version %q published twice", e.Name(), p.Version))
		}
		out[p.Version] = p
	}
	return out
})

// PublishedPolicy returns the published policy of the version, and false when no policy of that
// version was ever published. The current policy (DefaultPolicy) is among them.
func PublishedPolicy(version string) (Policy, bool) {
	p, ok := published()[version]
	if !ok {
		return Policy{}, false
	}
	return p.clone(), true
}
