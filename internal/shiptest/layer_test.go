package shiptest

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// testVersion is the version stamp of the test builds: fixed, so two
// builds must give the same bytes whatever happens to the work tree, and
// distinctive, so that the binary can be searched for it.
const testVersion = "v0.0.0-shiptest-7e1d"

// runMake runs make in the repository root with the given arguments.
func runMake(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "make", append([]string{"--no-print-directory"}, args...)...)
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make %v: %v\n%s", args, err, out)
	}
	t.Logf("make %v:\n%s", args, out)
}

// TestLayerZips builds the layer zips twice (make layer, into temporary
// folders) and checks that they are identical and hold exactly the layer's
// files for their architecture. The size limit is checked here rather
// than by make, so that every other check still runs when it is exceeded.
func TestLayerZips(t *testing.T) {
	c := checker(t, nil)
	dirs := []string{t.TempDir(), t.TempDir()}
	for _, d := range dirs {
		runMake(t, "layer", "DIST="+d, "VERSION="+testVersion, "LAYER_MAX_BYTES=0")
	}
	for _, arch := range slices.Sorted(maps.Keys(layerArchitectures)) {
		name := fmt.Sprintf("idemproxy-layer-%s.zip", arch)
		first, err := os.ReadFile(filepath.Join(dirs[0], name))
		if err != nil {
			t.Fatal(err)
		}
		second, err := os.ReadFile(filepath.Join(dirs[1], name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Errorf("%s: two builds differ (%d and %d bytes): not reproducible", name, len(first), len(second))
		}
		files, err := ReadLayerZip(filepath.Join(dirs[0], name))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if !f.Modified.Equal(layerEpoch) || !f.Unix {
				t.Errorf("%s: %s: time %v, Unix permissions %v; want %v and true", name, f.Name, f.Modified, f.Unix, layerEpoch)
			}
			if f.Name == ExtensionEntry {
				t.Logf("%s: %s is %d bytes (%.2f MiB; limit %d MiB)", name, f.Name, len(f.Data), float64(len(f.Data))/(1<<20), MaxBinaryBytes>>20)
			}
		}
		for _, p := range c.CheckLayerFiles(files, LayerWant{Arch: arch, Version: testVersion, MaxBytes: MaxBinaryBytes}) {
			t.Errorf("%s: %s", name, p)
		}
	}
}

// TestSAMLayerBuilds runs each layer's SAM build target (make
// build-<LogicalId> ARTIFACTS_DIR=...) as sam build does and checks what it
// leaves in ARTIFACTS_DIR, which SAM zips as the layer.
func TestSAMLayerBuilds(t *testing.T) {
	c := checker(t, nil)
	layers, problems := c.Layers()
	for _, p := range problems {
		t.Error(p)
	}
	for _, arch := range slices.Sorted(maps.Keys(layers)) {
		dir := t.TempDir()
		runMake(t, "build-"+layers[arch], "ARTIFACTS_DIR="+dir, "VERSION="+testVersion)
		files, err := ReadLayerDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range c.CheckLayerFiles(files, LayerWant{Arch: arch, Version: testVersion}) {
			t.Errorf("build-%s: %s", layers[arch], p)
		}
	}
}

// TestCheckLayerFilesCatchesMistakes feeds CheckLayerFiles broken layers.
func TestCheckLayerFilesCatchesMistakes(t *testing.T) {
	c := checker(t, nil)
	wrapper, err := os.ReadFile(filepath.Join(c.Root, "layer", "idemproxy-wrapper"))
	if err != nil {
		t.Fatal(err)
	}
	ok := LayerFile{Name: "idemproxy-wrapper", Mode: 0o755, Data: wrapper}
	for _, tc := range []struct {
		name  string
		files []LayerFile
		want  string
	}{
		{"missing files", []LayerFile{ok}, "want exactly"},
		{"mode", []LayerFile{{Name: ok.Name, Mode: 0o644, Data: wrapper}}, "mode -rw-r--r--"},
		{"changed script", []LayerFile{{Name: ok.Name, Mode: 0o755, Data: []byte("#!/bin/sh\n")}}, "differs from layer/idemproxy-wrapper"},
		{"not ELF", []LayerFile{{Name: ExtensionEntry, Mode: 0o755, Data: []byte("#!/bin/sh\n")}}, "not an ELF file"},
		{"too large", []LayerFile{{Name: ExtensionEntry, Mode: 0o755, Data: make([]byte, 64)}}, "over the 32-byte"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			problems := c.CheckLayerFiles(tc.files, LayerWant{Arch: "arm64", MaxBytes: 32})
			if !slices.ContainsFunc(problems, func(p string) bool { return bytes.Contains([]byte(p), []byte(tc.want)) }) {
				t.Errorf("problems %q do not mention %q", problems, tc.want)
			}
		})
	}
}
