package shiptest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const miniTemplate = `
Parameters:
  Name: {Type: String}
Conditions:
  HasName: !Not [!Equals [!Ref Name, ""]]
Globals:
  Function:
    Layers: [!Ref Layer]
    Environment: {Variables: {A: "1", B: global}}
    FunctionUrlConfig: {AuthType: AWS_IAM}
Resources:
  Layer: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: .}}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !If [HasName, !Ref Name, !Ref "AWS::NoValue"]
  Fn:
    Type: AWS::Serverless::Function
    DependsOn: Table
    Properties:
      Layers: [{Ref: Layer}]
      Environment: {Variables: {B: local, T: !Ref Table}}
      Policies:
        - Statement: [{Effect: Allow, Action: "dynamodb:GetItem", Resource: {"Fn::GetAtt": [Table, Arn]}}]
Outputs:
  Url: {Value: !GetAtt FnUrl.FunctionUrl}
  Role: {Value: !Sub "${FnRole.Arn} in ${AWS::Region} ${!Literal}", Export: {Name: !Sub ["${X}-x", {X: !Ref Name}]}}
`

func TestParseTemplateIntrinsics(t *testing.T) {
	tpl, err := ParseTemplate([]byte(miniTemplate))
	if err != nil {
		t.Fatal(err)
	}
	props := asMap(asMap(tpl.Resources["Table"])["Properties"])
	want := Intrinsic{Fn: "Fn::If", Arg: []any{"HasName", Intrinsic{"Ref", "Name"}, Intrinsic{"Ref", "AWS::NoValue"}}}
	if got := props["TableName"]; !reflect.DeepEqual(got, want) {
		t.Errorf("TableName = %v, want %v", got, want)
	}
	if got, want := asMap(tpl.Outputs["Url"])["Value"], (Intrinsic{"Fn::GetAtt", []any{"FnUrl", "FunctionUrl"}}); !reflect.DeepEqual(got, want) {
		t.Errorf("short GetAtt = %v, want %v", got, want)
	}
	pol := asMap(asMap(tpl.Resources["Fn"])["Properties"])["Policies"].([]any)
	stmt := asMap(asMap(pol[0])["Statement"].([]any)[0])
	if got, want := stmt["Resource"], (Intrinsic{"Fn::GetAtt", []any{"Table", "Arn"}}); !reflect.DeepEqual(got, want) {
		t.Errorf("long GetAtt = %v, want %v", got, want)
	}
	if errs := tpl.CheckReferences(); len(errs) > 0 {
		t.Errorf("CheckReferences: %v", errs)
	}
}

func TestFunctionMergesGlobals(t *testing.T) {
	tpl, err := ParseTemplate([]byte(miniTemplate))
	if err != nil {
		t.Fatal(err)
	}
	props := asMap(tpl.Function("Fn")["Properties"])
	vars := asMap(asMap(props["Environment"])["Variables"])
	wantVars := map[string]any{"A": "1", "B": "local", "T": Intrinsic{"Ref", "Table"}}
	if !reflect.DeepEqual(vars, wantVars) {
		t.Errorf("merged variables = %v, want %v", vars, wantVars)
	}
	wantLayers := []any{Intrinsic{"Ref", "Layer"}, Intrinsic{"Ref", "Layer"}}
	if !reflect.DeepEqual(props["Layers"], wantLayers) {
		t.Errorf("merged layers = %v, want %v", props["Layers"], wantLayers)
	}
	if tpl.Function("Nope") != nil {
		t.Error("Function of a missing resource is not nil")
	}
	types := tpl.ResourceTypes()
	if types["FnUrl"] != "AWS::Lambda::Url" || types["FnRole"] != "AWS::IAM::Role" {
		t.Errorf("generated resources = %v", types)
	}
}

func TestCheckReferencesFindsBrokenOnes(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"Ref", "Value: !Ref Missing", `"Missing" is neither`},
		{"long Ref", "Value: {Ref: Missing}", `"Missing" is neither`},
		{"GetAtt resource", "Value: !GetAtt Missing.Arn", `"Missing" is not a resource`},
		{"GetAtt attribute", "Value: !GetAtt Table.Nope", `has no attribute "Nope"`},
		{"GetAtt unknown type", "Value: !GetAtt Queue.Arn", `whose attributes are not known`},
		{"Sub variable", `Value: !Sub "x-${Missing}"`, `"Missing" is neither`},
		{"Sub attribute", `Value: !Sub "${Table.Nope}"`, `has no attribute "Nope"`},
		{"Sub unterminated", `Value: !Sub "x-${AWS::Region"`, "unterminated"},
		{"If condition", "Value: !If [Nope, a, b]", `"Nope" is not a condition`},
		{"url without config", "Value: !GetAtt PlainUrl.FunctionUrl", `"PlainUrl" is not a resource`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := `
Resources:
  Table: {Type: AWS::DynamoDB::Table}
  Queue: {Type: AWS::SQS::Queue}
  Plain: {Type: AWS::Serverless::Function, Properties: {Handler: x}}
Outputs:
  Out:
    ` + tc.yaml + "\n"
			tpl, err := ParseTemplate([]byte(src))
			if err != nil {
				t.Fatal(err)
			}
			errs := tpl.CheckReferences()
			if len(errs) != 1 {
				t.Fatalf("CheckReferences = %v, want one error", errs)
			}
			if !errors.Is(errs[0], ErrReference) || !strings.Contains(errs[0].Error(), tc.want) {
				t.Errorf("error %q does not wrap ErrReference or lacks %q", errs[0], tc.want)
			}
		})
	}
}

func TestCheckReferencesResourceAttributes(t *testing.T) {
	tpl, err := ParseTemplate([]byte(`
Resources:
  A: {Type: AWS::DynamoDB::Table, Condition: Nope, DependsOn: [B, Missing]}
  B: {Type: AWS::DynamoDB::Table}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := tpl.CheckReferences()
	if len(got) != 2 {
		t.Fatalf("CheckReferences = %v, want the Condition and the DependsOn errors", got)
	}
	if !strings.Contains(got[0].Error(), `"Nope" is not a condition`) || !strings.Contains(got[1].Error(), "Missing is not a resource") {
		t.Errorf("errors = %v", got)
	}
}

func TestParseTemplateRejects(t *testing.T) {
	for _, tc := range []struct{ name, yaml string }{
		{"not YAML", "Resources: [\n"},
		{"not a mapping", "- a\n- b\n"},
		{"no resources", "Parameters: {}\n"},
		{"unknown tag", "Resources: {A: !Nope x}\n"},
		{"bad GetAtt", "Resources: {A: !GetAtt NoDot}\n"},
		{"bad long GetAtt", "Resources: {A: {Fn::GetAtt: [1, 2, 3]}}\n"},
		{"duplicate key", "Resources: {A: 1, A: 2}\n"},
		{"section not a mapping", "Resources: {A: {Type: X}}\nOutputs: [1]\n"},
		{"too deep", "Resources: " + strings.Repeat("[", maxDepth+5) + strings.Repeat("]", maxDepth+5) + "\n"},
		{"empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tpl, err := ParseTemplate([]byte(tc.yaml)); !errors.Is(err, ErrTemplate) {
				t.Errorf("ParseTemplate = %v, %v; want ErrTemplate", tpl, err)
			}
		})
	}
}

func TestParseTemplateAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("Resources: {A: *a8}\n")
	_, err := ParseTemplate([]byte(b.String()))
	if !errors.Is(err, ErrTemplate) || !strings.Contains(err.Error(), "values") {
		t.Errorf("ParseTemplate of an alias bomb = %v, want the value limit", err)
	}
}
