package idempotency

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// scanCases are texts on the edges of the JSON grammar.
var scanCases = []string{
	``, ` `, `0`, `-0`, `01`, `-`, `1.`, `.5`, `1.5e`, `1e+`, `1E-7`, `+1`, `1e5`, `-12.5E+3`,
	`NaN`, `Infinity`, `-Infinity`, `nan`, `inf`, `tru`, `true`, `false`, `null`, `nul`, `truex`, `1true`,
	`""`, `"a`, `"\u00e9"`, `"\u00E9"`, `"\u00g9"`, `"\x"`, `"\/"`, "\"\x01\"", "\"\x7f\"", `"\ud800"`,
	`[]`, `[1,]`, `[,1]`, `[1 2]`, `{}`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `{"a":1 "b":2}`, `{"a":{"b":[1,{"c":null}]}}`,
	` {"a" : [ 1 , 2 ] } `, `{"a":1}{}`, `[1]]`, `{"a":1}}`, `[}`, `{]`, `{"a":[}]}`, "\t[\r\n]\n",
	`{"a":1,"a":2}`, `{"k\"ey":"v\\"}`, `"` + strings.Repeat("x", 100) + `\"` + strings.Repeat("y", 13) + `"`,
	strings.Repeat("[", 300) + strings.Repeat("]", 300),
	strings.Repeat("[", 301) + strings.Repeat("]", 301),
	strings.Repeat("[", 300) + "1" + strings.Repeat("]", 300),
	strings.Repeat("[", 299) + "1" + strings.Repeat("]", 299),
	strings.Repeat("9", 4300), "-" + strings.Repeat("9", 4300), strings.Repeat("9", 4301),
	"[" + strings.Repeat("9", 4301) + ".5]", `{"n":` + strings.Repeat("1", 4301) + `}`,
}

// padded is followed by enough text for the scanner's word-at-a-time fast
// paths (keys and values checked in one or two words, short strings checked
// only, literals and integers in place) to look at what comes before it.
const padded = `, "padding": "0123456789abcdefghijklmnopqrstuvwxyz"}`

