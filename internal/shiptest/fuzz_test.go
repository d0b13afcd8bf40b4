package shiptest

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseTemplate checks that any input either fails with ErrTemplate or
// parses into a template whose references can be checked, without
// panicking. Its seeds run as a normal test.
func FuzzParseTemplate(f *testing.F) {
	root := repoRoot(f)
	if data, err := os.ReadFile(filepath.Join(root, "template.yaml")); err == nil {
		f.Add(data)
	} else {
		f.Fatal(err)
	}
	for _, s := range []string{
		miniTemplate,
		"Resources: {A: !Ref B}\n",
		"Resources: {A: {Type: AWS::Serverless::Function, Properties: {FunctionUrlConfig: {}}}}\nOutputs: {U: {Value: !GetAtt AUrl.FunctionUrl}}\n",
		"Resources: {A: !Sub [\"${x}\", {x: !Ref AWS::Region}]}\n",
		"Resources: {A: &a [1, *a]}\n",
		"Resources: {A: !If [C, !GetAtt X.Y, {Fn::Sub: '${'}]}\n",
		"Resources: {A: {Fn::GetAtt: X.Y.Z}, Condition: 3, DependsOn: 7}\n",
		"Globals: {Function: {Layers: [1]}}\nResources: {F: {Type: AWS::Serverless::Function, Properties: {Layers: 2}}}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tpl, err := ParseTemplate(data)
		if err != nil {
			return
		}
		if tpl.Resources == nil || tpl.Parameters == nil || tpl.Outputs == nil {
			t.Fatal("ParseTemplate succeeded with a nil section")
		}
		_ = tpl.CheckReferences()
		for id := range tpl.Resources {
			_ = tpl.Function(id)
		}
	})
}
