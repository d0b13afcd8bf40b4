package idempotency

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"testing"

	"github.com/valyala/fastjson"
)

// goldenTables are the float and string tables of testdata/golden.json:
// pairs of [input JSON text, Python json.dumps output].
func goldenTables(t testing.TB) (floats, strs [][2]string) {
	t.Helper()
	raw, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Floats  [][2]string `json:"floats"`
		Strings [][2]string `json:"strings"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Floats) < 500 || len(doc.Strings) < 100 {
		t.Fatalf("golden tables too small: %d floats, %d strings", len(doc.Floats), len(doc.Strings))
	}
	return doc.Floats, doc.Strings
}

// canonicalOf parses text as an event and returns its canonical JSON.
func canonicalOf(t testing.TB, text []byte) ([]byte, error) {
	t.Helper()
	var st deriveState
	root, err := st.parseDoc(string(text), true)
	if err != nil {
		return nil, err
	}
	return st.enc.appendCanonical(nil, wrap(root))
}

func TestPyFloatGolden(t *testing.T) {
	floats, _ := goldenTables(t)
	for _, c := range floats {
		f, err := strconv.ParseFloat(c[0], 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			t.Fatalf("%s: %v", c[0], err)
		}
		if got := string(appendPyFloat(nil, f)); got != c[1] {
			t.Errorf("appendPyFloat(%s) = %s, Python says %s", c[0], got, c[1])
		}
		// The same value as event text goes through the source-number path.
		got, err := canonicalOf(t, []byte(c[0]))
		if err != nil || string(got) != c[1] {
			t.Errorf("canonical(%s) = %s, %v; Python says %s", c[0], got, err, c[1])
		}
	}
}

func TestPyStringGolden(t *testing.T) {
	_, strs := goldenTables(t)
	for _, c := range strs {
		got, err := canonicalOf(t, []byte(c[0]))
		if err != nil || string(got) != c[1] {
			t.Errorf("canonical(%q) = %q, %v; Python says %q", c[0], got, err, c[1])
		}
		// In a container the string is written from its source text.
		got, err = canonicalOf(t, []byte("["+c[0]+"]"))
		if err != nil || string(got) != "["+c[1]+"]" {
			t.Errorf("canonical([%q]) = %q, %v; Python says [%q]", c[0], got, err, c[1])
		}
	}
}

// TestCanonicalOwnedMatchesSource checks that owned values (JMESPath
// results) and parsed documents encode identically.
func TestCanonicalOwnedMatchesSource(t *testing.T) {
	for _, c := range loadGolden(t) {
		if c.Error == "event" || c.EventB64 != "" {
			continue
		}
		checkOwnedMatchesSource(t, []byte(c.Event))
	}
}

func checkOwnedMatchesSource(t testing.TB, text []byte) {
	var st deriveState
	root, err := st.parseDoc(string(text), true)
	if err != nil {
		return
	}
	src, err1 := st.enc.appendCanonical(nil, wrap(root))
	owned, err2 := st.enc.appendCanonical(nil, own(wrap(root)))
	if err1 != nil || err2 != nil || !bytes.Equal(src, owned) {
		t.Fatalf("event %q: source encoding %q (%v) != owned encoding %q (%v)", text, src, err1, owned, err2)
	}
	compactSrc, err1 := st.enc.appendCompact(nil, wrap(root))
	compactOwned, err2 := st.enc.appendCompact(nil, own(wrap(root)))
	if err1 != nil || err2 != nil || !bytes.Equal(compactSrc, compactOwned) {
		t.Fatalf("event %q: compact source %q (%v) != compact owned %q (%v)", text, compactSrc, err1, compactOwned, err2)
	}
}

func TestUnescapeSurrogates(t *testing.T) {
	cases := []struct{ in, want string }{
		{`\ud83d\ude00`, "\U0001F600"},
		{`\\ud800`, `\ud800`},
		{`\ud800`, "\xed\xa0\x80"},
		{`\ud800\u0041`, "\xed\xa0\x80A"},
		{`\udc00\ud800\udc00`, "\xed\xb0\x80\U00010000"},
		{`\\\ud800x`, "\\\xed\xa0\x80x"},
		{`\ud800\ud800\udc00`, "\xed\xa0\x80\U00010000"},
		{`a\"b\/c\b\f\n\r\t\u00E9\u0000`, "a\"b/c\b\f\n\r\t\u00e9\x00"},
	}
	for _, c := range cases {
		var st deriveState
		if got := st.unescape(c.in); got != c.want {
			t.Errorf("unescape(%s) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzCanonical checks that canonical JSON is ASCII, does not depend on
// the value representation, and is a fixed point: re-encoding the output
// (when it is plain JSON) gives the same bytes, as with Python.
func FuzzCanonical(f *testing.F) {
	seen := map[string]bool{}
	for _, c := range loadGolden(f) {
		if c.EventB64 == "" && !seen[c.Event] {
			seen[c.Event] = true
			f.Add([]byte(c.Event))
		}
	}
	floats, strs := goldenTables(f)
	for _, c := range append(floats[:50], strs[:50]...) {
		f.Add([]byte(c[0]))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := canonicalOf(t, data)
		if err != nil {
			return
		}
		for _, c := range out {
			if c >= 0x80 {
				t.Fatalf("non-ASCII byte in %q", out)
			}
		}
		checkOwnedMatchesSource(t, data)
		if bytes.Contains(out, []byte("Infinity")) || bytes.Contains(out, []byte("NaN")) {
			return // Python writes these, but they are not JSON
		}
		if err := fastjson.ValidateBytes(out); err != nil {
			t.Fatalf("canonical output %q is not JSON: %v", out, err)
		}
		again, err := canonicalOf(t, out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("canonical not idempotent:\n%q\n%q (%v)", out, again, err)
		}
	})
}
