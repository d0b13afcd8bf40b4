package idempotency

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// md5Key is the key Derive must produce for a selection whose canonical
// JSON (Python json.dumps(..., sort_keys=True)) is canonical.
func md5Key(canonical string) string {
	sum := md5.Sum([]byte(canonical))
	return "p#" + hex.EncodeToString(sum[:])
}

func deriveFor(t *testing.T, expr, event string) Derived {
	t.Helper()
	k, err := NewKeyer(KeyConfig{EventKeyJMESPath: expr, KeyPrefix: "p"})
	if err != nil {
		t.Fatalf("NewKeyer(%q): %v", expr, err)
	}
	d, err := k.Derive([]byte(event))
	if err != nil {
		t.Fatalf("Derive(%q, %s): %v", expr, event, err)
	}
	return d
}

// TestSelectionCanonical pins what expressions select, written as the
// canonical JSON Python would hash: exact integers, int/float distinction,
// literal decoding as in Python's jmespath lexer.
func TestSelectionCanonical(t *testing.T) {
	cases := []struct{ expr, event, canonical string }{
		{"a", `{"a": 12345678901234567890}`, `12345678901234567890`},
		{"a", `{"a": 1.0}`, `1.0`},
		{"a", `{"a": -0}`, `0`},
		{"[?x > `9007199254740992`].x", `[{"x": 9007199254740993}, {"x": 9007199254740992.0}]`, `[9007199254740993]`},
		{"sort(@)", `[2, 1.5, 9007199254740993, 9007199254740992]`, `[1.5, 2, 9007199254740992, 9007199254740993]`},
		{"sum(@)", `[9007199254740993, 1]`, `9007199254740994`},
		{"max(@)", `[1, 1.0]`, `1`},
		{"to_string(@)", `{"b": [1.0, "\u00e9"], "a": {"y": 1, "x": 2}}`, `"{\"b\":[1.0,\"\\u00e9\"],\"a\":{\"y\":1,\"x\":2}}"`},
		{`"a` + "`" + `b".c`, `{"a` + "`" + `b": {"c": 1}}`, `1`},
		{`'it\'s'`, `{}`, `"it's"`},
		{`'a\\b'`, `{}`, `"a\\\\b"`},
		{"`\"a\\`b\"`", `{}`, "\"a`b\""},
		{"`foo bar`", `{}`, `"foo bar"`},
		{"`  [1, 2.50]`", `{}`, `[1, 2.5]`},
		{"{b: a, a: b}", `{"a": 1, "b": 2}`, `{"a": 2, "b": 1}`},
		{"a", `{"a": 1, "a": 2}`, `2`},
		{"keys(@)", `{"b": 1, "a": 2, "b": 3}`, `["b", "a"]`},
		{"values(@)", `{"b": 1, "a": 2, "b": 3}`, `[3, 2]`},
		{"length(a)", `{"a": "\ud83d\ude00\ud800"}`, `2`},
		{"a.b", `{"a": "str"}`, `null`},
		{"a[0:2]", `{"a": "string"}`, `null`},
	}
	for _, c := range cases {
		d := deriveFor(t, c.expr, c.event)
		if want := md5Key(c.canonical); d.Key != want {
			t.Errorf("%s on %s: key %s, want md5 of %s", c.expr, c.event, d.Key, c.canonical)
		}
	}
}

func TestDeriveMissingKey(t *testing.T) {
	cases := []struct {
		event   string
		missing bool
	}{
		{`null`, true}, {`""`, true}, {`[]`, true}, {`{}`, true}, {`[null, null]`, true},
		{`{"a": null}`, true}, {`{"a": 1, "a": null}`, true}, {`{"a": null, "a": 1}`, false},
		{`0`, false}, {`0.0`, false}, {`false`, false}, {`"x"`, false}, {`[0]`, false}, {`[[]]`, false},
	}
	for _, c := range cases {
		if d := deriveFor(t, "", c.event); d.MissingKey != c.missing {
			t.Errorf("%s: MissingKey = %v, want %v", c.event, d.MissingKey, c.missing)
		}
	}
	k, err := NewKeyer(KeyConfig{EventKeyJMESPath: "id", PayloadValidationJMESPath: "powertools_json(body)"})
	if err != nil {
		t.Fatal(err)
	}
	// Powertools never evaluates the validation expression without a key.
	d, err := k.Derive([]byte(`{"body": "not json"}`))
	if err != nil || !d.MissingKey || d.PayloadHash != "" {
		t.Fatalf("missing key with failing validation: %+v, %v", d, err)
	}
	if _, err := k.Derive([]byte(`{"id": 1, "body": "not json"}`)); !errors.Is(err, ErrInvalidEvent) {
		t.Fatalf("failing validation expression: error %v, want ErrInvalidEvent", err)
	}
}

func TestKeyerCompileErrors(t *testing.T) {
	bad := []string{
		"a + b", "-a", "$.a", "let $x = a in $x", "foo(", "a[?b ==", "unknown_fn(a)", "length(a, b)",
		"not_null()", "merge()", "'unterminated", "`{\"a\": }`", "a.`1`.b(",
	}
	for _, expr := range bad {
		for _, field := range []string{"EventKeyJMESPath", "PayloadValidationJMESPath"} {
			cfg := KeyConfig{}
			if field == "EventKeyJMESPath" {
				cfg.EventKeyJMESPath = expr
			} else {
				cfg.PayloadValidationJMESPath = expr
			}
			_, err := NewKeyer(cfg)
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), field) {
				t.Errorf("%s %q: error %v, want ErrInvalidConfig naming the field", field, expr, err)
			}
		}
	}
}

func TestKeyerEvalErrors(t *testing.T) {
	cases := []struct{ expr, event string }{
		{"powertools_json(a)", `{"a": "{"}`},
		{"powertools_json(a)", `{"a": 1}`},
		{"powertools_base64(a)", `{"a": "abc"}`},
		{"powertools_base64_gzip(a)", `{"a": "aGVsbG8="}`},
		{"[?a < b]", `[{"a": 1, "b": "x"}]`},
		{"to_string(&a)", `{}`},
		{"&a", `{}`},
		{"a[::0]", `{"a": [1]}`},
		{"ceil(a)", `{"a": 1e400}`},
	}
	for _, c := range cases {
		k, err := NewKeyer(KeyConfig{EventKeyJMESPath: c.expr})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.Derive([]byte(c.event)); !errors.Is(err, ErrInvalidEvent) || !strings.Contains(err.Error(), "EventKeyJMESPath") {
			t.Errorf("%s on %s: error %v, want ErrInvalidEvent naming the field", c.expr, c.event, err)
		}
	}
}
