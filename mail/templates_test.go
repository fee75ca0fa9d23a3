package mail

import "testing"

// TestEveryKindParses stands in for the parse at package init that the templates no longer have (they
// are parsed on first use, for cold start): a broken template fails here, not in a deployed function.
func TestEveryKindParses(t *testing.T) {
	for _, k := range Kinds() {
		if _, err := parse(k); err != nil {
			t.Errorf("%s: %v", k, err)
		}
		if _, ok := templates[k]; !ok {
			t.Errorf("%s has no lazily parsed templates", k)
		}
		if _, ok := requirements[k]; !ok {
			t.Errorf("%s has no requirements", k)
		}
	}
	if got, want := len(templates), len(Kinds()); got != want {
		t.Errorf("templates for %d kinds, want %d", got, want)
	}
}
