package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// KeyJMESPath is the idempotency key of every idempotent benchmark, for
// idemproxy and the Powertools peers alike: Powertools' documented API
// Gateway example, the order id inside the JSON body.
const KeyJMESPath = "powertools_json(body).order_id"

// Events builds the benchmark's events from the 1.4 KB API Gateway REST
// event of idempotency/testdata, compacted, with its members in the order
// API Gateway writes them (not sorted: the whole-event key must sort them,
// as a real event makes it).
type Events struct {
	members []member
}

// member is one top-level member of the event, its value compact JSON.
type member struct {
	key   string
	value json.RawMessage
}

// LoadEvents reads the API Gateway event template below root.
func LoadEvents(root string) (*Events, error) {
	b, err := os.ReadFile(filepath.Join(root, "idempotency", "testdata", "apigw_rest_v1.json"))
	if err != nil {
		return nil, fmt.Errorf("bench: event template: %w", err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, b); err != nil {
		return nil, fmt.Errorf("bench: event template: %w", err)
	}
	dec := json.NewDecoder(&compact)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("bench: event template: not an object (%v)", err)
	}
	var ev Events
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("bench: event template: %w", err)
		}
		m := member{key: t.(string)}
		if err := dec.Decode(&m.value); err != nil {
			return nil, fmt.Errorf("bench: event template: %w", err)
		}
		ev.members = append(ev.members, m)
	}
	return &ev, nil
}

// Template returns the API Gateway event as it is on disk, compacted.
func (ev *Events) Template() []byte { return ev.encode(nil, nil) }

// encode writes the event with the values in set replacing those of the
// same keys, then the members of add (keys in sorted order).
func (ev *Events) encode(set, add map[string]any) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	write := func(k string, v []byte) {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.Write(mustJSON(k))
		b.WriteByte(':')
		b.Write(v)
	}
	for _, m := range ev.members {
		if v, ok := set[m.key]; ok {
			write(m.key, mustJSON(v))
			continue
		}
		write(m.key, m.value)
	}
	for _, k := range slices.Sorted(maps.Keys(add)) {
		write(k, mustJSON(add[k]))
	}
	b.WriteByte('}')
	return b.Bytes()
}

// Order returns an API Gateway event whose body holds order id (no order_id
// at all when id is ""), for the test handler's action ("" echoes) with
// extra top-level fields (e.g. "size" for the "big" action).
func (ev *Events) Order(action, id string, extra map[string]any) []byte {
	body := map[string]any{"user_id": "xyz", "product_id": "123456789", "amount": 10.5, "currency": "EUR",
		"items": []any{map[string]any{"sku": "B-2", "qty": 2}}}
	if id != "" {
		body["order_id"] = id
	}
	add := make(map[string]any, len(extra)+1)
	if action != "" {
		add["action"] = action
	}
	for k, v := range extra {
		add[k] = v
	}
	return ev.encode(map[string]any{"body": string(mustJSON(body))}, add)
}

// Big returns an event asking the test handler for a response of about
// size bytes; with an order id (id != "") it is idempotent.
func (ev *Events) Big(id string, size int) []byte {
	return ev.Order("big", id, map[string]any{"size": size})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // unreachable: maps of JSON values
	}
	return b
}
