package refundflow_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The house: every package of the module lives on a floor, and imports run down, never up. The
// README ("How it is built") draws the same floors; TestImportsRunDownTheFloors keeps the code to them.
//
//	go test -run TestImportsRunDownTheFloors -v .   # and print the house
//
// The floors govern the code of every package, what ships and what the harnesses are made of. Test
// files may reach up: a test builds whatever world it needs (a template test reads the handlers, a
// log test runs the local stack), and Go refuses any import cycle they could make. The verbose run
// lists those reaches.

// A floor holds rooms; a package may import packages of its own floor and of the floors below.
type floor struct {
	name  string
	rooms []room
}

// A room is a pattern of package paths relative to the module ("dynamo", "payment/..." for payment
// and every package under it, "" for the module's root package) and what lives there.
type room struct {
	pattern, what string
}

// floors lists the house from the ground up.
var floors = []floor{
	{"ground", []room{
		{"refund/...", "the domain: business words and rules"},
		{"", "the deployment files (template.yaml, the state machine) and the API contract, embedded"},
		{"statemachine", "the refund workflow's definition"},
	}},
	{"adapters", []room{
		{"dynamo/...", "the table"},
		{"payment/...", "the payment gateways"},
		{"mail/...", "the emails and their sender"},
		{"apigw/...", "API Gateway events, errors to statuses"},
		{"sfnworkflow/...", "the workflow port on Step Functions"},
		{"web/...", "pages and assets"},
		{"agreementpdf", "the signed agreement as a PDF"},
		{"awsenv/httpclient", "the HTTP client of every AWS client"},
		{"awsenv/awspost", "a POST to an AWS API, signed with the SDK's signer"},
		{"awsenv/lambdainvoke", "Lambda's Invoke, through awspost"},
		{"infra/local/...", "AWS in a box: stand-ins that know nothing of refunds"},
	}},
	{"handlers", []room{
		{"handler/...", "one file per Lambda function"},
	}},
	{"wiring", []room{
		{"awsenv/...", "each function's dependencies from its environment"},
		{"infra/local/stack", "the local stack: every function on the stand-ins"},
	}},
	{"entry points", []room{
		{"functions/...", "the Lambda functions' mains"},
		{"cmd/...", "the project's tools (and walk, the HTTP client of two of them)"},
		{"infra/local", "go run ./infra/local"},
	}},
}

// harnesses are the test harnesses, beside the house: each serves the tests of the floor it is
// beside and may import packages (and harnesses) of that floor and below; no package of the house
// imports a harness.
var harnesses = []struct {
	pattern, beside, what string
}{
	{"testenv", "ground", "what a test does when an outside tool is missing"},
	{"dynamo/dynamotest", "adapters", "DynamoDB backends for storage tests"},
	{"infra/local/localpage/localpagetest", "adapters", "Chromium for page tests"},
	{"internal/...", "wiring", "the workflow, faults, cost, IAM calls, a Stripe stand-in"},
}

// place is where a package lives.
type place struct {
	floor   int
	room    string
	harness bool
}

// matches reports whether the package path rel matches pattern, and how specifically (longer is
// more specific; an exact match beats a "/..." pattern of the same path).
func matches(pattern, rel string) (int, bool) {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		if rel == base || strings.HasPrefix(rel, base+"/") {
			return 2 * len(base), true
		}
		return 0, false
	}
	return 2*len(pattern) + 1, rel == pattern
}

// placeOf finds the most specific room or harness of the package path rel.
func placeOf(rel string) (place, bool) {
	best, found := -1, place{}
	for i, f := range floors {
		for _, r := range f.rooms {
			if n, ok := matches(r.pattern, rel); ok && n > best {
				best, found = n, place{floor: i, room: r.pattern}
			}
		}
	}
	for _, h := range harnesses {
		if n, ok := matches(h.pattern, rel); ok && n > best {
			best, found = n, place{floor: floorIndex(h.beside), room: h.pattern, harness: true}
		}
	}
	return found, best >= 0
}

func floorIndex(name string) int {
	return slices.IndexFunc(floors, func(f floor) bool { return f.name == name })
}

// goPackage is what go list says of a package.
type goPackage struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// modulePackages lists the module's packages with go list.
func modulePackages(t *testing.T) (module string, pkgs []goPackage) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	module = strings.TrimSpace(string(out))
	out, err = exec.Command("go", "list", "-json=ImportPath,Imports,TestImports,XTestImports", "./...").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p goPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return module, pkgs
}

// relPath is a package's path relative to the module ("" for the module's root package), and
// whether it is in the module at all.
func relPath(module, path string) (string, bool) {
	if path == module {
		return "", true
	}
	rel, ok := strings.CutPrefix(path, module+"/")
	return rel, ok
}

func describe(rel string, p place) string {
	name := "refundflow"
	if rel != "" {
		name += "/" + rel
	}
	if p.harness {
		return fmt.Sprintf("%s (harness beside %s)", name, floors[p.floor].name)
	}
	return fmt.Sprintf("%s (%s)", name, floors[p.floor].name)
}

