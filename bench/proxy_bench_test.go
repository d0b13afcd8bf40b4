package bench

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkHop measures one invocation (/next + /response) directly and
// through each proxy, in-process: `go test -bench Hop -cpuprofile ...`
// profiles the proxy's hot path.
func BenchmarkHop(b *testing.B) {
	event, err := os.ReadFile(filepath.Join("..", "idempotency", "testdata", "apigw_rest_v1.json"))
	if err != nil {
		b.Fatal(err)
	}
	h, err := NewHop(event)
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	for _, a := range h.Arms {
		b.Run(a.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Run(b.Context(), 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
