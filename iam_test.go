package refundflow_test

import (
	"fmt"
	"go/types"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"refundflow/infra/local/samtemplate"
	"refundflow/internal/awscalls"
)

// auditPartition is the start of the partition key of the audit trail's items (dynamo's item layout:
// REQ#<id> / AUDIT#<time>#<random>). No policy may let a function delete there.
const auditPartition = "REQ#"

// taskResponders are the functions that may complete a parked workflow task (SendTaskSuccess): the
// consent page, the withdraw action, the staff API's review decision and staff actions, the three
// parking steps (review, consent, and MarkNeedsAttention's staff-action wait), which complete their
// own wait when a decision was recorded while the token was being replaced, and the
// sweeper that delivers recorded decisions whose first SendTaskSuccess failed. A new caller must be
// added here on purpose.
var taskResponders = map[string]bool{
	"RecordConsentFunction":      true,
	"RequestStatusFunction":      true,
	"StaffApiFunction":           true,
	"RequestStaffReviewFunction": true,
	"RequestConsentFunction":     true,
	"ResumeDecisionsFunction":    true,
	"StripeWebhookFunction":      true, // a dispute takes a request waiting for consent back to review
	"MarkNeedsAttentionFunction": true,
}

var (
	programOnce sync.Once
	program     *awscalls.Program
	programErr  error
)

// loadProgram type-checks what the Lambda binaries are built from: the functions' main packages and
// everything they import from the module.
func loadProgram(t *testing.T) *awscalls.Program {
	t.Helper()
	programOnce.Do(func() { program, programErr = awscalls.Load(".", "./functions/...", "./awsenv") })
	if programErr != nil {
		t.Fatalf("load the functions' code: %v", programErr)
	}
	return program
}

// kebab turns a function name into its directory under functions/: SubmitRequest -> submit-request.
func kebab(name string) string {
	var b strings.Builder
	for i, r := range name {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// usage returns what the code of one function can do with AWS: everything reachable from its main
// (the binary Lambda runs) and from its handler's Handle method (which main hands to lambda.Start).
// It also checks that main builds the handler with the builder awsenv registers for the function,
// so the local stack and Lambda run the same wiring.
func usage(t *testing.T, p *awscalls.Program, regs map[string]awscalls.Registration, id, hashKey string) awscalls.Usage {
	t.Helper()
	reg, ok := regs[id]
	if !ok {
		t.Fatalf("awsenv.Builders has no builder for %s", id)
	}
	pkgPath := p.Module() + "/functions/" + kebab(strings.TrimSuffix(id, "Function"))
	main, err := p.Func(pkgPath, "main")
	if err != nil {
		t.Fatalf("%s: %v (the Makefile builds ./functions/%s)", id, err, kebab(strings.TrimSuffix(id, "Function")))
	}
	handlerType := reg.Func.Type().(*types.Signature).Results().At(0).Type()
	handle, err := awscalls.Method(handlerType, "Handle")
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	fromMain := p.Reach(hashKey, main)
	if fromMain.Funcs == 0 {
		t.Fatalf("%s: nothing reachable from main", id)
	}
	u := p.Reach(hashKey, main, handle)
	// The builder must be part of what main runs; otherwise main wires something else.
	withBuilder := p.Reach(hashKey, main, reg.Func)
	if withBuilder.Funcs != fromMain.Funcs {
		t.Errorf("%s: functions/%s/main.go does not call %s, the builder awsenv registers (%s)", id, kebab(strings.TrimSuffix(id, "Function")), reg.Func.Name(), reg.At)
	}
	return u
}

// statement is one resolved IAM statement of a function's Policies.
type statement struct {
	Effect    string
	Actions   []string
	Resources []string
	Condition map[string]any
}

// statements resolves a function's Policies. Only inline statements are accepted: a managed policy
// or a SAM policy template would grant what this test cannot see.
func statements(t *testing.T, res samtemplate.Resolver, f samtemplate.Function) []statement {
	t.Helper()
	if f.Policies == nil {
		return nil
	}
	list, ok := f.Policies.([]any)
	if !ok {
		t.Fatalf("%s: Policies must be a list of inline statements, got %T", f.LogicalID, f.Policies)
	}
	var out []statement
	for _, p := range list {
		pm, ok := p.(map[string]any)
		if !ok || len(pm) != 1 || pm["Statement"] == nil {
			t.Fatalf("%s: policy %v is not {Statement: [...]}; use inline statements so the least-privilege test can read them", f.LogicalID, p)
		}
		v, err := samtemplate.ResolveValue(pm["Statement"], res)
		if err != nil {
			t.Fatalf("%s: %v", f.LogicalID, err)
		}
		for _, raw := range asList(v) {
			sm, ok := raw.(map[string]any)
			if !ok {
				t.Fatalf("%s: statement %v is not a mapping", f.LogicalID, raw)
			}
			s := statement{Effect: fmt.Sprint(sm["Effect"])}
			for _, a := range asList(sm["Action"]) {
				s.Actions = append(s.Actions, fmt.Sprint(a))
			}
			for _, r := range asList(sm["Resource"]) {
				s.Resources = append(s.Resources, fmt.Sprint(r))
			}
			if c, ok := sm["Condition"].(map[string]any); ok {
				s.Condition = c
			}
			for _, k := range []string{"NotAction", "NotResource"} {
				if sm[k] != nil {
					t.Errorf("%s: %s in a statement grants by exclusion; list what is granted", f.LogicalID, k)
				}
			}
			out = append(out, s)
		}
	}
	return out
}

// asList turns a scalar into a one-element list.
func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	}
	return []any{v}
}

