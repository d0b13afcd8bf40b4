package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// KeyJMESPath is the idempotency key of every idempotent benchmark, for
// idemproxy and the Powertools peers alike: Powertools' documented API
// Gateway example, the order id inside the JSON body.
const KeyJMESPath = "powertools_json(body).order_id"

// Events builds the benchmark's events from the 1.4 KB API Gateway REST
// event of idempotency/testdata.
type Events struct {
	template map[string]any
}

// LoadEvents reads the API Gateway event template below root.
func LoadEvents(root string) (*Events, error) {
	b, err := os.ReadFile(filepath.Join(root, "idempotency", "testdata", "apigw_rest_v1.json"))
	if err != nil {
		return nil, fmt.Errorf("bench: event template: %w", err)
	}
	var t map[string]any
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("bench: event template: %w", err)
	}
	return &Events{template: t}, nil
}

// Template returns the API Gateway event as it is on disk, re-encoded.
func (ev *Events) Template() []byte { return mustJSON(ev.template) }

// Order returns an API Gateway event whose body holds order id (no order_id
// at all when id is ""), for the test handler's action ("" echoes) with
// extra top-level fields (e.g. "size" for the "big" action).
func (ev *Events) Order(action, id string, extra map[string]any) []byte {
	e := make(map[string]any, len(ev.template)+2)
	for k, v := range ev.template {
		e[k] = v
	}
	body := map[string]any{"user_id": "xyz", "product_id": "123456789", "amount": 10.5, "currency": "EUR",
		"items": []any{map[string]any{"sku": "B-2", "qty": 2}}}
	if id != "" {
		body["order_id"] = id
	}
	e["body"] = string(mustJSON(body))
	if action != "" {
		e["action"] = action
	}
	for k, v := range extra {
		e[k] = v
	}
	return mustJSON(e)
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
