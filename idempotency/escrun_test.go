package idempotency

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// scanStringByBytes is scanStringAt written plainly, one byte at a time:
// the model the word-at-a-time scans (and skipEscapeRun) are checked
// against.
func scanStringByBytes(text string, i int) (end int, esc, canon bool, kind error, at int) {
	canon = true
	for i < len(text) {
		switch c := text[i]; {
		case c == '"':
			return i + 1, esc, canon, nil, 0
		case c < 0x20:
			return 0, false, false, errJSONControl, i
		case c == '\\':
			esc = true
			if i+1 >= len(text) {
				return 0, false, false, errJSONString, i
			}
			switch text[i+1] {
			case '"', '\\', 'b', 'f', 'n', 'r', 't':
				i += 2
			case '/':
				canon = false
				i += 2
			case 'u':
				if i+6 > len(text) || !isHex4(text[i+2:i+6]) {
					return 0, false, false, errJSONEscape, i
				}
				canon = canon && isCanonicalEscape(text[i+2:i+6])
				i += 6
			default:
				return 0, false, false, errJSONEscape, i
			}
		default:
			canon = canon && c < 0x7f
			i++
		}
	}
	return 0, false, false, errJSONString, i
}

func checkScanString(t *testing.T, text string, i int) {
	t.Helper()
	end, esc, canon, kind, at := scanStringAt(text, i)
	wend, wesc, wcanon, wkind, wat := scanStringByBytes(text, i)
	if end != wend || esc != wesc || kind != wkind || at != wat {
		t.Fatalf("%q from %d: end %d esc %v error %v at %d, want end %d esc %v error %v at %d",
			text, i, end, esc, kind, at, wend, wesc, wkind, wat)
	}
	// canon may be false for a canonical string when a byte >= 0x7f
	// follows it in the same word; never true for one that is not.
	if canon != wcanon && (canon || !strings.ContainsFunc(text[end:min(end+8, len(text))], func(r rune) bool { return r >= 0x7f })) {
		t.Fatalf("%q from %d: canon %v, want %v", text, i, canon, wcanon)
	}
}

// checkEscapeRun checks skipEscapeRun from the backslash at i (outside an
// escape) against a byte walk: stop is the first byte that ends a run (a
// control byte, an unescaped quote, or a byte escaped by other than \" or
// \\) if it lies in one of the 64-byte blocks from i that fit in text,
// and len(text) if not; next is the start of an escape or of plain text, in
// the block that holds stop (or past the last block).
func checkEscapeRun(t *testing.T, text string, i int) {
	t.Helper()
	next, _, stop := skipEscapeRun(text, i)
	bounds := map[int]bool{} // where escapes and plain bytes start
	want, k := len(text), i
	for ; k < len(text); k++ {
		bounds[k] = true
		if c := text[k]; c == '"' || c < 0x20 {
			want = k
			break
		} else if c != '\\' {
			continue
		}
		if k+1 < len(text) && text[k+1] != '"' && text[k+1] != '\\' {
			want = k + 1
			break
		}
		k++
	}
	bounds[k] = true // the end of text, if the walk got there
	blocksEnd := i + (len(text)-i)/64*64
	if want >= blocksEnd {
		want = len(text)
	}
	if stop != want {
		t.Fatalf("%q from %d: stop %d, want %d", text, i, stop, want)
	}
	if lo := min(want, blocksEnd) - 64; !bounds[next] || next < lo || next > max(lo+64, i) {
		t.Fatalf("%q from %d: next %d (stop %d), want an escape's start in [%d, %d]", text, i, next, stop, lo, lo+64)
	}
}

// checkEscapeRuns runs checkEscapeRun from every backslash from i on that
// starts an escape, as far as the string goes.
func checkEscapeRuns(t *testing.T, text string, i int) {
	t.Helper()
	for ; i < len(text) && text[i] != '"'; i++ {
		if text[i] == '\\' {
			checkEscapeRun(t, text, i)
			i++
		}
	}
}

