package awsenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// extraClients lists, per builder group, the outside clients its functions may link beyond what every
// function links (DynamoDB and its streams' types, through the table code, and Step Functions,
// through the handler package).
var extraClients = map[string][]string{
	"refundflow/awsenv/basicfuncs":   nil,
	"refundflow/awsenv/pdffuncs":     nil,
	"refundflow/awsenv/formfuncs":    nil,
	"refundflow/awsenv/submitfuncs":  {"secretsmanager"},
	"refundflow/awsenv/mailfuncs":    nil,
	"refundflow/awsenv/paymentfuncs": {"secretsmanager", "stripe"},
	"refundflow/awsenv/stafffuncs":   {"secretsmanager", "stripe"},
	"refundflow/awsenv/eventfuncs":   {"secretsmanager", "stripe"},
	"refundflow/awsenv/sandboxfuncs": {"secretsmanager", "stripe"},
}

// everyFunction is what every function links.
var everyFunction = []string{"dynamodb", "dynamodbstreams", "sfn"}

// TestFunctionsLinkOnlyTheirClients guards the cold start: each package a binary imports runs its
// init at every cold start, and an SDK service costs milliseconds there. A function's main imports
// lambdaenv and one builder group, never this package (which imports them all), and links only the
// services its group needs. Likewise package mail, which every function links through the handlers,
// imports no AWS package.
func TestFunctionsLinkOnlyTheirClients(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}|{{join .Deps \" \"}}", "../functions/...", "../mail").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		pkg, imports, deps := parts[0], strings.Fields(parts[1]), strings.Fields(parts[2])
		if pkg == "refundflow/mail" {
			for _, d := range deps {
				if strings.HasPrefix(d, "github.com/aws/") {
					t.Errorf("package mail imports %s; sending belongs in mail/sesmail", d)
				}
			}
			continue
		}
		seen++
		allowed := slices.Clone(everyFunction)
		groups := 0
		for _, imp := range imports {
			if imp == "refundflow/awsenv" {
				t.Errorf("%s imports refundflow/awsenv, which links every function's clients; import lambdaenv and the builder's group", pkg)
			}
			if extra, ok := extraClients[imp]; ok {
				groups++
				allowed = append(allowed, extra...)
			}
		}
		if groups != 1 {
			t.Errorf("%s imports %d builder groups, want 1", pkg, groups)
		}
		var linked []string
		for _, d := range deps {
			if name, ok := clientOf(d); ok && !slices.Contains(linked, name) {
				linked = append(linked, name)
			}
		}
		for _, name := range linked {
			if !slices.Contains(allowed, name) {
				t.Errorf("%s links %s, which its builder group does not need", pkg, name)
			}
		}
	}
	if seen < 13 {
		t.Errorf("go list found %d functions, want at least 13", seen)
	}
}

// clientOf names the outside client a package belongs to: an SDK service ("sesv2") or "stripe".
func clientOf(pkg string) (string, bool) {
	if rest, ok := strings.CutPrefix(pkg, "github.com/aws/aws-sdk-go-v2/service/"); ok {
		name, _, _ := strings.Cut(rest, "/")
		return name, name != "internal"
	}
	if strings.HasPrefix(pkg, "github.com/stripe/stripe-go") {
		return "stripe", true
	}
	return "", false
}

// TestMainsServeThroughSettled: every function's main serves its handler through lambdaenv.Settled,
// so that a read its builder starts in the background (lambdaenv.Background) never outlives an
// invocation, whichever builder starts one now or later.
func TestMainsServeThroughSettled(t *testing.T) {
	mains, err := filepath.Glob("../functions/*/main.go")
	if err != nil || len(mains) == 0 {
		t.Fatalf("no mains found: %v", err)
	}
	for _, m := range mains {
		src, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(src), "lambda.Start(lambdaenv.Settled(env, ") {
			t.Errorf("%s does not serve its handler through lambdaenv.Settled", m)
		}
	}
}