// TestImportsRunDownTheFloors checks every import of every package's code (test files apart) in the
// module: a package of the house imports only packages of its floor or below and no harness; a
// harness imports only packages and harnesses of the floor it is beside or below; and the rooms,
// taken as a whole, import one another without a cycle. Every package must have a place.
func TestImportsRunDownTheFloors(t *testing.T) {
	module, pkgs := modulePackages(t)
	places := map[string]place{}
	for _, p := range pkgs {
		rel, _ := relPath(module, p.ImportPath)
		pl, ok := placeOf(rel)
		if !ok {
			t.Errorf("%s has no place in the house: add its room to floors or harnesses in house_test.go (and the README's drawing)", p.ImportPath)
			continue
		}
		places[rel] = pl
	}
	roomEdges := map[string]map[string]bool{}
	var up, testsUp []string
	for _, p := range pkgs {
		rel, _ := relPath(module, p.ImportPath)
		from, ok := places[rel]
		if !ok {
			continue
		}
		for _, imp := range slices.Concat(p.TestImports, p.XTestImports) {
			if irel, inModule := relPath(module, imp); inModule && irel != rel {
				if to, ok := places[irel]; ok && to.floor > from.floor {
					testsUp = append(testsUp, fmt.Sprintf("the tests of %s import %s", describe(rel, from), describe(irel, to)))
				}
			}
		}
		for _, imp := range p.Imports {
			irel, inModule := relPath(module, imp)
			if !inModule {
				continue
			}
			to, ok := places[irel]
			if !ok {
				continue
			}
			switch {
			case to.floor > from.floor:
				up = append(up, fmt.Sprintf("%s imports %s: an import that runs up the house", describe(rel, from), describe(irel, to)))
			case to.harness && !from.harness:
				up = append(up, fmt.Sprintf("%s imports %s: code of the house must not depend on a test harness", describe(rel, from), describe(irel, to)))
			}
			if !from.harness && !to.harness && from.room != to.room {
				if roomEdges[from.room] == nil {
					roomEdges[from.room] = map[string]bool{}
				}
				roomEdges[from.room][to.room] = true
			}
		}
	}
	sort.Strings(up)
	for _, u := range up {
		t.Error(u)
	}
	if cycle := findCycle(roomEdges); cycle != nil {
		t.Errorf("the rooms import one another in a cycle: %s", strings.Join(cycle, " → "))
	}
	if testing.Verbose() {
		t.Log("\n" + drawHouse(places, len(up), slices.Compact(slices.Sorted(slices.Values(testsUp)))))
	}
}

// findCycle returns a cycle of the room graph (its rooms, the first repeated at the end), or nil.
func findCycle(edges map[string]map[string]bool) []string {
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(string) []string
	visit = func(r string) []string {
		state[r] = onPath
		path = append(path, r)
		next := make([]string, 0, len(edges[r]))
		for n := range edges[r] {
			next = append(next, n)
		}
		sort.Strings(next)
		for _, n := range next {
			switch state[n] {
			case onPath:
				i := slices.Index(path, n)
				return append(slices.Clone(path[i:]), n)
			case unseen:
				if c := visit(n); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[r] = done
		return nil
	}
	rooms := make([]string, 0, len(edges))
	for r := range edges {
		rooms = append(rooms, r)
	}
	sort.Strings(rooms)
	for _, r := range rooms {
		if state[r] == unseen {
			if c := visit(r); c != nil {
				return c
			}
		}
	}
	return nil
}

// drawHouse prints the floors from the top, each room with its packages, the harnesses, and the
// imports of test files that reach up.
func drawHouse(places map[string]place, upward int, testsUp []string) string {
	byRoom := map[string][]string{}
	for rel, p := range places {
		name := rel
		if name == "" {
			name = "refundflow (root)"
		}
		byRoom[p.room] = append(byRoom[p.room], name)
	}
	var b strings.Builder
	roomLine := func(pattern, what string) {
		pkgs := byRoom[pattern]
		sort.Strings(pkgs)
		fmt.Fprintf(&b, "    %-22s %s: %s\n", displayPattern(pattern), what, strings.Join(pkgs, " "))
	}
	for i := len(floors) - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "floor %d, %s\n", i, floors[i].name)
		for _, r := range floors[i].rooms {
			roomLine(r.pattern, r.what)
		}
	}
	b.WriteString("beside the house, test harnesses\n")
	for _, h := range harnesses {
		roomLine(h.pattern, fmt.Sprintf("(beside %s) %s", h.beside, h.what))
	}
	fmt.Fprintf(&b, "imports that run up the house: %d\n", upward)
	fmt.Fprintf(&b, "test files that reach up (allowed): %d\n", len(testsUp))
	for _, u := range testsUp {
		fmt.Fprintf(&b, "    %s\n", u)
	}
	return b.String()
}

func displayPattern(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}

// TestPlaceOfTakesTheMostSpecificRoom checks the matching the floors rely on: a room named exactly
// beats a "/..." room around it, and a harness inside a room's tree is a harness.
func TestPlaceOfTakesTheMostSpecificRoom(t *testing.T) {
	tests := []struct {
		rel, room string
		harness   bool
	}{
		{"awsenv", "awsenv/...", false},
		{"awsenv/lambdaenv", "awsenv/...", false},
		{"awsenv/httpclient", "awsenv/httpclient", false},
		{"infra/local", "infra/local", false},
		{"infra/local/stack", "infra/local/stack", false},
		{"infra/local/ddblocal", "infra/local/...", false},
		{"infra/local/localpage/localpagetest", "infra/local/localpage/localpagetest", true},
		{"dynamo/dynamotest", "dynamo/dynamotest", true},
		{"", "", false},
		{"refund", "refund/...", false},
		{"refund/policy", "refund/...", false},
	}
	for _, tt := range tests {
		p, ok := placeOf(tt.rel)
		if !ok || p.room != tt.room || p.harness != tt.harness {
			t.Errorf("placeOf(%q) = %+v, %v; want room %q, harness %v", tt.rel, p, ok, tt.room, tt.harness)
		}
	}
	if p, ok := placeOf("refundish"); ok {
		t.Errorf("placeOf(%q) = %+v; want no place", "refundish", p)
	}
}
