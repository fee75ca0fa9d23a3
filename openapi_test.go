package refundflow_test

// The contract, docs/openapi.yaml, against what it describes: it is a valid OpenAPI document, it has
// exactly template.yaml's routes (and the local stack's own, marked x-local-only), each route's
// security is the authorizer the template gives it, and docs/api.md speaks of the same routes and
// error codes. infra/local/stack/openapi_test.go checks real requests and answers against it.

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"refundflow"
)

// localOnly is the extension that marks a path item the local stack serves and a deployment does not.
const localOnly = "x-local-only"

// localPrefix is where the local stack's own routes live; only they may be marked x-local-only.
const localPrefix = "/_local/"

// sandboxOnly is the extension that marks a path item only a sandbox deployment serves: the routes of
// functions under template.yaml's condition sandboxCondition (PaymentProvider=sandbox).
const (
	sandboxOnly      = "x-sandbox-only"
	sandboxCondition = "SandboxProvider"
)

// loadOpenAPI loads and validates the embedded contract (the bytes GET /openapi.yaml serves).
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(refundflow.OpenAPI)
	if err != nil {
		t.Fatalf("load docs/openapi.yaml: %v", err)
	}
	if err := doc.Validate(loader.Context, openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("docs/openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// specOperation is one operation of the contract.
type specOperation struct {
	local, sandbox bool
	op             *openapi3.Operation
}

// specOperations returns the contract's operations by route key ("GET /requests/{id}").
func specOperations(doc *openapi3.T) map[string]specOperation {
	out := map[string]specOperation{}
	for path, item := range doc.Paths.Map() {
		_, local := item.Extensions[localOnly]
		_, sandbox := item.Extensions[sandboxOnly]
		for method, op := range item.Operations() {
			out[strings.ToUpper(method)+" "+path] = specOperation{local: local, sandbox: sandbox, op: op}
		}
	}
	return out
}

func TestOpenAPIIsValid(t *testing.T) {
	doc := loadOpenAPI(t)
	if got, want := doc.OpenAPI, "3.1.0"; got != want {
		t.Errorf("openapi: %q, want %q", got, want)
	}
	disk, err := os.ReadFile("docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(disk) != string(refundflow.OpenAPI) {
		t.Error("refundflow.OpenAPI differs from docs/openapi.yaml")
	}
	// Every operation can be named by generated clients, and says what it answers.
	ids := map[string]string{}
	for key, o := range specOperations(doc) {
		if o.op.OperationID == "" {
			t.Errorf("%s has no operationId", key)
		} else if other, dup := ids[o.op.OperationID]; dup {
			t.Errorf("%s and %s share operationId %s", key, other, o.op.OperationID)
		}
		ids[o.op.OperationID] = key
		if o.op.Summary == "" {
			t.Errorf("%s has no summary", key)
		}
		if o.op.Security == nil {
			t.Errorf("%s does not say its security (security: [] for an open route)", key)
		}
	}
}

// TestOpenAPIHasExactlyTheTemplateRoutes fails for a route of template.yaml without an operation in
// the contract, and for an operation of the contract that no route serves, naming each.
func TestOpenAPIHasExactlyTheTemplateRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	routes, err := loadTemplate(t).HttpRoutes()
	if err != nil {
		t.Fatal(err)
	}
	spec := specOperations(doc)
	var missing []string
	for _, r := range routes {
		key := r.RouteKey()
		o, ok := spec[key]
		if !ok {
			missing = append(missing, fmt.Sprintf("%s (%s): add paths.%q.%s to docs/openapi.yaml (copy a neighbour; the comment at its top says how)",
				key, r.Function, r.Path, strings.ToLower(r.Method)))
			continue
		}
		if o.local {
			t.Errorf("%s is a route of template.yaml but marked %s in docs/openapi.yaml", key, localOnly)
		}
		// A route only some deployments have says so: with PaymentProvider=stripe it does not exist.
		if got, want := o.sandbox, r.Condition == sandboxCondition; got != want {
			t.Errorf("%s: marked %s = %v in docs/openapi.yaml, but its function's Condition is %q", key, sandboxOnly, got, r.Condition)
		}
		if r.Condition != "" && r.Condition != sandboxCondition {
			t.Errorf("%s: its function has Condition %q; docs/openapi.yaml can only mark %s routes (%s)", key, r.Condition, sandboxCondition, sandboxOnly)
		}
		checkSecurity(t, key, o.op, r.Authorizer, r.Scopes)
		delete(spec, key)
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("template.yaml route without a contract: %s", m)
	}
	for _, key := range sortedKeys(spec) {
		_, path, _ := strings.Cut(key, " ")
		switch {
		case !spec[key].local:
			t.Errorf("docs/openapi.yaml documents %s, which is no route of template.yaml (remove it, or add the route; local stack routes under %s are marked %s)",
				key, localPrefix, localOnly)
		case !strings.HasPrefix(path, localPrefix):
			t.Errorf("docs/openapi.yaml marks %s %s, but only the local stack's own routes under %s may be", key, localOnly, localPrefix)
		}
	}
}

// checkSecurity compares an operation's security with its route's authorizer: none for an open
// route, the staff bearer token behind the JWT authorizer, and the billing system's client
// credentials with exactly the route's scopes where the route requires scopes.
func checkSecurity(t *testing.T, key string, op *openapi3.Operation, authorizer string, scopes []string) {
	t.Helper()
	if op.Security == nil {
		return // TestOpenAPIIsValid says so
	}
	var schemes []string
	var gotScopes []string
	for _, req := range *op.Security {
		for name, s := range req {
			schemes = append(schemes, name)
			gotScopes = append(gotScopes, s...)
		}
	}
	sort.Strings(gotScopes)
	want := slices.Clone(scopes)
	sort.Strings(want)
	switch {
	case authorizer == "" || authorizer == "NONE":
		if len(schemes) > 0 {
			t.Errorf("%s is open in template.yaml, but its contract requires %v", key, schemes)
		}
	case len(want) > 0:
		if !slices.Equal(schemes, []string{"billingClientCredentials"}) || !slices.Equal(gotScopes, want) {
			t.Errorf("%s requires scopes %v in template.yaml; its contract: schemes %v, scopes %v", key, want, schemes, gotScopes)
		}
	default:
		if !slices.Equal(schemes, []string{"staffJwt"}) {
			t.Errorf("%s is behind authorizer %s in template.yaml; its contract: schemes %v, want [staffJwt]", key, authorizer, schemes)
		}
	}
}

// apiDocRoute finds a route written in docs/api.md: a method and a path in code quotes.
var apiDocRoute = regexp.MustCompile("`(GET|HEAD|POST|PUT|PATCH|DELETE) (/[^`?\\s]*)")

// paramName stands for a path parameter of any name, so /requests/{id} and /requests/{requestId} agree.
var paramName = regexp.MustCompile(`\{[^}]*\}`)

// TestAPIDocAgreesWithOpenAPI checks that docs/api.md and the contract name the same routes (the
// local stack's aside, which docs/local.md describes) and the same error codes.
func TestAPIDocAgreesWithOpenAPI(t *testing.T) {
	doc := loadOpenAPI(t)
	md, err := os.ReadFile("docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	inDoc := map[string]bool{}
	for _, m := range apiDocRoute.FindAllStringSubmatch(string(md), -1) {
		if strings.HasPrefix(m[2], "/_local/") {
			continue // the local stack's own routes, named where api.md says how to try a route locally
		}
		inDoc[m[1]+" "+paramName.ReplaceAllString(m[2], "{}")] = true
	}
	inSpec := map[string]bool{}
	for key, o := range specOperations(doc) {
		if !o.local {
			inSpec[paramName.ReplaceAllString(key, "{}")] = true
		}
	}
	for _, key := range sortedKeys(inDoc) {
		if !inSpec[key] {
			t.Errorf("docs/api.md names %s, which docs/openapi.yaml does not describe", key)
		}
	}
	for _, key := range sortedKeys(inSpec) {
		if !inDoc[key] {
			t.Errorf("docs/openapi.yaml describes %s, which docs/api.md does not name", key)
		}
	}

	// The error table's codes are the contract's.
	errBody := doc.Components.Schemas["ErrorBody"]
	if errBody == nil || errBody.Value.Properties["error"] == nil {
		t.Fatal("docs/openapi.yaml has no ErrorBody with an error object")
	}
	var specCodes []string
	for _, c := range errBody.Value.Properties["error"].Value.Properties["code"].Value.Enum {
		specCodes = append(specCodes, fmt.Sprint(c))
	}
	sort.Strings(specCodes)
	var docCodes []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| [0-9]{3} \\|").FindAllStringSubmatch(string(md), -1) {
		docCodes = append(docCodes, m[1])
	}
	sort.Strings(docCodes)
	if !slices.Equal(specCodes, docCodes) {
		t.Errorf("error codes: docs/openapi.yaml %v, docs/api.md's table %v", specCodes, docCodes)
	}
}
