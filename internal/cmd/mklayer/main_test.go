package main

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseEntries(t *testing.T) {
	got, err := parseEntries([]string{"z=/tmp/z", "extensions/x=a=b", "a=rel/a"})
	if err != nil {
		t.Fatal(err)
	}
	want := []entry{{"a", "rel/a"}, {"extensions/x", "a=b"}, {"z", "/tmp/z"}}
	if len(got) != len(want) {
		t.Fatalf("parseEntries = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %v, want %v", i, got[i], want[i])
		}
	}
	for _, bad := range [][]string{
		nil, {"noequals"}, {"=path"}, {"name="}, {"/abs=x"}, {"../up=x"}, {"..=x"}, {"a/../b=x"},
		{"a//b=x"}, {"a/=x"}, {".=x"}, {`a\b=x`}, {"a=x", "a=y"},
	} {
		if _, err := parseEntries(bad); !errors.Is(err, ErrUsage) {
			t.Errorf("parseEntries(%q) = %v, want ErrUsage", bad, err)
		}
	}
}

// writeFiles creates files under dir and returns NAME=PATH arguments.
func writeFiles(t *testing.T, dir string, files map[string]string) []string {
	t.Helper()
	var args []string
	for name, content := range files {
		p := filepath.Join(dir, strings.ReplaceAll(name, "/", "_"))
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, name+"="+p)
	}
	return args
}

func TestRunWritesReproducibleZip(t *testing.T) {
	src := t.TempDir()
	args := writeFiles(t, src, map[string]string{
		"idemproxy-wrapper":    "#!/bin/sh\nexec \"$@\"\n",
		"extensions/idemproxy": strings.Repeat("\x7fELF binary ", 1000),
		"bootstrap":            "#!/bin/sh\n",
	})
	out := t.TempDir()
	var zips [][]byte
	for i, name := range []string{"a.zip", "b.zip"} {
		if i == 1 {
			// Another modification time and order must not matter.
			for _, a := range args {
				p := a[strings.Index(a, "=")+1:]
				if err := os.Chtimes(p, epoch.AddDate(30, 0, 0), epoch.AddDate(30, 0, 0)); err != nil {
					t.Fatal(err)
				}
			}
			args[0], args[2] = args[2], args[0]
		}
		var stdout bytes.Buffer
		if err := run(t.Context(), filepath.Join(out, name), 1<<20, args, &stdout); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stdout.String(), "extensions/idemproxy") || !strings.Contains(stdout.String(), "12000 bytes") {
			t.Errorf("summary %q does not list the entries and their sizes", stdout.String())
		}
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		zips = append(zips, data)
	}
	if !bytes.Equal(zips[0], zips[1]) {
		t.Error("two runs over the same contents gave different zips")
	}
	zr, err := zip.NewReader(bytes.NewReader(zips[0]), int64(len(zips[0])))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Mode() != 0o755 || !f.Modified.Equal(epoch) || f.Method != zip.Deflate {
			t.Errorf("%s: mode %v, time %v, method %d; want 0755, %v, deflate", f.Name, f.Mode(), f.Modified, f.Method, epoch)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || (f.Name == "bootstrap" && string(data) != "#!/bin/sh\n") {
			t.Errorf("%s: content %q, %v", f.Name, data, err)
		}
	}
	if got := strings.Join(names, " "); got != "bootstrap extensions/idemproxy idemproxy-wrapper" {
		t.Errorf("entries %q, want sorted names and no folders", got)
	}
}

func TestRunRejects(t *testing.T) {
	src := t.TempDir()
	args := writeFiles(t, src, map[string]string{"big": strings.Repeat("x", 100)})
	out := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		max  int64
		want error
	}{
		{"too large", args, 99, ErrTooLarge},
		{"folder", []string{"dir=" + src}, 0, ErrUsage},
		{"missing file", []string{"x=" + filepath.Join(src, "nope")}, 0, os.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			zipPath := filepath.Join(out, "layer.zip")
			err := run(t.Context(), zipPath, tc.max, tc.args, io.Discard)
			if !errors.Is(err, tc.want) {
				t.Errorf("run = %v, want %v", err, tc.want)
			}
			left, _ := os.ReadDir(out)
			if len(left) != 0 {
				t.Errorf("files left after a failure: %v", left)
			}
		})
	}
	if err := run(t.Context(), "", 0, args, io.Discard); !errors.Is(err, ErrUsage) {
		t.Errorf("run without -o = %v, want ErrUsage", err)
	}
}
