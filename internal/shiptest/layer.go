package shiptest

import (
	"archive/zip"
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The layer's contents.
const (
	// ExtensionEntry is the extension binary's path in the layer.
	ExtensionEntry = "extensions/idemproxy"
	// MaxBinaryBytes is the largest extension binary the layer may hold.
	MaxBinaryBytes = 12 << 20
)

// layerEntries are the layer's files, in zip order, and nothing else.
var layerEntries = []string{"bootstrap", ExtensionEntry, "idemproxy-wrapper"}

// layerEpoch is the modification time of every zip entry.
var layerEpoch = time.Date(1980, time.January, 1, 0, 0, 0, 0, time.UTC)

// elfMachines maps Lambda architectures to ELF machines.
var elfMachines = map[string]elf.Machine{"x86_64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// LayerFile is one file of a built layer.
type LayerFile struct {
	// Name is the slash-separated path in the layer.
	Name string
	// Mode is the file's mode (permissions and type).
	Mode fs.FileMode
	// Modified is the entry's time (zip only).
	Modified time.Time
	// Unix reports that a zip entry carries Unix permissions (zip only).
	Unix bool
	// Data is the file's contents.
	Data []byte
}

// ReadLayerZip returns the entries of a layer zip in the order of its
// central directory.
func ReadLayerZip(path string) ([]LayerFile, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	var files []LayerFile
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, f.Name, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, f.Name, err)
		}
		files = append(files, LayerFile{Name: f.Name, Mode: f.Mode(), Modified: f.Modified.UTC(), Unix: f.CreatorVersion>>8 == 3, Data: data})
	}
	return files, nil
}

// ReadLayerDir returns the files and folders under dir (SAM's
// ARTIFACTS_DIR), sorted by path; folders have no data.
func ReadLayerDir(dir string) ([]LayerFile, error) {
	var files []LayerFile
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		f := LayerFile{Name: filepath.ToSlash(rel), Mode: info.Mode()}
		if info.Mode().IsRegular() {
			if f.Data, err = os.ReadFile(p); err != nil {
				return err
			}
		}
		files = append(files, f)
		return nil
	})
	slices.SortFunc(files, func(a, b LayerFile) int { return strings.Compare(a.Name, b.Name) })
	return files, err
}

// LayerWant is what a built layer must be.
type LayerWant struct {
	// Arch is the Lambda architecture: x86_64 or arm64.
	Arch string
	// Version is the version stamped into the binary (-X main.version);
	// empty skips the check.
	Version string
	// MaxBytes limits the binary's size; 0 means no limit.
	MaxBytes int
}

// CheckLayerFiles checks a built layer: exactly layerEntries, regular
// files with mode 0755, the scripts identical to layer/, and the extension
// binary as CheckExtensionBinary wants it. Folders are ignored (a zip has
// none, ARTIFACTS_DIR has one).
func (c Checker) CheckLayerFiles(files []LayerFile, want LayerWant) []string {
	var out []string
	var names []string
	for _, f := range files {
		if f.Mode.IsDir() {
			continue
		}
		names = append(names, f.Name)
		if f.Mode != 0o755 {
			out = append(out, fmt.Sprintf("%s: mode %v, want -rwxr-xr-x", f.Name, f.Mode))
		}
		switch f.Name {
		case ExtensionEntry:
			out = append(out, CheckExtensionBinary(f.Data, want)...)
		case "bootstrap", "idemproxy-wrapper":
			script, err := os.ReadFile(filepath.Join(c.Root, "layer", f.Name))
			if err != nil {
				out = append(out, err.Error())
			} else if !bytes.Equal(f.Data, script) {
				out = append(out, fmt.Sprintf("%s differs from layer/%s", f.Name, f.Name))
			}
		}
	}
	if !slices.Equal(names, layerEntries) {
		out = append(out, fmt.Sprintf("files %q, want exactly %q in this order", names, layerEntries))
	}
	return out
}

// CheckExtensionBinary checks the extension: a static, stripped ELF for
// want.Arch, built with -trimpath and CGO disabled, stamped with
// want.Version, and at most want.MaxBytes long. (Go records no -ldflags in
// the build info of a -trimpath build: the stamp is looked for as text.)
func CheckExtensionBinary(data []byte, want LayerWant) []string {
	var out []string
	arch, maxBytes := want.Arch, want.MaxBytes
	if maxBytes > 0 && len(data) > maxBytes {
		out = append(out, fmt.Sprintf("%s is %d bytes (%.2f MiB), over the %d-byte (%d MiB) limit",
			ExtensionEntry, len(data), float64(len(data))/(1<<20), maxBytes, maxBytes>>20))
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return append(out, fmt.Sprintf("%s is not an ELF file: %v", ExtensionEntry, err))
	}
	defer f.Close()
	if m := elfMachines[arch]; f.Machine != m || f.Class != elf.ELFCLASS64 {
		out = append(out, fmt.Sprintf("%s: %v %v, want 64-bit %v for %s", ExtensionEntry, f.Class, f.Machine, m, arch))
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			out = append(out, fmt.Sprintf("%s has a %v segment: not a static binary", ExtensionEntry, p.Type))
		}
	}
	for _, s := range []string{".symtab", ".debug_info"} {
		if f.Section(s) != nil {
			out = append(out, fmt.Sprintf("%s has %s: not stripped", ExtensionEntry, s))
		}
	}
	bi, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil {
		return append(out, fmt.Sprintf("%s: build info: %v", ExtensionEntry, err))
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	wantSettings := map[string]string{"-trimpath": "true", "CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": layerArchitectures[arch]}
	for _, k := range slices.Sorted(maps.Keys(wantSettings)) {
		if settings[k] != wantSettings[k] {
			out = append(out, fmt.Sprintf("%s: build setting %s = %q, want %q", ExtensionEntry, k, settings[k], wantSettings[k]))
		}
	}
	if want.Version != "" && !bytes.Contains(data, []byte(want.Version)) {
		out = append(out, fmt.Sprintf("%s: version stamp %q not found", ExtensionEntry, want.Version))
	}
	if bi.Path != "github.com/idemproxy/idemproxy" {
		out = append(out, fmt.Sprintf("%s: main package %q, want github.com/idemproxy/idemproxy", ExtensionEntry, bi.Path))
	}
	return out
}
