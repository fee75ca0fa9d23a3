// Package testenv decides what a test does when something outside Go that it needs (dynalite,
// stripe-mock, Chromium, cfn-lint, make) is missing: under plain `go test` it skips with the reason;
// in the full run (`make test`, CI), which sets REFUNDFLOW_REQUIRE_ALL=1, it fails, so a green CI run
// means every test really ran.
package testenv

import (
	"os"
	"testing"
)

// RequireAllEnv names the environment variable that turns "skipped because a tool is missing" into a
// failure.
const RequireAllEnv = "REFUNDFLOW_REQUIRE_ALL"

// RequireAll reports whether missing tools must fail tests (REFUNDFLOW_REQUIRE_ALL=1).
func RequireAll() bool { return os.Getenv(RequireAllEnv) == "1" }

// Missing reports that the test cannot run because something outside Go is missing: it skips with the
// reason, or fails under REFUNDFLOW_REQUIRE_ALL=1.
func Missing(t testing.TB, reason string) {
	t.Helper()
	if RequireAll() {
		t.Fatalf("%s (%s=1 forbids skipping)", reason, RequireAllEnv)
	}
	t.Skip(reason)
}
