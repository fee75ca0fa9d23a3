package samtemplate

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func load(t *testing.T) *Template {
	t.Helper()
	tpl, err := Load("testdata/template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func localEnv(tpl *Template) Resolver {
	return Resolver{
		Template:   tpl,
		Parameters: map[string]string{"SenderEmail": "refunds@example.com"},
		Region:     "eu-west-1",
		StackName:  "refundflow-local",
		Ref: func(id string) (string, error) {
			switch id {
			case "RefundTable":
				return "refundflow-dev", nil
			case "RefundApi":
				return "localapi", nil
			case "RefundStateMachine":
				return "arn:aws:states:eu-west-1:123456789012:stateMachine:refund", nil
			case "RequestConsentFunction":
				return "request-consent", nil
			}
			return "", errUnknown(id)
		},
		GetAtt: func(id, attr string) (string, error) {
			switch id + "." + attr {
			case "RefundStateMachine.Arn":
				return "arn:aws:states:eu-west-1:123456789012:stateMachine:refund", nil
			case "RequestConsentFunction.Arn":
				return "arn:aws:lambda:eu-west-1:123456789012:function:request-consent", nil
			}
			return "", errUnknown(id + "." + attr)
		},
	}
}

type errUnknown string

func (e errUnknown) Error() string { return "unknown " + string(e) }

func TestShortFormsBecomeLongForms(t *testing.T) {
	tests := []struct {
		yaml string
		want string
	}{
		{`!Ref Stage`, `{"Ref":"Stage"}`},
		{`!GetAtt Fn.Arn`, `{"Fn::GetAtt":["Fn","Arn"]}`},
		{`!GetAtt Stack.Outputs.Url`, `{"Fn::GetAtt":["Stack","Outputs.Url"]}`},
		{`!GetAtt [Fn, Arn]`, `{"Fn::GetAtt":["Fn","Arn"]}`},
		{`!Sub "a-${Stage}"`, `{"Fn::Sub":"a-${Stage}"}`},
		{"!Sub\n  - \"${A}\"\n  - A: !Ref B", `{"Fn::Sub":["${A}",{"A":{"Ref":"B"}}]}`},
		{`!Join [",", [a, !Ref B]]`, `{"Fn::Join":[",",["a",{"Ref":"B"}]]}`},
		{`!Select [0, !Split [",", "a,b"]]`, `{"Fn::Select":[0,{"Fn::Split":[",","a,b"]}]}`},
		{`!If [C, yes, !Ref AWS::NoValue]`, `{"Fn::If":["C","yes",{"Ref":"AWS::NoValue"}]}`},
		{`!Equals [!Ref A, b]`, `{"Fn::Equals":[{"Ref":"A"},"b"]}`},
		{`!Not [!Condition C]`, `{"Fn::Not":[{"Condition":"C"}]}`},
		{`!And [!Condition A, !Condition B]`, `{"Fn::And":[{"Condition":"A"},{"Condition":"B"}]}`},
		{`!Or [!Condition A, !Condition B]`, `{"Fn::Or":[{"Condition":"A"},{"Condition":"B"}]}`},
		{`!FindInMap [M, !Ref K, V]`, `{"Fn::FindInMap":["M",{"Ref":"K"},"V"]}`},
		{`!Base64 hello`, `{"Fn::Base64":"hello"}`},
		{`!ImportValue shared-vpc`, `{"Fn::ImportValue":"shared-vpc"}`},
		{`!GetAZs ""`, `{"Fn::GetAZs":""}`},
		{`{"Fn::GetAtt": ["A", "B"]}`, `{"Fn::GetAtt":["A","B"]}`},
		{`[1, 2.5, true, null, "x", 2010-09-09]`, `[1,2.5,true,null,"x","2010-09-09"]`},
	}
	for _, tt := range tests {
		v, err := decodeYAML([]byte(tt.yaml))
		if err != nil {
			t.Errorf("%s: %v", tt.yaml, err)
			continue
		}
		got, _ := json.Marshal(v)
		if string(got) != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.yaml, got, tt.want)
		}
	}
}

