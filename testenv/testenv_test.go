package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMissing runs Missing in a child test process, once as plain `go test` (it must skip) and once
// as CI (it must fail), since a skip and a failure both end the calling test.
func TestMissing(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") == "1" {
		Missing(t, "frobnicator is not installed")
		t.Fatal("Missing returned")
	}
	for _, tc := range []struct {
		requireAll string
		wantFail   bool
		wantText   string
	}{
		{"", false, "--- SKIP: TestMissing"},
		{"1", true, "REFUNDFLOW_REQUIRE_ALL=1 forbids skipping"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissing$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTENV_CHILD=1", RequireAllEnv+"="+tc.requireAll)
		out, err := cmd.CombinedOutput()
		if failed := err != nil; failed != tc.wantFail {
			t.Errorf("%s=%q: failed = %v, want %v\n%s", RequireAllEnv, tc.requireAll, failed, tc.wantFail, out)
		}
		if !strings.Contains(string(out), tc.wantText) || !strings.Contains(string(out), "frobnicator is not installed") {
			t.Errorf("%s=%q: output lacks %q and the reason:\n%s", RequireAllEnv, tc.requireAll, tc.wantText, out)
		}
	}
}
