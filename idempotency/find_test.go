package idempotency

import (
	"testing"
)

// findSeeds are objects for TestFind and FuzzFind: duplicate keys, escaped
// keys (whose raw text may equal the key looked up), long keys and values,
// nested containers, every kind of value.
var findSeeds = []string{
	`{}`,
	`{"a": 1, "b": [1, {"a": 2}], "a": 3}`,
	`{"a\\b": 1, "a\\\\b": 2}`,
	`{"a\\\\b": 2, "a\\b": 1}`,
	`{"a\\b": 1}`,
	`{"k\u00e9y": "v", "k\u00c3\u00a9y": 2, "\u0041": true, "A": false}`,
	`{"x": {"y": {"z": null}}, "s": "` + "a long string value that the scanner records, over forty-eight bytes" + `", "n": -1.5e3}`,
	`{"` + "a long key that the scanner records because it is over forty-eight bytes" + `": [], "t": true, "f": false, "n": null}`,
	`{"body": "{\"order_id\": 1}", "body": "{\"order_id\": 2}"}`,
	`{"\"": 1, "\\": 2, "\/": 3, "/": 4}`,
}

func checkFind(t *testing.T, obj string, keys []string) {
	t.Helper()
	var st, built deriveState
	a, err := st.parseDoc(obj, false)
	if err != nil || a.kind != jObject {
		return
	}
	b, _ := built.parseDoc(obj, false)
	b.children() // the level built: lookup reads it
	for _, k := range keys {
		got, gok := wrap(a).lookup(k)
		want, wok := wrap(b).lookup(k)
		if a.built {
			t.Fatalf("%s: lookup built the level", obj)
		}
		if gok != wok || gok && !equalValues(got, want) {
			t.Fatalf("%s [%q]: %+v %v, built level gives %+v %v", obj, k, got, gok, want, wok)
		}
	}
}

// equalValues compares two values by their canonical JSON.
func equalValues(a, b value) bool {
	var e encoder
	x, err1 := e.appendCanonical(nil, a)
	y, err2 := e.appendCanonical(nil, b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

func TestFind(t *testing.T) {
	keys := []string{"", "a", "b", `a\b`, `a\\b`, "kéy", "kÃ©y", "A", "x", "s", "n", "t", "f", "body", `"`, `\`, "/", "missing",
		"a long key that the scanner records because it is over forty-eight bytes"}
	for _, obj := range findSeeds {
		checkFind(t, obj, keys)
	}
}

// FuzzFind checks that a lookup in an object not yet built (find) gives
// what the built level gives.
func FuzzFind(f *testing.F) {
	for _, obj := range findSeeds {
		f.Add(obj, "a")
	}
	f.Fuzz(func(t *testing.T, obj, key string) {
		checkFind(t, obj, []string{key})
	})
}