func TestNestedShortFormsFail(t *testing.T) {
	// yaml.v3 would silently read this as an empty !Base64.
	_, err := decodeYAML([]byte(`!Base64 !Sub "${Name}"`))
	if err == nil || !strings.Contains(err.Error(), "line 1: !Base64 has no value") {
		t.Fatalf("got %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"unknown tag", "Resources:\n  X:\n    Type: A\n    Properties: {V: !Bogus x}\n", "line 4: unknown tag !Bogus"},
		{"bad GetAtt", "Resources:\n  X:\n    Type: A\n    Properties: {V: !GetAtt NoDot}\n", `!GetAtt "NoDot": want Resource.Attribute`},
		{"duplicate key", "Resources:\n  X:\n    Type: A\n  X:\n    Type: B\n", `duplicate key "X"`},
		{"no resources", "Parameters: {}\n", "no Resources"},
		{"no type", "Resources:\n  X:\n    Properties: {}\n", "resource X: Type is required"},
		{"ref to non-name", "Resources:\n  X:\n    Type: A\n    Properties: {V: !Ref [a]}\n", "!Ref needs a name"},
		{"default not allowed", "Parameters:\n  P: {Type: String, Default: c, AllowedValues: [a, b]}\nResources:\n  X: {Type: A}\n", `parameter P: Default "c" is not one of AllowedValues`},
		{"parameter without type", "Parameters:\n  P: {Default: c}\nResources:\n  X: {Type: A}\n", "parameter P: Type is required"},
		{"unknown condition", "Resources:\n  X: {Type: A, Condition: Nope}\n", `resource X: Condition "Nope" is not in Conditions`},
		{"unknown deletion policy", "Resources:\n  X: {Type: A, DeletionPolicy: Keep}\n", `resource X: DeletionPolicy "Keep" is not one of`},
		{"retain except on create on replace", "Resources:\n  X: {Type: A, UpdateReplacePolicy: RetainExceptOnCreate}\n", `resource X: UpdateReplacePolicy "RetainExceptOnCreate" is not one of`},
		{"not yaml", "Resources: [\n", "parse template"},
		{"top level list", "- a\n", "top level is not a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestTemplateSections(t *testing.T) {
	tpl := load(t)
	if got, want := tpl.FormatVersion, "2010-09-09"; got != want {
		t.Errorf("FormatVersion = %q, want %q", got, want)
	}
	if got, want := tpl.Transform, []string{"AWS::Serverless-2016-10-31"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Transform = %q, want %q", got, want)
	}
	stage := tpl.Parameters["Stage"]
	if got, want := stage, (Parameter{Name: "Stage", Type: "String", Default: "dev", HasDefault: true, AllowedValues: []string{"dev", "prod"}}); !reflect.DeepEqual(got, want) {
		t.Errorf("Stage = %+v, want %+v", got, want)
	}
	if p := tpl.Parameters["SenderEmail"]; p.HasDefault || p.AllowedPattern != "[^@]+@[^@]+" {
		t.Errorf("SenderEmail = %+v", p)
	}
	if got, want := tpl.Parameters["LogRetentionDays"].Default, "30"; got != want {
		t.Errorf("LogRetentionDays default = %q, want %q", got, want)
	}
	if !tpl.Parameters["AllowedOrigins"].IsList() {
		t.Error("AllowedOrigins is not a list parameter")
	}
	g := tpl.Globals.Function
	if g.Runtime != "provided.al2023" || g.Handler != "bootstrap" || g.Timeout != 10 || g.MemorySize != 256 ||
		!reflect.DeepEqual(g.Architectures, []string{"arm64"}) || len(g.Environment) != 3 {
		t.Errorf("Globals.Function = %+v", g)
	}
	var ids []string
	for _, r := range tpl.ResourcesOfType(TypeFunction) {
		ids = append(ids, r.LogicalID)
	}
	if got, want := ids, []string{"RequestConsentFunction", "StaffFunction", "StatusFunction", "SubmitRequestFunction"}; !reflect.DeepEqual(got, want) {
		t.Errorf("functions = %q, want %q", got, want)
	}
	if got, want := tpl.Resources["ProdOnlyAlarm"].Condition, "ProdAndProtected"; got != want {
		t.Errorf("alarm condition = %q, want %q", got, want)
	}
	policies := func(id string) string {
		return tpl.Resources[id].DeletionPolicy + "/" + tpl.Resources[id].UpdateReplacePolicy
	}
	if got, want := policies("RefundTable"), "RetainExceptOnCreate/Retain"; got != want {
		t.Errorf("table DeletionPolicy/UpdateReplacePolicy = %s, want %s", got, want)
	}
	if got, want := policies("ProdOnlyAlarm"), "/"; got != want {
		t.Errorf("alarm DeletionPolicy/UpdateReplacePolicy = %s, want none", got)
	}
}

func TestFunctionsMergeGlobals(t *testing.T) {
	tpl := load(t)
	f, err := tpl.Function("SubmitRequestFunction")
	if err != nil {
		t.Fatal(err)
	}
	if f.CodeUri != "functions/submit-request/" || f.Handler != "bootstrap" || f.Runtime != "provided.al2023" ||
		f.Timeout != 10 || f.MemorySize != 256 || f.BuildMethod != "makefile" || !reflect.DeepEqual(f.Architectures, []string{"arm64"}) {
		t.Errorf("function = %+v", f)
	}
	var keys []string
	for k := range f.Environment {
		keys = append(keys, k)
	}
	if got, want := len(keys), 6; got != want {
		t.Errorf("environment has %d variables (%q), want %d", got, keys, want)
	}
	if got, want := f.Environment["STAGE"], any("overridden-by-function"); got != want {
		t.Errorf("STAGE = %v, want the function's own value %v", got, want)
	}
	if got, want := f.Environment["TABLE_NAME"], any(map[string]any{"Ref": "RefundTable"}); !reflect.DeepEqual(got, want) {
		t.Errorf("TABLE_NAME = %v, want the Globals value %v", got, want)
	}
	pol, _ := json.Marshal(f.Policies)
	if !strings.Contains(string(pol), `"DynamoDBCrudPolicy":{"TableName":{"Ref":"RefundTable"}}`) {
		t.Errorf("policies = %s", pol)
	}
	if got, want := len(f.Events), 2; got != want {
		t.Fatalf("events = %+v", f.Events)
	}
	if got, want := f.Events[0], (HttpApiEvent{Name: "Form", Method: "GET", Path: "/requests/new", ApiID: "RefundApi", Authorizer: "NONE", PayloadFormatVersion: "2.0"}); !reflect.DeepEqual(got, want) {
		t.Errorf("event = %+v, want %+v", got, want)
	}

	staff, err := tpl.Function("StaffFunction")
	if err != nil {
		t.Fatal(err)
	}
	// Lists are additive in SAM's Globals: [arm64] + [arm64].
	if got, want := staff.Architectures, []string{"arm64", "arm64"}; !reflect.DeepEqual(got, want) {
		t.Errorf("architectures = %q, want %q", got, want)
	}
	if got, want := staff.MemorySize, 512; got != want {
		t.Errorf("MemorySize = %d, want %d", got, want)
	}
	if got, want := len(staff.Events), 3; got != want {
		t.Errorf("staff has %d HttpApi events, want %d (the SQS one is not HttpApi)", got, want)
	}
	if _, err := tpl.Function("RefundTable"); err == nil {
		t.Error("Function(RefundTable) did not fail")
	}
}

func TestHttpRoutes(t *testing.T) {
	tpl := load(t)
	routes, err := tpl.HttpRoutes()
	if err != nil {
		t.Fatal(err)
	}
	want := []Route{
		{Function: "SubmitRequestFunction", Event: "Form", API: "RefundApi", Method: "GET", Path: "/requests/new"},
		{Function: "StaffFunction", Event: "List", API: "RefundApi", Method: "GET", Path: "/staff/requests", Authorizer: "StaffAuthorizer", Scopes: []string{"refunds/staff"}},
		{Function: "SubmitRequestFunction", Event: "Submit", API: "RefundApi", Method: "POST", Path: "/requests"},
		{Function: "StaffFunction", Event: "Review", API: "RefundApi", Method: "POST", Path: "/staff/requests/{id}/review", Authorizer: "StaffAuthorizer", Scopes: []string{"refunds/review"}},
		{Function: "StaffFunction", Event: "Anything", API: "RefundApi", Method: "ANY", Path: "/staff/{proxy+}", Authorizer: "StaffAuthorizer", Scopes: []string{"refunds/staff"}},
		{Function: "StatusFunction", Event: "Status", API: "ServerlessHttpApi", Method: "GET", Path: "/requests/{id}"},
	}
	byKey := func(rs []Route) map[string]Route {
		m := map[string]Route{}
		for _, r := range rs {
			m[r.API+" "+r.RouteKey()] = r
		}
		return m
	}
	if got, want := byKey(routes), byKey(want); !reflect.DeepEqual(got, want) {
		t.Errorf("routes:\n got %+v\nwant %+v", routes, want)
	}
	if got, want := routes[0].RouteKey(), "ANY /staff/{proxy+}"; got != want {
		t.Errorf("first route = %q, want %q (sorted)", got, want)
	}
}

func TestHttpRouteErrors(t *testing.T) {
	base := `
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        Authorizers:
          A:
            JwtConfiguration: {issuer: "https://i", audience: [x]}
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
%s`
	tests := []struct{ name, events, want string }{
		{"unknown api", "        E: {Type: HttpApi, Properties: {ApiId: !Ref Nope, Method: GET, Path: /a}}\n", "function F: event E: ApiId: no AWS::Serverless::HttpApi named Nope"},
		{"unknown authorizer", "        E: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: GET, Path: /a, Auth: {Authorizer: B}}}\n", `"B" is not an authorizer of Api`},
		{"duplicate route", "        E: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: get, Path: /a}}\n        E2: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: GET, Path: /a}}\n", `route "GET /a" of Api is also defined by F.E`},
		{"greedy not last", "        E: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: GET, Path: '/{p+}/x'}}\n", "greedy parameter {p+} must be last"},
		{"partial segment", "        E: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: GET, Path: '/a{p}'}}\n", "must be a whole segment"},
		{"method without path", "        E: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: GET}}\n", "Path: required when Method is set"},
		{"ApiId not a ref", "        E: {Type: HttpApi, Properties: {ApiId: !GetAtt Api.Id, Method: GET, Path: /a}}\n", "ApiId: want !Ref <LogicalId>, got Fn::GetAtt"},
		{"timeout not a number", "        E: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: GET, Path: /a, TimeoutInMillis: soon}}\n", `TimeoutInMillis: want an integer, got "soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse([]byte(strings.Replace(base, "%s", tt.events, 1)))
			if err == nil {
				_, err = tpl.HttpRoutes()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestHttpApis(t *testing.T) {
	tpl := load(t)
	apis, err := tpl.HttpApis()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(apis), 2; got != want {
		t.Fatalf("got %d APIs, want %d (RefundApi and the implicit one)", got, want)
	}
	api, implicit := apis[0], apis[1]
	if api.LogicalID != "RefundApi" || implicit.LogicalID != ImplicitHttpApiID {
		t.Fatalf("APIs = %s, %s", api.LogicalID, implicit.LogicalID)
	}
	if got, want := api.StageName, "$default"; got != want {
		t.Errorf("StageName = %q, want %q", got, want)
	}
	if got, want := api.DefaultAuthorizer, "StaffAuthorizer"; got != want {
		t.Errorf("DefaultAuthorizer = %q, want %q", got, want)
	}
	az := api.Authorizers["StaffAuthorizer"]
	if !az.JWT || az.IdentitySource != "$request.header.Authorization" || !reflect.DeepEqual(az.AuthorizationScopes, []string{"refunds/staff"}) {
		t.Errorf("authorizer = %+v", az)
	}
	env := localEnv(tpl)
	iss, aud, err := az.ResolveJWT(env)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := iss, "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TEST"; got != want {
		t.Errorf("issuer = %q, want %q", got, want)
	}
	// The audience is the JwtAudience parameter: its default, then a value the stack passes.
	if got, want := aud, []string{"staff-console"}; !reflect.DeepEqual(got, want) {
		t.Errorf("audience = %q, want %q (the parameter's default)", got, want)
	}
	env.Parameters["JwtAudience"] = "local-staff"
	if _, aud, err = az.ResolveJWT(env); err != nil || !reflect.DeepEqual(aud, []string{"local-staff"}) {
		t.Errorf("audience = %q, %v; want [local-staff]", aud, err)
	}
	// Both APIs inherit CORS from Globals.HttpApi.
	for _, a := range apis {
		if a.Cors == nil {
			t.Fatalf("%s has no CORS", a.LogicalID)
		}
		c, err := a.Cors.Resolve(env)
		if err != nil {
			t.Fatal(err)
		}
		want := ResolvedCors{
			AllowOrigins:     []string{"https://refunds.example.com", "https://staff.example.com"},
			AllowMethods:     []string{"GET", "POST"},
			AllowHeaders:     []string{"authorization", "content-type"},
			MaxAge:           600,
			AllowCredentials: true,
		}
		if !reflect.DeepEqual(c, want) {
			t.Errorf("%s CORS = %+v, want %+v", a.LogicalID, c, want)
		}
	}
}

func TestStateMachines(t *testing.T) {
	tpl := load(t)
	sms, err := tpl.StateMachines()
	if err != nil {
		t.Fatal(err)
	}
	if len(sms) != 1 {
		t.Fatalf("got %d state machines", len(sms))
	}
	sm := sms[0]
	if sm.LogicalID != "RefundStateMachine" || sm.Type != "STANDARD" || sm.DefinitionUri != "statemachine/refund.asl.json" || !sm.Tracing {
		t.Errorf("state machine = %+v", sm)
	}
	if sm.Logging == nil || sm.Logging.Level != "ALL" || sm.Logging.IncludeExecutionData || sm.Logging.Destinations == nil {
		t.Errorf("logging = %+v", sm.Logging)
	}
	subs, err := sm.ResolveSubstitutions(localEnv(tpl))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"RequestConsentFunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:request-consent",
		"TableName":                 "refundflow-dev",
		"Partition":                 "aws",
	}
	if !reflect.DeepEqual(subs, want) {
		t.Errorf("substitutions = %v, want %v", subs, want)
	}
	pol, err := ResolveValue(sm.Policies, localEnv(tpl))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(pol)
	if string(got) != `[{"LambdaInvokePolicy":{"FunctionName":"request-consent"}}]` {
		t.Errorf("resolved policies = %s", got)
	}
}

func TestResolveEnvironment(t *testing.T) {
	tpl := load(t)
	env := localEnv(tpl)
	tests := []struct {
		fn   string
		env  func(Resolver) Resolver
		want map[string]string
	}{
		{"SubmitRequestFunction", nil, map[string]string{
			"TABLE_NAME":        "refundflow-dev",
			"LOG_LEVEL":         "DEBUG",
			"STAGE":             "overridden-by-function",
			"STATE_MACHINE_ARN": "arn:aws:states:eu-west-1:123456789012:stateMachine:refund",
			"PUBLIC_BASE_URL":   "https://refunds.example.com",
			"DEBUG_ONLY":        "yes",
		}},
		{"SubmitRequestFunction", func(e Resolver) Resolver {
			e.Parameters = map[string]string{"SenderEmail": "a@b.c", "Stage": "prod", "PublicBaseUrl": "http://127.0.0.1:8080"}
			return e
		}, map[string]string{
			"TABLE_NAME":        "refundflow-dev",
			"LOG_LEVEL":         "INFO",
			"STAGE":             "overridden-by-function",
			"STATE_MACHINE_ARN": "arn:aws:states:eu-west-1:123456789012:stateMachine:refund",
			"PUBLIC_BASE_URL":   "http://127.0.0.1:8080",
			// DEBUG_ONLY is AWS::NoValue in prod: left out.
		}},
		{"RequestConsentFunction", nil, map[string]string{
			"TABLE_NAME":     "refundflow-dev",
			"LOG_LEVEL":      "DEBUG",
			"STAGE":          "dev",
			"SENDER":         "Refunds <refunds@example.com>",
			"CONSENT_URL":    "https://refunds.example.com/consent/${code}?stage=dev",
			"REMINDER_HOURS": "1",
		}},
		{"StaffFunction", nil, map[string]string{
			"TABLE_NAME":  "refundflow-dev",
			"LOG_LEVEL":   "DEBUG",
			"STAGE":       "dev",
			"ORIGINS":     "https://refunds.example.com,https://staff.example.com",
			"REGION_INFO": "eu-west-1/123456789012/aws/refundflow-local/amazonaws.com",
			"ISSUER_B64":  "aXNzdWVy",
		}},
	}
	for _, tt := range tests {
		f, err := tpl.Function(tt.fn)
		if err != nil {
			t.Fatal(err)
		}
		e := env
		if tt.env != nil {
			e = tt.env(env)
		}
		got, err := f.ResolveEnvironment(e)
		if err != nil {
			t.Fatalf("%s: %v", tt.fn, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s environment:\n got %v\nwant %v", tt.fn, got, tt.want)
		}
	}
}

func TestResolveEnvironmentErrorNamesFunctionAndVariable(t *testing.T) {
	tpl := load(t)
	env := localEnv(tpl)
	env.Parameters = nil // SenderEmail has no default
	f, err := tpl.Function("RequestConsentFunction")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.ResolveEnvironment(env)
	want := "function RequestConsentFunction: Environment.Variables.SENDER: Fn::Sub: ${SenderEmail}: parameter SenderEmail has no default and no value was given"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

func TestRefProperty(t *testing.T) {
	for _, tt := range []struct{ in, id, prop string }{
		{"MyFunction.Alias", "MyFunction", "Alias"},
		{"MyFunction.Version", "MyFunction", "Version"},
		{"MyFunction", "MyFunction", ""},
		{".Alias", ".Alias", ""},
		{"MyFunction.", "MyFunction.", ""},
	} {
		id, prop, ok := RefProperty(tt.in)
		if id != tt.id || prop != tt.prop || ok != (tt.prop != "") {
			t.Errorf("RefProperty(%q) = %q, %q, %v; want %q, %q", tt.in, id, prop, ok, tt.id, tt.prop)
		}
	}
	tpl, err := Parse([]byte("Globals:\n  Function: {AutoPublishAlias: live}\nResources:\n  F: {Type: AWS::Serverless::Function}\n  G:\n    Type: AWS::Serverless::Function\n    Properties: {AutoPublishAlias: canary}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"F": "live", "G": "canary"} {
		if f, err := tpl.Function(id); err != nil || f.AutoPublishAlias != want {
			t.Errorf("%s: AutoPublishAlias = %q (%v), want %q", id, f.AutoPublishAlias, err, want)
		}
	}
	// Without a Ref callback, a Ref to a generated resource of a declared one passes the check.
	if _, err := Resolve(map[string]any{"Ref": "F.Alias"}, Resolver{Template: tpl}); err == nil || !strings.Contains(err.Error(), "no Ref callback") {
		t.Errorf("Ref F.Alias without a callback: %v", err)
	}
}
