package idempotency

import (
	"bytes"
	"strings"
	"testing"
)

// rawStringCases are string contents (JSON source, between the quotes) on
// the edges of the canonical check and the raw transcoder.
var rawStringCases = []string{
	``, `a`, `\/`, `\"\\\b\f\n\r\t`, `\u00e9`, `\u00E9`, `\u0041`, `\u0022`, `\u005c`, `\u001f`, `\u000a`,
	`\u0008`, `\u000c`, `\u000d`, `\u0009`, `\u0000`, `\u007f`, "\x7f", "\u00e9", "\U0001F600", `\ud83d\ude00`,
	`\uD83D\uDE00`, `\ud83d`, `\ude00\ud83d`, `\ud83dx`, "\\ud83d\U0001F600", `\u20ac`, `\u20AC`, `\uffff`,
	"\xed\xa0\x80", "\xed\xa0\x80\\udc00", `\\u00e9`, `\\\/`, "caf\\u00e9 \\\"x\\\" \u00e9\x7f/",
}

// checkRawString checks rawString and the scanner's canonical flag for
// string content raw against appendPyString of its unescaped value.
func checkRawString(t *testing.T, raw string) {
	t.Helper()
	text := `"` + raw + `"`
	end, _, canon, err := scanStringContent(text, 1)
	if err != nil || end != len(text) {
		return // not one valid string
	}
	var st deriveState
	want := appendPyString(nil, st.unescape(raw))
	st.enc.buf = nil
	st.enc.rawString(raw)
	if !bytes.Equal(st.enc.buf, want) {
		t.Fatalf("rawString(%q) = %q, want %q", raw, st.enc.buf, want)
	}
	if isCanon := string(want) == text; canon != isCanon {
		t.Fatalf("scan says canonical=%v for %q, but Python writes %q", canon, raw, want)
	}
	// Followed by other text: never canonical when it is not, and still
	// canonical when what follows is ASCII.
	_, _, canon2, err := scanStringContent(text+`,"`+"é"+`"`, 1)
	_, _, canon3, err3 := scanStringContent(text+`, "x"`, 1)
	if err != nil || err3 != nil || canon2 && !canon || canon3 != canon {
		t.Fatalf("%q: canonical %v alone, %v before non-ASCII, %v before ASCII (%v, %v)", raw, canon, canon2, canon3, err, err3)
	}
}

func TestRawString(t *testing.T) {
	for _, c := range rawStringCases {
		checkRawString(t, c)
		// Long strings and every offset within a word.
		for _, pad := range []string{"x", "1234567", strings.Repeat("y", 60)} {
			checkRawString(t, pad+c)
			checkRawString(t, c+pad)
			checkRawString(t, pad+c+pad+c)
		}
	}
}

func FuzzRawString(f *testing.F) {
	for _, c := range rawStringCases {
		f.Add(c)
	}
	_, strs := goldenTables(f)
	for _, c := range strs {
		f.Add(strings.Trim(c[0], `"`))
	}
	f.Fuzz(checkRawString)
}

// recorder is a hash.Hash that keeps what is written to it.
type recorder struct{ bytes.Buffer }

func (*recorder) Sum(b []byte) []byte { return b }
func (*recorder) Size() int           { return 0 }
func (*recorder) BlockSize() int      { return 1 }

// TestHashCanonicalStreams checks that the canonical JSON streamed to a
// hash is the one built in memory, for events with long strings written
// directly (canonical ones) or through the transcoder.
func TestHashCanonicalStreams(t *testing.T) {
	big := bigEvent(t, 300<<10)
	nonCanon := bytes.ReplaceAll(big, []byte(`SKU-`), []byte("\\/\u00e9\\u00E9"))
	long := []byte(`{"b":"` + strings.Repeat(`\"x\"`, 30000) + `","a":["` + strings.Repeat("\u00e9", 30000) + `"]}`)
	for _, ev := range [][]byte{big, nonCanon, long, apigwEvent(t)} {
		var st deriveState
		root, err := st.parseDoc(string(ev), true)
		if err != nil {
			t.Fatal(err)
		}
		want, err := st.enc.appendCanonical(nil, wrap(root))
		if err != nil {
			t.Fatal(err)
		}
		var r recorder
		if _, err := st.enc.hashCanonical(&r, nil, wrap(root)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(r.Bytes(), want) {
			t.Fatalf("streamed canonical JSON (%d bytes) differs from the buffered one (%d bytes)", r.Len(), len(want))
		}
		if !bytes.Equal(want, appendPyValue(t, own(wrap(root)))) {
			t.Fatal("source encoding differs from the owned encoding")
		}
	}
}

func appendPyValue(t *testing.T, v value) []byte {
	t.Helper()
	var e encoder
	b, err := e.appendCanonical(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
