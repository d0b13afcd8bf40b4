package lambdatest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// Package paths built by Build.
const (
	riePackage       = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
	extensionPackage = "github.com/idemproxy/idemproxy"
	goHandlerPackage = "github.com/idemproxy/idemproxy/internal/lambdatest/testhandlers/gohandler"
)

// ExtensionName is the file name of the extension in /opt/extensions; the
// extension registers under its file name.
const ExtensionName = "idemproxy"

// WrapperName is the file name of the exec wrapper in /opt.
const WrapperName = "idemproxy-wrapper"

var (
	// ErrNoRepoRoot means no go.mod was found above the working directory.
	ErrNoRepoRoot = errors.New("lambdatest: repository root (go.mod) not found")
	// ErrNoVenv means the Python virtualenv is missing.
	ErrNoVenv = errors.New("lambdatest: Python virtualenv .venv/bin/python not found; run `make venv` (creates .venv from test/requirements.txt)")
	// ErrBuild means a go build failed.
	ErrBuild = errors.New("lambdatest: build failed")
	// ErrNoExtension means the extension could not be built or copied, so
	// an emulator with the extension cannot be started.
	ErrNoExtension = errors.New("lambdatest: extension not available")
)

// Artifacts are the files Build produced or located.
type Artifacts struct {
	// Dir is the build output folder passed to Build.
	Dir string
	// RepoRoot is the folder holding the module's go.mod.
	RepoRoot string
	// RIE is the aws-lambda-rie binary.
	RIE string
	// Extension is the idemproxy binary (Dir/idemproxy); empty when
	// ExtensionErr is set.
	Extension string
	// Wrapper is the copy of layer/idemproxy-wrapper; empty when
	// ExtensionErr is set.
	Wrapper string
	// ExtensionErr says why the extension or its wrapper is unavailable;
	// Start fails with it when Options.Extension is true.
	ExtensionErr error
	// GoHandler is the Go test handler binary.
	GoHandler string
	// Python is the virtualenv's interpreter (RepoRoot/.venv/bin/python),
	// whether or not it exists; see PythonHandler.
	Python string
	// PythonDir is the folder of the Python test handler (app.py).
	PythonDir string
}

// Build compiles the emulator, the Go test handler and the extension into dir
// and copies the extension's wrapper script there. A failure to build the
// extension does not fail Build: it is recorded in Artifacts.ExtensionErr so
// that runs without the extension still work.
func Build(ctx context.Context, dir string) (*Artifacts, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("lambdatest: build dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lambdatest: build dir: %w", err)
	}
	// The emulator's Managed Instances mode runs processes as another user:
	// everything must be readable and executable by others.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lambdatest: build dir: %w", err)
	}
	art := &Artifacts{
		Dir:       dir,
		RepoRoot:  root,
		RIE:       filepath.Join(dir, "aws-lambda-rie"),
		GoHandler: filepath.Join(dir, "gohandler"),
		Python:    filepath.Join(root, ".venv", "bin", "python"),
		PythonDir: filepath.Join(root, "internal", "lambdatest", "testhandlers", "python"),
	}
	if err := goBuild(ctx, root, dir+string(filepath.Separator), riePackage, goHandlerPackage); err != nil {
		return nil, err
	}
	art.ExtensionErr = buildExtension(ctx, art)
	return art, nil
}

// buildExtension builds the extension and copies its wrapper.
func buildExtension(ctx context.Context, art *Artifacts) error {
	ext := filepath.Join(art.Dir, ExtensionName)
	if err := goBuild(ctx, art.RepoRoot, ext, extensionPackage); err != nil {
		return fmt.Errorf("%w: %w", ErrNoExtension, err)
	}
	wrapper := filepath.Join(art.Dir, WrapperName)
	if err := copyFile(filepath.Join(art.RepoRoot, "layer", WrapperName), wrapper, 0o755); err != nil {
		return fmt.Errorf("%w: wrapper: %w", ErrNoExtension, err)
	}
	art.Extension, art.Wrapper = ext, wrapper
	return nil
}

// PythonHandler returns the command running the Python test handler with
// awslambdaric, or ErrNoVenv when the virtualenv is missing.
func (a *Artifacts) PythonHandler() ([]string, error) {
	if _, err := os.Stat(a.Python); err != nil {
		return nil, fmt.Errorf("%w (%w)", ErrNoVenv, err)
	}
	return []string{a.Python, "-m", "awslambdaric", "app.handler"}, nil
}

// goBuild runs `go build -o out pkgs...` in root with CGO disabled.
func goBuild(ctx context.Context, root, out string, pkgs ...string) error {
	args := append([]string{"build", "-o", out}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: go %v: %w\n%s", ErrBuild, args, err, output.Bytes())
	}
	return nil
}

// RepoRoot walks up from the working directory to the folder holding go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoRepoRoot, err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNoRepoRoot
		}
		dir = parent
	}
}

// copyFile copies src to dst with the given mode.
func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, mode)
}