// iamLike matches s against an IAM StringLike pattern (* any run, ? one character).
func iamLike(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(s)
}

// TestPoliciesGrantExactlyWhatTheCodeCalls derives, from each function's code (awscalls: its main,
// its builder and its handler, followed through dynamo, mail, payment and the SDK clients), the AWS
// actions it can call, and checks the function's IAM statements against them: no action the code
// never calls, every action it calls, on the resources its environment names, and DynamoDB deletes
// only where the code deletes (never the audit trail).
func TestPoliciesGrantExactlyWhatTheCodeCalls(t *testing.T) {
	tmpl := loadTemplate(t)
	res := symbolic(tmpl)
	tables, err := tmpl.Tables()
	if err != nil || len(tables) != 1 {
		t.Fatalf("want one table, got %d (%v)", len(tables), err)
	}
	table := tables[0]
	hashKey := ""
	for _, k := range table.KeySchema {
		if k.KeyType == "HASH" {
			hashKey = k.Name
		}
	}
	indexes := map[string]bool{}
	for _, ix := range table.GlobalSecondaryIndexes {
		indexes[ix.Name] = true
	}

	p := loadProgram(t)
	regList, err := p.Registrations(p.Module()+"/awsenv", "Adapt")
	if err != nil {
		t.Fatal(err)
	}
	regs := map[string]awscalls.Registration{}
	for _, r := range regList {
		regs[r.Key] = r
	}
	fns := functions(t, tmpl)
	routes, err := tmpl.HttpRoutes()
	if err != nil {
		t.Fatal(err)
	}
	public := map[string]bool{} // functions anyone on the internet can invoke
	for _, r := range routes {
		if r.Authorizer == "" || r.Authorizer == "NONE" {
			public[r.Function] = true
		}
	}
	for id := range regs {
		if _, ok := fns[id]; !ok {
			t.Errorf("awsenv registers a builder for %s, which template.yaml does not declare", id)
		}
	}
	summary := map[string]string{}
	for _, id := range sortedKeys(fns) {
		f := fns[id]
		t.Run(id, func(t *testing.T) {
			u := usage(t, p, regs, id, hashKey)
			for _, s := range u.Unmapped {
				t.Errorf("the code makes an AWS call this test cannot map to an IAM action: %s", s)
			}
			env, err := f.ResolveEnvironment(res)
			if err != nil {
				t.Fatal(err)
			}
			c := policyCheck{t: t, id: id, env: env, table: table.LogicalID, indexes: indexes, usage: u, public: public[id]}
			c.check(statements(t, res, f))
			summary[id] = fmt.Sprintf("%s (table queries %d, index queries %d)", strings.Join(u.ActionNames(), " "), len(u.TableQueries), len(u.IndexQueries))
		})
	}
	if t.Failed() || testing.Verbose() {
		// What the code needs, for whoever fixes the template.
		for _, id := range sortedKeys(summary) {
			t.Logf("%s needs: %s", id, summary[id])
		}
	}
}

