package runtimeproxy

import (
	"net/http"
	"reflect"
	"testing"
)

// copyEndToEnd's copies share one backing array: appending to or changing
// one header's values must touch neither the other headers nor the source.
func TestCopyEndToEndIndependentValues(t *testing.T) {
	src := http.Header{
		"A": {"1", "2"}, "B": {"3"}, "Empty": {}, "Content-Length": {"9"},
		"Connection": {"X-Hop"}, "X-Hop": {"h"}, "Keep-Alive": {"k"},
	}
	dst := http.Header{}
	copyEndToEnd(dst, src)
	want := http.Header{"A": {"1", "2"}, "B": {"3"}, "Empty": nil}
	if !reflect.DeepEqual(dst, want) {
		t.Fatalf("copy %q, want %q", dst, want)
	}
	dst["A"] = append(dst["A"], "appended")
	dst["A"][0] = "changed"
	if !reflect.DeepEqual(dst["B"], []string{"3"}) || !reflect.DeepEqual(src["A"], []string{"1", "2"}) {
		t.Fatalf("after changing A: B %q, source A %q", dst["B"], src["A"])
	}
}
