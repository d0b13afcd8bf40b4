package bench

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkKey measures key extraction plus hashing on the 1.4 KB API
// Gateway event and on 256 KiB and 6 MB events, for each configuration:
// `go test -run '^$' -bench Key ./bench/`.
func BenchmarkKey(b *testing.B) {
	ev, err := LoadEvents(repoRoot(b))
	if err != nil {
		b.Fatal(err)
	}
	cases, err := KeyCases(ev)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cases {
		b.Run(c.Event+"/"+c.Config, c.Run)
	}
}

// repoRoot is the repository root, the parent of this package's folder.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	return filepath.Dir(wd)
}
