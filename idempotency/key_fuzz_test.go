package idempotency

import (
	"errors"
	"testing"
)

// orderFreeConfigs select parts of an event in ways that do not depend on
// the order of object keys, so reordering an event must not change keys.
var orderFreeConfigs = []KeyConfig{
	{KeyPrefix: "p"},
	{EventKeyJMESPath: "powertools_json(body).order_id", PayloadValidationJMESPath: "headers", KeyPrefix: "p"},
	{EventKeyJMESPath: `[body, headers."x-key"]`, HashFunction: "sha256", KeyPrefix: "p"},
	{EventKeyJMESPath: "a.b || [0]", PayloadValidationJMESPath: "@", KeyPrefix: "p"},
	{EventKeyJMESPath: "{x: a, y: length(@)}", KeyPrefix: "p"},
	{EventKeyJMESPath: "sort_by([], &a)[0] || sort(@)", HashFunction: "blake2b", KeyPrefix: "p"},
	{EventKeyJMESPath: "powertools_base64(body) || powertools_base64_gzip(data)", KeyPrefix: "p"},
}

// FuzzDerive checks that Derive never panics, only fails with
// ErrInvalidEvent, is deterministic, and ignores whitespace and object key
// order (for events without duplicate keys).
func FuzzDerive(f *testing.F) {
	seen := map[string]bool{}
	for _, c := range loadGolden(f) {
		if ev := c.event(f); !seen[string(ev)] {
			seen[string(ev)] = true
			f.Add(ev, uint8(len(c.Name)))
		}
	}
	keyers := make([]*Keyer, len(orderFreeConfigs))
	for i, cfg := range orderFreeConfigs {
		k, err := NewKeyer(cfg)
		if err != nil {
			f.Fatal(err)
		}
		keyers[i] = k
	}
	f.Fuzz(func(t *testing.T, event []byte, which uint8) {
		k := keyers[int(which)%len(keyers)]
		d, err := k.Derive(event)
		if err != nil {
			if !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("error %v does not wrap ErrInvalidEvent", err)
			}
			return
		}
		again, err := k.Derive(event)
		if err != nil || again != d {
			t.Fatalf("Derive not deterministic: %+v then %+v (%v)", d, again, err)
		}
		reordered, ok := reorder(event)
		if !ok {
			return
		}
		r, err := k.Derive(reordered)
		if err != nil || r != d {
			t.Fatalf("reordered event %q\n gives %+v (%v)\n event %q gives %+v", reordered, r, err, event, d)
		}
	})
}

// reorder re-serialises an event with every object's keys in reverse order
// and different whitespace. ok is false for unparsable events and events
// with duplicate keys (where order decides the winner).
func reorder(event []byte) ([]byte, bool) {
	var st deriveState
	root, err := st.parseDoc(string(event), true)
	if err != nil {
		return nil, false
	}
	return appendReordered([]byte("\ufeff \n"), root)
}

func appendReordered(dst []byte, v *jnode) ([]byte, bool) {
	switch v.kind {
	case jObject:
		kv := v.children()
		seen := map[string]bool{}
		dst = append(dst, "{ "...)
		for i := len(kv) - 2; i >= 0; i -= 2 {
			key := kv[i].string()
			if seen[key] {
				return nil, false
			}
			seen[key] = true
			dst = appendPyString(dst, key)
			dst = append(dst, "\t:\r\n"...)
			var ok bool
			if dst, ok = appendReordered(dst, kv[i+1]); !ok {
				return nil, false
			}
			if i > 0 {
				dst = append(dst, " ,"...)
			}
		}
		return append(dst, " }"...), true
	case jArray:
		dst = append(dst, '[')
		for i, e := range v.children() {
			if i > 0 {
				dst = append(dst, ",\n"...)
			}
			var ok bool
			if dst, ok = appendReordered(dst, e); !ok {
				return nil, false
			}
		}
		return append(dst, ']'), true
	case jString:
		return appendPyString(dst, v.string()), true
	case jNumber:
		return append(dst, v.str...), true
	case jTrue:
		return append(dst, "true"...), true
	case jFalse:
		return append(dst, "false"...), true
	default:
		return append(dst, "null"...), true
	}
}
