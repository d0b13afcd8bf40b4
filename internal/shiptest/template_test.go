package shiptest

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// checker parses template.yaml (or src, when given) for the checks.
func checker(t *testing.T, src []byte) Checker {
	t.Helper()
	root := repoRoot(t)
	if src == nil {
		var err error
		if src, err = os.ReadFile(filepath.Join(root, "template.yaml")); err != nil {
			t.Fatal(err)
		}
	}
	tpl, err := ParseTemplate(src)
	if err != nil {
		t.Fatal(err)
	}
	return Checker{Template: tpl, Root: root}
}

// allProblems runs every check of the template.
func allProblems(c Checker) []string {
	var out []string
	if v := c.Template.Root["AWSTemplateFormatVersion"]; v != "2010-09-09" {
		out = append(out, "AWSTemplateFormatVersion is not 2010-09-09")
	}
	if v := c.Template.Root["Transform"]; v != "AWS::Serverless-2016-10-31" {
		out = append(out, "Transform is not the SAM transform")
	}
	for _, err := range c.Template.CheckReferences() {
		out = append(out, err.Error())
	}
	out = append(out, c.CheckParameters(functionURLEvent)...)
	out = append(out, c.CheckTable()...)
	return append(out, c.CheckFunctions()...)
}

func TestTemplate(t *testing.T) {
	for _, p := range allProblems(checker(t, nil)) {
		t.Error(p)
	}
}

// TestTemplateChecksCatchMistakes breaks template.yaml in one place at a
// time and expects the checks to say so.
func TestTemplateChecksCatchMistakes(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join(repoRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, old, new, want string }{
		{"extra action", "- dynamodb:UpdateItem", "- dynamodb:Scan", "want Allow of exactly"},
		{"wildcard resource", "Resource: !GetAtt IdempotencyTable.Arn", "Resource: '*'", "want only"},
		{"wrong wrapper", "AWS_LAMBDA_EXEC_WRAPPER: /opt/idemproxy-wrapper", "AWS_LAMBDA_EXEC_WRAPPER: /opt/wrapper", "AWS_LAMBDA_EXEC_WRAPPER = /opt/wrapper"},
		{"Go bootstrap", "Handler: handler", "Handler: bootstrap", "must not be named bootstrap"},
		{"TTL attribute", "AttributeName: expiration", "AttributeName: ttl", "TimeToLiveSpecification"},
		{"two architectures", "CompatibleArchitectures: [arm64]", "CompatibleArchitectures: [x86_64, arm64]", "must declare one architecture"},
		{"misspelt variable", "IDEMPOTENCY_EXPIRES_AFTER_SECONDS: !Ref", "IDEMPOTENCY_EXPIRE_AFTER_SECONDS: !Ref", "IDEMPOTENCY_EXPIRE_AFTER_SECONDS is not a variable"},
		{"whole-event key", "Default: powertools_json(body)", "Default: requestContext", "does not key a request by its body"},
		{"no URL output", "Value: !GetAtt GoFunctionUrl.FunctionUrl", "Value: !GetAtt GoFunction.Arn", "GoFunction: no output holds the URL"},
		{"dangling Ref", "- !Ref IdemproxyLayerArm64", "- !Ref IdemproxyLayerArm", `"IdemproxyLayerArm" is neither`},
		{"intrinsic AuthType", "AuthType: AWS_IAM", "AuthType: !Ref AWS::NoValue", "want literally AWS_IAM or NONE"},
		{"missing handler", "Handler: app.lambda_handler", "Handler: app.handler", `does not define handler "app.handler"`},
		{"layer build", "BuildMethod: makefile # make build-IdemproxyLayer ", "BuildMethod: go1.x # ", "want BuildMethod makefile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(orig), tc.old) {
				t.Fatalf("template.yaml has no %q to break", tc.old)
			}
			broken := strings.Replace(string(orig), tc.old, tc.new, 1)
			problems := allProblems(checker(t, []byte(broken)))
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) }) {
				t.Errorf("replacing %q by %q: no problem mentions %q; got %q", tc.old, tc.new, tc.want, problems)
			}
		})
	}
}

// TestLayerMakeTargetsDryRun runs what SAM runs for each layer, with -n.
func TestLayerMakeTargetsDryRun(t *testing.T) {
	c := checker(t, nil)
	layers, problems := c.Layers()
	for _, p := range problems {
		t.Error(p)
	}
	for _, arch := range slices.Sorted(maps.Keys(layers)) {
		id := layers[arch]
		cmd := exec.CommandContext(t.Context(), "make", "-n", "build-"+id, "ARTIFACTS_DIR=x")
		cmd.Dir = c.Root
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("make -n build-%s ARTIFACTS_DIR=x: %v\n%s", id, err, out)
			continue
		}
		for _, want := range []string{"GOARCH=" + layerArchitectures[arch], "-trimpath", "x/extensions/idemproxy", "layer/idemproxy-wrapper", "layer/bootstrap"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("make -n build-%s does not mention %q:\n%s", id, want, out)
			}
		}
	}
}