// policyCheck compares one function's statements with its code's usage.
type policyCheck struct {
	t       *testing.T
	id      string
	env     map[string]string
	table   string
	indexes map[string]bool
	usage   awscalls.Usage
	// public reports a function behind a route without an authorizer: its writes must be scoped.
	public bool
}

func (c policyCheck) check(stmts []statement) {
	t := c.t
	granted := map[string][]statement{}
	for _, s := range stmts {
		if s.Effect != "Allow" {
			continue // a Deny only narrows
		}
		for _, a := range s.Actions {
			if strings.ContainsAny(a, "*?") {
				t.Errorf("statement grants %q: wildcard actions grant what the code does not call", a)
				continue
			}
			granted[a] = append(granted[a], s)
		}
	}
	for _, a := range sortedKeys(granted) {
		if _, ok := c.usage.Actions[a]; !ok {
			t.Errorf("grants %s, which the code never calls", a)
		}
	}
	for _, a := range c.usage.ActionNames() {
		if _, ok := granted[a]; !ok {
			t.Errorf("the code calls %s (%s), which the template does not grant", a, c.usage.Actions[a][0])
		}
	}
	for a, ss := range granted {
		for _, s := range ss {
			c.resources(a, s)
		}
	}
	c.queries(granted["dynamodb:Query"])
	if granted["states:SendTaskSuccess"] != nil || granted["states:SendTaskFailure"] != nil {
		if !taskResponders[c.id] {
			t.Errorf("may complete workflow tasks (SendTaskSuccess/SendTaskFailure), which only %v may", sortedKeys(taskResponders))
		}
	}
	c.deletes(granted["dynamodb:DeleteItem"])
	c.writes(granted)
}

// writeActions are the DynamoDB item writes IAM can scope with dynamodb:LeadingKeys (a transaction
// part is checked as its single-item action).
var writeActions = []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"}

// leadingKeys returns the dynamodb:LeadingKeys patterns of a statement's condition, and whether it has
// that condition (and no other).
func leadingKeys(s statement) ([]string, bool) {
	cond, _ := s.Condition["ForAllValues:StringLike"].(map[string]any)
	keys := asList(cond["dynamodb:LeadingKeys"])
	if len(s.Condition) != 1 || len(cond) != 1 || len(keys) == 0 {
		return nil, false
	}
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprint(k))
	}
	return out, true
}

// writes checks the LeadingKeys conditions of the write grants against the partitions the code writes
// in: every write must be admitted (else it fails with AccessDenied in AWS only), and every pattern of
// a conditioned statement must admit some write of one of its actions (else it grants a partition
// the code never writes). A public function must scope all its writes, and none may admit the
// partitions of the audit trail for deletes (deletes checks that).
func (c policyCheck) writes(granted map[string][]statement) {
	t := c.t
	byAction := map[string][]awscalls.Write{}
	for _, w := range c.usage.Writes {
		if w.Err != nil {
			t.Errorf("cannot tell which items the %s at %s targets: %v", w.Action, w.At, w.Err)
			continue
		}
		byAction[w.Action] = append(byAction[w.Action], w)
	}
	used := map[string]map[string]bool{} // conditioned statement -> "action pattern" some write needs
	key := func(s statement) string { return fmt.Sprint(s.Actions, s.Resources, s.Condition) }
	for _, action := range writeActions {
		for _, w := range byAction[action] {
			for _, part := range w.Partitions {
				admitted := false
				for _, s := range granted[action] {
					patterns, scoped := leadingKeys(s)
					if len(s.Condition) == 0 {
						admitted = true
						continue
					}
					for _, pat := range patterns {
						if scoped && iamLike(pat, part+"x") {
							admitted = true
							if used[key(s)] == nil {
								used[key(s)] = map[string]bool{}
							}
							used[key(s)][action+" "+pat] = true
						}
					}
				}
				if !admitted {
					t.Errorf("the code's %s at %s writes under %s…, which no statement granting %s admits", action, w.At, part, action)
				}
			}
		}
	}
	for _, action := range writeActions {
		for _, s := range granted[action] {
			patterns, scoped := leadingKeys(s)
			switch {
			case len(s.Condition) == 0:
				if c.public {
					t.Errorf("%s is granted on every item; a function behind a public route must scope its writes with dynamodb:LeadingKeys", action)
				}
			case !scoped:
				t.Errorf("%s: condition %v; want only ForAllValues:StringLike on dynamodb:LeadingKeys", action, s.Condition)
			default:
				for _, pat := range patterns {
					if !used[key(s)][action+" "+pat] && !usedByOther(used[key(s)], pat) {
						t.Errorf("%s is granted under %s, where the code writes nothing", action, pat)
					}
				}
			}
		}
	}
}

