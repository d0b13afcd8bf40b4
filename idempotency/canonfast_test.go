package idempotency

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// onePassSeeds are events that exercise canonicalText's paths: unsorted and
// duplicate keys (at every level), escapes in keys and values, non-ASCII
// and lone surrogates, numbers re-rendered, empty and all-null containers,
// byte order marks, and invalid texts.
var onePassSeeds = []string{
	`{"b":1,"a":2}`, `{"a":1,"a":2}`, `{"a":null,"a":1}`, `{"a":1,"a":null}`, `{"z":{"y":1,"x":[3,{"b":0,"a":0}]},"a":[]}`,
	`{"b":{"d":1,"c":2,"c":3},"a":{"a":null,"a":null}}`, `{"\u0062":1,"a":2,"\u00e9":3,"é":4,"\ud800":5,"\ud83d\ude00":6,"\ufffd":7}`,
	`["caf\u00e9","\/","\u001f","\u007f","\u00E9","\"\\\b\f\n\r\t","héllo","\ud800x","\udc00\ud800"]`,
	`[1.0,-0,-0.0,1e400,1E2,0.1,123456789012345678901234567890,1.5e-7,-1e-400,2e0]`,
	`null`, `true`, `false`, `""`, `"x"`, `0`, `{}`, `[]`, `[null]`, `[null,[]]`, `[null,null,1]`, `{"a":[]}`,
	` { "a" : [ 1 , 2 ] , "b" : { } } `, "\xef\xbb\xbf{\"a\":1}", "\u00ef\u00bb\u00bf{\"a\":1}",
	`{"a":1,}`, `[1,]`, `{"a" 1}`, `{"a":1}x`, `[01]`, `[1.]`, `"\x"`, "\"\x01\"", `[tru]`, `{"a":nul}`, ``, ` `, `[`, `{"a":`,
	`"abcdefg"`, `"abcdefgh"`, "\"caf\xc3\xa9\"", "\"\x7f\"", `{"abcdefg":"abcdefgh"}`, "\xff", strings.Repeat("[", 301) + strings.Repeat("]", 301),
	strings.Repeat("[", 300) + strings.Repeat("]", 300), `{"requestContext":{"b":"` + strings.Repeat("é\\u00e9x", 20) + `","a":1}}`,
	// Unsorted objects (reordered in place by sortMembers), nested, with
	// escaped keys, all-null values, and duplicates (the tree path).
	`{"b":1,"a":{"d":[1,{"z":null,"y":2}],"c":"x"}}`, `{"b":null,"a":null}`, `{"\u0062":1,"a":2}`, `{"b":1,"a":2,"b":3}`,
	`{"é":1,"e":2,"\ud83d\ude00":3,"\uffff":4,"\ud800":5}`, `{ "c" : [ ] , "b" : { } , "a" : "" }`, `[{"b":1,"a":2},{"d":3,"c":4}]`,
	`{"b":{"y":1,"x":2},"a":{"y":1,"x":2,"x":3}}`, `{"aa":1,"a":2,"ab":3,"":4}`,
}

// FuzzWholeOnePass checks that whole-event keys derived in one pass
// (canonicalText) are exactly those of the tree path: same key, same
// missing-key answer, and an error in both or neither.
func FuzzWholeOnePass(f *testing.F) {
	for _, s := range onePassSeeds {
		f.Add([]byte(s), uint8(0))
	}
	for _, c := range loadGolden(f) {
		f.Add(c.event(f), uint8(1))
	}
	var fast, slow [2]*Keyer
	for i, h := range []string{"", "sha256"} {
		var err error
		if fast[i], err = NewKeyer(KeyConfig{KeyPrefix: "p", HashFunction: h}); err != nil {
			f.Fatal(err)
		}
		if slow[i], err = NewKeyer(KeyConfig{KeyPrefix: "p", HashFunction: h}); err != nil {
			f.Fatal(err)
		}
		if !fast[i].onePass {
			f.Fatal("whole-event keys are not derived in one pass")
		}
		slow[i].onePass = false
	}
	f.Fuzz(func(t *testing.T, event []byte, which uint8) {
		checkOnePass(t, fast[which%2], slow[which%2], event)
	})
}

func checkOnePass(t *testing.T, fast, slow *Keyer, event []byte) {
	t.Helper()
	got, gerr := fast.Derive(event)
	want, werr := slow.Derive(event)
	if (gerr == nil) != (werr == nil) || got != want {
		t.Fatalf("event %q: one pass gives %+v (%v), tree path %+v (%v)", event, got, gerr, want, werr)
	}
	if gerr != nil && !errors.Is(gerr, ErrInvalidEvent) {
		t.Fatalf("event %q: error %v does not wrap ErrInvalidEvent", event, gerr)
	}
}

// onePassKeyers returns two whole-event Keyers: one that derives keys in
// one pass where it can, and one that always takes the tree path.
func onePassKeyers(t *testing.T) (fast, slow *Keyer) {
	t.Helper()
	fast, err := NewKeyer(KeyConfig{KeyPrefix: "p"})
	if err != nil {
		t.Fatal(err)
	}
	slow, _ = NewKeyer(KeyConfig{KeyPrefix: "p"})
	slow.onePass = false
	return fast, slow
}

