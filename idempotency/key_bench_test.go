package idempotency

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// apigwEvent is a realistic 1.4 KB API Gateway REST (v1) proxy event.
func apigwEvent(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile("testdata/apigw_rest_v1.json")
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// bigEvent returns the API Gateway event with a JSON body grown to about
// size bytes (many order items with unicode, floats and big ints).
func bigEvent(tb testing.TB, size int) []byte {
	tb.Helper()
	var ev map[string]any
	if err := json.Unmarshal(apigwEvent(tb), &ev); err != nil {
		tb.Fatal(err)
	}
	var body strings.Builder
	body.WriteString(`{"order_id": 12345678901234567890, "user_id": "xyz", "items": [`)
	for i := 0; body.Len() < size*3/4; i++ {
		if i > 0 {
			body.WriteString(", ")
		}
		fmt.Fprintf(&body, `{"sku": "SKU-%06d", "name": "caf\u00e9 \ud83d\ude00 item %d", "qty": %d, "price": %d.%02d, "meta": {"z": true, "a": null, "id": %d}}`,
			i, i, i%7, i%100, i%97, 9007199254740993+i)
	}
	body.WriteString("]}")
	ev["body"] = body.String()
	b, err := json.Marshal(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func BenchmarkDerive(b *testing.B) {
	events := []struct {
		name  string
		event []byte
	}{
		{"apigw-1.4KB", apigwEvent(b)},
		{"256KB", bigEvent(b, 256<<10)},
		{"1MB", bigEvent(b, 1<<20)},
	}
	configs := []struct {
		name string
		cfg  KeyConfig
	}{
		{"order_id", KeyConfig{EventKeyJMESPath: "powertools_json(body).order_id", KeyPrefix: "fn.app.handler"}},
		{"whole-event", KeyConfig{KeyPrefix: "fn.app.handler"}},
		{"key+validation", KeyConfig{EventKeyJMESPath: `[requestContext.requestId, headers."X-Idempotency-Key"]`,
			PayloadValidationJMESPath: "powertools_json(body).items[*].sku", HashFunction: "sha256", KeyPrefix: "fn.app.handler"}},
	}
	for _, ev := range events {
		for _, c := range configs {
			k, err := NewKeyer(c.cfg)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := k.Derive(ev.event); err != nil {
				b.Fatal(err)
			}
			b.Run(ev.name+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(ev.event)))
				for b.Loop() {
					if _, err := k.Derive(ev.event); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
