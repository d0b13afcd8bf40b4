package idempotency

import (
	"strings"
	"testing"
)

// unescapeSeeds are string contents (as in JSON text) for FuzzScanUnescape.
var unescapeSeeds = []string{
	``, `abc`, `caf\u00e9`, `\"\\\/\b\f\n\r\t`, `\ud83d\ude00`, `\ud800`, `\ud800\u0041`, `\ud800\ud800\udc00`, `\udc00`,
	`\u00E9`, `\u0022`, `\u001f`, "caf\xc3\xa9", "\x7f", `\x`, `\u12`, `\u12g4`, "\x01", `\`, `{\"order_id\": 1, \"items\": [1.5, \"x\"]}`,
	`\ud800\u12`, `\ud800\`, strings.Repeat(`\"ab\\u00e9`, 600),
}

// FuzzScanUnescape checks scanUnescape against scanStringContent and
// unescape, on its own and through Derive with powertools_json of a body
// long enough to be unescaped while it is checked.
func FuzzScanUnescape(f *testing.F) {
	for _, s := range unescapeSeeds {
		f.Add(s)
	}
	cfg := KeyConfig{EventKeyJMESPath: "powertools_json(body)", KeyPrefix: "p"}
	fast, err := NewKeyer(cfg)
	if err != nil {
		f.Fatal(err)
	}
	if !fast.unescapeLong {
		f.Fatal("powertools_json does not unescape long strings while checking them")
	}
	slow, _ := NewKeyer(cfg)
	slow.unescapeLong = false
	pad := strings.Repeat(`x\u00e9`, unescapeFrom/7+1)
	f.Fuzz(func(t *testing.T, s string) {
		checkScanUnescape(t, `"`+s+`"`)
		checkScanUnescape(t, `"`+s)
		event := []byte(`{"body":"[\"` + s + `\",\"` + pad + `\"]"}`)
		got, gerr := fast.Derive(event)
		want, werr := slow.Derive(event)
		if (gerr == nil) != (werr == nil) || got != want {
			t.Fatalf("event %q: %+v (%v), without unescaping while checking %+v (%v)", event, got, gerr, want, werr)
		}
	})
}

func checkScanUnescape(t *testing.T, text string) {
	t.Helper()
	var st deriveState
	end, esc, canon, err := st.scanUnescape(text, 0)
	wend, wesc, wcanon, werr := scanStringContent(text, 1)
	if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
		t.Fatalf("%q: error %v, want %v", text, err, werr)
	}
	if err != nil {
		return
	}
	if esc {
		wcanon = false // reported for strings without escapes only
	}
	if end != wend || esc != wesc || canon != wcanon {
		t.Fatalf("%q: end %d esc %v canon %v, want %d %v %v", text, end, esc, canon, wend, wesc, wcanon)
	}
	if !esc {
		return
	}
	if len(st.strs) != 1 || st.strs[0].start != 0 || int(st.strs[0].end) != end {
		t.Fatalf("%q: recorded %+v", text, st.strs)
	}
	if got, want := st.strs[0].unesc, st.unescape(text[1:end-1]); got != want {
		t.Fatalf("%q: unescaped %q, want %q", text, got, want)
	}
}

func TestScanUnescape(t *testing.T) {
	for _, s := range unescapeSeeds {
		checkScanUnescape(t, `"`+s+`"`)
		checkScanUnescape(t, `"`+s)
	}
	if k, _ := NewKeyer(KeyConfig{EventKeyJMESPath: "body"}); k.unescapeLong {
		t.Error("long strings unescaped without powertools_json")
	}
}
