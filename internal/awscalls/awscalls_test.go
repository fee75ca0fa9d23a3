package awscalls

import (
	"go/types"
	"sort"
	"strings"
	"sync"
	"testing"
)

const fixturePath = "refundflow/internal/awscalls/testdata/fixture"

var (
	loadOnce sync.Once
	loaded   *Program
	loadErr  error
)

// fixture loads the fixture package once for all tests.
func fixture(t *testing.T) *Program {
	t.Helper()
	loadOnce.Do(func() { loaded, loadErr = Load(".", "./testdata/fixture") })
	if loadErr != nil {
		t.Fatalf("load the fixture: %v", loadErr)
	}
	return loaded
}

// reach runs Reach from the fixture's builder and its handler's Handle method.
func reach(t *testing.T, p *Program) Usage {
	t.Helper()
	build, err := p.Func(fixturePath, "Build")
	if err != nil {
		t.Fatal(err)
	}
	h, err := Method(build.Type().(*types.Signature).Results().At(0).Type(), "Handle")
	if err != nil {
		t.Fatal(err)
	}
	return p.Reach("PK", build, h)
}

func TestReachFindsTheActionsTheCodeCalls(t *testing.T) {
	u := reach(t, fixture(t))
	// GetItem directly; Delete, ConditionCheck and Put as transaction parts (TransactWriteItems itself
	// needs no permission); Query through a paginator and through the one Gateway that is constructed;
	// SendTaskSuccess through a module interface; GetSecretValue in the builder. Not Scan (the
	// Gateway nothing constructs) and not the test-only DeleteItem branch.
	want := "dynamodb:ConditionCheckItem dynamodb:DeleteItem dynamodb:GetItem dynamodb:PutItem dynamodb:Query secretsmanager:GetSecretValue states:SendTaskSuccess"
	if got := strings.Join(u.ActionNames(), " "); got != want {
		t.Errorf("actions:\n got %s\nwant %s", got, want)
	}
	if got, want := len(u.IndexQueries), 1; got != want {
		t.Errorf("index queries = %d, want %d (the paginator's)", got, want)
	}
	if got, want := len(u.TableQueries), 1; got != want {
		t.Errorf("table queries = %d, want %d (Constructed.Pay's)", got, want)
	}
	if len(u.Unmapped) > 0 {
		t.Errorf("unmapped calls: %v", u.Unmapped)
	}
}

func TestReachReadsThePartitionOfEveryDelete(t *testing.T) {
	u := reach(t, fixture(t))
	if got, want := len(u.Deletes), 1; got != want {
		t.Fatalf("deletes = %+v, want %d (the transaction's; the test-only and unreached ones do not count)", u.Deletes, want)
	}
	if d := u.Deletes[0]; d.Err != nil || d.Partition != "LOCK#" {
		t.Errorf("delete at %s: partition %q, %v; want LOCK#", d.At, d.Partition, d.Err)
	}
}

func TestReachReadsThePartitionsOfEveryWrite(t *testing.T) {
	u := reach(t, fixture(t))
	var got []string
	for _, w := range u.Writes {
		s := w.Action + " " + strings.Join(w.Partitions, ",")
		if w.Err != nil {
			s += " error"
		}
		got = append(got, s)
	}
	sort.Strings(got)
	// Release's transaction (its Put has no Item: an error, so a policy cannot be checked against
	// it), Acquire's closure Put (a marshalled struct and a key-built map), renew's put of a parameter
	// (every lockItem literal). Not the test-only DeleteItem.
	want := "dynamodb:ConditionCheckItem ITEM#; dynamodb:DeleteItem LOCK#; dynamodb:PutItem  error; dynamodb:PutItem ITEM#,LOCK#; dynamodb:PutItem LOCK#"
	if got := strings.Join(got, "; "); got != want {
		t.Errorf("writes:\n got %s\nwant %s", got, want)
	}
}

func TestReachReportsDeletesItCannotRead(t *testing.T) {
	p := fixture(t)
	m, err := Method(types.NewPointer(lookupType(t, p, "Store")), "BadDelete")
	if err != nil {
		t.Fatal(err)
	}
	u := p.Reach("PK", m)
	if len(u.Deletes) != 1 || u.Deletes[0].Err == nil {
		t.Fatalf("deletes = %+v, want one with an error", u.Deletes)
	}
	if got := u.Deletes[0].Err.Error(); !strings.Contains(got, "cannot follow the key expression k") {
		t.Errorf("error = %q, want it to name the expression", got)
	}
	if got, want := strings.Join(u.ActionNames(), " "), "dynamodb:DeleteItem"; got != want {
		t.Errorf("actions = %s, want %s", got, want)
	}
}

func TestRegistrationsFindEveryBuilder(t *testing.T) {
	p := fixture(t)
	regs, err := p.Registrations(fixturePath, "Wrap")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range regs {
		got = append(got, r.Key+"="+r.Func.Name())
	}
	// An index assignment and a map literal entry, with and without explicit type arguments.
	if got, want := strings.Join(got, " "), "FixtureFunction=Build OtherFunction=Build"; got != want {
		t.Errorf("registrations = %s, want %s", got, want)
	}
}

func TestReachOfNothingIsEmpty(t *testing.T) {
	u := fixture(t).Reach("PK")
	if len(u.Actions) != 0 || u.Funcs != 0 {
		t.Errorf("Reach() = %+v, want nothing", u)
	}
}

func TestLoadReportsBadPatterns(t *testing.T) {
	if _, err := Load(".", "./no/such/package"); err == nil {
		t.Error("Load of a missing package succeeded")
	}
}

// lookupType returns a named type of the fixture.
func lookupType(t *testing.T, p *Program, name string) types.Type {
	t.Helper()
	obj := p.pkgs[fixturePath].types.Scope().Lookup(name)
	if obj == nil {
		t.Fatalf("fixture has no %s", name)
	}
	return obj.Type()
}

func TestCallSitesFindsCallsByFullName(t *testing.T) {
	p := fixture(t)
	sites := p.CallSites("(*github.com/aws/aws-sdk-go-v2/service/dynamodb.Client).DeleteItem", "refundflow/internal/awscalls/testdata/fixture.lockPK")
	var got []string
	for _, s := range sites {
		got = append(got, s.Callee.Name()+" in "+s.In.Name())
	}
	if got, want := strings.Join(got, ", "), "lockPK in Release, DeleteItem in Release, DeleteItem in Unreached, DeleteItem in BadDelete"; got != want {
		t.Errorf("call sites: %s\nwant %s", got, want)
	}
}
