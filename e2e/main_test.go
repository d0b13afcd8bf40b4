package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// art holds the binaries built once by TestMain; read-only afterwards.
var art *lambdatest.Artifacts

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

// runTests builds the artifacts, runs the tests, and fails if any emulator
// process survived them.
func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "idemproxy-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	art, err = lambdatest.Build(ctx, dir)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	left, err := art.Leftovers()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: list leftover processes:", err)
		return 1
	}
	if len(left) > 0 {
		fmt.Fprintln(os.Stderr, "e2e: processes left behind by the emulators:")
		for _, p := range left {
			fmt.Fprintln(os.Stderr, "  ", p)
		}
		return 1
	}
	return code
}
