package main

import (
	"archive/zip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Errors reported by mklayer.
var (
	// ErrUsage means the command line is invalid.
	ErrUsage = errors.New("mklayer: usage")
	// ErrTooLarge means an input file exceeds -max-bytes.
	ErrTooLarge = errors.New("mklayer: file too large")
)

// epoch is the modification time of every entry: the earliest time a zip
// (MS-DOS) timestamp can hold.
var epoch = time.Date(1980, time.January, 1, 0, 0, 0, 0, time.UTC)

// entryMode is the mode of every entry: Lambda runs the layer's files.
const entryMode os.FileMode = 0o755

// entry is one file of the layer.
type entry struct {
	name string // path inside the zip
	src  string // file on disk
}

func main() {
	out := flag.String("o", "", "output zip `file` (required)")
	maxBytes := flag.Int64("max-bytes", 0, "fail when an input file is larger than `N` bytes (0: no limit)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: mklayer -o FILE.zip [-max-bytes N] NAME=PATH...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *out, *maxBytes, flag.Args(), os.Stdout); err != nil {
		slog.Error("mklayer failed", "error", err)
		os.Exit(1)
	}
}

// run checks the arguments, writes the zip and prints a summary to stdout.
func run(ctx context.Context, out string, maxBytes int64, args []string, stdout io.Writer) error {
	if out == "" {
		return fmt.Errorf("%w: -o is required", ErrUsage)
	}
	entries, err := parseEntries(args)
	if err != nil {
		return err
	}
	sizes, err := writeZip(ctx, out, entries, maxBytes)
	if err != nil {
		return err
	}
	info, err := os.Stat(out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d bytes\n", out, info.Size())
	for i, e := range entries {
		fmt.Fprintf(stdout, "  %-22s %10d bytes  (%s)\n", e.name, sizes[i], e.src)
	}
	return nil
}

// parseEntries turns NAME=PATH arguments into entries sorted by name,
// rejecting names that are not clean relative slash paths and duplicates.
func parseEntries(args []string) ([]entry, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("%w: no NAME=PATH argument", ErrUsage)
	}
	entries := make([]entry, 0, len(args))
	for _, a := range args {
		name, src, ok := strings.Cut(a, "=")
		switch {
		case !ok || src == "":
			return nil, fmt.Errorf("%w: %q is not NAME=PATH", ErrUsage, a)
		case name == "" || path.IsAbs(name) || path.Clean(name) != name || name == "." ||
			strings.HasPrefix(name, "../") || name == ".." || strings.Contains(name, "\\"):
			return nil, fmt.Errorf("%w: entry name %q must be a clean relative slash path", ErrUsage, name)
		}
		entries = append(entries, entry{name: name, src: src})
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	for i := 1; i < len(entries); i++ {
		if entries[i].name == entries[i-1].name {
			return nil, fmt.Errorf("%w: entry %q given twice", ErrUsage, entries[i].name)
		}
	}
	return entries, nil
}

// writeZip writes entries to out through a temporary file in the same
// folder and returns the size of each input file.
func writeZip(ctx context.Context, out string, entries []entry, maxBytes int64) (_ []int64, err error) {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".mklayer-*.zip")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	zw := zip.NewWriter(tmp)
	sizes := make([]int64, len(entries))
	for i, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if sizes[i], err = addFile(zw, e, maxBytes); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	return sizes, os.Rename(tmp.Name(), out)
}

// addFile copies one regular file into the zip with the fixed mode and time.
func addFile(zw *zip.Writer, e entry, maxBytes int64) (int64, error) {
	f, err := os.Open(e.src)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if !info.Mode().IsRegular() {
		return 0, fmt.Errorf("%w: %s (for %s) is not a regular file", ErrUsage, e.src, e.name)
	}
	if maxBytes > 0 && info.Size() > maxBytes {
		return 0, fmt.Errorf("%w: %s is %d bytes, over the %d-byte limit", ErrTooLarge, e.src, info.Size(), maxBytes)
	}
	hdr := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: epoch}
	hdr.SetMode(entryMode)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(w, f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", e.src, err)
	}
	if n != info.Size() {
		return 0, fmt.Errorf("%s: changed while being read (%d bytes, then %d)", e.src, info.Size(), n)
	}
	return n, nil
}
