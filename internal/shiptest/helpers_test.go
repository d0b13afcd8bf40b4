package shiptest

import (
	"testing"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// repoRoot returns the repository root (the folder holding go.mod).
func repoRoot(tb testing.TB) string {
	tb.Helper()
	root, err := lambdatest.RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	return root
}
