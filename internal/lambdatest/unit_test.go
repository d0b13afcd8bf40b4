package lambdatest

import (
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestFilterEnv(t *testing.T) {
	in := []string{"PATH=/bin", "AWS_LAMBDA_RUNTIME_API=x", "IDEMPOTENCY_STORE=memory", "_HANDLER=h",
		"LAMBDA_TASK_ROOT=/var/task", "LAMBDATEST_EMULATOR=e", "AWS_REGION=eu-west-1", "HOME=/root"}
	want := []string{"PATH=/bin", "AWS_REGION=eu-west-1", "HOME=/root"}
	if got := filterEnv(in); !slices.Equal(got, want) {
		t.Errorf("filterEnv = %q, want %q", got, want)
	}
}

func TestHasEnvEntry(t *testing.T) {
	environ := []byte("A=1\x00LAMBDATEST_EMULATOR=abc\x00B=2\x00")
	for entry, want := range map[string]bool{
		"LAMBDATEST_EMULATOR=abc": true,
		"LAMBDATEST_EMULATOR=ab":  false,
		"B=2":                     true,
		"":                        true, // the empty entry after the final NUL
		"C=3":                     false,
	} {
		if got := hasEnvEntry(environ, []byte(entry)); got != want {
			t.Errorf("hasEnvEntry(%q) = %v, want %v", entry, got, want)
		}
	}
}

func TestSyncBufferConcurrent(t *testing.T) {
	var (
		buf   syncBuffer
		extra strings.Builder
		mu    sync.Mutex
		wg    sync.WaitGroup
	)
	out, errw := teeWriter(&buf, &extra, &mu), teeWriter(&buf, &extra, &mu)
	for i := range 50 {
		wg.Go(func() { fmt.Fprintf(out, "o%d\n", i) })
		wg.Go(func() { fmt.Fprintf(errw, "e%d\n", i) })
		wg.Go(func() { _ = buf.String() })
	}
	wg.Wait()
	if n := strings.Count(buf.String(), "\n"); n != 100 {
		t.Errorf("buffer holds %d lines, want 100", n)
	}
	if buf.String() == "" || len(extra.String()) != len(buf.String()) {
		t.Errorf("extra writer got %d bytes, buffer %d", len(extra.String()), len(buf.String()))
	}
}

func TestBinaryPayload(t *testing.T) {
	b := BinaryPayload()
	for i := range 256 {
		if !slices.Contains(b, byte(i)) {
			t.Fatalf("byte %#x missing", i)
		}
	}
	if !strings.Contains(string(b), "日本語") || !strings.Contains(string(b), "\r\n\xc3\x28") {
		t.Errorf("payload lacks UTF-8 text or invalid UTF-8: %q", b)
	}
}

func TestCheckOthersCanRun(t *testing.T) {
	dir := t.TempDir() // mode 0700
	if err := checkOthersCanRun(dir); !errors.Is(err, ErrManagedInstances) {
		t.Errorf("checkOthersCanRun(%s) = %v, want ErrManagedInstances", dir, err)
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkOthersCanRun(sh, "sh"); err != nil {
		t.Errorf("checkOthersCanRun(sh) = %v", err)
	}
}

func TestStartOptions(t *testing.T) {
	if _, err := Start(t.Context(), Options{}); !errors.Is(err, ErrOptions) {
		t.Errorf("Start without artifacts = %v, want ErrOptions", err)
	}
	art := &Artifacts{ExtensionErr: fmt.Errorf("%w: test", ErrNoExtension)}
	if _, err := Start(t.Context(), Options{Artifacts: art, Handler: []string{"x"}, Extension: true}); !errors.Is(err, ErrNoExtension) {
		t.Errorf("Start with a missing extension = %v, want ErrNoExtension", err)
	}
	noVenv := &Artifacts{Python: "/nonexistent/.venv/bin/python"}
	if _, err := noVenv.PythonHandler(); !errors.Is(err, ErrNoVenv) || !strings.Contains(err.Error(), "make venv") {
		t.Errorf("PythonHandler without a venv = %v, want ErrNoVenv naming make venv", err)
	}
}

func TestFreePorts(t *testing.T) {
	ports, err := freePorts(3)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ports)
	if len(slices.Compact(ports)) != 3 || ports[0] <= 0 {
		t.Errorf("freePorts(3) = %v, want 3 distinct ports", ports)
	}
}