// usedByOther reports whether a pattern of a statement admits a write of another of its actions: a
// statement that grants two actions on the same partitions needs each pattern by one of them only.
func usedByOther(used map[string]bool, pattern string) bool {
	for k := range used {
		if strings.HasSuffix(k, " "+pattern) {
			return true
		}
	}
	return false
}

// resources checks the resources of one granted action.
func (c policyCheck) resources(action string, s statement) {
	t := c.t
	tableArn := "{" + c.table + ".Arn}"
	service, op, _ := strings.Cut(action, ":")
	if len(s.Resources) == 0 {
		t.Errorf("%s: statement has no Resource", action)
	}
	for _, r := range s.Resources {
		switch {
		case service == "dynamodb":
			if refTarget(c.env["TABLE_NAME"]) != c.table {
				t.Errorf("%s on %s, but TABLE_NAME does not name table %s", action, r, c.table)
			}
			if r == tableArn {
				if op == "Query" && len(c.usage.TableQueries) == 0 {
					t.Errorf("grants Query on the table, but the code only queries indexes")
				}
				continue
			}
			index, ok := strings.CutPrefix(r, tableArn+"/index/")
			switch {
			case !ok:
				t.Errorf("%s on %s: want the table (%s) or one of its indexes", action, r, tableArn)
			case op != "Query":
				t.Errorf("%s on index %s: only Query reads an index", action, index)
			case !c.indexes[index]:
				t.Errorf("Query on index %q, which the table does not define", index)
			case len(c.usage.IndexQueries) == 0:
				t.Errorf("grants Query on index %s, but the code queries no index", index)
			}
		case action == "states:StartExecution":
			if want := c.env["STATE_MACHINE_ARN"]; want == "" || r != want {
				t.Errorf("StartExecution on %s, want the state machine in STATE_MACHINE_ARN (%s)", r, want)
			}
		case action == "states:SendTaskSuccess" || action == "states:SendTaskFailure" || action == "states:SendTaskHeartbeat":
			// Task tokens carry no resource IAM can match: these actions take "*" only.
			if r != "*" {
				t.Errorf("%s on %s: the SendTask actions do not support resource-level permissions; use \"*\"", action, r)
			}
		case action == "secretsmanager:GetSecretValue":
			ok := false
			for name, v := range c.env {
				if strings.HasSuffix(name, "_SECRET_ARN") && v == r {
					ok = true
				}
			}
			if !ok {
				t.Errorf("GetSecretValue on %s, which no *_SECRET_ARN variable of the function names", r)
			}
		case action == "lambda:InvokeFunction":
			// One function invokes another by the alias a variable of its environment names.
			ok := false
			for _, v := range c.env {
				if v == r {
					ok = true
				}
			}
			if !ok {
				t.Errorf("InvokeFunction on %s, which no variable of the function names", r)
			}
		case action == "ses:SendEmail":
			// SES v2 authorises a send on the sender's identity and, when the email names one, on
			// its configuration set too.
			m := regexp.MustCompile(`^arn:[^:]+:ses:[^:]+:[^:]+:(.*)$`).FindStringSubmatch(r)
			if m == nil {
				t.Errorf("SendEmail on %s, want SES resources of the stack's account and region", r)
				continue
			}
			set, isSet := strings.CutPrefix(m[1], "configuration-set/")
			if !isSet && !strings.HasPrefix(m[1], "identity/") {
				t.Errorf("SendEmail on %s, want SES identities or the configuration set", r)
			}
			if isSet && set != c.env["MAIL_CONFIGURATION_SET"] {
				t.Errorf("SendEmail on configuration set %s, but MAIL_CONFIGURATION_SET names %q", set, c.env["MAIL_CONFIGURATION_SET"])
			}
		default:
			t.Errorf("%s: no resource rule for this action in the test; add one", action)
		}
	}
	if action == "ses:SendEmail" {
		c.sendEmailCondition(s)
		return
	}
	for k := range s.Condition {
		if !slices.Contains(writeActions, action) {
			t.Errorf("%s: unexpected Condition %s (only writes are scoped, by dynamodb:LeadingKeys)", action, k)
		}
	}
}

