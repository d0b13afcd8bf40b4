package shiptest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTemplateCfnLint runs cfn-lint (pinned in test/requirements.txt; it is
// what `sam validate --lint` runs) on template.yaml, which must pass with no
// finding, and on copies broken in ways cfn-lint knows, which must not: so
// a clean run means cfn-lint really read the template.
func TestTemplateCfnLint(t *testing.T) {
	root := repoRoot(t)
	lint := filepath.Join(root, ".venv", "bin", "cfn-lint")
	if _, err := os.Stat(lint); err != nil {
		t.Fatalf("%s missing: run `make venv` (installs test/requirements.txt)", lint)
	}
	src, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	run := func(name string, tpl []byte) (string, bool) {
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, tpl, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.CommandContext(t.Context(), lint, "--", path)
		cmd.Dir = root // CodeUri and ContentUri are relative to the repository
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if _, exited := err.(*exec.ExitError); err != nil && !exited {
			t.Fatalf("cfn-lint: %v", err)
		}
		return out.String(), err == nil
	}
	if out, ok := run("template.yaml", src); !ok {
		t.Errorf("cfn-lint template.yaml:\n%s", out)
	}
	for _, tc := range []struct{ name, old, new, want string }{
		{"table without a billing mode", "BillingMode: PAY_PER_REQUEST", "BillingMode: FREE", "E3639"},
		{"function without a handler", "Handler: app.lambda_handler", "Handlr: app.lambda_handler", "W2533"},
		{"FunctionUrlConfig in Globals", "    Timeout: 10\n", "    Timeout: 10\n    FunctionUrlConfig: {AuthType: AWS_IAM}\n", "E3724"},
	} {
		if !bytes.Contains(src, []byte(tc.old)) {
			t.Fatalf("%s: template.yaml has no %q to break", tc.name, tc.old)
		}
		broken := bytes.Replace(src, []byte(tc.old), []byte(tc.new), 1)
		if out, ok := run("broken.yaml", broken); ok || !strings.Contains(out, tc.want) {
			t.Errorf("%s: cfn-lint passed=%v, want %s in:\n%s", tc.name, ok, tc.want, out)
		}
	}
}
