package lambdatest

import (
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseEnvAssignment: accepted input is returned unchanged, has a
// valid variable name and no NUL; everything else is an error.
func FuzzParseEnvAssignment(f *testing.F) {
	for _, s := range []string{"A=1", "IDEMPOTENCY_STORE=memory", "X=", "=v", "1A=b", "A", "A-B=c", "a_b9=x=y", "A=\x00", "É=1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseEnvAssignment(s)
		if err != nil {
			return
		}
		name, value, ok := strings.Cut(got, "=")
		if got != s || !ok || name == "" || strings.ContainsRune(value, 0) {
			t.Fatalf("ParseEnvAssignment(%q) = %q", s, got)
		}
		if name[0] >= '0' && name[0] <= '9' {
			t.Fatalf("accepted a name starting with a digit: %q", s)
		}
		for _, r := range name {
			if r != '_' && !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
				t.Fatalf("accepted name %q", name)
			}
		}
	})
}

// FuzzParsePIDs: only positive numbers come out, in order, one per field
// that is one.
func FuzzParsePIDs(f *testing.F) {
	for _, s := range []string{"", "12 ", "1 2 3", "0 -4 x 7", "99999999999999999999 5", "\t8\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want []int
		for _, field := range strings.Fields(s) {
			if n, err := strconv.Atoi(field); err == nil && n > 0 {
				want = append(want, n)
			}
		}
		if got := parsePIDs(s); !slices.Equal(got, want) {
			t.Fatalf("parsePIDs(%q) = %v, want %v", s, got, want)
		}
	})
}

// FuzzShellQuote: sh reads the quoted words back as the original args.
func FuzzShellQuote(f *testing.F) {
	for _, s := range []string{"plain", "", "it's", `a"b`, "$HOME `id` $(id)", "sp ace\ttab\nnl", "'''", "ü 🚀"} {
		f.Add(s, "second")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if strings.ContainsRune(a+b, 0) {
			return // not representable in argv
		}
		out, err := exec.Command("sh", "-c", `printf '%s\0' `+shellQuote([]string{a, b})).Output()
		if err != nil {
			t.Fatal(err)
		}
		if want := a + "\x00" + b + "\x00"; string(out) != want {
			t.Fatalf("sh read %q back as %q", []string{a, b}, out)
		}
	})
}
