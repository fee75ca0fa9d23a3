package samtemplate

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const resolveDoc = `
Parameters:
  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Name: {Type: String}
  Count: {Type: Number, Default: 3}
  Zones: {Type: CommaDelimitedList, Default: "a, b ,c"}
  Empty: {Type: String, Default: ""}
Mappings:
  Sizes:
    dev: {Memory: 128, Tags: [x, y]}
    prod: {Memory: 1024}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsDev, !Equals [!Ref Count, 3]]
  Either: !Or [!Condition IsProd, !Equals [!Ref Name, special]]
  Loop1: !Condition Loop2
  Loop2: !Not [!Condition Loop1]
  ListEq: !Equals [!Ref Zones, [a, b, c]]
Resources:
  Table: {Type: AWS::DynamoDB::Table}
`

func TestResolve(t *testing.T) {
	tpl, err := Parse([]byte(resolveDoc))
	if err != nil {
		t.Fatal(err)
	}
	env := Resolver{
		Template:   tpl,
		Parameters: map[string]string{"Name": "refunds"},
		Ref: func(id string) (string, error) {
			if id == "Table" {
				return "table-name", nil
			}
			return "", errors.New("no such resource")
		},
		GetAtt: func(id, attr string) (string, error) {
			return "arn:" + id + ":" + attr, nil
		},
		ImportValue: func(name string) (string, error) { return "imported-" + name, nil },
	}
	prod := env
	prod.Parameters = map[string]string{"Name": "special", "Stage": "prod"}
	tests := []struct {
		name string
		v    string // YAML
		env  *Resolver
		want string
	}{
		{"literal", `plain`, nil, "plain"},
		{"number literal", `42`, nil, "42"},
		{"bool literal", `true`, nil, "true"},
		{"ref param override", `!Ref Name`, nil, "refunds"},
		{"ref param default", `!Ref Stage`, nil, "dev"},
		{"ref number default", `!Ref Count`, nil, "3"},
		{"ref empty default", `!Ref Empty`, nil, ""},
		{"ref resource", `!Ref Table`, nil, "table-name"},
		{"region default", `!Ref AWS::Region`, nil, "us-east-1"},
		{"account default", `!Ref AWS::AccountId`, nil, "123456789012"},
		{"partition default", `!Ref AWS::Partition`, nil, "aws"},
		{"stack default", `!Ref AWS::StackName`, nil, "local"},
		{"url suffix default", `!Ref AWS::URLSuffix`, nil, "amazonaws.com"},
		{"stack id", `!Ref AWS::StackId`, nil, "arn:aws:cloudformation:us-east-1:123456789012:stack/local/00000000-0000-0000-0000-000000000000"},
		{"getatt short", `!GetAtt Table.Arn`, nil, "arn:Table:Arn"},
		{"getatt list with ref attr", `!GetAtt [Table, !Ref Stage]`, nil, "arn:Table:dev"},
		{"getatt json string", `{"Fn::GetAtt": "Table.StreamArn"}`, nil, "arn:Table:StreamArn"},
		{"sub params and pseudo", `!Sub "${Name}-${Stage}-${AWS::Region}"`, nil, "refunds-dev-us-east-1"},
		{"sub getatt", `!Sub "x ${Table.Arn} y"`, nil, "x arn:Table:Arn y"},
		{"sub resource ref", `!Sub "${Table}"`, nil, "table-name"},
		{"sub literal", `!Sub "${!Literal} and ${!Name}"`, nil, "${Literal} and ${Name}"},
		{"sub vars", "!Sub\n  - \"${A}/${Name}/${B}\"\n  - A: !Ref Stage\n    B: !GetAtt Table.Arn", nil, "dev/refunds/arn:Table:Arn"},
		{"sub var shadows param", "!Sub [\"${Name}\", {Name: shadow}]", nil, "shadow"},
		{"sub no vars", `!Sub "no variables at all"`, nil, "no variables at all"},
		{"join", `!Join ["-", [a, !Ref Stage, !Ref Count]]`, nil, "a-dev-3"},
		{"join list param", `!Join ["|", !Ref Zones]`, nil, "a|b|c"},
		{"join drops novalue", `!Join [",", [a, !Ref AWS::NoValue, b]]`, nil, "a,b"},
		{"select", `!Select [1, [a, b, c]]`, nil, "b"},
		{"select string index", `!Select ["2", !Ref Zones]`, nil, "c"},
		{"select split", `!Select [1, !Split ["@", "user@example.com"]]`, nil, "example.com"},
		{"if true", `!If [IsDev, yes, no]`, nil, "yes"},
		{"if false", `!If [IsProd, yes, no]`, nil, "no"},
		{"if prod", `!If [IsProd, yes, no]`, &prod, "yes"},
		{"and", `!If [Both, yes, no]`, nil, "yes"},
		{"and prod", `!If [Both, yes, no]`, &prod, "no"},
		{"or", `!If [Either, yes, no]`, nil, "no"},
		{"or prod", `!If [Either, yes, no]`, &prod, "yes"},
		{"equals list", `!If [ListEq, yes, no]`, nil, "yes"},
		{"find in map", `!FindInMap [Sizes, !Ref Stage, Memory]`, nil, "128"},
		{"find in map prod", `!FindInMap [Sizes, !Ref Stage, Memory]`, &prod, "1024"},
		{"base64", `{"Fn::Base64": !Sub "${Name}"}`, nil, "cmVmdW5kcw=="},
		{"import", `Fn::ImportValue: !Sub "${Stage}-vpc"`, nil, "imported-dev-vpc"},
		{"nested", `!Join ["", [!Select [0, !GetAZs ""], "/", !FindInMap [Sizes, dev, Memory]]]`, nil, "us-east-1a/128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := decodeYAML([]byte(tt.v))
			if err != nil {
				t.Fatal(err)
			}
			e := env
			if tt.env != nil {
				e = *tt.env
			}
			got, err := Resolve(v, e)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Resolve(%s) = %q, want %q", tt.v, got, tt.want)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	tpl, err := Parse([]byte(resolveDoc))
	if err != nil {
		t.Fatal(err)
	}
	env := Resolver{Template: tpl, Parameters: map[string]string{"Name": "n"}}
	tests := []struct {
		name, v, want string
		env           *Resolver
	}{
		{"unknown ref", `!Ref Nope`, "Ref: no parameter or resource named Nope", nil},
		{"resource without callback", `!Ref Table`, "Ref: resource Table: the resolver has no Ref callback", nil},
		{"getatt without callback", `!GetAtt Table.Arn`, "Fn::GetAtt: Table.Arn: the resolver has no GetAtt callback", nil},
		{"missing parameter", `!Ref Name`, "parameter Name has no default and no value was given", &Resolver{Template: tpl}},
		{"not allowed", `!Ref Stage`, `parameter Stage: value "qa" is not one of ["dev" "prod"]`, &Resolver{Template: tpl, Parameters: map[string]string{"Stage": "qa"}}},
		{"not a number", `!Ref Count`, `parameter Count: value "many" is not a Number`, &Resolver{Template: tpl, Parameters: map[string]string{"Count": "many"}}},
		{"list as string", `!Ref Zones`, "want a string, got a list", nil},
		{"novalue", `!Ref AWS::NoValue`, "value is AWS::NoValue", nil},
		{"select out of range", `!Select [5, [a]]`, "Fn::Select: index 5 out of range (list has 1)", nil},
		{"select bad index", `!Select [x, [a]]`, `Fn::Select: index "x" is not an integer`, nil},
		{"join arity", `!Join [","]`, "Fn::Join: want 2 arguments, got 1", nil},
		{"join not list", `!Join [",", abc]`, "Fn::Join: want a list, got string", nil},
		{"unknown condition", `!If [Nope, a, b]`, "Fn::If: no condition named Nope", nil},
		{"condition cycle", `!If [Loop1, a, b]`, "refers to itself", nil},
		{"missing mapping", `!FindInMap [Sizes, qa, Memory]`, "Fn::FindInMap: mapping Sizes has no key qa", nil},
		{"mapping list value", `!FindInMap [Sizes, dev, Tags]`, "want a string, got a list", nil},
		{"unclosed sub", `!Sub "${Name"`, "unclosed ${", nil},
		{"sub unknown", `!Sub "${Who}"`, "Fn::Sub: ${Who}: no parameter or resource named Who", nil},
		{"equals outside conditions", `!Equals [a, a]`, "only valid in Conditions", nil},
		{"unsupported", `!Cidr [10.0.0.0/16, 2, 8]`, "Fn::Cidr: unsupported intrinsic function", nil},
		{"import without callback", `!ImportValue x`, "the resolver has no ImportValue callback", nil},
		{"mapping", `{a: b}`, "want a string, got a mapping", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := decodeYAML([]byte(tt.v))
			if err != nil {
				t.Fatal(err)
			}
			e := env
			if tt.env != nil {
				e = *tt.env
			}
			_, err = Resolve(v, e)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestResolveListAndValue(t *testing.T) {
	tpl, err := Parse([]byte(resolveDoc))
	if err != nil {
		t.Fatal(err)
	}
	env := Resolver{Template: tpl, Parameters: map[string]string{"Name": "n"}}
	for _, tt := range []struct {
		v    string
		want []string
	}{
		{`!Ref Zones`, []string{"a", "b", "c"}},
		{`[x, !Ref Stage, !Ref AWS::NoValue]`, []string{"x", "dev"}},
		{`!Split [",", "1,2"]`, []string{"1", "2"}},
		{`!If [IsProd, [p], [d1, d2]]`, []string{"d1", "d2"}},
		{`!FindInMap [Sizes, dev, Tags]`, []string{"x", "y"}},
		{`!GetAZs eu-west-1`, []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}},
	} {
		v, err := decodeYAML([]byte(tt.v))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ResolveList(v, env)
		if err != nil {
			t.Fatalf("%s: %v", tt.v, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ResolveList(%s) = %q, want %q", tt.v, got, tt.want)
		}
	}
	if _, err := ResolveList("single", env); err == nil {
		t.Error("ResolveList of a string did not fail")
	}

	v, err := decodeYAML([]byte(`{Statement: [{Effect: Allow, Action: [a, !If [IsProd, b, !Ref AWS::NoValue]], Resource: !Sub "arn:${AWS::Partition}:x"}], Keep: 1, Drop: !Ref AWS::NoValue}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ResolveValue(v, env)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"Statement": []any{map[string]any{"Effect": "Allow", "Action": []any{"a"}, "Resource": "arn:aws:x"}},
		"Keep":      1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ResolveValue = %#v, want %#v", got, want)
	}
}

func TestResolverCheck(t *testing.T) {
	tpl, err := Parse([]byte(resolveDoc))
	if err != nil {
		t.Fatal(err)
	}
	if err := (Resolver{Template: tpl, Parameters: map[string]string{"Name": "x"}}).Check(); err != nil {
		t.Errorf("Check = %v", err)
	}
	err = Resolver{Template: tpl, Parameters: map[string]string{"Stage": "qa", "Typo": "x"}}.Check()
	for _, want := range []string{"override for unknown parameter Typo", "parameter Name has no default", `value "qa" is not one of`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check = %v, want it to mention %q", err, want)
		}
	}
	if ok, err := EvalCondition("IsDev", Resolver{Template: tpl}); err != nil || !ok {
		t.Errorf("EvalCondition(IsDev) = %v, %v", ok, err)
	}
}