// TestWholeOnePass runs the seeds and checks that the one pass is taken
// for valid events up to wholeLimit.
func TestWholeOnePass(t *testing.T) {
	fast, slow := onePassKeyers(t)
	for _, s := range onePassSeeds {
		checkOnePass(t, fast, slow, []byte(s))
	}
	big := `{"b":"` + strings.Repeat("x", wholeLimit) + `","a":1}`
	checkOnePass(t, fast, slow, []byte(big))
	st := fast.states.Get().(*deriveState)
	defer fast.states.Put(st)
	st.enc.buf = nil
	missing, ok := st.canonicalText(`{"b":[1,{"d":2.50,"c":"\u00e9","c":"x"}],"a":null}`)
	want := `{"a": null, "b": [1, {"c": "x", "d": 2.5}]}`
	if got := string(st.enc.buf); !ok || missing || got != want {
		t.Fatalf("canonical text %q (ok %v, missing %v), want %q", got, ok, missing, want)
	}
	st.enc.buf = nil
	for _, cfg := range []KeyConfig{{EventKeyJMESPath: "a"}, {PayloadValidationJMESPath: "a"}, {Format: FormatTypeScript}} {
		if k, _ := NewKeyer(cfg); k.onePass {
			t.Errorf("%+v: one pass used", cfg)
		}
	}
}

// TestMoveMember checks moveMember against copy for every length around
// its word copy's limit, with and without room past the piece in either
// slice: the piece lands whole and nothing before it changes.
func TestMoveMember(t *testing.T) {
	src := make([]byte, 100)
	for i := range src {
		src[i] = byte('A' + i%58)
	}
	for n := range 80 {
		for _, from := range []int{0, 3, 100 - n - 8, 100 - n} {
			if from < 0 {
				continue
			}
			for _, size := range []int{n + 5, n + 7, n + 8, n + 40} {
				dst := make([]byte, size)
				for i := range dst {
					dst[i] = '.'
				}
				w := 5
				if got := moveMember(dst, w, src, from, from+n); got != w+n {
					t.Fatalf("n %d from %d dst %d: returned %d, want %d", n, from, size, got, w+n)
				}
				if string(dst[:w]) != "....." || string(dst[w:w+n]) != string(src[from:from+n]) {
					t.Fatalf("n %d from %d dst %d: %q", n, from, size, dst)
				}
			}
		}
	}
}

// TestRememberedOrders derives, with one deriveState, events whose objects
// have the same number of members as the last event's but other keys or
// another order (so that a remembered key order fits, fits only in part,
// or does not fit), with duplicates and keys sharing their first eight
// bytes, and checks every key against the tree path.
func TestRememberedOrders(t *testing.T) {
	fast, slow := onePassKeyers(t)
	st := fast.states.New().(*deriveState)
	derive := func(event string) {
		t.Helper()
		got, ok := fast.deriveWhole(st, event)
		st.reset()
		want, err := slow.Derive([]byte(event))
		if !ok || err != nil || got != want {
			t.Fatalf("event %s: one pass gives %+v (%v), tree path %+v (%v)", event, got, ok, want, err)
		}
	}
	// The order of {"c","b","a"} tried on {"b","a","c"} fails at its
	// second key, after its first was written.
	for _, e := range []string{`{"c":1,"b":2,"a":3}`, `{"c":4,"b":5,"a":6}`, `{"b":1,"a":2,"c":3}`, `{"c":1,"a":2,"b":3}`, `{"c":1,"b":2,"a":3}`} {
		derive(e)
	}
	if r := st.forders[0]; r.n != 3 || r.order[0] != 2 || r.order[1] != 1 || r.order[2] != 0 {
		t.Fatalf("remembered order of the last event's object: %+v, want 3 members in order 2 1 0", r)
	}
	// "abcdefgh" and "abcdefgi" have prefixes (keyPrefix) one apart.
	keys := []string{"a", "b", "c", "X-Forwarded-Port", "X-Forwarded-Proto", "X-Forwarded-For", "\\u0062", "é", "aa", "abcdefgh", "abcdefgi"}
	r := rand.New(rand.NewPCG(7, 8))
	var b strings.Builder
	for range 20_000 {
		b.Reset()
		b.WriteByte('{')
		for m := range 2 + r.IntN(3) {
			if m > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"` + keys[r.IntN(len(keys))] + `":{`)
			for k := range 1 + r.IntN(4) {
				if k > 0 {
					b.WriteByte(',')
				}
				b.WriteString(`"` + keys[r.IntN(len(keys))] + `":` + strconv.Itoa(k))
			}
			b.WriteByte('}')
		}
		b.WriteByte('}')
		derive(b.String())
	}
}

// TestOnePassUnterminatedStrings: a string that runs to the end of the text
// ends plainString's blocks exactly there for some lengths (no stop found,
// no byte left), and must still be an invalid event, not a string.
func TestOnePassUnterminatedStrings(t *testing.T) {
	k, err := NewKeyer(KeyConfig{KeyPrefix: "p"})
	if err != nil {
		t.Fatal(err)
	}
	for n := range 70 {
		x := strings.Repeat("x", n)
		for _, ev := range []string{`{"a":"` + x, `{"` + x, `["` + x, `{"` + x + `"`, `{"a":"` + x + `"`} {
			if _, err := k.Derive([]byte(ev)); err == nil {
				t.Fatalf("%q: derived a key, want an invalid event", ev)
			}
		}
	}
}
