package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// ErrMissingDependency means a program or package the suite needs is not
// installed; the message says which make target installs it.
var ErrMissingDependency = errors.New("bench: missing dependency")

// Env is what every measurement needs: the emulator artifacts, the shipped
// (stripped) extension binary, and the baseline ReverseProxy extension.
type Env struct {
	// Root is the repository root.
	Root string
	// Art holds the emulator, the Go test handler and the wrapper; its
	// Extension is the stripped build (Binary).
	Art *lambdatest.Artifacts
	// Binary is bin/idemproxy as `make build` makes it (static, stripped).
	Binary string
	// Baseline is the httputil.ReverseProxy extension (bench/cmd/baselineproxy).
	Baseline string
	// Python is the virtualenv's interpreter; Node is node on PATH.
	Python, Node string
	// Compare, if set, is another idemproxy binary (say, a build of an
	// earlier commit) that RunLocal measures alongside, for before/after
	// numbers from one run.
	Compare string
	// Vars are extra variables for every emulator (experiments, e.g.
	// GOMAXPROCS=1).
	Vars []string
}

// Setup builds everything into dir.
func Setup(ctx context.Context, dir string) (*Env, error) {
	art, err := lambdatest.Build(ctx, dir)
	if err != nil {
		return nil, err
	}
	if art.ExtensionErr != nil {
		return nil, art.ExtensionErr
	}
	env := &Env{Root: art.RepoRoot, Art: art, Python: art.Python}
	env.Binary = filepath.Join(art.Dir, "stripped", "idemproxy")
	env.Baseline = filepath.Join(art.Dir, "baseline", "idemproxy")
	if err := env.goBuild(ctx, env.Binary, "."); err != nil {
		return nil, err
	}
	if err := env.goBuild(ctx, env.Baseline, "./bench/cmd/baselineproxy"); err != nil {
		return nil, err
	}
	// The emulators run the binary that ships.
	art.Extension = env.Binary
	if env.Node, err = exec.LookPath("node"); err != nil {
		return nil, fmt.Errorf("%w: node (Node.js) for dynalite and the TypeScript peer: %w", ErrMissingDependency, err)
	}
	if _, err := os.Stat(env.Python); err != nil {
		return nil, fmt.Errorf("%w: %s: run `make deps`", ErrMissingDependency, env.Python)
	}
	return env, nil
}

// goBuild builds pkg as `make build` does: static, stripped, trimmed paths.
func (env *Env) goBuild(ctx context.Context, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Dir = env.Root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("bench: go build %s: %w\n%s", pkg, err, buf.Bytes())
	}
	return nil
}

// withExtension returns a copy of the artifacts whose extension is bin.
func (env *Env) withExtension(bin string) *lambdatest.Artifacts {
	art := *env.Art
	art.Extension = bin
	return &art
}

// startEmulator starts the Go test handler on the emulator: without an
// extension when ext is "", else with the binary ext and the variables env.
// It invokes the function once (an event without idempotency key), so that
// the emulator's lazy init has bound the extension's port before another
// emulator picks its free ports.
func (env *Env) startEmulator(ctx context.Context, ext string, vars ...string) (*lambdatest.Emulator, error) {
	opts := lambdatest.Options{Artifacts: env.Art, Handler: []string{env.Art.GoHandler}, Env: append(append([]string(nil), env.Vars...), vars...)}
	if ext != "" {
		opts.Artifacts, opts.Extension = env.withExtension(ext), true
	}
	e, err := lambdatest.Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	event := []byte(`{"action":"echo","body":"{}"}`)
	res, err := e.Invoke(ctx, event)
	if err == nil {
		err = CheckRan()(0, event, res)
	}
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("bench: first invocation: %w\n%s", err, e.Logs())
	}
	return e, nil
}

// extensionPID returns the host PID of the extension process of e.
func extensionPID(e *lambdatest.Emulator) (int, error) {
	procs, err := e.Processes()
	if err != nil {
		return 0, err
	}
	for _, p := range procs {
		if p.Name == lambdatest.ExtensionName || (len(p.Args) > 0 && strings.HasSuffix(p.Args[0], "/"+lambdatest.ExtensionName)) {
			return p.PID, nil
		}
	}
	return 0, fmt.Errorf("bench: no %s process in emulator %s: %v", lambdatest.ExtensionName, e.ID, procs)
}