// stringAlphabet is what strings dense with escapes are made of: the
// escapes' own bytes, hex digits, a control byte, non-ASCII, and the
// bytes around the SWAR masks' edges.
const stringAlphabet = "\\\\\\\\\"\"\"/ubfnrtu0aAe9 \x01\x1f\x7f\xc3\xa9\x80\xff!#[]"

// TestScanStringMatchesByteLoop checks scanStringAt against the byte loop
// on random strings dense with escapes, at every offset in a word, for
// every length around skipEscapeRun's blocks; and scanUnescape (the
// powertools_json path, which unescapes as it checks) against scanStringAt
// and unescape on the same strings.
func TestScanStringMatchesByteLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for range 100_000 {
		b.Reset()
		b.WriteString(strings.Repeat("x", r.IntN(9)))
		start := b.Len()
		b.WriteByte('"')
		plain := r.IntN(4) == 0            // mostly \" and \\, as in a JSON body
		for n := r.IntN(240); n > 0; n-- { // up to a few 64-byte blocks
			switch k := r.IntN(10); {
			case plain || k < 3:
				b.WriteString([]string{`\"`, `\\`, `a`, `bc`}[r.IntN(4)])
			default:
				b.WriteByte(stringAlphabet[r.IntN(len(stringAlphabet))])
			}
		}
		if r.IntN(4) > 0 {
			b.WriteByte('"')
		}
		b.WriteString(strings.Repeat("y", r.IntN(12)))
		checkScanString(t, b.String(), start+1)
		checkScanUnescape(t, b.String()[start:])
		if r.IntN(8) == 0 {
			checkEscapeRuns(t, b.String(), start+1)
		}
	}
}

// FuzzScanString is the same check on arbitrary texts.
func FuzzScanString(f *testing.F) {
	for _, s := range []string{`\"a\\b\"\"c\\\\"`, `x\\\"\\"y`, "\\\"\\\"\\\x01\"", `\\\\\\\\\\\\\\\\\\"`, `\"\u00e9\"\/\""`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for i := range min(len(text), 9) {
			checkScanString(t, text, i)
		}
		checkEscapeRuns(t, text, 0)
	})
}

// BenchmarkScanEscapedString scans 1 MiB strings dense with \" and \\:
// the same short pattern repeated (which the CPU's branch predictor
// learns), and pieces of random lengths, as real JSON bodies are.
func BenchmarkScanEscapedString(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	regular, irregular := strings.Builder{}, strings.Builder{}
	regular.WriteByte('"')
	irregular.WriteByte('"')
	for regular.Len() < 1<<20 {
		regular.WriteString(`{\"sku\": \"SKU-000001\", \"name\": \"caf\\u00e9\"}, `)
	}
	for irregular.Len() < 1<<20 {
		irregular.WriteString("abcdefghijkl"[:r.IntN(12)+1])
		irregular.WriteString([]string{`\"`, `\"`, `\\`, ``}[r.IntN(4)])
	}
	for _, c := range []struct {
		name string
		text string
	}{{"regular", regular.String() + `"`}, {"irregular", irregular.String() + `"`}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.text)))
			for b.Loop() {
				if end, _, _, kind, _ := scanStringAt(c.text, 1); kind != nil || end != len(c.text) {
					b.Fatal(kind, end)
				}
			}
		})
	}
}

// TestEscapeRunStops checks skipEscapeRun on the cases random strings
// seldom make: a run of simple escapes, of every length over one to three
// blocks and shifted by a byte or two so that an escape straddles a
// block's end, that ends at each kind of byte that ends a run.
func TestEscapeRunStops(t *testing.T) {
	for _, stopper := range []string{`"`, "\x01", `\n`, `\u00e9`, `\/`} {
		for shift := range 3 {
			for pairs := 28; pairs < 100; pairs++ {
				for _, pad := range []int{0, 1, 64, 200} {
					text := `"\\` + strings.Repeat("a", shift) + strings.Repeat(`\"`, pairs) + stopper + strings.Repeat("a", pad)
					checkEscapeRun(t, text, 1)
				}
			}
		}
	}
}