// sendEmailCondition checks that SendEmail is allowed from the function's sender address only
// (MAIL_FROM), and on the configuration set its emails name (MAIL_CONFIGURATION_SET).
func (c policyCheck) sendEmailCondition(s statement) {
	t := c.t
	eq, _ := s.Condition["StringEquals"].(map[string]any)
	from := asList(eq["ses:FromAddress"])
	if len(s.Condition) != 1 || len(eq) != 1 || len(from) != 1 || fmt.Sprint(from[0]) != c.env["MAIL_FROM"] || c.env["MAIL_FROM"] == "" {
		t.Errorf("SendEmail condition %v, want StringEquals ses:FromAddress = MAIL_FROM (%q) and nothing else", s.Condition, c.env["MAIL_FROM"])
	}
	set := c.env["MAIL_CONFIGURATION_SET"]
	if set == "" {
		t.Errorf("sends email without MAIL_CONFIGURATION_SET: its bounces and complaints would reach no one")
		return
	}
	granted := false
	for _, r := range s.Resources {
		granted = granted || strings.HasSuffix(r, ":configuration-set/"+set)
	}
	if !granted {
		t.Errorf("SendEmail is not granted on the configuration set %s; SES refuses a send naming it", set)
	}
}

// queries checks that Query is granted on the table when the code queries the table, and on an index
// when it queries one (resources() checks the other direction).
func (c policyCheck) queries(grants []statement) {
	tableArn := "{" + c.table + ".Arn}"
	onTable, onIndex := false, false
	for _, s := range grants {
		for _, r := range s.Resources {
			onTable = onTable || r == tableArn
			onIndex = onIndex || strings.HasPrefix(r, tableArn+"/index/")
		}
	}
	if len(c.usage.TableQueries) > 0 && !onTable {
		c.t.Errorf("the code queries the table (%s); grant Query on %s", c.usage.TableQueries[0], tableArn)
	}
	if len(c.usage.IndexQueries) > 0 && !onIndex {
		c.t.Errorf("the code queries an index (%s); grant Query on %s/index/<name>", c.usage.IndexQueries[0], tableArn)
	}
}

// deletes checks DeleteItem grants: each carries a LeadingKeys condition that admits every
// partition the code deletes in and excludes the audit trail's.
func (c policyCheck) deletes(grants []statement) {
	t := c.t
	var patterns []string
	for _, s := range grants {
		cond, _ := s.Condition["ForAllValues:StringLike"].(map[string]any)
		keys := asList(cond["dynamodb:LeadingKeys"])
		if len(s.Condition) != 1 || len(keys) == 0 {
			t.Errorf("DeleteItem is granted without a ForAllValues:StringLike dynamodb:LeadingKeys condition (condition: %v); it could delete audit entries", s.Condition)
			continue
		}
		for _, k := range keys {
			pattern := fmt.Sprint(k)
			if iamLike(pattern, auditPartition+"x") {
				t.Errorf("DeleteItem condition %q admits the audit trail's partition %s…", pattern, auditPartition)
			}
			patterns = append(patterns, pattern)
		}
	}
	for _, d := range c.usage.Deletes {
		if d.Err != nil {
			t.Errorf("cannot tell which items the delete at %s targets: %v", d.At, d.Err)
			continue
		}
		if strings.HasPrefix(auditPartition, d.Partition) || strings.HasPrefix(d.Partition, auditPartition) {
			t.Errorf("the code deletes in partition %s… (%s), where the audit trail lives", d.Partition, d.At)
		}
		ok := false
		for _, p := range patterns {
			if iamLike(p, d.Partition+"x") {
				ok = true
			}
		}
		if !ok && len(grants) > 0 {
			t.Errorf("the code deletes under %s… (%s), which the DeleteItem condition %v does not admit", d.Partition, d.At, patterns)
		}
	}
}