// fastPathCases are texts for those fast paths: strings around their limits
// (7 and 15 bytes in a word or two, 47 before longString), plain, with
// valid escapes and with invalid ones, as keys and as values; literals and
// integers and their near misses; each followed by more text.
func fastPathCases() []string {
	var cases []string
	for _, body := range []string{
		"abcdefg", "abcdefgh", "abcdefghijklmno", "abcdefghijklmnop", strings.Repeat("x", 45), strings.Repeat("x", 46), strings.Repeat("x", 47),
		`a\"b`, `ab\\cdefghijkl`, `\u00e9\u00E9xyz`, `\ud83d\ude00`, `abcdefghijklmn\/`,
		`a\x`, `abcdefgh\q`, `\u12g4`, `\u12`, `abc\`, "ab\x01cd", "abcdefghij\x1f", "\x7f\xc3\xa9",
		strings.Repeat("x", 40) + `\z`, strings.Repeat("x", 44) + `\u00`,
	} {
		cases = append(cases, `{"`+body+`": 1`+padded, `{"k": "`+body+`"`+padded, `["`+body+`", 1, 2, 3, 4, 5, 6, 7, 8, 9]`)
	}
	for _, v := range []string{"true", "false", "null", "tru", "fals", "nul", "truE", "nulL", "123", "1234567890123456789012",
		"0", "01", "1.", "1.5", "1e5", "1E+5", "12e", "-5", "9" + strings.Repeat("9", 4300)} {
		cases = append(cases, `{"k": `+v+padded, `[`+v+`, 1, 2, 3, 4, 5, 6, 7, 8, 9]`, `[`+v+`]`)
	}
	// Long strings dense with \" and \\ (a JSON document in a string), the
	// escapes at every offset in a word, ending in an escaped backslash or
	// followed by what the in-word stepping must still stop at.
	for n := 40; n < 58; n++ {
		x := strings.Repeat("x", n)
		for _, tail := range []string{`\"a\\b\"\"c\\\\`, `\\\"\\`, `\"\"\"\"\"\"\"\"\"`, `\"\n\"\u00e9\"`, `\"\"\x`, "\\\"\x01", `\\\\"`, "\\\"\xc3\xa9"} {
			cases = append(cases, `{"k": "`+x+tail+`"`+padded, `["`+tail+x+tail+`", 1, 2, 3, 4, 5, 6, 7, 8, 9]`)
		}
	}
	// Keys without their colon, or with space before it.
	cases = append(cases, `{"abc" 1`+padded, `{"abc"1`+padded, `{"abc" : 1`+padded, `{"abcdefghijkl"	:1`+padded, `{"abc",1`+padded)
	return cases
}

// TestScanMatchesFastjson checks the scanner and the lazy tree against
// fastjson (what parseDoc used before) on the edge cases.
func TestScanMatchesFastjson(t *testing.T) {
	for _, c := range slices.Concat(scanCases, fastPathCases()) {
		checkScanMatchesFastjson(t, c)
	}
}

// FuzzScan is the same check on arbitrary texts.
func FuzzScan(f *testing.F) {
	for _, c := range slices.Concat(scanCases, fastPathCases()) {
		f.Add(c)
	}
	for _, c := range loadGolden(f) {
		f.Add(string(c.event(f)))
	}
	f.Fuzz(func(t *testing.T, text string) { checkScanMatchesFastjson(t, text) })
}

func checkScanMatchesFastjson(t *testing.T, text string) {
	t.Helper()
	var st deriveState
	root, err := st.parseDoc(text, false)
	want := fastjson.Validate(text)
	var p fastjson.Parser
	var fj *fastjson.Value
	if want == nil {
		fj, want = p.Parse(text) // adds the depth limit
	}
	if want == nil && hasLongInt(fj) {
		want = errIntTooLarge
	}
	if want == nil && errors.Is(err, errJSONControl) {
		// fastjson misses raw control characters before an escape in a
		// string ("\x00\\b"); json.loads and simplejson.loads refuse them.
		return
	}
	if (err == nil) != (want == nil) {
		t.Fatalf("%.200q: parseDoc error %v, fastjson %v", text, err, want)
	}
	if err != nil || strings.Contains(strings.ToLower(text), `\ud`) {
		return // fastjson decodes lone surrogates differently (parseDoc keeps them)
	}
	if got, exp := nodeToAny(root), fastjsonToAny(fj); !reflect.DeepEqual(got, exp) {
		t.Fatalf("%.200q: tree %#v, fastjson %#v", text, got, exp)
	}
}

func hasLongInt(v *fastjson.Value) bool {
	switch v.Type() {
	case fastjson.TypeNumber:
		s := string(v.MarshalTo(nil))
		return isIntText(s) && len(strings.TrimPrefix(s, "-")) > maxIntDigits
	case fastjson.TypeArray:
		a, _ := v.Array()
		for _, e := range a {
			if hasLongInt(e) {
				return true
			}
		}
	case fastjson.TypeObject:
		o, _ := v.Object()
		found := false
		o.Visit(func(_ []byte, e *fastjson.Value) { found = found || hasLongInt(e) })
		return found
	}
	return false
}

// pair keeps object members in order, duplicates included.
type pair struct {
	K string
	V any
}

type number string

func nodeToAny(n *jnode) any {
	switch n.kind {
	case jObject:
		kv := n.children()
		out := []pair{}
		for i := 0; i < len(kv); i += 2 {
			out = append(out, pair{kv[i].string(), nodeToAny(kv[i+1])})
		}
		return out
	case jArray:
		out := []any{}
		for _, e := range n.children() {
			out = append(out, nodeToAny(e))
		}
		return out
	case jString:
		return n.string()
	case jNumber:
		return number(n.str)
	case jTrue:
		return true
	case jFalse:
		return false
	}
	return nil
}

func fastjsonToAny(v *fastjson.Value) any {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		out := []pair{}
		o.Visit(func(k []byte, e *fastjson.Value) { out = append(out, pair{string(k), fastjsonToAny(e)}) })
		return out
	case fastjson.TypeArray:
		a, _ := v.Array()
		out := []any{}
		for _, e := range a {
			out = append(out, fastjsonToAny(e))
		}
		return out
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		return string(s)
	case fastjson.TypeNumber:
		return number(v.MarshalTo(nil))
	case fastjson.TypeTrue:
		return true
	case fastjson.TypeFalse:
		return false
	}
	return nil
}
